// A private, headless PipeWire daemon per test (or per demo), and the graph operations tests need:
// list nodes/ports/links, link and unlink, create nodes, play tones or files into ports, record
// ports into WAV files. No session manager: tests link explicitly (see
// /work/shared/notes/pipewire-headless.md for why).
//
//   const pw = await startPipewire();              // { pulse: true } adds pipewire-pulse
//   const tone = await pw.play({ freq: 440 }, { nodeName: 'tone-a', to: 'ci-sink' });
//   const wav = await pw.record(3, { from: ['ci-sink:monitor_FL'] });
//   ...
//   await pw.stop();                                 // always, in an `after` hook
//
// Each daemon lives in its own XDG_RUNTIME_DIR (mkdtemp, mode 700) with DBUS_SESSION_BUS_ADDRESS
// unset; every process it or a helper starts is in a process group registered with procs.mjs, so
// nothing outlives the test process even when stop() is never reached. Every external command
// runs with a timeout. All functions run on the Node.js main thread.

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnGroup, killGroup, run, waitFor, onExitSync } from './procs.mjs';
import { sine, writeWav } from './audio.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const TOP = process.env.ALTO_TOP || resolve(HERE, '..', '..');
export const BUILD = process.env.ALTO_BUILD || join(TOP, 'build');
export const SYSTEM_SPA_DIR = '/usr/lib/x86_64-linux-gnu/spa-0.2';
const CONF_TEMPLATE = join(HERE, 'pipewire-headless.conf');

/** SPA_PLUGIN_DIR as ./run sets it, or derived from the build dir (ours first, then the system's). */
export function spaPluginDir() {
  if (process.env.SPA_PLUGIN_DIR) return process.env.SPA_PLUGIN_DIR;
  return `${join(BUILD, 'spa-plugin')}:${SYSTEM_SPA_DIR}`;
}

/**
 * A number that must reach PipeWire as a float even when it is whole: spa_json_to_pod (pw-cli
 * set-param) makes `1` an Int and `1.0` a Float, and a Props volume must be a Float.
 */
export class SpaFloat {
  constructor(value) { this.value = Number(value); }
  toString() { return Number.isInteger(this.value) ? this.value.toFixed(1) : String(this.value); }
}
export const spaFloat = (x) => new SpaFloat(x);

/**
 * Format a JS value as SPA-JSON, the syntax of PipeWire conf files, pw-cli and `-P` properties.
 * Objects → `{ key = value ... }`, arrays → `[ a b ]`, strings quoted, numbers/booleans bare
 * (spaFloat(1) → `1.0`).
 */
export function spaJson(v) {
  if (v === null || v === undefined) return 'null';
  if (v instanceof SpaFloat) return v.toString();
  if (Array.isArray(v)) return `[ ${v.map(spaJson).join(' ')} ]`;
  if (typeof v === 'object') {
    const key = (k) => (/^[A-Za-z0-9_.:-]+$/.test(k) ? k : JSON.stringify(k));
    return `{ ${Object.entries(v).map(([k, x]) => `${key(k)} = ${spaJson(x)}`).join(' ')} }`;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(String(v));
}

/** Stream properties for a node that must get ports without a session manager. */
const DSP_PORTS = { mode: 'dsp', position: 'preserve' };

const asList = (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);

/**
 * Start a private daemon. Options:
 *   extraConf: { properties, spaLibs, modules, objects, raw } — SPA-JSON text inserted into the
 *              matching section of tests/lib/pipewire-headless.conf (`raw` is appended at the end).
 *   pulse:     also start pipewire-pulse (pactl/pavucontrol); ready when `pactl info` answers.
 *   timeout:   ms to wait for readiness (default 30000).
 *   name:      a label for messages and the runtime dir name.
 * Returns a PipeWire object (see the class below).
 */
export async function startPipewire({ extraConf = {}, pulse = false, timeout = 30000, name = 'pw' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `alto-${name}-`)); // mode 0700
  const pw = new PipeWire(dir, name);
  try {
    await pw._start({ extraConf, pulse, timeout });
  } catch (e) {
    const log = pw.log();
    await pw.stop();
    e.message += log ? `\n--- pipewire log ---\n${log.slice(-4000)}` : '';
    throw e;
  }
  return pw;
}

