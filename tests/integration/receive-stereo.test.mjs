// A stereo track through the whole receive path: an rtc-node peer publishes a 2-channel track
// (440 Hz left, 660 Hz right, declared stereo in its AddTrackRequest), the dev server answers it
// with Opus stereo=1 and forwards it, and `alto join` plays it as a stereo participant stream:
// two output ports FL/FR, each linked to the same channel of the person's mixer input (not both
// to both, as a mono voice), and the left tone only on the left, the right tone only on the right,
// at the level it was sent with — out of the participant stream and out of the room mixer.
// A mono peer in the same room stays mono (one MONO port feeding both mixer channels) and is
// heard in both. The SDP as livekit-server writes it: the stereo publisher is answered with
// Opus stereo=1, the mono one without (the SDK offers it everywhere), and alto is sent the stereo
// track with sprop-stereo=1. Both protocol modes (single PeerConnection /rtc/v1 and legacy /rtc).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPipewire } from '../lib/pipewire.mjs';
import { killAll } from '../lib/procs.mjs';
import { startDevServer, startPeer } from '../../devserver/testlib/index.mjs';
import { TONE_DBFS, toneLevelNear, joinRoom, waitStreams, recordPorts } from './receive-helpers.mjs';

const LEFT = 440;
const RIGHT = 660;
const MONO = 880;
/** Opus at the SDK's speech bitrate keeps the channels apart by ~45 dB; a mix of both would be 0 dB. */
const SEPARATION_DB = 30;

/** The m= sections of an SDP text: [{media, lines}]. */
function sections(sdp) {
  const out = [];
  for (const l of sdp.split(/\r?\n/)) {
    if (l.startsWith('m=')) out.push({ media: l.slice(2).split(' ')[0], lines: [] });
    out.at(-1)?.lines.push(l);
  }
  return out;
}

