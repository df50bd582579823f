// Participant lifecycle against the dev server with an independent client (werift) and bare
// signaling: deadlines, resume with ICE restart, explicit subscription, shutdown, and where
// the server's UDP sockets live.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { startDevServer, startPeer, mintToken, connectSignal, interfaceAddress, tmpDir, NETGUARD, lk } from '../testlib/index.mjs';
import { weriftClient, iceUfrag } from '../testlib/werift-client.mjs';

const { ParticipantInfo_State: State, LeaveRequest_Action: Action, DisconnectReason } = lk;
const stops = [];
after(async () => { for (const s of stops.reverse()) await s().catch(() => {}); });
const track = (x) => { stops.push(async () => x.close ? x.close() : x.stop()); return x; };
const infoOf = (u, identity) => u.participants.find((p) => p.identity === identity);

async function server(opts = {}) {
  const s = await startDevServer(opts);
  stops.push(() => s.stop());
  return s;
}

test('an offer left unanswered makes the server ask for a full reconnect', { timeout: 30_000 }, async () => {
  const s = await server({ offerTimeout: 2 });
  const obs = track(await connectSignal(s.url, await mintToken({ room: 'o', identity: 'obs' })));
  await obs.waitFor('join');
  // legacy + subscribe permission: subscriber-primary, so the server offers right after join
  const c = track(await connectSignal(s.url, await mintToken({ room: 'o', identity: 'mute-client' }), { v1: false }));
  await c.waitFor('offer');
  const leave = await c.waitFor('leave', () => true, 10_000);
  assert.equal(leave.action, Action.RECONNECT);
  await obs.waitFor('update', (u) => infoOf(u, 'mute-client')?.state === State.DISCONNECTED);
});

test('a participant whose PeerConnection never connects is removed after the join deadline', { timeout: 30_000 }, async () => {
  const s = await server({ joinTimeout: 3 });
  // the observer is a real client: a bare one would hit the deadline too
  const w = track(await weriftClient(s.url, await mintToken({ room: 'dl', identity: 'connected' })));
  await w.connected();
  const c = track(await connectSignal(s.url, await mintToken({ room: 'dl', identity: 'silent' }), { v1: true }));
  await c.waitFor('join');
  await w.sig.waitFor('update', (u) => infoOf(u, 'silent')?.state === State.JOINED);
  const leave = await c.waitFor('leave', () => true, 10_000);
  assert.equal(leave.action, Action.DISCONNECT);
  await w.sig.waitFor('update', (u) => infoOf(u, 'silent')?.state === State.DISCONNECTED);
  // the connected one stays past the deadline, and was reported ACTIVE
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(!w.sig.messages.some((m) => m.message.case === 'leave'), 'connected participant kept');
  await w.sig.waitFor('update', (u) => infoOf(u, 'connected')?.state === State.ACTIVE);
});

for (const v1 of [false, true]) {
  test(`resume (${v1 ? 'JoinRequest.reconnect' : 'reconnect=1'}) restarts ICE and keeps the participant`, { timeout: 40_000 }, async () => {
    const s = await server();
    const obs = track(await connectSignal(s.url, await mintToken({ room: 'rs', identity: 'obs' })));
    await obs.waitFor('join');
    const c = track(await weriftClient(s.url, await mintToken({ room: 'rs', identity: 'resumer' }), { v1 }));
    await c.connected();
    const before = v1 ? iceUfrag(c.answers.at(-1).sdp) : iceUfrag(c.offers.at(-1).sdp);
    const sig = await c.resume();
    const up = await sig.waitFor('update');
    assert.ok(infoOf(up, 'resumer'), 'full participant update after resume');
    const after = v1
      ? iceUfrag((await sig.waitFor('answer')).sdp)
      : iceUfrag((await sig.waitFor('offer')).sdp);
    assert.ok(before && after && before !== after, `ICE restarted (ufrag ${before} → ${after})`);
    await new Promise((r) => setTimeout(r, 1000));
    await c.connected();
    assert.ok(!obs.messages.some((m) => m.message.case === 'update' && infoOf(m.message.value, 'resumer')?.state === State.DISCONNECTED),
      'never seen leaving');
  });
}

