/**
 * werift, configured as this dev server's SFU side.
 *
 * - Codecs: Opus PT 111 (minptime=10;useinbandfec=1, NACK) for audio; VP8 PT 96 only so that the
 *   SDKs' recvonly video sections negotiate (werift throws on a section with no common codec).
 *   RED is not configured, so the server answers Opus only and never forwards RED.
 *   Test knob: ALTO_DEVSERVER_AUDIO_NACK=0 at startup leaves NACK out for Opus (neither offered
 *   nor answered), as a server that does not retransmit audio would.
 * - ICE host candidates on loopback and on this machine's interface address (libwebrtc gathers
 *   no loopback candidates), each UDP socket bound to its own address rather than 0.0.0.0
 *   (see installWeriftPatches), no IPv6, no TCP, no STUN/TURN (werift would ask Google's STUN
 *   server otherwise); STUN requests and
 *   candidate pairs from addresses that are not this machine's are ignored.
 */
import { Connection, RTCPeerConnection, RTCRtpCodecParameters, useSdesMid, useAudioLevelIndication } from 'werift';
import { isLocalAddress } from '../net.mjs';

let patched = false;

/**
 * Two changes to werift's ICE gathering, for every werift PeerConnection in this process:
 *
 * - No STUN: without a STUN server in iceServers werift falls back to stun.l.google.com:19302
 *   and sends it a binding request from every host candidate. This server (and every test
 *   client built on werift) talks to this machine only, so the STUN and TURN servers are
 *   cleared before gathering.
 * - One socket per address: werift binds every host-candidate socket to the single
 *   `iceInterfaceAddresses` entry (or to 0.0.0.0 without one) and then advertises each gathered
 *   address on it. Gather one address at a time with that entry set to the address, so each
 *   socket is bound to exactly the address it advertises. The entry is read synchronously when
 *   the socket is created, so restoring it right after each call is safe.
 */
export function installWeriftPatches() {
  if (patched) return;
  patched = true;
  const original = Connection?.prototype?.getCandidatePromises;
  if (typeof original !== 'function') {
    throw new Error('werift without Connection.getCandidatePromises: cannot keep ICE to this machine');
  }
  Connection.prototype.getCandidatePromises = function getCandidatePromisesLocalOnly(addresses, timeout) {
    this.stunServer = undefined;
    this.turnServer = undefined;
    const saved = this.options.interfaceAddresses;
    const out = [];
    try {
      for (const address of addresses) {
        this.options.interfaceAddresses = address.includes(':') ? { udp6: address } : { udp4: address };
        out.push(...original.call(this, [address], timeout));
      }
    } finally {
      this.options.interfaceAddresses = saved;
    }
    return out;
  };
}

export const OPUS_PT = 111;
const AUDIO_NACK = process.env.ALTO_DEVSERVER_AUDIO_NACK !== '0';

export function peerConfig(addresses) {
  return {
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PT,
        parameters: 'minptime=10;useinbandfec=1', rtcpFeedback: AUDIO_NACK ? [{ type: 'nack' }] : [] })],
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }] })],
    },
    headerExtensions: { audio: [useSdesMid(), useAudioLevelIndication()], video: [useSdesMid()] },
    iceUseIpv4: true,
    iceUseIpv6: false,
    iceUseTcp: false,
    iceServers: [],
    // getHostAddresses() already lists the interface address; loopback must be added by hand
    iceAdditionalHostAddresses: addresses.filter((a) => a.startsWith('127.')),
    iceFilterStunResponse: (_msg, addr) => isLocalAddress(addr?.[0]),
    iceFilterCandidatePair: (pair) => isLocalAddress(pair?.remoteCandidate?.host),
    bundlePolicy: 'max-bundle',
  };
}

export function createPeerConnection(addresses) {
  installWeriftPatches();
  const pc = new RTCPeerConnection(peerConfig(addresses));
  if (!AUDIO_NACK) withoutAnsweredNack(pc);
  return pc;
}

/**
 * werift answers with the offer's own codec entries (their a=rtcp-fb lines included), whatever
 * its configuration says: with the NACK knob off, take nack out of them once a remote offer is
 * applied, so the answer does not have it either.
 */
function withoutAnsweredNack(pc) {
  const setRemote = pc.setRemoteDescription.bind(pc);
  pc.setRemoteDescription = async (description) => {
    const result = await setRemote(description);
    for (const t of pc.getTransceivers()) {
      for (const c of t.codecs ?? []) {
        if (c.mimeType?.toLowerCase() === 'audio/opus' && Array.isArray(c.rtcpFeedback)) c.rtcpFeedback = c.rtcpFeedback.filter((f) => f.type !== 'nack');
      }
    }
    return result;
  };
}
