#!/usr/bin/env node
// The @livekit/rtc-node side of the send benchmark (bench/send-latency.mjs): an official-SDK
// publisher of the same audio as bench/send-feeder.c, paced like a capture device (one 10 ms
// frame every 10 ms of wall time, late frames caught up at once), so its AudioSource queue only
// holds what the SDK has not taken yet.
//   stdin "bursts N": N tone bursts (1 kHz, amplitude 0.25, 200 ms, one every 48139 samples,
//                     as the feeder), a line {"event":"onset","n":k,"t":<CLOCK_MONOTONIC ns>} per
//                     onset: t is when the frame carrying it went to captureFrame;
//   stdin "wav FILE S": FILE (48 kHz mono 16-bit) looped for S seconds: {"event":"phase",...} and
//                     {"event":"done",...} around it;
//   otherwise silence. {"event":"published","track":..} once the track is up.
//
//   node bench/send-rtcnode-pub.mjs --url U --room R --identity I
// Token minted from env LIVEKIT_API_SECRET (default the dev server's). Exit on SIGINT/SIGTERM.
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DEVSERVER = path.resolve(HERE, '..', 'devserver');
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const rtc = await import(path.join(DEVSERVER, 'node_modules/@livekit/rtc-node/dist/index.js'));
const { mintToken } = await import(path.join(DEVSERVER, 'src/token.mjs'));
const { Room, AudioSource, AudioFrame, LocalAudioTrack, TrackPublishOptions, TrackSource, dispose } = rtc;

const RATE = 48000;
const FRAME = 480; // 10 ms
const BURST = 9600;
const PERIOD = 48139;

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const emit = (event, f = {}) => process.stdout.write(`${JSON.stringify({ event, ...f })}\n`);
const now = () => process.hrtime.bigint(); // CLOCK_MONOTONIC on Linux

function readWav16(file) {
  const b = fs.readFileSync(file);
  let off = 12;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'data') return new Int16Array(b.buffer.slice(b.byteOffset + off + 8, b.byteOffset + off + 8 + size));
    off += 8 + size + (size & 1);
  }
  throw new Error(`no data chunk in ${file}`);
}

let mode = { kind: 'silence' };
let pos = 0; // samples played in the current mode

function nextFrame() {
  const out = new Int16Array(FRAME);
  let onset = -1;
  if (mode.kind === 'bursts') {
    for (let i = 0; i < FRAME; i++) {
      const p = pos + i;
      if (p >= mode.n * PERIOD) { mode = { kind: 'silence' }; break; }
      const inPeriod = p % PERIOD;
      if (inPeriod === 0) onset = p / PERIOD;
      if (inPeriod < BURST) out[i] = Math.round(0.25 * 32767 * Math.sin((2 * Math.PI * 1000 * inPeriod) / RATE));
    }
  } else if (mode.kind === 'wav') {
    for (let i = 0; i < FRAME; i++) out[i] = mode.pcm[(pos + i) % mode.pcm.length];
    if (pos + FRAME >= mode.samples) {
      mode = { kind: 'silence' };
      emit('done', { t: String(now()) });
    }
  }
  pos += FRAME;
  return { out, onset };
}

const room = new Room();
const token = await mintToken({ apiKey: process.env.LIVEKIT_API_KEY ?? 'devkey', apiSecret: process.env.LIVEKIT_API_SECRET || 'secret',
  identity: args.identity, name: args.identity, grant: { roomJoin: true, room: args.room, canPublish: true, canSubscribe: true } });
await room.connect(args.url, token, { autoSubscribe: false, dynacast: false });
const source = new AudioSource(RATE, 1);
const track = LocalAudioTrack.createAudioTrack('microphone', source);
let running = true;

// real-time pacing: frame k goes out at start + k × 10 ms
async function pace() {
  const start = now();
  let k = 0n;
  while (running) {
    const due = start + k * 10_000_000n;
    const wait = Number(due - now()) / 1e6;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { out, onset } = nextFrame();
    const t = now();
    if (onset >= 0) emit('onset', { n: onset, t: String(t) });
    await source.captureFrame(new AudioFrame(out, RATE, 1, FRAME));
    k++;
  }
}
pace();
const pub = await room.localParticipant.publishTrack(track, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
emit('published', { track: pub.sid });

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'bursts') { mode = { kind: 'bursts', n: Number(a) }; pos = 0; }
  if (cmd === 'wav') {
    const pcm = readWav16(a);
    mode = { kind: 'wav', pcm, samples: Math.round(Number(b) * RATE) };
    pos = 0;
    emit('phase', { phase: 'wav', t: String(now()) });
  }
});

async function shutdown() {
  running = false;
  try { await room.disconnect(); } catch { /* leaving anyway */ }
  try { await dispose(); } catch { /* exiting */ }
  process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
