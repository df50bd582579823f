// The audio analysis helpers (tests/lib/audio.mjs) on signals whose answers are known, and on
// WAV files written by a third party (sox), so a level the other tests assert on means what it says.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readWav, writeWav, sine, noise, mix, slice, rms, rmsDb, peak, toneLevel, toneAmplitude,
  dominantFrequency, alignAndCorrelate, correlationAt, envelope, dB, fromDb, steadyToneLevel, blockToneLevels,
} from '../lib/audio.mjs';
import { run } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';

const near = (actual, expected, tol, what) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} not within ${tol} of ${expected}`);

describe('audio library', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alto-audio-'));
  after(() => teardown({ dirs: [dir] }));

  test('dB conversions', () => {
    near(dB(1), 0, 1e-9, 'dB(1)');
    near(dB(0.5), -6.0206, 1e-3, 'dB(0.5)');
    near(fromDb(-12.0412), 0.25, 1e-4, 'fromDb');
    assert.ok(dB(0) < -200, 'silence is very low, not -Infinity or NaN');
  });

  test('tone level is the amplitude in dBFS, alone and next to another tone', () => {
    const a = sine({ freq: 440, seconds: 2, amplitude: 0.25 });
    near(toneLevel(a, 440), -12.0412, 0.01, '440 alone');
    near(toneAmplitude(a, 440), 0.25, 0.0005, 'amplitude');
    const b = sine({ freq: 660, seconds: 2, amplitude: 0.125 });
    const m = mix(a, b);
    near(toneLevel(m, 440), -12.0412, 0.01, '440 in mix');
    near(toneLevel(m, 660), -18.0618, 0.01, '660 in mix');
    assert.ok(toneLevel(m, 1000) < -60, `no 1 kHz in the mix (${toneLevel(m, 1000)})`);
    assert.ok(toneLevel(b, 440) < -60, `no 440 Hz in a 660 Hz tone (${toneLevel(b, 440)})`);
    // A non-integer number of periods and an odd length do not matter.
    near(toneLevel(sine({ freq: 441.3, seconds: 0.777, amplitude: 0.5 }), 441.3, {}), -6.0206, 0.02, 'odd length');
  });

  test('steady tone level ignores a missed graph cycle; the whole-window level does not', () => {
    // What a loaded machine does now and then: one quantum (1024 frames) of silence mid-tone.
    const s = sine({ freq: 440, seconds: 2, amplitude: 0.125 });
    const glitched = new Float32Array(s.length + 1024);
    glitched.set(s.subarray(0, 50000), 0);
    glitched.set(s.subarray(50000), 51024);
    assert.ok(toneLevel(glitched, 440) < -18.06 - 3, `whole-window reading is hurt: ${toneLevel(glitched, 440)}`);
    near(steadyToneLevel(glitched, 440), -18.06, 0.05, 'steady level');
    near(steadyToneLevel(s, 440), -18.06, 0.05, 'steady level of a clean tone');
    assert.equal(blockToneLevels(s, 440).length, 8);
    // A tone that really changes level is not hidden: the median follows the longer part.
    const half = mix(sine({ freq: 440, seconds: 2, amplitude: 0.25 }));
    half.subarray(0, 36000).forEach((_, i, a) => { a[i] *= 0.5; });
    near(steadyToneLevel(half, 440), -12.04, 0.05, 'median follows the longer part');
  });

  test('rms and peak', () => {
    const a = sine({ freq: 1000, seconds: 1, amplitude: 1 });
    near(rmsDb(a), -3.0103, 0.01, 'full-scale sine rms');
    near(rms(a), Math.SQRT1_2, 1e-3, 'rms');
    near(peak(a), 1, 1e-3, 'peak');
    assert.equal(rms(new Float32Array(100)), 0);
    assert.equal(rms(new Float32Array(0)), 0);
  });

  test('dominant frequency', () => {
    near(dominantFrequency(sine({ freq: 440, seconds: 1 })), 440, 0.5, '440');
    near(dominantFrequency(sine({ freq: 1234.5, seconds: 2 })), 1234.5, 0.5, '1234.5');
    const m = mix(sine({ freq: 440, seconds: 1, amplitude: 0.1 }), sine({ freq: 660, seconds: 1, amplitude: 0.3 }));
    near(dominantFrequency(m), 660, 0.5, 'stronger of two');
  });

  test('WAV round trip, f32 and s16, mono and stereo', () => {
    const l = sine({ freq: 440, seconds: 0.5, amplitude: 0.25 });
    const r = sine({ freq: 660, seconds: 0.5, amplitude: 0.5 });
    const f = writeWav(join(dir, 'st.wav'), [l, r], { format: 'f32' });
    const w = readWav(f);
    assert.equal(w.format, 'f32');
    assert.equal(w.sampleRate, 48000);
    assert.equal(w.channels.length, 2);
    assert.equal(w.frames, l.length);
    assert.deepEqual(w.channels[0], l);
    assert.deepEqual(w.channels[1], r);
    const g = readWav(writeWav(join(dir, 'mono.wav'), l, { format: 's16', sampleRate: 44100 }));
    assert.equal(g.format, 's16');
    assert.equal(g.sampleRate, 44100);
    assert.equal(g.channels.length, 1);
    for (let i = 0; i < l.length; i++) assert.ok(Math.abs(g.channels[0][i] - l[i]) <= 1 / 32768 + 1e-9);
  });

  test('reads what sox writes (16-bit PCM, 32-bit float, stereo)', async () => {
    const s16 = join(dir, 'sox16.wav');
    const f32 = join(dir, 'soxf32.wav');
    await run('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', s16, 'synth', '1', 'sine', '440', 'vol', '0.25']);
    await run('sox', ['-n', '-r', '48000', '-c', '2', '-e', 'floating-point', '-b', '32', f32, 'synth', '1', 'sine', '660', 'vol', '0.5']);
    const a = readWav(s16);
    assert.equal(a.format, 's16');
    assert.equal(a.frames, 48000);
    near(toneLevel(a.channels[0], 440), -12.04, 0.05, 'sox s16 level');
    const b = readWav(f32);
    assert.equal(b.format, 'f32');
    assert.equal(b.channels.length, 2);
    near(toneLevel(b.channels[1], 660), -6.02, 0.05, 'sox f32 level');
  });

  test('a WAV whose data size was never written is read to the end; garbage is refused', () => {
    const f = writeWav(join(dir, 'trunc.wav'), sine({ freq: 440, seconds: 0.1 }));
    const buf = readFileSync(f);
    buf.writeUInt32LE(0xffffffff, 40);
    const g = join(dir, 'trunc2.wav');
    writeFileSync(g, buf);
    assert.equal(readWav(g).frames, 4800);
    const bad = join(dir, 'bad.wav');
    writeFileSync(bad, 'not a wav file at all');
    assert.throws(() => readWav(bad), /not a RIFF\/WAVE/);
  });

  test('alignment finds the delay; correlation tells a copy from something else', () => {
    const ref = noise({ seconds: 1, seed: 7 });
    const delay = 4321;
    const late = new Float32Array(ref.length + delay + 1000);
    for (let i = 0; i < ref.length; i++) late[i + delay] = 0.5 * ref[i];
    const r = alignAndCorrelate(ref, late, { maxLag: 48000 });
    assert.equal(r.lag, delay);
    near(r.lagSeconds, delay / 48000, 1e-9, 'lag in seconds');
    near(r.corr, 1, 1e-6, 'copy at half gain');
    // Early instead of late.
    const early = ref.subarray(1000);
    const e = alignAndCorrelate(ref, early, { maxLag: 2000 });
    assert.equal(e.lag, -1000);
    near(e.corr, 1, 1e-6, 'early copy');
    // A noisy copy still correlates well; unrelated noise does not.
    const noisy = mix(late, noise({ seconds: late.length / 48000, amplitude: 0.05, seed: 99 }));
    assert.ok(alignAndCorrelate(ref, noisy, { maxLag: 48000 }).corr > 0.9);
    const other = noise({ seconds: 1, seed: 12345 });
    assert.ok(Math.abs(alignAndCorrelate(ref, other, { maxLag: 480 }).corr) < 0.1);
    // An inverted copy is found at the right lag only with the sign: the search maximises, so
    // the best it finds is a weak positive value, never a high one.
    const inv = ref.map((x) => -x);
    assert.ok(alignAndCorrelate(ref, inv, { maxLag: 480 }).corr < 0.2);
    near(correlationAt(ref, inv, 0).coeff, -1, 1e-6, 'inverted at lag 0');
  });

  test('envelope and slice', () => {
    const s = mix(sine({ freq: 440, seconds: 1, amplitude: 0.5 }));
    s.fill(0, 24000);
    const env = envelope(s);
    assert.equal(env.length, 100);
    near(env[10], 0.5 * Math.SQRT1_2, 0.01, 'loud half');
    assert.equal(env[90], 0);
    assert.equal(slice(s, { from: 0.25, to: 0.5 }).length, 12000);
    assert.equal(slice(s, { from: 0.9, to: 5 }).length, 4800);
  });
});
