// The receive path end to end: rtc-node peers publish tones through the dev server, `alto join`
// plays each one as its own PipeWire stream linked to its own input of the room mixer, and the
// mix reaches the sink. Both protocol modes (single PeerConnection /rtc/v1 and legacy /rtc).
// Then a peer leaves: its stream and its mixer input go at once, the others play on.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import {
  TONE_DBFS, toneLevelNear, blockLevelsNear, joinRoom, waitStreams, recordPorts, tonePeers,
} from './receive-helpers.mjs';
import { readWav, slice } from '../lib/audio.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const PEERS = [
  { identity: 'alice', name: 'Alice', freq: 440 },
  { identity: 'bob', name: 'Bob', freq: 660 },
  { identity: 'carol', name: 'Carol', freq: 880 },
];

describe('alto join plays a room with three talking peers', () => {
  let pw;
  let server;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-room' });
    server = await startDevServer();
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    await pw?.stop();
    await killAll();
  });

  for (const mode of ['single_pc', 'legacy']) {
    test(`${mode}: three participant streams named after the peers, three mixer inputs, every tone at its level`,
      { timeout: 180_000 }, async () => {
        const room = `three-${mode.replace('_', '-')}`;
        const peers = await tonePeers(startPeer, server, room, PEERS, { legacy: mode === 'legacy' });
        stops.push(...peers.map((p) => () => p.stop()));
        const published = Object.fromEntries(PEERS.map((p, i) => [p.identity, peers[i].events.find((e) => e.event === 'publishing')]));

        const alto = joinRoom(pw, server, room, 'listener', { args: mode === 'legacy' ? ['--legacy'] : [] });
        stops.push(() => alto.stop('SIGKILL'));
        const joined = await alto.waitEvent('joined', undefined, 30_000);
        assert.equal(joined.mode, mode);
        assert.equal(joined.audio, true);
        const mixer = await alto.waitEvent('room_mixer');
        assert.equal(mixer.node_name, `alto.${room}`);
        const out = await alto.waitEvent('mixer_output');
        assert.equal(out.target, 'ci-sink', 'without a session manager the first Audio/Sink that is not ours');
        const streams = await waitStreams(alto, PEERS.map((p) => p.identity));

        // the graph as pw-dump shows it
        const g = await pw.graph();
        const mixerNode = g.nodes.find((n) => n.name === `alto.${room}`);
        assert.ok(mixerNode, `no mixer node in\n${await pw.describeGraph()}`);
        assert.equal(mixerNode.description, `LiveKit: ${room}`);
        assert.equal(mixerNode.mediaClass, 'Audio/Sink');
        const participantNodes = g.nodes.filter((n) => n.props['livekit.room'] === room && n.mediaClass === 'Stream/Output/Audio');
        assert.equal(participantNodes.length, 3, `three participant nodes:\n${await pw.describeGraph()}`);
        const mixerInputs = g.ports.filter((p) => p.nodeId === mixerNode.id && p.direction === 'in');
        assert.equal(mixerInputs.length, 6, 'one stereo mixer input (two ports) per participant');
        for (const p of PEERS) {
          const n = participantNodes.find((x) => x.name === `alto.${room}.${p.identity}`);
          assert.ok(n, `node alto.${room}.${p.identity}`);
          assert.equal(n.id, streams[p.identity].node_id);
          assert.equal(n.description, p.name);
          assert.equal(n.props['media.name'], p.name);
          assert.equal(n.props['livekit.participant.identity'], p.identity);
          assert.equal(n.props['livekit.participant.sid'], streams[p.identity].participant.sid);
          assert.match(n.props['livekit.participant.sid'], /^PA_/);
          assert.equal(n.props['livekit.track.sid'], published[p.identity].track);
          assert.ok(['true', 'false', true, false].includes(n.props['livekit.speaking']), 'livekit.speaking');
          assert.ok(n.props['livekit.connection-quality'], 'livekit.connection-quality');
          assert.equal(String(n.props['node.autoconnect']), 'false');
          // its output feeds both channels of its own mixer input, and nothing else
          const links = g.links.filter((l) => l.outputNode === n.name);
          assert.deepEqual(links.map((l) => l.input).sort(),
            [`alto.${room}:in_${p.identity}_FL`, `alto.${room}:in_${p.identity}_FR`]);
        }
        const sinkLinks = g.links.filter((l) => l.outputNode === `alto.${room}`).map((l) => `${l.output} → ${l.input}`).sort();
        assert.deepEqual(sinkLinks, [`alto.${room}:output_FL → ci-sink:playback_FL`, `alto.${room}:output_FR → ci-sink:playback_FR`]);

        // the mix: every tone at the level it was sent with, in both channels
        const chans = await recordPorts(pw, [`alto.${room}:output_FL`, `alto.${room}:output_FR`], 3);
        for (const [i, s] of chans.entries()) {
          for (const p of PEERS) {
            const got = toneLevelNear(s, p.freq);
            assert.ok(Math.abs(got - TONE_DBFS) <= 1,
              `channel ${i}: ${p.identity}'s ${p.freq} Hz at ${got.toFixed(2)} dBFS, sent at ${TONE_DBFS.toFixed(2)}`);
          }
        }

        if (mode === 'single_pc') {
          // carol leaves: her stream and mixer input go within 1 s, the others play on without a gap
          const rec = await pw.startRecording({ from: [`alto.${room}:output_FL`] });
          await sleep(1500);
          await peers[2].stop('SIGTERM');
          const left = await alto.waitEvent('participant_left', (e) => e.participant.identity === 'carol', 30_000);
          const removed = await alto.waitEvent('participant_stream_removed', (e) => e.participant.identity === 'carol', 30_000);
          assert.ok(removed.t - left.t <= 1000,
            `stream removed ${removed.t - left.t} ms after alto learnt that carol left`);
          const after = await pw.graph();
          assert.ok(!after.nodes.some((n) => n.name === `alto.${room}.carol`), 'carol\'s node is gone');
          assert.ok(!after.ports.some((p) => p.name.startsWith(`alto.${room}:in_carol_`)), 'carol\'s mixer ports are gone');
          assert.equal(after.ports.filter((p) => p.node === `alto.${room}` && p.direction === 'in').length, 4);
          await sleep(2000);
          const s = slice(readWav(await rec.stop()).channels[0], { from: 0.3 });
          for (const p of PEERS.slice(0, 2)) {
            const blocks = blockLevelsNear(s, p.freq);
            const low = blocks.filter((b) => b < TONE_DBFS - 3);
            assert.ok(low.length <= 1, `${p.identity} plays on through carol's leaving: blocks ${blocks.map((b) => b.toFixed(1)).join(' ')}`);
          }
          const carolBlocks = blockLevelsNear(s, 880);
          assert.ok(carolBlocks.slice(0, 4).every((b) => b > TONE_DBFS - 3), `carol heard before: ${carolBlocks.map((b) => b.toFixed(1))}`);
          assert.ok(carolBlocks.slice(-4).every((b) => b < -60), `carol gone after: ${carolBlocks.map((b) => b.toFixed(1))}`);
        }

        const end = await alto.stop('SIGINT');
        assert.equal(end.code, 0, alto.stderr);
        for (const p of peers) await p.stop();
        // alto's objects leave the graph with it
        const last = await pw.nodes();
        assert.ok(!last.some((n) => n.name?.startsWith(`alto.${room}`)), 'no alto node left after exit');
      });
  }
});
