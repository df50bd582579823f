/**
 * A werift WebRTC peer for interop tests of alto's transport (rtc/transport), spoken to with
 * the same JSON messages as tests/rtc/transport/alto-rtc-peer:
 *   {type:"offer"|"answer", sdp, id}, {type:"candidate", candidateInit:"<JSON string>"}.
 *
 *   const peer = createWeriftPeer({ onSignal: (msg) => ..., hostAddresses: [...] });
 *   await peer.offer();              // sendonly audio with a track + one recvonly section
 *   await peer.handle(msg);          // a message from the other side
 *   peer.sendRtp(count);             // Opus-typed RTP, payload "werift-rtp-<n>", 20 ms apart
 *   peer.received                    // [{ pt, ssrc, seq, payload }]
 *   await peer.close();              // also ends werift's DTLS retransmissions (see below)
 *
 * Only this machine is used: no STUN/TURN servers. `iceServers: []` alone is not enough —
 * werift then falls back to a public STUN server — so the dev server's werift patches
 * (installWeriftPatches) clear STUN/TURN before gathering. IPv4 host candidates only, one
 * BUNDLEd transport. As answerer it sends on every
 * section the offer marks recvonly (the track goes on before createAnswer, as werift needs).
 */
import {
  RTCPeerConnection, RTCRtpCodecParameters, MediaStreamTrack, RtpPacket, RtpHeader,
} from 'werift';
import { installWeriftPatches } from '../src/media/werift-setup.mjs';

export function createWeriftPeer({ onSignal, log = () => {} } = {}) {
  installWeriftPatches();
  const pc = new RTCPeerConnection({
    iceServers: [],
    bundlePolicy: 'max-bundle',
    iceUseIpv6: false,
    codecs: {
      audio: [new RTCRtpCodecParameters({
        mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111,
        parameters: 'minptime=10;useinbandfec=1',
      })],
      video: [],
    },
  });
  const track = new MediaStreamTrack({ kind: 'audio' });
  const received = [];
  const states = [];
  let sending = null;

  pc.onIceCandidate.subscribe((candidate) => {
    if (!candidate) return;
    onSignal?.({ type: 'candidate', candidateInit: JSON.stringify(candidate.toJSON()) });
  });
  pc.connectionStateChange.subscribe((state) => { states.push(state); log(`werift: ${state}`); });
  pc.onTrack.subscribe((remote) => {
    remote.onReceiveRtp.subscribe((rtp) => {
      received.push({
        pt: rtp.header.payloadType,
        ssrc: rtp.header.ssrc,
        seq: rtp.header.sequenceNumber,
        payload: rtp.payload.toString('latin1'),
      });
    });
  });

  async function offer() {
    pc.addTransceiver(track, { direction: 'sendonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const description = await pc.createOffer();
    await pc.setLocalDescription(description);
    onSignal?.({ type: 'offer', sdp: pc.localDescription.sdp, id: 1 });
  }

  /** mids of the sections an offer marks recvonly: we send there */
  function recvonlyMids(sdp) {
    const mids = [];
    for (const section of sdp.split(/\r?\nm=/).slice(1)) {
      const mid = /\r?\na=mid:(\S+)/.exec(`\n${section}`)?.[1];
      if (mid && /\r?\na=recvonly/.test(`\n${section}`)) mids.push(mid);
    }
    return mids;
  }

  async function handle(msg) {
    if (msg.type === 'offer') {
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      const mids = recvonlyMids(msg.sdp);
      for (const transceiver of pc.getTransceivers()) {
        if (!mids.includes(transceiver.mid)) continue;
        transceiver.setDirection('sendonly');
        await transceiver.sender.replaceTrack(track);
      }
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      onSignal?.({ type: 'answer', sdp: pc.localDescription.sdp, id: msg.id ?? 0 });
    } else if (msg.type === 'answer') {
      await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    } else if (msg.type === 'candidate' && msg.candidateInit) {
      const init = JSON.parse(msg.candidateInit);
      if (init.candidate) await pc.addIceCandidate(init);
    }
  }

  function sendRtp(count, { intervalMs = 20 } = {}) {
    let n = 0;
    clearInterval(sending);
    sending = setInterval(() => {
      n += 1;
      const header = new RtpHeader({
        payloadType: 111, sequenceNumber: n, timestamp: n * 960, marker: n === 1,
      });
      track.writeRtp(new RtpPacket(header, Buffer.from(`werift-rtp-${n}`)));
      if (n >= count) { clearInterval(sending); sending = null; }
    }, intervalMs);
  }

  /**
   * Stops werift's DTLS handshake retransmissions. werift's Flight.transmit() (dtls/src/flight/
   * flight.ts) resends a flight up to 11 times, sleeping 0.5, 1, ... 5.5 s between sends with a
   * ref'd `timers/promises` setTimeout, and stops only when its DtlsContext says the next flight
   * came; pc.close() does not stop it. A handshake that never completes (alto refusing the
   * certificate in the fingerprint test) so kept this process alive ~33 s after close. Marking
   * every context as past any flight makes the loop end at its next wake-up (0.5 s after the
   * refusal there; at most 5.5 s in general).
   */
  function endDtlsRetransmissions(contexts) {
    for (const context of contexts) {
      if (context && typeof context.flight === 'number') context.flight = Number.MAX_SAFE_INTEGER;
    }
  }

  async function close() {
    clearInterval(sending);
    sending = null;
    // the DtlsContext of each transport (RTCDtlsTransport.dtls: DtlsClient/DtlsServer, .dtls),
    // taken before close() may drop the transports
    const contexts = (pc.dtlsTransports ?? []).map((t) => t?.dtls?.dtls);
    await pc.close();
    endDtlsRetransmissions(contexts);
  }

  return { pc, offer, handle, sendRtp, received, states, close };
}
