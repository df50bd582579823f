/**
 * What tests use to run the dev server and official-SDK peers. Stable API (see README.md):
 *
 *   startDevServer({legacyOnly, trace, host, port, apiKey, apiSecret, verbose,
 *                   joinTimeout, offerTimeout, resumeWindow (seconds), nodeArgs})
 *     → {url, wsUrl, httpUrl, host, port, traceFile, trace(), stderr, stop()}
 *   startPeer({url, room, identity, name, tone, wav, record, duration, legacy, autoSubscribe,
 *              apiKey, apiSecret, args}) → PeerHandle
 *   mintToken({room, identity, name, grant, ttl, apiKey, apiSecret, claims}) → Promise<jwt>
 *   httpGet(url, {headers}) → {status, body}
 *   connectSignal(url, token, opts) → SignalClient        (signal-client.mjs)
 *   readWav(path), goertzelLevelDb(...), toneLevelDb(...)  (wav.mjs, audio.mjs)
 *
 * Every process started here is killed with its process group by stop(), and again when the
 * test process exits.
 */
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { spawnLines } from './process.mjs';
import { mintToken as mint } from '../src/token.mjs';

export { spawnLines } from './process.mjs';
export { connectSignal, SignalClient, lk } from './signal-client.mjs';
export { interfaceAddress } from '../src/net.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DEVSERVER_DIR = path.resolve(HERE, '..');
/** `nodeArgs: ['--require', NETGUARD]` makes a process report any attempt to reach another host. */
export const NETGUARD = path.join(HERE, 'netguard.cjs');
const MAIN = path.join(DEVSERVER_DIR, 'src', 'main.mjs');
const PEER = path.join(DEVSERVER_DIR, 'peers', 'rtc-node-peer.mjs');

/** A fresh temporary directory (removed by the caller if wanted). */
export function tmpDir(prefix = 'alto-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Start `devserver/src/main.mjs` on a free port. opts.trace: true → a trace file in a temp
 * dir (trace() returns its parsed lines). Resolves once it prints `listening on ...`.
 */
export async function startDevServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1';
  const args = [...(opts.nodeArgs ?? []), MAIN, '--host', host, '--port', String(opts.port ?? 0)];
  let traceFile;
  if (opts.trace) {
    traceFile = typeof opts.trace === 'string' ? opts.trace : path.join(tmpDir('alto-trace-'), 'trace.jsonl');
    args.push('--trace', traceFile);
  }
  if (opts.legacyOnly) args.push('--legacy-only');
  if (opts.apiKey) args.push('--api-key', opts.apiKey);
  if (opts.verbose ?? !!process.env.ALTO_TEST_VERBOSE) args.push('--verbose');
  if (opts.joinTimeout) args.push('--join-timeout', String(opts.joinTimeout));
  if (opts.offerTimeout) args.push('--offer-timeout', String(opts.offerTimeout));
  if (opts.resumeWindow) args.push('--resume-window', String(opts.resumeWindow));
  const env = { ...process.env, LIVEKIT_API_SECRET: opts.apiSecret ?? 'secret' };
  const proc = spawnLines(process.execPath, args, { env });
  const line = await proc.waitFor((l) => l.startsWith('listening on '), 20_000, 'listening line');
  const wsUrl = line.slice('listening on '.length).trim();
  const u = new URL(wsUrl);
  return {
    url: wsUrl,
    wsUrl,
    httpUrl: wsUrl.replace(/^ws/, 'http'),
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port),
    traceFile,
    proc,
    get stderr() { return proc.stderr; },
    /** the trace so far, one parsed object per line */
    trace() {
      if (!traceFile || !fs.existsSync(traceFile)) return [];
      return fs.readFileSync(traceFile, 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
    },
    stop: (signal = 'SIGTERM') => proc.stop(signal),
  };
}

/**
 * A join token. grant defaults to {roomJoin: true, room, canPublish, canSubscribe,
 * canPublishData: true}; pass grant to replace it entirely.
 */
export function mintToken({ room, identity, name, metadata, grant, ttl = 600, apiKey = 'devkey', apiSecret = 'secret', claims, alg } = {}) {
  const g = grant ?? { roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true };
  return mint({ apiKey, apiSecret, identity, name, metadata, grant: g, ttl, claims, alg });
}

/** GET url → {status, body}. */
export function httpGet(url, { headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url.replace(/^ws/, 'http'), { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
  });
}

/**
 * Start an @livekit/rtc-node peer (peers/rtc-node-peer.mjs). The handle:
 *   events: parsed JSON event lines so far;  waitEvent(type, pred?, ms?) → event;
 *   mute(), unmute() (stdin commands);  stop(signal) → exit info;  proc (spawnLines handle).
 */
export function startPeer(opts) {
  const args = [PEER, '--url', opts.url, '--room', opts.room, '--identity', opts.identity];
  if (opts.name) args.push('--name', opts.name);
  if (opts.tone !== undefined) args.push('--tone', String(opts.tone));
  if (opts.wav) args.push('--wav', opts.wav);
  if (opts.record) args.push('--record', opts.record);
  if (opts.duration !== undefined) args.push('--duration', String(opts.duration));
  if (opts.legacy) args.push('--legacy');
  if (opts.autoSubscribe === false) args.push('--no-auto-subscribe');
  if (opts.amplitude !== undefined) args.push('--amplitude', String(opts.amplitude));
  if (opts.apiKey) args.push('--api-key', opts.apiKey);
  args.push(...(opts.args ?? []));
  const env = { ...process.env, LIVEKIT_API_SECRET: opts.apiSecret ?? 'secret' };
  const events = [];
  const proc = spawnLines(process.execPath, args, {
    env,
    onLine: (l) => { try { events.push(JSON.parse(l)); } catch { /* not an event */ } },
  });
  const matches = (type, pred) => (l) => {
    let e;
    try { e = JSON.parse(l); } catch { return false; }
    return e.event === type && (!pred || pred(e));
  };
  return {
    proc,
    events,
    async waitEvent(type, pred, ms = 30_000) {
      return JSON.parse(await proc.waitFor(matches(type, pred), ms, `event ${type}`));
    },
    command(line) { proc.child.stdin.write(`${line}\n`); },
    mute() { proc.child.stdin.write('mute\n'); },
    unmute() { proc.child.stdin.write('unmute\n'); },
    stop: (signal = 'SIGTERM') => proc.stop(signal, 8000),
    exited: proc.exited,
  };
}
