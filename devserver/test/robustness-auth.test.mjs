// Refused joins, as a user meets them: bad, expired, wrong-room and roomJoin-less tokens are
// answered 401 on /rtc/validate and on the WebSocket upgrade (both /rtc and /rtc/v1); the
// official SDKs (livekit-client in Chromium, @livekit/rtc-node) report the refusal and give up
// instead of hanging; a grant for another room never admits anyone into this one; the refused
// attempts leave nothing behind and the server keeps serving. No token ever shows up in the
// server's answers or its (verbose) log.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, startPeer, mintToken, connectSignal, httpGet, interfaceAddress } from '../testlib/index.mjs';
import { startBrowserPeer } from '../peers/browser/start.mjs';

const ROOM = 'auth-room';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves with the process's exit info, or 'still running' after ms (an unref'd timer). */
const exitWithin = (handle, ms) => Promise.race([handle.exited,
  new Promise((r) => setTimeout(() => r('still running'), ms).unref())]);

describe('robustness: authentication', { timeout: 180_000 }, () => {
  let server;
  const clients = [];
  const peers = [];
  const refusedTokens = [];

  before(async () => {
    const host = interfaceAddress();
    assert.ok(host, 'this machine needs a non-loopback IPv4 interface for libwebrtc peers');
    server = await startDevServer({ host, verbose: true });
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await server?.stop();
  });

  async function badTokens() {
    const now = Math.floor(Date.now() / 1000);
    const t = {
      'garbage': 'not-a-jwt',
      'wrong secret': await mintToken({ room: ROOM, identity: 'mallory', apiSecret: 'not-the-secret' }),
      'expired': await mintToken({ room: ROOM, identity: 'late', claims: { exp: now - 600, iat: now - 1200, nbf: now - 1200 } }),
      'no roomJoin': await mintToken({ identity: 'admin', grant: { room: ROOM, roomAdmin: true, canPublish: true } }),
      'roomJoin false': await mintToken({ identity: 'nojoin', grant: { room: ROOM, roomJoin: false } }),
      'no video grant': await mintToken({ identity: 'novideo', grant: null, claims: { video: undefined } }),
    };
    refusedTokens.push(...Object.values(t));
    return t;
  }

  test('bad, expired and roomJoin-less tokens: 401 on validate and on both upgrade paths', async () => {
    for (const [what, token] of Object.entries(await badTokens())) {
      for (const p of ['/rtc/validate', '/rtc/v1/validate']) {
        const q = await httpGet(`${server.httpUrl}${p}?access_token=${encodeURIComponent(token)}`);
        assert.equal(q.status, 401, `${what}: ${p} (query)`);
        const h = await httpGet(`${server.httpUrl}${p}`, { headers: { Authorization: `Bearer ${token}` } });
        assert.equal(h.status, 401, `${what}: ${p} (header)`);
        assert.ok(!q.body.includes(token) && !h.body.includes(token), `${what}: the answer does not echo the token`);
        assert.ok(q.body.trim().length > 0, `${what}: the answer says why`);
      }
      for (const v1 of [true, false]) {
        for (const tokenIn of ['header', 'query']) {
          await assert.rejects(connectSignal(server.url, token, { v1, tokenIn }),
            (e) => e.status === 401 && !e.body.includes(token), `${what}: upgrade ${v1 ? '/rtc/v1' : '/rtc'} (${tokenIn})`);
        }
      }
    }
  });

  test('livekit-client reports 401 NotAllowed and gives up (garbage, expired, no roomJoin)', async () => {
    const t = await badTokens();
    // Three browsers at once: each is a Chromium start plus one refused connect.
    await Promise.all(['garbage', 'expired', 'no roomJoin'].map(async (what) => {
      const b = startBrowserPeer({ url: server.url, room: ROOM, identity: `browser-${peers.length}`, token: t[what] });
      peers.push(b);
      const err = await b.waitEvent('error', null, 45_000);
      assert.equal(err.status, 401, `${what}: ${JSON.stringify(err)}`);
      assert.equal(err.reason, 'NotAllowed', `${what}: ${JSON.stringify(err)}`);
      assert.ok(!JSON.stringify(err).includes(t[what]), 'no token in the report');
      const exit = await exitWithin(b, 30_000);
      assert.deepEqual(exit, { code: 1, signal: null }, `${what}: the browser peer gave up`);
      assert.ok(!b.events.some((e) => e.event === 'joined'), `${what}: never joined`);
    }));
  });

  test('rtc-node reports 401 for a token signed with the wrong secret and gives up', async () => {
    const p = startPeer({ url: server.url, room: ROOM, identity: 'node-mallory', apiSecret: 'not-the-secret' });
    peers.push(p);
    const err = await p.waitEvent('error', null, 30_000);
    assert.match(err.message, /401/);
    assert.ok(!p.events.some((e) => e.event === 'joined'));
    const exit = await exitWithin(p, 30_000);
    assert.notEqual(exit, 'still running', 'the rtc-node peer gave up');
  });

  test('a grant for another room never admits into this one (official SDK and bare client)', async () => {
    const alice = await connectSignal(server.url, await mintToken({ room: ROOM, identity: 'alice' }));
    clients.push(alice);
    assert.deepEqual((await alice.waitFor('join')).otherParticipants, []);

    // The browser holds a grant for 'elsewhere': it joins there, alone, whatever it asks for.
    const b = startBrowserPeer({ url: server.url, room: ROOM, identity: 'intruder',
      token: await mintToken({ room: 'elsewhere', identity: 'intruder' }) });
    peers.push(b);
    const joined = await b.waitEvent('joined');
    assert.equal(joined.room, 'elsewhere');
    assert.deepEqual(joined.participants, []);

    // A bare client asks for this room in the query with a grant for another one.
    const eve = await connectSignal(server.url, await mintToken({ room: 'elsewhere-2', identity: 'eve' }),
      { v1: false, query: { room: ROOM } });
    clients.push(eve);
    const je = await eve.waitFor('join');
    assert.equal(je.room.name, 'elsewhere-2');
    assert.deepEqual(je.otherParticipants, []);

    await sleep(1000);
    const heard = alice.messages.filter((m) => m.message.case === 'update')
      .flatMap((m) => m.message.value.participants.map((p) => p.identity));
    assert.deepEqual(heard.filter((i) => i !== 'alice'), [], 'alice never hears of anyone else');
    await b.stop();
  });

  test('after the refusals: nothing left behind, the server still admits, no token in its log', async () => {
    assert.equal(server.proc.child.exitCode, null, 'the server is running');
    // Everyone refused above asked for ROOM: a fresh participant there finds only alice.
    const bob = await connectSignal(server.url, await mintToken({ room: ROOM, identity: 'bob' }), { v1: false });
    clients.push(bob);
    const jb = await bob.waitFor('join');
    assert.deepEqual(jb.otherParticipants.map((p) => p.identity), ['alice']);
    const stats = await httpGet(`${server.httpUrl}/debug/stats`).catch(() => ({ status: 0 }));
    if (stats.status === 200) {
      const s = JSON.parse(stats.body);
      assert.ok(!(s.roomNames ?? []).some((n) => n !== ROOM && !n.startsWith('elsewhere')), JSON.stringify(s));
    }
    const log = server.stderr;
    for (const t of refusedTokens) {
      if (t.length > 20) assert.ok(!log.includes(t), 'a refused token appears in the server log');
      const sig = t.split('.')[2];
      if (sig && sig.length > 20) assert.ok(!log.includes(sig), 'a token signature appears in the server log');
    }
  });
});