export class PipeWire {
  constructor(dir, name) {
    this.dir = dir;
    this.name = name;
    this.confPath = join(dir, 'pipewire.conf');
    this.logPath = join(dir, 'pipewire.log');
    this.daemon = null;
    this.pulse = null;
    this.children = new Set(); // every process started for this daemon (ChildProcess)
    this.allPids = [];         // every pid ever started for this daemon, for leak checks
    this.stopped = false;
    this._seq = 0;
    const env = { ...process.env };
    for (const k of ['DBUS_SESSION_BUS_ADDRESS', 'PIPEWIRE_REMOTE', 'PIPEWIRE_RUNTIME_DIR', 'PULSE_SERVER',
      'PULSE_RUNTIME_PATH', 'PIPEWIRE_CONFIG_DIR', 'PIPEWIRE_DEBUG', 'PIPEWIRE_LOG', 'JACK_DEFAULT_SERVER']) delete env[k];
    mkdirSync(join(dir, 'config'), { mode: 0o700 });
    Object.assign(env, {
      XDG_RUNTIME_DIR: dir,
      XDG_CONFIG_HOME: join(dir, 'config'), // no user conf.d fragments leak in
      SPA_PLUGIN_DIR: spaPluginDir(),
      PIPEWIRE_LOG_SYSTEMD: 'false',
      PULSE_SERVER: `unix:${join(dir, 'pulse', 'native')}`,
    });
    /** The environment for any program that should talk to this daemon (alto, pw-*, pactl). */
    this.env = env;
    onExitSync(() => rmSync(dir, { recursive: true, force: true }));
  }

  async _start({ extraConf, pulse, timeout }) {
    let conf = readFileSync(CONF_TEMPLATE, 'utf8');
    const fill = (marker, text) => { conf = conf.replace(`#@${marker}@`, asList(text).join('\n    ')); };
    fill('EXTRA_PROPERTIES', extraConf.properties);
    fill('EXTRA_SPA_LIBS', extraConf.spaLibs);
    fill('EXTRA_MODULES', extraConf.modules);
    fill('EXTRA_OBJECTS', extraConf.objects);
    if (extraConf.raw) conf += `\n${extraConf.raw}\n`;
    writeFileSync(this.confPath, conf);

    this.daemon = this.spawn('pipewire', ['-c', this.confPath], { name: `pipewire(${this.name})`, logTo: this.logPath });
    let exited = null;
    this.daemon.exited.then((r) => { exited = r; });
    await waitFor(async () => {
      if (exited) throw new Error(`pipewire exited early (${exited.code ?? exited.signal})`);
      const r = await run('pw-cli', ['info', '0'], { env: this.env, timeout: 5000, check: false });
      return r.code === 0 && /id: 0/.test(r.stdout);
    }, { timeout, interval: 30, message: `pipewire (${this.name}) to answer pw-cli info 0` });

    if (pulse) {
      this.pulse = this.spawn('pipewire-pulse', [], { name: `pipewire-pulse(${this.name})`, logTo: join(this.dir, 'pipewire-pulse.log') });
      await waitFor(async () => {
        const r = await run('pactl', ['info'], { env: this.env, timeout: 5000, check: false });
        return r.code === 0;
      }, { timeout, interval: 50, message: `pipewire-pulse (${this.name}) to answer pactl info` });
    }
  }

  /** The daemon's log so far (stdout and stderr of pipewire). */
  log() {
    try { return readFileSync(this.logPath, 'utf8'); } catch { return ''; }
  }

