#!/usr/bin/env node
// The send benchmark (## Send in bench/README.md): alto against an @livekit/rtc-node publisher
// of the same audio, in the same run, on the same machine, into the same dev server room.
//
//   capture → RTP on the wire: tone bursts go into each publisher (alto: bench/send-feeder.c
//   linked into alto's send stream in a private PipeWire graph; rtc-node: bench/send-rtcnode-pub.mjs
//   paced in real time); each onset's capture time is when its buffer was handed over (alto: the
//   start of the graph cycle that carries it; rtc-node: the captureFrame call of its 10 ms
//   frame). bench/send-wire.c sees every RTP packet leave (kernel timestamp on lo) and reads the
//   ssrc-audio-level extension in the clear: the first loud packet after an onset is the one
//   carrying it. p50/p95 over the bursts.
//
//   CPU per second of audio: both publish the same looped espeak-ng speech at once; utime+stime
//   of each whole process (/proc/PID/stat) over the same wall-clock window. alto: capture
//   stream, encoder, SRTP, ICE, signaling; rtc-node: Node.js + the SDK's Rust core and libwebrtc.
//   Neither subscribes to anything.
//
//   node bench/send-latency.mjs [--bursts 40] [--seconds 20] [--markdown]   (root: AF_PACKET)
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipewire } from '../tests/lib/pipewire.mjs';
import { killAll, run, waitFor } from '../tests/lib/procs.mjs';
import { startDevServer, spawnLines, tmpDir } from '../devserver/testlib/index.mjs';
import { startAlto } from '../tests/integration/signaling-helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = resolve(HERE, '..');
const BUILD = process.env.ALTO_BUILD || join(TOP, 'build');
const opt = { bursts: 40, seconds: 20, markdown: false };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--bursts') opt.bursts = Number(process.argv[++i]);
  else if (a === '--seconds') opt.seconds = Number(process.argv[++i]);
  else if (a === '--markdown') opt.markdown = true;
  else { console.error('usage: send-latency.mjs [--bursts N] [--seconds S] [--markdown]'); process.exit(2); }
}

const TICK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14, 15)
}
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (ns) => Number(ns) / 1e6;

/** The ssrc-audio-level element id of a stream: the one-byte element whose value swings. */
function levelId(packets) {
  const ids = new Map();
  for (const p of packets) for (const [id, v] of Object.entries(p.ext)) {
    const s = ids.get(id) ?? { lo: 255, hi: 0 };
    s.lo = Math.min(s.lo, v & 0x7f); s.hi = Math.max(s.hi, v & 0x7f);
    ids.set(id, s);
  }
  for (const [id, s] of ids) if (s.lo < 60 && s.hi >= 100) return id;
  return null;
}

