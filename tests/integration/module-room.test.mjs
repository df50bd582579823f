// libpipewire-module-alto in a private daemon, loaded from a conf drop-in as a user would:
// it joins a dev-server room, and the room's participants appear exactly as `alto join` shows
// them (same node names, descriptions, classes, LiveKit facts, mixer inputs and links, the
// tones at their level), with the module's own node properties on top. The module's info
// carries author, description, usage and version.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { killGroup, waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, joinRoom, waitStreams, recordPorts, tonePeers } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes } from './module-helpers.mjs';

const PEERS = [
  { identity: 'alice', name: 'Alice Liddell', freq: 440 },
  { identity: 'bob', name: 'Bob', freq: 660 },
];

// Properties that name an instance (ids) or change while the stream lives (LiveKit state);
// everything else must be the same whoever hosts the session.
const INSTANCE_KEYS = /^(object\.(id|serial)|client\.id|factory\.id|livekit\.participant\.sid|livekit\.track\.sid|livekit\.speaking|livekit\.connection-quality)$/;

/** A node's properties without instance keys, with the room's name replaced by <room>. */
function roomIndependent(props, room) {
  return Object.fromEntries(Object.entries(props).filter(([k]) => !INSTANCE_KEYS.test(k))
    .map(([k, v]) => [k, typeof v === 'string' ? v.split(room).join('<room>') : v]));
}

/** application.name of the client that owns a node (what pavucontrol shows as the application). */
function clientAppName(dump, node) {
  const client = dump.find((o) => o.type === 'PipeWire:Interface:Client' && o.id === node.props['client.id']);
  return client?.info?.props?.['application.name'];
}

