// What a desktop user sees: the room joined by libpipewire-module-alto (conf drop-in in the
// daemon), pipewire-pulse in front, pavucontrol under Xvfb on its Playback tab. Each participant
// is listed by display name, as application "alto", playing "on" the room device
// "LiveKit: <room>". The test saves the screenshot (tests/out/desktop-pavucontrol-playback.png),
// reads it back with OCR (tesseract), and checks the same streams through pactl.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOP } from '../lib/pipewire.mjs';
import { run, waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { tonePeers } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes } from './module-helpers.mjs';

const ROOM = 'standup';
// names OCR reads reliably (no 1/l, 0/O pairs)
const PEERS = [
  { identity: 'alice', name: 'Alice Liddell', freq: 440 },
  { identity: 'bob', name: 'Bob Marley', freq: 660 },
];
const OUT_DIR = join(TOP, 'tests', 'out');
const SHOT = join(OUT_DIR, 'desktop-pavucontrol-playback.png');

describe('pavucontrol shows the room: one playback stream per participant, by name', () => {
  let pw;
  let server;
  let dir;
  const stops = [];
  const pactlJson = async (...args) => JSON.parse((await pw.run('pactl', ['-f', 'json', ...args])).stdout);

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-desktop-');
    const peers = await tonePeers(startPeer, server, ROOM, PEERS);
    stops.push(...peers.map((p) => () => p.stop()));
    pw = await startPipewireWithDropIns({
      name: 'desktop-pavucontrol',
      pulse: true,
      dropIns: {
        'alto-room.conf': moduleDropIn({
          url: server.url, room: ROOM, identity: 'listener', name: 'Listener',
          'api.key': 'devkey', 'api.secret.file': secretFile(dir),
        }),
      },
    });
    await waitParticipantNodes(pw, ROOM, PEERS.map((p) => p.identity));
  });
  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('pactl: one room sink "LiveKit: standup", each participant a sink input on it, named, application alto',
    { timeout: 60_000 }, async () => {
      const sinks = (await pactlJson('list', 'sinks')).filter((s) => s.description === `LiveKit: ${ROOM}`);
      assert.equal(sinks.length, 1, `exactly one room device, got: ${sinks.map((s) => `#${s.index} ${s.name} ${s.state}`).join(', ')}`);
      const inputs = await waitFor(async () => {
        const all = (await pactlJson('list', 'sink-inputs')).filter((i) => i.properties['livekit.room'] === ROOM);
        return all.length === PEERS.length ? all : null;
      }, { timeout: 15_000, message: 'the participants as sink inputs' });
      for (const p of PEERS) {
        const i = inputs.find((x) => x.properties['livekit.participant.identity'] === p.identity);
        assert.ok(i, `${p.identity} is a sink input`);
        assert.equal(i.properties['media.name'], p.name);
        assert.equal(i.properties['application.name'], 'alto');
        assert.equal(i.properties['node.name'], `alto.${ROOM}.${p.identity}`);
        assert.equal(i.sink, sinks[0].index, `${p.identity} plays on the room device`);
        assert.equal(i.mute, false);
      }
    });

  test('pavucontrol under Xvfb lists each participant by name on its Playback tab (screenshot saved, read back)',
    { timeout: 90_000 }, async () => {
      mkdirSync(OUT_DIR, { recursive: true });
      rmSync(SHOT, { force: true });
      const raw = join(dir, 'raw.png');
      // pavucontrol talks to pipewire-pulse (PULSE_SERVER in pw.env); 6 s to connect and draw
      const r = await pw.run('xvfb-run', ['-a', '-s', '-screen 0 1024x768x24', 'sh', '-c',
        `pavucontrol --tab=1 & P=$!; sleep 6; import -window root '${raw}'; kill $P; wait $P 2>/dev/null; exit 0`],
      { check: false, timeout: 60_000 });
      assert.ok(existsSync(raw), `no screenshot: ${r.stderr.slice(-1500)}`);
      // the window only (trim the black root), doubled: what is saved and what OCR reads
      await run('convert', [raw, '-trim', '+repage', '-resize', '200%', SHOT]);
      assert.ok(statSync(SHOT).size > 10_000, 'a real picture, not a blank one');
      const ocr = (await run('tesseract', [SHOT, '-'], { timeout: 60_000 })).stdout;
      const text = ocr.replace(/\s+/g, ' ');
      for (const p of PEERS) {
        assert.match(text, new RegExp(`alto\\s*:\\s*${p.name}`), `"alto: ${p.name}" on the Playback tab; OCR read:\n${ocr}`);
      }
      assert.match(text, new RegExp(`LiveKit: ${ROOM}`), `the device they play on; OCR read:\n${ocr}`);
    });
});