/** The Opus fmtp parameters of a section ('' when it has none). */
function opusFmtp(sec) {
  const pt = sec.lines.map((l) => /^a=rtpmap:(\d+) opus\//i.exec(l)?.[1]).find((x) => x);
  return sec.lines.find((l) => l.startsWith(`a=fmtp:${pt} `))?.slice(`a=fmtp:${pt} `.length) ?? '';
}

/** Every SDP the server sent to `identity` (answers and offers), in order. */
function sdpsTo(server, identity) {
  return server.trace().filter((l) => l.dir === 'out' && l.identity === identity)
    .map((l) => l.msg?.answer ?? l.msg?.offer).filter((d) => d?.sdp).map((d) => d.sdp);
}

describe('alto join plays a stereo track in stereo', () => {
  let pw;
  let server;
  const stops = [];
  before(async () => {
    pw = await startPipewire({ name: 'receive-stereo' });
    server = await startDevServer({ trace: true });
  });
  after(async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
    await server?.stop();
    await pw?.stop();
    await killAll();
  });

  /** Each channel: its own tone at its level, the other channel's tone far below. */
  function assertChannels(t, where, [fl, fr]) {
    const levels = {
      FL: { own: toneLevelNear(fl, LEFT), other: toneLevelNear(fl, RIGHT) },
      FR: { own: toneLevelNear(fr, RIGHT), other: toneLevelNear(fr, LEFT) },
    };
    const text = JSON.stringify(levels, (_k, v) => (typeof v === 'number' ? Number(v.toFixed(1)) : v));
    t.diagnostic(`${where}: ${text}`);
    for (const [ch, l] of Object.entries(levels)) {
      assert.ok(Math.abs(l.own - TONE_DBFS) <= 1, `${where} ${ch}: its tone at ${l.own.toFixed(2)} dBFS, sent at ${TONE_DBFS.toFixed(2)} (${text})`);
      assert.ok(l.other <= TONE_DBFS - SEPARATION_DB,
        `${where} ${ch}: the other channel's tone at ${l.other.toFixed(1)} dBFS, must be ${SEPARATION_DB} dB below the sent ${TONE_DBFS.toFixed(1)} (${text})`);
    }
  }

  for (const mode of ['single_pc', 'legacy']) {
    test(`${mode}: a stereo participant stream (FL/FR) linked channel by channel, 440 Hz left only, 660 Hz right only`,
      { timeout: 180_000 }, async (t) => {
        const room = `stereo-${mode.replace('_', '-')}`;
        const peer = startPeer({ url: server.url, room, identity: 'duo', name: 'Duo', tone: LEFT,
          args: ['--tone-right', String(RIGHT)], legacy: mode === 'legacy' });
        const solo = startPeer({ url: server.url, room, identity: 'solo', name: 'Solo', tone: MONO, legacy: mode === 'legacy' });
        stops.push(() => peer.stop(), () => solo.stop());
        const published = await peer.waitEvent('publishing', undefined, 90_000);
        assert.equal(published.channels, 2);
        const soloPublished = await solo.waitEvent('publishing', undefined, 90_000);

        const alto = joinRoom(pw, server, room, 'listener', { args: mode === 'legacy' ? ['--legacy'] : [] });
        stops.push(() => alto.stop('SIGKILL'));
        const joined = await alto.waitEvent('joined', undefined, 30_000);
        assert.equal(joined.mode, mode);
        const { duo, solo: mono } = await waitStreams(alto, ['duo', 'solo']);
        assert.equal(duo.channels, 2, 'the stream of a stereo track has two channels');
        assert.equal(duo.track_sid, published.track);
        assert.equal(mono.channels, 1, 'a mono track stays mono');

        // the publishers' answers: Opus stereo=1 for the stereo track only
        for (const [who, stereo] of [['duo', true], ['solo', false]]) {
          const receiving = sdpsTo(server, who).flatMap(sections)
            .filter((x) => x.media === 'audio' && x.lines.includes('a=recvonly'));
          assert.ok(receiving.length > 0, `an answer to ${who} receives its track`);
          for (const sec of receiving) {
            assert.equal(/(^|;)stereo=1(;|$)/.test(opusFmtp(sec)), stereo, `${who}'s answer: a=fmtp ${opusFmtp(sec)}`);
          }
        }
        // what alto is sent: sprop-stereo=1 on the stereo track's section only
        const toAlto = sdpsTo(server, 'listener').flatMap(sections).filter((x) => x.media === 'audio');
        for (const [track, stereo] of [[published.track, true], [soloPublished.track, false]]) {
          const carrying = toAlto.filter((x) => x.lines.some((l) => l.startsWith('a=msid:') && l.endsWith(` ${track}`)));
          assert.ok(carrying.length > 0, `a section for ${track} in what alto was sent`);
          assert.equal(opusFmtp(carrying.at(-1)).includes('sprop-stereo=1'), stereo, `alto's section for ${track}: ${opusFmtp(carrying.at(-1))}`);
        }

        // the graph: two outputs FL/FR, each to the same channel of the mixer input
        const node = `alto.${room}.duo`;
        const g = await pw.graph();
        const n = g.nodes.find((x) => x.name === node);
        assert.ok(n, `node ${node} in\n${await pw.describeGraph()}`);
        const outs = g.ports.filter((p) => p.nodeId === n.id && p.direction === 'out' && !p.monitor).map((p) => p.name).sort();
        assert.deepEqual(outs, [`${node}:output_FL`, `${node}:output_FR`], await pw.describeGraph());
        const links = g.links.filter((l) => l.outputNode === node).map((l) => `${l.output} → ${l.input}`).sort();
        assert.deepEqual(links, [
          `${node}:output_FL → alto.${room}:in_${duo.mixer_input}_FL`,
          `${node}:output_FR → alto.${room}:in_${duo.mixer_input}_FR`,
        ], await pw.describeGraph());
        const soloLinks = g.links.filter((l) => l.outputNode === `alto.${room}.solo`).map((l) => `${l.output} → ${l.input}`).sort();
        assert.deepEqual(soloLinks, [
          `alto.${room}.solo:output_MONO → alto.${room}:in_${mono.mixer_input}_FL`,
          `alto.${room}.solo:output_MONO → alto.${room}:in_${mono.mixer_input}_FR`,
        ], await pw.describeGraph());

        // what the stream plays, and what the room mixer makes of it
        assertChannels(t, 'participant stream', await recordPorts(pw, [`${node}:output_FL`, `${node}:output_FR`], 3));
        const mix = await recordPorts(pw, [`alto.${room}:output_FL`, `alto.${room}:output_FR`], 3);
        assertChannels(t, 'room mixer', mix);
        for (const [i, ch] of ['FL', 'FR'].entries()) {
          const got = toneLevelNear(mix[i], MONO);
          assert.ok(Math.abs(got - TONE_DBFS) <= 1, `room mixer ${ch}: the mono peer's ${MONO} Hz at ${got.toFixed(2)} dBFS`);
        }

        const end = await alto.stop('SIGINT');
        assert.equal(end.code, 0, alto.stderr);
        await peer.stop();
        await solo.stop();
      });
  }
});
