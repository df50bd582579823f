// The same room joined twice in one PipeWire graph, under two identities: two `alto join`
// processes one after the other, two at the same moment, and the module loaded twice. Every
// node name stays unique — the second session's room node is `alto.<room>@<its identity>`
// ("LiveKit: <room> (<identity>)") and its participant streams `alto.<room>@<identity>.<peer>` —
// each person's stream is linked into its own session's mixer only, both sessions hear the
// talking peers, one leaving does not disturb the other, a session joining again gets the same
// names as before (WirePlumber keys saved volumes on them), and two publishing sessions hear
// each other.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPipewire } from '../lib/pipewire.mjs';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';
import { startDevServer, startPeer, tmpDir } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, blockLevelsNear, joinRoom, waitStreams, recordPorts } from './receive-helpers.mjs';
import { startPipewireWithDropIns, moduleDropIn, secretFile } from './module-helpers.mjs';

const PEERS = [
  { identity: 'alice', name: 'Alice', freq: 440 },
  { identity: 'bob', name: 'Bob', freq: 660 },
];
const IDS = PEERS.map((p) => p.identity);

/** Node names that occur more than once in the graph. */
function repeatedNames(g) {
  const seen = new Map();
  for (const n of g.nodes) if (n.name) seen.set(n.name, (seen.get(n.name) ?? 0) + 1);
  return [...seen].filter(([, c]) => c > 1).map(([name]) => name);
}

/**
 * One session's part of the graph: its mixer `mixer` (with this description) playing into the
 * sink, and for each identity the stream `<mixer>.<identity>` linked to both channels of its own
 * input on that mixer and nowhere else. Returns the participant nodes by identity.
 */
function checkSession(g, mixer, description, identities, describe) {
  const m = g.nodes.filter((n) => n.name === mixer);
  assert.equal(m.length, 1, `one room node ${mixer}:\n${describe}`);
  assert.equal(m[0].description, description);
  assert.equal(m[0].mediaClass, 'Audio/Sink');
  const out = g.links.filter((l) => l.outputNode === mixer).map((l) => `${l.output} → ${l.input}`).sort();
  assert.deepEqual(out, [`${mixer}:output_FL → ci-sink:playback_FL`, `${mixer}:output_FR → ci-sink:playback_FR`]);
  const byId = {};
  for (const id of identities) {
    const n = g.nodes.filter((x) => x.name === `${mixer}.${id}`);
    assert.equal(n.length, 1, `one node ${mixer}.${id}:\n${describe}`);
    assert.equal(n[0].props['livekit.participant.identity'], id);
    assert.equal(n[0].props['application.id'], `${mixer}.${id}`, 'the key WirePlumber saves the volume under');
    const links = g.links.filter((l) => l.outputNode === n[0].name).map((l) => l.input).sort();
    assert.deepEqual(links, [`${mixer}:in_${id}_FL`, `${mixer}:in_${id}_FR`], `${mixer}.${id} feeds its own mixer input only`);
    byId[id] = n[0];
  }
  return byId;
}

/** Both peers' tones in a mixer's output (the level is the receive tests' business: it dips under load). */
function assertHears(samples, who) {
  for (const p of PEERS) {
    const got = toneLevelNear(samples, p.freq);
    assert.ok(got > TONE_DBFS - 6 && got < TONE_DBFS + 1, `${who} hears ${p.identity}'s ${p.freq} Hz at ${got.toFixed(2)} dBFS `
      + `(0.25 s blocks: ${blockLevelsNear(samples, p.freq).map((b) => b.toFixed(1)).join(' ')})`);
  }
}

