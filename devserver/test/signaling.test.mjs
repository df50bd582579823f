// The dev server's signaling, driven by a bare protobuf client (testlib/signal-client.mjs):
// endpoints and status codes, token checks, join/leave/duplicate identity, pings, resume,
// bad frames. Media is covered by rtc-node-*.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, mintToken, connectSignal, httpGet, lk } from '../testlib/index.mjs';

const { ParticipantInfo_State: State, DisconnectReason, LeaveRequest_Action } = lk;
let server;
before(async () => { server = await startDevServer({ trace: true }); });
after(async () => { await server?.stop(); });

const token = (room, identity, extra = {}) => mintToken({ room, identity, ...extra });
const clients = [];
const connect = async (...a) => { const c = await connectSignal(...a); clients.push(c); return c; };
after(() => { for (const c of clients) c.close(); });

test('validate answers 200 for a good token on /rtc/validate and /rtc/v1/validate', async () => {
  const t = await token('v', 'val');
  for (const p of ['/rtc/validate', '/rtc/v1/validate']) {
    const r = await httpGet(`${server.httpUrl}${p}?access_token=${t}`);
    assert.equal(r.status, 200, p);
    assert.equal(r.body, 'success');
    const h = await httpGet(`${server.httpUrl}${p}`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(h.status, 200, `${p} with header`);
  }
});

test('bad tokens are refused with 401 on validate and on connect', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    garbage: 'not-a-jwt',
    'wrong secret': await mintToken({ room: 'x', identity: 'i', apiSecret: 'wrong' }),
    'unknown key': await mintToken({ room: 'x', identity: 'i', apiKey: 'otherkey' }),
    expired: await mintToken({ room: 'x', identity: 'i', claims: { exp: now - 120 } }),
    'not yet valid': await mintToken({ room: 'x', identity: 'i', claims: { nbf: now + 300 } }),
    'no exp': await mintToken({ room: 'x', identity: 'i', ttl: null }),
    'no roomJoin': await mintToken({ identity: 'i', grant: { room: 'x', canPublish: true } }),
    HS512: await mintToken({ room: 'x', identity: 'i', alg: 'HS512' }),
  };
  for (const [what, t] of Object.entries(cases)) {
    const r = await httpGet(`${server.httpUrl}/rtc/validate?access_token=${encodeURIComponent(t)}`);
    assert.equal(r.status, 401, `validate, ${what}`);
    await assert.rejects(connectSignal(server.url, t), (e) => e.status === 401, `connect /rtc/v1, ${what}`);
    await assert.rejects(connectSignal(server.url, t, { v1: false }), (e) => e.status === 401, `connect /rtc, ${what}`);
  }
  const none = await httpGet(`${server.httpUrl}/rtc/validate`);
  assert.equal(none.status, 401);
});

test('within the 60 s leeway nbf and exp are accepted', async () => {
  const now = Math.floor(Date.now() / 1000);
  const t = await mintToken({ room: 'x', identity: 'i', claims: { nbf: now + 30, exp: now - 30 } });
  assert.equal((await httpGet(`${server.httpUrl}/rtc/validate?access_token=${t}`)).status, 200);
});

test('a token without identity is a bad request (400), a bad join_request too', async () => {
  const t = await mintToken({ room: 'x' });
  assert.equal((await httpGet(`${server.httpUrl}/rtc/validate?access_token=${t}`)).status, 400);
  const good = await token('x', 'i');
  const r = await httpGet(`${server.httpUrl}/rtc/v1/validate?access_token=${good}&join_request=%25%25`);
  assert.equal(r.status, 400);
});

test('plain GET on /rtc is 404, unknown paths 404', async () => {
  assert.equal((await httpGet(`${server.httpUrl}/rtc`)).status, 404);
  assert.equal((await httpGet(`${server.httpUrl}/nope`)).status, 404);
});

test('join on /rtc/v1 (plain and gzip) and /rtc: JoinResponse, updates, leave', async () => {
  const a = await connect(server.url, await token('j', 'alice', { name: 'Alice' }), { gzip: true });
  const ja = await a.waitFor('join');
  assert.equal(ja.room.name, 'j');
  assert.match(ja.room.sid, /^RM_/);
  assert.match(ja.participant.sid, /^PA_/);
  assert.equal(ja.participant.identity, 'alice');
  assert.equal(ja.participant.name, 'Alice');
  assert.equal(ja.pingInterval, 5);
  assert.equal(ja.pingTimeout, 15);
  assert.ok(ja.serverInfo.version);
  assert.equal(ja.subscriberPrimary, false, 'single PC: no subscriber PC');
  assert.deepEqual(ja.otherParticipants, []);
  assert.ok(await a.waitFor('refreshToken'));

  const b = await connect(server.url, await token('j', 'bob'), { v1: false });
  const jb = await b.waitFor('join');
  assert.deepEqual(jb.otherParticipants.map((p) => p.identity), ['alice']);
  assert.equal(jb.subscriberPrimary, true, 'legacy with subscribe permission: subscriber primary');
  const seen = await a.waitFor('update', (u) => u.participants.some((p) => p.identity === 'bob'));
  const bobInfo = seen.participants.find((p) => p.identity === 'bob');
  assert.equal(bobInfo.sid, jb.participant.sid);
  assert.ok(bobInfo.version > 0);

  const c = await connect(server.url, await token('j', 'carol'), { v1: true });
  await c.waitFor('join');
  c.leave();
  const gone = await a.waitFor('update', (u) => u.participants.some((p) => p.identity === 'carol' && p.state === State.DISCONNECTED));
  const carol = gone.participants.find((p) => p.identity === 'carol');
  assert.equal(carol.disconnectReason, DisconnectReason.CLIENT_INITIATED);
  await b.waitFor('update', (u) => u.participants.some((p) => p.identity === 'carol' && p.state === State.DISCONNECTED));
});

