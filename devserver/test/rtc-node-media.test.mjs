// Audio through the dev server between two official-SDK peers (@livekit/rtc-node):
// A publishes a 440 Hz tone, B records what it receives; the tone must arrive at the level A
// sent (within 1 dB), in single-PC mode (/rtc/v1) and in legacy mode (/rtc, two PCs), with
// either peer joining first.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { startDevServer, startPeer, tmpDir, httpGet } from '../testlib/index.mjs';
import { waitForTone } from '../testlib/audio-check.mjs';

const FREQ = 440;
const AMPLITUDE = 0.25; // -12.04 dBFS
const stops = [];
after(async () => { for (const s of stops.reverse()) await s().catch(() => {}); });

async function toneThrough(t, { legacyOnly = false, legacyPeers = false, order }) {
  const server = await startDevServer({ legacyOnly, trace: true });
  stops.push(() => server.stop());
  const dir = tmpDir('alto-rec-');
  const room = `tone-${order}-${legacyOnly ? 'legacy' : 'v1'}`;
  const startA = () => startPeer({ url: server.url, room, identity: 'alice', tone: FREQ, amplitude: AMPLITUDE, legacy: legacyPeers });
  const startB = () => startPeer({ url: server.url, room, identity: 'bob', record: dir, legacy: legacyPeers });
  let a, b;
  if (order === 'A-before-B') {
    a = startA(); stops.push(() => a.stop());
    await a.waitEvent('publishing');
    b = startB(); stops.push(() => b.stop());
  } else {
    b = startB(); stops.push(() => b.stop());
    await b.waitEvent('joined');
    a = startA(); stops.push(() => a.stop());
  }
  const sent = await a.waitEvent('publishing');
  const sub = await b.waitEvent('track_subscribed', (e) => e.identity === 'alice');
  assert.equal(sub.track, sent.track, 'B subscribed to the track A published');
  const wav = path.join(dir, 'alice.wav');
  const got = await waitForTone(wav, FREQ, sent.level_dbfs, { timeoutMs: 25_000 });
  t.diagnostic(`sent ${sent.level_dbfs} dBFS, received ${got.level.toFixed(2)} dBFS at ${got.dominant.toFixed(1)} Hz`);
  assert.ok(Math.abs(got.level - sent.level_dbfs) <= 1, `tone level ${got.level.toFixed(2)} dBFS, sent ${sent.level_dbfs} dBFS`);
  assert.ok(Math.abs(got.dominant - FREQ) < 5, `dominant frequency ${got.dominant} Hz`);
  // the peers really used the mode under test (rtc-node falls back on its own)
  const modes = server.trace().filter((l) => l.msg.connect).map((l) => `${l.identity}:${l.msg.connect.mode}`);
  const want = legacyOnly || legacyPeers ? 'legacy' : 'v1';
  assert.deepEqual([...new Set(modes)].sort(), [`alice:${want}`, `bob:${want}`], `connections: ${modes}`);
  if (legacyOnly) {
    assert.ok(server.trace().some((l) => l.msg.rejected?.status === 404 && l.msg.rejected.path === '/rtc/v1'),
      'the SDK tried /rtc/v1 first and got 404');
  }
  await Promise.all([a.stop(), b.stop()]);
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

test('single PC (/rtc/v1): A publishes before B joins', { timeout: 90_000 }, (t) => toneThrough(t, { order: 'A-before-B' }));
test('single PC (/rtc/v1): B joins before A publishes', { timeout: 90_000 }, (t) => toneThrough(t, { order: 'B-before-A' }));
test('legacy (--legacy-only, /rtc/v1 is 404): A before B', { timeout: 90_000 }, (t) => toneThrough(t, { legacyOnly: true, order: 'A-before-B' }));
test('legacy (--legacy-only, /rtc/v1 is 404): B before A', { timeout: 90_000 }, (t) => toneThrough(t, { legacyOnly: true, order: 'B-before-A' }));
test('legacy by choice (singlePeerConnection=false): B before A', { timeout: 90_000 }, (t) => toneThrough(t, { legacyPeers: true, order: 'B-before-A' }));

test('single PC: four publishers, one more than the SDK\'s initial receive sections (media_sections_requirement)',
  { timeout: 120_000 }, async (t) => {
    const server = await startDevServer({ trace: true });
    stops.push(() => server.stop());
    const dir = tmpDir('alto-rec-');
    const peers = [];
    stops.push(async () => { for (const p of peers) await p.stop(); });
    const b = startPeer({ url: server.url, room: 'four', identity: 'bob', record: dir });
    peers.push(b);
    await b.waitEvent('joined');
    const freqs = [300, 500, 700, 900];
    for (const [i, f] of freqs.entries()) {
      const p = startPeer({ url: server.url, room: 'four', identity: `a${i}`, tone: f, amplitude: AMPLITUDE });
      peers.push(p);
      await p.waitEvent('publishing');
    }
    for (const [i, f] of freqs.entries()) {
      const got = await waitForTone(path.join(dir, `a${i}.wav`), f, 20 * Math.log10(AMPLITUDE), { timeoutMs: 25_000 });
      t.diagnostic(`a${i}: ${got.level.toFixed(2)} dBFS at ${got.dominant.toFixed(1)} Hz`);
      assert.ok(Math.abs(got.level - 20 * Math.log10(AMPLITUDE)) <= 1, `a${i} (${f} Hz) at ${got.level.toFixed(2)} dBFS`);
    }
    const asked = server.trace().filter((l) => l.identity === 'bob' && l.msg.mediaSectionsRequirement?.numAudios > 0);
    assert.ok(asked.length > 0, 'the server asked bob for more receive sections');
    for (const p of peers) await p.stop();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

for (const legacyOnly of [false, true]) {
  test(`resume after the signal socket drops (${legacyOnly ? 'legacy' : 'single PC'}): the SDK resumes, the tone keeps its level`,
    { timeout: 90_000 }, async (t) => {
      const server = await startDevServer({ legacyOnly, trace: true });
      stops.push(() => server.stop());
      const dir = tmpDir('alto-rec-');
      const a = startPeer({ url: server.url, room: 'resume', identity: 'alice', tone: FREQ, amplitude: AMPLITUDE });
      stops.push(() => a.stop());
      const sent = await a.waitEvent('publishing');
      const b = startPeer({ url: server.url, room: 'resume', identity: 'bob', record: dir });
      stops.push(() => b.stop());
      await b.waitEvent('track_subscribed');
      const wav = path.join(dir, 'alice.wav');
      const before = await waitForTone(wav, FREQ, sent.level_dbfs, { timeoutMs: 25_000 });
      assert.ok(Math.abs(before.level - sent.level_dbfs) <= 1, `before: ${before.level.toFixed(2)} dBFS`);
      const r = await httpGet(`${server.httpUrl}/debug/drop-signal?room=resume&identity=bob`);
      assert.equal(r.status, 200);
      await b.waitEvent('reconnected', null, 30_000);
      const resumed = server.trace().find((l) => l.identity === 'bob' && l.msg.connect?.reconnect);
      assert.ok(resumed, 'bob came back with a resume, not a new join');
      // only audio received after the resume counts
      await new Promise((res) => setTimeout(res, 3000));
      const after = await waitForTone(wav, FREQ, sent.level_dbfs, { timeoutMs: 20_000 });
      t.diagnostic(`before ${before.level.toFixed(2)}, after ${after.level.toFixed(2)} dBFS`);
      assert.ok(Math.abs(after.level - sent.level_dbfs) <= 1, `after the resume: ${after.level.toFixed(2)} dBFS`);
      assert.ok(!b.events.some((e) => e.event === 'disconnected'), 'bob never disconnected');
      await Promise.all([a.stop(), b.stop()]);
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });
}
