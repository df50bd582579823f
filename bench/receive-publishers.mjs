#!/usr/bin/env node
/**
 * N official-SDK (@livekit/rtc-node) participants in ONE process, each publishing a tone, for the
 * receive benchmark (bench/receive-bench.mjs): one process instead of N keeps the publishing side
 * light enough for 32 participants on a small machine.
 *
 *   node bench/receive-publishers.mjs --url ws://127.0.0.1:7880 --room R --count N [--prefix pub]
 *
 * Participant i is `<prefix>-<i>` and sends a sine of 300 + 20·i Hz at amplitude 0.25 in 20 ms
 * frames. The token comes from LIVEKIT_API_SECRET (default `secret`), key devkey. Prints
 * {"event":"publishing","count":N} once every track is published, then runs until SIGINT/SIGTERM.
 * Thread: Node's main thread (the SDK's Rust core runs its own threads).
 */
import { mintToken } from '../devserver/src/token.mjs';

if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const { Room, AudioSource, AudioFrame, LocalAudioTrack, TrackPublishOptions, TrackSource, dispose } =
  await import('../devserver/node_modules/@livekit/rtc-node/dist/index.js');

const RATE = 48000;
const FRAME = 960; // 20 ms per captureFrame: half the JS work of 10 ms frames, same Opus packets
const args = process.argv.slice(2);
const arg = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const url = arg('--url');
const room = arg('--room');
const count = Number(arg('--count', '1'));
const prefix = arg('--prefix', 'pub');
if (!url || !room || !(count >= 1)) {
  process.stderr.write('usage: receive-publishers.mjs --url U --room R --count N [--prefix P]\n');
  process.exit(2);
}

let running = true;
const rooms = [];

async function publisher(i) {
  const identity = `${prefix}-${i}`;
  const token = await mintToken({ apiKey: 'devkey', apiSecret: process.env.LIVEKIT_API_SECRET || 'secret', identity,
    grant: { roomJoin: true, room, canPublish: true, canSubscribe: false, canPublishData: true } });
  const r = new Room();
  rooms.push(r);
  await r.connect(url, token, { autoSubscribe: false, dynacast: false });
  const source = new AudioSource(RATE, 1);
  const track = LocalAudioTrack.createAudioTrack('microphone', source);
  const freq = 300 + 20 * i;
  let phase = 0;
  (async () => {
    while (running) {
      const out = new Int16Array(FRAME);
      const step = (2 * Math.PI * freq) / RATE;
      for (let k = 0; k < FRAME; k++) {
        out[k] = Math.round(Math.sin(phase) * 0.25 * 32767);
        phase += step;
        if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
      }
      try { await source.captureFrame(new AudioFrame(out, RATE, 1, FRAME)); } catch { await new Promise((s) => setTimeout(s, 10)); }
    }
  })();
  await r.localParticipant.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
}

async function shutdown() {
  running = false;
  const force = setTimeout(() => process.exit(0), 5000);
  force.unref();
  for (const r of rooms) await r.disconnect().catch(() => {});
  await dispose().catch(() => {});
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

// a few at a time: the dev server renegotiates for every newcomer
for (let i = 0; i < count; i += 4) {
  await Promise.all(Array.from({ length: Math.min(4, count - i) }, (_, k) => publisher(i + k)));
}
process.stdout.write(`${JSON.stringify({ event: 'publishing', count })}\n`);