  /**
   * Start a program against this daemon (its env), in its own process group, remembered so
   * stop() and the process-exit hooks kill it. opts.logTo: a file for stdout+stderr instead of
   * capturing them. Returns the ChildProcess (see procs.mjs spawnGroup).
   */
  spawn(cmd, args = [], { logTo, env, ...opts } = {}) {
    const spawnOpts = { env: { ...this.env, ...env }, ...opts };
    if (logTo) {
      const fd = openAppend(logTo);
      spawnOpts.stdio = ['ignore', fd, fd];
    }
    const child = spawnGroup(cmd, args, spawnOpts);
    if (logTo) closeFd(spawnOpts.stdio[1]);
    this.children.add(child);
    if (child.pid) this.allPids.push(child.pid);
    child.exited.then(() => this.children.delete(child));
    return child;
  }

  /** Run a command against this daemon to completion (procs.run with this env). */
  run(cmd, args = [], opts = {}) {
    return run(cmd, args, { timeout: 15000, ...opts, env: { ...this.env, ...opts.env } });
  }

  // ---- the graph -------------------------------------------------------------------------

  /** pw-dump as parsed JSON (an array of objects). */
  async dump() {
    const r = await this.run('pw-dump', ['--no-colors'], { timeout: 20000 });
    return JSON.parse(r.stdout);
  }

  /** Nodes: { id, name, description, mediaClass, state, nInputPorts, nOutputPorts, props }. */
  async nodes(dump) {
    dump ??= await this.dump();
    return dump.filter((o) => o.type === 'PipeWire:Interface:Node').map((o) => ({
      id: o.id,
      name: o.info?.props?.['node.name'],
      description: o.info?.props?.['node.description'],
      mediaClass: o.info?.props?.['media.class'],
      state: o.info?.state,
      nInputPorts: o.info?.['n-input-ports'],
      nOutputPorts: o.info?.['n-output-ports'],
      props: o.info?.props ?? {},
      params: o.info?.params ?? {},
    }));
  }

  /** One node by node.name (or id), or undefined. */
  async node(nameOrId, dump) {
    return (await this.nodes(dump)).find((n) => n.name === nameOrId || n.id === nameOrId);
  }

  /**
   * Ports, optionally of one node (by node.name or id), ordered by node then port index:
   * { id, name: 'node:port', portName, node, nodeId, direction: 'in'|'out', channel, physical,
   *   monitor, props }. `name` is what pw-link takes.
   */
  async ports(nodeName, dump) {
    dump ??= await this.dump();
    const nodesById = new Map((await this.nodes(dump)).map((n) => [n.id, n]));
    let ports = dump.filter((o) => o.type === 'PipeWire:Interface:Port').map((o) => {
      const p = o.info?.props ?? {};
      const node = nodesById.get(p['node.id']);
      return {
        id: o.id,
        name: `${node?.name ?? p['node.id']}:${p['port.name']}`,
        portName: p['port.name'],
        node: node?.name,
        nodeId: p['node.id'],
        index: p['port.id'],
        direction: o.info?.direction === 'input' ? 'in' : 'out',
        channel: p['audio.channel'],
        monitor: p['port.monitor'] === true || p['port.monitor'] === 'true',
        props: p,
        params: o.info?.params ?? {},
      };
    });
    if (nodeName !== undefined) ports = ports.filter((p) => p.node === nodeName || p.nodeId === nodeName);
    return ports.sort((a, b) => (a.nodeId - b.nodeId) || (a.direction < b.direction ? -1 : a.direction > b.direction ? 1 : 0) || (a.index - b.index));
  }

