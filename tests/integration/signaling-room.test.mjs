// `alto join` follows a room on the dev server with official-SDK (@livekit/rtc-node) peers in it:
// it lists who is there, reports a newcomer's join / publish / mute / unmute / leave in order,
// renders hostile names safely, and leaves cleanly on SIGINT (the others see it leave as
// CLIENT_INITIATED).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, startPeer, connectSignal, mintToken, lk } from '../../devserver/testlib/index.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startAlto, runAlto } from './signaling-helpers.mjs';

describe('alto join follows a room', () => {
  let server;
  const stops = [];
  before(async () => { server = await startDevServer(); });
  after(() => teardown({ stops, server }));
  const peer = (o) => {
    const p = startPeer({ url: server.url, ...o });
    stops.push(() => p.stop());
    return p;
  };
  const alto = (args, opts) => {
    const a = startAlto([server.url, ...args], opts);
    stops.push(() => a.stop('SIGKILL'));
    return a;
  };

  test('lists the two peers already in the room, then a third one joins, publishes, mutes, unmutes, leaves',
    { timeout: 120_000 }, async () => {
      const room = 'follow';
      const alice = peer({ room, identity: 'alice', name: 'Alice' });
      const bob = peer({ room, identity: 'bob' });
      await alice.waitEvent('joined');
      await bob.waitEvent('joined');

      const a = alto(['--room', room, '--identity', 'alto-1', '--name', 'alto']);
      const joined = await a.waitEvent('joined');
      assert.equal(joined.room.name, room);
      assert.equal(joined.self.identity, 'alto-1');
      assert.equal(joined.self.name, 'alto');
      assert.match(joined.self.sid, /^PA_/);
      assert.equal(joined.mode, 'single_pc');
      const listed = joined.participants.map((p) => p.identity).sort();
      assert.deepEqual(listed, ['alice', 'bob']);
      assert.equal(joined.participants.find((p) => p.identity === 'alice').name, 'Alice');
      // the peers see alto arrive
      await alice.waitEvent('participant_joined', (e) => e.identity === 'alto-1');

      const carol = peer({ room, identity: 'carol', tone: 440 });
      const pub = await carol.waitEvent('publishing', undefined, 60_000);
      await a.waitEvent('track_published', (e) => e.participant.identity === 'carol', 30_000);
      carol.mute();
      await a.waitEvent('track_muted', (e) => e.participant.identity === 'carol');
      carol.unmute();
      await a.waitEvent('track_unmuted', (e) => e.participant.identity === 'carol');
      const exit = await carol.stop('SIGTERM');
      assert.equal(exit.code, 0);
      await a.waitEvent('participant_left', (e) => e.participant.identity === 'carol');

      const seen = a.about('carol', ['participant_joined', 'track_published', 'track_muted', 'track_unmuted',
        'track_unpublished', 'participant_left']);
      const order = seen.map((e) => e.event).filter((e, i, all) => i === 0 || e !== all[i - 1]);
      assert.deepEqual(order.filter((e) => e !== 'track_unpublished'),
        ['participant_joined', 'track_published', 'track_muted', 'track_unmuted', 'participant_left'],
        `alto's events about carol: ${JSON.stringify(seen.map((e) => e.event))}`);
      const track = seen.find((e) => e.event === 'track_published').track;
      assert.equal(track.sid, pub.track);
      assert.equal(track.type, 'audio');
      assert.equal(track.source, 'microphone');
      assert.equal(seen.find((e) => e.event === 'track_muted').track.muted, true);
      assert.equal(seen.find((e) => e.event === 'track_unmuted').track.muted, false);
      // every line on stdout was one JSON object with an event field
      assert.ok(a.events.every((e) => typeof e.event === 'string' && e.event !== 'unparsable'), a.lines.join('\n'));

      const end = await a.stop('SIGINT');
      assert.equal(end.code, 0, `alto exits 0 on SIGINT; stderr:\n${a.stderr}`);
      const left = a.events.at(-1);
      assert.equal(left.event, 'left');
      assert.equal(left.reason, 'client');
      await alice.waitEvent('participant_left', (e) => e.identity === 'alto-1');
    });

  test('SIGINT sends leave: the server records CLIENT_INITIATED, the socket closes, exit 0', { timeout: 60_000 }, async () => {
    const room = 'sigint';
    const obs = await connectSignal(server.url, await mintToken({ room, identity: 'observer' }), { autoSubscribe: false });
    stops.push(async () => obs.close());
    await obs.waitFor('join');
    const a = alto(['--room', room, '--identity', 'leaver']);
    await a.waitEvent('joined');
    await obs.waitFor('update', (u) => u.participants.some((p) => p.identity === 'leaver'));
    const exit = await a.stop('SIGINT');
    assert.equal(exit.code, 0);
    const u = await obs.waitFor('update', (x) => x.participants.some((p) => p.identity === 'leaver' &&
      p.state === lk.ParticipantInfo_State.DISCONNECTED));
    const info = u.participants.find((p) => p.identity === 'leaver');
    assert.equal(info.disconnectReason, lk.DisconnectReason.CLIENT_INITIATED);
  });

  test('names with quotes, newlines, escapes and emoji: exact in JSON, harmless in human output',
    { timeout: 60_000 }, async () => {
      const room = 'names';
      const name = 'Zoë "the\nquoter" \\ 🎵 \u001b[31mred\u001b[0m \u202eevil';
      const z = peer({ room, identity: 'zoe\ttab', name });
      await z.waitEvent('joined');

      const a = alto(['--room', room, '--identity', 'alto-json']);
      const joined = await a.waitEvent('joined');
      const p = joined.participants.find((x) => x.identity === 'zoe\ttab');
      assert.ok(p, JSON.stringify(joined));
      assert.equal(p.name, name, 'the name survives JSON escaping exactly');
      await a.stop('SIGINT');

      const h = startAlto([server.url, '--room', room, '--identity', 'alto-human'], { json: false });
      stops.push(() => h.stop('SIGKILL'));
      await h.proc.waitFor((l) => l.includes('joined room'), 20_000);
      await h.stop('SIGINT');
      const out = h.lines.join('\n');
      const line = h.lines.find((l) => l.includes('joined room'));
      assert.ok(line.includes('zoe\\ttab'), line);
      assert.ok(line.includes('\\n') && line.includes('\\x1b[31m') && line.includes('\\u202e'), line);
      assert.ok(line.includes('Zoë') && line.includes('🎵'), 'printable unicode stays as it is');
      // no control character (C0, DEL, C1) and no bidi override reaches the terminal
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(out), JSON.stringify(out));
      // one line per event: the newline in the name did not split the joined line
      assert.ok(h.lines.every((l) => /^\d\d:\d\d:\d\d\.\d{3} \w+/.test(l)), out);
    });

  test('a peer with the same identity evicts alto: leave{DUPLICATE_IDENTITY}, exit 4', { timeout: 60_000 }, async () => {
    const room = 'dup';
    const a = alto(['--room', room, '--identity', 'twin']);
    await a.waitEvent('joined');
    const twin = peer({ room, identity: 'twin' });
    await twin.waitEvent('joined');
    const left = await a.waitEvent('left');
    assert.equal(left.reason, 'removed');
    assert.equal(left.server_reason, 'duplicate_identity');
    const exit = await a.exited;
    assert.equal(exit.code, 4);
    assert.match(a.stderr, /removed us from the room \(duplicate_identity\)/);
  });

  test('alto token + --token: a token for another room is refused before connecting (exit 2)', { timeout: 30_000 }, async () => {
    const { altoToken } = await import('./signaling-helpers.mjs');
    const token = altoToken(['--identity', 'tok', '--room', 'granted']);
    const r = await runAlto([server.url, '--room', 'other', '--token', token]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /token is for another room/);
    assert.ok(!r.stderr.includes(token), 'the token is never printed');
    // the same token works for its own room
    const a = alto(['--token', token]);
    const joined = await a.waitEvent('joined');
    assert.equal(joined.room.name, 'granted');
    assert.equal(joined.self.identity, 'tok');
    await a.stop('SIGINT');
  });
});
