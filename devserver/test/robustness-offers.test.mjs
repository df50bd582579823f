// Offers the server must not negotiate, and when a participant counts as connected.
//
// livekit-server drops an offer its SDP parser refuses (a warning in its log, no answer) and
// answers one it cannot negotiate (no m= section, no ICE credentials) with a full reconnect:
// leave{STATE_MISMATCH, RECONNECT}. werift, left to itself, answers text that is not SDP with an
// empty session and then reports the PeerConnection "connected" (it has no transport, so "every
// transport is up" holds); a participant counts as connected (ParticipantInfo ACTIVE, join
// deadline cleared) only once its primary PeerConnection has a DTLS transport up.
//
// Bare protobuf clients send the offers through the real server. The DTLS rule is checked on a
// werift PeerConnection in this process with a stub room around the participant: an offer that
// would bring werift to that state is refused before werift sees it, so the signaling path
// cannot show it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, mintToken, connectSignal, lk } from '../testlib/index.mjs';
import { createPeerConnection } from '../src/media/werift-setup.mjs';
import { Participant, dtlsUp, offerProblem } from '../src/participant.mjs';
import { ParticipantInfo_State } from '../src/proto.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HEAD = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const AUDIO = 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n';
const ICE = 'a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n';

/** Updates about the client itself that say ACTIVE. */
function activeUpdates(c, sid) {
  return c.messages.filter((m) => m.message.case === 'update').flatMap((m) => m.message.value.participants)
    .filter((p) => p.sid === sid && p.state === lk.ParticipantInfo_State.ACTIVE);
}

describe('offers through the server', { timeout: 120_000 }, () => {
  let server;
  const clients = [];
  before(async () => { server = await startDevServer(); });
  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
  });

  test('an offer that is not SDP, or has nothing to negotiate, never makes its sender connected', async () => {
    const offers = [
      { what: 'text that is not SDP', sdp: 'this is not SDP', outcome: 'dropped' },
      { what: 'SDP lines out of order', sdp: 's=-\r\nv=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0 0\r\n', outcome: 'dropped' },
      { what: 'SDP without an m= section', sdp: HEAD, outcome: 'rejoin' },
      { what: 'an m= section without ICE credentials', sdp: HEAD + AUDIO, outcome: 'rejoin' },
    ];
    const ways = [
      { via: 'offer request, /rtc/v1', v1: true },
      { via: 'offer request, /rtc', v1: false },
      { via: 'JoinRequest.publisher_offer', v1: true, inJoin: true },
    ];
    const runs = offers.flatMap((o) => ways.map((w) => ({ ...o, ...w })));
    await Promise.all(runs.map(async (r, i) => {
      const label = `${r.what} (${r.via})`;
      const offer = { sdp: r.sdp, id: 7 };
      const c = await connectSignal(server.url, await mintToken({ room: `offers-${i % 3}`, identity: `offer-${i}` }),
        { v1: r.v1, publisherOffer: r.inJoin ? offer : undefined });
      clients.push(c);
      const join = await c.waitFor('join');
      if (!r.inJoin) c.send('offer', new lk.SessionDescription({ type: 'offer', ...offer }));
      if (r.outcome === 'rejoin') {
        const leave = await c.waitFor('leave', () => true, 15_000);
        assert.equal(leave.reason, lk.DisconnectReason.STATE_MISMATCH, `${label}: leave reason`);
        assert.equal(leave.action, lk.LeaveRequest_Action.RECONNECT, `${label}: leave action`);
        assert.ok(await c.waitClosed(15_000), `${label}: socket closed`);
      } else {
        // werift answered within about 100 ms before this was refused; give it far longer
        await sleep(3000);
        assert.ok(!c.closed, `${label}: the socket stays open`);
        c.send('pingReq', new lk.Ping({ timestamp: 77n }));
        await c.waitFor('pongResp', (p) => p.lastPingTimestamp === 77n, 10_000);
      }
      const kinds = c.messages.map((m) => m.message.case);
      assert.ok(!kinds.includes('answer'), `${label}: no answer (got ${kinds.join(' ')})`);
      assert.deepEqual(activeUpdates(c, join.participant.sid), [], `${label}: never reported ACTIVE`);
    }));
  });

  test('an offer that is not SDP changes nothing: the next good offer is answered', async (t) => {
    // a real offer (werift's, in this process); whether ICE then connects is other tests' matter
    const pc = createPeerConnection(['127.0.0.1']);
    t.after(() => pc.close().catch(() => {}));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.createDataChannel('_reliable');
    await pc.setLocalDescription(await pc.createOffer());
    const c = await connectSignal(server.url, await mintToken({ room: 'offers-good', identity: 'good' }), { v1: true });
    clients.push(c);
    await c.waitFor('join');
    c.send('offer', new lk.SessionDescription({ type: 'offer', sdp: 'not SDP either', id: 5 }));
    c.send('offer', new lk.SessionDescription({ type: 'offer', sdp: pc.localDescription.sdp, id: 6 }));
    const answer = await c.waitFor('answer', () => true, 20_000);
    assert.equal(answer.id, 6, 'the answer is to the good offer');
    assert.match(answer.sdp, /^m=audio /m, 'with its audio section');
    await sleep(1000);
    assert.deepEqual(c.messages.filter((m) => m.message.case === 'answer').map((m) => m.message.value.id), [6], 'one answer');
    assert.ok(!c.closed, 'still in the room');
  });
});

