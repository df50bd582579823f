// Speech through the whole receive path: espeak-ng speech published by an rtc-node peer (Opus
// through the dev server), decoded by alto, out of that participant's PipeWire stream. The
// waveform must match the source: correlation > 0.9 after alignment.
//
// Alignment is per quarter second of speech: the participant stream corrects clock drift by
// resampling (the rate wanders by ~100 ppm around 1.0 even on one machine), which moves the
// signal by a few samples per second — nothing an ear notices, but enough to decorrelate a
// waveform over several seconds. Each window is aligned on its own (±100 ms around the global lag).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll, run } from '../lib/procs.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { readWav, alignAndCorrelate, rms } from '../lib/audio.mjs';
import { joinRoom, waitStreams } from './receive-helpers.mjs';
import { rmSync } from 'node:fs';

const TEXT = 'The quick brown fox jumps over the lazy dog, while alto listens to the room.';

describe('speech through alto', () => {
  let pw;
  let server;
  let dir;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-speech' });
    server = await startDevServer();
    dir = tmpDir('alto-speech-');
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    await pw?.stop();
    await killAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('espeak-ng speech published by a peer comes out of its participant stream with correlation > 0.9',
    { timeout: 180_000 }, async () => {
      const raw = join(dir, 'speech-22k.wav');
      const wav = join(dir, 'speech.wav');
      await run('espeak-ng', ['-w', raw, TEXT]);
      await run('sox', [raw, '-r', '48000', '-c', '1', '-b', '16', wav]);
      const ref = readWav(wav).channels[0];

      const room = 'speech';
      const peer = startPeer({ url: server.url, room, identity: 'speaker', name: 'Speaker', wav });
      stops.push(() => peer.stop());
      await peer.waitEvent('publishing', undefined, 90_000);
      const alto = joinRoom(pw, server, room, 'listener', { args: ['--stats', '0.5'] });
      stops.push(() => alto.stop('SIGKILL'));
      await waitStreams(alto, ['speaker']);
      // the drift correction settles first: it starts at its largest (±0.5 %) until the jitter
      // buffer is at its target, and a waveform stretched by 0.5 % does not correlate
      let settled = 0;
      await alto.waitEvent('stream_stats', (e) => {
        settled = Math.abs(e.rate - 1) < 0.0015 ? settled + 1 : 0;
        return settled >= 3;
      }, 60_000);

      // two loops of the speech and some, straight from the participant stream
      const seconds = Math.ceil((2 * ref.length) / 48000) + 1;
      const got = readWav(await pw.record(seconds, { from: [`alto.${room}.speaker:output_MONO`] })).channels[0];
      // the peer loops the speech without a pause: any copy will do, take the first whole one
      const found = alignAndCorrelate(ref, got);
      const lag = ((found.lag % ref.length) + ref.length) % ref.length;
      assert.ok(lag + ref.length <= got.length, `a whole copy of the speech was recorded (lag ${lag})`);
      const whole = { lag };

      const W = 12000; // 0.25 s
      const corrs = [];
      for (let off = 0; off + W <= ref.length; off += W) {
        const seg = ref.subarray(off, off + W);
        if (rms(seg) < 0.01) continue; // a pause: nothing to compare
        const from = Math.max(0, off + whole.lag - 4800);
        const part = got.subarray(from, Math.min(got.length, off + whole.lag + W + 4800));
        corrs.push(alignAndCorrelate(seg, part).corr);
      }
      const mean = corrs.reduce((a, b) => a + b, 0) / corrs.length;
      const list = corrs.map((c) => c.toFixed(3)).join(' ');
      assert.ok(corrs.length >= 8, `speech windows: ${corrs.length}`);
      assert.ok(mean > 0.9, `mean correlation ${mean.toFixed(3)} (windows ${list})`);
      // a late packet concealed on a loaded machine may spoil one window; not most of them
      assert.ok(corrs.filter((c) => c > 0.9).length >= 0.8 * corrs.length, `most windows alike: ${list}`);
      assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
    });
});
