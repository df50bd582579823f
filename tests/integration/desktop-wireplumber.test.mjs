// WirePlumber gives each person back the volume you set for them: with WirePlumber running
// (dbus-run-session, its state in a private dir) and the room joined by the module, alice's
// stream is set to 0.3 and bob's to 0.7; alice leaves and joins again (a new stream node): her
// stream comes back at 0.3, bob's stays 0.7 — per person, not one shared value.
//
// The first test checks what the restore keys on: WirePlumber 0.4's restore-stream keys a stream
// by the first of media.role, application.id, application.name, media.name, node.name — so no
// media.role, and application.id (and node.name) "alto.<room>.<identity>", the same on every join.
// `./run setup` installs WirePlumber, so a WirePlumber that cannot run here is a failure, not a skip.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { tonePeers } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes } from './module-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOM = 'standup';
const ALICE = { identity: 'alice', name: 'Alice', freq: 440 };
const BOB = { identity: 'bob', name: 'Bob', freq: 660 };
const VOLUME = { alice: 0.3, bob: 0.7 };

/** The restore key WirePlumber 0.4 uses for a stream (restore-stream.lua, findSuitableKey). */
function restoreKey(props) {
  for (const k of ['media.role', 'application.id', 'application.name', 'media.name', 'node.name']) {
    if (props[k] !== undefined) return `${props['media.class'].replace(/^Stream\//, '')}:${k}:${props[k]}`;
  }
  return null;
}

/** "pid comm" of every process whose environment has key=value. */
function processesWithEnv(key, value) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${key}=${value}`)) {
        found.push(`${pid} ${readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}`);
      }
    } catch { /* gone, or not ours to read */ }
  }
  return found;
}

describe('WirePlumber restores each participant\'s volume', () => {
  let pw;
  let server;
  let dir;
  let stateDir;
  let wpLog;
  let wpRuns = false;
  const stops = [];
  const peers = {};

  const channelVolume = async (id) => (await pw.props(id)).channelVolumes?.[0];
  const stateText = () => {
    const f = join(stateDir, 'wireplumber', 'restore-stream');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  const startPerson = async (p) => {
    const [peer] = await tonePeers(startPeer, server, ROOM, [p]);
    peers[p.identity] = peer;
    stops.push(() => peer.stop());
    return peer;
  };

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-wireplumber-');
    pw = await startPipewireWithDropIns({
      name: 'desktop-wireplumber',
      dropIns: {
        'alto-room.conf': moduleDropIn({
          url: server.url, room: ROOM, identity: 'listener', 'api.key': 'devkey', 'api.secret.file': secretFile(dir),
        }),
      },
    });
    stateDir = join(pw.dir, 'state');
    mkdirSync(stateDir);
    wpLog = join(dir, 'wireplumber.log');
    // WirePlumber dies at once without a session bus; its state (saved volumes) stays private
    pw.spawn('dbus-run-session', ['--', 'wireplumber'], { env: { XDG_STATE_HOME: stateDir }, logTo: wpLog });
    try {
      await waitFor(async () => (await pw.dump()).some((o) => o.type === 'PipeWire:Interface:Client' &&
        o.info?.props?.['application.name'] === 'WirePlumber'), { timeout: 20_000, message: 'WirePlumber to connect' });
      wpRuns = true;
    } catch { /* said in the test */ }
    await startPerson(ALICE);
    await startPerson(BOB);
  });
  after(async () => {
    const runtimeDir = pw?.dir;
    await teardown({ stops, server, pw, dirs: [dir] });
    // dbus-run-session starts dbus-daemon itself: nothing that ran against this daemon may remain
    const left = runtimeDir ? processesWithEnv('XDG_RUNTIME_DIR', runtimeDir) : [];
    assert.deepEqual(left, [], `left behind: ${left.join(', ')}`);
  });

  test('the properties restore keys on: per person, stable, no shared media.role', { timeout: 90_000 }, async () => {
    const nodes = await waitParticipantNodes(pw, ROOM, ['alice', 'bob']);
    for (const [id, n] of Object.entries(nodes)) {
      assert.equal(n.props['media.role'], undefined, 'no media.role: it would key every person alike');
      assert.equal(n.props['application.id'], `alto.${ROOM}.${id}`);
      assert.equal(n.name, `alto.${ROOM}.${id}`);
      assert.equal(restoreKey(n.props), `Output/Audio:application.id:alto.${ROOM}.${id}`);
    }
    assert.notEqual(restoreKey(nodes.alice.props), restoreKey(nodes.bob.props));
  });

  test('a volume set once comes back when the same identity joins again', { timeout: 150_000 }, async () => {
    assert.ok(wpRuns, `WirePlumber did not connect to the daemon. Its log:\n${readFileSync(wpLog, 'utf8').slice(-1500)}`);
    const nodes = await waitParticipantNodes(pw, ROOM, ['alice', 'bob']);
    const setVolume = (id, v) => pw.run('pw-cli', ['set-param', String(nodes[id].id), 'Props', `{ channelVolumes: [ ${v.toFixed(2)} ] }`]);
    // WirePlumber saves a second after a change (the value as float32: 0.7 → 0.69999998807907)
    const saved = (id) => {
      const m = new RegExp(`^Output/Audio:application\\.id:alto\\.${ROOM}\\.${id}:channelVolumes=([0-9.]+);`, 'm').exec(stateText());
      return m ? Number(m[1]) : null;
    };
    const allSaved = () => Object.entries(VOLUME).every(([id, v]) => saved(id) !== null && Math.abs(saved(id) - v) < 0.001);
    for (const [id, v] of Object.entries(VOLUME)) await setVolume(id, v);
    // set once, as a user would: WirePlumber saves a second after the last change it saw. (It once
    // never did here: the room mixer announced its Props every second, so the save kept being put
    // off — see desktop-quiet.test.mjs.)
    try {
      await waitFor(allSaved, { timeout: 15_000, message: 'WirePlumber to save both volumes' });
    } catch (e) {
      e.message += `; its state file:\n${stateText()}\nits log:\n${readFileSync(wpLog, 'utf8').slice(-1500)}`;
      throw e;
    }

    // alice leaves: her stream goes; she joins again: a new stream, her volume back
    const oldSerial = nodes.alice.props['object.serial']; // ids are reused, serials are not
    await peers.alice.stop();
    await waitFor(async () => !(await pw.nodes()).some((n) => n.name === `alto.${ROOM}.alice`),
      { timeout: 30_000, message: 'alice\'s stream to go' });
    await sleep(500);
    await startPerson(ALICE);
    const again = await waitParticipantNodes(pw, ROOM, ['alice']);
    assert.notEqual(again.alice.props['object.serial'], oldSerial, 'a new stream node');
    const restored = await waitFor(async () => {
      const v = await channelVolume(again.alice.id);
      return Math.abs(v - VOLUME.alice) < 0.01 ? v : null;
    }, { timeout: 15_000, message: `alice's volume restored to ${VOLUME.alice}` });
    assert.ok(Math.abs(restored - VOLUME.alice) < 0.01);
    const bob = await channelVolume(nodes.bob.id);
    assert.ok(Math.abs(bob - VOLUME.bob) < 0.01, `bob keeps his own volume (${bob})`);
  });
});
