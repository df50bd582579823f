// Generic NACK (RFC 4585) on the receive path, through the real path: an rtc-node peer publishes
// a tone through the dev server, which drops 10 % of the packets it forwards to alto (its test
// loss knob, ALTO_DEVSERVER_FORWARD_LOSS: dropped after werift's sender numbered and kept them).
// Two altos listen at once, each in its own PipeWire daemon, with the same loss: one asks for
// the lost packets again (the default), one was started with --no-nack. The one that asks gets
// them retransmitted (its stats and the server's log say so) and plays clearly fewer concealed
// 20 ms blocks of the tone; both play it at its level. A server that does not negotiate NACK
// (ALTO_DEVSERVER_AUDIO_NACK=0) is never sent one.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll, waitFor } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { readWav, slice } from '../lib/audio.mjs';
import { TONE_DBFS, toneLevelNear, joinRoom, waitStreams } from './receive-helpers.mjs';

const FREQ = 440;
const LOSS = 10; // % of the packets forwarded to each listener
const RECORD_S = 8;
const BLOCK = 960; // 20 ms at 48 kHz: one Opus packet

/**
 * How clean one block of a tone is: the energy of the best least-squares sinusoid near freq
 * (±0.6 %, the drift correction's range) against what is left, in dB. A decoded 32 kb/s Opus
 * tone is 35-55 dB; a concealed packet (PLC), a click or a gap is far below.
 */
function blockSnr(x, freq) {
  let best = -Infinity;
  for (let k = -6; k <= 6; k++) {
    const w = (2 * Math.PI * freq * (1 + k * 0.001)) / 48000;
    let cc = 0; let ss = 0; let cs = 0; let xc = 0; let xs = 0; let xx = 0;
    for (let i = 0; i < x.length; i++) {
      const c = Math.cos(w * i); const s = Math.sin(w * i);
      cc += c * c; ss += s * s; cs += c * s; xc += x[i] * c; xs += x[i] * s; xx += x[i] * x[i];
    }
    const det = cc * ss - cs * cs;
    const a = (xc * ss - xs * cs) / det; const b = (xs * cc - xc * cs) / det;
    const fit = a * xc + b * xs;
    best = Math.max(best, 10 * Math.log10(Math.max(fit, 1e-20) / Math.max(xx - fit, 1e-20)));
  }
  return best;
}

/** 20 ms blocks whose tone is broken (concealed, clicked, missing): SNR under 30 dB. */
function brokenBlocks(samples) {
  const out = [];
  for (let i = 0; i + BLOCK <= samples.length; i += BLOCK) {
    const snr = blockSnr(samples.subarray(i, i + BLOCK), FREQ);
    if (snr < 30) out.push({ at: (i / 48000).toFixed(2), snr: snr.toFixed(1) });
  }
  return out;
}

/** The dev server's line about the leg of track sid to identity, printed when the leg stops. */
async function legLine(server, identity, sid) {
  let line;
  const find = () => (line = server.stderr.split('\n').find((l) => l.includes(`/${identity} `) && l.includes(`${sid}: forwarded `)));
  await waitFor(find, { timeout: 15_000 }).catch(() => {
    const about = server.stderr.split('\n').filter((l) => l.includes(`/${identity} `)).slice(-15).join('\n');
    assert.fail(`no forwarding line for ${identity} from the dev server; its last lines about ${identity}:\n${about}`);
  });
  const m = /forwarded (\d+) packets .*?(?:(\d+) dropped by the test loss knob)?(?: \((\d+) not kept.*?\))?\); NACKs (\d+), retransmitted (\d+)/.exec(line);
  assert.ok(m, `unexpected line: ${line}`);
  return { line, forwarded: +m[1], dropped: +(m[2] ?? 0), nacks: +m[4], retransmitted: +m[5] };
}

/**
 * Start a dev server with these extra environment variables (its child inherits process.env).
 * A short resume window: a listener whose leave the server misses (seen now and then in
 * single-PC mode when the other listener left just before) is dropped after 2 s, not 20.
 */
