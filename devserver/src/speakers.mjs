/**
 * Active speakers, from the ssrc-audio-level header extension (RFC 6464) publishers put on
 * their audio packets, as livekit-server does it in spirit: every 400 ms a participant whose
 * loudest unmuted track had at least 40 % of its packets in the window louder than -35 dBov
 * (smoothed over two windows) is active. Only changes are sent: SpeakersChanged lists the
 * participants that became active (with their level, 0..1) or inactive (level 0). A participant
 * who joins gets the speakers active at that moment, as livekit-server's Room.Join does, or it
 * would not learn of someone who was already talking until they paused.
 * Runs on the event loop; one timer per room while it has publishers.
 */
import { response, SpeakersChanged, SpeakerInfo } from './proto.mjs';

export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';
const UPDATE_MS = 400;
const ACTIVE_DBOV = 35;
const MIN_FRACTION = 0.4;

/** Per published track: what its packets said during the current window. */
export class LevelMeter {
  constructor() {
    this.loud = 0;
    this.total = 0;
    this.sumLinear = 0;
    this.smoothed = 0;
  }

  /** dBov: 0 (loudest) .. 127 (silence), from one packet. */
  observe(dbov) {
    this.total++;
    if (dbov <= ACTIVE_DBOV) this.loud++;
    this.sumLinear += 10 ** (-dbov / 20);
  }

  /** Close the window: the smoothed level (0..1) if the track counted as active, else 0. */
  take() {
    const active = this.total > 0 && this.loud / this.total >= MIN_FRACTION;
    const level = active ? this.sumLinear / this.total : 0;
    this.smoothed = (this.smoothed + level) / 2;
    this.loud = 0;
    this.total = 0;
    this.sumLinear = 0;
    return active ? this.smoothed : 0;
  }
}

/** The id the sender uses for ssrc-audio-level on a werift transceiver, if negotiated. */
export function audioLevelId(transceiver) {
  return transceiver?.headerExtensions?.find((e) => e.uri === AUDIO_LEVEL_URI)?.id;
}

/** The dBov an RTP packet carries in extension id, or undefined. */
export function packetLevel(rtp, id) {
  if (id === undefined) return undefined;
  const ext = rtp.header.extensions?.find((e) => e.id === id);
  if (!ext || !ext.payload || ext.payload.length < 1) return undefined;
  return ext.payload[0] & 0x7f;
}

export class SpeakerTracker {
  constructor(room) {
    this.room = room;
    /** participant sid -> level last announced (>0 active) */
    this.active = new Map();
    this.timer = setInterval(() => {
      try { this.tick(); } catch (e) { room.server.log(`speakers: ${e.stack ?? e}`); }
    }, UPDATE_MS);
    this.timer.unref();
  }

  tick() {
    const changes = [];
    const seen = new Set();
    for (const p of this.room.participants.values()) {
      let level = 0;
      for (const t of p.tracks.values()) {
        const l = t.meter.take();
        if (!t.info.muted && l > level) level = l;
      }
      seen.add(p.sid);
      const was = this.active.get(p.sid) ?? 0;
      if (level > 0) {
        this.active.set(p.sid, level);
        if (!was) changes.push(new SpeakerInfo({ sid: p.sid, level, active: true }));
      } else if (was) {
        this.active.delete(p.sid);
        changes.push(new SpeakerInfo({ sid: p.sid, level: 0, active: false }));
      }
    }
    for (const sid of [...this.active.keys()]) if (!seen.has(sid)) this.active.delete(sid);
    if (changes.length === 0) return;
    const msg = response('speakersChanged', new SpeakersChanged({ speakers: changes }));
    for (const q of this.room.participants.values()) q.send(msg);
  }

  /** Tell one (newly joined) participant who is speaking now. */
  sendCurrentTo(participant) {
    const speakers = [...this.active].filter(([sid]) => sid !== participant.sid)
      .map(([sid, level]) => new SpeakerInfo({ sid, level, active: true }));
    if (speakers.length === 0) return;
    participant.send(response('speakersChanged', new SpeakersChanged({ speakers })));
  }

  stop() {
    clearInterval(this.timer);
  }
}