  /** Links: { id, output: 'node:port', input: 'node:port', outputNode, inputNode, state, props }. */
  async links(dump) {
    dump ??= await this.dump();
    const ports = new Map((await this.ports(undefined, dump)).map((p) => [p.id, p]));
    const nodes = new Map((await this.nodes(dump)).map((n) => [n.id, n]));
    return dump.filter((o) => o.type === 'PipeWire:Interface:Link').map((o) => ({
      id: o.id,
      output: ports.get(o.info?.['output-port-id'])?.name ?? `#${o.info?.['output-port-id']}`,
      input: ports.get(o.info?.['input-port-id'])?.name ?? `#${o.info?.['input-port-id']}`,
      outputNode: nodes.get(o.info?.['output-node-id'])?.name,
      inputNode: nodes.get(o.info?.['input-node-id'])?.name,
      state: o.info?.state,
      props: o.info?.props ?? {},
    }));
  }

  /** { nodes, ports, links } from one dump. */
  async graph() {
    const dump = await this.dump();
    return { nodes: await this.nodes(dump), ports: await this.ports(undefined, dump), links: await this.links(dump) };
  }

  /** A compact, readable picture of the graph (for the demo and failure messages). */
  async describeGraph({ skip = ['Dummy-Driver', 'Freewheel-Driver', 'Midi-Bridge'] } = {}) {
    const { nodes, ports, links } = await this.graph();
    const lines = [];
    for (const n of nodes) {
      if (skip.includes(n.name)) continue;
      const cls = n.mediaClass ? ` (${n.mediaClass})` : '';
      const desc = n.description && n.description !== n.name ? ` "${n.description}"` : '';
      lines.push(`node ${n.id} ${n.name}${desc}${cls} ${n.state ?? ''}`.trimEnd());
      for (const p of ports.filter((q) => q.nodeId === n.id)) {
        const peers = links.filter((l) => (p.direction === 'out' ? l.output : l.input) === p.name)
          .map((l) => `${p.direction === 'out' ? '→' : '←'} ${p.direction === 'out' ? l.input : l.output}${l.state && l.state !== 'active' ? ` [${l.state}]` : ''}`);
        lines.push(`    ${p.direction === 'out' ? 'out' : 'in '} ${p.portName}${peers.length ? '  ' + peers.join(', ') : ''}`);
      }
    }
    return lines.join('\n');
  }

  /** Wait until a port 'node:port' exists; returns it. */
  async waitPort(name, { timeout = 15000 } = {}) {
    return waitFor(async () => (await this.ports()).find((p) => p.name === name), { timeout, interval: 50, message: `port ${name}` });
  }

  /** Wait until a node (node.name) exists, optionally with at least `inputs`/`outputs` ports; returns it. */
  async waitNode(name, { timeout = 15000, inputs = 0, outputs = 0 } = {}) {
    return waitFor(async () => {
      const dump = await this.dump();
      const n = await this.node(name, dump);
      if (!n) return null;
      const ports = await this.ports(n.id, dump);
      if (ports.filter((p) => p.direction === 'in').length < inputs) return null;
      if (ports.filter((p) => p.direction === 'out').length < outputs) return null;
      return { ...n, ports };
    }, { timeout, interval: 50, message: `node ${name}${inputs || outputs ? ` with ${inputs} in / ${outputs} out ports` : ''}` });
  }

  /** Wait until a node is gone. */
  async waitNodeGone(name, { timeout = 15000 } = {}) {
    await waitFor(async () => !(await this.node(name)), { timeout, message: `node ${name} to go away` });
  }

  /** Link two ports ('node:port' names or port ids). The link lingers after pw-link exits. Returns the link. */
  async link(outPort, inPort, { timeout = 15000 } = {}) {
    await this.run('pw-link', [String(outPort), String(inPort)], { timeout });
    const matches = (l, want, name) => name === String(want) || l.id === want;
    return waitFor(async () => {
      const dump = await this.dump();
      const ports = await this.ports(undefined, dump);
      const byId = (id) => ports.find((p) => p.id === id)?.name;
      const outName = typeof outPort === 'number' ? byId(outPort) : outPort;
      const inName = typeof inPort === 'number' ? byId(inPort) : inPort;
      return (await this.links(dump)).find((l) => matches(l, outName, l.output) && matches(l, inName, l.input));
    }, { timeout, message: `link ${outPort} → ${inPort}` });
  }

