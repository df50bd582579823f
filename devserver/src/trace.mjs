/**
 * --trace: every signaling message both ways as one JSON line
 * {"ts","dir":"in"|"out","room","identity","sid","msg"} on stderr or in a file.
 * Tokens are redacted (refresh_token, access tokens in URLs).
 */
import fs from 'node:fs';
import { redactToken } from './token.mjs';

export class Tracer {
  /** dest: false (off), true or '-' (stderr), or a file path. */
  constructor(dest) {
    this.enabled = !!dest;
    if (!this.enabled) return;
    this.stream = dest === true || dest === '-' ? process.stderr : fs.createWriteStream(dest, { flags: 'a' });
  }

  /** who: {room, identity, sid}; msg: a protobuf-JSON object or a note. */
  log(dir, who, msg) {
    if (!this.enabled) return;
    let m = msg;
    if (m && typeof m === 'object' && typeof m.refreshToken === 'string')
      m = { ...m, refreshToken: redactToken(m.refreshToken) };
    const line = { ts: new Date().toISOString(), dir, room: who?.room, identity: who?.identity, sid: who?.sid, msg: m };
    try {
      this.stream.write(JSON.stringify(line) + '\n');
    } catch { /* a trace must never take the server down */ }
  }

  close() {
    if (this.enabled && this.stream !== process.stderr) this.stream.end();
  }
}