describe('libpipewire-module-alto from a conf drop-in', () => {
  let pw;
  let server;
  let dir;
  let alicePeer;
  const stops = [];
  const ROOM = 'desk-module';
  const CLI_ROOM = 'desk-cli';

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-module-');
    const peers = await tonePeers(startPeer, server, ROOM, PEERS);
    stops.push(...peers.map((p) => () => p.stop()));
    [alicePeer] = peers;
    pw = await startPipewireWithDropIns({
      name: 'module-room',
      dropIns: {
        'alto-room.conf': moduleDropIn({
          url: server.url, room: ROOM, identity: 'listener', name: 'Listener',
          'api.key': 'devkey', 'api.secret.file': secretFile(dir),
        }),
      },
    });
  });
  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('joins the room: each participant a stream named after them, on its own mixer input, every tone at its level',
    { timeout: 120_000 }, async () => {
      const byId = await waitParticipantNodes(pw, ROOM, PEERS.map((p) => p.identity));
      const g = await pw.graph();
      const mixer = g.nodes.find((n) => n.name === `alto.${ROOM}`);
      assert.ok(mixer, `no room node in\n${await pw.describeGraph()}`);
      assert.equal(mixer.description, `LiveKit: ${ROOM}`);
      assert.equal(mixer.mediaClass, 'Audio/Sink');
      for (const p of PEERS) {
        const n = byId[p.identity];
        assert.equal(n.name, `alto.${ROOM}.${p.identity}`);
        assert.equal(n.description, p.name);
        assert.equal(n.props['media.name'], p.name);
        assert.equal(n.mediaClass, 'Stream/Output/Audio');
        const links = g.links.filter((l) => l.outputNode === n.name).map((l) => l.input).sort();
        assert.deepEqual(links, [`alto.${ROOM}:in_${p.identity}_FL`, `alto.${ROOM}:in_${p.identity}_FR`]);
      }
      const out = g.links.filter((l) => l.outputNode === `alto.${ROOM}`).map((l) => `${l.output} → ${l.input}`).sort();
      assert.deepEqual(out, [`alto.${ROOM}:output_FL → ci-sink:playback_FL`, `alto.${ROOM}:output_FR → ci-sink:playback_FR`]);

      const [fl] = await recordPorts(pw, [`alto.${ROOM}:output_FL`], 3);
      for (const p of PEERS) {
        const got = toneLevelNear(fl, p.freq);
        // (the exact level is the receive tests' business; it dips on a loaded machine)
        assert.ok(got > TONE_DBFS - 6 && got < TONE_DBFS + 1, `${p.identity}'s ${p.freq} Hz at ${got.toFixed(2)} dBFS`);
      }
    });

  test('the participants look exactly as `alto join` shows them', { timeout: 120_000 }, async () => {
    const peers = await tonePeers(startPeer, server, CLI_ROOM, PEERS);
    stops.push(...peers.map((p) => () => p.stop()));
    const alto = joinRoom(pw, server, CLI_ROOM, 'listener', { args: ['--name', 'Listener'] });
    stops.push(() => alto.stop('SIGKILL'));
    await waitStreams(alto, PEERS.map((p) => p.identity));

    const dump = await pw.dump();
    const nodes = await pw.nodes(dump);
    for (const p of PEERS) {
      const mod = nodes.filter((n) => n.name === `alto.${ROOM}.${p.identity}`);
      const cli = nodes.filter((n) => n.name === `alto.${CLI_ROOM}.${p.identity}`);
      assert.equal(mod.length, 1, `one node alto.${ROOM}.${p.identity}`);
      assert.equal(cli.length, 1, `one node alto.${CLI_ROOM}.${p.identity}`);
      assert.deepEqual(roomIndependent(mod[0].props, ROOM), roomIndependent(cli[0].props, CLI_ROOM),
        `${p.identity}: module and alto join give the stream the same properties`);
      assert.equal(clientAppName(dump, mod[0]), 'alto');
      assert.equal(clientAppName(dump, cli[0]), 'alto');
    }
    const mixMod = nodes.filter((n) => n.name === `alto.${ROOM}`);
    const mixCli = nodes.filter((n) => n.name === `alto.${CLI_ROOM}`);
    assert.equal(mixMod.length, 1, `one room node alto.${ROOM} (not a second, unlinked copy):\n${await pw.describeGraph()}`);
    assert.equal(mixCli.length, 1, `one room node alto.${CLI_ROOM}`);
    assert.deepEqual(roomIndependent(mixMod[0].props, ROOM), roomIndependent(mixCli[0].props, CLI_ROOM), 'the room nodes alike');
    assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
  });

  test('its module info has author, description, usage and version', { timeout: 30_000 }, async () => {
    const dump = await pw.dump();
    const mod = dump.find((o) => o.type === 'PipeWire:Interface:Module' && o.info?.name === 'libpipewire-module-alto');
    assert.ok(mod, 'the module is listed');
    const props = mod.info.props;
    for (const k of ['module.author', 'module.description', 'module.usage', 'module.version']) {
      assert.ok(props[k], `${k} is set`);
    }
    assert.match(props['module.usage'], /room=/);
    assert.match(props['module.usage'], /api\.secret\.file=/);
    assert.match(props['module.version'], /^\d+\.\d+\.\d+$/);
    assert.doesNotMatch(JSON.stringify(mod.info.args ?? ''), /secret\s*=\s*"?secret"?/, 'no secret in the args');
  });

  test('node properties users expect, and live LiveKit state on the node: speaking, quality, muted',
    { timeout: 90_000 }, async () => {
      const name = `alto.${ROOM}.alice`;
      const props = async () => (await pw.nodes()).find((n) => n.name === name)?.props ?? {};
      const p = await props();
      assert.equal(p['application.name'], 'alto');
      assert.equal(String(p['node.network']), 'true');
      assert.equal(p['media.role'], undefined, 'no shared media.role (it would key every person\'s saved volume alike)');
      // alice talks (a steady tone): the server reports her speaking, and her connection quality
      await waitFor(async () => String((await props())['livekit.speaking']) === 'true',
        { timeout: 20_000, message: `${name} livekit.speaking = true` });
      assert.ok(['excellent', 'good', 'poor', 'lost'].includes((await props())['livekit.connection-quality']),
        `livekit.connection-quality: ${(await props())['livekit.connection-quality']}`);
      // she mutes, then unmutes: the node says so
      alicePeer.mute();
      await waitFor(async () => String((await props())['livekit.muted']) === 'true',
        { timeout: 20_000, message: `${name} livekit.muted = true after alice muted` });
      alicePeer.unmute();
      await waitFor(async () => String((await props())['livekit.muted']) === 'false',
        { timeout: 20_000, message: `${name} livekit.muted = false after alice unmuted` });
    });

  test('the daemon stops cleanly with the room joined (SIGTERM: exit 0, no abort in teardown)', { timeout: 30_000 }, async () => {
    await killGroup(pw.daemon, { grace: 5000 });
    assert.deepEqual(await pw.daemon.exited, { code: 0, signal: null }, pw.log().slice(-2000));
  });
});
