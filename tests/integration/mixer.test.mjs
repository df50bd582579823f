// The room mixer (`alto.mixer`, spa-plugin/) in a real PipeWire daemon, driven only from outside
// the way a user or a conf fragment would: pw-cli create-node, pw-cli set-param, pw-link,
// pw-play, pw-record. Two tones go in, the mix is recorded and measured:
//   - both tones come out at the level they went in (within 1 dB);
//   - one input's volume at 0.5 → that tone 6 dB lower (±0.5), the other unchanged;
//   - one input removed → its ports go away, its tone is gone, the other is intact.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startPipewire, spaJson, spaFloat, BUILD } from '../lib/pipewire.mjs';
import { readWav, slice, steadyToneLevel, blockToneLevels, describeLevels } from '../lib/audio.mjs';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';

const PLUGIN = join(BUILD, 'spa-plugin', 'alto', 'libspa-alto.so');
const SETTLE = 0.3;          // seconds at the start of a recording left out of measurements
const RECORD_SECONDS = 2;
const AMPLITUDE = 0.25;      // each tone: -12.04 dBFS
const TONE_DB = -12.04;
const GONE_DB = -60;         // a tone below this is absent

/** Set keys in the mixer's Props `params` (SPA_PROP_params struct), e.g. { 'alto.add-input': 'a' }. */
async function mixerParams(pw, nodeId, pairs) {
  const params = Object.entries(pairs).flatMap(([k, v]) => [k, typeof v === 'number' ? spaFloat(v) : v]);
  await pw.setParam(nodeId, 'Props', spaJson({ params }));
}

/** Input ports of one mixer input, in channel order. */
async function inputPorts(pw, mixer, input) {
  return (await pw.ports(mixer)).filter((p) => p.direction === 'in' && (p.props['alto.input'] === input || p.portName.startsWith(`in_${input}_`)));
}

/**
 * Levels of 440 and 660 Hz on every output channel of a recording: the median of 0.25 s blocks
 * (steadyToneLevel), so one missed graph cycle on a loaded machine does not fail a level check;
 * `bMax` is the loudest block of 660 Hz, for checking that the tone is gone from every block.
 */
function measure(file) {
  const w = readWav(file);
  return w.channels.map((c) => {
    const s = slice(c, { from: SETTLE });
    return { a: steadyToneLevel(s, 440), b: steadyToneLevel(s, 660), bMax: Math.max(...blockToneLevels(s, 660)), text: describeLevels(s, [440, 660]) };
  });
}

const near = (actual, want, tol, what) =>
  assert.ok(Math.abs(actual - want) <= tol, `${what}: ${actual.toFixed(2)} dBFS, want ${want.toFixed(2)} ± ${tol}`);

