// A room that is joined and talking but where nothing changes keeps its nodes quiet: no node of
// alto's announces a change every second. Session managers and desktop mixers react to every
// change of a node: WirePlumber 0.4's restore-stream restarts its one-second save timer on each
// change of any stream's params (a node changing every second kept it from saving anybody's
// volume), and pipewire-pulse sends each one to every subscribed client (pavucontrol redraws).
//
// The room is joined by the module (conf drop-in) with pipewire-pulse in front; two participants
// talk, and alto talks too: a tone plays into the room's send stream (`alto-send.<room>`; the
// module publishes by default), and the peers receive alto's track. Over 7 s of nothing changing:
// `pactl subscribe` shows no 'change' on the room's sink, the participants' sink inputs or the
// send stream's source output, and `pw-mon` shows no node of the room changed (after joining
// has settled: the first quiet window of up to six counts). Then a volume change of a
// participant and a mute of the send stream show up in both (the watchers see those nodes), and
// the mixer's input metrics still move for remote readers (ports are announced; nothing stores a
// port's params).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { tonePeers } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile, waitParticipantNodes } from './module-helpers.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOM = 'quiet';
const PEERS = [
  { identity: 'alice', name: 'Alice', freq: 440 },
  { identity: 'bob', name: 'Bob', freq: 660 },
];
// Longer than the longest period of what the room sends alto while nothing changes (the dev
// server's connection-quality update, every 5 s, listing every participant unchanged): each window
// sees at least one, so a node that announced each of them would never be quiet.
const WATCH_S = 7;

/** The "changed:" blocks `pw-mon` printed, as { id, text }. */
function pwMonChanges(text) {
  return text.split(/^(?=changed:|added:|removed:)/m).filter((b) => b.startsWith('changed:')).map((b) => {
    const m = /^\s*id:\s*(\d+)/m.exec(b);
    return { id: m ? Number(m[1]) : -1, text: b };
  });
}
const pwMonChangedIds = (text) => pwMonChanges(text).map((c) => c.id);

