// The test harness itself (tests/lib/pipewire.mjs, procs.mjs) on a real private PipeWire daemon:
// it starts, audio played into ci-sink comes back at the level it was played at, stop() leaves
// no process behind, and two daemons run side by side without seeing each other.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startPipewire } from '../lib/pipewire.mjs';
import { readWav, slice, steadyToneLevel, blockToneLevels, dominantFrequency, describeLevels } from '../lib/audio.mjs';

// Levels are medians of 0.25 s blocks (see steadyToneLevel): a missed cycle on a loaded machine
// must not fail a level check; absence is checked on every block.
const absent = (s, f) => Math.max(...blockToneLevels(s, f)) < -60;
import { killAll, pidGone, liveGroups, spawnGroup, waitFor } from '../lib/procs.mjs';

// The first moments of a recording hold the graph starting up; measure after them.
const SETTLE = 0.3;

describe('PipeWire test harness', () => {
  const daemons = [];
  after(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
    await killAll();
  });
  const start = async (opts) => { const pw = await startPipewire(opts); daemons.push(pw); return pw; };

  test('a private daemon starts with the CI sink and source', { timeout: 60000 }, async () => {
    const pw = await start({ name: 'harness' });
    assert.ok(existsSync(`${pw.dir}/pipewire-0`), 'socket in the private runtime dir');
    assert.equal(pw.env.XDG_RUNTIME_DIR, pw.dir);
    assert.equal(pw.env.DBUS_SESSION_BUS_ADDRESS, undefined);
    const sink = await pw.node('ci-sink');
    assert.equal(sink?.mediaClass, 'Audio/Sink');
    const ports = (await pw.ports('ci-sink')).map((p) => p.portName);
    assert.deepEqual(ports.sort(), ['monitor_FL', 'monitor_FR', 'playback_FL', 'playback_FR']);
    assert.ok(await pw.node('ci-source'));
  });

  test('a tone played into ci-sink is recorded back at its level', { timeout: 90000 }, async () => {
    const pw = daemons[0] ?? await start({ name: 'harness' });
    // Stereo file, different tone and level per channel, so a swapped or mixed channel shows.
    const tone = await pw.play({ freq: 440, amplitude: 0.25, seconds: 20 }, { nodeName: 'tone-440', to: 'ci-sink' });
    assert.deepEqual(tone.ports, ['tone-440:output_MONO']);
    const wav = await pw.record(2, { from: ['ci-sink:monitor_FL', 'ci-sink:monitor_FR'], nodeName: 'rec-sink' });
    await tone.stop();
    const w = readWav(wav);
    assert.equal(w.sampleRate, 48000);
    assert.equal(w.channels.length, 2);
    assert.ok(w.seconds > 1.5, `recorded ${w.seconds} s`);
    for (const ch of w.channels) {
      const s = slice(ch, { from: SETTLE });
      const level = steadyToneLevel(s, 440);
      assert.ok(Math.abs(level - -12.04) <= 0.5, `440 Hz at ${level.toFixed(2)} dBFS, want -12.04 ± 0.5 (${describeLevels(s, [440, 660])})`);
      assert.ok(Math.abs(dominantFrequency(s) - 440) < 2, 'dominant frequency 440 Hz');
      assert.ok(absent(s, 660), 'no 660 Hz');
    }
    // The player node is gone once stopped.
    await pw.waitNodeGone('tone-440');
  });

  test('a stereo file keeps its channels apart', { timeout: 90000 }, async () => {
    const pw = daemons[0] ?? await start({ name: 'harness' });
    const { writeWav, sine } = await import('../lib/audio.mjs');
    const file = writeWav(pw.tempFile('stereo'), [
      sine({ freq: 440, seconds: 20, amplitude: 0.5 }),
      sine({ freq: 660, seconds: 20, amplitude: 0.125 }),
    ]);
    const play = await pw.play(file, { nodeName: 'stereo', to: 'ci-sink' });
    assert.deepEqual(play.ports, ['stereo:output_FL', 'stereo:output_FR']);
    const w = readWav(await pw.record(1.5, { from: ['ci-sink:monitor_FL', 'ci-sink:monitor_FR'] }));
    await play.stop();
    const [l, r] = w.channels.map((c) => slice(c, { from: SETTLE }));
    assert.ok(Math.abs(steadyToneLevel(l, 440) - -6.02) <= 0.5, `left 440 Hz: ${describeLevels(l, [440, 660])}`);
    assert.ok(Math.abs(steadyToneLevel(r, 660) - -18.06) <= 0.5, `right 660 Hz: ${describeLevels(r, [440, 660])}`);
    assert.ok(absent(l, 660) && absent(r, 440), 'no crosstalk');
  });

  test('stop() leaves no process and no runtime dir behind', { timeout: 60000 }, async () => {
    const pw = await startPipewire({ name: 'stopme', pulse: true });
    daemons.push(pw);
    const tone = await pw.play({ freq: 1000, seconds: 60 }, { nodeName: 'left-playing', to: 'ci-sink' });
    const rec = await pw.startRecording({ from: 'ci-sink:monitor_FL' }); // never stopped by the test
    const pids = [...pw.allPids];
    assert.ok(pids.length >= 4, `pipewire, pipewire-pulse, pw-play, pw-record: ${pids}`);
    assert.ok(pids.every((p) => !pidGone(p)), 'all running before stop');
    assert.ok(tone.child.pid && rec.child.pid);
    await pw.stop();
    for (const p of pids) assert.ok(pidGone(p), `pid ${p} gone after stop()`);
    assert.ok(!existsSync(pw.dir), 'runtime dir removed');
    assert.deepEqual(pw.livePids(), []);
  });

  test('two daemons side by side do not see each other', { timeout: 60000 }, async () => {
    const [a, b] = await Promise.all([start({ name: 'left' }), start({ name: 'right' })]);
    assert.notEqual(a.dir, b.dir);
    const ta = await a.play({ freq: 440, seconds: 20 }, { nodeName: 'only-in-a', to: 'ci-sink' });
    const tb = await b.play({ freq: 660, seconds: 20 }, { nodeName: 'only-in-b', to: 'ci-sink' });
    assert.ok(await a.node('only-in-a'));
    assert.equal(await a.node('only-in-b'), undefined);
    assert.equal(await b.node('only-in-a'), undefined);
    const [wa, wb] = await Promise.all([
      a.record(1.5, { from: 'ci-sink:monitor_FL' }),
      b.record(1.5, { from: 'ci-sink:monitor_FL' }),
    ]);
    await Promise.all([ta.stop(), tb.stop()]);
    const sa = slice(readWav(wa).channels[0], { from: SETTLE });
    const sb = slice(readWav(wb).channels[0], { from: SETTLE });
    assert.ok(Math.abs(steadyToneLevel(sa, 440) - -12.04) <= 0.5 && absent(sa, 660), `daemon a: ${describeLevels(sa, [440, 660])}`);
    assert.ok(Math.abs(steadyToneLevel(sb, 660) - -12.04) <= 0.5 && absent(sb, 440), `daemon b: ${describeLevels(sb, [440, 660])}`);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('process groups: a child and its own children die with killAll()', { timeout: 30000 }, async () => {
    const child = spawnGroup('sh', ['-c', 'sleep 600 & echo $!; sleep 600 & echo $!; wait'], { name: 'grandparent' });
    const kids = await waitFor(() => { const l = child.stdoutText().trim().split('\n').filter(Boolean); return l.length === 2 && l.map(Number); }, { timeout: 5000, message: 'two grandchildren' });
    assert.ok(liveGroups().some((g) => g.pid === child.pid));
    await killAll({ grace: 500 });
    for (const p of [child.pid, ...kids]) assert.ok(pidGone(p), `pid ${p} gone`);
    assert.equal(liveGroups().length, 0);
  });
});