describe('alto.mixer in a PipeWire daemon', () => {
  let pw;
  let mixer;
  let outputs;
  before(async () => {
    pw = await startPipewire({ name: 'mixer' });
  });
  after(() => teardown({ pw }));

  test('the node loads through spa-node-factory with one output port per channel', { timeout: 60000 }, async () => {
    assert.ok(existsSync(PLUGIN), `the mixer plugin is not built: ${PLUGIN} (./run build)`);
    mixer = await pw.createNode({
      'factory.name': 'alto.mixer',
      'node.name': 'room-mix',
      'node.description': 'test room',
      'audio.position': '[ FL FR ]',
    }, { outputs: 2 });
    outputs = mixer.ports.filter((p) => p.direction === 'out').map((p) => p.name);
    assert.equal(outputs.length, 2, `outputs: ${outputs}`);
    assert.equal(mixer.ports.filter((p) => p.direction === 'in').length, 0, 'no inputs before any were added');
    const channels = mixer.ports.filter((p) => p.direction === 'out').map((p) => p.channel);
    assert.deepEqual(channels, ['FL', 'FR']);
  });

  let toneA;
  let toneB;
  let base;
  test('two inputs mixed: both tones at the level they were played', { timeout: 90000 }, async () => {
    assert.ok(mixer, 'mixer created');
    await mixerParams(pw, mixer.id, { 'alto.add-input': 'a' });
    await mixerParams(pw, mixer.id, { 'alto.add-input': 'b' });
    const inA = await waitFor(async () => { const p = await inputPorts(pw, 'room-mix', 'a'); return p.length === 2 && p; }, { timeout: 15000, message: 'input a ports' });
    const inB = await waitFor(async () => { const p = await inputPorts(pw, 'room-mix', 'b'); return p.length === 2 && p; }, { timeout: 15000, message: 'input b ports' });
    assert.deepEqual(inA.map((p) => p.channel), ['FL', 'FR']);
    assert.deepEqual(inA.map((p) => p.portName), ['in_a_FL', 'in_a_FR']);
    assert.equal(inA[0].props['alto.input'], 'a');

    toneA = await pw.play({ freq: 440, amplitude: AMPLITUDE, seconds: 60 }, { nodeName: 'tone-a', to: inA.map((p) => p.name) });
    toneB = await pw.play({ freq: 660, amplitude: AMPLITUDE, seconds: 60 }, { nodeName: 'tone-b', to: inB.map((p) => p.name) });

    const levels = measure(await pw.record(RECORD_SECONDS, { from: outputs, nodeName: 'rec-both' }));
    const graph = await pw.describeGraph();
    for (const [i, ch] of levels.entries()) {
      near(ch.a, TONE_DB, 1, `output ${i} 440 Hz (${ch.text})\n${graph}`);
      near(ch.b, TONE_DB, 1, `output ${i} 660 Hz (${ch.text})`);
    }
    base = levels;
  });

  test('per-port volume and metrics are readable on the port from outside (pw-cli enum-params)', { timeout: 60000 }, async () => {
    assert.ok(base, 'the mix test ran');
    const [port] = await inputPorts(pw, 'room-mix', 'a');
    const m1 = await pw.props(port.id);
    assert.equal(m1.volume, 1, 'input a volume 1.0');
    assert.equal(m1.mute, false);
    assert.equal(m1.params?.['alto.input'], 'a', `port params: ${JSON.stringify(m1.params)}`);
    // The tone has been playing into this port for seconds: the counters must show it, and
    // keep moving while it plays (a snapshot that never changes is no metric).
    const m2 = await waitFor(async () => {
      const m = await pw.props(port.id);
      return m.params['alto.frames-mixed'] > (m1.params['alto.frames-mixed'] ?? 0) && m.params['alto.frames-mixed'] >= 48000 && m;
    }, { timeout: 10000, interval: 250, message: `alto.frames-mixed on ${port.name} to grow past one second while the tone plays (first read: ${JSON.stringify(m1.params)})` });
    assert.ok(Math.abs(m2.params['alto.peak'] - AMPLITUDE) < 0.01, `peak ${m2.params['alto.peak']} ≈ ${AMPLITUDE}`);
    assert.ok(m2.params['alto.underruns'] >= 0);
  });

  test('volume 0.5 on one input: that tone 6 dB lower, the other unchanged', { timeout: 90000 }, async () => {
    assert.ok(base, 'the mix test ran');
    await mixerParams(pw, mixer.id, { 'alto.input.a.volume': 0.5 });
    const portsA = await inputPorts(pw, 'room-mix', 'a');
    for (const p of portsA) assert.equal((await pw.props(p.id)).volume, 0.5, `${p.name} reports volume 0.5`);
    for (const p of await inputPorts(pw, 'room-mix', 'b')) assert.equal((await pw.props(p.id)).volume, 1, `${p.name} keeps volume 1.0`);
    const levels = measure(await pw.record(RECORD_SECONDS, { from: outputs, nodeName: 'rec-half' }));
    for (const [i, ch] of levels.entries()) {
      near(ch.a - base[i].a, -6.02, 0.5, `output ${i} 440 Hz change (${ch.text})`);
      near(ch.b - base[i].b, 0, 0.5, `output ${i} 660 Hz change (${ch.text})`);
    }
    // Back to 1.0: the tone returns to its level (the volume is a setting, not a one-way fade).
    await mixerParams(pw, mixer.id, { 'alto.input.a.volume': 1.0 });
    const again = measure(await pw.record(1.5, { from: outputs, nodeName: 'rec-restored' }));
    for (const [i, ch] of again.entries()) near(ch.a - base[i].a, 0, 0.5, `output ${i} 440 Hz back at volume 1.0 (${ch.text})`);
    await mixerParams(pw, mixer.id, { 'alto.input.a.volume': 0.5 });
  });

  test('one input removed: its ports and its tone are gone, the other is intact', { timeout: 90000 }, async () => {
    assert.ok(base, 'the mix test ran');
    await mixerParams(pw, mixer.id, { 'alto.remove-input': 'b' });
    await waitFor(async () => (await inputPorts(pw, 'room-mix', 'b')).length === 0, { timeout: 15000, message: 'input b ports to go away' });
    assert.equal((await inputPorts(pw, 'room-mix', 'a')).length, 2, 'input a keeps its ports');
    assert.ok(!(await pw.links()).some((l) => l.outputNode === 'tone-b'), 'the links into b went with its ports');
    const levels = measure(await pw.record(RECORD_SECONDS, { from: outputs, nodeName: 'rec-one' }));
    for (const [i, ch] of levels.entries()) {
      assert.ok(ch.bMax < GONE_DB, `output ${i}: 660 Hz should be gone from every block (${ch.text}, loudest block ${ch.bMax.toFixed(1)})`);
      near(ch.a - base[i].a, -6.02, 0.5, `output ${i} 440 Hz intact at volume 0.5 (${ch.text})`);
    }
  });

  test('bad control input is refused without harm', { timeout: 90000 }, async () => {
    assert.ok(base, 'the mix test ran');
    // Removing an input that does not exist, a volume for an unknown input, a duplicate add:
    // each may fail, none may take the node down or change what it mixes.
    for (const pairs of [{ 'alto.remove-input': 'nobody' }, { 'alto.input.nobody.volume': 0.1 }, { 'alto.add-input': 'a' }]) {
      await mixerParams(pw, mixer.id, pairs).catch(() => {});
    }
    assert.ok(await pw.node('room-mix'), 'the mixer is still there');
    assert.equal((await inputPorts(pw, 'room-mix', 'a')).length, 2, 'input a still has two ports');
    const levels = measure(await pw.record(1.5, { from: outputs, nodeName: 'rec-after-bad' }));
    for (const [i, ch] of levels.entries()) near(ch.a - base[i].a, -6.02, 0.5, `output ${i} 440 Hz unchanged (${ch.text})`);
    await Promise.all([toneA?.stop(), toneB?.stop()]);
  });

  test('inputs can be named at creation (alto.mixer.inputs)', { timeout: 60000 }, async () => {
    assert.ok(existsSync(PLUGIN), `the mixer plugin is not built: ${PLUGIN} (./run build)`);
    const node = await pw.createNode({
      'factory.name': 'alto.mixer',
      'node.name': 'preset-mix',
      'audio.position': '[ MONO ]',
      'alto.mixer.inputs': '[ alice bob ]',
    }, { inputs: 2, outputs: 1 });
    const ins = node.ports.filter((p) => p.direction === 'in');
    assert.deepEqual(ins.map((p) => p.props['alto.input']).sort(), ['alice', 'bob']);
    await pw.destroy(node.id);
    await pw.waitNodeGone('preset-mix');
  });
});
