/**
 * One werift PeerConnection of a participant with the chores every mode shares: remote ICE
 * candidates filtered and queued until a remote description exists, connection-state
 * reporting, and incoming (published) tracks linked to their AddTrackRequest by the msid
 * track id (= the request's cid).
 */
import { createPeerConnection } from './werift-setup.mjs';
import { usableCandidate } from './sdp.mjs';

export class PcSide {
  /**
   * p: Participant. name: 'single' | 'publisher' | 'subscriber'.
   * onState(state): werift connectionState changes.
   */
  constructor(p, server, name, { onState } = {}) {
    this.p = p;
    this.name = name;
    this.pc = createPeerConnection(server.mediaAddresses);
    this.queued = [];
    this.closed = false;
    /** transceivers whose incoming track has been linked already */
    this.linked = new WeakSet();
    /** cid -> werift receive track, for media seen before its AddTrackRequest */
    this.unclaimed = new Map();
    this.pc.connectionStateChange.subscribe((state) => {
      p.log(`${name} pc ${state}`);
      try { onState?.(state); } catch (e) { p.log(`state handler: ${e.stack ?? e}`); }
    });
    this.pc.onTrack.subscribe((track) => this.#onTrack(track));
  }

  get hasRemote() {
    return !!this.pc.remoteDescription;
  }

  /** A TrickleRequest's candidateInit (JSON text). Bad JSON is ignored. */
  async addCandidate(candidateInit) {
    let init;
    try {
      init = JSON.parse(candidateInit);
    } catch {
      this.p.log(`${this.name}: undecodable candidate ignored`);
      return;
    }
    if (!init || typeof init !== 'object') return;
    if (!init.candidate) return; // end-of-candidates: nothing to do
    if (!usableCandidate(init.candidate)) return;
    if (!this.hasRemote) {
      this.queued.push(init);
      return;
    }
    await this.#apply(init);
  }

  async flushCandidates() {
    const q = this.queued;
    this.queued = [];
    for (const init of q) await this.#apply(init);
  }

  async #apply(init) {
    try {
      await this.pc.addIceCandidate({ candidate: init.candidate, sdpMid: init.sdpMid ?? undefined,
        sdpMLineIndex: init.sdpMLineIndex ?? undefined });
    } catch (e) {
      this.p.log(`${this.name}: candidate refused: ${e.message}`);
    }
  }

  /** Before applying a remote offer: keep werift from recycling existing transceivers' mids. */
  protectTransceivers() {
    for (const t of this.pc.getTransceivers()) t.usedForSender = true;
  }

  #onTrack(track) {
    const t = this.pc.getTransceivers().find((x) => x.receiver.track === track || x.receiver.tracks?.includes?.(track));
    if (t && this.linked.has(t)) return;
    if (t) this.linked.add(t);
    const cid = t?.receiver.remoteTrackId ?? track.id;
    if (track.kind !== 'audio') {
      this.p.log(`${this.name}: ignoring incoming ${track.kind} track ${cid}`);
      return;
    }
    const published = this.p.onTrackMedia(cid);
    if (published) this.#feed(track, published);
    else this.unclaimed.set(cid, track);
  }

  /** An AddTrackRequest arrived for media already flowing. */
  claim(cid) {
    const track = this.unclaimed.get(cid);
    if (!track) return;
    this.unclaimed.delete(cid);
    const published = this.p.onTrackMedia(cid);
    if (published) this.#feed(track, published);
  }

  #feed(track, published) {
    this.p.log(`${this.name}: receiving ${published.sid} (cid ${published.cid})`);
    track.onReceiveRtp.subscribe((rtp) => published.push(rtp));
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close().catch(() => {});
  }
}
