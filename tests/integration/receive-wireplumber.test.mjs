// alto on a desktop-like graph: WirePlumber (the session manager Debian ships) runs. It
// configures every audio stream itself, must not move the participant streams off the room
// mixer, and restores each participant's volume the next time alto joins (the stable
// node.name / application.id per room and identity).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll, killGroup, waitFor, pidGone } from '../lib/procs.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, blockLevelsNear, joinRoom, waitStreams, recordPorts } from './receive-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWav, slice } from '../lib/audio.mjs';

describe('with WirePlumber', () => {
  let pw;
  let server;
  let wp;
  let state;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-wp', pulse: true });
    server = await startDevServer();
    state = tmpDir('alto-wp-state-');
    // WirePlumber needs a D-Bus session bus; its state (restored volumes) in a private dir
    wp = pw.spawn('dbus-run-session', ['--', 'wireplumber'], {
      name: 'wireplumber', logTo: `${pw.dir}/wireplumber.log`, env: { XDG_STATE_HOME: state },
    });
    await waitFor(async () => {
      const r = await pw.run('pw-metadata', ['-n', 'default'], { check: false, timeout: 5000 });
      return /default\.audio\.sink/.test(r.stdout);
    }, { timeout: 30_000, message: 'WirePlumber to set default.audio.sink' });
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    const pid = wp?.pid;
    await pw?.stop();
    await killAll();
    if (pid) assert.ok(pidGone(pid), 'dbus-run-session is gone');
    if (state) rmSync(state, { recursive: true, force: true });
  });

  /** `seconds` of the left channel of a pulse source (the first 0.5 s left out). */
  const parecMonitor = async (device, seconds) => {
    const file = `${state}/parec-${Date.now()}.wav`;
    await pw.run('timeout', ['-s', 'INT', String(seconds), 'parec', '-d', device, '--file-format=wav',
      '--format=float32le', '--channels=2', '--channel-map=front-left,front-right', '--rate=48000', '--latency-msec=20', file], { check: false, timeout: 15_000 });
    return slice(readWav(file).channels[0], { from: 0.5 });
  };

  const sinkInput = async (nodeName) => {
    const all = JSON.parse((await pw.run('pactl', ['-f', 'json', 'list', 'sink-inputs'])).stdout);
    return all.find((i) => i.properties['node.name'] === nodeName);
  };

  test('the participant stream plays on the room mixer, and its volume is restored on the next join',
    { timeout: 180_000 }, async () => {
      const room = 'desk';
      const peer = startPeer({ url: server.url, room, identity: 'alice', name: 'Alice', tone: 440 });
      stops.push(() => peer.stop());
      await peer.waitEvent('publishing', undefined, 90_000);

      const join = async () => {
        const a = joinRoom(pw, server, room, 'listener', { args: ['--no-publish'] });
        stops.push(() => a.stop('SIGKILL'));
        await waitStreams(a, ['alice']);
        const sinks = JSON.parse((await pw.run('pactl', ['-f', 'json', 'list', 'sinks'])).stdout);
        const mixer = sinks.find((s) => s.name === `alto.${room}`);
        assert.ok(mixer, 'the room sink');
        // WirePlumber configured the stream's ports; alto linked them to the mixer
        const si = await waitFor(async () => {
          const i = await sinkInput(`alto.${room}.alice`);
          return i?.sink === mixer.index ? i : null;
        }, { timeout: 15_000, message: 'alice on the room sink' });
        const node = (await pw.nodes()).find((n) => n.name === `alto.${room}.alice`);
        assert.equal(node.state, 'running', `stream state ${node.state}`);
        return { a, si };
      };

      const first = await join();
      await sleep(1500); // the jitter buffer fills
      // listen as a desktop app does: the room sink's monitor through pipewire-pulse (the test
      // harness's own recorder configures its ports itself, which WirePlumber then fights)
      const s = await parecMonitor(`alto.${room}.monitor`, 2.5);
      assert.ok(Math.abs(toneLevelNear(s, 440) - TONE_DBFS) <= 1,
        `alice heard: ${toneLevelNear(s, 440).toFixed(2)} dBFS (blocks ${blockLevelsNear(s, 440).map((b) => b.toFixed(1)).join(' ')})`);
      await pw.run('pactl', ['set-sink-input-volume', String(first.si.index), '40%']);
      await sleep(2500); // WirePlumber saves its state a second after a change
      assert.equal((await first.a.stop('SIGINT')).code, 0, first.a.stderr);
      await sleep(500);

      const second = await join();
      const vol = Object.values(second.si.volume)[0];
      assert.equal(vol.value_percent, '40%', `restored volume: ${JSON.stringify(second.si.volume)}`);
      assert.equal((await second.a.stop('SIGINT')).code, 0, second.a.stderr);
    });
});
