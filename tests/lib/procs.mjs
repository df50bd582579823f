// Process bookkeeping for tests and the demo: no child may outlive the test process.
//
// Every child started through spawnGroup() runs in its own process group (detached: true) and is
// remembered until it exits. The groups are killed
//   - by killAll() (SIGTERM, then SIGKILL after a grace period), which test files call from an
//     `after` hook inside their `describe` (a top-level `after` in a library misbehaves in node 20);
//   - synchronously with SIGKILL on the process 'exit' event (a test that threw, a forgotten stop);
//   - on SIGINT / SIGTERM / SIGHUP of the test process (Ctrl-C, the test runner giving up), after
//     which the process exits with 128 + signal number;
//   - by a watchdog (a tiny detached bash; dash cannot signal a group) when the test process itself dies without running any
//     handler (SIGKILL, a crash): the watchdog holds the read end of a pipe, learns every group
//     we start, and kills the groups that are still listed when the pipe closes.
//
// Everything here runs on the Node.js main thread.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const DEFAULT_GRACE_MS = 2000;

/** pid (== pgid) → { child, name } of every group still running. */
const groups = new Map();

let watchdog = null;

function watchdogSend(line) {
  if (!watchdog) {
    // The shell keeps a list of pgids; at EOF (our process is gone) it kills what is left.
    const script = `
      pgids=" "
      while read -r op id; do
        case "$op" in
          add) pgids="$pgids$id " ;;
          del) pgids=$(printf '%s' "$pgids" | sed "s/ $id / /") ;;
        esac
      done
      for p in $pgids; do kill -TERM -- "-$p" 2>/dev/null; done
      [ "$pgids" = " " ] && exit 0
      sleep 1
      for p in $pgids; do kill -KILL -- "-$p" 2>/dev/null; done
      exit 0`;
    watchdog = spawn('bash', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.on('error', () => { watchdog = null; });
    watchdog.stdin.on('error', () => {});
    watchdog.unref();
    watchdog.stdin.unref?.();
    watchdog.stdin._handle?.unref?.();
  }
  try { watchdog.stdin.write(line + '\n'); } catch { /* watchdog gone: the other paths still apply */ }
}

function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function signalGroup(pgid, sig) {
  try { process.kill(-pgid, sig); return true; } catch { return false; }
}

/**
 * Spawn `cmd args` in a new process group and remember it until it exits.
 * Returns the ChildProcess with a few additions:
 *   child.exited   a Promise of { code, signal } resolved when the leader exits
 *   child.stdoutText() / child.stderrText()   what was captured so far (when stdio is 'pipe')
 *   child.kill_group(signal)   signal the whole group
 * opts: everything child_process.spawn takes, plus `name` (for messages) and `capture`
 * (default true: collect piped stdout/stderr into strings, capped at 1 MiB each).
 */
export function spawnGroup(cmd, args = [], opts = {}) {
  const { name = cmd, capture = true, ...spawnOpts } = opts;
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts, detached: true });
  const out = { stdout: '', stderr: '' };
  const cap = 1 << 20;
  if (capture) {
    for (const stream of ['stdout', 'stderr']) {
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (d) => { if (out[stream].length < cap) out[stream] += d; });
    }
  }
  child.stdoutText = () => out.stdout;
  child.stderrText = () => out.stderr;
  child.exited = new Promise((resolve) => {
    child.on('error', (err) => { groups.delete(child.pid); resolve({ code: null, signal: null, error: err }); });
    child.on('exit', (code, signal) => {
      // The leader is gone; members of its group may not be. Keep killing the group on
      // cleanup until it is empty, but tell the watchdog only once the group is empty.
      if (!groupAlive(child.pid)) {
        groups.delete(child.pid);
        watchdogSend(`del ${child.pid}`);
      }
      resolve({ code, signal });
    });
  });
  if (child.pid) {
    groups.set(child.pid, { child, name });
    watchdogSend(`add ${child.pid}`);
  }
  child.kill_group = (sig = 'SIGTERM') => signalGroup(child.pid, sig);
  return child;
}

