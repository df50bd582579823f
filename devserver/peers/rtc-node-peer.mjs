#!/usr/bin/env node
/**
 * An official-SDK test participant on @livekit/rtc-node.
 *
 *   ./run peer --url U --room R --identity I [--name N] [--tone HZ [--tone-right HZ] | --wav FILE]
 *              [--amplitude A] [--record DIR] [--duration S] [--api-key K] [--legacy]
 *              [--no-auto-subscribe] [--once] [--muted]
 *
 * The token is minted here from env LIVEKIT_API_SECRET (default `secret`) and --api-key (env
 * LIVEKIT_API_KEY, default `devkey`): no secret ever on the command line.
 * --tone HZ publishes a sine (amplitude --amplitude, default 0.25 = -12.04 dBFS) and --wav FILE
 * a 48 kHz mono 16-bit WAV (looped unless --once) as a microphone track (AudioSource +
 * LocalAudioTrack). --tone-right HZ makes it a stereo track: --tone in the left channel, this one
 * in the right (a 2-channel AudioSource), declared stereo (see "Stereo" below). --record DIR writes each remote participant's audio to DIR/<identity>.wav
 * (48 kHz mono; the header is kept valid while recording). --legacy joins with
 * singlePeerConnection=false (legacy /rtc, two PeerConnections).
 *
 * Control: a line on stdin `mute` / `unmute` / `unpublish` / `leave`; SIGUSR1 toggles mute. SIGINT/SIGTERM
 * or --duration leave the room cleanly (exit 0).
 * Output: one JSON object per line on stdout, {"event": ..., ...}: joined, participant_joined,
 * participant_left, track_published, track_unpublished, track_subscribed, track_unsubscribed,
 * track_muted, track_unmuted, local_track_published, local_track_unpublished, publishing, active_speakers, connection_quality, muted, unmuted, recording,
 * reconnecting, reconnected, disconnected, left, error. Diagnostics go to stderr.
 *
 * Stereo: rtc-node 1.1.0 encodes two channels when the server's answer asks for `stereo=1`, but
 * has no way to say that a track is stereo: TrackPublishOptions has no such field and its
 * AddTrackRequest goes out without `stereo` / TF_STEREO (seen with the dev server's --trace),
 * which is what livekit-server (and the dev server) key stereo on. With --tone-right the peer
 * therefore talks to the server through a signaling relay of its own (127.0.0.1, in this
 * process) that adds `stereo: true` and TF_STEREO to the SDK's AddTrackRequest, as livekit-client
 * sends them for a 2-channel track; every other message and all media are the SDK's own.
 */
import readline from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { mintToken } from '../src/token.mjs';
import { WavWriter, readWav } from '../testlib/wav.mjs';
import { SignalRequest, AudioTrackFeature } from '../src/proto.mjs';

// The SDK logs through pino on stdout at debug level unless NODE_ENV=production; it reads
// that when first imported, hence the dynamic imports. Its lines carry no "event" key.
if (!process.env.NODE_ENV) process.env.NODE_ENV = 'production';
const {
  Room, RoomEvent, AudioSource, AudioFrame, AudioStream, LocalAudioTrack, TrackPublishOptions, TrackSource,
  TrackKind, dispose,
} = await import('@livekit/rtc-node');
const { FfiRequest, FfiResponse, LocalTrackMuteRequest, livekitFfiRequest } = await import('@livekit/rtc-ffi-bindings');

const RATE = 48000;
const FRAME = 480; // 10 ms

function usage(msg) {
  if (msg) process.stderr.write(`peer: ${msg}\n`);
  process.stderr.write('usage: peer --url U --room R --identity I [--name N] [--tone HZ [--tone-right HZ] | --wav FILE] [--amplitude A]\n' +
    '            [--record DIR] [--duration S] [--api-key K] [--legacy] [--no-auto-subscribe] [--once] [--muted]\n');
  process.exit(2);
}

