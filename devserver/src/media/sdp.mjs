/**
 * Small SDP and ICE-candidate fixes between werift and the SDKs. Text in, text out.
 */
import { isLocalAddress } from '../net.mjs';

/** m-line sections of an SDP: [{start, lines}] with the session part first. */
function sections(sdp) {
  const lines = sdp.split(/\r?\n/).filter((l, i, a) => l !== '' || i < a.length - 1);
  const out = [{ lines: [] }];
  for (const l of lines) {
    if (l.startsWith('m=')) out.push({ lines: [] });
    out[out.length - 1].lines.push(l);
  }
  return out;
}

function join(secs) {
  return `${secs.flatMap((s) => s.lines).filter((l) => l !== '').join('\r\n')}\r\n`;
}

/**
 * werift answers an unused section with port 0 (rejected) while keeping it in BUNDLE;
 * libwebrtc then rejects the whole answer. Answer such sections as port 9, a=inactive.
 */
export function fixRejectedBundledSections(sdp) {
  const secs = sections(sdp);
  const bundle = secs[0].lines.find((l) => l.startsWith('a=group:BUNDLE'));
  const bundled = new Set(bundle ? bundle.split(' ').slice(1) : []);
  for (const s of secs.slice(1)) {
    const m = s.lines[0];
    const mid = s.lines.find((l) => l.startsWith('a=mid:'))?.slice(6);
    if (!/^m=\S+ 0 /.test(m) || !bundled.has(mid)) continue;
    s.lines[0] = m.replace(/^(m=\S+) 0 /, '$1 9 ');
    s.lines = s.lines.filter((l) => !/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l));
    s.lines.push('a=inactive');
  }
  return join(secs);
}

/** The address and transport of an ICE candidate line (with or without "a="). */
export function parseCandidate(line) {
  const f = line.replace(/^a=/, '').replace(/^candidate:/, '').trim().split(/\s+/);
  if (f.length < 8) return null;
  return { transport: f[2].toLowerCase(), address: f[4], port: Number(f[5]), type: f[7] };
}

/** Only UDP candidates on an IPv4 address of this machine are of use to this server. */
export function usableCandidate(line) {
  const c = parseCandidate(line);
  return !!c && c.transport === 'udp' && !c.address.includes(':') && isLocalAddress(c.address);
}

/** Drop a=candidate lines this server cannot or must not use from a remote SDP. */
export function filterRemoteCandidates(sdp) {
  const secs = sections(sdp);
  for (const s of secs) s.lines = s.lines.filter((l) => !l.startsWith('a=candidate:') || usableCandidate(l));
  return join(secs);
}
