// Bad module args give one clear error line each and leave the daemon alone: a secret file others
// can read, a missing room, malformed SPA-JSON, a value of the wrong kind. One daemon loads all
// of them (each drop-in `flags = [ nofail ]`, as the shipped example) plus one good room: the
// bad ones are left out with their reason in the log, the good one joins, the daemon serves.
// The same mistakes in a process of its own (`pipewire -c`, no nofail) end that process with the
// reason — which is what makes systemd's Restart=on-failure visible — and nothing else.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { killGroup, waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import {
  startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes, moduleLog, moduleDir,
  asanModuleEnv, sanitizerReport,
} from './module-helpers.mjs';
import { TOP } from '../lib/pipewire.mjs';

const SECRET = 'Do-Not-Log-This-7f3a9c'; // the dev server's secret here: it must never show up in a log

describe('libpipewire-module-alto refuses bad args clearly, the daemon goes on', () => {
  let pw;
  let server;
  let dir;
  let peer;
  const bad = {};
  let base;
  let ok;

  before(async () => {
    server = await startDevServer({ apiSecret: SECRET });
    dir = tmpDir('alto-module-errors-');
    peer = startPeer({ url: server.url, room: 'good', identity: 'alice', name: 'Alice', tone: 440, apiSecret: SECRET });
    await peer.waitEvent('publishing', undefined, 90_000);
    base = { url: server.url, identity: 'listener', 'api.key': 'devkey' };
    const open = secretFile(dir, { secret: SECRET, name: 'open.secret', mode: 0o644 });
    const groupOnly = secretFile(dir, { secret: SECRET, name: 'group.secret', mode: 0o640 });
    ok = secretFile(dir, { secret: SECRET });
    Object.assign(bad, {
      '10-world-readable.conf': [moduleDropIn({ ...base, room: 'r1', 'api.secret.file': open }),
        `the API secret file ${open} is accessible by other users (mode 0644): make it private with \`chmod 600 ${open}\``],
      '11-group-readable.conf': [moduleDropIn({ ...base, room: 'r2', 'api.secret.file': groupOnly }),
        'is accessible by other users (mode 0640)'],
      '12-no-room.conf': [moduleDropIn({ ...base, 'api.secret.file': ok }), 'room is required'],
      '13-malformed.conf': [moduleDropIn(JSON.stringify(`{ room = "r3 identity = listener api.key = devkey }`)),
        'malformed arguments: the string at offset 9 has no closing \'"\''],
      '14-unbalanced.conf': [moduleDropIn(JSON.stringify('{ room = r4 identity = listener')),
        "malformed arguments: the '{' at offset 0 is never closed"],
      '15-latency.conf': [moduleDropIn({ ...base, room: 'r5', 'api.secret.file': ok, 'latency.msec': 'fast' }),
        'latency.msec: "fast" is not a number of milliseconds from 0 to 2000'],
      '16-unquoted-url.conf': [moduleDropIn(`{ url = ws://127.0.0.1:7880 room = r6 identity = listener }`),
        'url: "ws" is not a LiveKit server URL'],
      '17-key-no-secret.conf': [moduleDropIn({ ...base, room: 'r7' }), 'api.key without api.secret.file'],
      '18-missing-secret.conf': [moduleDropIn({ ...base, room: 'r8', 'api.secret.file': join(dir, 'nope') }),
        `cannot read the API secret file ${join(dir, 'nope')}: No such file or directory`],
      '19-props-not-object.conf': [moduleDropIn({ ...base, room: 'r9', 'api.secret.file': ok, 'participant.props': 'loud' }),
        'participant.props must be an object'],
      '20-nack.conf': [moduleDropIn({ ...base, room: 'r10', 'api.secret.file': ok, nack: 'sometimes' }),
        'nack: "sometimes" is not true or false'],
    });
    const dropIns = Object.fromEntries(Object.entries(bad).map(([f, [text]]) => [f, text]));
    dropIns['50-good.conf'] = moduleDropIn({ ...base, room: 'good', 'api.secret.file': ok, nack: false });
    // loads (nothing wrong with the args) but the server refuses the token: the session ends
    dropIns['60-refused.conf'] = moduleDropIn({ ...base, room: 'refused', 'api.secret.file': secretFile(dir, { secret: 'not-the-secret', name: 'wrong.secret' }) });
    // mod.alto's info lines too: the good room says it took nack = false
    pw = await startPipewireWithDropIns({ name: 'module-errors', dropIns, daemonEnv: { PIPEWIRE_DEBUG: 'W,mod.alto:I' } });
  });
  after(() => teardown({ stops: [() => peer?.stop()], server, pw, dirs: [dir] }));

  test('each bad drop-in is left out with its reason in one error line; the good room joins', { timeout: 90_000 }, async () => {
    await waitParticipantNodes(pw, 'good', ['alice']);
    const log = moduleLog(pw);
    const errors = log.filter((l) => l.startsWith('[E]'));
    for (const [file, [, reason]] of Object.entries(bad)) {
      assert.ok(errors.some((l) => l.includes(reason)), `${file}: no error line with "${reason}" in\n${errors.join('\n')}`);
    }
    assert.ok(!pw.log().includes(SECRET), 'the secret is never logged');
    assert.ok(log.some((l) => /good: joined room "good" .*nack = false/.test(l)), `nack = false taken:\n${log.join('\n')}`);
    // nothing of the refused rooms in the graph, and the modules are not listed
    const nodes = await pw.nodes();
    const rooms = new Set(nodes.map((n) => n.props['livekit.room']).filter(Boolean));
    assert.deepEqual([...rooms].filter((r) => r !== 'refused'), ['good']);
  });

  test('a token the server refuses: one error line, the module unloads itself, the others stay', { timeout: 60_000 }, async () => {
    await waitFor(() => moduleLog(pw).some((l) => l.startsWith('[E]') &&
      /refused the access token \(HTTP 401\)/.test(l)), { timeout: 30_000, message: 'the refusal in the log' });
    const alto = async () => (await pw.dump()).filter((o) => o.type === 'PipeWire:Interface:Module' && o.info?.name === 'libpipewire-module-alto');
    await waitFor(async () => (await alto()).length === 1, { timeout: 15_000, message: 'only the good instance left' });
    assert.match((await alto())[0].info.args, /room = "?good"?/);
    assert.ok(!(await pw.nodes()).some((n) => n.props['livekit.room'] === 'refused'), 'the refused room\'s node is gone');
  });

  test('the daemon itself is unaffected: it answers and plays', { timeout: 60_000 }, async () => {
    const r = await pw.run('pw-cli', ['info', '0']);
    assert.match(r.stdout, /id: 0/);
    const sink = (await pw.nodes()).find((n) => n.name === 'ci-sink');
    assert.ok(sink, 'ci-sink is there');
    const wav = await pw.record(1, { from: ['alto.good:output_FL'] });
    assert.ok(wav, 'the good room still records');
  });

  test('in a process of its own (pipewire -c, no nofail) a bad room ends that process with the reason', { timeout: 60_000 }, async () => {
    const confDir = join(dir, 'standalone');
    mkdirSync(confDir, { recursive: true });
    const conf = join(confDir, 'alto-livekit.conf');
    copyFileSync(join(TOP, 'conf', 'alto-livekit.conf'), conf);
    mkdirSync(`${conf}.d`);
    const open = join(dir, 'open.secret');
    writeFileSync(join(`${conf}.d`, 'room.conf'),
      moduleDropIn({ url: server.url, room: 'r1', identity: 'listener', 'api.key': 'devkey', 'api.secret.file': open }, { flags: [] }));
    const r = await pw.run('pipewire', ['-c', conf], { check: false, timeout: 30_000, env: { PIPEWIRE_MODULE_DIR: moduleDir() } });
    assert.notEqual(r.code, 0, 'the process fails (systemd restarts it, journal shows why)');
    const out = r.stdout + r.stderr;
    assert.match(out, /is accessible by other users \(mode 0644\)/, out);
    assert.match(out, /could not load mandatory module "libpipewire-module-alto"/, out);
    // and the daemon it talked to is fine
    await waitFor(async () => (await pw.run('pw-cli', ['info', '0'], { check: false })).code === 0, { timeout: 10_000 });
  });

  test('the same in a daemon running the ASan+UBSan build of the module and plugin: no report, a clean exit',
    { timeout: 240_000 }, async () => {
      const dropIns = Object.fromEntries(Object.entries(bad).map(([f, [text]]) => [f, text]));
      dropIns['50-good.conf'] = moduleDropIn({ ...base, identity: 'asan-listener', room: 'good', 'api.secret.file': ok });
      dropIns['60-refused.conf'] = moduleDropIn({ ...base, room: 'refused', 'api.secret.file': join(dir, 'wrong.secret') });
      const asan = await startPipewireWithDropIns({ name: 'module-errors-asan', dropIns, daemonEnv: asanModuleEnv(), timeout: 60_000 });
      try {
        await waitParticipantNodes(asan, 'good', ['alice']);
        await waitFor(() => moduleLog(asan).some((l) => /refused the access token/.test(l)), { timeout: 30_000, message: 'the refusal' });
        await asan.record(1, { from: ['alto.good:output_FL'] });
        await killGroup(asan.daemon, { grace: 15_000 });
        const exit = await asan.daemon.exited;
        assert.ok(!sanitizerReport(asan.log()), asan.log().slice(-6000));
        assert.deepEqual(exit, { code: 0, signal: null }, asan.log().slice(-3000));
      } finally {
        await asan.stop();
      }
    });
});
