#!/usr/bin/env node
// `./run demo`: alto's parts shown working together on a private PipeWire graph.
//
// The demo is a list of steps (STEPS below), each { title, run(ctx) } where ctx carries what
// earlier steps made (ctx.pw, ctx.mixer, ...). Steps print what a user would look at: the graph,
// the levels. Everything started is torn down at the end, on an error, and on Ctrl-C (the
// process-group bookkeeping in tests/lib/procs.mjs kills whatever is left).
//
// Today: the room mixer (alto.mixer) with two tone "participants". To come: the dev server,
// talking official-SDK peers, `alto join` — add steps, keep each one short and printing.
//
// Options: --hold   keep the graph running after the steps until Ctrl-C (and print how to
//                   inspect it with pw-dump / pw-link from another shell)
//          --seconds N   length of the recording (default 3)

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startPipewire, spaJson, BUILD } from './lib/pipewire.mjs';
import { readWav, slice, steadyToneLevel, rmsDb } from './lib/audio.mjs';
import { killAll } from './lib/procs.mjs';

const args = process.argv.slice(2);
const opt = {
  hold: args.includes('--hold'),
  seconds: Number(args[args.indexOf('--seconds') + 1]) || 3,
};

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const indent = (text, n = 4) => text.split('\n').map((l) => ' '.repeat(n) + l).join('\n');

// Two "participants" playing tones into the room mixer.
const PARTICIPANTS = [
  { input: 'alice', freq: 440, amplitude: 0.25 },
  { input: 'bob', freq: 660, amplitude: 0.125 },
];

const STEPS = [
  {
    title: 'Start a private PipeWire daemon (headless: Dummy-Driver, null sink ci-sink)',
    async run(ctx) {
      ctx.pw = await startPipewire({ name: 'demo' });
      console.log(dim(`    runtime dir ${ctx.pw.dir}`));
    },
  },
  {
    title: 'Create the room mixer: pw-cli create-node spa-node-factory factory.name=alto.mixer',
    async run(ctx) {
      const plugin = join(BUILD, 'spa-plugin', 'alto', 'libspa-alto.so');
      if (!existsSync(plugin)) throw new Error(`the mixer plugin is not built (${plugin}); run ./run build`);
      ctx.mixer = await ctx.pw.createNode({
        'factory.name': 'alto.mixer',
        'node.name': 'alto-demo-room',
        'node.description': 'LiveKit: demo',
        'audio.position': '[ FL FR ]',
      }, { outputs: 2 });
      ctx.mixerOutputs = ctx.mixer.ports.filter((p) => p.direction === 'out').map((p) => p.name);
      console.log(`    node ${ctx.mixer.id} ${ctx.mixer.name}, outputs ${ctx.mixerOutputs.join(' ')}`);
    },
  },
  {
    title: 'Add one mixer input per participant and play a tone into each',
    async run(ctx) {
      ctx.players = [];
      for (const p of PARTICIPANTS) {
        await ctx.pw.setParam(ctx.mixer.id, 'Props', spaJson({ params: ['alto.add-input', p.input] }));
        const node = await ctx.pw.waitNode(ctx.mixer.name, { inputs: 2 * (ctx.players.length + 1) });
        const ins = node.ports.filter((q) => q.direction === 'in' && q.props['alto.input'] === p.input).map((q) => q.name);
        const player = await ctx.pw.play({ freq: p.freq, amplitude: p.amplitude, seconds: 600 }, { nodeName: `tone-${p.input}`, to: ins });
        ctx.players.push(player);
        console.log(`    ${p.input}: ${p.freq} Hz at ${(20 * Math.log10(p.amplitude)).toFixed(2)} dBFS → ${ins.join(' ')}`);
      }
    },
  },
  {
    title: 'Route the mix on to the sink (what alto does with the default sink)',
    async run(ctx) {
      await ctx.pw.linkNode(ctx.mixer.name, 'ci-sink');
    },
  },
  {
    title: 'The graph',
    async run(ctx) {
      console.log(indent(await ctx.pw.describeGraph()));
    },
  },
  {
    title: `Record ${opt.seconds} s of the mix and measure each tone`,
    async run(ctx) {
      const file = await ctx.pw.record(opt.seconds, { from: ctx.mixerOutputs, nodeName: 'demo-recorder' });
      const wav = readWav(file);
      wav.channels.forEach((c, i) => {
        const s = slice(c, { from: 0.3 });
        const tones = PARTICIPANTS.map((p) => {
          const got = steadyToneLevel(s, p.freq);
          const want = 20 * Math.log10(p.amplitude);
          return `${p.input} ${p.freq} Hz ${got.toFixed(2)} dBFS (played ${want.toFixed(2)})`;
        });
        console.log(`    ${ctx.mixerOutputs[i]}: ${tones.join(', ')}; total rms ${rmsDb(s).toFixed(2)} dB`);
      });
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
      console.log(bold('\nHolding the graph; Ctrl-C ends the demo. From another shell:'));
      console.log(`    export XDG_RUNTIME_DIR=${ctx.pw.dir}; pw-link -l; pw-dump | less`);
      await new Promise(() => {}); // until SIGINT (procs.mjs tears down and exits)
    }
  } catch (e) {
    failed = e;
  } finally {
    console.log(bold('Tearing down'));
    await ctx.pw?.stop();
    await killAll();
  }
  if (failed) {
    console.error(`demo failed: ${failed.message}`);
    process.exit(1);
  }
  console.log(dim(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`));
}

main();
