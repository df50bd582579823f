#!/usr/bin/env node
// `./run demo`: a real LiveKit room in a private PipeWire graph.
//
// The local dev server, three official-SDK (@livekit/rtc-node) peers talking in a room — two tones
// and espeak-ng speech —, `alto join` playing the room into the graph (one stream per participant,
// each linked to its own input of the room mixer, the mix on to the sink), the graph printed, and
// a few seconds of the room recorded to a WAV with each participant's level.
//
// The demo is a list of steps (STEPS below), each { title, run(ctx) } where ctx carries what
// earlier steps made. Everything started is torn down at the end, on an error, and on Ctrl-C (the
// process-group bookkeeping in tests/lib/procs.mjs kills whatever is left).
//
// Options: --hold        keep the room running after the steps until Ctrl-C (and print how to look
//                        at it with pw-dump / pw-link / pactl from another shell)
//          --seconds N   length of the recording (default 5)
//          --legacy      alto uses LiveKit's legacy two-PeerConnection protocol

import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipewire, BUILD } from './lib/pipewire.mjs';
import { readWav, slice, steadyToneLevel, rmsDb, peak } from './lib/audio.mjs';
import { killAll, run } from './lib/procs.mjs';
import { startDevServer, startPeer, spawnLines } from '../devserver/testlib/index.mjs';

const args = process.argv.slice(2);
const opt = {
  hold: args.includes('--hold'),
  legacy: args.includes('--legacy'),
  seconds: Number(args[args.indexOf('--seconds') + 1]) || 5,
};

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const indent = (text, n = 4) => text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');
const db = (x) => `${x.toFixed(1)} dBFS`;

const ROOM = 'demo';
const SPEECH = 'Hello from the LiveKit room. Every participant is a stream in your PipeWire graph, '
  + 'with its own volume, and the room is one mixer.';
// the talking peers: tones are easy to measure in the mix, speech is what rooms are for
const PEERS = [
  { identity: 'alice', name: 'Alice', tone: 440, amplitude: 0.25 },
  { identity: 'bob', name: 'Bob', speech: SPEECH },
  { identity: 'carol', name: 'Carol', tone: 660, amplitude: 0.125 },
];

/** Levels of one recorded channel: a tone by its Goertzel level, anything by RMS and peak. */
function describe(samples, p) {
  const parts = [];
  if (p.tone) {
    // the participant stream corrects clock drift by resampling: search ±0.6 % around the tone
    let best = -Infinity;
    for (let f = p.tone * 0.994; f <= p.tone * 1.006; f += p.tone * 0.0005) best = Math.max(best, steadyToneLevel(samples, f));
    parts.push(`${p.tone} Hz tone ${db(best)} (sent ${db(20 * Math.log10(p.amplitude))})`);
  }
  parts.push(`rms ${rmsDb(samples).toFixed(1)} dB`, `peak ${db(20 * Math.log10(Math.max(peak(samples), 1e-12)))}`);
  return parts.join(', ');
}

