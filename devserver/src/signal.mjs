/**
 * One signaling WebSocket: decodes SignalRequest frames, encodes SignalResponse frames,
 * answers both ping styles itself (as livekit-server does, before anything else sees them)
 * and traces every message.
 *
 * Binary frames carry protobuf. A text frame switches the connection to protobuf JSON, as
 * the real server does. A frame that does not decode closes this socket (1007) and nothing
 * else; handler exceptions are caught and logged, never thrown into ws.
 */
import { SignalRequest, Pong, response, toJson } from './proto.mjs';

export class SignalConnection {
  /**
   * ws: a `ws` WebSocket. tracer: Tracer. who(): {room, identity, sid} for the trace.
   * onRequest(req): called for every decoded request except pings.
   * onClose(code, reason): once, when the socket is gone.
   */
  constructor(ws, { tracer, who, log }) {
    this.ws = ws;
    this.tracer = tracer;
    this.who = who;
    this.log = log ?? (() => {});
    this.json = false;
    this.closed = false;
    this.onRequest = () => {};
    this.onClose = () => {};
    this.lastReceived = Date.now();
    ws.on('message', (data, isBinary) => this.#receive(data, isBinary));
    ws.on('close', (code, reason) => this.#closed(code, reason?.toString?.() ?? ''));
    ws.on('error', (err) => {
      this.log(`signal socket error: ${err.message}`);
      this.close(1011, 'socket error');
    });
  }

  #receive(data, isBinary) {
    if (this.closed) return;
    this.lastReceived = Date.now();
    let req;
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) {
        req = SignalRequest.fromBinary(buf);
      } else {
        req = SignalRequest.fromJsonString(buf.toString('utf8'), { ignoreUnknownFields: true });
        this.json = true;
      }
    } catch (e) {
      this.tracer.log('in', this.who(), { undecodable: true, bytes: data?.length ?? 0, error: String(e.message) });
      this.log(`closing signal socket: undecodable frame (${e.message})`);
      this.close(1007, 'undecodable frame');
      return;
    }
    if (this.tracer.enabled) this.tracer.log('in', this.who(), toJson(req));
    const m = req.message;
    try {
      if (m.case === 'ping') {
        this.send(response('pong', BigInt(Date.now())));
      } else if (m.case === 'pingReq') {
        this.send(response('pongResp', new Pong({ lastPingTimestamp: m.value.timestamp, timestamp: BigInt(Date.now()) })));
      }
      this.onRequest(req);
    } catch (e) {
      this.log(`error handling ${m.case}: ${e.stack ?? e}`);
    }
  }

  /** Send a SignalResponse. Returns false when the socket is gone. */
  send(res) {
    if (this.closed || this.ws.readyState !== 1) return false;
    if (this.tracer.enabled) this.tracer.log('out', this.who(), toJson(res));
    try {
      if (this.json) this.ws.send(res.toJsonString());
      else this.ws.send(res.toBinary(), { binary: true });
      return true;
    } catch (e) {
      this.log(`send failed: ${e.message}`);
      return false;
    }
  }

  close(code = 1000, reason = '') {
    if (this.closed) return;
    try {
      this.ws.close(code, reason);
    } catch {
      /* already closing */
    }
    // a peer that never completes the closing handshake must not keep the socket forever
    const ws = this.ws;
    setTimeout(() => { try { ws.terminate(); } catch { /* gone */ } }, 2000).unref();
    this.#closed(code, reason);
  }

  #closed(code, reason) {
    if (this.closed) return;
    this.closed = true;
    this.tracer.log('in', this.who(), { socketClosed: { code, reason } });
    try {
      this.onClose(code, reason);
    } catch (e) {
      this.log(`error in close handler: ${e.stack ?? e}`);
    }
  }
}