const o = { amplitude: 0.25, autoSubscribe: true, legacy: false, once: false, muted: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
  switch (a) {
    case '--url': o.url = val(); break;
    case '--room': o.room = val(); break;
    case '--identity': o.identity = val(); break;
    case '--name': o.name = val(); break;
    case '--tone': o.tone = Number(val()); break;
    case '--tone-right': o.toneRight = Number(val()); break;
    case '--wav': o.wav = val(); break;
    case '--amplitude': o.amplitude = Number(val()); break;
    case '--record': o.record = val(); break;
    case '--duration': o.duration = Number(val()); break;
    case '--api-key': o.apiKey = val(); break;
    case '--legacy': o.legacy = true; break;
    case '--no-auto-subscribe': o.autoSubscribe = false; break;
    case '--once': o.once = true; break;
    case '--muted': o.muted = true; break;
    case '-h': case '--help': usage(); break;
    default: usage(`unknown argument ${a}`);
  }
}
if (!o.url || !o.room || !o.identity) usage('--url, --room and --identity are required');
if (o.tone !== undefined && !(o.tone > 0 && o.tone < RATE / 2)) usage('bad --tone');
if (o.tone !== undefined && o.wav) usage('--tone and --wav exclude each other');
if (o.toneRight !== undefined && !(o.toneRight > 0 && o.toneRight < RATE / 2)) usage('bad --tone-right');
if (o.toneRight !== undefined && o.tone === undefined) usage('--tone-right needs --tone');
if (!(o.amplitude >= 0 && o.amplitude <= 1)) usage('bad --amplitude');

const emit = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...fields })}\n`);
const warn = (m) => process.stderr.write(`peer ${o.identity}: ${m}\n`);

// ---------------------------------------------------------------- audio to publish

let pcm = null; // Int16Array for --wav
if (o.wav) {
  try {
    const w = readWav(o.wav);
    if (w.sampleRate !== RATE) usage(`${o.wav}: ${w.sampleRate} Hz, need ${RATE}`);
    pcm = Int16Array.from(w.samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32768))));
  } catch (e) {
    usage(`cannot read --wav: ${e.message}`);
  }
}

const CHANNELS = o.toneRight !== undefined ? 2 : 1;
let running = true;
const phases = [0, 0];
let wavPos = 0;
/** One 10 ms frame, interleaved when stereo. */
function nextFrame() {
  const out = new Int16Array(FRAME * CHANNELS);
  if (o.tone !== undefined) {
    const freqs = [o.tone, o.toneRight];
    for (let c = 0; c < CHANNELS; c++) {
      const step = (2 * Math.PI * freqs[c]) / RATE;
      let phase = phases[c];
      for (let i = 0; i < FRAME; i++) {
        out[i * CHANNELS + c] = Math.round(Math.sin(phase) * o.amplitude * 32767);
        phase += step;
        if (phase > 2 * Math.PI) phase -= 2 * Math.PI;
      }
      phases[c] = phase;
    }
  } else if (pcm) {
    for (let i = 0; i < FRAME; i++) {
      if (wavPos >= pcm.length) {
        if (o.once) break;
        wavPos = 0;
      }
      out[i] = pcm[wavPos++];
    }
  }
  return out;
}

async function publishLoop(source) {
  while (running) {
    try {
      await source.captureFrame(new AudioFrame(nextFrame(), RATE, CHANNELS, FRAME));
    } catch (e) {
      if (running) warn(`captureFrame: ${e.message}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

// ---------------------------------------------------------------- recording

const recorders = new Map(); // track sid -> {writer, stream}
async function record(track, publication, participant) {
  if (!o.record || track.kind !== TrackKind.KIND_AUDIO) return;
  fs.mkdirSync(o.record, { recursive: true });
  const safe = participant.identity.replace(/[^A-Za-z0-9._-]/g, '_');
  let file = path.join(o.record, `${safe}.wav`);
  for (let n = 2; [...recorders.values()].some((r) => r.writer.path === file); n++) file = path.join(o.record, `${safe}-${n}.wav`);
  const writer = new WavWriter(file, RATE, 1);
  const stream = new AudioStream(track, { sampleRate: RATE, numChannels: 1 });
  const rec = { writer, stream, identity: participant.identity };
  recorders.set(publication.sid, rec);
  emit('recording', { identity: participant.identity, track: publication.sid, path: file });
  try {
    for await (const frame of stream) {
      if (!running) break;
      writer.write(frame.data);
    }
  } catch (e) {
    if (running) warn(`recording ${participant.identity}: ${e.message}`);
  } finally {
    writer.close();
  }
}

