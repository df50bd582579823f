// `alto join` keeps its place in the room: the dev server killed and restarted on the same port
// (alto reports reconnecting, is back in the room soon after the server returns and lists the
// participants again), the legacy /rtc fallback when /rtc/v1 answers 404, and the server's
// join deadline (a media-less client is removed: exit 4).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startAlto } from './signaling-helpers.mjs';

describe('alto join reconnects', () => {
  const stops = [];
  after(() => teardown({ stops }));

  test('dev server killed and restarted on the same port: reconnecting, then back in the room with the participants',
    { timeout: 120_000 }, async () => {
      let server = await startDevServer();
      stops.push(() => server.stop());
      const { port, url } = server;
      const room = 'restart';
      const bob = startPeer({ url, room, identity: 'bob' });
      stops.push(() => bob.stop());
      await bob.waitEvent('joined');

      const a = startAlto([url, '--room', room, '--identity', 'alto-r']);
      stops.push(() => a.stop('SIGKILL'));
      const joined = await a.waitEvent('joined');
      assert.deepEqual(joined.participants.map((p) => p.identity), ['bob']);

      // a crash, not a shutdown: no leave, the socket just dies
      await server.stop('SIGKILL');
      const reconnecting = await a.waitEvent('reconnecting');
      assert.equal(reconnecting.joined_before, true);
      assert.equal(reconnecting.full, false, 'the first try after a loss is a resume');
      await new Promise((r) => setTimeout(r, 2500));   // down for a while: several refused attempts

      server = await startDevServer({ port });
      const back = Date.now();
      stops.push(() => server.stop());
      const reconnected = await a.waitEvent('reconnected', undefined, 30_000);
      const after = reconnected.t - back;
      // a behaviour, not a benchmark: the retry table caps at ~1.2 s between attempts
      assert.ok(after < 2000, `back in the room ${after} ms after the server returned`);
      assert.equal(reconnected.resumed, false, 'the new server does not know us: full rejoin');
      assert.equal(reconnected.room.name, room);
      assert.notEqual(reconnected.self.sid, joined.self.sid);
      assert.ok(a.events.filter((e) => e.event === 'reconnecting').length >= 2,
        'refused attempts while the server was down were reported');

      // bob's SDK reconnects too; alto sees him again (listed at once or joining after)
      const listed = reconnected.participants.some((p) => p.identity === 'bob');
      if (!listed) await a.waitEvent('participant_joined', (e) => e.participant.identity === 'bob' && e.t > reconnected.t, 60_000);
      const end = await a.stop('SIGINT');
      assert.equal(end.code, 0, a.stderr);
    });

  test('a legacy-only server (/rtc/v1 answers 404): alto falls back to /rtc', { timeout: 60_000 }, async () => {
    const server = await startDevServer({ legacyOnly: true, trace: true });
    stops.push(() => server.stop());
    const a = startAlto([server.url, '--room', 'legacy', '--identity', 'alto-l']);
    stops.push(() => a.stop('SIGKILL'));
    const joined = await a.waitEvent('joined');
    assert.equal(joined.mode, 'legacy');
    const connect = server.trace().find((l) => l.msg?.connect && l.identity === 'alto-l');
    assert.equal(connect?.msg.connect.mode, 'legacy', JSON.stringify(connect));
    assert.equal((await a.stop('SIGINT')).code, 0);
  });

  test('--legacy forces /rtc on a server that has /rtc/v1', { timeout: 60_000 }, async () => {
    const server = await startDevServer();
    stops.push(() => server.stop());
    const a = startAlto([server.url, '--room', 'legacy2', '--identity', 'alto-l2', '--legacy']);
    stops.push(() => a.stop('SIGKILL'));
    const joined = await a.waitEvent('joined');
    assert.equal(joined.mode, 'legacy');
    assert.equal((await a.stop('SIGINT')).code, 0);
  });

  test('the server removes a client whose peer connection never comes up: exit 4 (join_failure)',
    { timeout: 60_000 }, async () => {
      // alto does no media yet: the primary PC deadline (60 s on livekit-server) removes it
      const server = await startDevServer({ joinTimeout: 2 });
      stops.push(() => server.stop());
      const a = startAlto([server.url, '--room', 'deadline', '--identity', 'alto-d']);
      stops.push(() => a.stop('SIGKILL'));
      await a.waitEvent('joined');
      const left = await a.waitEvent('left', undefined, 30_000);
      assert.equal(left.reason, 'removed');
      assert.equal(left.server_reason, 'join_failure');
      assert.equal((await a.exited).code, 4);
    });
});
