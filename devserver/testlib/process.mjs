/**
 * Child processes for tests: started in their own process group, their stdout read as lines,
 * killed (the whole group) by stop(). Every process started here is also killed when the
 * test process exits, so a failing test never leaves one behind.
 */
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const live = new Set();
function killAll() {
  for (const c of live) {
    try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
process.once('exit', killAll);

/**
 * spawnLines(cmd, args, {env, cwd, stderr: 'inherit'|'pipe'|'ignore', onLine})
 * → {child, lines: string[], waitFor(pred, ms), stop(signal='SIGTERM', ms=5000), exited}
 */
export function spawnLines(cmd, args, opts = {}) {
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: true,
    stdio: ['pipe', 'pipe', opts.stderr ?? 'pipe'],
  });
  live.add(child);
  const lines = [];
  const waiters = new Set();
  let stderrText = '';
  if (child.stderr) {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      stderrText = (stderrText + d).slice(-64 * 1024);
      if (process.env.ALTO_TEST_VERBOSE) process.stderr.write(d);
    });
  }
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
      for (const w of waiters) w.fail(new Error(`${cmd} exited (${code ?? signal}) before the expected line; stderr:\n${stderrText.slice(-4000)}`));
    });
  });
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    opts.onLine?.(line);
    for (const w of waiters) w.check(line);
  });
  child.stdin.on('error', () => {});
  const handle = {
    child,
    lines,
    exited,
    get stderr() { return stderrText; },
    /** Resolve with the first line (past or future) for which pred(line) is truthy. */
    waitFor(pred, ms = 30_000, what = 'line') {
      const test = typeof pred === 'function' ? pred : (l) => l.includes(pred);
      const seen = lines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          check: (l) => { if (test(l)) { done(); resolve(l); } },
          fail: (e) => { done(); reject(e); },
        };
        const t = setTimeout(() => w.fail(new Error(`timed out after ${ms} ms waiting for ${what} from ${cmd}; stderr:\n${stderrText.slice(-4000)}`)), ms);
        const done = () => { clearTimeout(t); waiters.delete(w); };
        waiters.add(w);
        if (child.exitCode !== null || child.signalCode !== null) w.fail(new Error(`${cmd} already exited`));
      });
    },
    /** Send a signal to the group, wait for exit, SIGKILL the group after ms. */
    async stop(signal = 'SIGTERM', ms = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      try { process.kill(-child.pid, signal); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, ms);
      const r = await exited;
      clearTimeout(t);
      // anything the child left in its group goes too
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      return r;
    },
  };
  return handle;
}
