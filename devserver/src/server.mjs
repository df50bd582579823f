/**
 * The dev server: HTTP + WebSocket endpoints of livekit-server's signaling (`/rtc/v1`,
 * legacy `/rtc`, both `validate`), token checks, rooms, and shutdown.
 *
 * Status codes as the real server: 200 "success" on validate, 401 bad token or permission,
 * 400 bad parameters (undecodable join_request, empty identity), 404 for a plain GET on /rtc,
 * for unknown paths, and for everything under /rtc/v1 with --legacy-only (servers before
 * 1.9.10 did not have it; the SDKs fall back to /rtc on that 404).
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { verifyToken, joinGrants, TokenError } from './token.mjs';
import { Tracer } from './trace.mjs';
import { SignalConnection } from './signal.mjs';
import { Room } from './room.mjs';
import { Participant } from './participant.mjs';
import { WrappedJoinRequest, WrappedJoinRequest_Compression, JoinRequest, ClientInfo, ClientInfo_SDK,
  response, LeaveRequest, LeaveRequest_Action, DisconnectReason } from './proto.mjs';
import { newId } from './ids.mjs';
import { createRtc } from './media/index.mjs';
import { mediaAddresses, isLocalAddress } from './net.mjs';
import { openPeerConnections } from './media/pc-side.mjs';

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** base64url or base64, padded or not. Throws on anything else. */
function decodeBase64Any(s) {
  if (!/^[A-Za-z0-9\-_+/]*={0,2}$/.test(s)) throw new Error('not base64');
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function boolParam(v, dflt) {
  if (v === null || v === undefined || v === '') return dflt;
  return v === '1' || v === 'true';
}

const SDK_NAMES = { js: ClientInfo_SDK.JS, swift: ClientInfo_SDK.SWIFT, android: ClientInfo_SDK.ANDROID,
  flutter: ClientInfo_SDK.FLUTTER, go: ClientInfo_SDK.GO, unity: ClientInfo_SDK.UNITY, rust: ClientInfo_SDK.RUST,
  python: ClientInfo_SDK.PYTHON, cpp: ClientInfo_SDK.CPP, node: ClientInfo_SDK.NODE, esp32: ClientInfo_SDK.ESP32 };

export class DevServer {
  /**
   * opts: {host='127.0.0.1', port=7880 (0 = any free), keys: Map apiKey->secret,
   *        legacyOnly=false, trace=false|true|'-'|path, log=(line)=>void, mediaAddresses,
   *        joinDeadlineMs=60000, offerTimeoutMs=15000, resumeWindowMs=20000}
   */
  constructor(opts = {}) {
    this.host = opts.host ?? '127.0.0.1';
    this.port = opts.port ?? 7880;
    this.keys = opts.keys ?? new Map([['devkey', 'secret']]);
    this.legacyOnly = !!opts.legacyOnly;
    this.tracer = new Tracer(opts.trace);
    this.log = opts.log ?? (() => {});
    this.version = this.legacyOnly ? '1.9.0' : '1.9.10';
    this.nodeId = newId('ND_');
    this.mediaAddresses = opts.mediaAddresses ?? mediaAddresses();
    // deadlines (livekit-server's values; tests may shorten them)
    this.joinDeadlineMs = opts.joinDeadlineMs ?? 60_000;
    this.offerTimeoutMs = opts.offerTimeoutMs ?? 15_000;
    this.resumeWindowMs = opts.resumeWindowMs ?? 20_000;
    /** name -> Room */
    this.rooms = new Map();
    this.conns = new Set();
    this.loopDelay = monitorEventLoopDelay({ resolution: 10 });
    this.loopDelay.enable();
    this.http = http.createServer((req, res) => this.#onRequest(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
    this.http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.http.on('clientError', (err, socket) => { try { socket.destroy(); } catch { /* gone */ } });
  }

  async listen() {
    await new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.port, this.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    this.port = this.http.address().port;
    return this;
  }

  get url() {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${h}:${this.port}`;
  }

  /** Tell every participant the server is going away, close every socket and PeerConnection. */
  async close() {
    for (const room of [...this.rooms.values()]) {
      for (const p of [...room.participants.values()]) p.close(DisconnectReason.SERVER_SHUTDOWN, LeaveRequest_Action.DISCONNECT);
    }
    for (const c of this.conns) c.close(1001, 'server shutdown');
    for (const ws of this.wss.clients) { try { ws.terminate(); } catch { /* gone */ } }
    await new Promise((r) => this.wss.close(() => r()));
    this.http.closeAllConnections?.();
    await new Promise((r) => this.http.close(() => r()));
    this.tracer.close();
    this.loopDelay.disable();
  }

  /** What /debug/stats answers (not in livekit-server): counts to spot leaks in tests. */
  stats() {
    let participants = 0;
    for (const r of this.rooms.values()) participants += r.participants.size;
    const mem = process.memoryUsage();
    return { rooms: this.rooms.size, participants, peerConnections: openPeerConnections, signalConnections: this.conns.size,
      rssMb: Math.round(mem.rss / 1048576), heapUsedMb: Math.round(mem.heapUsed / 1048576),
      eventLoopDelayMs: { p50: Math.round(this.loopDelay.percentile(50) / 1e6), p99: Math.round(this.loopDelay.percentile(99) / 1e6),
        max: Math.round(this.loopDelay.max / 1e6) } };
  }

  deleteRoom(room) {
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
  }

  // ---------------------------------------------------------------- HTTP

  #route(url) {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/rtc' || path === '/rtc/v1') {
      if (path === '/rtc/v1' && this.legacyOnly) return null;
      return { kind: 'rtc', v1: path === '/rtc/v1' };
    }
    if (path === '/rtc/validate' || path === '/rtc/v1/validate') {
      if (path === '/rtc/v1/validate' && this.legacyOnly) return null;
      return { kind: 'validate', v1: path === '/rtc/v1/validate' };
    }
    if (path === '/') return { kind: 'health' };
    if (path === '/debug/stats') return { kind: 'stats' };
    if (path === '/debug/drop-signal') return { kind: 'drop' };
    if (path === '/debug/mute') return { kind: 'mute' };
    return null;
  }

  async #onRequest(req, res) {
    const send = (status, body) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Access-Control-Allow-Origin': '*' });
      res.end(body);
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = this.#route(url);
      if (!route || route.kind === 'rtc') return send(404, '404 page not found\n');
      if (route.kind === 'health') return send(200, 'OK');
      if (route.kind === 'drop') {
        // tests: cut a participant's signaling socket without a leave, as a network fault would
        const p = this.rooms.get(url.searchParams.get('room') ?? '')?.participants.get(url.searchParams.get('identity') ?? '');
        if (!p?.conn) return send(404, 'no such connected participant\n');
        p.conn.ws.terminate();
        return send(200, 'dropped');
      }
      if (route.kind === 'mute') {
        // tests: a mute decided by the server, as RoomService.MutePublishedTrack; only from this machine
        if (!isLocalAddress(req.socket.remoteAddress)) return send(403, 'debug endpoints answer local clients only\n');
        const q = url.searchParams;
        const muted = q.get('muted');
        if (muted !== '1' && muted !== '0') return send(400, 'muted must be 1 or 0\n');
        const p = this.rooms.get(q.get('room') ?? '')?.participants.get(q.get('identity') ?? '');
        if (!p) return send(404, 'no such participant\n');
        const sid = p.serverMute(q.get('track') ?? '', muted === '1');
        if (!sid) return send(404, 'no such published track\n');
        return send(200, JSON.stringify({ track: sid, muted: muted === '1' }));
      }
      if (route.kind === 'stats') {
        // ?gc=1 collects garbage first when node runs with --expose-gc (leak hunting);
        // `collected` says whether it did, so a leak check cannot pass on uncollected numbers
        const collect = url.searchParams.get('gc') === '1' && typeof globalThis.gc === 'function';
        if (collect) globalThis.gc();
        return send(200, JSON.stringify({ ...this.stats(), collected: collect }));
      }
      await this.#validate(req, url);
      return send(200, 'success');
    } catch (e) {
      if (e instanceof HttpError || e instanceof TokenError) return send(e.status, `${e.message}\n`);
      this.log(`http error: ${e.stack ?? e}`);
      return send(500, 'internal error\n');
    }
  }

  /**
   * Check a connect request as livekit-server's validateInternal does. Returns
   * {claims, grants, apiKey, v1, joinRequest|null, query}.
   */
  async #validate(req, url) {
    const q = url.searchParams;
    let token = q.get('access_token');
    const auth = req.headers.authorization;
    if (auth && /^Bearer\s+/i.test(auth)) token = auth.replace(/^Bearer\s+/i, '').trim();
    const claims = await verifyToken(token, this.keys);
    let joinRequest = null;
    const wrapped = q.get('join_request');
    if (wrapped) {
      let bytes;
      try {
        const w = WrappedJoinRequest.fromBinary(decodeBase64Any(wrapped));
        bytes = w.compression === WrappedJoinRequest_Compression.GZIP ? gunzipSync(w.joinRequest, { maxOutputLength: 4 << 20 }) : w.joinRequest;
        joinRequest = JoinRequest.fromBinary(bytes);
      } catch (e) {
        throw new HttpError(400, `cannot decode join request: ${e.message}`);
      }
    }
    const grants = joinGrants(claims, q.get('room') ?? '');
    return { claims, grants, apiKey: claims.iss, joinRequest, query: q };
  }

  // ---------------------------------------------------------------- WebSocket

  #reject(socket, status, message) {
    const body = `${message}\n`;
    const reason = http.STATUS_CODES[status] ?? 'Error';
    try {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    } catch { /* gone */ }
  }

  async #onUpgrade(req, socket, head) {
    socket.on('error', () => {});
    let ctx;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = this.#route(url);
      if (!route || route.kind !== 'rtc') {
        this.tracer.log('in', null, { rejected: { status: 404, path: url.pathname } });
        return this.#reject(socket, 404, '404 page not found');
      }
      ctx = await this.#validate(req, url);
      ctx.v1 = route.v1 || !!ctx.joinRequest;
      if (route.v1 && !ctx.joinRequest) throw new HttpError(400, 'join_request missing');
    } catch (e) {
      if (e instanceof HttpError || e instanceof TokenError) {
        this.tracer.log('in', null, { rejected: { status: e.status, error: e.message, path: req.url?.split('?')[0] } });
        return this.#reject(socket, e.status, e.message);
      }
      this.log(`upgrade error: ${e.stack ?? e}`);
      return this.#reject(socket, 500, 'internal error');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        this.#onSocket(ws, ctx);
      } catch (e) {
        this.log(`join failed: ${e.stack ?? e}`);
        try { ws.close(1011, 'join failed'); } catch { /* gone */ }
      }
    });
  }

  #onSocket(ws, ctx) {
    const { grants, joinRequest: jr, query: q } = ctx;
    let participant = null;
    const conn = new SignalConnection(ws, {
      tracer: this.tracer,
      who: () => participant ? participant.who() : { room: grants.room, identity: grants.identity },
      log: (m) => this.log(`[${grants.room}/${grants.identity}] ${m}`),
    });
    this.conns.add(conn);
    ws.on('close', () => this.conns.delete(conn));

    const reconnect = jr ? jr.reconnect : boolParam(q.get('reconnect'), false);
    const wantSid = jr ? jr.participantSid : (q.get('sid') ?? '');
    this.tracer.log('in', { room: grants.room, identity: grants.identity }, {
      connect: { mode: ctx.v1 ? 'v1' : 'legacy', reconnect, sid: wantSid || undefined } });

    let room = this.rooms.get(grants.room);
    const existing = room?.participants.get(grants.identity);
    if (reconnect) {
      if (existing && !existing.closed && (!wantSid || existing.sid === wantSid)) {
        participant = existing;
        existing.resume(conn, jr);
        return;
      }
      // resuming a participant the room no longer has: ask for a full reconnect
      conn.send(response('leave', new LeaveRequest({ canReconnect: true, reason: DisconnectReason.STATE_MISMATCH,
        action: LeaveRequest_Action.RECONNECT })));
      conn.close(1000, '');
      return;
    }
    if (existing) existing.close(DisconnectReason.DUPLICATE_IDENTITY, LeaveRequest_Action.DISCONNECT);
    room = this.rooms.get(grants.room);
    if (!room) {
      room = new Room(this, grants.room);
      this.rooms.set(room.name, room);
    }
    let clientInfo, autoSubscribe, protocol;
    if (jr) {
      clientInfo = jr.clientInfo ?? new ClientInfo();
      autoSubscribe = jr.connectionSettings ? jr.connectionSettings.autoSubscribe : true;
      protocol = clientInfo.protocol;
    } else {
      protocol = Number.parseInt(q.get('protocol') ?? '0', 10) || 0;
      clientInfo = new ClientInfo({ sdk: SDK_NAMES[q.get('sdk') ?? ''] ?? ClientInfo_SDK.UNKNOWN,
        version: q.get('version') ?? '', protocol, os: q.get('os') ?? '', osVersion: q.get('os_version') ?? '',
        deviceModel: q.get('device_model') ?? '' });
      autoSubscribe = boolParam(q.get('auto_subscribe'), true);
    }
    participant = new Participant(this, room, {
      grants, claims: ctx.claims, apiKey: ctx.apiKey, singlePc: ctx.v1, clientInfo, autoSubscribe, protocol,
      createRtc: (p) => createRtc(p, this),
    });
    room.add(participant);
    participant.log(`joined (${ctx.v1 ? 'single PC' : 'legacy'}, protocol ${protocol}, auto_subscribe ${autoSubscribe})`);
    participant.start(conn, jr);
  }
}
