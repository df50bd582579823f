// `meson install --destdir` lays alto's files out where PipeWire and systemd look for them, and
// what it installs works: the user unit passes `systemd-analyze verify`, the man page renders
// without warnings, the installed `alto` runs, and the installed standalone conf, module and SPA
// plugin — nothing from the build dir — join a dev-server room.
//
// Where "where PipeWire looks" is: the directories PipeWire's and systemd's own pkg-config files
// name (moduledir, plugindir, systemduserunitdir), moved to this build's prefix. With
// --prefix=/usr those are exactly the system's directories.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, onExitSync } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { BUILD, SYSTEM_SPA_DIR, startPipewire } from '../lib/pipewire.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { moduleDropIn, secretFile, waitParticipantNodes, SYSTEM_MODULE_DIR } from './module-helpers.mjs';
import { tonePeers } from './receive-helpers.mjs';

/** The build's install options: prefix, bindir, libdir, datadir, mandir. */
async function buildOptions() {
  const r = await run('meson', ['introspect', '--buildoptions', BUILD], { timeout: 60_000 });
  const o = Object.fromEntries(JSON.parse(r.stdout).map((x) => [x.name, x.value]));
  return { prefix: o.prefix, bindir: o.bindir, libdir: o.libdir, datadir: o.datadir, mandir: o.mandir };
}

/** A directory a pkg-config file names, for this build's prefix instead of its own. */
async function pkgDir(pkg, variable, prefix) {
  const r = await run('pkg-config', [`--define-variable=prefix=${prefix}`, `--variable=${variable}`, pkg]);
  const dir = r.stdout.trim();
  assert.ok(dir.startsWith(prefix + '/'), `${pkg} ${variable} = ${dir}: not under the prefix ${prefix}`);
  return dir;
}

