// Audio helpers for tests: WAV files in and out, and the measurements a test asserts on.
//
// Levels, defined once for the whole suite:
//   - toneLevel() reports the PEAK AMPLITUDE of one sine component in dBFS: a sine that swings
//     between -1.0 and +1.0 is 0 dBFS, amplitude 0.25 is -12.04 dBFS, whatever else is mixed in.
//   - rmsDb() reports 20·log10(RMS) of the samples, relative to a full-scale square wave / DC.
//     A full-scale sine therefore reads -3.01 dB there (its RMS is A/√2).
// Samples are Float32Array (or any array of numbers) in [-1, 1], one array per channel.
// Everything here is synchronous and runs on the Node.js main thread; it is test code, written
// for clarity first, fast enough for a few seconds of 48 kHz audio.

import { readFileSync, writeFileSync } from 'node:fs';

export const DEFAULT_RATE = 48000;

export const dB = (x) => 20 * Math.log10(Math.max(Math.abs(x), 1e-12));
export const fromDb = (db) => 10 ** (db / 20);

// ---------------------------------------------------------------------------------------------
// WAV

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Read a RIFF/WAVE file: 8/16/24/32-bit integer PCM or 32/64-bit float, any channel count,
 * plain or WAVE_FORMAT_EXTENSIBLE. A data chunk whose size was never patched (a recorder that
 * was killed) is read to the end of the file.
 * Returns { sampleRate, format: 's16'|'s24'|'s32'|'u8'|'f32'|'f64', channels: Float32Array[], frames, seconds }.
 */
export function readWav(path) {
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let fmt = null;
  let data = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'data' && (size === 0 || size === 0xffffffff || body + size > buf.length)) size = buf.length - body;
    if (id === 'fmt ') {
      let tag = buf.readUInt16LE(body);
      const bits = buf.readUInt16LE(body + 14);
      if (tag === WAVE_FORMAT_EXTENSIBLE && size >= 40) tag = buf.readUInt16LE(body + 24); // SubFormat GUID's first two bytes
      fmt = {
        tag,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        blockAlign: buf.readUInt16LE(body + 12),
        bits,
      };
    } else if (id === 'data') {
      data = { off: body, size };
      if (fmt) break;
    }
    off = body + size + (size & 1);
  }
  if (!fmt) throw new Error(`${path}: no fmt chunk`);
  if (!data) throw new Error(`${path}: no data chunk`);
  const { tag, bits, blockAlign } = fmt;
  const n = fmt.channels;
  if (n < 1 || blockAlign < 1) throw new Error(`${path}: bad fmt chunk`);
  let format;
  let read;
  if (tag === WAVE_FORMAT_PCM && bits === 16) { format = 's16'; read = (o) => buf.readInt16LE(o) / 32768; }
  else if (tag === WAVE_FORMAT_PCM && bits === 24) { format = 's24'; read = (o) => buf.readIntLE(o, 3) / 8388608; }
  else if (tag === WAVE_FORMAT_PCM && bits === 32) { format = 's32'; read = (o) => buf.readInt32LE(o) / 2147483648; }
  else if (tag === WAVE_FORMAT_PCM && bits === 8) { format = 'u8'; read = (o) => (buf[o] - 128) / 128; }
  else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) { format = 'f32'; read = (o) => buf.readFloatLE(o); }
  else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 64) { format = 'f64'; read = (o) => buf.readDoubleLE(o); }
  else throw new Error(`${path}: unsupported WAV encoding (format tag ${tag}, ${bits} bits)`);
  const bytes = bits / 8;
  const frames = Math.floor(data.size / blockAlign);
  const channels = Array.from({ length: n }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    const base = data.off + f * blockAlign;
    for (let c = 0; c < n; c++) channels[c][f] = read(base + c * bytes);
  }
  return { sampleRate: fmt.sampleRate, format, channels, frames, seconds: frames / fmt.sampleRate };
}

/**
 * Write a WAV file. `channels` is one Float32Array (mono) or an array of them (same length).
 * format 'f32' (IEEE float, default) or 's16' (clipped, rounded).
 */
export function writeWav(path, channels, { sampleRate = DEFAULT_RATE, format = 'f32' } = {}) {
  if (!Array.isArray(channels)) channels = [channels];
  const n = channels.length;
  const frames = channels[0].length;
  const bytes = format === 'f32' ? 4 : format === 's16' ? 2 : 0;
  if (!bytes) throw new Error(`writeWav: unsupported format ${format}`);
  if (channels.some((c) => c.length !== frames)) throw new Error('writeWav: channels differ in length');
  const dataSize = frames * n * bytes;
  const buf = Buffer.alloc(44 + dataSize);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataSize, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(format === 'f32' ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM, 20);
  buf.writeUInt16LE(n, 22);
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * n * bytes, 28);
  buf.writeUInt16LE(n * bytes, 32);
  buf.writeUInt16LE(bytes * 8, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataSize, 40);
  let o = 44;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < n; c++) {
      const v = channels[c][f];
      if (bytes === 4) buf.writeFloatLE(v, o);
      else buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32768))), o);
      o += bytes;
    }
  }
  writeFileSync(path, buf);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Signals

