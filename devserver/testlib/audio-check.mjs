/**
 * Waiting for a tone to show up in a WAV file that a peer is still writing. The level
 * definitions are the suite's (tests/lib/audio.mjs): toneLevel = peak amplitude of the sine
 * component in dBFS.
 */
import fs from 'node:fs';
import { readWav, toneLevel, slice, dominantFrequency } from '../../tests/lib/audio.mjs';

/**
 * Poll path until its last `window` seconds carry freq within `tolerance` dB of targetDb, or
 * until timeoutMs. Resolves with {level, dominant, seconds} of the last measurement (the
 * caller asserts); never throws for a file that is not there yet.
 */
export async function waitForTone(path, freq, targetDb, { tolerance = 1, timeoutMs = 20_000, window = 2 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = { level: -Infinity, dominant: 0, seconds: 0 };
  for (;;) {
    if (fs.existsSync(path)) {
      try {
        const w = readWav(path);
        if (w.seconds >= window + 0.5) {
          const seg = slice(w.channels[0], { from: w.seconds - window, to: w.seconds, sampleRate: w.sampleRate });
          last = { level: toneLevel(seg, freq, { sampleRate: w.sampleRate }),
            dominant: dominantFrequency(seg, { sampleRate: w.sampleRate }), seconds: w.seconds };
          if (Math.abs(last.level - targetDb) <= tolerance) return last;
        }
      } catch { /* half-written header: try again */ }
    }
    if (Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
}
