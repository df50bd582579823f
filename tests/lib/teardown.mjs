// The after() hook of an integration test: stop everything the test started, in the one order
// that leaves nothing behind, then remove its temporary folders.
//
//   const stops = [];            // the test pushes () => peer.stop(), () => alto.stop('SIGKILL'), ...
//   let server, pw, dir;         // set in before()
//   after(() => teardown({ stops, server, pw, dirs: [dir] }));
//
// The arguments are read when the hook runs, so variables assigned in before() or in a test are
// seen. Order, and why:
//   1. stops, newest first (a peer or alto started last may depend on what was started before;
//      each one's failure is ignored: a process that already exited is not a teardown error);
//   2. server.stop() (the dev server; the participants have left or been killed by then);
//   3. pw.stop() (the private PipeWire daemon, after everything that talked to it);
//   4. killAll() (any process group of tests/lib/procs.mjs still running);
//   5. the temporary folders (undefined entries skipped).
// A failing server or PipeWire stop fails the hook, as before this helper existed.
//
// Runs on the Node.js main thread.
import { rmSync } from 'node:fs';
import { killAll } from './procs.mjs';

export async function teardown({ stops = [], server, pw, dirs = [] } = {}) {
  for (const stop of [...stops].reverse()) {
    try {
      await stop();
    } catch {
      // already gone, or failing on its way out: the steps below still run
    }
  }
  await server?.stop();
  await pw?.stop();
  await killAll();
  for (const dir of dirs) if (dir) rmSync(dir, { recursive: true, force: true });
}
