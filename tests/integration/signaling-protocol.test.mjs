// `alto join` (the ASan + UBSan build) against servers that misbehave or test one protocol rule:
// bad URLs, nothing listening, 401, 404, 500, garbage / truncated / text frames, a close in the
// middle of a frame, fragmented and large messages, unknown fields and message types, the
// server's leave{RESUME}, keepalive and ping timeout, where the token goes, wss certificate checks.
// Every case: one clear line on stderr and a documented exit code, or a retry; never a crash,
// never a sanitizer report, never the token in the output.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { WebSocketServer } from '../../devserver/node_modules/ws/wrapper.mjs';
import {
  SignalRequest, JoinRequest, WrappedJoinRequest, WrappedJoinRequest_Compression, JoinResponse, ParticipantInfo,
  ParticipantInfo_State, Room, TrackInfo, TrackType, TrackSource, ParticipantUpdate, LeaveRequest, LeaveRequest_Action,
  DisconnectReason, ReconnectResponse, Pong, response,
} from '../../devserver/src/proto.mjs';
import { startDevServer, tmpDir, mintToken } from '../../devserver/testlib/index.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startAlto, runAlto, altoAsanBin, sanitizerReport, unusedPort, stderrLines } from './signaling-helpers.mjs';

const { gunzipSync } = await import('node:zlib');

// ---------------------------------------------------------------- a scriptable fake server

function pinfo(sid, identity, extra = {}) {
  return new ParticipantInfo({ sid, identity, name: identity, state: ParticipantInfo_State.ACTIVE, version: 1, ...extra });
}

function joinBytes({ self = 'PA_self', identity = 'me', others = [], pingInterval = 5, pingTimeout = 15 } = {}) {
  return response('join', new JoinResponse({
    room: new Room({ sid: 'RM_fake', name: 'fake' }),
    participant: pinfo(self, identity),
    otherParticipants: others,
    pingInterval,
    pingTimeout,
  })).toBinary();
}

/**
 * An HTTP server on 127.0.0.1 whose WebSocket upgrades go to onConnection(ws, info), where
 * info = {path, query, headers, joinRequest (decoded, v1), requests (SignalRequests received)}.
 * opts.status(info) → an HTTP status to refuse the upgrade with (or undefined).
 * opts.tls: {key, cert} for wss.
 */
