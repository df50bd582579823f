#!/usr/bin/env node
/*
 * Browser test peer: the official livekit-client SDK in Debian's headless Chromium, driven
 * through playwright-core. Joins a room, publishes an oscillator tone as the microphone
 * track, and prints one JSON object per line on stdout:
 *   {"event":"joined","room":..,"identity":..,"sid":..,"participants":[..]}
 *   {"event":"published","track_sid":..,"freq":660,"gain":0.5,"dbfs":-6.02}
 *   {"event":"track_subscribed","identity":..,"track_sid":..,"source":"microphone"}
 *   {"event":"levels","identity":..,"track_sid":..,"freq":440.1,"dbfs":-6.03,"total_dbfs":-6.02}
 *   {"event":"participant_connected"|"participant_disconnected"|"track_unsubscribed"|
 *    "disconnected"|"exit", ...}
 *   {"event":"error","stage":"connect","name":"ConnectionError","message":..,"reason":"NotAllowed","status":401}
 * Levels are AES17 dBFS (full-scale sine = 0 dBFS; see browser/analysis.js).
 *
 *   node browser-peer.mjs --room R --identity I [--url ws://HOST:7880] [--tone HZ] [--gain G]
 *        [--duration S] [--interval MS] [--no-red] [--no-dtx] [--verbose]
 *
 * The token is LIVEKIT_TOKEN from the environment if set, else minted here with
 * LIVEKIT_API_KEY / LIVEKIT_API_SECRET (default devkey / secret). Never on the command line.
 * The URL must name this machine's interface address, not loopback: libwebrtc gathers no
 * loopback ICE candidates (the default URL uses that address).
 *
 * Runs on one Node event loop; Chromium is a child process (its own process group, started
 * by Playwright) that exits when this process closes the debugging pipe, so it cannot outlive
 * the runner. SIGINT/SIGTERM or --duration: leave the room, close the browser, exit 0.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startStaticServer } from './browser/serve.mjs';
import { mintToken } from '../src/token.mjs';
import { interfaceAddress } from '../src/net.mjs';

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
];

const usage = `usage: browser-peer.mjs --room R --identity I [--url ws://HOST:PORT] [--tone HZ] [--gain G]
       [--duration S] [--interval MS] [--no-red] [--no-dtx] [--verbose]`;

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        room: { type: 'string' },
        identity: { type: 'string' },
        name: { type: 'string' },
        tone: { type: 'string', default: '0' },
        gain: { type: 'string', default: '0.5' },
        duration: { type: 'string' },
        interval: { type: 'string', default: '500' },
        'no-red': { type: 'boolean', default: false },
        'no-dtx': { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error(`${e.message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const num = (name, v, ok) => {
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) {
      console.error(`bad --${name} ${v}\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  if (!values.room || !values.identity) {
    console.error(`--room and --identity are required\n${usage}`);
    process.exit(2);
  }
  const ifa = interfaceAddress();
  const url = values.url ?? `ws://${ifa ?? '127.0.0.1'}:7880`;
  const host = new URL(url).hostname;
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]')
    console.error(`browser-peer: warning: ${url} is loopback; Chromium gathers no loopback ICE candidates, ` +
      `media will not connect unless the server advertises ${ifa ?? 'an interface address'}`);
  return {
    url,
    room: values.room,
    identity: values.identity,
    name: values.name,
    tone: num('tone', values.tone, (n) => n >= 0 && n < 24000),
    gain: num('gain', values.gain, (n) => n >= 0 && n <= 1),
    duration: values.duration === undefined ? undefined : num('duration', values.duration, (n) => n > 0),
    intervalMs: num('interval', values.interval, (n) => n >= 50),
    red: !values['no-red'],
    dtx: !values['no-dtx'],
    verbose: values.verbose,
  };
}

// Browser logs quote the signal URL, which carries the token: cut tokens out of everything logged.
const redact = (text) => String(text)
  .replace(/access_token=[^&\s'"]+/g, 'access_token=[redacted]')
  .replace(/join_request=[^&\s'"]+/g, 'join_request=[..]')
  .replace(/eyJ[\w-]*\.[\w-]+\.[\w-]+/g, '[token]');

const emit = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

async function main() {
  const opts = parse();
  const token = process.env.LIVEKIT_TOKEN || await mintToken({
    apiKey: process.env.LIVEKIT_API_KEY || 'devkey',
    apiSecret: process.env.LIVEKIT_API_SECRET || 'secret',
    identity: opts.identity,
    name: opts.name,
    grant: { roomJoin: true, room: opts.room, canPublish: true, canSubscribe: true, canPublishData: true },
    ttl: 6 * 3600,
  });

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'alto-browser-peer-'));
  let server, browser, page; // browser: the persistent BrowserContext
  let closing = null;

  const shutdown = (code) => {
    if (closing) return closing;
    closing = (async () => {
      const bounded = (p, ms) => Promise.race([p, new Promise((ok) => setTimeout(ok, ms))]).catch(() => {});
      if (page) await bounded(page.evaluate(() => window.altoPeer.stop()), 5000);
      if (browser) await bounded(browser.close(), 5000);
      if (server) await bounded(server.close(), 2000);
      fs.rmSync(profile, { recursive: true, force: true });
      emit({ event: 'exit', code });
      process.exit(code);
    })();
    return closing;
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => shutdown(0));

  try {
    server = await startStaticServer({ host: '127.0.0.1', port: 0 });
    // A persistent context on a fresh profile folder of our own: removed on every way out.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.ALTO_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    });
    browser.on('close', () => {
      if (!closing) {
        emit({ event: 'error', message: 'browser exited' });
        shutdown(1);
      }
    });
    page = await browser.newPage();
    page.on('console', (m) => {
      if (opts.verbose || m.type() === 'error') console.error(`browser ${m.type()}: ${redact(m.text())}`);
    });
    page.on('pageerror', (e) => console.error(`browser page error: ${redact(e.message)}`));
    await page.exposeFunction('altoReport', (obj) => emit(JSON.parse(redact(JSON.stringify(obj)))));
    await page.goto(server.url);
    const joined = await page.evaluate((o) => window.altoPeer.start(o), {
      url: opts.url, token, tone: opts.tone, gain: opts.gain, intervalMs: opts.intervalMs,
      red: opts.red, dtx: opts.dtx,
    });
    if (!joined) return shutdown(1); // the page reported why
  } catch (e) {
    // Playwright wraps page errors; keep the first line, which carries the SDK's message.
    const message = redact(String(e?.message ?? e).split('\n')[0]);
    emit({ event: 'error', message });
    return shutdown(1);
  }
  if (opts.duration !== undefined) setTimeout(() => shutdown(0), opts.duration * 1000);
}

main();
