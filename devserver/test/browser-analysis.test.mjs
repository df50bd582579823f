// The browser peer's tone analysis (peers/browser/analysis.js), run in Node: the level and
// frequency the browser tests assert on must be right before they mean anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import vm from 'node:vm';

const src = fs.readFileSync(new URL('../peers/browser/analysis.js', import.meta.url), 'utf8');
const sandbox = {};
vm.runInNewContext(src, sandbox);
const { measureTone } = sandbox.altoAnalysis;

const RATE = 48000;
function block(n, parts, noise = 0) {
  const out = new Float32Array(n);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  for (let i = 0; i < n; i++) {
    let v = noise * rand();
    for (const { freq, amp, phase = 0.3 } of parts) v += amp * Math.sin(2 * Math.PI * freq * i / RATE + phase);
    out[i] = v;
  }
  return out;
}

test('a sine between bins: frequency within 1 Hz, level within 0.05 dB', () => {
  for (const [freq, amp] of [[440, 0.5], [660, 0.25], [1003.7, 0.9], [97, 0.01]]) {
    const m = measureTone(block(8192, [{ freq, amp }]), RATE, 50);
    assert.ok(Math.abs(m.freq - freq) < 1, `freq ${m.freq} for ${freq}`);
    assert.ok(Math.abs(m.dbfs - 20 * Math.log10(amp)) < 0.05, `dbfs ${m.dbfs} for amplitude ${amp}`);
    assert.ok(Math.abs(m.total_dbfs - 20 * Math.log10(amp)) < 0.05, `total ${m.total_dbfs}`);
  }
});

test('two tones: the louder one is dominant, its level unaffected by the other', () => {
  const m = measureTone(block(8192, [{ freq: 440, amp: 0.1 }, { freq: 660, amp: 0.4 }]), RATE, 50);
  assert.ok(Math.abs(m.freq - 660) < 1, `freq ${m.freq}`);
  assert.ok(Math.abs(m.dbfs - 20 * Math.log10(0.4)) < 0.1, `dbfs ${m.dbfs}`);
});

test('a tone in noise is still measured; noise alone has no strong tone', () => {
  const m = measureTone(block(8192, [{ freq: 440, amp: 0.3 }], 0.05), RATE, 50);
  assert.ok(Math.abs(m.freq - 440) < 1);
  assert.ok(Math.abs(m.dbfs - 20 * Math.log10(0.3)) < 0.2, `dbfs ${m.dbfs}`);
  const n = measureTone(block(8192, [], 0.05), RATE, 50);
  assert.ok(n.dbfs < -40, `noise-only tone level ${n.dbfs}`);
});

test('silence reads -Infinity; a bad block length is refused', () => {
  const m = measureTone(new Float32Array(4096), RATE, 50);
  assert.equal(m.dbfs, -Infinity);
  assert.equal(m.total_dbfs, -Infinity);
  assert.throws(() => measureTone(new Float32Array(1000), RATE, 50), /power of two/);
});
