// Helpers for the receive-path tests (tests/integration/receive-*.test.mjs): a private PipeWire
// daemon, the dev server, rtc-node peers and `alto join` playing the room into the graph.
//
// Runs on the Node.js main thread. Every process is started through procs.mjs / testlib, so the
// `after` hooks (and the exit hooks) kill them.

import { steadyToneLevel, readWav, slice } from '../lib/audio.mjs';
import { WebSocketServer, WebSocket } from '../../devserver/node_modules/ws/wrapper.mjs';
import { SignalResponse } from '../../devserver/src/proto.mjs';
import { startAlto, altoBin, altoAsanBin, sanitizerReport } from './signaling-helpers.mjs';

export { altoBin, altoAsanBin, sanitizerReport };

/** Peak amplitude (dBFS) of a tone a peer publishes with amplitude 0.25. */
export const TONE_DBFS = 20 * Math.log10(0.25);

/**
 * How far off its frequency a received tone may be: the participant streams correct clock drift
 * by resampling, by up to ±0.5 % (rate_control's limit), which moves a 440 Hz tone by up to
 * ±2.2 Hz, enough to take ~1.5 dB off a Goertzel reading at exactly 440 Hz over 0.25 s blocks.
 * Not tighter: measured over 5 runs of receive-room/pulse/reconnect/wireplumber/stereo on a
 * 2-core machine (load 1.5–7, twice with two `yes` on top), the best-fitting frequency of the 3 s
 * recordings taken soon after a stream appears was off by a median 0.03–0.13 %, but by up to
 * 0.5 % (the limit) in receive-room and receive-pulse, and in receive-wireplumber (recorded 1.5 s
 * after the join, quantum 512) always by 0.37–0.5 %: the correction still swings to its limit in
 * a stream's first seconds (docs/backlog.md, "Drift control under heavy jitter"). Later blocks
 * (receive-room, a peer leaving) stayed within 0.08 %.
 */
export const TONE_FREQ_TOLERANCE = 0.006;

/** The best steady level of a tone within ±TONE_FREQ_TOLERANCE of freq. */
export function toneLevelNear(samples, freq) {
  let best = -Infinity;
  const span = freq * TONE_FREQ_TOLERANCE;
  for (let f = freq - span; f <= freq + span + 1e-9; f += span / 12) best = Math.max(best, steadyToneLevel(samples, f));
  return best;
}

/**
 * Per-block (0.25 s) levels of a tone near freq: each block at its own best frequency within
 * ±TONE_FREQ_TOLERANCE (the drift correction moves it). A gap is still a low block.
 */
export function blockLevelsNear(samples, freq) {
  const n = 12000;
  const out = [];
  for (let i = 0; i + n <= samples.length; i += n) out.push(toneLevelNear(samples.subarray(i, i + n), freq));
  return out;
}

/**
 * `alto join` against the daemon `pw` (its env), --json. opts: {bin, args, env}.
 * Returns the signaling-helpers handle (events, waitEvent, stop, stderr).
 */
export function joinRoom(pw, server, room, identity, opts = {}) {
  return startAlto([server.url, '--room', room, '--identity', identity, ...(opts.args ?? [])], {
    bin: opts.bin,
    env: { ...pw.env, ...(opts.env ?? {}) },
  });
}

/** Wait for alto's participant_stream_added event for each identity; returns them by identity. */
export async function waitStreams(alto, identities, ms = 60_000) {
  const out = {};
  for (const id of identities) {
    out[id] = await alto.waitEvent('participant_stream_added', (e) => e.participant.identity === id, ms);
  }
  return out;
}

/** Record `seconds` of the given ports and return the channels without the first 0.3 s. */
export async function recordPorts(pw, ports, seconds) {
  const wav = readWav(await pw.record(seconds, { from: ports }));
  return wav.channels.map((c) => slice(c, { from: 0.3 }));
}

/** Start rtc-node peers publishing tones: [{identity, freq, name}] → handles (waited until publishing). */
export async function tonePeers(startPeer, server, room, list, { legacy = false } = {}) {
  const peers = list.map((p) => startPeer({ url: server.url, room, identity: p.identity, name: p.name, tone: p.freq, legacy }));
  for (const p of peers) await p.waitEvent('publishing', undefined, 90_000);
  return peers;
}

/**
 * A signaling proxy in front of the dev server (ws://127.0.0.1:PORT), for what a network does to
 * alto: `cut()` drops every connection at once (a lost signal: alto resumes), and
 * `rewrite(msg)` may change each SignalResponse on its way to alto (return true when changed).
 * Returns { url, connections, rewritten, cut(), close() }.
 */
export async function signalProxy(target, { rewrite } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const sockets = new Set();
  const state = { connections: 0, rewritten: 0 };
  wss.on('connection', (client, req) => {
    state.connections++;
    const headers = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = new WebSocket(`${target}${req.url}`, { headers });
    sockets.add(client).add(upstream);
    const pending = [];
    upstream.on('open', () => { for (const m of pending.splice(0)) upstream.send(m); });
    client.on('message', (data) => (upstream.readyState === WebSocket.OPEN ? upstream.send(data) : pending.push(data)));
    upstream.on('message', (data) => {
      let out = data;
      if (rewrite) {
        try {
          const msg = SignalResponse.fromBinary(new Uint8Array(data));
          if (rewrite(msg)) {
            state.rewritten++;
            out = Buffer.from(msg.toBinary());
          }
        } catch { /* not ours to judge: pass it on */ }
      }
      if (client.readyState === WebSocket.OPEN) client.send(out);
    });
    const close = () => { client.terminate(); upstream.terminate(); sockets.delete(client); sockets.delete(upstream); };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    get connections() { return state.connections; },
    get rewritten() { return state.rewritten; },
    cut() { for (const s of [...sockets]) s.terminate(); sockets.clear(); },
    close: () => new Promise((r) => { for (const s of sockets) s.terminate(); wss.close(r); }),
  };
}