/** SIGTERM one group, SIGKILL after `grace` ms; resolves when the group is empty. */
export async function killGroup(child, { grace = DEFAULT_GRACE_MS, signal = 'SIGTERM' } = {}) {
  if (!child?.pid) return;
  const pgid = child.pid;
  if (groupAlive(pgid)) {
    signalGroup(pgid, signal);
    const deadline = Date.now() + grace;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
    if (groupAlive(pgid)) {
      signalGroup(pgid, 'SIGKILL');
      const hard = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < hard) await sleep(20);
    }
  }
  // Let 'exit' fire (reaps the zombie leader) before forgetting it.
  await Promise.race([child.exited, sleep(1000)]);
  groups.delete(pgid);
  watchdogSend(`del ${pgid}`);
}

/** Kill every remembered group: SIGTERM to all, SIGKILL to what is left after `grace` ms. */
export async function killAll({ grace = DEFAULT_GRACE_MS } = {}) {
  await Promise.all([...groups.values()].map(({ child }) => killGroup(child, { grace })));
}

/** Synchronous last resort: SIGKILL every remembered group. */
export function killAllSync() {
  for (const pgid of groups.keys()) signalGroup(pgid, 'SIGKILL');
  groups.clear();
}

/** The pids (group leaders) still remembered, with their names. For leak checks and messages. */
export function liveGroups() {
  return [...groups.entries()].filter(([pgid]) => groupAlive(pgid)).map(([pgid, g]) => ({ pid: pgid, name: g.name }));
}

/** True when no process with this pid exists (a zombie counts as gone). */
export function pidGone(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

// Cleanup on the way out, whatever the way.
const exitHandlers = [];
/** Register a synchronous function to run on process exit / signals (e.g. removing temp dirs). */
export function onExitSync(fn) { exitHandlers.push(fn); }

function runExitHandlers() {
  killAllSync();
  for (const fn of exitHandlers.splice(0)) { try { fn(); } catch { /* best effort */ } }
}

process.on('exit', runExitHandlers);
for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.on(sig, () => {
    runExitHandlers();
    process.exit(128 + num);
  });
}

/**
 * Poll `predicate` (sync or async) until it returns a truthy value, which is returned.
 * Throws after `timeout` ms with `message` (and the last error the predicate threw, if any).
 */
export async function waitFor(predicate, { timeout = 10000, interval = 50, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastErr = null;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
      lastErr = null;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const why = lastErr ? `: ${lastErr.message}` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await sleep(interval);
  }
}

/**
 * Run a command to completion with a timeout, capturing output.
 * Resolves { code, signal, stdout, stderr, timedOut }; with `check: true` (default) rejects when
 * the command fails or times out. The command runs in its own process group, killed on timeout.
 * opts: env, cwd, input (string written to stdin), timeout (ms, default 15000), check.
 */
export async function run(cmd, args = [], { timeout = 15000, check = true, input, ...opts } = {}) {
  const child = spawnGroup(cmd, args, { ...opts, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (input !== undefined) {
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; killGroup(child, { grace: 500 }); }, timeout);
  const res = await child.exited;
  clearTimeout(timer);
  // 'exit' can come before the pipes are drained.
  await Promise.all([child.stdout, child.stderr].map((s) => s && !s.readableEnded && !s.destroyed
    ? Promise.race([new Promise((r) => s.once('close', r)), sleep(500)]) : null));
  const result = { ...res, stdout: child.stdoutText(), stderr: child.stderrText(), timedOut };
  if (check && (timedOut || res.code !== 0)) {
    const what = timedOut ? `timed out after ${timeout} ms` : res.error ? res.error.message : `exited with ${res.code ?? res.signal}`;
    const err = new Error(`${cmd} ${args.join(' ')}: ${what}\n${result.stderr.trim()}`.trim());
    err.result = result;
    throw err;
  }
  return result;
}