test('auto_subscribe off: nothing arrives until UpdateSubscription, then the track flows (single PC)', { timeout: 60_000 }, async () => {
  const s = await server();
  const a = track(startPeer({ url: s.url, room: 'sub', identity: 'alice', tone: 440 }));
  const pub = await a.waitEvent('publishing');
  const c = track(await weriftClient(s.url, await mintToken({ room: 'sub', identity: 'picky' }), { v1: true, autoSubscribe: false }));
  await c.connected();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(c.packets.get(pub.track) ?? 0, 0, 'no media before subscribing');
  assert.ok(!c.sig.messages.some((m) => m.message.case === 'mediaSectionsRequirement'), 'no re-offer request before subscribing');
  c.subscribe([pub.track]);
  const n = await c.waitPackets(pub.track, 50);
  assert.ok(n >= 50);
  const ans = c.answers.at(-1);
  assert.ok(Object.values(ans.midToTrackId).includes(pub.track), 'answer maps a mid to the track sid');
  assert.match(ans.sdp, new RegExp(`a=msid:PA_[A-Za-z0-9]+\\|${pub.track} ${pub.track}`), 'msid "PA_x|TR_x TR_x"');
});

test('legacy subscriber PC carries the track with msid "PA_x|TR_x TR_x"', { timeout: 60_000 }, async () => {
  const s = await server();
  const a = track(startPeer({ url: s.url, room: 'leg', identity: 'alice', tone: 440 }));
  const pub = await a.waitEvent('publishing');
  const c = track(await weriftClient(s.url, await mintToken({ room: 'leg', identity: 'old' }), { v1: false }));
  await c.connected();
  await c.waitPackets(pub.track, 50);
  const offer = c.offers.find((o) => o.sdp.includes(pub.track));
  assert.match(offer.sdp, new RegExp(`a=msid:PA_[A-Za-z0-9]+\\|${pub.track} ${pub.track}`));
  assert.match(c.offers[0].sdp, /m=application/, 'first subscriber offer carries the data channels');
});

test('SIGTERM: clients get leave SERVER_SHUTDOWN and the server exits 0', { timeout: 30_000 }, async () => {
  const s = await startDevServer();
  const c = await connectSignal(s.url, await mintToken({ room: 'bye', identity: 'c' }));
  await c.waitFor('join');
  const exit = await s.stop('SIGTERM');
  assert.equal(exit.code, 0);
  const leave = await c.waitFor('leave');
  assert.equal(leave.reason, DisconnectReason.SERVER_SHUTDOWN);
  await c.waitClosed();
});

test('the server\'s UDP sockets are bound to this machine\'s own addresses only', { timeout: 30_000 }, async () => {
  const s = await server();
  const c = track(await weriftClient(s.url, await mintToken({ room: 'udp', identity: 'u' })));
  await c.connected();
  const out = execFileSync('ss', ['-uanpH'], { encoding: 'utf8' });
  const mine = out.split('\n').filter((l) => l.includes(`pid=${s.proc.child.pid},`));
  assert.ok(mine.length >= 2, `server has UDP sockets:\n${out}`);
  const allowed = new Set(['127.0.0.1', interfaceAddress()].filter(Boolean));
  for (const l of mine) {
    const local = l.trim().split(/\s+/)[3];
    const addr = local.slice(0, local.lastIndexOf(':'));
    assert.ok(allowed.has(addr), `UDP socket on ${local}`);
  }
});

test('the server talks to this machine only (no DNS, UDP or TCP to any other host)', { timeout: 60_000 }, async () => {
  // (the next test shows the guard does report other hosts)
  const s = await server({ nodeArgs: ['--require', NETGUARD] });
  const dir = tmpDir('alto-net-');
  const a = track(startPeer({ url: s.url, room: 'net', identity: 'alice', tone: 440 }));
  await a.waitEvent('publishing');
  const b = track(startPeer({ url: s.url, room: 'net', identity: 'bob', record: dir }));
  await b.waitEvent('track_subscribed');
  const w = track(await weriftClient(s.url, await mintToken({ room: 'net', identity: 'werift' }), { v1: false }));
  await w.connected();
  await new Promise((r) => setTimeout(r, 3000));
  assert.doesNotMatch(s.stderr, /netguard:/, s.stderr.split('\n').filter((l) => l.includes('netguard')).join('\n'));
});

test('the network guard used above does report other hosts', () => {
  // Nothing leaves this machine here: both calls are refused by Node for a bad argument
  // (family 7, port 0) after the guard has looked at them and before any I/O.
  const r = spawnSync(process.execPath, ['--require', NETGUARD, '-e', `
    try { require('dns').lookup('example.invalid', { family: 7 }, () => {}); } catch {}
    const s = require('dgram').createSocket('udp4');
    try { s.send('x', 0, '198.51.100.7'); } catch {}
    s.close();`],
  { encoding: 'utf8', timeout: 10_000 });
  assert.match(r.stderr, /netguard: dns lookup example\.invalid/);
  assert.match(r.stderr, /netguard: udp to 198\.51\.100\.7/);
});
