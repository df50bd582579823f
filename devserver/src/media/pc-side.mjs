/**
 * One werift PeerConnection of a participant with the chores every mode shares: remote ICE
 * candidates filtered and queued until a remote description exists, connection-state
 * reporting, and incoming (published) tracks linked to their AddTrackRequest by the msid
 * track id (= the request's cid).
 */
import { createPeerConnection } from './werift-setup.mjs';
import { usableCandidate, trackIsStereo } from './sdp.mjs';
import { audioLevelId, packetLevel } from '../speakers.mjs';

/** PeerConnections open right now (for /debug/stats). */
export let openPeerConnections = 0;

/** The ICE ufrag a candidate belongs to, if it says. */
function candidateUfrag(init) {
  if (typeof init.usernameFragment === 'string' && init.usernameFragment) return init.usernameFragment;
  return / ufrag (\S+)/.exec(init.candidate)?.[1];
}

export class PcSide {
  /**
   * p: Participant. name: 'single' | 'publisher' | 'subscriber'.
   * onState(state): werift connectionState changes.
   */
  constructor(p, server, name, { onState } = {}) {
    this.p = p;
    this.name = name;
    this.pc = createPeerConnection(server.mediaAddresses);
    openPeerConnections++;
    this.queued = [];
    this.closed = false;
    /** transceiver -> PublishedTrack (or cid while unclaimed) it currently receives */
    this.linked = new Map();
    this.pc.connectionStateChange.subscribe((state) => {
      p.log(`${name} pc ${state}`);
      try { onState?.(state); } catch (e) { p.log(`state handler: ${e.stack ?? e}`); }
    });
    this.pc.onTrack.subscribe((track) => this.#onTrack(track));
  }

  get hasRemote() {
    return !!this.pc.remoteDescription;
  }

  /**
   * A TrickleRequest's candidateInit (JSON text). Bad JSON is ignored. A candidate is held back
   * until a remote description with its ICE ufrag is applied: the SDKs trickle the candidates
   * of an ICE restart before they send the offer that restarts ICE.
   */
  async addCandidate(candidateInit) {
    let init;
    try {
      init = JSON.parse(candidateInit);
    } catch {
      this.p.log(`${this.name}: undecodable candidate ignored`);
      return;
    }
    if (!init || typeof init !== 'object' || typeof init.candidate !== 'string') return;
    if (!init.candidate) return; // end-of-candidates: nothing to do
    if (!usableCandidate(init.candidate)) return;
    const ufrag = candidateUfrag(init);
    if (!this.hasRemote || (ufrag && ufrag !== this.#remoteUfrag())) {
      if (this.queued.length < 64) this.queued.push(init);
      return;
    }
    await this.#apply(init);
  }

  /** After a remote description is applied: candidates of its ICE generation go in now. */
  async flushCandidates() {
    const current = this.#remoteUfrag();
    const q = this.queued;
    this.queued = [];
    for (const init of q) {
      const ufrag = candidateUfrag(init);
      if (!ufrag || ufrag === current) await this.#apply(init);
      else this.queued.push(init); // a later generation (or a stale one, dropped when the queue fills)
    }
  }

  #remoteUfrag() {
    return /a=ice-ufrag:(\S+)/.exec(this.pc.remoteDescription?.sdp ?? '')?.[1];
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

  /** werift fires onTrack on every remote description that has the section sending. */
  #onTrack(track) {
    const t = this.pc.getTransceivers().find((x) => x.receiver.track === track || x.receiver.tracks?.includes?.(track));
    const cid = t?.receiver.remoteTrackId ?? track.id;
    if (!t) return;
    const current = this.linked.get(t);
    if (current && (current === cid || current.cid === cid)) return;
    if (track.kind !== 'audio') {
      this.p.log(`${this.name}: ignoring incoming ${track.kind} track ${cid}`);
      return;
    }
    if (!t.feedSubscribed) {
      // one subscription per receiver, whatever it carries over time
      t.feedSubscribed = true;
      track.onReceiveRtp.subscribe((rtp) => {
        const pub = this.linked.get(t);
        if (!pub || typeof pub !== 'object') return;
        const dbov = packetLevel(rtp, audioLevelId(t));
        if (dbov !== undefined) pub.meter.observe(dbov);
        pub.push(rtp);
      });
    }
    const published = this.p.onTrackMedia(cid);
    this.linked.set(t, published ?? cid);
    if (published) this.p.log(`${this.name}: receiving ${published.sid} (cid ${cid})`);
  }

  /**
   * Whether the track this participant announced with `cid` is stereo; undefined when no
   * AddTrackRequest named that cid (yet).
   */
  stereoOf(cid) {
    const t = this.p.pending.get(cid) ?? [...this.p.tracks.values()].find((x) => x.cid === cid);
    return t ? trackIsStereo(t.info) : undefined;
  }

  /** An AddTrackRequest arrived for media already flowing. */
  claim(cid) {
    for (const [t, v] of this.linked) {
      if (v !== cid) continue;
      const published = this.p.onTrackMedia(cid);
      if (published) {
        this.linked.set(t, published);
        this.p.log(`${this.name}: receiving ${published.sid} (cid ${cid})`);
      }
    }
  }

  /**
   * After applying a client offer: a section that carried a published track and no longer
   * sends (direction changed, port 0, or gone) means the client unpublished it.
   */
  checkUnpublished() {
    const present = new Set(this.pc.getTransceivers());
    for (const [t, v] of [...this.linked]) {
      const sending = present.has(t) && !t.stopped && ['recvonly', 'sendrecv'].includes(t.offerDirection);
      if (sending) continue;
      this.linked.delete(t);
      if (typeof v === 'object') this.p.unpublish(v.sid);
    }
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    openPeerConnections--;
    this.linked.clear();
    this.pc.close().catch(() => {});
  }
}
