// Interop of alto's WebRTC transport (rtc/transport) with werift, an independent WebRTC stack:
// the C program tests/rtc/transport/alto-rtc-peer (one alto_pc over stdin/stdout) and a werift
// peer (devserver/peers/werift-peer.mjs) exchange offer/answer and trickle candidates through
// this test, connect ICE + DTLS-SRTP on this machine, and RTP sent by either arrives decrypted
// and byte-exact at the other. A fingerprint that does not match the certificate is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createWeriftPeer } from '../../devserver/peers/werift-peer.mjs';

const TOP = process.env.ALTO_TOP ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD = process.env.ALTO_BUILD ?? path.join(TOP, 'build');
const ALTO_PEER = path.join(BUILD, 'tests/rtc/transport/alto-rtc-peer');

function startAlto(args) {
  const child = spawn(ALTO_PEER, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const messages = [];
  const listeners = new Set();
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line);
    messages.push(msg);
    for (const listener of listeners) listener(msg);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return {
    messages,
    onMessage(fn) { listeners.add(fn); },
    send(msg) { if (child.stdin.writable) child.stdin.write(`${JSON.stringify(msg)}\n`); },
    async waitFor(predicate, what, timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const found = messages.find(predicate);
        if (found) return found;
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`alto-rtc-peer: no ${what}; stderr:\n${stderr.slice(-2000)}`);
    },
    async stop() {
      this.send({ type: 'close' });
      const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, 3000);
      await exited;
      clearTimeout(timer);
      return child.exitCode;
    },
  };
}

/** Wire both sides together; werift's calls are serialised so candidates follow their SDP. */
function connect(alto, werift) {
  let chain = Promise.resolve();
  const errors = [];
  alto.onMessage((msg) => {
    if (!['offer', 'answer', 'candidate'].includes(msg.type) || msg.final) return;
    chain = chain.then(() => werift.handle(msg)).catch((e) => errors.push(e));
  });
  return errors;
}

async function until(predicate, what, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function assertRtpBothWays(alto, werift, recvMid) {
  return (async () => {
    // alto -> werift
    alto.send({ type: 'send-rtp', count: 50 });
    await until(() => werift.received.length >= 40, 'RTP from alto at werift');
    for (const p of werift.received) {
      assert.equal(p.pt, 111);
      assert.equal(p.payload, `alto-rtp-${p.seq}`, 'payload decrypted byte-exact');
    }
    // werift -> alto
    werift.sendRtp(50);
    await until(() => alto.messages.filter((m) => m.type === 'rtp').length >= 40, 'RTP from werift at alto');
    const rtp = alto.messages.filter((m) => m.type === 'rtp');
    const numbers = rtp.map((m) => Number(/^werift-rtp-(\d+)$/.exec(m.payload)?.[1]));
    assert.ok(numbers.every((n) => n >= 1 && n <= 50), `payloads: ${rtp.slice(0, 3).map((m) => m.payload)}`);
    assert.ok(new Set(numbers).size >= 40, 'distinct packets');
    for (const m of rtp) {
      assert.equal(m.pt, 111);
      // the SSRC maps to the section werift sends on
      assert.equal(m.mid, recvMid);
    }
  })();
}

test('alto-rtc-peer is built', () => {
  assert.ok(fs.existsSync(ALTO_PEER), `${ALTO_PEER} missing: ./run build`);
});

test('alto offers, werift answers: ICE, DTLS-SRTP, RTP both ways', { timeout: 60000 }, async () => {
  const alto = startAlto(['--offer', '--send', '--recv', '1']);
  const werift = createWeriftPeer({ onSignal: (msg) => alto.send(msg) });
  const errors = connect(alto, werift);
  try {
    const offer = await alto.waitFor((m) => m.type === 'offer', 'offer');
    assert.match(offer.sdp, /a=group:BUNDLE 0 1\r\n/);
    assert.match(offer.sdp, /a=fmtp:111 minptime=10;useinbandfec=1\r\n/);
    await alto.waitFor((m) => m.type === 'state' && m.state === 'connected', 'connected state');
    await until(() => werift.states.includes('connected'), 'werift connected');
    // alto's section 0 is its recvonly one, werift's track is on it
    const media = alto.messages.filter((m) => m.type === 'media');
    assert.equal(media.find((m) => m.mid === '0')?.direction, 'recvonly');
    assert.equal(media.find((m) => m.mid === '1')?.direction, 'sendonly');
    await assertRtpBothWays(alto, werift, '0');
    // werift's receiver reports come through SRTCP, decrypted
    await alto.waitFor((m) => m.type === 'rtcp' && m.pt >= 200 && m.pt <= 206, 'RTCP from werift');
    assert.deepEqual(errors, []);
    assert.equal(alto.messages.filter((m) => m.type === 'error').length, 0);
  } finally {
    await werift.close();
    assert.equal(await alto.stop(), 0);
  }
});

test('ICE restart from alto: new credentials, media keeps flowing', { timeout: 60000 }, async () => {
  const alto = startAlto(['--offer', '--send', '--recv', '1']);
  const werift = createWeriftPeer({ onSignal: (msg) => alto.send(msg) });
  const errors = connect(alto, werift);
  try {
    await alto.waitFor((m) => m.type === 'state' && m.state === 'connected', 'connected state');
    alto.send({ type: 'send-rtp', count: 400 });
    werift.sendRtp(400);
    await until(() => werift.received.length >= 20, 'RTP before the restart');
    const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp)[1];
    const first = alto.messages.find((m) => m.type === 'offer');
    alto.send({ type: 'restart-ice' });
    const second = await alto.waitFor((m) => m.type === 'offer' && m.id === 2, 'restart offer');
    assert.notEqual(ufrag(second.sdp), ufrag(first.sdp));
    await alto.waitFor((m) => m.type === 'ice-restart-done', 'the restart checks done', 20000);
    const [sentBefore, gotBefore] = [werift.received.length, alto.messages.filter((m) => m.type === 'rtp').length];
    await until(() => werift.received.length >= sentBefore + 50, 'alto -> werift after the restart');
    await until(() => alto.messages.filter((m) => m.type === 'rtp').length >= gotBefore + 50,
      'werift -> alto after the restart');
    assert.ok(!alto.messages.some((m) => m.type === 'state' && m.state !== 'connected' &&
      alto.messages.indexOf(m) > alto.messages.indexOf(second)), 'stayed connected');
    assert.deepEqual(errors, []);
  } finally {
    await werift.close();
    assert.equal(await alto.stop(), 0);
  }
});

