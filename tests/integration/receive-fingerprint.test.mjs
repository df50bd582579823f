// A man in the middle: a signaling proxy between alto and the dev server that changes the DTLS
// fingerprint in the server's SDP. alto must refuse the DTLS connection (the certificate does not
// match what signaling promised), say so with an `error` event, and play nothing. Runs the
// ASan/UBSan build of alto: the refusal path must also be clean.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { joinRoom, altoAsanBin, sanitizerReport, recordPorts, toneLevelNear, signalProxy } from './receive-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Flip the first byte of every sha-256 fingerprint in an SDP. */
function tamper(sdp) {
  return sdp.replace(/a=fingerprint:sha-256 ([0-9A-Fa-f]{2})/g,
    (m, b) => `a=fingerprint:sha-256 ${((parseInt(b, 16) ^ 0xff) & 0xff).toString(16).padStart(2, '0').toUpperCase()}`);
}

/** The dev server behind a proxy that tampers every offer and answer on its way to alto. */
function tamperingProxy(target) {
  return signalProxy(target, {
    rewrite(msg) {
      const c = msg.message?.case;
      if ((c === 'answer' || c === 'offer') && msg.message.value.sdp) {
        msg.message.value.sdp = tamper(msg.message.value.sdp);
        return true;
      }
      return false;
    },
  });
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
      assert.ok(proxy.rewritten > 0);
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