describe('the same room twice in one graph', () => {
  let pw;
  let server;
  let dir;
  const stops = [];

  before(async () => {
    pw = await startPipewire({ name: 'room-twice', pulse: true });
    server = await startDevServer();
  });
  // the talking peers of a room; each test stops its own (fewer processes at once on a small machine)
  async function roomPeers(room) {
    const peers = PEERS.map((p) => startPeer({ url: server.url, room, identity: p.identity, name: p.name, tone: p.freq }));
    stops.push(...peers.map((p) => () => p.stop()));
    for (const p of peers) await p.waitEvent('publishing', undefined, 90_000);
    return { stop: async () => { for (const p of peers) await p.stop(); } };
  }

  after(() => teardown({ stops, server, pw, dirs: [dir] }));

  test('a second alto join of the room: its own names, each stream on its own mixer, both hear the room; '
    + 'one leaves, the other plays on; joining again gives the same names', { timeout: 240_000 }, async () => {
    const room = 'twice';
    const peers = await roomPeers(room);

    const anna = joinRoom(pw, server, room, 'anna', { args: ['--no-publish'] });
    stops.push(() => anna.stop('SIGKILL'));
    assert.equal((await anna.waitEvent('room_mixer', undefined, 30_000)).node_name, `alto.${room}`);
    const annaStreams = await waitStreams(anna, IDS);
    const ben = joinRoom(pw, server, room, 'ben', { args: ['--no-publish'] });
    stops.push(() => ben.stop('SIGKILL'));
    const benMixer = await ben.waitEvent('room_mixer', undefined, 30_000);
    assert.equal(benMixer.node_name, `alto.${room}@ben`, 'alto.<room> is taken: the second session says whose it is');
    const benStreams = await waitStreams(ben, IDS);
    for (const id of IDS) {
      assert.equal(annaStreams[id].node_name, `alto.${room}.${id}`);
      assert.equal(benStreams[id].node_name, `alto.${room}@ben.${id}`);
    }

    const g = await pw.graph();
    const picture = await pw.describeGraph();
    assert.deepEqual(repeatedNames(g), [], `every node name once:\n${picture}`);
    const a = checkSession(g, `alto.${room}`, `LiveKit: ${room}`, IDS, picture);
    const b = checkSession(g, `alto.${room}@ben`, `LiveKit: ${room} (ben)`, IDS, picture);
    for (const p of PEERS) {
      assert.equal(a[p.identity].id, annaStreams[p.identity].node_id);
      assert.equal(b[p.identity].id, benStreams[p.identity].node_id);
      assert.equal(b[p.identity].description, p.name, 'the display name is the same in both');
    }

    // what pavucontrol shows: two output devices told apart, each with its own people on it;
    // the qualified name works where pactl takes a sink name
    const pactlJson = async (...args) => JSON.parse((await pw.run('pactl', ['-f', 'json', ...args])).stdout);
    const sinks = await waitFor(async () => {
      const all = (await pactlJson('list', 'sinks')).filter((x) => x.name.startsWith(`alto.${room}`));
      return all.length === 2 ? all : null;
    }, { timeout: 15_000, message: 'both room sinks in pactl list sinks' });
    const sinkOf = Object.fromEntries(sinks.map((x) => [x.name, x]));
    assert.equal(sinkOf[`alto.${room}`].description, `LiveKit: ${room}`);
    assert.equal(sinkOf[`alto.${room}@ben`].description, `LiveKit: ${room} (ben)`);
    const inputs = await waitFor(async () => {
      const all = (await pactlJson('list', 'sink-inputs')).filter((i) => i.sink === sinkOf[`alto.${room}@ben`].index);
      return all.length === 2 ? all : null;
    }, { timeout: 15_000, message: "two sink inputs on ben's room sink" });
    assert.deepEqual(inputs.map((i) => i.properties['node.name']).sort(), IDS.map((id) => `alto.${room}@ben.${id}`));
    assert.match((await pw.run('pactl', ['get-sink-volume', `alto.${room}@ben`])).stdout, /Volume:/);

    // both hear both peers, each through its own mixer
    const [mixA, mixB] = await recordPorts(pw, [`alto.${room}:output_FL`, `alto.${room}@ben:output_FL`], 3);
    assertHears(mixA, 'anna');
    assertHears(mixB, 'ben');

    // anna leaves: her nodes go, ben's stay as they were and keep playing
    assert.equal((await anna.stop('SIGINT')).code, 0, anna.stderr);
    await waitFor(async () => !(await pw.nodes()).some((n) => n.name === `alto.${room}` || n.name?.startsWith(`alto.${room}.`)),
      { timeout: 15_000, message: "anna's nodes gone" });
    const left = await pw.graph();
    const still = checkSession(left, `alto.${room}@ben`, `LiveKit: ${room} (ben)`, IDS, await pw.describeGraph());
    for (const id of IDS) assert.equal(still[id].id, b[id].id, `${id}'s stream in ben's room is the same node`);
    const [after1] = await recordPorts(pw, [`alto.${room}@ben:output_FL`], 3);
    assertHears(after1, 'ben, after anna left');
    assert.ok(!ben.events.some((e) => e.event === 'participant_stream_removed'), 'ben lost no stream');

    // anna joins again: the room's own name is free, she has it again (the same names as before)
    const anna2 = joinRoom(pw, server, room, 'anna', { args: ['--no-publish'] });
    stops.push(() => anna2.stop('SIGKILL'));
    assert.equal((await anna2.waitEvent('room_mixer', undefined, 30_000)).node_name, `alto.${room}`);
    const again = await waitStreams(anna2, IDS);
    for (const id of IDS) assert.equal(again[id].node_name, `alto.${room}.${id}`);
    // ben joins again while anna is in: ben's names again, not a new set
    assert.equal((await ben.stop('SIGINT')).code, 0, ben.stderr);
    const ben2 = joinRoom(pw, server, room, 'ben', { args: ['--no-publish'] });
    stops.push(() => ben2.stop('SIGKILL'));
    assert.equal((await ben2.waitEvent('room_mixer', undefined, 30_000)).node_name, `alto.${room}@ben`);
    const ben2Streams = await waitStreams(ben2, IDS);
    for (const id of IDS) assert.equal(ben2Streams[id].node_name, `alto.${room}@ben.${id}`);
    const g2 = await pw.graph();
    assert.deepEqual(repeatedNames(g2), [], `every node name once:\n${await pw.describeGraph()}`);
    checkSession(g2, `alto.${room}`, `LiveKit: ${room}`, IDS, '');
    checkSession(g2, `alto.${room}@ben`, `LiveKit: ${room} (ben)`, IDS, '');

    assert.equal((await anna2.stop('SIGINT')).code, 0, anna2.stderr);
    assert.equal((await ben2.stop('SIGINT')).code, 0, ben2.stderr);
    assert.ok(!(await pw.nodes()).some((n) => n.name?.startsWith(`alto.${room}`)), 'no alto node left after both exit');
    await peers.stop();
  });

  test('two alto joins started at the same moment: one keeps the room\'s name, the other moves on',
    { timeout: 180_000 }, async () => {
      const room = 'at-once';
      const peers = await roomPeers(room);
      const altos = ['carl', 'dora'].map((id) => joinRoom(pw, server, room, id, { args: ['--no-publish'] }));
      stops.push(...altos.map((x) => () => x.stop('SIGKILL')));
      const mixers = await Promise.all(altos.map((x) => x.waitEvent('room_mixer', undefined, 30_000)));
      const names = mixers.map((m) => m.node_name);
      const plain = names.indexOf(`alto.${room}`);
      assert.ok(plain >= 0, `one of them is alto.${room}: ${names}`);
      const other = 1 - plain;
      const otherId = ['carl', 'dora'][other];
      assert.equal(names[other], `alto.${room}@${otherId}`);
      const streams = await Promise.all(altos.map((x) => waitStreams(x, IDS)));
      for (const [i, s] of streams.entries()) for (const id of IDS) assert.equal(s[id].node_name, `${names[i]}.${id}`);
      const g = await pw.graph();
      const picture = await pw.describeGraph();
      assert.deepEqual(repeatedNames(g), [], `every node name once:\n${picture}`);
      checkSession(g, names[plain], `LiveKit: ${room}`, IDS, picture);
      checkSession(g, names[other], `LiveKit: ${room} (${otherId})`, IDS, picture);
      const [m0, m1] = await recordPorts(pw, [`${names[0]}:output_FL`, `${names[1]}:output_FL`], 3);
      assertHears(m0, 'carl');
      assertHears(m1, 'dora');
      for (const x of altos) assert.equal((await x.stop('SIGINT')).code, 0, x.stderr);
      await peers.stop();
    });

  test('two publishing sessions of the room in one graph hear each other', { timeout: 180_000 }, async () => {
    const room = 'twice-talk';
    const peers = await roomPeers(room);
    // their "microphones": tones alto links itself (--source)
    const va = await pw.play({ freq: 550, amplitude: 0.25, seconds: 120 }, { nodeName: 'erin-voice' });
    const vb = await pw.play({ freq: 770, amplitude: 0.25, seconds: 120 }, { nodeName: 'finn-voice' });
    stops.push(() => va.stop(), () => vb.stop());
    const erin = joinRoom(pw, server, room, 'erin', { args: ['--source', 'erin-voice'] });
    stops.push(() => erin.stop('SIGKILL'));
    assert.equal((await erin.waitEvent('room_mixer', undefined, 30_000)).node_name, `alto.${room}`);
    const finn = joinRoom(pw, server, room, 'finn', { args: ['--source', 'finn-voice'] });
    stops.push(() => finn.stop('SIGKILL'));
    assert.equal((await finn.waitEvent('room_mixer', undefined, 30_000)).node_name, `alto.${room}@finn`);
    // the send streams are named like their rooms, each fed by its own --source
    const sends = [];
    for (const [who, voice, name] of [[erin, 'erin-voice', `alto-send.${room}`], [finn, 'finn-voice', `alto-send.${room}@finn`]]) {
      const send = await who.waitEvent('send_stream', undefined, 30_000);
      assert.equal(send.node_name, name);
      sends.push(send);
      await waitFor(async () => (await pw.links()).some((l) => l.output === `${voice}:output_MONO` && l.inputNode === name),
        { timeout: 30_000, message: `--source ${voice} linked into ${name}` });
      await who.waitEvent('published', undefined, 30_000);
    }
    const es = await waitStreams(erin, [...IDS, 'finn']);
    const fs = await waitStreams(finn, [...IDS, 'erin']);
    assert.equal(es.finn.node_name, `alto.${room}.finn`);
    assert.equal(fs.erin.node_name, `alto.${room}@finn.erin`);
    const g = await pw.graph();
    const picture = await pw.describeGraph();
    assert.deepEqual(repeatedNames(g), [], `every node name once:\n${picture}`);
    assert.equal(g.nodes.find((n) => n.id === sends[1].node_id)?.description, `LiveKit: ${room} (finn, send)`);
    for (const [i, voice] of ['erin-voice', 'finn-voice'].entries()) {
      assert.deepEqual(g.links.filter((l) => l.inputNode === sends[i].node_name).map((l) => l.output), [`${voice}:output_MONO`],
        `${sends[i].node_name} captures its own voice only`);
    }
    checkSession(g, `alto.${room}`, `LiveKit: ${room}`, [...IDS, 'finn'], picture);
    checkSession(g, `alto.${room}@finn`, `LiveKit: ${room} (finn)`, [...IDS, 'erin'], picture);
    await sleep(2000);
    const [erinHears, finnHears] = await recordPorts(pw, [`alto.${room}.finn:output_MONO`, `alto.${room}@finn.erin:output_MONO`], 3);
    const e = toneLevelNear(erinHears, 770);
    const f = toneLevelNear(finnHears, 550);
    assert.ok(e > TONE_DBFS - 6 && e < TONE_DBFS + 1, `erin hears finn's 770 Hz at ${e.toFixed(2)} dBFS `
      + `(0.25 s blocks: ${blockLevelsNear(erinHears, 770).map((b) => b.toFixed(1)).join(' ')})`);
    assert.ok(f > TONE_DBFS - 6 && f < TONE_DBFS + 1, `finn hears erin's 550 Hz at ${f.toFixed(2)} dBFS `
      + `(0.25 s blocks: ${blockLevelsNear(finnHears, 550).map((b) => b.toFixed(1)).join(' ')})`);
    assert.ok(toneLevelNear(erinHears, 550) < -50, 'finn\'s stream in erin\'s room is not erin herself');
    assert.equal((await erin.stop('SIGINT')).code, 0, erin.stderr);
    assert.equal((await finn.stop('SIGINT')).code, 0, finn.stderr);
    await peers.stop();
  });

  test('the module loaded twice for one room (two identities): distinct names, each stream on its own mixer',
    { timeout: 180_000 }, async () => {
      const room = 'twice-module';
      const peers = await roomPeers(room);
      dir = tmpDir('alto-twice-');
      const args = (identity) => ({
        url: server.url, room, identity, 'api.key': 'devkey', 'api.secret.file': secretFile(dir), publish: false,
      });
      const mpw = await startPipewireWithDropIns({
        name: 'room-twice-module',
        dropIns: { 'alto-a.conf': moduleDropIn(args('desk-a')), 'alto-b.conf': moduleDropIn(args('desk-b')) },
      });
      stops.push(() => mpw.stop());
      // both sessions start in one daemon, on one loop: neither can see the other when it reads
      // the registry, so the later export has to notice and move on
      const g = await waitFor(async () => {
        const graph = await mpw.graph();
        const streams = graph.nodes.filter((n) => n.props['livekit.room'] === room && n.mediaClass === 'Stream/Output/Audio');
        const linked = streams.filter((n) => graph.links.filter((l) => l.outputNode === n.name).length === 2);
        return linked.length === 4 ? graph : null;
      }, { timeout: 90_000, message: 'four participant streams (two per session), linked' });
      const picture = await mpw.describeGraph();
      assert.deepEqual(repeatedNames(g), [], `every node name once:\n${picture}`);
      const mixers = g.nodes.filter((n) => n.props['livekit.room'] === room && n.mediaClass === 'Audio/Sink').map((n) => n.name).sort();
      assert.equal(mixers.length, 2, `two room nodes:\n${picture}`);
      assert.equal(mixers[0], `alto.${room}`);
      assert.match(mixers[1], new RegExp(`^alto\\.${room}@desk-[ab]$`));
      const second = mixers[1].split('@')[1];
      checkSession(g, mixers[0], `LiveKit: ${room}`, IDS, picture);
      checkSession(g, mixers[1], `LiveKit: ${room} (${second})`, IDS, picture);
      await sleep(2000);	// the streams have just been linked: let their jitter buffers settle
      const [m0, m1] = await recordPorts(mpw, [`${mixers[0]}:output_FL`, `${mixers[1]}:output_FL`], 3);
      assertHears(m0, 'the first module');
      assertHears(m1, 'the second module');
      await mpw.stop();
      await peers.stop();
    });
});
