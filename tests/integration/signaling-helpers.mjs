// Helpers for the signaling integration tests (tests/integration/signaling-*.test.mjs): run the
// built `alto` (or its ASan/UBSan build) as a child process in its own process group, read its
// --json event lines, and check its exit and stderr.
//
// Runs on the Node.js main thread; every child is killed with its group by stop() and, through
// devserver/testlib's spawnLines, when the test process exits.

import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnLines } from '../../devserver/testlib/index.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const TOP = process.env.ALTO_TOP ?? path.resolve(HERE, '..', '..');
const BUILD = process.env.ALTO_BUILD ?? path.join(TOP, 'build');

/** build/node/alto (as ./run builds it). */
export function altoBin() {
  const bin = path.join(BUILD, 'node', 'alto');
  if (!fs.existsSync(bin)) execFileSync('ninja', ['-C', BUILD, 'node/alto'], { stdio: 'ignore' });
  return bin;
}

/**
 * build-asan/node/alto: the same program under AddressSanitizer + UBSan, for bad-input tests.
 * Brought up to date here (`./run test unit` configures build-asan; configured the same way
 * when absent).
 */
export function altoAsanBin() {
  const dir = path.join(TOP, 'build-asan');
  if (!fs.existsSync(path.join(dir, 'build.ninja'))) {
    execFileSync('meson', ['setup', dir, '-Db_sanitize=address,undefined', '-Db_lundef=false', '-Dbuildtype=debug'],
      { cwd: TOP, stdio: 'ignore' });
  }
  execFileSync('ninja', ['-C', dir, 'node/alto'], { stdio: 'ignore' });
  return path.join(dir, 'node', 'alto');
}

const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=99',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=98',
};

/** True when stderr shows a sanitizer report. */
export function sanitizerReport(stderr) {
  return /ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)/.test(stderr);
}

/**
 * Start `alto join ARGS --json`. opts: {bin, env (merged over process.env, LIVEKIT_* removed),
 * json=true}. The handle: events (parsed lines so far), waitEvent(type, pred, ms) → event,
 * lines, stderr, stop(signal, ms) → {code, signal}, exited.
 */
export function startAlto(args, opts = {}) {
  const env = { ...process.env };
  for (const k of ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET', 'LIVEKIT_TOKEN']) delete env[k];
  Object.assign(env, SANITIZER_ENV, opts.env ?? {});
  const argv = ['join', ...args];
  if (opts.json !== false) argv.push('--json');
  const events = [];
  const proc = spawnLines(opts.bin ?? altoBin(), argv, {
    env,
    onLine: (l) => {
      if (opts.json === false) return;
      try { events.push(JSON.parse(l)); } catch { events.push({ event: 'unparsable', line: l }); }
    },
  });
  const match = (type, pred) => (l) => {
    let e;
    try { e = JSON.parse(l); } catch { return false; }
    return e.event === type && (!pred || pred(e));
  };
  return {
    proc,
    events,
    get lines() { return proc.lines; },
    get stderr() { return proc.stderr; },
    exited: proc.exited,
    async waitEvent(type, pred, ms = 20_000) {
      return JSON.parse(await proc.waitFor(match(type, pred), ms, `alto event ${type}`));
    },
    /** Events of these types about this identity, in order. */
    about(identity, types) {
      return events.filter((e) => types.includes(e.event) && e.participant?.identity === identity);
    },
    stop: (signal = 'SIGINT', ms = 8000) => proc.stop(signal, ms),
  };
}

/**
 * Run `alto join ARGS` to completion (add --json yourself if wanted). Resolves
 * {code, signal, stdout, stderr}. A run that outlives opts.ms is killed (SIGKILL: a test failure).
 */
export async function runAlto(args, opts = {}) {
  const h = startAlto(args, { ...opts, json: false });
  const t = setTimeout(() => h.stop('SIGKILL'), opts.ms ?? 30_000);
  const exit = await h.exited;
  clearTimeout(t);
  // stderr is read by a stream: give it a moment to drain after exit
  await new Promise((r) => setTimeout(r, 50));
  return { ...exit, stdout: h.lines.join('\n'), stderr: h.stderr };
}

/** `alto token ARGS` → the token (synchronously; the secret comes from env only). */
export function altoToken(args, env = {}) {
  return execFileSync(altoBin(), ['token', ...args], {
    env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A TCP port nobody listens on (bound, then closed). */
export async function unusedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** The lines of stderr that are not sanitizer noise. */
export function stderrLines(stderr) {
  return stderr.split('\n').filter((l) => l.trim() !== '');
}