  /** Remove the link between two ports (names) or the link with this id. */
  async unlink(outPortOrLinkId, inPort) {
    const args = inPort === undefined ? ['-d', String(outPortOrLinkId)] : ['-d', String(outPortOrLinkId), String(inPort)];
    await this.run('pw-link', args);
  }

  /**
   * Link every output port of a node to the matching inputs: `to` is a node name (channels
   * matched in order; one output feeds all inputs) or an explicit list of input port names.
   */
  async linkNode(outNode, to) {
    const outs = (await this.ports(outNode)).filter((p) => p.direction === 'out' && !p.monitor);
    const ins = Array.isArray(to) ? to : (await this.ports(to)).filter((p) => p.direction === 'in').map((p) => p.name);
    if (!outs.length) throw new Error(`linkNode: ${outNode} has no output ports`);
    if (!ins.length) throw new Error(`linkNode: ${to} has no input ports`);
    const made = [];
    if (outs.length === 1) for (const i of ins) made.push(await this.link(outs[0].name, i));
    else for (let k = 0; k < Math.min(outs.length, ins.length); k++) made.push(await this.link(outs[k].name, ins[k]));
    return made;
  }

  /**
   * Create a node with pw-cli: `factory` (default spa-node-factory) and properties (an object,
   * e.g. { 'factory.name': 'alto.mixer', 'node.name': 'mix' }). object.linger=true is added so the
   * node outlives the pw-cli client. Waits for node.name to appear; returns the node.
   */
  async createNode(props, { factory = 'spa-node-factory', timeout = 15000, inputs = 0, outputs = 0 } = {}) {
    const name = props['node.name'];
    if (!name) throw new Error('createNode: node.name is required');
    const all = { 'object.linger': true, ...props };
    const r = await this.run('pw-cli', ['create-node', factory, spaJson(all)], { timeout, check: false });
    try {
      return await this.waitNode(name, { timeout, inputs, outputs });
    } catch (e) {
      e.message += `\npw-cli create-node ${factory}: exit ${r.code}\n${(r.stdout + r.stderr).trim()}\n--- pipewire log ---\n${this.log().slice(-3000)}`;
      throw e;
    }
  }

  /**
   * Create a link with pw-cli create-link (link-factory), which, unlike pw-link, can leave the
   * port to the node: port -1 means "any free port", which a node with dynamic ports creates.
   * Arguments are node/port ids. Returns the new link.
   */
  async createLink(outNodeId, outPortId, inNodeId, inPortId, props = {}, { timeout = 15000 } = {}) {
    const before = new Set((await this.links()).map((l) => l.id));
    await this.run('pw-cli', ['--', 'create-link', String(outNodeId), String(outPortId), String(inNodeId), String(inPortId),
      spaJson({ 'object.linger': true, ...props })], { timeout });
    return waitFor(async () => (await this.links()).find((l) => !before.has(l.id)), { timeout, message: 'the new link' });
  }

  /** Destroy an object (node, link, ...) by id. */
  async destroy(id) {
    await this.run('pw-cli', ['destroy', String(id)]);
  }

  /** pw-cli set-param <id> <param> <json>; `value` may be an object (formatted as SPA-JSON). */
  async setParam(id, param, value) {
    const json = typeof value === 'string' ? value : spaJson(value);
    const r = await this.run('pw-cli', ['set-param', String(id), param, json]);
    return r.stdout;
  }

  /** pw-cli enum-params <id> <param>, raw text. Works on nodes and ports. */
  async enumParams(id, param) {
    return (await this.run('pw-cli', ['enum-params', String(id), param])).stdout;
  }

  /**
   * The Props of a node or port, parsed: { volume, mute, channelVolumes, ..., params: { key: value } }
   * where `params` is the SPA_PROP_params struct of key/value pairs (alto.mixer's metrics).
   */
  async props(id) {
    return parseProps(await this.enumParams(id, 'Props'));
  }