async function startFake(opts) {
  const conns = [];
  const handler = (req, res) => { res.writeHead(404); res.end('404 page not found\n'); };
  const srv = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  const sockets = new Set();
  srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  srv.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const u = new URL(req.url, 'http://x');
    const info = { path: u.pathname, query: u.searchParams, headers: req.headers, url: req.url, requests: [] };
    const jr = u.searchParams.get('join_request');
    if (jr) {
      const w = WrappedJoinRequest.fromBinary(Buffer.from(jr, 'base64url'));
      const bytes = w.compression === WrappedJoinRequest_Compression.GZIP ? gunzipSync(w.joinRequest) : w.joinRequest;
      info.joinRequest = JoinRequest.fromBinary(bytes);
    }
    conns.push(info);
    const status = opts.status?.(info, conns.length);
    if (status) {
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (opts.raw) return opts.raw(socket, req, info);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, binary) => {
        try { info.requests.push(SignalRequest.fromBinary(data)); } catch { info.requests.push({ undecodable: true, binary }); }
      });
      opts.onConnection?.(ws, info, conns.length);
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  return {
    url: `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}`,
    port,
    conns,
    async stop() {
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

/** The WebSocket accept handshake by hand (for servers that break frames). */
function acceptRaw(socket, req) {
  const key = req.headers['sec-websocket-key'];
  const accept = crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
}

/** A server-to-client binary frame header (no mask) for a payload of len bytes. */
function frameHeader(len, { fin = true, opcode = 2 } = {}) {
  const b0 = (fin ? 0x80 : 0) | opcode;
  if (len < 126) return Buffer.from([b0, len]);
  if (len < 65536) return Buffer.from([b0, 126, len >> 8, len & 255]);
  const h = Buffer.alloc(10);
  h[0] = b0; h[1] = 127; h.writeBigUInt64BE(BigInt(len), 2);
  return h;
}

// ---------------------------------------------------------------- tests

describe('alto join against misbehaving servers (ASan + UBSan build)', () => {
  let bin;
  const stops = [];
  before(() => { bin = altoAsanBin(); });
  after(() => teardown({ stops }));
  const fake = async (opts) => {
    const f = await startFake(opts);
    stops.push(() => f.stop());
    return f;
  };
  const run = (args, opts = {}) => runAlto(args, { bin, ...opts });
  const alto = (args, opts = {}) => {
    const a = startAlto(args, { bin, ...opts });
    stops.push(() => a.stop('SIGKILL'));
    return a;
  };
  /** one clear line on stderr, no sanitizer report */
  const oneLine = (r, re) => {
    assert.ok(!sanitizerReport(r.stderr), r.stderr);
    const lines = stderrLines(r.stderr);
    assert.equal(lines.length, 1, `exactly one line on stderr:\n${r.stderr}`);
    assert.match(lines[0], /^alto: /);
    if (re) assert.match(lines[0], re);
  };

  test('bad URLs: exit 1, one line', async () => {
    for (const url of ['ftp://127.0.0.1', 'ws://[::1', 'ws://127.0.0.1:99999', 'ws://user:pw@127.0.0.1', 'ws://127.0.0.1/?x=1', 'not a url']) {
      const r = await run([url, '--room', 'r', '--identity', 'i']);
      assert.equal(r.code, 1, `${url}: ${r.stderr}`);
      oneLine(r, /invalid server URL/);
    }
    const r = await run(['ws://127.0.0.1:1', '--room', 'r']);
    assert.equal(r.code, 1);
    oneLine(r, /--identity/);
  });

  test('no credentials for a remote URL: exit 1 (dev credentials only next door)', async () => {
    const r = await run(['wss://livekit.example.invalid', '--room', 'r', '--identity', 'i']);
    assert.equal(r.code, 1);
    oneLine(r, /no credentials/);
  });

  test('nothing listening: retries as asked, then exit 3', { timeout: 30_000 }, async () => {
    const port = await unusedPort();
    const r = await run([`ws://127.0.0.1:${port}`, '--room', 'r', '--identity', 'i', '--max-retries', '2', '--json']);
    assert.equal(r.code, 3, r.stderr);
    oneLine(r, /cannot connect to ws:\/\/127\.0\.0\.1:\d+: connection refused/);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), ['reconnecting', 'reconnecting', 'left']);
    assert.equal(events.at(-1).reason, 'unreachable');
  });

  test('wrong API secret: the server answers 401, exit 2 without retrying', { timeout: 30_000 }, async () => {
    const server = await startDevServer();
    stops.push(() => server.stop());
    const r = await run([server.url, '--room', 'r', '--identity', 'i', '--api-key', 'devkey'],
      { env: { LIVEKIT_API_SECRET: 'not-the-secret' } });
    assert.equal(r.code, 2, r.stderr);
    oneLine(r, /refused the access token \(HTTP 401\)/);
  });

  test('tokens that do not grant the room: exit 2 before or at the server, one line, token never shown',
    { timeout: 30_000 }, async () => {
      const server = await startDevServer();
      stops.push(() => server.stop());
      const cases = [
        // [token, args, stderr pattern]
        [await mintToken({ room: 'granted', identity: 'x' }), ['--room', 'other'], /token is for another room/],
        [await mintToken({ identity: 'x', grant: { room: 'r', roomJoin: false } }), [], /does not grant joining/],
        [await mintToken({ room: 'r', identity: 'x', ttl: null, claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }), [],
          /expired/],
        ['not-a-jwt', [], /not a JWT/],
        // a token signed with another secret: only the server can tell
        [await mintToken({ room: 'r', identity: 'x', apiSecret: 'other-secret' }), [], /refused the access token \(HTTP 401\)/],
      ];
      for (const [token, args, re] of cases) {
        const r = await run([server.url, '--token', token, ...args]);
        assert.equal(r.code, 2, `${re}: ${r.stderr}`);
        oneLine(r, re);
        assert.ok(!r.stderr.includes(token) && !r.stdout.includes(token));
      }
    });

  test('not a LiveKit server (404 on /rtc/v1 and /rtc): exit 5', { timeout: 30_000 }, async () => {
    const f = await fake({ status: () => 404 });
    const r = await run([f.url, '--room', 'r', '--identity', 'i']);
    assert.equal(r.code, 5, r.stderr);
    oneLine(r, /refused the connection \(HTTP 404\).*LiveKit server/);
    assert.deepEqual(f.conns.map((c) => c.path), ['/rtc/v1', '/rtc'], 'v1 first, then the legacy endpoint');
  });

  test('HTTP 500 is retried, then the join succeeds', { timeout: 30_000 }, async () => {
    const f = await fake({
      status: (info, n) => (n === 1 ? 500 : undefined),
      onConnection: (ws) => ws.send(joinBytes()),
    });
    const a = alto([f.url, '--room', 'r', '--identity', 'i']);
    const rec = await a.waitEvent('reconnecting');
    assert.match(rec.reason, /HTTP 500/);
    await a.waitEvent('joined');
    assert.equal((await a.stop('SIGINT')).code, 0);
    assert.ok(!sanitizerReport(a.stderr), a.stderr);
  });

  for (const [what, payload, re] of [
    ['garbage bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]), /undecodable message/],
    ['a truncated join response', Buffer.from(joinBytes()).subarray(0, 20), /undecodable message/],
    ['a text frame', 'hello', /text frame/],
  ]) {
    test(`${what} instead of join: one line, exit 3 (no retries left)`, { timeout: 30_000 }, async () => {
      const f = await fake({ onConnection: (ws) => ws.send(payload, { binary: typeof payload !== 'string' }) });
      const r = await run([f.url, '--room', 'r', '--identity', 'i', '--max-retries', '0']);
      assert.equal(r.code, 3, r.stderr);
      oneLine(r, re);
    });
  }

  test('garbage after the join: the session is resumed, alto stays in the room', { timeout: 30_000 }, async () => {
    const f = await fake({
      onConnection: (ws, info, n) => {
        if (n === 1) {
          ws.send(joinBytes());
          setTimeout(() => ws.send(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), 300);
        } else {
          ws.send(response('reconnect', new ReconnectResponse({})).toBinary());
        }
      },
    });
    const a = alto([f.url, '--room', 'r', '--identity', 'i']);
    await a.waitEvent('joined');
    const rec = await a.waitEvent('reconnecting');
    assert.match(rec.reason, /undecodable/);
    const back = await a.waitEvent('reconnected');
    assert.equal(back.resumed, true);
    assert.equal(f.conns[1].joinRequest.reconnect, true);
    assert.equal(f.conns[1].joinRequest.participantSid, 'PA_self');
    assert.equal((await a.stop('SIGINT')).code, 0);
    assert.ok(!sanitizerReport(a.stderr), a.stderr);
  });

  test('a server that accepts and drops alto at once: backoff, not a tight loop; --max-retries ends it',
    { timeout: 30_000 }, async () => {
      const f = await fake({
        onConnection: (ws, info) => {
          ws.send(joinBytes());
          if (info.joinRequest.reconnect) ws.send(response('reconnect', new ReconnectResponse({})).toBinary());
          setTimeout(() => ws.terminate(), 20);
        },
      });
      const t0 = Date.now();
      const r = await run([f.url, '--room', 'r', '--identity', 'i', '--max-retries', '4', '--json']);
      assert.equal(r.code, 3, r.stderr);
      oneLine(r, /lost the connection to ws:/);
      const delays = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
        .filter((e) => e.event === 'reconnecting').map((e) => e.delay_ms);
      assert.equal(delays.length, 4);
      assert.ok(delays[3] >= 800, `the delays grow: ${delays}`);
      assert.ok(Date.now() - t0 > 1500);
      assert.equal(f.conns.length, 5, 'one join and four retries');
    });

  test('the server closes in the middle of a frame: one line, exit 3', { timeout: 30_000 }, async () => {
    const f = await fake({
      raw: (socket, req) => {
        acceptRaw(socket, req);
        const join = Buffer.from(joinBytes());
        socket.write(Buffer.concat([frameHeader(join.length + 1000), join]));
        setTimeout(() => socket.destroy(), 100);
      },
    });
    const r = await run([f.url, '--room', 'r', '--identity', 'i', '--max-retries', '0']);
    assert.equal(r.code, 3, r.stderr);
    oneLine(r, /closed/);
  });

  test('a frame header promising 2^62 bytes: refused, exit 3', { timeout: 30_000 }, async () => {
    const f = await fake({
      raw: (socket, req) => {
        acceptRaw(socket, req);
        const h = Buffer.alloc(10);
        h[0] = 0x82; h[1] = 127; h.writeBigUInt64BE(1n << 62n, 2);
        socket.write(Buffer.concat([h, Buffer.alloc(64 * 1024, 0x0a)]));
      },
    });
    const r = await run([f.url, '--room', 'r', '--identity', 'i', '--max-retries', '0'], { ms: 20_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(!sanitizerReport(r.stderr), r.stderr);
  });

  test('a join in three fragments and a 600 kB participant update are reassembled', { timeout: 30_000 }, async () => {
    const big = 'm'.repeat(600_000);
    const f = await fake({
      onConnection: (ws) => {
        const join = Buffer.from(joinBytes({ others: [pinfo('PA_a', 'alice', { name: 'Alice "A"' })] }));
        ws.send(join.subarray(0, 5), { fin: false });
        ws.send(join.subarray(5, 40), { fin: false });
        ws.send(join.subarray(40), { fin: true });
        ws.send(response('update', new ParticipantUpdate({ participants: [pinfo('PA_b', 'bob', { metadata: big })] })).toBinary());
      },
    });
    const a = alto([f.url, '--room', 'r', '--identity', 'i']);
    const joined = await a.waitEvent('joined');
    assert.equal(joined.participants[0].name, 'Alice "A"');
    const bob = await a.waitEvent('participant_joined');
    assert.equal(bob.participant.metadata.length, big.length);
    assert.equal((await a.stop('SIGINT')).code, 0);
    assert.ok(!sanitizerReport(a.stderr), a.stderr);
  });

  test('unknown fields and unknown message types are ignored', { timeout: 30_000 }, async () => {
    const unknownField = Buffer.from([0x98, 0x06, 0x01]);          // field 99, varint 1
    const f = await fake({
      onConnection: (ws) => {
        const jr = Buffer.concat([Buffer.from(new JoinResponse({
          room: new Room({ sid: 'RM_x', name: 'fake' }), participant: pinfo('PA_self', 'me'),
          otherParticipants: [pinfo('PA_a', 'alice')],
        }).toBinary()), unknownField]);
        const len = jr.length;
        ws.send(Buffer.concat([Buffer.from([0x0a, (len & 0x7f) | 0x80, len >> 7]), jr]));  // SignalResponse.join
        ws.send(Buffer.concat([Buffer.from([0xfa, 0x06, 0x03]), Buffer.from('abc')]));     // field 111, bytes: unknown case
        ws.send(response('leave', new LeaveRequest({ reason: DisconnectReason.ROOM_DELETED, action: LeaveRequest_Action.DISCONNECT })).toBinary());
      },
    });
    const r = await run([f.url, '--room', 'r', '--identity', 'i', '--json']);
    assert.equal(r.code, 4, r.stderr);
    oneLine(r, /removed us from the room \(room_deleted\)/);
    const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.event), ['joined', 'left']);
    assert.deepEqual(events[0].participants.map((p) => p.identity), ['alice']);
  });

  test('leave{RESUME}: alto resumes (JoinRequest.reconnect) and carries on', { timeout: 30_000 }, async () => {
    const f = await fake({
      onConnection: (ws, info, n) => {
        if (n === 1) {
          ws.send(joinBytes({ others: [pinfo('PA_a', 'alice'), pinfo('PA_b', 'bob')] }));
          ws.send(response('refreshToken', 'refreshed.token.value').toBinary());
          setTimeout(() => ws.send(response('leave', new LeaveRequest({ reason: DisconnectReason.MIGRATION,
            action: LeaveRequest_Action.RESUME })).toBinary()), 200);
        } else {
          ws.send(response('reconnect', new ReconnectResponse({})).toBinary());
          // everyone now, as livekit-server sends after a resume: bob left meanwhile, carol came
          ws.send(response('update', new ParticipantUpdate({ participants: [pinfo('PA_self', 'me'), pinfo('PA_a', 'alice'),
            pinfo('PA_c', 'carol')] })).toBinary());
        }
      },
    });
    const a = alto([f.url, '--room', 'r', '--identity', 'i']);
    await a.waitEvent('joined');
    const rec = await a.waitEvent('reconnecting');
    assert.equal(rec.full, false);
    assert.match(rec.reason, /resume \(migration\)/);
    const back = await a.waitEvent('reconnected');
    assert.equal(back.resumed, true);
    await a.waitEvent('participant_joined', (e) => e.participant.identity === 'carol');
    await a.waitEvent('participant_left', (e) => e.participant.identity === 'bob');
    assert.ok(!a.events.some((e) => e.event === 'participant_left' && e.participant.identity === 'alice'));
    const second = f.conns[1];
    assert.equal(second.path, '/rtc/v1');
    assert.equal(second.joinRequest.reconnect, true);
    assert.equal(second.joinRequest.participantSid, 'PA_self');
    assert.equal(second.headers.authorization, 'Bearer refreshed.token.value', 'the refreshed token is used from then on');
    assert.equal((await a.stop('SIGINT')).code, 0);
    assert.ok(!sanitizerReport(a.stderr), a.stderr);
  });

  test('keepalive: ping_req every ping_interval; a silent server is dropped after ping_timeout', { timeout: 30_000 }, async () => {
    let silent = false;
    const f = await fake({
      onConnection: (ws, info, n) => {
        if (n > 1) return ws.send(response('reconnect', new ReconnectResponse({})).toBinary());
        ws.send(joinBytes({ pingInterval: 1, pingTimeout: 3 }));
        ws.on('message', (data) => {
          const req = SignalRequest.fromBinary(data);
          if (req.message.case === 'pingReq' && !silent)
            ws.send(response('pongResp', new Pong({ lastPingTimestamp: req.message.value.timestamp, timestamp: BigInt(Date.now()) })).toBinary());
        });
      },
    });
    const a = alto([f.url, '--room', 'r', '--identity', 'i']);
    const joined = await a.waitEvent('joined');
    await new Promise((r) => setTimeout(r, 3500));
    const pings = f.conns[0].requests.filter((q) => q.message?.case === 'pingReq');
    assert.ok(pings.length >= 2 && pings.length <= 5, `${pings.length} pings in 3.5 s at a 1 s interval`);
    assert.ok(pings.some((p) => p.message.value.rtt >= 0n));
    silent = true;
    const t0 = Date.now();
    const rec = await a.waitEvent('reconnecting', undefined, 10_000);
    assert.match(rec.reason, /nothing from the server for 3 s/);
    assert.ok(rec.t - t0 < 6000, 'dropped about ping_timeout after the server went quiet');
    assert.ok(rec.t - joined.t > 3000);
    await a.waitEvent('reconnected');
    assert.equal((await a.stop('SIGINT')).code, 0);
  });

  test('the token travels in the Authorization header, never in logs', { timeout: 30_000 }, async () => {
    const f = await fake({ onConnection: (ws) => ws.send(joinBytes()) });
    const a = alto([f.url, '--room', 'r', '--identity', 'i', '-v', '-v']);
    await a.waitEvent('joined');
    assert.equal((await a.stop('SIGINT')).code, 0);
    const c = f.conns[0];
    assert.match(c.headers.authorization, /^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const token = c.headers.authorization.slice(7);
    assert.equal(c.query.get('access_token'), null, 'v1 carries no token in the URL');
    assert.ok(!a.stderr.includes(token) && !a.lines.join('\n').includes(token), 'token not printed');
    assert.ok(!a.stderr.includes(token.split('.')[2]), 'not even its signature');
    assert.match(a.stderr, /connecting to ws:\/\/127\.0\.0\.1:\d+\/rtc\/v1\?join_request=\[\d+ bytes\]/);
    assert.equal(c.joinRequest.clientInfo.protocol, 17);
    assert.equal(c.joinRequest.connectionSettings.autoSubscribe, true);
    assert.equal(c.joinRequest.publisherOffer, undefined, 'no media yet: no offer');
  });

  test('wss: certificates are verified (CA and host name) unless --insecure', { timeout: 60_000 }, async () => {
    const dir = tmpDir('alto-tls-');
    const ossl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    // a private CA, a certificate from it for 127.0.0.1 and one for another name
    ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key',
      '-out', 'ca.pem', '-days', '1', '-subj', '/CN=alto test CA');
    const leaf = (name, san) => {
      ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`,
        '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
      ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1',
        '-out', `${name}.pem`, '-extfile', `${name}.ext`);
      return { key: fs.readFileSync(path.join(dir, `${name}.key`)), cert: fs.readFileSync(path.join(dir, `${name}.pem`)) };
    };
    const good = await fake({ tls: leaf('good', 'IP:127.0.0.1'), onConnection: (ws) => ws.send(joinBytes()) });
    const wrongName = await fake({ tls: leaf('other', 'DNS:other.example'), onConnection: (ws) => ws.send(joinBytes()) });
    const trustCa = { SSL_CERT_FILE: path.join(dir, 'ca.pem') };
    const args = ['--room', 'r', '--identity', 'i', '--max-retries', '0'];
    try {
      // unknown CA: refused
      let r = await run([good.url, ...args]);
      assert.equal(r.code, 3, r.stderr);
      oneLine(r, /cannot connect to wss:.*TLS handshake failed/);
      assert.equal(good.conns.length, 0, 'no request went through an unverified TLS session');
      // trusted CA, right address (on a non-default port): joins
      const a = alto([good.url, '--room', 'r', '--identity', 'i'], { env: trustCa });
      await a.waitEvent('joined');
      assert.equal((await a.stop('SIGINT')).code, 0);
      assert.ok(!sanitizerReport(a.stderr), a.stderr);
      // trusted CA, certificate for another host name: refused
      r = await run([wrongName.url, ...args], { env: trustCa });
      assert.equal(r.code, 3, r.stderr);
      oneLine(r, /cannot connect to wss:.*TLS handshake failed/);
      assert.equal(wrongName.conns.length, 0);
      // --insecure accepts it
      const b = alto([wrongName.url, '--room', 'r', '--identity', 'i', '--insecure']);
      await b.waitEvent('joined');
      assert.equal((await b.stop('SIGINT')).code, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
