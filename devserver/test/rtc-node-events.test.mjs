// Room events between official-SDK peers, checked from both sides: the SDK's events (what an
// app sees) and the raw ParticipantUpdates a bare signaling observer receives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, startPeer, mintToken, connectSignal, lk } from '../testlib/index.mjs';

const { ParticipantInfo_State: State, DisconnectReason } = lk;
let server;
const stops = [];
before(async () => { server = await startDevServer(); });
after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await server?.stop();
});

async function observer(room) {
  const c = await connectSignal(server.url, await mintToken({ room, identity: `observer-${room}` }), { autoSubscribe: false });
  stops.push(async () => c.close());
  await c.waitFor('join');
  return c;
}

const infoOf = (u, identity) => u.participants.find((p) => p.identity === identity);

test('a peer that leaves is seen DISCONNECTED by the others', { timeout: 60_000 }, async () => {
  const obs = await observer('leave');
  const a = startPeer({ url: server.url, room: 'leave', identity: 'alice' });
  stops.push(() => a.stop());
  await a.waitEvent('joined');
  const b = startPeer({ url: server.url, room: 'leave', identity: 'bob' });
  stops.push(() => b.stop());
  await b.waitEvent('joined');
  await a.waitEvent('participant_joined', (e) => e.identity === 'bob');
  const exit = await b.stop('SIGTERM');
  assert.equal(exit.code, 0, 'peer exits cleanly on SIGTERM');
  await a.waitEvent('participant_left', (e) => e.identity === 'bob');
  const u = await obs.waitFor('update', (x) => infoOf(x, 'bob')?.state === State.DISCONNECTED);
  assert.equal(infoOf(u, 'bob').disconnectReason, DisconnectReason.CLIENT_INITIATED);
});

test('publish and mute are relayed: TrackInfo in updates, muted flag both ways', { timeout: 60_000 }, async () => {
  const obs = await observer('mute');
  const b = startPeer({ url: server.url, room: 'mute', identity: 'bob' });
  stops.push(() => b.stop());
  await b.waitEvent('joined');
  const a = startPeer({ url: server.url, room: 'mute', identity: 'alice', tone: 440 });
  stops.push(() => a.stop());
  const pub = await a.waitEvent('publishing');
  const up = await obs.waitFor('update', (x) => infoOf(x, 'alice')?.tracks.some((t) => t.sid === pub.track));
  const track = infoOf(up, 'alice').tracks.find((t) => t.sid === pub.track);
  assert.equal(track.type, lk.TrackType.AUDIO);
  assert.equal(track.source, lk.TrackSource.MICROPHONE);
  assert.equal(track.muted, false);
  await b.waitEvent('track_subscribed', (e) => e.track === pub.track);

  a.mute();
  await a.waitEvent('muted');
  await b.waitEvent('track_muted', (e) => e.track === pub.track);
  const mutedUp = await obs.waitFor('update', (x) => infoOf(x, 'alice')?.tracks.some((t) => t.sid === pub.track && t.muted));
  const v1 = infoOf(mutedUp, 'alice').version;
  assert.ok(v1 > infoOf(up, 'alice').version, 'version grows');

  a.unmute();
  await b.waitEvent('track_unmuted', (e) => e.track === pub.track);
  await obs.waitFor('update', (x) => infoOf(x, 'alice')?.tracks.some((t) => t.sid === pub.track && !t.muted) && infoOf(x, 'alice').version > v1);
});

test('unpublish: TrackUnpublished reaches the subscriber, the track leaves the participant', { timeout: 60_000 }, async () => {
  const obs = await observer('unpub');
  const a = startPeer({ url: server.url, room: 'unpub', identity: 'alice', tone: 440 });
  stops.push(() => a.stop());
  const b = startPeer({ url: server.url, room: 'unpub', identity: 'bob' });
  stops.push(() => b.stop());
  const pub = await a.waitEvent('publishing');
  await b.waitEvent('track_subscribed', (e) => e.track === pub.track);
  const withTrack = await obs.waitFor('update', (x) => infoOf(x, 'alice')?.tracks.some((t) => t.sid === pub.track));
  const v = infoOf(withTrack, 'alice').version;
  a.command('unpublish');
  await a.waitEvent('local_track_unpublished');
  await b.waitEvent('track_unpublished', (e) => e.track === pub.track);
  await obs.waitFor('update', (x) => infoOf(x, 'alice')?.version > v && !infoOf(x, 'alice').tracks.some((t) => t.sid === pub.track));
});

test('the SDK with a token signed by the wrong secret is refused', { timeout: 60_000 }, async () => {
  const p = startPeer({ url: server.url, room: 'denied', identity: 'mallory', apiSecret: 'not-the-secret' });
  stops.push(() => p.stop());
  const e = await p.waitEvent('error');
  assert.match(e.message, /connect failed/);
  assert.match(e.message, /401|nauthori|invalid/i, e.message);
  const exit = await p.exited;
  assert.equal(exit.code, 1);
});

test('active speakers: a peer sending a tone is active, and no longer once muted', { timeout: 60_000 }, async () => {
  const obs = await observer('speak');
  const b = startPeer({ url: server.url, room: 'speak', identity: 'bob' });
  stops.push(() => b.stop());
  await b.waitEvent('joined');
  const a = startPeer({ url: server.url, room: 'speak', identity: 'alice', tone: 440 });
  stops.push(() => a.stop());
  const joined = await a.waitEvent('joined');
  await b.waitEvent('active_speakers', (e) => e.identities.includes('alice'));
  const on = await obs.waitFor('speakersChanged', (s) => s.speakers.some((x) => x.sid === joined.sid && x.active));
  const level = on.speakers.find((x) => x.sid === joined.sid).level;
  assert.ok(level > 0.05 && level <= 1, `level ${level}`);
  assert.ok(!b.events.some((e) => e.event === 'active_speakers' && e.identities.includes('bob')), 'silent bob never active');
  const mutedAt = Date.now();
  const seenBefore = obs.messages.length;
  a.mute();
  await b.waitEvent('active_speakers', (e) => !e.identities.includes('alice') && e.t >= mutedAt);
  const offMsg = () => obs.messages.slice(seenBefore).find((m) => m.message.case === 'speakersChanged' &&
    m.message.value.speakers.some((x) => x.sid === joined.sid && !x.active));
  for (let i = 0; i < 50 && !offMsg(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(offMsg(), 'the server reported alice inactive after the mute');
});

test('connection quality: a healthy publisher is reported EXCELLENT to everyone', { timeout: 60_000 }, async () => {
  const obs = await observer('quality');
  const a = startPeer({ url: server.url, room: 'quality', identity: 'alice', tone: 440 });
  stops.push(() => a.stop());
  const joined = await a.waitEvent('joined');
  await a.waitEvent('publishing');
  const q = await obs.waitFor('connectionQuality', (u) => u.updates.some((x) => x.participantSid === joined.sid &&
    x.quality === lk.ConnectionQuality.EXCELLENT), 20_000);
  assert.ok(q.updates.find((x) => x.participantSid === joined.sid).score > 4);
  const ev = await a.waitEvent('connection_quality', (e) => e.identity === 'alice', 20_000);
  assert.ok(ev.quality !== undefined);
});
