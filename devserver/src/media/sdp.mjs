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

// ------------------------------------------------------------------------------ Opus stereo
//
// As livekit-server: a track is stereo only when its AddTrackRequest says so (`stereo`, or
// TF_STEREO in audio_features). The answer to its publisher then carries `stereo=1` (and
// `maxaveragebitrate=510000`) in the Opus fmtp of the section that receives it, so that
// libwebrtc encodes two channels; for any other published track `stereo=1` is taken out (the
// SDKs offer it on every section, and werift would echo it: a mono track would then be sent as
// two identical channels). Sections that forward a stereo track to a subscriber carry
// `sprop-stereo=1` ("I send stereo", RFC 7587). werift's own descriptions are not changed: it
// sends and receives Opus whatever the fmtp says; only the text the client gets is.

/** Whether a TrackInfo is stereo (the flag or the audio feature). */
export function trackIsStereo(info) {
  return !!info && (info.stereo === true || (info.audioFeatures ?? []).includes(0 /* TF_STEREO */));
}

function sectionAttr(s, name) {
  const l = s.lines.find((x) => x.startsWith(`a=${name}:`));
  return l === undefined ? undefined : l.slice(name.length + 3);
}

/** Edit the Opus fmtp parameters of one section: edit(params[]) → params[]. */
function editOpusFmtp(s, edit) {
  const pt = s.lines.map((l) => /^a=rtpmap:(\d+) opus\/48000/i.exec(l)?.[1]).find((x) => x !== undefined);
  if (pt === undefined) return;
  const prefix = `a=fmtp:${pt} `;
  const i = s.lines.findIndex((l) => l.startsWith(prefix));
  const before = i < 0 ? [] : s.lines[i].slice(prefix.length).split(';').map((x) => x.trim()).filter((x) => x);
  const after = edit(before);
  const line = `${prefix}${after.join(';')}`;
  if (i >= 0 && after.length) s.lines[i] = line;
  else if (i >= 0) s.lines.splice(i, 1);
  else if (after.length) s.lines.splice(s.lines.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `)) + 1, 0, line);
}

const withoutParam = (params, name) => params.filter((p) => !p.toLowerCase().startsWith(`${name}=`));

/**
 * The answer to a publisher's offer with Opus stereo set per published track.
 * stereoOf(cid) → true / false, or undefined when no track is known for that cid (the
 * section is then left as werift wrote it, as livekit-server does).
 */
export function configurePublisherStereo(answer, offer, stereoOf) {
  const offered = new Map();
  for (const s of sections(offer).slice(1)) {
    const mid = sectionAttr(s, 'mid');
    const msid = sectionAttr(s, 'msid');
    if (mid !== undefined && msid) offered.set(mid, msid.split(' ')[1] ?? msid.split(' ')[0]);
  }
  const secs = sections(answer);
  for (const s of secs.slice(1)) {
    if (!s.lines[0].startsWith('m=audio') || s.lines.includes('a=inactive')) continue;
    const cid = offered.get(sectionAttr(s, 'mid'));
    const stereo = cid === undefined ? undefined : stereoOf(cid);
    if (stereo === undefined) continue;
    editOpusFmtp(s, (params) => {
      const rest = withoutParam(params, 'stereo');
      if (!stereo) return rest;
      return [...withoutParam(rest, 'maxaveragebitrate'), 'stereo=1', 'maxaveragebitrate=510000'];
    });
  }
  return join(secs);
}

/** sprop-stereo=1 on the Opus fmtp of the sections whose mid is in `mids` (a Set). */
export function markStereoSenders(sdp, mids) {
  if (mids.size === 0) return sdp;
  const secs = sections(sdp);
  for (const s of secs.slice(1)) {
    if (!s.lines[0].startsWith('m=audio') || !mids.has(sectionAttr(s, 'mid'))) continue;
    editOpusFmtp(s, (params) => [...withoutParam(params, 'sprop-stereo'), 'sprop-stereo=1']);
  }
  return join(secs);
}