// ---------------------------------------------------------------- stereo signaling relay

/**
 * A WebSocket relay on 127.0.0.1 between the SDK and the server at `target` (see "Stereo" at
 * the top): every frame passes unchanged except the SDK's AddTrackRequests, which get
 * `stereo: true` and TF_STEREO. Plain HTTP requests (the SDK's /rtc/validate after a failed
 * connect) and refused upgrades (401, 404: the SDK falls back to /rtc on a 404) are passed
 * through with the server's status. Returns { url }.
 */
async function stereoRelay(target) {
  const up = new URL(target);
  const upHttp = `${up.protocol === 'wss:' ? 'https:' : 'http:'}//${up.host}`;
  const upWs = `${up.protocol === 'wss:' ? 'wss:' : 'ws:'}//${up.host}`;
  const server = http.createServer((req, res) => {
    const fwd = http.request(`${upHttp}${req.url}`, { method: req.method, headers: { ...req.headers, host: up.host } },
      (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    fwd.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(fwd);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const headers = {};
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const upstream = new WebSocket(`${upWs}${req.url}`, { headers });
    upstream.once('unexpected-response', (_r, res) => {
      socket.end(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      upstream.terminate();
    });
    upstream.once('error', () => socket.destroy());
    upstream.once('open', () => wss.handleUpgrade(req, socket, head, (client) => {
      const closeBoth = () => { client.terminate(); upstream.terminate(); };
      upstream.on('message', (data, binary) => client.readyState === WebSocket.OPEN && client.send(data, { binary }));
      client.on('message', (data, binary) => {
        let out = data;
        if (binary) {
          try {
            const msg = SignalRequest.fromBinary(new Uint8Array(data));
            if (msg.message.case === 'addTrack') {
              const add = msg.message.value;
              add.stereo = true;
              if (!add.audioFeatures.includes(AudioTrackFeature.TF_STEREO)) add.audioFeatures.push(AudioTrackFeature.TF_STEREO);
              out = Buffer.from(msg.toBinary());
              warn(`relay: AddTrackRequest ${add.cid} declared stereo`);
            }
          } catch { /* not a SignalRequest we know: pass it on as it is */ }
        }
        if (upstream.readyState === WebSocket.OPEN) upstream.send(out, { binary });
      });
      client.on('close', closeBoth);
      upstream.on('close', closeBoth);
      client.on('error', closeBoth);
      upstream.on('error', closeBoth);
    }));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  server.unref();
  return { url: `ws://127.0.0.1:${server.address().port}` };
}

// ---------------------------------------------------------------- room

const room = new Room();
let localTrack = null;
let muted = false;

function setMuted(m) {
  if (!localTrack) return;
  try {
    const req = new FfiRequest({ message: { case: 'localTrackMute',
      value: new LocalTrackMuteRequest({ trackHandle: localTrack.ffi_handle.handle, mute: m }) } });
    FfiResponse.fromBinary(livekitFfiRequest(req.toBinary()));
    muted = m;
    emit(m ? 'muted' : 'unmuted', { track: localTrack.sid });
  } catch (e) {
    emit('error', { message: `mute: ${e.message}` });
  }
}

const pinfo = (p) => ({ identity: p.identity, sid: p.sid, name: p.name });
room
  .on(RoomEvent.ParticipantConnected, (p) => emit('participant_joined', pinfo(p)))
  .on(RoomEvent.ParticipantDisconnected, (p) => emit('participant_left', pinfo(p)))
  .on(RoomEvent.TrackPublished, (pub, p) => emit('track_published', { identity: p.identity, track: pub.sid, source: pub.source, muted: pub.muted }))
  .on(RoomEvent.TrackUnpublished, (pub, p) => emit('track_unpublished', { identity: p.identity, track: pub.sid }))
  .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
    emit('track_subscribed', { identity: p.identity, track: pub.sid, kind: track.kind });
    record(track, pub, p);
  })
  .on(RoomEvent.TrackUnsubscribed, (_track, pub, p) => emit('track_unsubscribed', { identity: p.identity, track: pub.sid }))
  .on(RoomEvent.TrackMuted, (pub, p) => emit('track_muted', { identity: p.identity, track: pub.sid }))
  .on(RoomEvent.TrackUnmuted, (pub, p) => emit('track_unmuted', { identity: p.identity, track: pub.sid }))
  .on(RoomEvent.ConnectionQualityChanged, (quality, p) => emit('connection_quality', { identity: p.identity, quality }))
  .on(RoomEvent.ActiveSpeakersChanged, (speakers) => emit('active_speakers', { identities: speakers.map((p) => p.identity) }))
  .on(RoomEvent.Reconnecting, () => emit('reconnecting'))
  .on(RoomEvent.Reconnected, () => emit('reconnected'))
  .on(RoomEvent.Disconnected, (reason) => {
    emit('disconnected', { reason });
    if (running) shutdown(0, false);
  });

let publication = null;
async function unpublish() {
  if (!publication) return;
  const sid = publication.sid;
  publication = null;
  try {
    await room.localParticipant.unpublishTrack(sid);
    emit('local_track_unpublished', { track: sid });
  } catch (e) {
    emit('error', { message: `unpublish: ${e.message}` });
  }
}

let shuttingDown = false;
async function shutdown(code = 0, leave = true) {
  if (shuttingDown) return;
  shuttingDown = true;
  running = false;
  const force = setTimeout(() => process.exit(code), 5000);
  force.unref();
  try {
    if (leave) await room.disconnect();
  } catch (e) {
    warn(`disconnect: ${e.message}`);
  }
  for (const r of recorders.values()) {
    try { r.writer.close(); } catch { /* already */ }
  }
  emit('left');
  try { await dispose(); } catch { /* exiting anyway */ }
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
process.on('SIGUSR1', () => setMuted(!muted));
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'mute') setMuted(true);
  else if (cmd === 'unmute') setMuted(false);
  else if (cmd === 'leave') shutdown(0);
  else if (cmd === 'unpublish') unpublish();
  else if (cmd) warn(`unknown command ${cmd}`);
});

const apiKey = o.apiKey ?? process.env.LIVEKIT_API_KEY ?? 'devkey';
const apiSecret = process.env.LIVEKIT_API_SECRET || 'secret';
const token = await mintToken({ apiKey, apiSecret, identity: o.identity, name: o.name ?? o.identity,
  grant: { roomJoin: true, room: o.room, canPublish: true, canSubscribe: true, canPublishData: true } });

let relay = null;
try {
  const opts = { autoSubscribe: o.autoSubscribe, dynacast: false };
  if (o.legacy) opts.singlePeerConnection = false;
  let url = o.url;
  if (CHANNELS === 2) {
    relay = await stereoRelay(o.url);
    url = relay.url;
  }
  await room.connect(url, token, opts);
} catch (e) {
  emit('error', { message: `connect failed: ${e.message}` });
  await dispose().catch(() => {});
  process.exit(1);
}
emit('joined', { room: room.name, identity: room.localParticipant.identity, sid: room.localParticipant.sid,
  participants: [...room.remoteParticipants.values()].map(pinfo) });

if (o.tone !== undefined || pcm) {
  const source = new AudioSource(RATE, CHANNELS);
  localTrack = LocalAudioTrack.createAudioTrack('microphone', source);
  const options = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  publishLoop(source);
  try {
    const pub = await room.localParticipant.publishTrack(localTrack, options);
    publication = pub;
    emit('local_track_published', { track: pub.sid });
    const level = 20 * Math.log10(Math.max(o.amplitude, 1e-9));
    emit('publishing', { track: pub.sid, tone: o.tone, tone_right: o.toneRight, channels: CHANNELS, wav: o.wav,
      amplitude: o.amplitude, level_dbfs: Number(level.toFixed(2)) });
    if (o.muted) setMuted(true);
  } catch (e) {
    emit('error', { message: `publish failed: ${e.message}` });
  }
}

if (o.duration !== undefined) setTimeout(() => shutdown(0), o.duration * 1000);
