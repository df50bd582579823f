/*
 * A bare LiveKit signaling client for the robustness tests: @livekit/protocol messages over a
 * `ws` socket, no WebRTC. Cheap enough to run dozens at once on 2 cores. It joins (legacy
 * `/rtc` or single-PC `/rtc/v1`), collects every SignalResponse, answers nothing, and can send
 * anything, including bytes that are not a SignalRequest at all.
 */
import WebSocket from 'ws';
import {
  SignalRequest, SignalResponse, JoinRequest, WrappedJoinRequest, WrappedJoinRequest_Compression,
  ClientInfo, ClientInfo_SDK, ConnectionSettings, LeaveRequest, LeaveRequest_Action, DisconnectReason,
} from '@livekit/protocol';

/** The query string an SDK would send for `mode` ('legacy' → /rtc, 'v1' → /rtc/v1). */
export function signalUrl(base, token, mode = 'legacy', { autoSubscribe = true } = {}) {
  const root = base.replace(/\/+$/, '');
  if (mode === 'v1') {
    const join = new JoinRequest({
      clientInfo: new ClientInfo({ sdk: ClientInfo_SDK.JS, version: '0.0.0-raw', protocol: 16 }),
      connectionSettings: new ConnectionSettings({ autoSubscribe }),
    });
    const wrapped = new WrappedJoinRequest({
      compression: WrappedJoinRequest_Compression.NONE,
      joinRequest: join.toBinary(),
    });
    const b64 = Buffer.from(wrapped.toBinary()).toString('base64url');
    return `${root}/rtc/v1?join_request=${encodeURIComponent(b64)}`;
  }
  const q = new URLSearchParams({
    access_token: token, auto_subscribe: autoSubscribe ? '1' : '0', sdk: 'js', version: '0.0.0-raw', protocol: '16',
  });
  return `${root}/rtc?${q}`;
}

/**
 * Try a WebSocket upgrade; resolves { status } when the server answers HTTP instead (401, 404..),
 * { open: true, ws } when it upgrades. Never rejects on a refusal.
 */
export function tryUpgrade(url, { token, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', () => resolve({ status: res.statusCode, body }));
    });
    ws.on('open', () => resolve({ open: true, ws }));
    ws.on('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e);
    });
  });
}

export class RawClient {
  constructor(ws) {
    this.ws = ws;
    this.responses = []; // decoded SignalResponse, in order
    this.undecodable = 0;
    this.textFrames = 0;
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('error', () => { /* 'close' follows */ });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.textFrames++;
        return;
      }
      let res;
      try {
        res = SignalResponse.fromBinary(new Uint8Array(data));
      } catch {
        this.undecodable++;
        return;
      }
      this.responses.push(res);
      this.waiters = this.waiters.filter((w) => !w(res));
    });
  }

  /** Resolves with the first response (already received or future) of this oneof case. */
  next(kase, timeoutMs = 10000) {
    const have = this.responses.find((r) => r.message.case === kase);
    if (have) return Promise.resolve(have.message.value);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${kase} within ${timeoutMs} ms`)), timeoutMs);
      this.closed.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`socket closed (${code}) before ${kase}`));
      });
      this.waiters.push((res) => {
        if (res.message.case !== kase) return false;
        clearTimeout(timer);
        resolve(res.message.value);
        return true;
      });
    });
  }

  send(kase, value) {
    this.ws.send(new SignalRequest({ message: { case: kase, value } }).toBinary(), { binary: true });
  }

  sendRaw(bytes, { binary = true } = {}) {
    this.ws.send(bytes, { binary });
  }

  /** A polite leave, as the SDKs do it: leave request, then close 1000. */
  async leave() {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.send('leave', new LeaveRequest({
        reason: DisconnectReason.CLIENT_INITIATED, action: LeaveRequest_Action.DISCONNECT,
      }));
      this.ws.close(1000);
    }
    await Promise.race([this.closed, new Promise((ok) => setTimeout(ok, 3000))]);
    this.ws.terminate();
  }

  /** Drop the TCP connection without any closing handshake (a crashed client). */
  terminate() {
    this.ws.terminate();
  }
}

/**
 * Join: open the signal socket and wait for JoinResponse. Resolves { client, join } or rejects
 * with the HTTP status / close code in the message.
 */
export async function rawJoin(base, token, { mode = 'legacy', autoSubscribe = true, timeoutMs = 10000 } = {}) {
  const r = await tryUpgrade(signalUrl(base, token, mode, { autoSubscribe }), { token, timeoutMs });
  if (!r.open) throw new Error(`join refused: HTTP ${r.status}`);
  const client = new RawClient(r.ws);
  const join = await client.next('join', timeoutMs).catch((e) => {
    client.terminate();
    throw e;
  });
  return { client, join };
}