/** [kind, index] of each "Event 'change' on <kind> #<index>" line of `pactl subscribe`. */
function pactlChanges(text) {
  return [...text.matchAll(/Event 'change' on ([a-z-]+) #(\d+)/g)].map((m) => [m[1], Number(m[2])]);
}

describe('a joined room whose nothing changes keeps its nodes quiet', () => {
  let pw;
  let server;
  let dir;
  let nodes;
  let roomNode;
  let sendNode;
  const stops = [];

  /** What `pactl subscribe` and `pw-mon` print over `seconds`, while `during` runs. */
  const watch = async (seconds, during = async () => {}) => {
    const pactl = pw.run('timeout', [String(seconds), 'pactl', 'subscribe'], { check: false, timeout: (seconds + 10) * 1000 });
    const mon = pw.run('timeout', [String(seconds), 'pw-mon', '--no-colors'], { check: false, timeout: (seconds + 10) * 1000 });
    await sleep(1000); // both have printed what exists and subscribed
    await during();
    const [p, m] = await Promise.all([pactl, mon]);
    return { pactl: p.stdout, mon: m.stdout };
  };

  before(async () => {
    server = await startDevServer();
    dir = tmpDir('alto-quiet-');
    const peers = await tonePeers(startPeer, server, ROOM, PEERS);
    stops.push(...peers.map((p) => () => p.stop()));
    pw = await startPipewireWithDropIns({
      name: 'desktop-quiet',
      pulse: true,
      dropIns: {
        'alto-room.conf': moduleDropIn({
          url: server.url, room: ROOM, identity: 'listener', 'api.key': 'devkey', 'api.secret.file': secretFile(dir),
        }),
      },
    });
    nodes = await waitParticipantNodes(pw, ROOM, PEERS.map((p) => p.identity));
    roomNode = await waitFor(async () => (await pw.nodes()).find((n) => n.name === `alto.${ROOM}`),
      { timeout: 15_000, message: 'the room node' });
    // alto's microphone: a tone into the send stream (no session manager links it here), so the
    // stream runs, the encoder sends and the peers receive alto's track
    sendNode = await pw.waitNode(`alto-send.${ROOM}`, { inputs: 1, timeout: 30_000 });
    const mic = await pw.play({ freq: 330, amplitude: 0.25, seconds: 300 }, { nodeName: 'quiet-mic', to: sendNode.name });
    stops.push(() => mic.stop());
    await waitFor(async () => (await pw.node(sendNode.name))?.state === 'running', { timeout: 15_000, message: 'the send stream running' });
    for (const p of peers) await p.waitEvent('track_subscribed', (e) => e.identity === 'listener', 60_000);
  });
  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('nothing changes: no change events from the room\'s nodes, in pactl subscribe or pw-mon', { timeout: 120_000 }, async (t) => {
    const ours = new Set([roomNode.id, sendNode.id, ...Object.values(nodes).map((n) => n.id)]);
    // Joining settles (formats, links, states) at its own pace on a loaded machine: watch windows
    // of WATCH_S until one is quiet. Anything that changes at least once per window never is.
    let last;
    for (let window = 1; window <= 6; window++) {
      const { pactl, mon } = await watch(WATCH_S, () => sleep(WATCH_S * 1000 - 1500));
      const changed = pwMonChanges(mon).filter((c) => ours.has(c.id));
      const pulseChanges = pactlChanges(pactl).filter(([kind]) => ['sink', 'sink-input', 'source-output'].includes(kind));
      last = { changed, pulseChanges, pactl };
      if (changed.length === 0 && pulseChanges.length === 0) {
        t.diagnostic(`quiet in window ${window} of ${WATCH_S} s`);
        return;
      }
    }
    assert.deepEqual(last.changed.map((c) => c.id), [],
      `alto's nodes (${[...ours].join(', ')}) changed in every ${WATCH_S} s window:\n${last.changed.map((c) => c.text).join('\n').slice(-4000)}`);
    assert.deepEqual(last.pulseChanges, [], `pipewire-pulse reported changes in every window:\n${last.pactl}`);
  });

  test('a real change is seen by both watchers, and the mixer inputs\' metrics still move remotely', { timeout: 60_000 }, async () => {
    const alice = nodes.alice;
    const { pactl, mon } = await watch(3, async () => {
      await pw.run('pw-cli', ['set-param', String(alice.id), 'Props', '{ channelVolumes: [ 0.5 ] }']);
      await pw.run('pw-cli', ['set-param', String(sendNode.id), 'Props', '{ mute: true }']);
    });
    assert.ok(pwMonChangedIds(mon).includes(alice.id), `pw-mon saw alice's node change:\n${mon.slice(-2000)}`);
    assert.ok(pactlChanges(pactl).some(([kind]) => kind === 'sink-input'), `pactl saw a sink input change:\n${pactl}`);
    assert.ok(pwMonChangedIds(mon).includes(sendNode.id), `pw-mon saw the send stream change:\n${mon.slice(-2000)}`);
    assert.ok(pactlChanges(pactl).some(([kind]) => kind === 'source-output'), `pactl saw a source output change:\n${pactl}`);
    await pw.run('pw-cli', ['set-param', String(sendNode.id), 'Props', '{ mute: false }']);

    // an input port of the room mixer: its frames-mixed grows between two remote reads
    const framesOfPorts = async () => {
      const out = {};
      for (const o of await pw.dump()) {
        if (o.type !== 'PipeWire:Interface:Port' || o.info?.direction !== 'input') continue;
        if (String(o.info?.props?.['node.id']) !== String(roomNode.id)) continue;
        const props = o.info?.params?.Props?.[0];
        const params = props?.params;
        if (!Array.isArray(params)) continue;
        const i = params.indexOf('alto.frames-mixed');
        if (i >= 0) out[o.id] = Number(params[i + 1]);
      }
      return out;
    };
    const first = await waitFor(async () => {
      const f = await framesOfPorts();
      return Object.keys(f).length > 0 ? f : null;
    }, { timeout: 15_000, message: 'the room mixer\'s input ports with metrics' });
    await waitFor(async () => {
      const now = await framesOfPorts();
      return Object.entries(first).some(([id, v]) => now[id] > v);
    }, { timeout: 10_000, message: 'an input\'s alto.frames-mixed to grow in a remote read' });
  });
});