describe('meson install', () => {
  let dest, opts, root, unitPath;
  const inDest = (abs) => join(dest, abs);

  before(async () => {
    dest = mkdtempSync(join(tmpdir(), 'alto-install-'));
    onExitSync(() => rmSync(dest, { recursive: true, force: true }));
    opts = await buildOptions();
    root = inDest(opts.prefix);
    // --no-rebuild: ./run test has just built; installing must not compile anything itself
    await run('meson', ['install', '-C', BUILD, '--destdir', dest, '--no-rebuild', '--quiet'], { timeout: 120_000 });
    unitPath = inDest(join(await pkgDir('systemd', 'systemduserunitdir', opts.prefix), 'alto-livekit.service'));
  });
  after(() => teardown({ dirs: [dest] }));

  test('puts every file where PipeWire, systemd and man look for it', { timeout: 60_000 }, async () => {
    const spaDir = await pkgDir('libspa-0.2', 'plugindir', opts.prefix);
    const moduleDir = await pkgDir('libpipewire-0.3', 'moduledir', opts.prefix);
    const expected = {
      'the alto command': join(root, opts.bindir, 'alto'),
      'the PipeWire module': inDest(join(moduleDir, 'libpipewire-module-alto.so')),
      'the SPA plugin (alto.mixer)': inDest(join(spaDir, 'alto', 'libspa-alto.so')),
      'the standalone conf (pipewire -c alto-livekit.conf)': join(root, opts.datadir, 'pipewire', 'alto-livekit.conf'),
      'the systemd user unit': unitPath,
      'the man page': join(root, opts.mandir, 'man1', 'alto.1'),
      'the room drop-in example': join(root, opts.datadir, 'doc', 'alto', 'examples', 'alto-room.conf'),
    };
    const missing = Object.entries(expected).filter(([, p]) => !existsSync(p)).map(([what, p]) => `${what}: ${p}`);
    assert.deepEqual(missing, [], `not installed:\n${missing.join('\n')}`);
    // the example must not be active anywhere PipeWire reads drop-ins from
    assert.ok(!existsSync(join(root, opts.datadir, 'pipewire', 'pipewire.conf.d')),
      'nothing may be installed into pipewire.conf.d: every daemon would join the example room');
  });

  test('the user unit passes systemd-analyze verify and starts the standalone conf after PipeWire',
    { timeout: 60_000 }, async () => {
      const unit = readFileSync(unitPath, 'utf8');
      assert.match(unit, /^After=.*\bpipewire\.service\b/m);
      assert.match(unit, /^BindsTo=pipewire\.service$/m);
      assert.match(unit, /^Restart=on-failure$/m);
      assert.match(unit, /^ExecStart=\/\S*\/pipewire -c alto-livekit\.conf$/m);
      assert.match(unit, /^WantedBy=pipewire\.service$/m);
      assert.doesNotMatch(unit, /@[A-Z_]+@/, 'a placeholder was left unsubstituted');

      // systemd-analyze needs a runtime dir for --user (no user manager runs here); it also runs
      // `man alto(1)` for Documentation=, which must find the page just installed
      const xdg = mkdtempSync(join(tmpdir(), 'alto-sa-'));
      try {
        const r = await run('systemd-analyze', ['verify', '--user', unitPath], {
          check: false, timeout: 30_000,
          env: { ...process.env, XDG_RUNTIME_DIR: xdg, SYSTEMD_LOG_COLOR: '0', MANPATH: `${join(root, opts.mandir)}:` },
        });
        assert.equal(r.code, 0, `systemd-analyze verify failed:\n${r.stdout}${r.stderr}`);
        // unknown keys or bad values are only warnings there: none may be printed
        assert.equal(r.stderr.trim(), '', `systemd-analyze verify warned:\n${r.stderr}`);
      } finally {
        rmSync(xdg, { recursive: true, force: true });
      }
    });

  test('the man page renders without warnings and documents the command, the module and the files',
    { timeout: 60_000 }, async () => {
      const page = join(root, opts.mandir, 'man1', 'alto.1');
      const r = await run('man', ['--warnings', '-l', page], {
        check: false, timeout: 30_000, env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', `groff warnings:\n${r.stderr}`);
      const text = r.stdout.replace(/.\x08/g, ''); // no bold/underline overstrikes
      for (const s of ['NAME', 'SYNOPSIS', 'THE PIPEWIRE MODULE', 'FILES', 'EXIT STATUS', 'EXAMPLES',
        'alto join', 'libpipewire-module-alto', 'api.secret.file', 'participant.props', 'stream.props',
        'alto-livekit.service', 'alto-livekit.conf.d']) {
        assert.ok(text.includes(s), `the man page does not mention ${s}`);
      }
    });

  test('the secret file of the example drop-in is named, not written in', { timeout: 10_000 }, async () => {
    const example = readFileSync(join(root, opts.datadir, 'doc', 'alto', 'examples', 'alto-room.conf'), 'utf8');
    assert.match(example, /^\s*api\.secret\.file\s*=/m);
    assert.doesNotMatch(example, /^\s*api\.secret\s*=/m);
    assert.match(example, /flags = \[ nofail \]/, 'a mistake in a drop-in must not stop the daemon');
    assert.equal(statSync(unitPath).mode & 0o777, 0o644);
  });

  test('the installed alto runs', { timeout: 30_000 }, async () => {
    const bin = join(root, opts.bindir, 'alto');
    const r = await run(bin, ['--help']);
    assert.match(r.stdout, /^alto \[options\] COMMAND/);
    assert.match((await run(bin, ['--version'])).stdout, /Linked with libpipewire 0\.3\.\d+/);
  });

  test('the installed conf, module and plugin join a room (pipewire -c alto-livekit.conf, nothing from the build)',
    { timeout: 120_000 }, async () => {
      const installedSpa = inDest(await pkgDir('libspa-0.2', 'plugindir', opts.prefix));
      const installedModules = inDest(await pkgDir('libpipewire-0.3', 'moduledir', opts.prefix));
      const conf = join(root, opts.datadir, 'pipewire', 'alto-livekit.conf');
      const server = await startDevServer();
      const pw = await startPipewire({ name: 'install' });
      try {
        const [peer] = await tonePeers(startPeer, server, 'installed', [{ identity: 'alice', name: 'Alice', freq: 440 }]);
        // the room drop-in, where PipeWire reads drop-ins for this conf: <conf>.d/
        mkdirSync(`${conf}.d`, { recursive: true });
        writeFileSync(join(`${conf}.d`, 'room.conf'), moduleDropIn({
          url: server.url, room: 'installed', identity: 'listener', 'api.key': 'devkey', 'api.secret.file': secretFile(dest),
        }));
        pw.spawn('pipewire', ['-c', conf], {
          env: { PIPEWIRE_MODULE_DIR: `${installedModules}:${SYSTEM_MODULE_DIR}`, SPA_PLUGIN_DIR: `${installedSpa}:${SYSTEM_SPA_DIR}` },
          logTo: join(dest, 'standalone.log'),
        });
        let nodes;
        try {
          nodes = await waitParticipantNodes(pw, 'installed', ['alice']);
        } catch (e) {
          e.message += `\n--- pipewire -c ${conf} ---\n${readFileSync(join(dest, 'standalone.log'), 'utf8').slice(-3000)}`;
          throw e;
        }
        assert.equal(nodes.alice.name, 'alto.installed.alice');
        await peer.stop();
      } finally {
        await pw.stop();
        await server.stop();
      }
    });
});