  // ---- audio in and out ------------------------------------------------------------------

  /** A fresh file name in this daemon's private dir. */
  tempFile(stem, ext = 'wav') {
    return join(this.dir, `${stem}-${++this._seq}.${ext}`);
  }

  /**
   * Write a tone WAV: { freq, seconds = 30, amplitude = 0.25, channels = 1 } → path.
   * (Written in JS, 32-bit float, so the level is exact.)
   */
  toneFile({ freq, seconds = 30, amplitude = 0.25, channels = 1, sampleRate = 48000 }) {
    const s = sine({ freq, seconds, amplitude, sampleRate });
    return writeWav(this.tempFile(`tone-${freq}`), Array.from({ length: channels }, () => s), { sampleRate, format: 'f32' });
  }

  /**
   * Play a WAV file or a tone spec ({ freq, seconds, amplitude, channels }) with pw-play as node
   * `nodeName`, and link it explicitly: `to` is a node name (its inputs, in order; a mono source
   * feeds them all) or a list of input port names, or omitted (link later; the stream waits
   * paused until linked). Returns { nodeName, child, ports, file, stop(), done }.
   */
  async play(source, { nodeName = `play-${++this._seq}`, to, timeout = 15000, props = {} } = {}) {
    const file = typeof source === 'string' ? source : this.toneFile(source);
    const streamProps = { 'node.name': nodeName, 'adapter.auto-port-config': DSP_PORTS, ...props };
    const child = this.spawn('pw-play', ['-P', spaJson(streamProps), file], { name: `pw-play(${nodeName})` });
    const node = await this._waitOwnNode(child, nodeName, { outputs: 1, timeout });
    const handle = {
      nodeName,
      file,
      child,
      ports: node.ports.filter((p) => p.direction === 'out').map((p) => p.name),
      done: child.exited,
      stop: () => killGroup(child, { grace: 2000 }),
    };
    if (to !== undefined) await this.linkNode(nodeName, to);
    return handle;
  }

  /**
   * Record ports into a WAV (32-bit float): starts pw-record as node `nodeName` with one
   * channel per port in `from` (names 'node:port'), links from[i] → its i-th input, records
   * `seconds` of wall time after the links are made, stops it (SIGINT) and returns the path.
   */
  async record(seconds, { from, nodeName = `rec-${++this._seq}`, file, timeout = 15000 } = {}) {
    from = asList(from);
    if (!from.length) throw new Error('record: `from` must list at least one output port');
    file ??= this.tempFile(nodeName);
    const rec = await this.startRecording({ from, nodeName, file, timeout });
    await sleep(seconds * 1000);
    return rec.stop();
  }

  /**
   * Like record(), but returns at once with { file, nodeName, child, stop() → Promise<file> }:
   * for recordings that span actions of the test.
   */
  async startRecording({ from, nodeName = `rec-${++this._seq}`, file, timeout = 15000 } = {}) {
    from = asList(from);
    if (!from.length) throw new Error('startRecording: `from` must list at least one output port');
    file ??= this.tempFile(nodeName);
    const positions = from.length === 1 ? ['MONO'] : from.length === 2 ? ['FL', 'FR'] : from.map((_, i) => `AUX${i}`);
    const streamProps = { 'node.name': nodeName, 'adapter.auto-port-config': DSP_PORTS };
    const child = this.spawn('pw-record', ['--format', 'f32', '--rate', '48000', '--channels', String(from.length),
      '--channel-map', positions.join(','), '-P', spaJson(streamProps), file], { name: `pw-record(${nodeName})` });
    const node = await this._waitOwnNode(child, nodeName, { inputs: from.length, timeout });
    const ins = node.ports.filter((p) => p.direction === 'in');
    for (let i = 0; i < from.length; i++) await this.link(from[i], ins[i].name, { timeout });
    return {
      file,
      nodeName,
      child,
      stop: async () => {
        child.kill_group('SIGINT'); // pw-record finishes the file on SIGINT (and exits 1)
        const done = await Promise.race([child.exited, sleep(5000).then(() => null)]);
        if (!done) await killGroup(child, { grace: 1000 });
        if (!existsSync(file)) throw new Error(`pw-record wrote no file ${file}: ${child.stderrText()}`);
        return file;
      },
    };
  }

