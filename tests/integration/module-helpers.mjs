// Helpers for the tests of libpipewire-module-alto (tests/integration/module-*.test.mjs,
// desktop-*.test.mjs): a private daemon that finds the module in the build dir and loads conf
// drop-ins, and a standalone `pipewire -c` process (the alto-livekit.conf way).
//
// Runs on the Node.js main thread; every process goes through the harness (killed by stop() and
// the exit hooks).

import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipeWire, BUILD, TOP, SYSTEM_SPA_DIR, spaJson } from '../lib/pipewire.mjs';
import { waitFor } from '../lib/procs.mjs';

export const SYSTEM_MODULE_DIR = '/usr/lib/x86_64-linux-gnu/pipewire-0.3';
/** Where the build puts libpipewire-module-alto.so. */
export const MODULE_BUILD_DIR = join(BUILD, 'node', 'module');
export const MODULE_NAME = 'libpipewire-module-alto';

/** PIPEWIRE_MODULE_DIR: ours first, then the system's (the variable replaces the default). */
export function moduleDir() {
  return `${MODULE_BUILD_DIR}:${SYSTEM_MODULE_DIR}`;
}

/** A conf drop-in text loading the module with these args (an object → SPA-JSON, or raw text). */
export function moduleDropIn(args, { flags = ['nofail'] } = {}) {
  const a = typeof args === 'string' ? args : spaJson(args);
  const f = flags && flags.length ? ` flags = [ ${flags.join(' ')} ]` : '';
  return `context.modules = [\n  { name = ${MODULE_NAME} args = ${a}${f} }\n]\n`;
}

/**
 * A private daemon (tests/lib/pipewire-headless.conf) that finds the module in the build dir and
 * reads the given drop-ins from <its conf>.d/ — a pipewire.conf.d as a user has it.
 * dropIns: { 'file.conf': text }. Options as startPipewire (pulse, name, timeout, extraConf).
 */
export async function startPipewireWithDropIns({ dropIns = {}, name = 'module', pulse = false, timeout = 30000,
  extraConf = {}, env = {}, daemonEnv = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `alto-${name}-`));
  const pw = new PipeWire(dir, name);
  // env: for the daemon and every client; daemonEnv: the daemon only (sanitizer preloads)
  Object.assign(pw.env, { PIPEWIRE_MODULE_DIR: moduleDir() }, env, daemonEnv);
  const dropDir = `${pw.confPath}.d`;
  mkdirSync(dropDir, { mode: 0o700 });
  for (const [file, text] of Object.entries(dropIns)) writeFileSync(join(dropDir, file), text);
  try {
    await pw._start({ extraConf, pulse, timeout });
  } catch (e) {
    const log = pw.log();
    await pw.stop();
    e.message += log ? `\n--- pipewire log ---\n${log.slice(-4000)}` : '';
    throw e;
  } finally {
    for (const k of Object.keys(daemonEnv)) {
      if (k in env) pw.env[k] = env[k];
      else delete pw.env[k];
    }
  }
  pw.dropDir = dropDir;
  return pw;
}

/** Lines of the daemon log from the module (its log topic is mod.alto). */
export function moduleLog(pw) {
  return pw.log().split('\n').filter((l) => l.includes('mod.alto'));
}

/** A private file holding the dev server's secret, mode 0600 (or `mode`). */
export function secretFile(dir, { secret = 'secret', mode = 0o600, name = 'livekit.secret' } = {}) {
  const p = join(dir, name);
  writeFileSync(p, `${secret}\n`, { mode });
  return p;
}

/** Wait until the participant streams of a room exist: { identity: node } (pw.nodes() entries). */
export async function waitParticipantNodes(pw, room, identities, { timeout = 60_000 } = {}) {
  return waitFor(async () => {
    const nodes = (await pw.nodes()).filter((n) => n.props['livekit.room'] === room && n.mediaClass === 'Stream/Output/Audio');
    const byId = Object.fromEntries(nodes.map((n) => [n.props['livekit.participant.identity'], n]));
    return identities.every((i) => byId[i]) ? byId : null;
  }, { timeout, interval: 200, message: `participant streams of ${identities.join(', ')} in room ${room}` });
}

/** The conf shipped in conf/ (source tree). */
export function shippedConf(file) {
  return readFileSync(join(TOP, 'conf', file), 'utf8');
}

/**
 * The environment for a daemon that loads the ASan+UBSan build of the module and the mixer
 * plugin (build-asan/, built here if needed): the sanitizer runtimes preloaded into pipewire.
 */
export function asanModuleEnv() { // (pass as daemonEnv: pw-link and co. must not get the preload)
  const dir = join(TOP, 'build-asan');
  if (!existsSync(join(dir, 'build.ninja'))) {
    execFileSync('meson', ['setup', dir, '-Db_sanitize=address,undefined', '-Db_lundef=false', '-Dbuildtype=debug'],
      { cwd: TOP, stdio: 'ignore' });
  }
  execFileSync('ninja', ['-C', dir, 'node/module/libpipewire-module-alto.so', 'spa-plugin/alto/libspa-alto.so'], { stdio: 'ignore' });
  const lib = (name) => execFileSync('gcc', [`-print-file-name=${name}`]).toString().trim();
  return {
    PIPEWIRE_MODULE_DIR: `${join(dir, 'node', 'module')}:${SYSTEM_MODULE_DIR}`,
    SPA_PLUGIN_DIR: `${join(dir, 'spa-plugin')}:${SYSTEM_SPA_DIR}`,
    LD_PRELOAD: `${lib('libasan.so')} ${lib('libubsan.so')}`,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=99',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=98',
  };
}

/** True when a log holds a sanitizer report. */
export function sanitizerReport(text) {
  return /ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)/.test(text);
}
