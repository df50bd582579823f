/**
 * Forwarding one published track to one subscriber's werift sender.
 *
 * Every RTP packet the publisher's receiver yields is copied per subscriber: werift's sendRtp
 * rewrites SSRC, payload type, sequence number and timestamp offsets and the header extensions
 * of the packet it is given, so legs must not share one. The publisher's header extensions are
 * dropped (their ids belong to the publisher's session, not to this leg's).
 */
import { MediaStreamTrack, RtpPacket } from 'werift';

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

/** Start feeding track's packets to sender. Returns a function that stops it. */
export function forward(track, sender, log) {
  let packets = 0;
  let notReady = 0;
  const sink = (rtp) => {
    if (sender.dtlsTransport?.state !== 'connected' || !sender.codec) {
      notReady++;
      return;
    }
    packets++;
    // werift copies the incoming packet's header extensions by id over the ones it writes;
    // the publisher's ids mean other things on this leg (a foreign id on sdes:mid makes
    // libwebrtc drop every packet), so forward none and let the sender write its own.
    const copy = RtpPacket.deSerialize(rtp.serialize());
    copy.header.extensions = [];
    sender.sendRtp(copy).catch(() => {});
  };
  track.sinks.add(sink);
  return () => {
    track.sinks.delete(sink);
    log?.(`${track.sid}: forwarded ${packets} packets (${notReady} before the leg was ready)`);
  };
}
