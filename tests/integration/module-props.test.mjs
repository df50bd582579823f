// The module's property overrides and options reach the graph: stream.props on the room node,
// participant.props on every participant stream (but never their node.name or LiveKit facts),
// send.props on the send stream, publish = false (nothing published, no send stream), target
// (the room plays into the node named, not the default sink).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { tonePeers } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes } from './module-helpers.mjs';

const EXTRA_SINK = `{ factory = adapter args = { factory.name = support.null-audio-sink node.name = other-sink
  node.description = "Other sink" media.class = Audio/Sink audio.position = [ FL FR ] object.linger = true
  adapter.auto-port-config = { mode = dsp monitor = true position = preserve } } }`;

describe('libpipewire-module-alto options and property overrides', () => {
  let pw;
  let server;
  let dir;
  let alice;
  const stops = [];

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-module-props-');
    [alice] = await tonePeers(startPeer, server, 'props', [{ identity: 'alice', name: 'Alice', freq: 440 }]);
    stops.push(() => alice.stop());
    const secret = secretFile(dir);
    const base = { url: server.url, identity: 'listener', 'api.key': 'devkey', 'api.secret.file': secret };
    pw = await startPipewireWithDropIns({
      name: 'module-props',
      extraConf: { objects: EXTRA_SINK },
      dropIns: {
        'props.conf': moduleDropIn({
          ...base, room: 'props', target: 'other-sink',
          'stream.props': { 'node.description': 'Standup room', 'alto.test': 'mixer' },
          'participant.props': { 'node.latency': '512/48000', 'node.name': 'must-not-win', 'livekit.room': 'nope', 'alto.test': 'participant' },
          'send.props': { 'node.description': 'My microphone', 'alto.test': 'send' },
        }),
        'quiet.conf': moduleDropIn({ ...base, room: 'quiet', identity: 'quiet-listener', publish: false }),
      },
    });
  });
  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('stream.props on the room node, participant.props on the streams (not their names or facts)',
    { timeout: 90_000 }, async () => {
      const { alice: node } = await waitParticipantNodes(pw, 'props', ['alice']);
      assert.equal(node.name, 'alto.props.alice', 'node.name stays alto\'s');
      assert.equal(node.props['livekit.room'], 'props', 'LiveKit facts stay alto\'s');
      assert.equal(node.props['node.latency'], '512/48000');
      assert.equal(node.props['alto.test'], 'participant');
      assert.equal(node.description, 'Alice', 'the display name is still the description');
      const mixer = (await pw.nodes()).find((n) => n.name === 'alto.props');
      assert.equal(mixer.description, 'Standup room');
      assert.equal(mixer.props['alto.test'], 'mixer');
    });

  test('target: the room plays into the node named', { timeout: 60_000 }, async () => {
    await waitFor(async () => {
      const links = (await pw.links()).filter((l) => l.outputNode === 'alto.props').map((l) => l.inputNode);
      return links.length === 2 && links.every((n) => n === 'other-sink');
    }, { timeout: 20_000, message: 'alto.props linked to other-sink' });
  });

  test('send.props on the send stream; publish = false: no send stream, nothing published', { timeout: 90_000 }, async () => {
    const send = await waitFor(async () => (await pw.nodes()).find((n) => n.props['alto.test'] === 'send'),
      { timeout: 30_000, message: 'the send stream of room props' });
    assert.equal(send.mediaClass, 'Stream/Input/Audio');
    assert.equal(send.description, 'My microphone');
    assert.equal(send.props['media.role'], 'Communication');
    // the quiet room: joined (its mixer is there), but no send stream and no track for the others
    await waitFor(async () => (await pw.nodes()).some((n) => n.name === 'alto.quiet'), { timeout: 20_000, message: 'alto.quiet' });
    const quietSend = (await pw.nodes()).filter((n) => n.mediaClass === 'Stream/Input/Audio' &&
      (n.props['livekit.room'] === 'quiet' || /quiet/.test(n.name ?? '')));
    assert.deepEqual(quietSend, [], 'no send stream with publish = false');
  });
});
