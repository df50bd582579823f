// Large join requests through the real signaling client, libwebsockets and the dev server.
//
// libwebsockets 4.1.6 cuts a client request line longer than 2047 characters, so a
// /rtc/v1?join_request= path over 2032 characters never reaches the server ("read failed",
// retried forever). signaling/ gzip-compresses the WrappedJoinRequest whenever the plain
// encoded path would be longer, and ends the session with one clear error when even the
// compressed one is too long. Driven with tests/signaling/alto-signal-probe (ASan + UBSan
// build): a real single-PC offer with many receive sections (rtc/transport, as node/ makes
// it), metadata sized to put the plain path right at the limit or just past it, and
// incompressible metadata that cannot fit.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startDevServer, mintToken, spawnLines } from '../../devserver/testlib/index.mjs';
import { TOP, sanitizerReport } from './signaling-helpers.mjs';

const PATH_MAX = 2032;   // signaling/wire.h ALTO_WIRE_PATH_MAX

/** build-asan/tests/signaling/alto-signal-probe, brought up to date. */
function probeBin() {
  const dir = path.join(TOP, 'build-asan');
  if (!fs.existsSync(path.join(dir, 'build.ninja'))) {
    execFileSync('meson', ['setup', dir, '-Db_sanitize=address,undefined', '-Db_lundef=false', '-Dbuildtype=debug'],
      { cwd: TOP, stdio: 'ignore' });
  }
  execFileSync('ninja', ['-C', dir, 'tests/signaling/alto-signal-probe'], { stdio: 'ignore' });
  return path.join(dir, 'tests', 'signaling', 'alto-signal-probe');
}

/** Run the probe to its end (killed after ms: a failure). → {code, signal, events, stderr} */
async function runProbe(url, token, args, ms = 30_000) {
  const p = spawnLines(probeBin(), [url, ...args, '-v'], {
    env: {
      ...process.env, LIVEKIT_TOKEN: token,
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=99',
      UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=98',
    },
  });
  const timer = setTimeout(() => p.stop('SIGKILL'), ms);
  const exit = await p.exited;
  clearTimeout(timer);
  await new Promise((r) => setTimeout(r, 50));   // let stderr drain
  const events = p.lines.map((l) => JSON.parse(l));
  return { ...exit, events, stderr: p.stderr, of: (type) => events.filter((e) => e.event === type) };
}

/** The client's "connecting to ..." log line: {bytes, gzip} of the join request it sent. */
function connectNote(stderr) {
  const m = stderr.match(/connecting to ws:\/\/[^ ]*\/rtc\/v1\?join_request=\[(\d+) bytes(, gzip)?\]/);
  assert.ok(m, `no connect line in:\n${stderr.slice(-3000)}`);
  return { bytes: Number(m[1]), gzip: !!m[2] };
}

/** "the plain URL would have N characters, now M" (logged when compressing). */
function compressedNote(stderr) {
  const m = stderr.match(/gzip-compressed: the plain URL would have (\d+) characters, now (\d+)/);
  assert.ok(m, `no compression line in:\n${stderr.slice(-3000)}`);
  return { plain: Number(m[1]), sent: Number(m[2]) };
}

function assertClean(r) {
  assert.equal(sanitizerReport(r.stderr), false, r.stderr.slice(-4000));
}

describe('signaling: join requests too long for one request line', () => {
  let server;
  let token;

  before(async () => {
    probeBin();
    server = await startDevServer({ trace: true });
    token = await mintToken({ room: 'big', identity: 'probe' });
  });
  after(async () => {
    await server?.stop();
  });

  test('a single-PC offer with 12 receive sections: compressed, joined, answered', async () => {
    const r = await runProbe(server.url, token, ['--recv-audio', '12', '--max-retries', '1']);
    assertClean(r);
    const [offer] = r.of('offer');
    assert.equal(offer.sections, 12);
    assert.ok(offer.bytes > PATH_MAX, `offer of ${offer.bytes} bytes`);
    const note = connectNote(r.stderr);
    assert.equal(note.gzip, true);
    const c = compressedNote(r.stderr);
    assert.ok(c.plain > PATH_MAX && c.sent <= PATH_MAX, JSON.stringify(c));
    // the server decoded the whole offer: it answered every section
    assert.equal(r.of('joined').length, 1);
    assert.equal(r.of('joined')[0].single_pc, true);
    const [answer] = r.of('answer');
    assert.ok(answer, JSON.stringify(r.events));
    assert.deepEqual({ res: answer.res, id: answer.id, sections: answer.sections, accepted: answer.accepted },
      { res: 0, id: offer.id, sections: 12, accepted: 12 });
    assert.equal(r.of('reconnecting').length, 0);
    assert.equal(r.of('left')[0].end, 'client');
    assert.equal(r.code, 0);
  });

  test('the longest plain path still fits in the request line (no compression)', async () => {
    const r = await runProbe(server.url, token, ['--plain-path-len', String(PATH_MAX)]);
    assertClean(r);
    const [plan] = r.of('planned');
    assert.equal(plan.path_max, PATH_MAX);
    // /rtc/v1 paths have an odd length: 2031 is the longest one
    assert.ok(plan.plain_path_len >= PATH_MAX - 1 && plan.plain_path_len <= PATH_MAX, JSON.stringify(plan));
    const note = connectNote(r.stderr);
    assert.deepEqual(note, { bytes: plan.join_request_bytes, gzip: false });
    assert.equal(r.of('joined').length, 1);
    assert.equal(r.of('reconnecting').length, 0);
    assert.equal(r.code, 0);
  });

  test('just past the limit (raw join request < 2 KiB): compressed and joined', async () => {
    // this size used to be sent plain and retried forever
    const r = await runProbe(server.url, token, ['--plain-path-len', String(PATH_MAX + 8), '--max-retries', '1']);
    assertClean(r);
    const [plan] = r.of('planned');
    assert.ok(plan.plain_path_len > PATH_MAX, JSON.stringify(plan));
    assert.ok(plan.join_request_bytes < 2048, JSON.stringify(plan));
    const note = connectNote(r.stderr);
    assert.deepEqual(note, { bytes: plan.join_request_bytes, gzip: true });
    assert.equal(compressedNote(r.stderr).plain, plan.plain_path_len);
    assert.equal(r.of('joined').length, 1);
    assert.equal(r.of('reconnecting').length, 0);
    assert.equal(r.code, 0);
  });

  test('too long even compressed: one clear error, no retries, nothing sent', async () => {
    const connectsBefore = server.trace().filter((l) => l.msg?.connect).length;
    // retries are unlimited by default: only the refusal may end this run
    const r = await runProbe(server.url, token, ['--metadata-bytes', '4000', '--random'], 20_000);
    assertClean(r);
    assert.equal(r.code, 2, `exit ${r.code ?? r.signal}`);
    assert.equal(r.of('reconnecting').length, 0);
    assert.equal(r.of('joined').length, 0);
    const left = r.of('left');
    assert.equal(left.length, 1);
    assert.equal(left[0].end, 'error');
    assert.match(left[0].message, /join request is too large: \d+ bytes \(publisher offer 0, metadata 4000\) make a \d+-character \/rtc\/v1 URL even gzip-compressed, libwebsockets 4\.1 sends at most 2032/);
    assert.doesNotMatch(r.stderr, /connecting to/);
    assert.equal(server.trace().filter((l) => l.msg?.connect).length, connectsBefore);
  });
});