/** A sine: amplitude is the peak value (0.25 → -12.04 dBFS). */
export function sine({ freq, seconds, amplitude = 0.25, sampleRate = DEFAULT_RATE, phase = 0 }) {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  const w = (2 * Math.PI * freq) / sampleRate;
  for (let i = 0; i < n; i++) out[i] = amplitude * Math.sin(w * i + phase);
  return out;
}

/** Deterministic white noise in [-amplitude, amplitude) (a small LCG, so tests are repeatable). */
export function noise({ seconds, amplitude = 0.25, sampleRate = DEFAULT_RATE, seed = 1 }) {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = amplitude * (s / 2147483648 - 1);
  }
  return out;
}

/** Sum of signals (shorter ones are zero-padded). */
export function mix(...signals) {
  const n = Math.max(...signals.map((s) => s.length));
  const out = new Float32Array(n);
  for (const s of signals) for (let i = 0; i < s.length; i++) out[i] += s[i];
  return out;
}

/** The part of `samples` between `from` and `to` seconds (a view, no copy). */
export function slice(samples, { from = 0, to = Infinity, sampleRate = DEFAULT_RATE } = {}) {
  const a = Math.max(0, Math.round(from * sampleRate));
  const b = Math.min(samples.length, Math.round(to * sampleRate));
  return samples.subarray ? samples.subarray(a, Math.max(a, b)) : samples.slice(a, Math.max(a, b));
}

// ---------------------------------------------------------------------------------------------
// Measurements

export function rms(samples) {
  if (!samples.length) return 0;
  let acc = 0;
  for (let i = 0; i < samples.length; i++) acc += samples[i] * samples[i];
  return Math.sqrt(acc / samples.length);
}

/** 20·log10(RMS): a full-scale sine reads -3.01 dB, digital silence -240 dB. */
export const rmsDb = (samples) => dB(rms(samples));

export function peak(samples) {
  let m = 0;
  for (let i = 0; i < samples.length; i++) m = Math.max(m, Math.abs(samples[i]));
  return m;
}

/**
 * Peak amplitude of the sine component at `freq` (Hz), linear (1.0 = full scale).
 * Goertzel on a Hann-windowed block: |X| = A/2 · Σw for a sine of amplitude A, so A = 2|X|/Σw.
 * The window keeps other tones (a few Hz away or more) and the edges of the block from leaking
 * in: a second tone 220 Hz away changes the reading by far less than 0.01 dB.
 */
export function toneAmplitude(samples, freq, { sampleRate = DEFAULT_RATE } = {}) {
  const n = samples.length;
  if (n < 2) return 0;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    wsum += win;
    const s0 = win * samples[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * Math.hypot(re, im)) / wsum;
}

/** toneAmplitude() in dBFS (peak amplitude; 0.25 → -12.04). */
export const toneLevel = (samples, freq, opts) => dB(toneAmplitude(samples, freq, opts));

/** toneLevel() of consecutive blocks of `blockSeconds` (a partial last block is dropped). */
export function blockToneLevels(samples, freq, { blockSeconds = 0.25, sampleRate = DEFAULT_RATE } = {}) {
  const n = Math.max(2, Math.round(blockSeconds * sampleRate));
  const out = [];
  for (let i = 0; i + n <= samples.length; i += n) out.push(toneLevel(samples.subarray ? samples.subarray(i, i + n) : samples.slice(i, i + n), freq, { sampleRate }));
  if (!out.length) out.push(toneLevel(samples, freq, { sampleRate }));
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The level of a tone in a recording from a live graph: the median of blockToneLevels().
 * Use this rather than toneLevel() on recordings. Without real-time scheduling, a loaded machine
 * now and then misses a graph cycle: a quantum of silence (correct behaviour of a mixer on
 * underrun) is a phase jump in the tone, and one phase jump can take 10 dB off a Goertzel
 * reading over the whole recording while the RMS hardly moves. The median of 0.25 s blocks
 * ignores the few blocks such a glitch falls into.
 */
export const steadyToneLevel = (samples, freq, opts) => median(blockToneLevels(samples, freq, opts));

/** In-place iterative radix-2 complex FFT on Float64Arrays of power-of-two length. */
export function fft(re, im, inverse = false) {
  const n = re.length;
  if (n & (n - 1)) throw new Error('fft: length must be a power of two');
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      const half = len >> 1;
      for (let k = 0; k < half; k++) {
        const a = i + k;
        const b = a + half;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
  if (inverse) for (let i = 0; i < n; i++) { re[i] /= n; im[i] /= n; }
}

const nextPow2 = (n) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

/**
 * The frequency (Hz) of the strongest spectral peak, above `minFreq`. Uses up to `maxSize`
 * samples from the middle of the signal, Hann-windowed, with parabolic interpolation between
 * bins (accurate to well under 1 Hz for a clean tone over 1 s).
 */
export function dominantFrequency(samples, { sampleRate = DEFAULT_RATE, minFreq = 20, maxSize = 1 << 17 } = {}) {
  let size = 2 ** Math.floor(Math.log2(Math.max(2, Math.min(samples.length, maxSize))));
  if (size > samples.length) size = samples.length;
  const start = Math.floor((samples.length - size) / 2);
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < size; i++) re[i] = samples[start + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size));
  fft(re, im);
  const mag = (k) => Math.hypot(re[k], im[k]) + 1e-20;
  const lo = Math.max(1, Math.ceil((minFreq * size) / sampleRate));
  let best = lo;
  for (let k = lo; k < size / 2; k++) if (mag(k) > mag(best)) best = k;
  let delta = 0;
  if (best > 0 && best < size / 2 - 1) {
    const a = Math.log(mag(best - 1));
    const b = Math.log(mag(best));
    const c = Math.log(mag(best + 1));
    const d = a - 2 * b + c;
    if (d < 0) delta = (0.5 * (a - c)) / d;
  }
  return ((best + delta) * sampleRate) / size;
}

