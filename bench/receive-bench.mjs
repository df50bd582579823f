#!/usr/bin/env node
/**
 * Receive benchmark: what it costs to receive N participants, alto vs an official-SDK subscriber.
 *
 *   node bench/receive-bench.mjs [--counts 1,8,32] [--seconds 20] [--warmup 4]
 *   (or ./run bench receive [...])
 *
 * For each N, in one run: a private headless PipeWire daemon, the dev server on 127.0.0.1, N tone
 * publishers (one process: bench/receive-publishers.mjs), and two subscribers of the same N
 * tracks from the same server — `alto join` (playing them into the graph: N participant streams,
 * the room mixer, the null sink) and an @livekit/rtc-node peer recording each track to a WAV
 * (devserver/peers/rtc-node-peer.mjs --record). After both receive every track and a warm-up,
 * over --seconds: CPU time of each subscriber process (/proc/PID/stat utime+stime) per second of
 * audio per participant, and RSS (VmRSS at the end, VmHWM). alto also reports its receive latency
 * (`alto join --stats`, exact per packet: from the RTP arrival of the newest received audio a
 * participant stream's process() gives out to that process(), as the jitter buffer reports it):
 * the median over the participants of the per-second p50 and p95.
 *
 * Prints one markdown table row per N and the ratios; nothing is asserted (bench/ only measures).
 * Every process is killed at the end (procs.mjs / testlib process groups).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipewire } from '../tests/lib/pipewire.mjs';
import { killAll } from '../tests/lib/procs.mjs';
import { startDevServer, startPeer, spawnLines, tmpDir } from '../devserver/testlib/index.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = process.env.ALTO_TOP ?? resolve(HERE, '..');
const BUILD = process.env.ALTO_BUILD ?? join(TOP, 'build');
const args = process.argv.slice(2);
const arg = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const COUNTS = arg('--counts', '1,8,32').split(',').map(Number);
const SECONDS = Number(arg('--seconds', '20'));
const WARMUP = Number(arg('--warmup', '4'));
const TICK = 100; // clock ticks per second (getconf CLK_TCK on Linux)

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime
}
function memory(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) ?? [0, 0])[1]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}
const median = (xs) => {
  const s = xs.filter((x) => x >= 0).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

async function runOnce(n) {
  const pw = await startPipewire({ name: `bench-${n}` });
  const server = await startDevServer();
  const dir = tmpDir('alto-bench-rec-');
  const room = `bench-${n}`;
  const stop = [];
  try {
    const pubs = spawnLines(process.execPath, [join(HERE, 'receive-publishers.mjs'), '--url', server.url, '--room', room,
      '--count', String(n)], { env: { ...process.env, LIVEKIT_API_SECRET: 'secret' } });
    stop.push(() => pubs.stop('SIGTERM', 8000));
    await pubs.waitFor((l) => l.includes('"publishing"'), 60_000 + 3000 * n, 'publishers');

    const stats = [];
    let streams = 0;
    let removed = 0;
    let reconnects = 0;
    const alto = spawnLines(join(BUILD, 'node', 'alto'), ['join', server.url, '--room', room, '--identity', 'alto-bench',
      '--json', '--stats', '1'], {
      env: pw.env,
      onLine: (l) => {
        if (l.includes('"participant_stream_added"')) streams++;
        else if (l.includes('"participant_stream_removed"')) { streams--; removed++; }
        else if (l.includes('"reconnecting"')) reconnects++;
        else if (l.includes('"stream_stats"')) stats.push({ at: Date.now(), ...JSON.parse(l) });
      },
    });
    stop.push(() => alto.stop('SIGINT', 8000));
    const sub = startPeer({ url: server.url, room, identity: 'sdk-bench', record: dir });
    stop.push(() => sub.stop());

    const t0 = Date.now();
    while (streams < n || sub.events.filter((e) => e.event === 'recording').length < n) {
      if (Date.now() - t0 > 60_000 + 3000 * n) {
        throw new Error(`N=${n}: alto has ${streams} streams (${removed} removed, ${reconnects} reconnects), `
          + `the SDK records ${sub.events.filter((e) => e.event === 'recording').length}; SDK stderr: ${sub.proc.stderr.slice(-1500)}`);
      }
      await sleep(200);
    }
    await sleep(WARMUP * 1000);

    const pids = { alto: alto.child.pid, sdk: sub.proc.child.pid, pipewire: pw.daemon.pid,
      server: server.proc.child.pid, publishers: pubs.child.pid };
    const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
    const start = Date.now();
    await sleep(SECONDS * 1000);
    const wall = (Date.now() - start) / 1000;
    const after = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
    const mem = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, memory(p)]));
    const cost = (k) => (after[k] - before[k]) / (wall * n); // CPU s per s of audio per participant
    const window = stats.filter((s) => s.at >= start);
    return {
      n,
      wall,
      alto: { cpu: cost('alto'), ...mem.alto },
      sdk: { cpu: cost('sdk'), ...mem.sdk },
      pipewire: { cpu: cost('pipewire') },
      serverLoad: (after.server - before.server) / wall,	// CPU s/s of the whole dev server
      publishersLoad: (after.publishers - before.publishers) / wall,
      latencyP50: median(window.map((s) => s.latency_p50_ms)),
      latencyP95: median(window.map((s) => s.latency_p95_ms)),
      underruns: Math.max(0, ...window.map((s) => s.underruns)),
      level: median(window.map((s) => s.level_ms)),
      target: median(window.map((s) => s.target_ms)),
      lost: Math.max(0, ...window.map((s) => s.lost)),
      removed,
      reconnects,
    };
  } finally {
    for (const s of stop.reverse()) await s().catch(() => {});
    await server.stop();
    await pw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (x, d = 4) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
console.log(`receive: alto join vs @livekit/rtc-node subscriber (records to WAV), same dev server, ${SECONDS} s after ${WARMUP} s warm-up`);
console.log('| N | alto CPU s/s per participant | SDK CPU s/s per participant | alto/SDK CPU | alto RSS MB (peak) | SDK RSS MB (peak) | daemon CPU s/s per participant | alto latency p50 / p95 ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
try {
  for (const n of COUNTS) {
    const r = await runOnce(n);
    console.error(`N=${r.n}: alto jitter buffers: level ${r.level} ms, target ${r.target} ms (medians), underruns ≤ ${r.underruns}, lost ≤ ${r.lost} per participant; `
      + `dev server ${f(r.serverLoad, 2)} CPU s/s, publishers ${f(r.publishersLoad, 2)} CPU s/s; `
      + `alto: ${r.reconnects} reconnects, ${r.removed} streams removed`);
    console.log(`| ${r.n} | ${f(r.alto.cpu)} | ${f(r.sdk.cpu)} | ${f(r.alto.cpu / r.sdk.cpu, 2)} | ${f(r.alto.rssMb, 1)} (${f(r.alto.hwmMb, 1)}) | ${f(r.sdk.rssMb, 1)} (${f(r.sdk.hwmMb, 1)}) | ${f(r.pipewire.cpu)} | ${f(r.latencyP50, 1)} / ${f(r.latencyP95, 1)} |`);
  }
} finally {
  await killAll();
}