const STEPS = [
  {
    title: 'Start a private PipeWire daemon (headless: Dummy-Driver, null sink ci-sink) and pipewire-pulse',
    async run(ctx) {
      ctx.pw = await startPipewire({ name: 'demo', pulse: true });
      ctx.out = mkdtempSync(join(tmpdir(), 'alto-demo-out-'));
      console.log(dim(`    runtime dir ${ctx.pw.dir}`));
    },
  },
  {
    title: 'Start the LiveKit dev server (devserver/, werift SFU)',
    async run(ctx) {
      ctx.server = await startDevServer();
      console.log(`    ${ctx.server.url}`);
    },
  },
  {
    title: `Three official-SDK peers join room "${ROOM}" and talk (two tones, espeak-ng speech)`,
    async run(ctx) {
      const speech = join(ctx.out, 'bob-speech.wav');
      const raw = join(ctx.out, 'bob-speech-22k.wav');
      await run('espeak-ng', ['-w', raw, SPEECH]);
      await run('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', speech]);
      ctx.peers = PEERS.map((p) => startPeer({
        url: ctx.server.url, room: ROOM, identity: p.identity, name: p.name,
        tone: p.tone, amplitude: p.amplitude, wav: p.speech ? speech : undefined,
      }));
      for (const [i, p] of ctx.peers.entries()) {
        await p.waitEvent('publishing', undefined, 90_000);
        const what = PEERS[i].tone ? `a ${PEERS[i].tone} Hz tone` : `speech ("${SPEECH.slice(0, 40)}...")`;
        console.log(`    ${PEERS[i].name} (${PEERS[i].identity}) publishes ${what}`);
      }
    },
  },
  {
    title: `alto joins the room: ${opt.legacy ? 'alto join --legacy' : 'alto join'} ${ROOM}`,
    async run(ctx) {
      const bin = join(BUILD, 'node', 'alto');
      if (!existsSync(bin)) throw new Error(`alto is not built (${bin}); run ./run build`);
      const a = ['join', ctx.server.url, '--room', ROOM, '--identity', 'alto-demo', '--name', 'alto', '--json'];
      if (opt.legacy) a.push('--legacy');
      ctx.events = [];
      ctx.alto = spawnLines(bin, a, {
        env: ctx.pw.env,
        onLine: (l) => {
          let e;
          try { e = JSON.parse(l); } catch { return; }
          ctx.events.push(e);
          if (['speakers', 'quality'].includes(e.event)) return;
          const who = e.participant?.identity ? ` ${e.participant.identity}` : '';
          const extra = e.node_name ? ` → node ${e.node_id} ${e.node_name}${e.mixer_input ? `, mixer input ${e.mixer_input}` : ''}`
            : e.event === 'mixer_output' ? ` → ${e.target}` : e.event === 'joined' ? ` (${e.mode}, ${e.participants.length} others)` : '';
          console.log(dim(`    alto: ${e.event}${who}${extra}`));
        },
      });
      for (const p of PEERS) {
        await ctx.alto.waitFor((l) => l.includes('"participant_stream_added"') && l.includes(`"identity":"${p.identity}"`),
          60_000, `${p.identity}'s stream`);
      }
      await sleep(2000); // let the jitter buffers settle before we listen
    },
  },
  {
    title: 'The graph (pw-dump): one stream per participant, each on its own mixer input, the mix on the sink',
    async run(ctx) {
      console.log(indent(await ctx.pw.describeGraph()));
      const inputs = JSON.parse((await ctx.pw.run('pactl', ['-f', 'json', 'list', 'sink-inputs'])).stdout);
      const sinks = JSON.parse((await ctx.pw.run('pactl', ['-f', 'json', 'list', 'sinks'])).stdout);
      const room = sinks.find((s) => s.name === `alto.${ROOM}`);
      console.log(bold('    what pavucontrol shows (pactl):'));
      console.log(`    Output device "${room?.description}"`);
      for (const i of inputs.filter((x) => x.sink === room?.index)) {
        console.log(`      playback stream "${i.properties['media.name']}" (${i.properties['node.name']}), volume ${i.volume?.mono?.value_percent ?? Object.values(i.volume ?? {})[0]?.value_percent}`);
      }
    },
  },
  {
    title: `Record ${opt.seconds} s of the room and measure each participant`,
    async run(ctx) {
      const mix = await ctx.pw.startRecording({ from: [`alto.${ROOM}:output_FL`, `alto.${ROOM}:output_FR`], file: join(ctx.out, 'room.wav'), nodeName: 'demo-room' });
      const each = await ctx.pw.startRecording({ from: PEERS.map((p) => `alto.${ROOM}.${p.identity}:output_MONO`), file: join(ctx.out, 'participants.wav'), nodeName: 'demo-each' });
      await sleep(opt.seconds * 1000);
      const room = readWav(await mix.stop());
      const parts = readWav(await each.stop());
      console.log(`    the room: ${join(ctx.out, 'room.wav')} (${room.seconds.toFixed(1)} s, stereo)`);
      for (const [i, p] of PEERS.entries()) {
        console.log(`    ${p.name.padEnd(6)} own stream: ${describe(slice(parts.channels[i], { from: 0.3 }), p)}`);
      }
      const left = slice(room.channels[0], { from: 0.3 });
      const tones = PEERS.filter((p) => p.tone).map((p) => `${p.name} ${describe(left, { tone: p.tone, amplitude: p.amplitude }).split(',')[0]}`);
      console.log(`    in the mix (left): ${tones.join('; ')}; total rms ${rmsDb(left).toFixed(1)} dB`);
    },
  },
];

async function main() {
  const ctx = {};
  const t0 = Date.now();
  let failed = null;
  try {
    for (const [i, step] of STEPS.entries()) {
      console.log(bold(`[${i + 1}/${STEPS.length}] ${step.title}`));
      await step.run(ctx);
    }
    if (opt.hold && ctx.pw) {
      console.log(bold('\nThe room keeps talking; Ctrl-C ends the demo. From another shell:'));
      console.log(`    export XDG_RUNTIME_DIR=${ctx.pw.dir} PULSE_SERVER=unix:${ctx.pw.dir}/pulse/native`);
      console.log('    pw-link -l; pw-dump | less; pactl list sink-inputs; pavucontrol');
      await new Promise(() => {}); // until SIGINT (procs.mjs tears down and exits)
    }
  } catch (e) {
    failed = e;
  } finally {
    console.log(bold('Tearing down'));
    if (ctx.alto) await ctx.alto.stop('SIGINT');
    for (const p of ctx.peers ?? []) await p.stop().catch(() => {});
    await ctx.server?.stop();
    await ctx.pw?.stop();
    await killAll();
  }
  if (failed) {
    console.error(`demo failed: ${failed.message}`);
    process.exit(1);
  }
  console.log(dim(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s; recordings in ${ctx.out}`));
}

main();