/**
 * Align `signal` to `reference` and measure how alike they are.
 * Finds the lag (in samples, positive when `signal` is late) in [-maxLag, maxLag] that maximises
 * the cross-correlation (computed by FFT), then returns the normalised correlation coefficient
 * over the overlapping part at that lag: 1.0 for a copy (at any gain), ~0 for unrelated signals,
 * negative for an inverted copy.
 * Returns { lag, lagSeconds, corr, overlap }.
 */
export function alignAndCorrelate(reference, signal, { maxLag, sampleRate = DEFAULT_RATE } = {}) {
  const na = reference.length;
  const nb = signal.length;
  if (maxLag === undefined) maxLag = Math.max(na, nb);
  const size = nextPow2(na + nb);
  const ar = new Float64Array(size);
  const ai = new Float64Array(size);
  const br = new Float64Array(size);
  const bi = new Float64Array(size);
  for (let i = 0; i < na; i++) ar[i] = reference[i];
  for (let i = 0; i < nb; i++) br[i] = signal[i];
  fft(ar, ai);
  fft(br, bi);
  // conj(A)·B → c[k] = Σ a[n]·b[n+k]
  for (let i = 0; i < size; i++) {
    const r = ar[i] * br[i] + ai[i] * bi[i];
    const m = ar[i] * bi[i] - ai[i] * br[i];
    ar[i] = r;
    ai[i] = m;
  }
  fft(ar, ai, true);
  let bestLag = 0;
  let bestVal = -Infinity;
  for (let lag = -Math.min(maxLag, na - 1); lag <= Math.min(maxLag, nb - 1); lag++) {
    const v = ar[(lag + size) % size];
    if (v > bestVal) { bestVal = v; bestLag = lag; }
  }
  const corr = correlationAt(reference, signal, bestLag);
  return { lag: bestLag, lagSeconds: bestLag / sampleRate, corr: corr.coeff, overlap: corr.overlap };
}

/** Normalised correlation of reference[n] with signal[n + lag] over their overlap. */
export function correlationAt(reference, signal, lag) {
  const start = Math.max(0, -lag);
  const end = Math.min(reference.length, signal.length - lag);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let n = start; n < end; n++) {
    const a = reference[n];
    const b = signal[n + lag];
    sab += a * b;
    saa += a * a;
    sbb += b * b;
  }
  const overlap = Math.max(0, end - start);
  const coeff = saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
  return { coeff, overlap };
}

/**
 * RMS envelope in frames of `frameSeconds` (default 10 ms): a coarse shape of speech that
 * survives codecs which do not keep the waveform (compare envelopes with alignAndCorrelate).
 */
export function envelope(samples, { frameSeconds = 0.01, sampleRate = DEFAULT_RATE } = {}) {
  const frame = Math.max(1, Math.round(frameSeconds * sampleRate));
  const out = new Float32Array(Math.floor(samples.length / frame));
  for (let f = 0; f < out.length; f++) out[f] = rms(samples.subarray ? samples.subarray(f * frame, (f + 1) * frame) : samples.slice(f * frame, (f + 1) * frame));
  return out;
}

/** A one-line summary of a recording, for test messages and the demo. */
export function describeLevels(samples, freqs, { sampleRate = DEFAULT_RATE } = {}) {
  const parts = freqs.map((f) => {
    const blocks = blockToneLevels(samples, f, { sampleRate });
    const steady = median(blocks);
    const spread = Math.max(...blocks) - Math.min(...blocks);
    return `${f} Hz ${steady.toFixed(2)} dBFS${spread > 0.5 && steady > -60 ? ` (blocks ${blocks.map((b) => b.toFixed(1)).join(' ')})` : ''}`;
  });
  parts.push(`rms ${rmsDb(samples).toFixed(2)} dB`);
  return parts.join(', ');
}