test('a grant is for one room only: the token decides the room, never the request', async () => {
  const a = await connect(server.url, await token('g1', 'alice'));
  await a.waitFor('join');
  // bob asks for g1 in the query but holds a grant for g2: he lands in g2, alone
  const b = await connect(server.url, await token('g2', 'bob'), { v1: false, query: { room: 'g1' } });
  const jb = await b.waitFor('join');
  assert.equal(jb.room.name, 'g2');
  assert.deepEqual(jb.otherParticipants, []);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(!a.messages.some((m) => m.message.case === 'update' && m.message.value.participants.some((p) => p.identity === 'bob')),
    'alice in g1 never hears of bob');
});

test('ping styles: ping → pong, ping_req → pong_resp', async () => {
  const a = await connect(server.url, await token('p', 'pinger'));
  await a.waitFor('join');
  a.send('ping', 42n);
  assert.ok((await a.waitFor('pong')) > 0n);
  a.send('pingReq', new lk.Ping({ timestamp: 1234n, rtt: 5n }));
  const pr = await a.waitFor('pongResp');
  assert.equal(pr.lastPingTimestamp, 1234n);
});

test('a second join with the same identity evicts the first with DUPLICATE_IDENTITY', async () => {
  const o = await connect(server.url, await token('d', 'obs'));
  await o.waitFor('join');
  const a1 = await connect(server.url, await token('d', 'dup'));
  const j1 = await a1.waitFor('join');
  const a2 = await connect(server.url, await token('d', 'dup'), { v1: false });
  const j2 = await a2.waitFor('join');
  const leave = await a1.waitFor('leave');
  assert.equal(leave.reason, DisconnectReason.DUPLICATE_IDENTITY);
  assert.equal(leave.action, LeaveRequest_Action.DISCONNECT);
  await a1.waitClosed();
  assert.notEqual(j1.participant.sid, j2.participant.sid);
  await o.waitFor('update', (u) => u.participants.some((p) => p.sid === j1.participant.sid && p.state === State.DISCONNECTED));
});

test('resume with reconnect=1 and JoinRequest.reconnect keeps the participant', async () => {
  for (const v1 of [false, true]) {
    const room = `res-${v1}`;
    const t = await token(room, 'r');
    const a = await connect(server.url, t, { v1 });
    const j = await a.waitFor('join');
    a.close(); // socket drops without leave
    await a.waitClosed();
    const b = await connect(server.url, t, { v1, reconnect: true, sid: j.participant.sid });
    const rec = await b.waitFor('reconnect');
    assert.ok(rec);
    const up = await b.waitFor('update');
    assert.ok(up.participants.some((p) => p.sid === j.participant.sid), 'full participant update after resume');
    assert.ok(!b.messages.some((m) => m.message.case === 'join'));
    // resuming a participant that is unknown: leave with action RECONNECT
    const c = await connect(server.url, await token(room, 'ghost'), { v1, reconnect: true, sid: 'PA_nothere' });
    const l = await c.waitFor('leave');
    assert.equal(l.action, LeaveRequest_Action.RECONNECT);
  }
});

test('garbage frames close only that socket; others keep working', async () => {
  const good = await connect(server.url, await token('bad', 'good'));
  await good.waitFor('join');
  const bad = await connect(server.url, await token('bad', 'bad'));
  await bad.waitFor('join');
  bad.sendRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  const info = await bad.waitClosed();
  assert.equal(info.code, 1007);
  good.send('pingReq', new lk.Ping({ timestamp: 7n }));
  assert.equal((await good.waitFor('pongResp', (p) => p.lastPingTimestamp === 7n)).lastPingTimestamp, 7n);
  const r = await httpGet(`${server.httpUrl}/rtc/validate?access_token=${await token('bad', 'x')}`);
  assert.equal(r.status, 200, 'server still serving');
});

test('--trace writes every message both ways as JSON lines without secrets', async () => {
  const t = await token('tr', 'tracer');
  const a = await connect(server.url, t);
  await a.waitFor('join');
  a.send('pingReq', new lk.Ping({ timestamp: 99n }));
  await a.waitFor('pongResp');
  await new Promise((r) => setTimeout(r, 200));
  const lines = server.trace().filter((l) => l.identity === 'tracer');
  assert.ok(lines.some((l) => l.dir === 'out' && l.msg.join), 'join traced');
  assert.ok(lines.some((l) => l.dir === 'in' && l.msg.pingReq), 'ping_req traced');
  assert.ok(lines.some((l) => l.dir === 'out' && l.msg.pongResp), 'pong_resp traced');
  const text = JSON.stringify(lines);
  assert.ok(!text.includes(t.split('.')[2]), 'no token signature in the trace');
});

test('a text frame switches the connection to protobuf JSON, as livekit-server does', async () => {
  const a = await connect(server.url, await token('json', 'texter'));
  await a.waitFor('join');
  a.sendRaw(JSON.stringify({ pingReq: { timestamp: '4242' } }), false);
  const pr = await a.waitFor('pongResp', (p) => p.lastPingTimestamp === 4242n);
  assert.equal(pr.lastPingTimestamp, 4242n);
  const bad = await connect(server.url, await token('json', 'texter2'));
  await bad.waitFor('join');
  bad.sendRaw('{not json', false);
  assert.equal((await bad.waitClosed()).code, 1007);
});
