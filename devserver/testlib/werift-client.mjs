/**
 * A minimal LiveKit client built on werift (an independent WebRTC stack) for tests of the
 * server's protocol paths the official SDKs do not let a test steer: resume with ICE restart,
 * auto_subscribe=false + UpdateSubscription, unanswered offers. Receives audio only; counts RTP
 * packets per track sid.
 *
 *   const c = await weriftClient(server.url, token, { v1: true, autoSubscribe: false });
 *   await c.joined; c.subscribe([sid]); await c.waitPackets(sid, 50); await c.resume(); c.close();
 */
import { RTCPeerConnection } from 'werift';
import { connectSignal, lk } from './signal-client.mjs';
import { installWeriftPatches } from '../src/media/werift-setup.mjs';

// werift asks stun.l.google.com without this: tests talk to this machine only
installWeriftPatches();

const { SessionDescription, TrickleRequest, SignalTarget, UpdateSubscription } = lk;

export async function weriftClient(url, token, { v1 = true, autoSubscribe = true, answerOffers = true } = {}) {
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'], iceUseIpv6: false, bundlePolicy: 'max-bundle' });
  const c = {
    pc, sig: null, sid: null, v1, offerId: 0, packets: new Map(), midToTrack: new Map(), answers: [], offers: [],
    token, url, autoSubscribe,
  };
  pc.onTrack.subscribe((track) => {
    const t = pc.getTransceivers().find((x) => x.receiver.track === track);
    track.onReceiveRtp.subscribe(() => {
      const sid = c.midToTrack.get(t?.mid) ?? t?.receiver.remoteTrackId ?? `mid:${t?.mid}`;
      c.packets.set(sid, (c.packets.get(sid) ?? 0) + 1);
    });
  });
  pc.onIceCandidate.subscribe((cand) => {
    if (!cand || !c.sig) return;
    c.sig.send('trickle', new TrickleRequest({ candidateInit: JSON.stringify(cand.toJSON()),
      target: v1 ? SignalTarget.PUBLISHER : SignalTarget.SUBSCRIBER }));
  });

  const offer = async (opts) => {
    await pc.setLocalDescription(await pc.createOffer(opts));
    return new SessionDescription({ type: 'offer', sdp: pc.localDescription.sdp, id: ++c.offerId });
  };

  let chain = Promise.resolve();
  const serial = (fn) => { chain = chain.then(fn).catch((e) => { c.error = e; }); return chain; };

  function wire(sig) {
    c.sig = sig;
    sig.ws.on('message', () => {
      const res = sig.messages[sig.messages.length - 1];
      if (!res) return;
      const { case: kase, value } = res.message;
      if (kase === 'answer') {
        c.answers.push(value);
        for (const [mid, sid] of Object.entries(value.midToTrackId ?? {})) c.midToTrack.set(mid, sid);
        serial(() => pc.setRemoteDescription({ type: 'answer', sdp: value.sdp }));
      } else if (kase === 'offer') {
        c.offers.push(value);
        if (!answerOffers) return;
        serial(async () => {
          await pc.setRemoteDescription({ type: 'offer', sdp: value.sdp });
          await pc.setLocalDescription(await pc.createAnswer());
          sig.send('answer', new SessionDescription({ type: 'answer', sdp: pc.localDescription.sdp, id: value.id }));
        });
      } else if (kase === 'trickle') {
        let init;
        try { init = JSON.parse(value.candidateInit); } catch { return; }
        serial(() => pc.addIceCandidate(init));
      } else if (kase === 'mediaSectionsRequirement') {
        serial(async () => {
          for (let i = 0; i < value.numAudios; i++) pc.addTransceiver('audio', { direction: 'recvonly' });
          sig.send('offer', await offer());
        });
      }
    });
  }

  let first;
  if (v1) {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.createDataChannel('_reliable');
    const o = await offer();
    first = await connectSignal(url, token, { v1: true, autoSubscribe, publisherOffer: { sdp: o.sdp, id: o.id } });
  } else {
    first = await connectSignal(url, token, { v1: false, autoSubscribe });
  }
  wire(first);
  c.joined = first.waitFor('join').then((j) => { c.sid = j.participant.sid; return j; });
  await c.joined;

  c.subscribe = (sids, subscribe = true) => c.sig.send('subscription', new UpdateSubscription({ trackSids: sids, subscribe }));
  c.connected = (ms = 15_000) => new Promise((resolve, reject) => {
    if (pc.connectionState === 'connected') return resolve();
    const t = setTimeout(() => reject(new Error(`client pc not connected (${pc.connectionState})`)), ms);
    const sub = pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') { clearTimeout(t); sub.unSubscribe?.(); resolve(); }
    });
  });
  c.waitPackets = async (sid, n, ms = 15_000) => {
    const end = Date.now() + ms;
    while ((c.packets.get(sid) ?? 0) < n) {
      if (Date.now() > end) throw new Error(`only ${c.packets.get(sid) ?? 0} packets of ${sid} in ${ms} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return c.packets.get(sid);
  };
  /** Drop the signal socket (no leave) and resume; v1 then restarts ICE with a new offer. */
  c.resume = async () => {
    c.sig.close();
    await c.sig.waitClosed();
    const sig = await connectSignal(url, token, { v1, reconnect: true, sid: c.sid, autoSubscribe });
    wire(sig);
    await sig.waitFor('reconnect');
    if (v1) await serial(async () => sig.send('offer', await offer({ iceRestart: true })));
    return sig;
  };
  c.close = () => {
    try { c.sig?.close(); } catch { /* gone */ }
    pc.close().catch(() => {});
  };
  return c;
}

/** The ice-ufrag of the first media section of an SDP. */
export function iceUfrag(sdp) {
  return /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
}
