// A man in the middle: a signaling proxy between alto and the dev server that changes the DTLS
// fingerprint in the server's SDP. alto must refuse the DTLS connection (the certificate does not
// match what signaling promised), say so with an `error` event, and play nothing. Runs the
// ASan/UBSan build of alto: the refusal path must also be clean.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, WebSocket } from '../../devserver/node_modules/ws/wrapper.mjs';
import { SignalResponse } from '../../devserver/src/proto.mjs';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { joinRoom, altoAsanBin, sanitizerReport, recordPorts, toneLevelNear } from './receive-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Flip the first byte of every sha-256 fingerprint in an SDP. */
function tamper(sdp) {
  return sdp.replace(/a=fingerprint:sha-256 ([0-9A-Fa-f]{2})/g,
    (m, b) => `a=fingerprint:sha-256 ${((parseInt(b, 16) ^ 0xff) & 0xff).toString(16).padStart(2, '0').toUpperCase()}`);
}

/** A WebSocket proxy to `target` (ws://host:port) that tampers offers and answers. */
async function tamperingProxy(target) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const sockets = new Set();
  let tampered = 0;
  wss.on('connection', (client, req) => {
    const headers = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = new WebSocket(`${target}${req.url}`, { headers });
    sockets.add(client).add(upstream);
    const pending = [];
    upstream.on('open', () => { for (const m of pending.splice(0)) upstream.send(m); });
    client.on('message', (data) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data) : pending.push(data)));
    upstream.on('message', (data) => {
      let out = data;
      try {
        const msg = SignalResponse.fromBinary(new Uint8Array(data));
        const c = msg.message?.case;
        if ((c === 'answer' || c === 'offer') && msg.message.value.sdp) {
          msg.message.value.sdp = tamper(msg.message.value.sdp);
          tampered++;
          out = Buffer.from(msg.toBinary());
        }
      } catch { /* not ours to judge: pass it on */ }
      if (client.readyState === WebSocket.OPEN) client.send(out);
    });
    const close = () => { client.close(); upstream.close(); };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => {});
    upstream.on('error', close);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    get tampered() { return tampered; },
    close: () => new Promise((r) => { for (const s of sockets) s.terminate(); wss.close(r); }),
  };
}

describe('a wrong DTLS fingerprint', () => {
  let pw;
  let server;
  let proxy;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-fingerprint' });
    server = await startDevServer();
    proxy = await tamperingProxy(server.url);
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await proxy?.close();
    await server?.stop();
    await pw?.stop();
    await killAll();
  });

  for (const mode of ['single_pc', 'legacy']) {
    test(`${mode}: the connection is refused, an error event, nothing played`, { timeout: 120_000 }, async () => {
      const room = `mitm-${mode.replace('_', '-')}`;
      const peer = startPeer({ url: server.url, room, identity: 'alice', tone: 440 });
      stops.push(() => peer.stop());
      await peer.waitEvent('publishing', undefined, 90_000);
      const alto = joinRoom(pw, { url: proxy.url }, room, 'listener', {
        bin: altoAsanBin(), args: mode === 'legacy' ? ['--legacy'] : [],
      });
      stops.push(() => alto.stop('SIGKILL'));
      await alto.waitEvent('joined', undefined, 30_000);
      const err = await alto.waitEvent('error', undefined, 60_000);
      assert.equal(err.code, -111, `ECONNREFUSED: ${JSON.stringify(err)}`);
      assert.match(err.message, /fingerprint/i);
      assert.ok(proxy.tampered > 0);
      // alto tries again (a full rejoin), and is refused again: never a stream, never a sound
      await alto.waitEvent('reconnecting', (e) => e.full, 30_000);
      await sleep(2000);
      assert.ok(!alto.events.some((e) => e.event === 'participant_stream_added'), 'no participant stream');
      assert.ok(!(await pw.nodes()).some((n) => n.name === `alto.${room}.alice`));
      const [s] = await recordPorts(pw, [`alto.${room}:output_FL`], 1);
      assert.ok(toneLevelNear(s, 440) < -60, 'nothing of alice reached the graph');
      const end = await alto.stop('SIGINT');
      assert.equal(end.code, 0, alto.stderr);
      assert.ok(!sanitizerReport(alto.stderr), alto.stderr);
      await peer.stop();
    });
  }
});
