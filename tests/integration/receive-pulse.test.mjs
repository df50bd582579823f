// What a desktop user does with the room through pipewire-pulse (pavucontrol speaks the same
// protocol): the room is a sink "LiveKit: <room>", each participant a playback stream on it whose
// volume and mute change only that participant. And where the mix goes: --target, and pw-link
// moves it for good.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll, waitFor } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, joinRoom, waitStreams, recordPorts, tonePeers } from './receive-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const OTHER_SINK = `{ factory = adapter
      args = { factory.name = support.null-audio-sink node.name = other-sink node.description = "Other sink"
               media.class = Audio/Sink audio.position = [ FL FR ] object.linger = true
               adapter.auto-port-config = { mode = dsp monitor = true position = preserve } } }`;

describe('the room in pipewire-pulse, and where the mix goes', () => {
  let pw;
  let server;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-pulse', pulse: true, extraConf: { objects: OTHER_SINK } });
    server = await startDevServer();
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    await pw?.stop();
    await killAll();
  });

  const pactlJson = async (...args) => JSON.parse((await pw.run('pactl', ['-f', 'json', ...args])).stdout);

  test('pactl: the room is a sink, participants are its sink inputs; volume and mute act on one participant only',
    { timeout: 180_000 }, async () => {
      const room = 'pulse';
      const peers = await tonePeers(startPeer, server, room, [
        { identity: 'alice', name: 'Alice', freq: 440 },
        { identity: 'bob', name: 'Bob', freq: 660 },
      ]);
      stops.push(...peers.map((p) => () => p.stop()));
      const alto = joinRoom(pw, server, room, 'listener');
      stops.push(() => alto.stop('SIGKILL'));
      await waitStreams(alto, ['alice', 'bob']);
      const mixOut = [`alto.${room}:output_FL`];

      const sink = await waitFor(async () => (await pactlJson('list', 'sinks')).find((s) => s.name === `alto.${room}`),
        { timeout: 15_000, message: 'the room sink in pactl list sinks' });
      assert.equal(sink.description, `LiveKit: ${room}`);
      const inputs = await waitFor(async () => {
        const all = (await pactlJson('list', 'sink-inputs')).filter((i) => i.sink === sink.index);
        return all.length === 2 ? all : null;
      }, { timeout: 15_000, message: 'two sink inputs on the room sink' });
      const byName = Object.fromEntries(inputs.map((i) => [i.properties['livekit.participant.identity'], i]));
      assert.equal(byName.alice.properties['media.name'], 'Alice');
      assert.equal(byName.alice.properties['node.name'], `alto.${room}.alice`);
      assert.equal(byName.bob.properties['media.name'], 'Bob');

      const levels = async () => {
        const [s] = await recordPorts(pw, mixOut, 2);
        return { alice: toneLevelNear(s, 440), bob: toneLevelNear(s, 660) };
      };
      const before = await levels();
      assert.ok(Math.abs(before.alice - TONE_DBFS) <= 1 && Math.abs(before.bob - TONE_DBFS) <= 1, JSON.stringify(before));

      // 50 % in pactl is 0.5³ = 0.125 linear (PipeWire's cubic volume): -18.06 dB
      await pw.run('pactl', ['set-sink-input-volume', String(byName.alice.index), '50%']);
      await sleep(300);
      const half = await levels();
      const want = 20 * Math.log10(0.5 ** 3);
      assert.ok(Math.abs(half.alice - before.alice - want) <= 1,
        `alice changed by ${(half.alice - before.alice).toFixed(2)} dB, set ${want.toFixed(2)} dB`);
      assert.ok(Math.abs(half.bob - before.bob) <= 1, `bob unchanged: ${before.bob.toFixed(2)} → ${half.bob.toFixed(2)}`);

      await pw.run('pactl', ['set-sink-input-mute', String(byName.alice.index), '1']);
      await sleep(300);
      const muted = await levels();
      assert.ok(muted.alice < -60, `alice muted: ${muted.alice.toFixed(2)} dBFS`);
      assert.ok(Math.abs(muted.bob - before.bob) <= 1, `bob unchanged: ${before.bob.toFixed(2)} → ${muted.bob.toFixed(2)}`);

      assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
      for (const p of peers) await p.stop();
    });

  test('--target NODE: the mix goes there; pw-link moves it and alto leaves it moved', { timeout: 120_000 }, async () => {
    const room = 'target';
    const peers = await tonePeers(startPeer, server, room, [{ identity: 'dave', freq: 550 }]);
    stops.push(...peers.map((p) => () => p.stop()));
    const alto = joinRoom(pw, server, room, 'listener', { args: ['--target', 'other-sink'] });
    stops.push(() => alto.stop('SIGKILL'));
    const out = await alto.waitEvent('mixer_output');
    assert.equal(out.target, 'other-sink');
    await waitStreams(alto, ['dave']);
    const linksFrom = async () => (await pw.links()).filter((l) => l.outputNode === `alto.${room}`).map((l) => l.input).sort();
    assert.deepEqual(await linksFrom(), ['other-sink:playback_FL', 'other-sink:playback_FR']);
    const [s] = await recordPorts(pw, ['other-sink:monitor_FL'], 2);
    assert.ok(Math.abs(toneLevelNear(s, 550) - TONE_DBFS) <= 1, 'the room plays on other-sink');

    // the user re-routes the mix to ci-sink
    for (const ch of ['FL', 'FR']) {
      await pw.unlink(`alto.${room}:output_${ch}`, `other-sink:playback_${ch}`);
      await pw.link(`alto.${room}:output_${ch}`, `ci-sink:playback_${ch}`);
    }
    await sleep(1500);
    assert.deepEqual(await linksFrom(), ['ci-sink:playback_FL', 'ci-sink:playback_FR'], 'alto did not link it back');
    const [t] = await recordPorts(pw, ['ci-sink:monitor_FL'], 2);
    assert.ok(Math.abs(toneLevelNear(t, 550) - TONE_DBFS) <= 1, 'the room plays on ci-sink now');
    assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
  });
});