async function devServerWith(env) {
  const saved = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    return await startDevServer({ verbose: true, resumeWindow: 2 });
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('alto asks for lost packets again (generic NACK)', () => {
  const pws = [];
  let server;
  let plainServer;
  const stops = [];
  before(async () => {
    pws.push(await startPipewire({ name: 'receive-nack-a' }), await startPipewire({ name: 'receive-nack-b' }));
    const loss = `nacker:${LOSS},plain:${LOSS}`;
    server = await devServerWith({ ALTO_DEVSERVER_FORWARD_LOSS: loss });
    plainServer = await devServerWith({ ALTO_DEVSERVER_FORWARD_LOSS: loss, ALTO_DEVSERVER_AUDIO_NACK: '0' });
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    await plainServer?.stop();
    for (const pw of pws) await pw.stop();
    await killAll();
  });

  /** A tone peer, then the two listeners (nacker: default; plain: opts.plainArgs), recorded together. */
  async function listen(srv, room, mode, plainArgs) {
    const legacy = mode === 'legacy';
    const peer = startPeer({ url: srv.url, room, identity: 'tone', tone: FREQ, legacy });
    stops.push(() => peer.stop());
    const published = await peer.waitEvent('publishing', undefined, 90_000);
    const args = [...(legacy ? ['--legacy'] : []), '--stats', '1', '-v'];
    const nacker = joinRoom(pws[0], srv, room, 'nacker', { args });
    const plain = joinRoom(pws[1], srv, room, 'plain', { args: [...args, ...plainArgs] });
    stops.push(() => nacker.stop('SIGKILL'), () => plain.stop('SIGKILL'));
    for (const alto of [nacker, plain]) {
      assert.equal((await alto.waitEvent('joined', undefined, 30_000)).mode, mode);
      await waitStreams(alto, ['tone']);
    }
    // the jitter buffers learn the network (and, asking, the retransmission delay) first
    await sleep(4000);
    const files = await Promise.all(pws.map((pw) => pw.record(RECORD_S, { from: [`alto.${room}:output_FL`] })));
    const [a, b] = files.map((f) => slice(readWav(f).channels[0], { from: 0.3 }));
    const stats = [nacker, plain].map((alto) => alto.events.filter((e) => e.event === 'stream_stats').at(-1));
    // leaving ends each leg: the dev server prints what it forwarded, dropped and retransmitted
    const exits = [await nacker.stop(), await plain.stop()];
    let legs;
    try {
      legs = [await legLine(srv, 'nacker', published.track), await legLine(srv, 'plain', published.track)];
    } catch (e) {
      e.message += `\nnacker exit ${JSON.stringify(exits[0])}:\n${nacker.stderr.split('\n').slice(-12).join('\n')}` +
        `\nplain exit ${JSON.stringify(exits[1])}:\n${plain.stderr.split('\n').slice(-12).join('\n')}`;
      throw e;
    }
    await peer.stop();
    return { nacker, plain, samples: [a, b], stats, legs };
  }

  for (const mode of ['single_pc', 'legacy']) {
    test(`${mode}: with ${LOSS} % forwarded loss the retransmitted packets play: fewer concealed blocks than with --no-nack, the tone at its level`,
      { timeout: 240_000 }, async (t) => {
        const room = `nack-${mode.replace('_', '-')}`;
        const { nacker, plain, samples, stats, legs } = await listen(server, room, mode, ['--no-nack']);
        const [st, stPlain] = stats;
        const [leg, legPlain] = legs;
        const why = `\nNACK: ${JSON.stringify(st)}\n${leg.line}\n--no-nack: ${JSON.stringify(stPlain)}\n${legPlain.line}`;

        // the loss happened to both, as configured
        for (const l of legs) {
          assert.ok(l.dropped >= l.forwarded * (LOSS / 100) * 0.4 && l.dropped <= l.forwarded * (LOSS / 100) * 2,
            `about ${LOSS} % dropped: ${l.line}`);
        }
        // alto asked, the server answered, the packets came back
        assert.ok(st.nack_requested >= leg.dropped * 0.5, `alto asked for most dropped packets${why}`);
        assert.ok(st.nack_recovered >= leg.dropped * 0.5, `most of them came back${why}`);
        assert.ok(leg.nacks > 0 && leg.retransmitted >= leg.dropped * 0.5, `the server retransmitted${why}`);
        assert.match(nacker.stderr, /NACK on/, 'alto -v says NACK is on for the track');
        // --no-nack: never asked
        assert.equal(stPlain.nack_requested, 0, `--no-nack asks for nothing${why}`);
        assert.equal(legPlain.nacks, 0, `--no-nack: the server got no NACK${why}`);
        assert.match(plain.stderr, /NACK off \(--no-nack\)/);

        // what the listener hears: the jitter buffer conceals far fewer packets ...
        assert.ok(st.lost * 3 <= stPlain.lost && stPlain.lost >= 10,
          `packets concealed: ${st.lost} asking, ${stPlain.lost} with --no-nack${why}`);
        // ... and the recording shows it: clearly fewer broken 20 ms blocks
        const [broken, brokenPlain] = samples.map(brokenBlocks);
        const blocks = Math.floor(samples[0].length / BLOCK);
        t.diagnostic(`asking: ${st.nack_requested} asked, ${st.nack_recovered} back, ${st.lost} concealed, ` +
          `${broken.length}/${blocks} broken blocks, target ${st.target_ms} ms; --no-nack: ${stPlain.lost} concealed, ` +
          `${brokenPlain.length}/${blocks} broken blocks, target ${stPlain.target_ms} ms; server: ${leg.dropped} dropped, ` +
          `${leg.retransmitted} retransmitted`);
        assert.ok(brokenPlain.length >= 5, `the loss is audible without NACK: ${brokenPlain.length} of ${blocks} blocks`);
        assert.ok(broken.length * 2 <= brokenPlain.length,
          `broken 20 ms blocks: ${broken.length} asking (${JSON.stringify(broken)}), ${brokenPlain.length} with --no-nack${why}`);
        // and the tone is at the level it was sent with
        for (const [i, s] of samples.entries()) {
          const got = toneLevelNear(s, FREQ);
          assert.ok(Math.abs(got - TONE_DBFS) <= 1, `${i ? '--no-nack' : 'NACK'}: ${got.toFixed(2)} dBFS, sent at ${TONE_DBFS.toFixed(2)}`);
        }
      });
  }

  test('a server that does not negotiate NACK gets none (single PC: not in its answer; legacy: not in its offer)',
    { timeout: 240_000 }, async () => {
      // here "plain" is the legacy listener; both use the default (NACK wanted)
      const room = 'nack-not-offered';
      const peer = startPeer({ url: plainServer.url, room, identity: 'tone', tone: FREQ });
      stops.push(() => peer.stop());
      const published = await peer.waitEvent('publishing', undefined, 90_000);
      const single = joinRoom(pws[0], plainServer, room, 'nacker', { args: ['--stats', '1', '-v'] });
      const legacy = joinRoom(pws[1], plainServer, room, 'plain', { args: ['--legacy', '--stats', '1', '-v'] });
      stops.push(() => single.stop('SIGKILL'), () => legacy.stop('SIGKILL'));
      for (const alto of [single, legacy]) {
        await waitStreams(alto, ['tone']);
        await alto.waitEvent('stream_stats', (e) => e.packets >= 200, 30_000);
      }
      const files = await Promise.all(pws.map((pw) => pw.record(3, { from: [`alto.${room}:output_FL`] })));
      await single.stop();
      await legacy.stop();
      await peer.stop();
      for (const [i, alto] of [single, legacy].entries()) {
        const who = i ? 'legacy' : 'single PC';
        const st = alto.events.filter((e) => e.event === 'stream_stats').at(-1);
        assert.ok(st.lost > 0, `${who}: the loss is there (${st.lost} concealed)`);
        assert.equal(st.nack_requested, 0, `${who}: nothing asked for`);
        assert.match(alto.stderr, /NACK not negotiated/, `${who}: -v says why`);
        const leg = await legLine(plainServer, i ? 'plain' : 'nacker', published.track);
        assert.ok(leg.dropped > 0, leg.line);
        assert.equal(leg.nacks, 0, `${who}: the server got no NACK: ${leg.line}`);
        const got = toneLevelNear(slice(readWav(files[i]).channels[0], { from: 0.3 }), FREQ);
        assert.ok(Math.abs(got - TONE_DBFS) <= 1, `${who}: ${got.toFixed(2)} dBFS, sent at ${TONE_DBFS.toFixed(2)}`);
      }
    });
});
