/*
 * Start the browser peer (../browser-peer.mjs) from a test, like testlib's startPeer does for
 * the rtc-node peer:
 *
 *   import { startBrowserPeer } from '../peers/browser/start.mjs';
 *   const b = startBrowserPeer({ url, room, identity, tone: 660, gain: 0.5 });
 *   await b.waitEvent('joined');
 *   const l = await b.waitEvent('levels', (e) => e.identity === 'alice');
 *   await b.stop();
 *
 * The handle: events (parsed JSON lines so far), waitEvent(type, pred?, ms?), levels(identity)
 * (the 'levels' events for that identity so far), stop(signal) → exit info, proc (spawnLines).
 * The runner is its own process group and is killed with it by stop() and at test-process exit;
 * Chromium exits when the runner's debugging pipe closes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnLines } from '../../testlib/process.mjs';

const RUNNER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'browser-peer.mjs');

export function startBrowserPeer(opts) {
  const args = [RUNNER, '--url', opts.url, '--room', opts.room, '--identity', opts.identity];
  if (opts.name) args.push('--name', opts.name);
  if (opts.tone !== undefined) args.push('--tone', String(opts.tone));
  if (opts.gain !== undefined) args.push('--gain', String(opts.gain));
  if (opts.duration !== undefined) args.push('--duration', String(opts.duration));
  if (opts.interval !== undefined) args.push('--interval', String(opts.interval));
  if (opts.red === false) args.push('--no-red');
  if (opts.dtx === false) args.push('--no-dtx');
  if (opts.verbose ?? !!process.env.ALTO_TEST_VERBOSE) args.push('--verbose');
  const env = { ...process.env, LIVEKIT_API_KEY: opts.apiKey ?? 'devkey', LIVEKIT_API_SECRET: opts.apiSecret ?? 'secret' };
  delete env.LIVEKIT_TOKEN;
  if (opts.token) env.LIVEKIT_TOKEN = opts.token;
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
    async waitEvent(type, pred, ms = 45_000) {
      return JSON.parse(await proc.waitFor(matches(type, pred), ms, `browser event ${type}`));
    },
    levels: (identity) => events.filter((e) => e.event === 'levels' && e.identity === identity),
    stop: (signal = 'SIGTERM') => proc.stop(signal, 10_000),
    exited: proc.exited,
  };
}
