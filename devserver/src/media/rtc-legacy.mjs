/**
 * Legacy mode (/rtc): a publisher PeerConnection (the client offers, the server answers) and a
 * subscriber PeerConnection (the server offers, the client answers). Subscriber-primary
 * participants get the subscriber PC at once with only the data channels in it (m=application)
 * so that it can connect before anything is published.
 *
 * Renegotiation of the subscriber PC is serialised: one offer outstanding at a time (the SDKs
 * answer with id 0 whatever the offer's id), re-offer after the answer if more changed. An
 * offer not answered within 15 s makes the participant rejoin (leave with action RECONNECT).
 */
import { PcSide } from './pc-side.mjs';
import { attachTrack, forward } from './downtrack.mjs';
import {
  fixRejectedBundledSections, filterRemoteCandidates, configurePublisherStereo, markStereoSenders, trackIsStereo,
} from './sdp.mjs';
import { response, SessionDescription, SignalTarget } from '../proto.mjs';

export class LegacyRtc {
  constructor(p, server) {
    this.p = p;
    this.server = server;
    this.pubOrNull = null;
    this.sub = null;
    this.chain = Promise.resolve();
    this.offerId = 0;
    this.offerPending = false;
    this.dirty = false;
    this.restartIce = false;
    this.offerTimer = null;
    /** trackSid -> {transceiver, stop} */
    this.down = new Map();
  }

  /** The publisher PeerConnection, made on the client's first offer or candidate for it. */
  get pub() {
    if (!this.pubOrNull) {
      const p = this.p;
      this.pubOrNull = new PcSide(p, this.server, 'publisher', {
        onState: (s) => {
          if (!p.subscriberPrimary && s === 'connected') p.onPrimaryConnected();
          if (!p.subscriberPrimary && (s === 'failed' || s === 'closed')) p.onPrimaryFailed();
        },
      });
    }
    return this.pubOrNull;
  }

  #subscriber() {
    if (this.sub) return this.sub;
    this.sub = new PcSide(this.p, this.server, 'subscriber', {
      onState: (s) => {
        if (this.p.subscriberPrimary && s === 'connected') this.p.onPrimaryConnected();
        if (this.p.subscriberPrimary && (s === 'failed' || s === 'closed')) this.p.onPrimaryFailed();
      },
    });
    return this.sub;
  }

  start() {
    if (this.p.subscriberPrimary) {
      const sub = this.#subscriber();
      sub.pc.createDataChannel('_reliable', { ordered: true });
      sub.pc.createDataChannel('_lossy', { ordered: false, maxRetransmits: 0 });
      this.#negotiate();
    }
  }

  handleOffer(sd) {
    this.chain = this.chain.then(() => this.#answerPublisher(sd)).catch((e) => this.p.log(`publisher answer failed: ${e.stack ?? e}`));
  }

  async #answerPublisher(sd) {
    if (this.p.closed) return;
    const pc = this.pub.pc;
    this.pub.protectTransceivers();
    await pc.setRemoteDescription({ type: 'offer', sdp: filterRemoteCandidates(sd.sdp) });
    this.pub.checkUnpublished();
    await pc.setLocalDescription(await pc.createAnswer());
    const sdp = configurePublisherStereo(fixRejectedBundledSections(pc.localDescription.sdp), sd.sdp,
      (cid) => this.pub.stereoOf(cid));
    this.p.send(response('answer', new SessionDescription({ type: 'answer', sdp, id: sd.id })));
    await this.pub.flushCandidates();
  }

  handleAnswer(sd) {
    if (!this.sub || !this.offerPending) {
      this.p.log('answer without an outstanding offer ignored');
      return;
    }
    this.chain = this.chain.then(async () => {
      clearTimeout(this.offerTimer);
      this.offerTimer = null;
      try {
        await this.sub.pc.setRemoteDescription({ type: 'answer', sdp: filterRemoteCandidates(sd.sdp) });
        await this.sub.flushCandidates();
      } catch (e) {
        this.p.log(`subscriber answer refused: ${e.message}`);
      }
      this.offerPending = false;
      if (this.dirty) this.#negotiate();
    }).catch((e) => this.p.log(`answer handling: ${e.stack ?? e}`));
  }

  /** Candidates are queued behind offers and answers (see rtc-single.mjs). */
  handleTrickle(t) {
    this.chain = this.chain.then(() => (t.target === SignalTarget.SUBSCRIBER
      ? this.sub?.addCandidate(t.candidateInit) : this.pub.addCandidate(t.candidateInit)))
      .catch((e) => this.p.log(`candidate: ${e.message}`));
  }

  expectTrack(track) {
    this.pubOrNull?.claim(track.cid);
  }

  subscribe(track) {
    if (this.down.has(track.sid)) return;
    const sub = this.#subscriber();
    const t = sub.pc.addTransceiver('audio', { direction: 'sendonly' });
    attachTrack(t, track);
    this.down.set(track.sid, { transceiver: t, stereo: trackIsStereo(track.info),
      stop: forward(track, t.sender, (m) => this.p.log(m), this.p.identity) });
    this.#negotiate();
  }

  unsubscribe(sid) {
    const d = this.down.get(sid);
    if (!d) return;
    d.stop();
    this.down.delete(sid);
    d.transceiver.setDirection('inactive');
    d.transceiver.sender.replaceTrack(null).catch(() => {});
    this.#negotiate();
  }

  resume() {
    if (this.sub) {
      this.restartIce = true;
      this.#negotiate();
    }
  }

  close() {
    clearTimeout(this.offerTimer);
    for (const d of this.down.values()) d.stop();
    this.down.clear();
    this.pubOrNull?.close();
    this.sub?.close();
  }

  /** Offer the subscriber PC's current state (or remember to, once the outstanding one is answered). */
  #negotiate() {
    if (this.offerPending) {
      this.dirty = true;
      return;
    }
    this.offerPending = true;
    this.dirty = false;
    this.chain = this.chain.then(async () => {
      if (this.p.closed) return;
      const pc = this.sub.pc;
      const iceRestart = this.restartIce;
      this.restartIce = false;
      const offer = await pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await pc.setLocalDescription(offer);
      const id = ++this.offerId;
      const stereoMids = new Set([...this.down.values()].filter((d) => d.stereo && d.transceiver.mid).map((d) => d.transceiver.mid));
      const sdp = markStereoSenders(pc.localDescription.sdp, stereoMids);
      this.p.send(response('offer', new SessionDescription({ type: 'offer', sdp, id })));
      this.offerTimer = setTimeout(() => {
        if (this.offerPending && !this.p.closed) this.p.onNegotiationFailed();
      }, this.server.offerTimeoutMs);
    }).catch((e) => {
      this.offerPending = false;
      this.p.log(`subscriber offer failed: ${e.stack ?? e}`);
    });
  }
}
