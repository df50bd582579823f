// Helpers for the tests of libpipewire-module-alto (tests/integration/module-*.test.mjs,
// desktop-*.test.mjs): a private daemon that finds the module in the build dir and loads conf
// drop-ins, and a standalone `pipewire -c` process (the alto-livekit.conf way).
//
// Runs on the Node.js main thread; every process goes through the harness (killed by stop() and
// the exit hooks).

import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipeWire, BUILD, TOP, spaJson } from '../lib/pipewire.mjs';
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
  extraConf = {}, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `alto-${name}-`));
  const pw = new PipeWire(dir, name);
  Object.assign(pw.env, { PIPEWIRE_MODULE_DIR: moduleDir() }, env);
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