// ---------------------------------------------------------------- the rules themselves

function waitState(pc, state, ms) {
  if (pc.connectionState === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`connectionState ${pc.connectionState}, not ${state}, after ${ms} ms`)), ms);
    pc.connectionStateChange.subscribe((s) => {
      if (s === state) { clearTimeout(t); resolve(); }
    });
  });
}

/** A Participant in a stub room that records the states it announces. */
function participant() {
  const updates = [];
  const server = { log: () => {}, joinDeadlineMs: 60_000, resumeWindowMs: 20_000, offerTimeoutMs: 15_000 };
  const room = { name: 'stub', broadcastParticipant: (p) => updates.push(p.state) };
  const grants = { identity: 'p', name: '', metadata: '', attributes: {}, canSubscribe: true, canPublish: true,
    canPublishData: true, canPublishSources: [], hidden: false };
  const p = new Participant(server, room, { grants, singlePc: true, createRtc: () => ({}) });
  p.state = ParticipantInfo_State.JOINED;
  return { p, updates };
}

test('werift "connected" without a DTLS transport does not make the participant ACTIVE', async (t) => {
  const pc = createPeerConnection(['127.0.0.1']);
  t.after(() => pc.close().catch(() => {}));
  await pc.setRemoteDescription({ type: 'offer', sdp: HEAD });
  await pc.setLocalDescription(await pc.createAnswer());
  await waitState(pc, 'connected', 10_000);
  assert.equal(pc.dtlsTransports.length, 0, 'werift has no transport for an offer without media');
  assert.equal(dtlsUp(pc), false);

  const { p, updates } = participant();
  p.onPrimaryConnected(pc);
  assert.equal(p.primaryConnected, false);
  assert.equal(p.state, ParticipantInfo_State.JOINED);
  assert.deepEqual(updates, [], 'nobody is told');
});

test('a PeerConnection with a DTLS transport up makes the participant ACTIVE', () => {
  // the shape werift has (a real one connected end to end is in every media test: connection
  // quality, for one, reports LOST for a participant that never counted as connected)
  const pc = { connectionState: 'connected', dtlsTransports: [{ state: 'connecting' }, { state: 'connected' }] };
  assert.equal(dtlsUp(pc), true);
  const { p, updates } = participant();
  p.onPrimaryConnected(pc);
  assert.equal(p.primaryConnected, true);
  assert.equal(p.state, ParticipantInfo_State.ACTIVE);
  p.onPrimaryConnected(pc);
  assert.deepEqual(updates, [ParticipantInfo_State.ACTIVE], 'the room is told once');
});

test('a DTLS transport that comes up after werift said "connected" makes the participant ACTIVE then', () => {
  const subscribers = [];
  const transport = { state: 'connecting', onStateChange: { subscribe: (fn) => subscribers.push(fn) } };
  const pc = { connectionState: 'connected', dtlsTransports: [transport] };
  const { p, updates } = participant();
  p.onPrimaryConnected(pc);
  p.onPrimaryConnected(pc);
  assert.equal(p.state, ParticipantInfo_State.JOINED, 'not yet');
  assert.equal(subscribers.length, 1, 'the transport is watched once');
  transport.state = 'connected';
  for (const fn of subscribers) fn('connected');
  assert.equal(p.state, ParticipantInfo_State.ACTIVE);
  assert.deepEqual(updates, [ParticipantInfo_State.ACTIVE]);
});

test('offerProblem: what livekit-server would drop, what it cannot negotiate', () => {
  assert.equal(offerProblem(HEAD + AUDIO + ICE), null);
  assert.equal(offerProblem((HEAD + AUDIO + ICE).replace(/\r\n/g, '\n')), null, 'bare LF line ends are SDP too');
  for (const notSdp of [undefined, '', 'this is not SDP', 'v=1\r\no=-\r\ns=-\r\nt=0 0\r\n', `${HEAD}garbage\r\n${AUDIO}`,
    's=-\r\nv=0\r\no=-\r\nt=0 0\r\n', `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n${AUDIO}t=0 0\r\n`]) {
    assert.ok(offerProblem(notSdp)?.parse, `not SDP: ${JSON.stringify(notSdp)}`);
  }
  assert.ok(offerProblem(HEAD)?.negotiate, 'no m= section');
  assert.ok(offerProblem(HEAD + AUDIO)?.negotiate, 'no ICE credentials');
  assert.ok(offerProblem(`${HEAD + AUDIO}a=ice-ufrag:abcd\r\n`)?.negotiate, 'no ice-pwd');
});
