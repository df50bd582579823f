/**
 * Which local addresses the dev server's media (ICE/UDP) uses.
 *
 * libwebrtc (rtc-node, Chromium) gathers no loopback candidates, so a server that only offered
 * 127.0.0.1 would never connect to them: we also listen on and advertise this machine's first
 * non-internal IPv4 interface address. Clients on loopback (alto, libnice) reach either.
 * Nothing here ever names another host.
 */
import os from 'node:os';

/** The first non-internal IPv4 address of this machine, or undefined. */
export function interfaceAddress() {
  const ifs = os.networkInterfaces();
  for (const name of Object.keys(ifs).sort()) {
    for (const a of ifs[name] ?? []) {
      const v4 = a.family === 'IPv4' || a.family === 4;
      if (v4 && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return undefined;
}

let cached = null;
let cachedAt = 0;

/** Every IPv4 address that belongs to this machine (loopback included); re-read every 5 s. */
export function localAddresses() {
  if (cached && Date.now() - cachedAt < 5000) return cached;
  const out = new Set(['127.0.0.1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' || a.family === 4) out.add(a.address);
  }
  cached = out;
  cachedAt = Date.now();
  return out;
}

/** The addresses ICE host candidates are gathered on: loopback plus the interface address. */
export function mediaAddresses() {
  const list = ['127.0.0.1'];
  const ifa = interfaceAddress();
  if (ifa) list.push(ifa);
  return list;
}

/** True for an address of this machine (127/8 or one of its interface addresses). */
export function isLocalAddress(addr) {
  if (typeof addr !== 'string') return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a.startsWith('127.') || a === '::1' || localAddresses().has(a);
}