  async _waitOwnNode(child, nodeName, { inputs = 0, outputs = 0, timeout }) {
    let exited = null;
    child.exited.then((r) => { exited = r; });
    return waitFor(async () => {
      if (exited) throw new Error(`${child.spawnfile} exited (${exited.code ?? exited.signal}): ${child.stderrText().trim()}`);
      const dump = await this.dump();
      const n = await this.node(nodeName, dump);
      if (!n) return null;
      const ports = await this.ports(n.id, dump);
      if (ports.filter((p) => p.direction === 'in').length < inputs) return null;
      if (ports.filter((p) => p.direction === 'out').length < outputs) return null;
      return { ...n, ports };
    }, { timeout, interval: 50, message: `node ${nodeName} of ${child.spawnfile}` });
  }

  // ---- teardown --------------------------------------------------------------------------

  /** Pids of processes started for this daemon that are still running. */
  livePids() {
    return [...this.children].filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid);
  }

  /**
   * Kill everything started for this daemon (clients first, then pipewire-pulse, then the
   * daemon), wait for the groups to be empty, remove the runtime dir. Idempotent.
   */
  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    const clients = [...this.children].filter((c) => c !== this.daemon && c !== this.pulse);
    await Promise.all(clients.map((c) => killGroup(c, { grace: 2000 })));
    if (this.pulse) await killGroup(this.pulse, { grace: 3000 });
    if (this.daemon) await killGroup(this.daemon, { grace: 3000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Parse the first Props object printed by `pw-cli enum-params <id> Props` (0.3.65 text format):
 * scalar props become numbers/booleans/strings, arrays become JS arrays, and a Struct (the
 * `params` prop) becomes an object of its key/value pairs.
 */
export function parseProps(text) {
  const lines = text.split('\n');
  const indentOf = (l) => l.length - l.trimStart().length;
  const scalar = (l) => {
    const m = /^(Float|Double|Int|Long|Bool|String|Id|Fd|None)\s*(.*)$/.exec(l.trim());
    if (!m) return undefined;
    const [, type, rest] = m;
    if (type === 'Float' || type === 'Double') return parseFloat(rest);
    if (type === 'Int' || type === 'Long' || type === 'Fd') return Number(rest);
    if (type === 'Id') return Number(rest.split(/\s/)[0]);
    if (type === 'Bool') return rest.trim() === 'true';
    if (type === 'String') { try { return JSON.parse(rest.trim()); } catch { return rest.trim().replace(/^"|"$/g, ''); } }
    return null;
  };
  const out = {};
  let objects = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*Object:/.test(line) && ++objects > 1) break;
    const m = /^\s*Prop: key (\S+)/.exec(line);
    if (!m) continue;
    const key = m[1].split(':').pop();
    const base = indentOf(line);
    const body = [];
    while (i + 1 < lines.length && lines[i + 1].trim() && indentOf(lines[i + 1]) > base) body.push(lines[++i]);
    if (!body.length) continue;
    const head = body[0].trim();
    if (head.startsWith('Array') || head.startsWith('Struct')) {
      const items = body.slice(1).map(scalar).filter((v) => v !== undefined);
      if (head.startsWith('Struct')) {
        const obj = {};
        for (let k = 0; k + 1 < items.length; k += 2) obj[items[k]] = items[k + 1];
        out[key] = obj;
      } else {
        out[key] = items;
      }
    } else {
      out[key] = scalar(head);
    }
  }
  return out;
}

function openAppend(path) { return openSync(path, 'a'); }
function closeFd(fd) { try { closeSync(fd); } catch { /* already closed */ } }
