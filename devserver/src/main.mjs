#!/usr/bin/env node
/**
 * `./run devserver [--host H] [--port 7880] [--trace [FILE]] [--legacy-only] [--api-key K]
 *                  [--api-secret-file F] [--verbose]`
 *
 * A LiveKit-compatible dev server. The API secret comes from the environment variable
 * LIVEKIT_API_SECRET or from --api-secret-file, never from the command line; without either
 * the `livekit-server --dev` pair devkey/secret is used.
 * Prints exactly one line `listening on ws://H:PORT` on stdout when ready; logs go to stderr.
 * SIGINT/SIGTERM: participants get leave{SERVER_SHUTDOWN}, sockets and PeerConnections close.
 */
import fs from 'node:fs';
import { DevServer } from './server.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`devserver: ${msg}\n`);
  process.stderr.write('usage: devserver [--host H] [--port 7880] [--trace [FILE]] [--legacy-only] ' +
    '[--api-key K] [--api-secret-file F] [--verbose]\n' +
    '                 [--join-timeout S] [--offer-timeout S] [--resume-window S]\n' +
    '  secret: env LIVEKIT_API_SECRET, or --api-secret-file (default devkey/secret)\n');
  process.exit(msg ? 2 : 0);
}

const opts = { host: '127.0.0.1', port: 7880, trace: false, legacyOnly: false, apiKey: null, secretFile: null, verbose: false,
  timeouts: {} };
const seconds = (v, name) => {
  const n = Number(v);
  if (!(n > 0 && n < 86400)) usage(`bad ${name}`);
  return Math.round(n * 1000);
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => {
    if (i + 1 >= argv.length) usage(`${a} needs a value`);
    return argv[++i];
  };
  switch (a) {
    case '--host': opts.host = next(); break;
    case '--port': {
      const v = Number.parseInt(next(), 10);
      if (!Number.isInteger(v) || v < 0 || v > 65535) usage('bad --port');
      opts.port = v;
      break;
    }
    case '--trace':
      opts.trace = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : true;
      break;
    case '--legacy-only': opts.legacyOnly = true; break;
    case '--api-key': opts.apiKey = next(); break;
    case '--api-secret-file': opts.secretFile = next(); break;
    case '--verbose': case '-v': opts.verbose = true; break;
    // deadlines, for tests that cannot wait for livekit-server's 60/15/20 s
    case '--join-timeout': opts.timeouts.joinDeadlineMs = seconds(next(), a); break;
    case '--offer-timeout': opts.timeouts.offerTimeoutMs = seconds(next(), a); break;
    case '--resume-window': opts.timeouts.resumeWindowMs = seconds(next(), a); break;
    case '--help': case '-h': usage(); break;
    default: usage(`unknown argument ${a}`);
  }
}

let secret = process.env.LIVEKIT_API_SECRET;
if (opts.secretFile) {
  try {
    secret = fs.readFileSync(opts.secretFile, 'utf8').trim();
  } catch (e) {
    usage(`cannot read --api-secret-file: ${e.code ?? e.message}`);
  }
}
const apiKey = opts.apiKey ?? process.env.LIVEKIT_API_KEY ?? 'devkey';
if (!secret) secret = 'secret';
if (secret.length === 0) usage('empty API secret');

const log = opts.verbose ? (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) : () => {};
const server = new DevServer({ host: opts.host, port: opts.port, keys: new Map([[apiKey, secret]]),
  legacyOnly: opts.legacyOnly, trace: opts.trace, log, ...opts.timeouts });

process.on('uncaughtException', (e) => {
  process.stderr.write(`devserver: uncaught exception (kept running): ${e.stack ?? e}\n`);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(`devserver: unhandled rejection (kept running): ${e?.stack ?? e}\n`);
});

try {
  await server.listen();
} catch (e) {
  process.stderr.write(`devserver: cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}\n`);
  process.exit(1);
}
process.stdout.write(`listening on ${server.url}\n`);

let stopping = false;
async function stop(sig) {
  if (stopping) return;
  stopping = true;
  log(`${sig}: shutting down`);
  const force = setTimeout(() => process.exit(0), 3000);
  force.unref();
  try {
    await server.close();
  } catch (e) {
    process.stderr.write(`devserver: error while closing: ${e.message}\n`);
  }
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
