/*
 * Tone analysis for the browser peer: the dominant frequency of a block of samples and its
 * level. Plain script (no modules) so the page loads it with <script> and Node tests load it
 * with vm (test/browser-analysis.test.mjs). Runs on the page's main thread every report tick.
 *
 * Levels are AES17 dBFS: a full-scale sine (peak 1.0) is 0 dBFS, so a sine of peak A reads
 * 20*log10(A) and the whole-block level is 20*log10(rms * sqrt(2)).
 */
(function (root) {
  'use strict';

  // In-place iterative radix-2 FFT; re and im have the same power-of-two length.
  function fft(re, im) {
    const n = re.length;
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) {
        let t = re[i]; re[i] = re[j]; re[j] = t;
        t = im[i]; im[i] = im[j]; im[j] = t;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const ang = -2 * Math.PI / len;
      const wr = Math.cos(ang), wi = Math.sin(ang);
      for (let i = 0; i < n; i += len) {
        let cr = 1, ci = 0;
        for (let k = 0; k < len / 2; k++) {
          const ar = re[i + k], ai = im[i + k];
          const br = re[i + k + len / 2] * cr - im[i + k + len / 2] * ci;
          const bi = re[i + k + len / 2] * ci + im[i + k + len / 2] * cr;
          re[i + k] = ar + br; im[i + k] = ai + bi;
          re[i + k + len / 2] = ar - br; im[i + k + len / 2] = ai - bi;
          const t = cr * wr - ci * wi; ci = cr * wi + ci * wr; cr = t;
        }
      }
    }
  }

  function hann(n) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / n);
    return w;
  }

  const toDb = (amplitude) => (amplitude > 0 ? 20 * Math.log10(amplitude) : -Infinity);

  /*
   * samples: Float32Array (power-of-two length, e.g. an AnalyserNode's time-domain block).
   * Returns { freq, dbfs, total_dbfs }: freq is the strongest spectral peak above minHz (Hz,
   * refined between bins by a parabola through the log magnitudes), dbfs the level of the
   * sine at that frequency (the windowed DTFT evaluated at the refined frequency, so no
   * scalloping loss), total_dbfs the level of everything in the block.
   */
  function measureTone(samples, sampleRate, minHz) {
    const n = samples.length;
    if (n < 64 || (n & (n - 1)) !== 0) throw new Error('measureTone: length must be a power of two >= 64');
    const w = hann(n);
    let wsum = 0, energy = 0;
    const re = new Float64Array(n), im = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = samples[i] * w[i];
      wsum += w[i];
      energy += samples[i] * samples[i];
    }
    const totalDb = toDb(Math.sqrt(energy / n) * Math.SQRT2);
    fft(re, im);
    const binHz = sampleRate / n;
    const first = Math.max(1, Math.ceil((minHz || 20) / binHz));
    let peak = -1, peakMag = 0;
    const mag = (k) => Math.hypot(re[k], im[k]);
    for (let k = first; k < n / 2 - 1; k++) {
      const m = mag(k);
      if (m > peakMag) { peakMag = m; peak = k; }
    }
    if (peak < 0 || peakMag === 0) return { freq: 0, dbfs: -Infinity, total_dbfs: totalDb };
    const a = Math.log(mag(peak - 1) + 1e-30), b = Math.log(peakMag), c = Math.log(mag(peak + 1) + 1e-30);
    const denom = a - 2 * b + c;
    const offset = denom !== 0 ? Math.max(-0.5, Math.min(0.5, 0.5 * (a - c) / denom)) : 0;
    const freq = (peak + offset) * binHz;
    // Goertzel-style DTFT of the windowed block at exactly freq.
    let sr = 0, si = 0;
    const step = 2 * Math.PI * freq / sampleRate;
    for (let i = 0; i < n; i++) {
      const v = samples[i] * w[i];
      sr += v * Math.cos(step * i);
      si -= v * Math.sin(step * i);
    }
    const amplitude = 2 * Math.hypot(sr, si) / wsum;
    return { freq, dbfs: toDb(amplitude), total_dbfs: totalDb };
  }

  root.altoAnalysis = { fft, measureTone };
})(typeof window !== 'undefined' ? window : globalThis);
