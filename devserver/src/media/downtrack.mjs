/**
 * Forwarding one published track to one subscriber's werift sender.
 *
 * Every RTP packet the publisher's receiver yields is copied per subscriber: werift's sendRtp
 * rewrites SSRC, payload type, sequence number and timestamp offsets and the header extensions
 * of the packet it is given, so legs must not share one. The publisher's header extensions are
 * dropped (their ids belong to the publisher's session, not to this leg's).
 */
import { MediaStreamTrack, RtpPacket } from 'werift';

const AUDIO_CLOCK = 48000; // Opus RTP clock

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
export function forward(track, sender, log) {
  let packets = 0;
  let notReady = 0;
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
    sender.sendRtp(copy).catch(() => {});
  };
  track.sinks.add(sink);
  return () => {
    track.sinks.delete(sink);
    log?.(`${track.sid}: forwarded ${packets} packets (${notReady} before the leg was ready)`);
  };
}
