/**
 * A bare LiveKit signaling client for tests (no media): connects to /rtc/v1 or /rtc,
 * collects every SignalResponse, sends SignalRequests. Used to test the server's signaling
 * directly and to play a misbehaving client.
 */
import WebSocket from 'ws';
import { gzipSync } from 'node:zlib';
import * as lk from '@livekit/protocol';

const { SignalRequest, SignalResponse, JoinRequest, WrappedJoinRequest, WrappedJoinRequest_Compression,
  ClientInfo, ClientInfo_SDK, ConnectionSettings } = lk;
export { lk };

/**
 * Open a signaling socket. Resolves with a SignalClient once the socket is open, rejects
 * with an Error carrying .status when the server answers the upgrade with an HTTP error.
 * opts: {v1=true, gzip=false, autoSubscribe=true, reconnect=false, sid, query: {k: v},
 *        tokenIn: 'header'|'query'|'both', publisherOffer: {sdp, id}}
 */
export function connectSignal(url, token, opts = {}) {
  const v1 = opts.v1 !== false;
  const u = new URL(url.replace(/^http/, 'ws'));
  u.pathname = v1 ? '/rtc/v1' : '/rtc';
  const tokenIn = opts.tokenIn ?? 'header';
  if (tokenIn !== 'header') u.searchParams.set('access_token', token);
  if (v1) {
    const jr = new JoinRequest({
      clientInfo: new ClientInfo({ sdk: ClientInfo_SDK.NODE, protocol: 17, version: 'test' }),
      connectionSettings: new ConnectionSettings({ autoSubscribe: opts.autoSubscribe !== false }),
      reconnect: !!opts.reconnect,
      participantSid: opts.sid ?? '',
      publisherOffer: opts.publisherOffer ? new lk.SessionDescription({ type: 'offer', ...opts.publisherOffer }) : undefined,
    });
    let bytes = jr.toBinary();
    if (opts.gzip) bytes = gzipSync(bytes);
    const w = new WrappedJoinRequest({ compression: opts.gzip ? WrappedJoinRequest_Compression.GZIP : WrappedJoinRequest_Compression.NONE,
      joinRequest: bytes });
    u.searchParams.set('join_request', Buffer.from(w.toBinary()).toString('base64url'));
  } else {
    u.searchParams.set('protocol', '17');
    u.searchParams.set('sdk', 'node');
    u.searchParams.set('auto_subscribe', opts.autoSubscribe === false ? '0' : '1');
    if (opts.reconnect) {
      u.searchParams.set('reconnect', '1');
      if (opts.sid) u.searchParams.set('sid', opts.sid);
    }
  }
  for (const [k, v] of Object.entries(opts.query ?? {})) u.searchParams.set(k, v);
  const headers = tokenIn !== 'query' ? { Authorization: `Bearer ${token}` } : {};
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(u.toString(), { headers, perMessageDeflate: false });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        const e = new Error(`HTTP ${res.statusCode}: ${body.trim()}`);
        e.status = res.statusCode;
        e.body = body;
        reject(e);
      });
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(new SignalClient(ws));
    });
  });
}

export class SignalClient {
  constructor(ws) {
    this.ws = ws;
    /** every SignalResponse received, in order */
    this.messages = [];
    this.waiters = new Set();
    this.closed = false;
    this.closeInfo = null;
    ws.on('message', (data, isBinary) => {
      let res;
      try {
        res = isBinary ? SignalResponse.fromBinary(new Uint8Array(data)) : SignalResponse.fromJsonString(data.toString());
      } catch {
        return;
      }
      this.messages.push(res);
      for (const w of this.waiters) w.check(res);
    });
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.closeInfo = { code, reason: reason.toString() };
      for (const w of this.waiters) w.closed();
    });
    ws.on('error', () => {});
  }

  /**
   * Wait for a response whose message.case is kase (and pred(value) holds), counting the
   * ones already received unless {fresh: true}. Resolves with the value.
   */
  waitFor(kase, pred = () => true, ms = 10_000, { fresh = false } = {}) {
    const test = (res) => res.message.case === kase && pred(res.message.value);
    if (!fresh) {
      const seen = this.messages.find(test);
      if (seen) return Promise.resolve(seen.message.value);
    }
    return new Promise((resolve, reject) => {
      const w = {
        check: (res) => { if (test(res)) { done(); resolve(res.message.value); } },
        closed: () => { done(); reject(new Error(`socket closed while waiting for ${kase}`)); },
      };
      const t = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${kase}`)); }, ms);
      const done = () => { clearTimeout(t); this.waiters.delete(w); };
      this.waiters.add(w);
      if (this.closed) w.closed();
    });
  }

  /** Resolves when the socket is closed (with {code, reason}). */
  waitClosed(ms = 10_000) {
    if (this.closed) return Promise.resolve(this.closeInfo);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('socket not closed')), ms);
      this.ws.once('close', () => { clearTimeout(t); resolve(this.closeInfo); });
    });
  }

  send(kase, value) {
    const req = new SignalRequest({ message: { case: kase, value } });
    this.ws.send(req.toBinary(), { binary: true });
  }

  sendRaw(bytes, binary = true) {
    this.ws.send(bytes, { binary });
  }

  leave() {
    this.send('leave', new lk.LeaveRequest({ reason: lk.DisconnectReason.CLIENT_INITIATED, action: lk.LeaveRequest_Action.DISCONNECT }));
    this.ws.close(1000);
  }

  close() {
    try { this.ws.terminate(); } catch { /* gone */ }
  }
}
