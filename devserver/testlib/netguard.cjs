/**
 * Preload (node --require) that reports, on stderr, every attempt of the process to reach a
 * host that is not this machine: DNS lookups of names (not addresses, not localhost), UDP
 * datagrams and TCP connections to non-local addresses. Lines start with "netguard:". The
 * attempt itself is not blocked (the sandbox does that); tests assert there is none.
 */
'use strict';
const os = require('os');
const dns = require('dns');
const dgram = require('dgram');
const net = require('net');
const Module = require('module');

function localAddresses() {
  const out = new Set(['127.0.0.1', '::1', '0.0.0.0', '::']);
  for (const list of Object.values(os.networkInterfaces())) for (const a of list || []) out.add(a.address);
  return out;
}
function isLocal(addr) {
  if (typeof addr !== 'string' || addr === '') return true; // default: localhost
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === 'localhost' || a.startsWith('127.') || localAddresses().has(a);
}
function report(what) {
  try { process.stderr.write(`netguard: ${what}\n`); } catch { /* exiting */ }
}

const lookup = dns.lookup;
dns.lookup = function guardedLookup(host, ...rest) {
  if (typeof host === 'string' && net.isIP(host) === 0 && host !== 'localhost') report(`dns lookup ${host}`);
  return lookup.call(this, host, ...rest);
};
const plookup = dns.promises.lookup;
dns.promises.lookup = function guardedPromiseLookup(host, ...rest) {
  if (typeof host === 'string' && net.isIP(host) === 0 && host !== 'localhost') report(`dns lookup ${host}`);
  return plookup.call(this, host, ...rest);
};

const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function guardedSend(msg, ...rest) {
  const address = rest.find((x) => typeof x === 'string');
  if (address !== undefined && !isLocal(address)) report(`udp to ${address}`);
  return send.call(this, msg, ...rest);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const o = args[0];
  const host = Array.isArray(o) ? o[0]?.host : typeof o === 'object' && o ? o.host : typeof args[1] === 'string' ? args[1] : undefined;
  if (host !== undefined && !(typeof o === 'object' && o && o.path) && !isLocal(host)) report(`tcp to ${host}`);
  return connect.apply(this, args);
};

Module.syncBuiltinESMExports();
