/**
 * Single-PeerConnection mode (/rtc/v1): the client owns the only PeerConnection and makes
 * every offer; the server answers. To forward a track the server needs a recvonly (client's
 * view) audio section: it switches a free one to sendonly with the track before answering and
 * names it in mid_to_track_id; when there is none free (or a section must change direction)
 * it sends media_sections_requirement and the client re-offers.
 */
import { PcSide } from './pc-side.mjs';
import { attachTrack, forward } from './downtrack.mjs';
import {
  fixRejectedBundledSections, filterRemoteCandidates, configurePublisherStereo, markStereoSenders, trackIsStereo,
} from './sdp.mjs';
import { response, SessionDescription, MediaSectionsRequirement } from '../proto.mjs';

export class SingleRtc {
  constructor(p, server) {
    this.p = p;
    this.server = server;
    this.sideOrNull = null;
    /** trackSid -> PublishedTrack the participant should receive */
    this.wanted = new Map();
    /** trackSid -> {transceiver, stop} placed in the current session */
    this.placed = new Map();
    /** transceivers to switch off at the next offer */
    this.retired = new Set();
    this.chain = Promise.resolve();
    this.askPending = false;
  }

  /** The PeerConnection, made on the first offer or candidate (a client that never offers costs none). */
  get side() {
    if (!this.sideOrNull) {
      const p = this.p;
      this.sideOrNull = new PcSide(p, this.server, 'single', {
        onState: (s) => {
          if (s === 'connected') p.onPrimaryConnected();
          if (s === 'failed' || s === 'closed') p.onPrimaryFailed();
        },
      });
    }
    return this.sideOrNull;
  }

  get pc() {
    return this.side.pc;
  }

  start(joinRequest) {
    const offer = joinRequest?.publisherOffer;
    if (offer?.sdp) this.handleOffer(offer);
  }

  handleOffer(sd) {
    this.chain = this.chain.then(() => this.#answer(sd)).catch((e) => this.p.log(`answer failed: ${e.stack ?? e}`));
  }

  handleAnswer() {
    this.p.log('single PC: unexpected answer ignored');
  }

  /**
   * Candidates go through the same queue as offers: one that arrives while an ICE-restart offer
   * is being applied belongs to the new generation and must not reach werift before it.
   */
  handleTrickle(t) {
    this.chain = this.chain.then(() => this.side.addCandidate(t.candidateInit))
      .catch((e) => this.p.log(`candidate: ${e.message}`));
  }

  expectTrack(track) {
    this.sideOrNull?.claim(track.cid);
  }

  subscribe(track) {
    if (this.wanted.has(track.sid)) return;
    this.wanted.set(track.sid, track);
    this.#askForOffer();
  }

  unsubscribe(sid) {
    if (!this.wanted.delete(sid)) return;
    const d = this.placed.get(sid);
    if (d) {
      d.stop();
      this.placed.delete(sid);
      this.retired.add(d.transceiver);
      this.#askForOffer();
    }
  }

  resume() {
    // the client restarts ICE and re-offers after `reconnect`; nothing to start here
  }

  close() {
    for (const d of this.placed.values()) d.stop();
    this.placed.clear();
    this.sideOrNull?.close();
  }

  /** Free receive slots: audio sections the client offered recvonly that carry nothing. */
  #freeSlots() {
    const used = new Set([...this.placed.values()].map((d) => d.transceiver));
    return this.pc.getTransceivers().filter((t) => t.kind === 'audio' && !used.has(t) && !this.retired.has(t) &&
      !t.stopped && t.offerDirection === 'sendonly' && !t.sender.track);
  }

  /** Ask the client for a new offer (coalesced). */
  #askForOffer() {
    if (this.askPending || !this.sideOrNull?.hasRemote) return;
    this.askPending = true;
    setImmediate(() => {
      this.askPending = false;
      if (this.p.closed) return;
      const unplaced = [...this.wanted.keys()].filter((s) => !this.placed.has(s)).length;
      const missing = Math.max(0, unplaced - this.#freeSlots().length);
      if (unplaced === 0 && this.retired.size === 0) return;
      this.p.send(response('mediaSectionsRequirement', new MediaSectionsRequirement({ numAudios: missing, numVideos: 0 })));
    });
  }

  async #answer(sd) {
    if (this.p.closed) return;
    this.side.protectTransceivers();
    await this.pc.setRemoteDescription({ type: 'offer', sdp: filterRemoteCandidates(sd.sdp) });
    this.side.checkUnpublished();
    // sections switched off since the last answer
    for (const t of this.retired) {
      t.setDirection('inactive');
      await t.sender.replaceTrack(null).catch(() => {});
    }
    this.retired.clear();
    // place every wanted track that has no section yet
    const free = this.#freeSlots();
    for (const [sid, track] of this.wanted) {
      if (this.placed.has(sid)) continue;
      const t = free.shift();
      if (!t) break;
      t.setDirection('sendonly');
      attachTrack(t, track);
      this.placed.set(sid, { transceiver: t, stop: forward(track, t.sender, (m) => this.p.log(m), this.p.identity) });
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    const midToTrackId = {};
    const stereoMids = new Set();
    for (const [sid, d] of this.placed) {
      if (!d.transceiver.mid) continue;
      midToTrackId[d.transceiver.mid] = sid;
      if (trackIsStereo(this.wanted.get(sid)?.info)) stereoMids.add(d.transceiver.mid);
    }
    let sdp = fixRejectedBundledSections(this.pc.localDescription.sdp);
    sdp = configurePublisherStereo(sdp, sd.sdp, (cid) => this.side.stereoOf(cid));
    sdp = markStereoSenders(sdp, stereoMids);
    this.p.send(response('answer', new SessionDescription({ type: 'answer', sdp, id: sd.id, midToTrackId })));
    await this.side.flushCandidates();
    if ([...this.wanted.keys()].some((s) => !this.placed.has(s))) this.#askForOffer();
  }
}
