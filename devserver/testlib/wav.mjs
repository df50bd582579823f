/**
 * 16-bit PCM WAV files: a streaming writer (header kept valid while recording, so a file can
 * be read while it grows) and a reader. Only what the peers and tests need.
 */
import fs from 'node:fs';

function header(dataBytes, sampleRate, channels) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavWriter {
  constructor(path, sampleRate = 48000, channels = 1) {
    this.path = path;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.bytes = 0;
    this.fd = fs.openSync(path, 'w');
    fs.writeSync(this.fd, header(0, sampleRate, channels), 0, 44, 0);
    this.lastHeader = Date.now();
  }

  /** samples: Int16Array (interleaved). */
  write(samples) {
    if (this.fd === null) return;
    const buf = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    fs.writeSync(this.fd, buf, 0, buf.length, 44 + this.bytes);
    this.bytes += buf.length;
    if (Date.now() - this.lastHeader > 500) this.flushHeader();
  }

  flushHeader() {
    if (this.fd === null) return;
    fs.writeSync(this.fd, header(this.bytes, this.sampleRate, this.channels), 0, 44, 0);
    this.lastHeader = Date.now();
  }

  close() {
    if (this.fd === null) return;
    this.flushHeader();
    fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Read a PCM16 WAV → {sampleRate, channels, samples: Float32Array (channel 0, -1..1)}. */
export function readWav(path) {
  const b = fs.readFileSync(path);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  let off = 12, fmt = null, data = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    const start = off + 8;
    if (id === 'data' && (size === 0 || start + size > b.length)) size = b.length - start; // still growing
    if (id === 'fmt ') fmt = { format: b.readUInt16LE(start), channels: b.readUInt16LE(start + 2), sampleRate: b.readUInt32LE(start + 4), bits: b.readUInt16LE(start + 14) };
    if (id === 'data') { data = b.subarray(start, start + size); break; }
    off = start + size + (size & 1);
  }
  if (!fmt || !data) throw new Error(`${path}: no fmt or data chunk`);
  if (fmt.format !== 1 || fmt.bits !== 16) throw new Error(`${path}: only 16-bit PCM is supported`);
  const frames = Math.floor(data.length / (2 * fmt.channels));
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) samples[i] = data.readInt16LE(i * 2 * fmt.channels) / 32768;
  return { sampleRate: fmt.sampleRate, channels: fmt.channels, samples };
}
