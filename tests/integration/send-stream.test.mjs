// The room's send stream on a real PipeWire daemon with pipewire-pulse (what pavucontrol talks
// to), through build/tests/node/send-stream-probe: the stream and ring exactly as the room
// session makes them, the ring drained and measured on the probe's main loop instead of encoded.
// What a user checks: the capture stream is in the graph under the room's name, audio routed into
// it arrives at its level, muting it in pavucontrol/pactl mutes it (and silences it), a mute from
// the room shows in pactl — also on a stream nothing feeds, which never ran —, --source links
// that node, --mute starts muted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startPipewire, BUILD } from '../lib/pipewire.mjs';
import { waitFor } from '../lib/procs.mjs';
import { teardown } from '../lib/teardown.mjs';

const PROBE = join(BUILD, 'tests', 'node', 'send-stream-probe');

function startProbe(pw, args) {
  const child = pw.spawn(PROBE, args, { stdio: ['pipe', 'pipe', 'pipe'], name: 'send-stream-probe' });
  const events = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { events.push(JSON.parse(line)); } catch { /* not ours */ }
    }
  });
  return {
    child,
    events,
    get stderr() { return stderr; },
    /** The probe's node (pw.waitNode); a failure says what the probe printed on stderr. */
    async node(name) {
      try {
        return await pw.waitNode(name, { inputs: 1, timeout: 30_000 });
      } catch (e) {
        e.message += `\n--- send-stream-probe stderr ---\n${stderr.slice(-3000)}\n--- exit: ${JSON.stringify(child.exitCode ?? child.signalCode)}`;
        throw e;
      }
    },
    command: (line) => child.stdin.write(`${line}\n`),
    // the next `count` level windows after now
    async levels(count, { timeout = 15000 } = {}) {
      const start = events.length;
      await waitFor(() => events.slice(start).filter((e) => e.event === 'level').length >= count,
        { timeout, message: `${count} level windows from the probe` });
      return events.slice(start).filter((e) => e.event === 'level').slice(0, count);
    },
    waitEvent(pred, message, timeout = 15000) {
      return waitFor(() => events.find(pred), { timeout, message });
    },
  };
}

/**
 * The tone's level in the best of these 0.5 s windows. A loaded machine glitches some windows (an
 * xrun in the graph, the probe's loop late): a glitch only lowers a window's tone level, while a
 * wrong gain or a wrong channel moves every window, so the best one is what is compared.
 */
const bestTone = (levels) => Math.max(...levels.map((l) => l.tone_dbfs));