/** For each onset (capture ns), the wire time of the first loud packet after it, per SSRC. */
function latencies(onsets, packets) {
  const bySsrc = new Map();
  for (const p of packets) { if (!bySsrc.has(p.ssrc)) bySsrc.set(p.ssrc, []); bySsrc.get(p.ssrc).push(p); }
  const loud = new Map();
  for (const [ssrc, list] of bySsrc) {
    const id = levelId(list);
    if (id) loud.set(ssrc, list.filter((p) => p.ext[id] !== undefined && (p.ext[id] & 0x7f) < 90));
  }
  // which stream carries this publisher's bursts: the one loud soonest after most onsets
  const votes = new Map();
  for (const t of onsets) {
    let best = null;
    for (const [ssrc, list] of loud) {
      const q = list.find((p) => p.t > t && p.t < t + 600_000_000n);
      if (q && (!best || q.t < best.t)) best = { ssrc, t: q.t };
    }
    if (best) votes.set(best.ssrc, (votes.get(best.ssrc) ?? 0) + 1);
  }
  const ssrc = [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (ssrc === undefined) return { ssrc: null, values: [] };
  const list = loud.get(ssrc);
  const values = [];
  for (const t of onsets) {
    const q = list.find((p) => p.t > t && p.t < t + 600_000_000n);
    if (q) values.push(ms(q.t - t));
  }
  return { ssrc, values };
}

const dir = tmpDir('alto-send-bench-');
let pw;
let server;
const procs = [];
try {
  const raw = join(dir, 's22.wav');
  const wav = join(dir, 'speech.wav');
  await run('espeak-ng', ['-w', raw, 'The quick brown fox jumps over the lazy dog, while alto talks to the room. ' +
    'Every good boy deserves fudge, and the five boxing wizards jump quickly.']);
  await run('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', wav, 'gain', '-n', '-3']);

  pw = await startPipewire({ name: 'send-bench' });
  server = await startDevServer();
  const room = 'send-bench';

  const packets = [];
  const wire = spawnLines(join(BUILD, 'bench', 'send-wire'), [], {
    onLine: (l) => { try { const p = JSON.parse(l); p.t = BigInt(p.t); packets.push(p); } catch { /* partial */ } },
  });
  procs.push(wire);
  await sleep(300);
  if (wire.child.exitCode !== null) throw new Error(`send-wire: ${wire.stderr}`);

  const pubEvents = [];
  const pub = spawnLines(process.execPath, [join(HERE, 'send-rtcnode-pub.mjs'), '--url', server.url, '--room', room,
    '--identity', 'rtc-node'], { onLine: (l) => { try { pubEvents.push(JSON.parse(l)); } catch { /* SDK log */ } } });
  procs.push(pub);
  await pub.waitFor((l) => l.includes('"published"'), 90_000, 'the rtc-node track');

  const alto = startAlto([server.url, '--room', room, '--identity', 'alto', '--no-auto-subscribe'], { env: pw.env });
  procs.push(alto.proc);
  const stream = await alto.waitEvent('send_stream', undefined, 30_000);
  await alto.waitEvent('published', undefined, 30_000);
  await sleep(2000); // the publisher connections settle

  const feedEvents = [];
  const feeder = spawnLines(join(BUILD, 'bench', 'send-feeder'), ['--bursts', String(opt.bursts), '--wav', wav,
    '--seconds', String(opt.seconds)], { env: pw.env, onLine: (l) => { try { feedEvents.push(JSON.parse(l)); } catch { /* */ } } });
  procs.push(feeder);
  await pw.waitNode('bench-feeder', { outputs: 1 });
  await pw.link('bench-feeder:output_MONO', `${stream.node_name}:input_MONO`);

  // rtc-node's bursts half a period after alto's
  await feeder.waitFor((l) => l.includes('"onset"'), 15_000, 'the first onset');
  await sleep(500);
  pub.child.stdin.write(`bursts ${opt.bursts}\n`);

  // speech for both at once: the CPU window
  await feeder.waitFor((l) => l.includes('"phase"'), (opt.bursts + 30) * 1000, 'the speech phase');
  pub.child.stdin.write(`wav ${wav} ${opt.seconds}\n`);
  await sleep(1000);
  const altoPid = alto.proc.child.pid;
  const pubPid = pub.child.pid;
  const c0 = { alto: cpuSeconds(altoPid), rtc: cpuSeconds(pubPid), t: process.hrtime.bigint() };
  await sleep((opt.seconds - 2) * 1000);
  const c1 = { alto: cpuSeconds(altoPid), rtc: cpuSeconds(pubPid), t: process.hrtime.bigint() };
  await feeder.waitFor((l) => l.includes('"done"'), 30_000, 'the feeder to finish');
  await sleep(500);

  const wall = Number(c1.t - c0.t) / 1e9;
  const altoOnsets = feedEvents.filter((e) => e.event === 'onset').map((e) => BigInt(e.t));
  const rtcOnsets = pubEvents.filter((e) => e.event === 'onset').map((e) => BigInt(e.t));
  const a = latencies(altoOnsets, packets);
  const r = latencies(rtcOnsets, packets);
  const row = (name, l, cpu) => ({
    name, bursts: l.values.length, p50: pct(l.values, 0.5), p95: pct(l.values, 0.95), min: Math.min(...l.values),
    max: Math.max(...l.values), cpuMsPerS: (cpu * 1000) / wall,
  });
  const rows = [row('alto (send stream → encoder → SRTP)', a, c1.alto - c0.alto),
    row('@livekit/rtc-node 1.1.0 (AudioSource.captureFrame)', r, c1.rtc - c0.rtc)];
  const machine = `${spawnSync('sh', ['-c', "lscpu | sed -n 's/^Model name: *//p' | head -1"], { encoding: 'utf8' }).stdout.trim()}, ` +
    `${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()} cores, load ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ')}`;
  if (opt.markdown) {
    console.log(`machine: ${machine}; ${opt.bursts} bursts each, ${wall.toFixed(1)} s of speech\n`);
    console.log('| publisher | onsets matched | capture → wire p50 (ms) | p95 (ms) | min–max (ms) | process CPU (ms per s of audio) |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const x of rows) {
      console.log(`| ${x.name} | ${x.bursts}/${opt.bursts} | ${x.p50?.toFixed(1)} | ${x.p95?.toFixed(1)} | ${x.min.toFixed(1)}–${x.max.toFixed(1)} | ${x.cpuMsPerS.toFixed(1)} |`);
    }
  } else {
    console.log(JSON.stringify({ machine, wall, rows }, null, 2));
  }
} finally {
  for (const p of procs.reverse()) await p.stop('SIGTERM').catch(() => {});
  await server?.stop();
  await pw?.stop();
  await killAll();
  rmSync(dir, { recursive: true, force: true });
}
