// livekit-client 2.23.0 in headless Chromium and @livekit/rtc-node 1.1.0 in one room on the dev
// server, audio both ways, levels checked: the browser publishes an oscillator at 660 Hz (gain
// 0.5 = -6.02 dBFS) that rtc-node records; rtc-node publishes 440 Hz (-12.04 dBFS) that the
// browser measures with WebAudio. Once on /rtc/v1 (single PeerConnection, what the SDK tries
// first) and once on a --legacy-only server (the SDK falls back to /rtc, two PeerConnections).
//
// The server listens on the interface address: Chromium and rtc-node gather no loopback ICE
// candidates.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startDevServer, startPeer, interfaceAddress, tmpDir } from '../testlib/index.mjs';
import { startBrowserPeer } from '../peers/browser/start.mjs';
import { readWav, slice, toneLevel, dominantFrequency } from '../../tests/lib/audio.mjs';

const BROWSER_TONE = 660;
const BROWSER_GAIN = 0.5;
const BROWSER_DBFS = 20 * Math.log10(BROWSER_GAIN); // -6.02
const NODE_TONE = 440;
const NODE_DBFS = 20 * Math.log10(0.25); // rtc-node peer's default amplitude: -12.04

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll until check() returns a truthy value; throw describe()'s text after ms. */
async function until(check, ms, describeFailure) {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(describeFailure());
    await sleep(250);
  }
}

function roomTests(mode) {
  describe(`livekit-client (Chromium) <-> rtc-node over ${mode}`, { timeout: 150_000 }, () => {
    const room = `browser-${mode}`;
    let server, nodePeer, browser, dir;

    before(async () => {
      const host = interfaceAddress();
      assert.ok(host, 'this machine needs a non-loopback IPv4 interface for libwebrtc peers');
      server = await startDevServer({ host, legacyOnly: mode === 'legacy' });
      dir = tmpDir('alto-browser-sdk-');
      nodePeer = startPeer({ url: server.url, room, identity: 'node-a', tone: NODE_TONE, record: dir });
      await nodePeer.waitEvent('joined', null, 45_000);
      browser = startBrowserPeer({ url: server.url, room, identity: 'browser-b', tone: BROWSER_TONE,
        gain: BROWSER_GAIN, interval: 500 });
      const joined = await browser.waitEvent('joined');
      assert.deepEqual(joined.participants, ['node-a'], 'the browser sees the rtc-node peer already in the room');
      await browser.waitEvent('published');
    });

    after(async () => {
      await browser?.stop();
      await nodePeer?.stop();
      await server?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the browser hears rtc-node\'s 440 Hz at the sent level', async () => {
      await browser.waitEvent('track_subscribed', (e) => e.identity === 'node-a');
      // A few consecutive reports (0.5 s apart, 170 ms blocks) must all show the tone.
      const good = (e) => Math.abs(e.freq - NODE_TONE) < 2 && e.dbfs !== null && Math.abs(e.dbfs - NODE_DBFS) < 1;
      const last = await until(() => {
        const l = browser.levels('node-a').slice(-6);
        return l.length === 6 && l.every(good) && l;
      }, 30_000, () => `browser levels for node-a: ${JSON.stringify(browser.levels('node-a').slice(-6))}`);
      for (const e of last) assert.ok(Math.abs(e.total_dbfs - NODE_DBFS) < 1, `nothing but the tone: ${JSON.stringify(e)}`);
    });

    test('rtc-node hears the browser\'s 660 Hz oscillator at the sent level', async () => {
      const rec = await nodePeer.waitEvent('recording', (e) => e.identity === 'browser-b');
      const file = rec.path ?? path.join(dir, 'browser-b.wav');
      // 4 s of audio after the subscription, then judge the last 3 s second by second.
      await sleep(4500);
      const wav = readWav(file);
      const s = wav.channels[0];
      assert.equal(wav.sampleRate, 48000);
      assert.ok(wav.seconds >= 3.5, `recorded ${wav.seconds} s`);
      const end = wav.seconds;
      for (let t = end - 3; t + 1 <= end + 1e-9; t += 1) {
        const seg = slice(s, { from: t, to: t + 1, sampleRate: wav.sampleRate });
        const level = toneLevel(seg, BROWSER_TONE, { sampleRate: wav.sampleRate });
        const freq = dominantFrequency(seg, { sampleRate: wav.sampleRate });
        assert.ok(Math.abs(freq - BROWSER_TONE) < 2, `second ${t.toFixed(1)}: dominant ${freq.toFixed(1)} Hz`);
        assert.ok(Math.abs(level - BROWSER_DBFS) < 1,
          `second ${t.toFixed(1)}: 660 Hz at ${level.toFixed(2)} dBFS, sent ${BROWSER_DBFS.toFixed(2)}`);
      }
    });

    test('leaving: rtc-node sees the browser go', async () => {
      await browser.stop();
      await nodePeer.waitEvent('participant_left', (e) => e.identity === 'browser-b', 20_000);
      browser = null;
    });
  });
}

roomTests('v1');
roomTests('legacy');
