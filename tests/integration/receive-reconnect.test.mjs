// The room keeps playing through network trouble (and says so when the graph itself goes). A lost signaling connection (a proxy drops it)
// is resumed: the peer connection restarts ICE, the participant streams stay and play on. A
// server that dies and comes back is a full rejoin: new peer connection, the streams are made
// again and play.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll, killGroup } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import {
  TONE_DBFS, toneLevelNear, joinRoom, waitStreams, recordPorts, signalProxy, altoAsanBin, sanitizerReport,
} from './receive-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

describe('the room plays on through reconnections', () => {
  let pw;
  const stops = [];
  before(async () => { pw = await startPipewire({ name: 'receive-reconnect' }); });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await pw?.stop();
    await killAll();
  });

  const heard = async (room, freq) => {
    const [s] = await recordPorts(pw, [`alto.${room}:output_FL`], 2);
    return toneLevelNear(s, freq);
  };

  for (const mode of ['single_pc', 'legacy']) {
    test(`${mode}: a lost signal is resumed, the stream stays and plays on`, { timeout: 120_000 }, async () => {
      const server = await startDevServer();
      stops.push(() => server.stop());
      const proxy = await signalProxy(server.url);
      stops.push(() => proxy.close());
      const room = `resume-${mode.replace('_', '-')}`;
      const peer = startPeer({ url: server.url, room, identity: 'alice', tone: 440 });
      stops.push(() => peer.stop());
      await peer.waitEvent('publishing', undefined, 90_000);
      const alto = joinRoom(pw, { url: proxy.url }, room, 'listener', { args: mode === 'legacy' ? ['--legacy'] : [] });
      stops.push(() => alto.stop('SIGKILL'));
      const [first] = Object.values(await waitStreams(alto, ['alice']));
      assert.ok(Math.abs((await heard(room, 440)) - TONE_DBFS) <= 1, 'heard before');

      proxy.cut();
      const rec = await alto.waitEvent('reconnecting', undefined, 30_000);
      assert.equal(rec.full, false, 'a resume');
      const back = await alto.waitEvent('reconnected', undefined, 30_000);
      assert.equal(back.resumed, true);
      await sleep(1500);
      assert.ok(!alto.events.some((e) => e.event === 'participant_stream_removed'), 'the stream was never removed');
      const node = (await pw.nodes()).find((n) => n.name === `alto.${room}.alice`);
      assert.equal(node?.id, first.node_id, 'the same node');
      const after = await heard(room, 440);
      assert.ok(Math.abs(after - TONE_DBFS) <= 1, `heard after the resume: ${after.toFixed(2)} dBFS`);
      assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
    });
  }

  test('single_pc: the server dies and returns: full rejoin, the stream is made again and plays', { timeout: 180_000 }, async () => {
    let server = await startDevServer();
    stops.push(() => server.stop());
    const { port, url } = server;
    const room = 'rejoin';
    const peer = startPeer({ url, room, identity: 'bob', tone: 660 });
    stops.push(() => peer.stop());
    await peer.waitEvent('publishing', undefined, 90_000);
    const alto = joinRoom(pw, server, room, 'listener');
    stops.push(() => alto.stop('SIGKILL'));
    await waitStreams(alto, ['bob']);

    await server.stop('SIGKILL');
    await alto.waitEvent('reconnecting', undefined, 30_000);
    await sleep(1000);
    server = await startDevServer({ port });
    stops.push(() => server.stop());
    const back = await alto.waitEvent('reconnected', (e) => e.resumed === false, 60_000);
    // the old stream went with the old peer connection; bob's SDK comes back and publishes again
    await alto.waitEvent('participant_stream_removed', (e) => e.participant.identity === 'bob', 30_000);
    const again = await alto.waitEvent('participant_stream_added', (e) => e.participant.identity === 'bob' && e.t >= back.t, 90_000);
    assert.equal(again.node_name, `alto.${room}.bob`, 'the same stable node name');
    await sleep(1500);
    const level = await heard(room, 660);
    assert.ok(Math.abs(level - TONE_DBFS) <= 1, `heard after the rejoin: ${level.toFixed(2)} dBFS`);
    const nodes = (await pw.nodes()).filter((n) => n.name === `alto.${room}.bob`);
    assert.equal(nodes.length, 1, 'one stream for bob, not two');
    assert.equal((await alto.stop('SIGINT')).code, 0, alto.stderr);
  });

  test('the PipeWire daemon goes away: an error event, alto leaves the room, exit 6 (ASan build)', { timeout: 120_000 }, async () => {
    const own = await startPipewire({ name: 'receive-gone' });
    stops.push(() => own.stop());
    const server = await startDevServer();
    stops.push(() => server.stop());
    const room = 'gone';
    const peer = startPeer({ url: server.url, room, identity: 'carol', tone: 880 });
    stops.push(() => peer.stop());
    await peer.waitEvent('publishing', undefined, 90_000);
    const alto = joinRoom(own, server, room, 'listener', { bin: altoAsanBin() });
    stops.push(() => alto.stop('SIGKILL'));
    await waitStreams(alto, ['carol']);
    await killGroup(own.daemon, { grace: 500 });
    const err = await alto.waitEvent('error', undefined, 30_000);
    assert.equal(err.code, -32, JSON.stringify(err));
    assert.match(err.message, /PipeWire/);
    const left = await alto.waitEvent('left', undefined, 30_000);
    assert.equal(left.exit_code, 6);
    const exit = await alto.exited;
    assert.equal(exit.code, 6, alto.stderr);
    // the server saw a polite leave, not a dropped socket
    await peer.waitEvent('participant_left', (e) => e.identity === 'listener', 30_000);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!sanitizerReport(alto.stderr), alto.stderr);
  });
});
