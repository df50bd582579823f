// The shipped conf/alto-livekit.conf as the user service runs it: `pipewire -c alto-livekit.conf`,
// a PipeWire client process of its own, with two room drop-ins in alto-livekit.conf.d/ — two
// module instances, two rooms at once. Each room has its own mixer and streams in the daemon's
// graph, no node name is used twice, each mixer carries only its own room's audio. Stopping the
// process takes every node of both rooms away and leaves the daemon as it was.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startPipewire, TOP } from '../lib/pipewire.mjs';
import { killGroup, waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, recordPorts, tonePeers } from './receive-helpers.mjs';
import { moduleDropIn, secretFile, waitParticipantNodes, moduleDir } from './module-helpers.mjs';

const ROOMS = [
  { room: 'standup', peer: { identity: 'alice', name: 'Alice', freq: 440 } },
  { room: 'retro', peer: { identity: 'bob', name: 'Bob', freq: 660 } },
];

describe('pipewire -c alto-livekit.conf with two rooms', () => {
  let pw;
  let server;
  let dir;
  let proc;
  const stops = [];

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-standalone-');
    for (const r of ROOMS) {
      const [p] = await tonePeers(startPeer, server, r.room, [r.peer]);
      stops.push(() => p.stop());
      r.handle = p;
    }
    pw = await startPipewire({ name: 'standalone' });
  });
  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('two drop-ins: two rooms, each its own mixer and streams, no name twice', { timeout: 120_000 }, async () => {
    const conf = join(dir, 'alto-livekit.conf');
    copyFileSync(join(TOP, 'conf', 'alto-livekit.conf'), conf);
    mkdirSync(`${conf}.d`);
    const secret = secretFile(dir);
    for (const r of ROOMS) {
      writeFileSync(join(`${conf}.d`, `${r.room}.conf`), moduleDropIn({
        url: server.url, room: r.room, identity: 'listener', name: 'Listener', 'api.key': 'devkey', 'api.secret.file': secret,
      }));
    }
    proc = pw.spawn('pipewire', ['-c', conf], { env: { PIPEWIRE_MODULE_DIR: moduleDir() }, logTo: join(dir, 'standalone.log') });

    try {
      for (const r of ROOMS) await waitParticipantNodes(pw, r.room, [r.peer.identity]);
    } catch (e) {
      e.message += `\n--- pipewire -c alto-livekit.conf ---\n${readFileSync(join(dir, 'standalone.log'), 'utf8').slice(-3000)}`;
      throw e;
    }
    const g = await pw.graph();
    const names = g.nodes.map((n) => n.name).filter(Boolean);
    const twice = names.filter((n, i) => names.indexOf(n) !== i);
    assert.deepEqual(twice, [], `node names used twice:\n${await pw.describeGraph()}`);

    for (const r of ROOMS) {
      const mixer = g.nodes.find((n) => n.name === `alto.${r.room}`);
      assert.ok(mixer, `room node alto.${r.room}`);
      assert.equal(mixer.description, `LiveKit: ${r.room}`);
      const participants = g.nodes.filter((n) => n.props['livekit.room'] === r.room && n.mediaClass === 'Stream/Output/Audio');
      assert.deepEqual(participants.map((n) => n.name), [`alto.${r.room}.${r.peer.identity}`]);
      const into = g.links.filter((l) => l.inputNode === `alto.${r.room}`).map((l) => l.outputNode);
      assert.deepEqual([...new Set(into)], [`alto.${r.room}.${r.peer.identity}`], `${r.room}'s mixer takes only its own participant`);
      // a client of the daemon, not the daemon itself
      assert.notEqual(mixer.props['client.id'], undefined);
    }

    // each mixer carries its own room's tone and not the other's
    const [one, two] = await recordPorts(pw, ROOMS.map((r) => `alto.${r.room}:output_FL`), 3);
    for (const [i, s] of [one, two].entries()) {
      const own = ROOMS[i].peer.freq;
      const other = ROOMS[1 - i].peer.freq;
      const ownLevel = toneLevelNear(s, own);
      const otherLevel = toneLevelNear(s, other);
      // the level itself is the receive tests' business (and dips on a loaded CI machine): here,
      // that each mixer has its own room's tone, clearly, and nothing of the other
      assert.ok(ownLevel > TONE_DBFS - 6, `${ROOMS[i].room}: its ${own} Hz at ${ownLevel.toFixed(2)} dBFS`);
      assert.ok(otherLevel < -60, `${ROOMS[i].room}: the other room's ${other} Hz at ${otherLevel.toFixed(2)} dBFS`);
    }
  });

  test('stopping the process takes both rooms away; the daemon is as it was', { timeout: 60_000 }, async () => {
    assert.ok(proc, 'the process runs');
    const stoppedAt = Date.now();
    await killGroup(proc, { grace: 5000 });
    assert.deepEqual(await proc.exited, { code: 0, signal: null }, 'SIGTERM: a clean exit (no abort in teardown)');
    // the rooms were left politely: the others see the listener go now, not after a server timeout
    for (const r of ROOMS) {
      await r.handle.waitEvent('participant_left', (e) => e.identity === 'listener' || e.participant?.identity === 'listener', 5_000);
    }
    assert.ok(Date.now() - stoppedAt < 8_000);
    await waitFor(async () => !(await pw.nodes()).some((n) => n.props['livekit.room']), {
      timeout: 15_000, message: 'every node of the rooms gone',
    });
    const names = (await pw.nodes()).map((n) => n.name);
    assert.ok(names.includes('ci-sink') && names.includes('ci-source'));
    assert.ok(!names.some((n) => n?.startsWith('alto.')), names.join(' '));
  });
});