async function sourceOutput(pw, nodeName) {
  const r = await pw.run('pactl', ['list', 'source-outputs']);
  for (const block of r.stdout.split(/\n(?=Source Output #)/)) {
    if (!block.includes(`node.name = "${nodeName}"`)) continue;
    return { index: Number(/Source Output #(\d+)/.exec(block)[1]), muted: /\n\s*Mute: yes/.test(block) };
  }
  return null;
}

describe('send stream', () => {
  let pw;
  before(async () => { pw = await startPipewire({ pulse: true, name: 'send-stream' }); });
  after(() => teardown({ pw }));

  test('a capture stream named after the room carries what is routed into it; mute both ways', { timeout: 90000 }, async () => {
    const probe = startProbe(pw, ['--room', 'Team Room']);
    const name = 'alto-send.Team_Room';
    const node = await probe.node(name);
    assert.equal(node.mediaClass, 'Stream/Input/Audio');
    assert.equal(node.description, 'LiveKit: Team Room (send)');
    assert.equal(node.props['livekit.room'], 'Team Room');
    assert.deepEqual(node.ports.map((p) => p.portName), ['input_MONO']);

    const tone = await pw.play({ freq: 440, amplitude: 0.25, seconds: 60 }, { nodeName: 'mic-tone', to: name });
    await probe.levels(2);                      // the graph starting up
    const on = await probe.levels(6);
    const level = bestTone(on);
    assert.ok(Math.abs(level - -12.04) < 1, `tone through the send stream at ${level} dBFS, sent -12.04`);

    // pavucontrol's mute button is this pactl call
    const so = await waitFor(() => sourceOutput(pw, name), { message: 'the stream in pactl list source-outputs' });
    assert.equal(so.muted, false);
    await pw.run('pactl', ['set-source-output-mute', String(so.index), '1']);
    await probe.waitEvent((e) => e.event === 'mute' && e.muted === true, 'the stream to report muted');
    await probe.levels(1);                      // the window the mute fell in
    const muted = await probe.levels(2);
    for (const l of muted) {
      assert.equal(l.muted, true);
      assert.ok(l.rms_dbfs < -100, `muted stream still carries ${l.rms_dbfs} dBFS`);
    }
    await pw.run('pactl', ['set-source-output-mute', String(so.index), '0']);
    await probe.waitEvent((e) => e.event === 'mute' && e.muted === false, 'the stream to report unmuted');
    await probe.levels(1);
    const back = await probe.levels(4);
    assert.ok(Math.abs(bestTone(back) - -12.04) < 1, `the tone is back after unmute: ${bestTone(back)} dBFS`);

    // a mute from the room shows on the stream, for pactl/pavucontrol too
    probe.command('mute');
    await waitFor(async () => (await sourceOutput(pw, name))?.muted === true, { message: 'pactl to show the room mute' });
    probe.command('unmute');
    await waitFor(async () => (await sourceOutput(pw, name))?.muted === false, { message: 'pactl to show the room unmute' });

    // the slider all the way down silences it just as well: the room sees it muted
    const muteEvents = () => probe.events.filter((e) => e.event === 'mute').length;
    const before = muteEvents();
    await pw.run('pactl', ['set-source-output-volume', String(so.index), '0%']);
    await waitFor(() => probe.events.slice(-5).some((e) => e.event === 'mute' && e.muted === true) && muteEvents() > before,
      { message: 'volume 0 to count as muted' });
    await pw.run('pactl', ['set-source-output-volume', String(so.index), '100%']);
    await waitFor(() => { const last = probe.events.filter((e) => e.event === 'mute').at(-1); return last.muted === false; },
      { message: 'volume back to count as unmuted' });

    await tone.stop();
    await probe.child.kill_group('SIGTERM');
    await pw.waitNodeGone(name);
  });

  test('a stream nothing feeds (it never ran) shows each mute at once: from the room, from pactl, --muted', { timeout: 60000 }, async () => {
    // PipeWire 0.3.65 announces a Props change of a stream only once it has run; alto announces it
    // itself (send-stream.c): pactl and pw-dump must show the mute while nothing is linked
    const probe = startProbe(pw, ['--room', 'idle']);
    const name = 'alto-send.idle';
    const node = await probe.node(name);
    const so = await waitFor(() => sourceOutput(pw, name), { message: 'the stream in pactl list source-outputs' });
    assert.equal(so.muted, false);
    assert.ok(!(await pw.links()).some((l) => l.inputNode === name), 'nothing linked');
    const dumpMute = async () => (await pw.dump()).find((o) => o.id === node.id)?.info?.params?.Props?.[0]?.mute;
    const shows = async (muted, what) => {
      await waitFor(async () => (await sourceOutput(pw, name))?.muted === muted, { message: `pactl to show ${what}` });
      await waitFor(async () => (await dumpMute()) === muted, { message: `pw-dump Props to show ${what}` });
    };

    probe.command('mute');
    await shows(true, 'the room mute');
    probe.command('unmute');
    await shows(false, 'the room unmute');
    probe.command('mute');
    await shows(true, 'the room mute again');
    probe.command('unmute');
    await shows(false, 'the room unmute again');

    // pavucontrol's button on the idle stream: alto follows, and pactl shows it
    await pw.run('pactl', ['set-source-output-mute', String(so.index), '1']);
    await probe.waitEvent((e) => e.event === 'mute' && e.muted === true, 'the stream to report muted');
    await shows(true, 'the pactl mute');
    await pw.run('pactl', ['set-source-output-mute', String(so.index), '0']);
    await waitFor(() => probe.events.filter((e) => e.event === 'mute').at(-1)?.muted === false, { message: 'the stream to report unmuted' });
    await shows(false, 'the pactl unmute');
    assert.ok(!(await pw.links()).some((l) => l.inputNode === name), 'still nothing linked');
    await probe.child.kill_group('SIGTERM');
    await pw.waitNodeGone(name);

    // (and the names a room session gives when its room is joined twice in one graph)
    const name2 = 'alto-send.idle2@shy';
    const shy = startProbe(pw, ['--room', 'idle2', '--muted', '--node-name', name2, '--description', 'LiveKit: idle2 (shy, send)']);
    const node2 = await shy.node(name2);
    assert.equal(node2.description, 'LiveKit: idle2 (shy, send)');
    assert.equal(node2.props['media.name'], 'LiveKit: idle2 (shy, send)');
    await waitFor(async () => (await sourceOutput(pw, name2))?.muted === true, { message: 'pactl to show --muted' });
    assert.equal((await pw.dump()).find((o) => o.id === node2.id)?.info?.params?.Props?.[0]?.mute, true);
    await shy.child.kill_group('SIGTERM');
    await pw.waitNodeGone(name2);
  });

  test('--source links that node; --muted starts muted', { timeout: 60000 }, async () => {
    // a stereo source: only its first channel is linked (FL+FR into one mono input would add 6 dB)
    const src = await pw.play({ freq: 660, amplitude: 0.25, seconds: 60, channels: 2 }, { nodeName: 'usb-mic' });
    const probe = startProbe(pw, ['--room', 'r2', '--source', 'usb-mic', '--muted', '--freq', '660']);
    const linked = await probe.waitEvent((e) => e.event === 'source_linked', 'the source to be linked');
    assert.equal(linked.name, 'usb-mic');
    const links = (await pw.links()).filter((l) => l.inputNode === 'alto-send.r2');
    assert.deepEqual(links.map((l) => l.output), ['usb-mic:output_FL']);
    assert.equal((await waitFor(() => sourceOutput(pw, 'alto-send.r2'), { message: 'pactl entry' })).muted, true);
    const quiet = await probe.levels(2);
    assert.ok(quiet.every((l) => l.muted && l.rms_dbfs < -100), 'started muted: silence');

    probe.command('unmute');
    await probe.levels(1);
    const on = await probe.levels(4);
    const level = bestTone(on);
    assert.ok(Math.abs(level - -12.04) < 1, `660 Hz from --source at ${level} dBFS, sent -12.04`);
    await src.stop();
  });
});