test('werift offers, alto answers: ICE, DTLS-SRTP, RTP both ways', { timeout: 60000 }, async () => {
  const alto = startAlto(['--send']);
  const werift = createWeriftPeer({ onSignal: (msg) => alto.send(msg) });
  const errors = connect(alto, werift);
  try {
    await alto.waitFor((m) => m.type === 'ready', 'ready');
    await werift.offer();
    const answer = await alto.waitFor((m) => m.type === 'answer', 'answer');
    assert.match(answer.sdp, /a=setup:active\r\n/, 'alto answers actpass with active');
    await alto.waitFor((m) => m.type === 'state' && m.state === 'connected', 'connected state');
    await until(() => werift.states.includes('connected'), 'werift connected');
    // werift's section 0 sends (alto receives there), section 1 receives (alto sends there)
    const media = alto.messages.filter((m) => m.type === 'media');
    assert.equal(media.find((m) => m.mid === '0')?.direction, 'recvonly');
    assert.equal(media.find((m) => m.mid === '1')?.direction, 'sendonly');
    await assertRtpBothWays(alto, werift, '0');
    assert.deepEqual(errors, []);
  } finally {
    await werift.close();
    assert.equal(await alto.stop(), 0);
  }
});

test('a certificate that does not match the SDP fingerprint is refused', { timeout: 60000 }, async () => {
  const alto = startAlto(['--offer', '--send', '--recv', '1', '--tamper-fingerprint']);
  const werift = createWeriftPeer({ onSignal: (msg) => alto.send(msg) });
  connect(alto, werift);
  try {
    const error = await alto.waitFor((m) => m.type === 'error', 'error event');
    assert.equal(error.code, -111, `ECONNREFUSED expected: ${error.message}`);
    assert.match(error.message, /fingerprint/);
    await alto.waitFor((m) => m.type === 'state' && m.state === 'failed', 'failed state');
    assert.ok(!alto.messages.some((m) => m.type === 'state' && m.state === 'connected'));
    // nothing can be sent, nothing arrives
    alto.send({ type: 'send-rtp', count: 5 });
    await alto.waitFor((m) => m.type === 'sent', 'send attempt done');
    assert.ok(alto.messages.some((m) => m.type === 'error' && m.code === -107), 'send refused (ENOTCONN)');
    assert.equal(werift.received.length, 0);
  } finally {
    await werift.close();
    assert.equal(await alto.stop(), 0);
  }
});

test('closed werift peers leave no timer behind (the test process can exit)', async () => {
  // werift's DTLS flight retransmission outlives pc.close() (~33 s after the fingerprint case)
  // unless devserver/peers/werift-peer.mjs close() ends it; it wakes up at most 5.5 s later
  const deadline = Date.now() + 8000;
  let timers;
  for (;;) {
    timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout');
    if (timers.length === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(timers, [], 'timers still active after every peer was closed');
});
