// Bad input on the signaling port while two official-SDK participants (@livekit/rtc-node)
// talk in the same room: undecodable binary frames, a truncated protobuf, a text frame that
// is not JSON, an oversized frame, well-formed requests with nonsense inside (bad SDP, bad
// candidates, unknown track sids), and raw TCP garbage on the HTTP port. Each bad socket is
// closed (or its nonsense refused) and nothing else: the server keeps running, keeps
// admitting, and the two participants keep hearing each other at the sent level throughout.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startDevServer, startPeer, mintToken, connectSignal, httpGet, interfaceAddress, tmpDir, lk } from '../testlib/index.mjs';
import { readWav, slice, toneLevel } from '../../tests/lib/audio.mjs';

const ROOM = 'garbage';
const A_TONE = 440;
const B_TONE = 660;
const LEVEL = 20 * Math.log10(0.25); // the rtc-node peer's default amplitude: -12.04 dBFS
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('robustness: garbage on the signaling socket', { timeout: 150_000 }, () => {
  let server, alice, bob, dir;
  const clients = [];
  let attackFrom; // seconds into each recording when the attacks started

  before(async () => {
    const host = interfaceAddress();
    assert.ok(host, 'this machine needs a non-loopback IPv4 interface for libwebrtc peers');
    server = await startDevServer({ host });
    dir = tmpDir('alto-garbage-');
    alice = startPeer({ url: server.url, room: ROOM, identity: 'alice', tone: A_TONE, record: dir });
    bob = startPeer({ url: server.url, room: ROOM, identity: 'bob', tone: B_TONE, record: dir });
    await alice.waitEvent('recording', (e) => e.identity === 'bob', 45_000);
    await bob.waitEvent('recording', (e) => e.identity === 'alice', 45_000);
    // both hear each other before anything bad happens
    const end = Date.now() + 20_000;
    for (;;) {
      const ok = [['alice', 'bob', B_TONE], ['bob', 'alice', A_TONE]].every(([, who, f]) => {
        try {
          const w = readWav(path.join(dir, `${who}.wav`));
          if (w.seconds < 1.5) return false;
          return Math.abs(toneLevel(slice(w.channels[0], { from: w.seconds - 1, to: w.seconds }), f) - LEVEL) < 1;
        } catch { return false; }
      });
      if (ok) break;
      if (Date.now() > end) throw new Error('alice and bob never heard each other before the attacks');
      await sleep(250);
    }
    attackFrom = {
      alice: readWav(path.join(dir, 'bob.wav')).seconds, // file named after whom it records
      bob: readWav(path.join(dir, 'alice.wav')).seconds,
    };
  });

  after(async () => {
    for (const c of clients) c.close();
    await alice?.stop();
    await bob?.stop();
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function attacker(v1 = n % 2 === 0) {
    const c = await connectSignal(server.url, await mintToken({ room: ROOM, identity: `attacker-${n++}` }), { v1 });
    clients.push(c);
    await c.waitFor('join');
    return c;
  }

  test('undecodable, truncated, text and oversized frames close only that socket', async () => {
    const offer = new lk.SignalRequest({ message: { case: 'offer', value: new lk.SessionDescription({
      type: 'offer', sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=x\r\n'.repeat(50)}`, id: 3 }) } }).toBinary();
    const frames = {
      'invalid wire type': { data: Buffer.from([0x0f, 0x01, 0x02, 0x03]), code: 1007 },
      'truncated varint': { data: Buffer.from([0x70, 0xff, 0xff, 0xff]), code: 1007 },
      'length past the end': { data: Buffer.from([0x0a, 0x7f, 0x01, 0x02]), code: 1007 },
      'truncated protobuf (an offer cut in half)': { data: Buffer.from(offer.subarray(0, offer.length >> 1)), code: 1007 },
      'text frame, not JSON': { data: 'hello {{{ not json', text: true, code: 1007 },
      'oversized frame (2 MiB)': { data: Buffer.alloc(2 << 20, 0x41), code: 1009 },
    };
    for (const [what, f] of Object.entries(frames)) {
      const c = await attacker();
      c.sendRaw(f.data, !f.text);
      const info = await c.waitClosed(10_000).catch(() => null);
      assert.ok(info, `${what}: socket closed`);
      assert.equal(info.code, f.code, `${what}: close code`);
    }
  });

  test('well-formed requests with nonsense inside are refused without harm', async () => {
    const c = await attacker(true);
    const sends = [
      ['offer', new lk.SessionDescription({ type: 'offer', sdp: 'this is not SDP', id: 9 })],
      ['answer', new lk.SessionDescription({ type: 'answer', sdp: 'v=0\r\nnonsense', id: 1 })],
      ['trickle', new lk.TrickleRequest({ candidateInit: '{not json', target: lk.SignalTarget.PUBLISHER })],
      ['trickle', new lk.TrickleRequest({ candidateInit: JSON.stringify({ candidate: 'candidate:1 1 udp 1 999.1.1.1 99999 typ host', sdpMid: '77' }), target: lk.SignalTarget.SUBSCRIBER })],
      ['addTrack', new lk.AddTrackRequest({ cid: '', type: lk.TrackType.AUDIO, source: lk.TrackSource.MICROPHONE })],
      ['addTrack', new lk.AddTrackRequest({ cid: 'x'.repeat(10_000), type: 42, source: 99 })],
      ['mute', new lk.MuteTrackRequest({ sid: 'TR_nope', muted: true })],
      ['subscription', new lk.UpdateSubscription({ trackSids: ['TR_nope', ''], subscribe: true })],
      ['trackSetting', new lk.UpdateTrackSettings({ trackSids: ['TR_nope'], disabled: true })],
      ['updateAudioTrack', new lk.UpdateLocalAudioTrack({ trackSid: 'TR_nope', features: [99] })],
      ['updateMetadata', new lk.UpdateParticipantMetadata({ metadata: 'm'.repeat(200_000), name: '\u0000\uffff' })],
      ['syncState', new lk.SyncState({ answer: new lk.SessionDescription({ type: 'answer', sdp: 'junk' }) })],
      ['subscriptionPermission', new lk.SubscriptionPermission({ allParticipants: false, trackPermissions: [new lk.TrackPermission({ participantIdentity: 'nobody' })] })],
      ['pingReq', new lk.Ping({ timestamp: -1n, rtt: -5n })],
    ];
    for (const [kase, value] of sends) {
      if (c.closed) break;
      c.send(kase, value);
    }
    await sleep(1500);
    // The socket may have been closed for the nonsense; if it is open, it still works.
    if (!c.closed) {
      c.send('pingReq', new lk.Ping({ timestamp: 4242n }));
      const pong = await c.waitFor('pongResp', (p) => p.lastPingTimestamp === 4242n, 5000);
      assert.equal(pong.lastPingTimestamp, 4242n);
    }
    assert.equal(server.proc.child.exitCode, null, 'server running');
  });

  test('raw TCP garbage and broken upgrades on the HTTP port are dropped', async () => {
    const raw = (bytes) => new Promise((resolve) => {
      const s = net.connect(server.port, server.host, () => s.write(bytes));
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('error', () => {});
      s.on('close', () => resolve(got));
      setTimeout(() => { s.destroy(); resolve(`${got}[still open]`); }, 5000).unref();
    });
    const token = await mintToken({ room: ROOM, identity: 'rawtcp' });
    const answers = await Promise.all([
      raw(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])), // a TLS ClientHello start
      raw('\x00\xff\xfe garbage \r\n\r\n'),
      raw(`GET /rtc?access_token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: not-base64!!\r\n\r\n'),
      raw(`GET /rtc?access_token=${token} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
      raw(`GET /rtc/v1?join_request=${'%ff'.repeat(3000)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nAuthorization: Bearer ${token}\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'),
    ]);
    for (const a of answers) {
      // dropped without a word, or a 4xx; never an upgrade, never a socket left hanging
      assert.ok(a === '' || /^HTTP\/1\.1 4\d\d /.test(a), `answer to garbage: ${JSON.stringify(a.slice(0, 80))}`);
    }
    // after all that, the server still answers and admits
    assert.equal((await httpGet(`${server.httpUrl}/`)).status, 200);
    const c = await attacker(false);
    assert.ok(c.messages.some((m) => m.message.case === 'join'));
  });

  test('alice and bob heard each other at the sent level throughout, never disconnected', async () => {
    await sleep(2000);
    assert.equal(server.proc.child.exitCode, null, 'server running');
    assert.doesNotMatch(server.stderr, /uncaught exception|unhandled rejection/, 'no exception escaped a handler');
    for (const [listener, talker, freq] of [['alice', 'bob', B_TONE], ['bob', 'alice', A_TONE]]) {
      const w = readWav(path.join(dir, `${talker}.wav`));
      const from = attackFrom[listener];
      assert.ok(w.seconds - from > 3, `${listener} recorded ${(w.seconds - from).toFixed(1)} s during the attacks`);
      // every half second from the first attack on: the tone at its level (no gap, no glitch)
      for (let t = from; t + 0.5 <= w.seconds; t += 0.5) {
        const level = toneLevel(slice(w.channels[0], { from: t, to: t + 0.5 }), freq);
        assert.ok(Math.abs(level - LEVEL) < 1, `${listener} hears ${talker} at ${level.toFixed(2)} dBFS at ${t.toFixed(1)} s`);
      }
      const peer = listener === 'alice' ? alice : bob;
      const bad = peer.events.filter((e) => ['disconnected', 'reconnecting', 'error'].includes(e.event) ||
        (e.event === 'track_unsubscribed' && e.identity === talker));
      assert.deepEqual(bad, [], `${listener} had no trouble`);
    }
  });
});
