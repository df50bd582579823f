/**
 * Forwarding one published track to one subscriber's werift sender.
 *
 * Every RTP packet the publisher's receiver yields is copied per subscriber: werift's sendRtp
 * rewrites SSRC, payload type, sequence number and timestamp offsets and the header extensions
 * of the packet it is given, so legs must not share one. The publisher's header extensions are
 * dropped (their ids belong to the publisher's session, not to this leg's).
 *
 * Retransmission: werift's RTCRtpSender keeps the last 128 packets it sent (as sent: SSRC,
 * sequence number, header extensions of this leg) and answers a generic NACK (RTCP RTPFB FMT 1)
 * from the subscriber by sending them again, on the same SSRC (no RTX for audio), as
 * livekit-server does for audio without RED.
 *
 * Test knob, read at startup: ALTO_DEVSERVER_FORWARD_LOSS="identity:percent[,identity:percent]"
 * drops that share of the packets forwarded to those subscribers — after werift's sender has
 * numbered and kept them, so the subscriber sees a gap and a NACK brings the packet back.
 */
import { MediaStreamTrack, RtpPacket } from 'werift';

const AUDIO_CLOCK = 48000; // Opus RTP clock

/** identity → percent of forwarded packets to drop (ALTO_DEVSERVER_FORWARD_LOSS). */
export function parseForwardLoss(text) {
  const out = new Map();
  for (const item of (text ?? '').split(',')) {
    const at = item.lastIndexOf(':');
    if (at <= 0) continue;
    const pct = Number(item.slice(at + 1));
    if (Number.isFinite(pct) && pct > 0 && pct <= 100) out.set(item.slice(0, at).trim(), pct);
  }
  return out;
}
const FORWARD_LOSS = parseForwardLoss(process.env.ALTO_DEVSERVER_FORWARD_LOSS);

/**
 * sender.sendRtp(packet) without the packet reaching the wire: werift numbers it and keeps it
 * in its history (for NACKs) before it hands it to the DTLS transport, synchronously, so the
 * transport's sendRtp is swapped for a no-op around the call. Returns whether the sender kept it.
 */
function sendLost(sender, packet) {
  const transport = sender.dtlsTransport;
  const own = Object.prototype.hasOwnProperty.call(transport, 'sendRtp');
  const original = transport.sendRtp;
  transport.sendRtp = async () => 0;
  try {
    sender.sendRtp(packet).catch(() => {});
  } finally {
    if (own) transport.sendRtp = original;
    else delete transport.sendRtp;
  }
  const seq = packet.header.sequenceNumber;
  return sender.rtpCache?.some?.((p) => p?.header?.sequenceNumber === seq) ?? false;
}

/** msid of a forwarded track, as livekit-server writes it: stream "PA_x|TR_x", track "TR_x". */
export function labelSender(sender, track) {
  sender.streamIds = [`${track.publisher.sid}|${track.sid}`];
  sender.trackId = track.sid;
}

/** Give transceiver a local track (werift needs one to answer or offer sendonly). */
export function attachTrack(transceiver, track) {
  labelSender(transceiver.sender, track);
  const local = new MediaStreamTrack({ kind: 'audio', id: track.sid });
  transceiver.sender.registerTrack(local);
  transceiver.sender.trackId = track.sid;
  return local;
}

/**
 * Start feeding track's packets to sender. Returns a function that stops it.
 *
 * Sequence numbers and timestamps are rewritten per leg so that a sender that carried another
 * track before (single-PC mode reuses receive sections) continues where it stopped: a jump
 * back in sequence numbers makes the receiver discard the new packets as old ones.
 */
export function forward(track, sender, log, subscriber) {
  let packets = 0;
  let notReady = 0;
  let dropped = 0;
  let notKept = 0;
  const loss = FORWARD_LOSS.get(subscriber) ?? 0;
  let seqOffset;
  let tsOffset;
  const leg = sender.altoLeg ?? (sender.altoLeg = { seq: undefined, ts: undefined, at: 0 });
  const sink = (rtp) => {
    if (sender.dtlsTransport?.state !== 'connected' || !sender.codec) {
      notReady++;
      return;
    }
    packets++;
    const h = rtp.header;
    const now = Date.now();
    if (seqOffset === undefined) {
      if (leg.seq === undefined) {
        seqOffset = 0;
        tsOffset = 0;
      } else {
        // continue after the last packet this sender sent, the timestamp advanced by the pause
        const gap = Math.max(960, Math.round((now - leg.at) * (AUDIO_CLOCK / 1000)));
        seqOffset = (leg.seq + 1 - h.sequenceNumber) & 0xffff;
        tsOffset = (leg.ts + gap - h.timestamp) >>> 0;
      }
    }
    // werift copies the incoming packet's header extensions by id over the ones it writes;
    // the publisher's ids mean other things on this leg (a foreign id on sdes:mid makes
    // libwebrtc drop every packet), so forward none and let the sender write its own.
    const copy = RtpPacket.deSerialize(rtp.serialize());
    copy.header.extensions = [];
    copy.header.sequenceNumber = (h.sequenceNumber + seqOffset) & 0xffff;
    copy.header.timestamp = (h.timestamp + tsOffset) >>> 0;
    leg.seq = copy.header.sequenceNumber;
    leg.ts = copy.header.timestamp;
    leg.at = now;
    if (loss > 0 && Math.random() * 100 < loss) {
      dropped++;
      if (!sendLost(sender, copy)) notKept++;
      return;
    }
    sender.sendRtp(copy).catch(() => {});
  };
  track.sinks.add(sink);
  if (loss > 0) log?.(`${track.sid}: test loss knob: dropping ${loss} % of the packets to ${subscriber}`);
  return () => {
    track.sinks.delete(sink);
    const lossNote = loss > 0 ? `, ${dropped} dropped by the test loss knob${notKept ? ` (${notKept} not kept for NACKs!)` : ''}` : '';
    log?.(`${track.sid}: forwarded ${packets} packets (${notReady} before the leg was ready${lossNote}); ` +
      `NACKs ${sender.nackCount ?? 0}, retransmitted ${sender.retransmittedPacketsSent ?? 0}`);
  };
}
