/**
 * Connection quality, a simple stand-in for livekit-server's: every 5 s each participant's
 * quality from the loss on the audio it publishes (RTP sequence gaps seen by the server):
 * < 2 % EXCELLENT, < 10 % GOOD, else POOR; an unmuted published track with no packets in the
 * window is LOST; a participant that publishes nothing and is connected is EXCELLENT. The
 * update lists every participant of the room and goes to everyone in it.
 * Runs on the event loop; one timer per room.
 */
import { response, ConnectionQualityUpdate, ConnectionQualityInfo, ConnectionQuality } from './proto.mjs';

const UPDATE_MS = 5000;

/** Per published track: packets and highest extended sequence number in the current window. */
export class LossMeter {
  constructor() {
    this.received = 0;
    this.highest = undefined; // extended sequence number
    this.windowStart = undefined;
  }

  observe(seq) {
    this.received++;
    if (this.highest === undefined) {
      this.highest = seq;
      this.windowStart = seq - 1;
      return;
    }
    // extend the 16-bit number around the highest seen
    let ext = (this.highest & ~0xffff) | seq;
    if (ext < this.highest - 0x8000) ext += 0x10000;
    else if (ext > this.highest + 0x8000) ext -= 0x10000;
    if (ext > this.highest) this.highest = ext;
  }

  /** Close the window: {expected, received}. */
  take() {
    const expected = this.highest === undefined ? 0 : this.highest - this.windowStart;
    const r = { expected, received: this.received };
    this.windowStart = this.highest;
    this.received = 0;
    return r;
  }
}

export function qualityOf(p) {
  if (!p.primaryConnected) return { quality: ConnectionQuality.LOST, score: 0 };
  let expected = 0;
  let received = 0;
  let silent = false;
  for (const t of p.tracks.values()) {
    const w = t.loss.take();
    if (!t.info.muted && w.received === 0) silent = true;
    expected += w.expected;
    received += Math.min(w.received, w.expected);
  }
  if (silent) return { quality: ConnectionQuality.LOST, score: 0 };
  const loss = expected > 0 ? 1 - received / expected : 0;
  const score = Math.max(1, 5 - loss * 40);
  const quality = loss < 0.02 ? ConnectionQuality.EXCELLENT : loss < 0.1 ? ConnectionQuality.GOOD : ConnectionQuality.POOR;
  return { quality, score };
}

export class QualityTracker {
  constructor(room) {
    this.room = room;
    this.timer = setInterval(() => {
      try { this.tick(); } catch (e) { room.server.log(`quality: ${e.stack ?? e}`); }
    }, UPDATE_MS);
    this.timer.unref();
  }

  tick() {
    const updates = [];
    for (const p of this.room.participants.values()) {
      if (p.grants.hidden) continue;
      const { quality, score } = qualityOf(p);
      updates.push(new ConnectionQualityInfo({ participantSid: p.sid, quality, score }));
    }
    if (updates.length === 0) return;
    const msg = response('connectionQuality', new ConnectionQualityUpdate({ updates }));
    for (const q of this.room.participants.values()) q.send(msg);
  }

  stop() {
    clearInterval(this.timer);
  }
}
