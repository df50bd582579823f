/**
 * One participant: its signaling state machine (join, resume, leave, deadlines), its
 * published tracks and permissions, and the requests its client sends. Media is delegated to
 * `this.rtc` (media/rtc-single.mjs for /rtc/v1, media/rtc-legacy.mjs for /rtc).
 * Runs on Node's event-loop thread; every handler is wrapped by SignalConnection's try/catch.
 */
import { newId } from './ids.mjs';
import { LevelMeter } from './speakers.mjs';
import { LossMeter } from './quality.mjs';
import { mintToken } from './token.mjs';
import {
  response, JoinResponse, ParticipantInfo, ParticipantInfo_State, ParticipantInfo_Kind, ParticipantPermission,
  ParticipantUpdate, ServerInfo, ServerInfo_Edition, TrackInfo, TrackType, TrackPublishedResponse,
  TrackUnpublishedResponse, LeaveRequest, LeaveRequest_Action, DisconnectReason, ReconnectResponse,
  RequestResponse, RequestResponse_Reason, MuteTrackRequest, SOURCE_NAMES,
} from './proto.mjs';

export const PING_INTERVAL_S = 5;
export const PING_TIMEOUT_S = 15;
const REFRESH_EVERY_MS = 5 * 60_000;

const KINDS = { agent: ParticipantInfo_Kind.AGENT, sip: ParticipantInfo_Kind.SIP, egress: ParticipantInfo_Kind.EGRESS,
  ingress: ParticipantInfo_Kind.INGRESS };

/** A track a participant has published (media flowing) or announced (pending, by cid). */
export class PublishedTrack {
  constructor(publisher, info, cid) {
    this.publisher = publisher;
    this.info = info;
    this.cid = cid;
    /** callbacks (rtpPacket) fed by the publisher's receiver */
    this.sinks = new Set();
    this.packets = 0;
    /** audio levels the publisher reports (ssrc-audio-level), for active speakers */
    this.meter = new LevelMeter();
    /** sequence numbers seen, for connection quality */
    this.loss = new LossMeter();
  }
  get sid() { return this.info.sid; }
  /** Feed one received RTP packet to every subscriber. */
  push(rtp) {
    this.packets++;
    this.loss.observe(rtp.header.sequenceNumber);
    for (const sink of this.sinks) {
      try { sink(rtp); } catch { /* one subscriber's failure is not the publisher's */ }
    }
  }
}

/**
 * What keeps an offer from being negotiated, checked before werift sees it (werift answers
 * text that is not SDP with an empty session and then reports "connected"). Returns null for a
 * usable offer, else {parse: why} or {negotiate: why}, the two outcomes livekit-server has:
 *  - parse: not SDP. livekit-server's parser (pion/sdp) wants `v=0`, `o=`, `s=` in that order,
 *    a `t=` before the first `m=`, and every line `x=...`; ParticipantImpl.HandleOffer logs
 *    "could not parse offer" and drops the offer: no answer, nothing closed.
 *  - negotiate: SDP without an m= section or without ICE credentials. livekit-server's
 *    transport fails the negotiation (ExtractICECredential finds no ice-ufrag/ice-pwd) and
 *    issues a full reconnect: leave{STATE_MISMATCH, RECONNECT}, socket closed.
 */
export function offerProblem(sdp) {
  if (typeof sdp !== 'string' || sdp === '') return { parse: 'empty' };
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') return { parse: 'the first line is not v=0' };
  const bad = lines.findIndex((l) => !/^[a-z]=/.test(l));
  if (bad >= 0) return { parse: `line ${bad + 1} is not of the form x=...` };
  if (!lines[1].startsWith('o=') || !lines[2]?.startsWith('s=')) return { parse: 'no o= and s= lines after v=0' };
  const firstMedia = lines.findIndex((l) => l.startsWith('m='));
  if (!lines.slice(0, firstMedia < 0 ? lines.length : firstMedia).some((l) => l.startsWith('t='))) {
    return { parse: 'no t= line' };
  }
  if (firstMedia < 0) return { negotiate: 'no m= section' };
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:')) || !lines.some((l) => l.startsWith('a=ice-pwd:'))) {
    return { negotiate: 'no ICE credentials (a=ice-ufrag, a=ice-pwd)' };
  }
  return null;
}

/**
 * Whether a werift PeerConnection has a DTLS transport up. werift's connectionState reports
 * "connected" once every DTLS transport it has is up, which is also true when it has none
 * (a remote description without media sections).
 */
export function dtlsUp(pc) {
  return !!pc?.dtlsTransports?.some((t) => t.state === 'connected');
}

export class Participant {
  /**
   * opts: {grants (token.mjs joinGrants), claims, apiKey, singlePc, clientInfo, autoSubscribe,
   *        protocol, createRtc(participant)}
   */
  constructor(server, room, opts) {
    this.server = server;
    this.room = room;
    this.grants = opts.grants;
    this.apiKey = opts.apiKey;
    this.claims = opts.claims;
    this.sid = newId('PA_');
    this.identity = opts.grants.identity;
    this.name = opts.grants.name;
    this.metadata = opts.grants.metadata;
    this.attributes = opts.grants.attributes;
    this.kind = KINDS[opts.grants.kind] ?? ParticipantInfo_Kind.STANDARD;
    this.singlePc = !!opts.singlePc;
    this.clientInfo = opts.clientInfo;
    this.protocol = opts.protocol ?? 0;
    this.autoSubscribe = opts.autoSubscribe !== false;
    this.subscriberPrimary = !this.singlePc && this.grants.canSubscribe && this.protocol > 2;
    this.state = ParticipantInfo_State.JOINING;
    this.version = 0;
    this.joinedAt = Date.now();
    this.disconnectReason = DisconnectReason.UNKNOWN_REASON;
    /** sid -> PublishedTrack whose media is flowing */
    this.tracks = new Map();
    /** cid -> PublishedTrack announced by AddTrackRequest, media not yet seen */
    this.pending = new Map();
    this.conn = null;
    this.closed = false;
    this.timers = new Set();
    this.primaryConnected = false;
    /** DTLS transports watched for coming up after a premature "connected" (onPrimaryConnected) */
    this.watched = new WeakSet();
    this.log = (msg) => server.log(`[${room.name}/${this.identity} ${this.sid}] ${msg}`);
    this.rtc = opts.createRtc(this);
  }

  who() {
    return { room: this.room.name, identity: this.identity, sid: this.sid };
  }

  // ---------------------------------------------------------------- state

  info() {
    const g = this.grants;
    return new ParticipantInfo({
      sid: this.sid,
      identity: this.identity,
      state: this.state,
      tracks: [...this.tracks.values()].map((t) => t.info),
      metadata: this.metadata,
      joinedAt: BigInt(Math.floor(this.joinedAt / 1000)),
      joinedAtMs: BigInt(this.joinedAt),
      name: this.name,
      version: this.version,
      permission: new ParticipantPermission({
        canSubscribe: g.canSubscribe,
        canPublish: g.canPublish,
        canPublishData: g.canPublishData,
        canPublishSources: g.canPublishSources.map((s) => SOURCE_NAMES[s]).filter((s) => s !== undefined),
        hidden: g.hidden,
        canUpdateMetadata: true,
      }),
      isPublisher: this.tracks.size > 0,
      kind: this.kind,
      attributes: this.attributes,
      disconnectReason: this.disconnectReason,
    });
  }

  /** Bump the version and tell the room. */
  changed() {
    this.version++;
    this.room.broadcastParticipant(this);
  }

  send(res) {
    return this.conn ? this.conn.send(res) : false;
  }

  timer(ms, fn) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try { fn(); } catch (e) { this.log(`timer: ${e.stack ?? e}`); }
    }, ms);
    this.timers.add(t);
    return t;
  }

  clearTimer(t) {
    if (!t) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  serverInfo() {
    return new ServerInfo({ edition: ServerInfo_Edition.Standard, version: this.server.version, protocol: 16,
      nodeId: this.server.nodeId });
  }

  // ---------------------------------------------------------------- lifecycle

  /** First connection: send join, start deadlines, then let the media side start. */
  start(conn, joinRequest) {
    this.attach(conn);
    this.version = 1;
    const others = this.room.others(this).filter((q) => !q.grants.hidden).map((q) => q.info());
    this.send(response('join', new JoinResponse({
      room: this.room.info(),
      participant: this.info(),
      otherParticipants: others,
      serverVersion: this.server.version,
      iceServers: [],
      subscriberPrimary: this.subscriberPrimary,
      pingTimeout: PING_TIMEOUT_S,
      pingInterval: PING_INTERVAL_S,
      serverInfo: this.serverInfo(),
    })));
    this.state = ParticipantInfo_State.JOINED;
    this.changed();
    this.room.speakers.sendCurrentTo(this);
    this.sendRefreshToken();
    this.refreshTimer = setInterval(() => this.sendRefreshToken(), REFRESH_EVERY_MS);
    this.refreshTimer.unref();
    // a participant whose primary PeerConnection is not up this long after joining is removed
    this.joinDeadline = this.timer(this.server.joinDeadlineMs, () => {
      if (!this.primaryConnected) {
        this.log(`primary peer connection not connected ${this.server.joinDeadlineMs / 1000} s after join: removing`);
        this.close(DisconnectReason.JOIN_FAILURE, LeaveRequest_Action.DISCONNECT);
      }
    });
    for (const req of joinRequest?.addTrackRequests ?? []) this.addTrack(req);
    const offer = joinRequest?.publisherOffer;
    const offerUsable = !offer?.sdp || this.#acceptOffer(offer);
    if (this.closed) return;
    this.rtc.start(offerUsable ? joinRequest : undefined);
    if (this.autoSubscribe && this.grants.canSubscribe) for (const t of this.room.publishedTracks(this)) this.subscribe(t);
  }

  attach(conn) {
    this.conn = conn;
    conn.onRequest = (req) => this.handle(req);
    conn.onClose = () => {
      if (this.conn !== conn) return;
      this.conn = null;
      if (this.closed) return;
      // after the signal socket drops without a leave, the participant waits for a resume
      this.log(`signal closed without leave: waiting ${this.server.resumeWindowMs / 1000} s for a resume`);
      this.resumeTimer = this.timer(this.server.resumeWindowMs, () => {
        if (!this.conn && !this.closed) this.close(DisconnectReason.SIGNAL_CLOSE, LeaveRequest_Action.DISCONNECT);
      });
    };
  }

  /** A resume (reconnect=1 / JoinRequest.reconnect): new socket, same participant. */
  resume(conn, joinRequest) {
    this.clearTimer(this.resumeTimer);
    if (this.conn && this.conn !== conn) {
      const old = this.conn;
      this.conn = null;
      old.close(1000, 'resumed elsewhere');
    }
    this.attach(conn);
    this.send(response('reconnect', new ReconnectResponse({ iceServers: [], serverInfo: this.serverInfo() })));
    const all = [this.info(), ...this.room.others(this).filter((q) => !q.grants.hidden).map((q) => q.info())];
    this.send(response('update', new ParticipantUpdate({ participants: all })));
    this.sendRefreshToken();
    this.rtc.resume();
    // a v1 resume may carry the client's ICE-restart offer in the join request itself
    if (joinRequest?.publisherOffer?.sdp) this.offer(joinRequest.publisherOffer);
  }

  /**
   * Leave the room. reason: DisconnectReason; action: LeaveRequest_Action. Sends the client
   * a leave unless it left itself, closes its socket and peer connections, tells the room.
   */
  close(reason, action = LeaveRequest_Action.DISCONNECT, { notify = true } = {}) {
    if (this.closed) return;
    this.closed = true;
    this.log(`leaving: ${DisconnectReason[reason]} ${LeaveRequest_Action[action]}`);
    for (const t of this.tracks.values()) this.log(`${t.sid}: received ${t.packets} packets`);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearInterval(this.refreshTimer);
    if (this.conn) {
      if (notify) this.send(response('leave', new LeaveRequest({ canReconnect: action !== LeaveRequest_Action.DISCONNECT, reason, action })));
      const c = this.conn;
      this.conn = null;
      c.close(1000, '');
    }
    this.state = ParticipantInfo_State.DISCONNECTED;
    this.disconnectReason = reason;
    this.version++;
    try { this.rtc.close(); } catch (e) { this.log(`rtc close: ${e.message}`); }
    this.room.remove(this);
  }

  async sendRefreshToken() {
    if (!this.conn) return;
    try {
      const token = await mintToken({ apiKey: this.apiKey, apiSecret: this.server.keys.get(this.apiKey),
        identity: this.identity, name: this.claims.name, metadata: this.claims.metadata,
        attributes: this.claims.attributes, grant: this.claims.video, ttl: 600,
        claims: this.claims.kind ? { kind: this.claims.kind } : {} });
      this.send(response('refreshToken', token));
    } catch (e) {
      this.log(`refresh token: ${e.message}`);
    }
  }

  // ---------------------------------------------------------------- media-side callbacks

  /** The primary PeerConnection's werift object, if it exists yet. */
  primaryPc() {
    if (this.singlePc) return this.rtc.sideOrNull?.pc;
    return this.subscriberPrimary ? this.rtc.sub?.pc : this.rtc.pubOrNull?.pc;
  }

  /**
   * The media side reports the primary PeerConnection "connected". It counts only with a DTLS
   * transport up (see dtlsUp). Without one, the transports it has are watched and the first
   * that comes up counts; one a later description brings makes werift report "connected" again.
   */
  onPrimaryConnected(pc = this.primaryPc()) {
    if (this.primaryConnected || this.closed) return;
    if (!dtlsUp(pc)) {
      this.log('primary peer connection reported connected without a DTLS transport up: not counted yet');
      for (const t of pc?.dtlsTransports ?? []) {
        if (this.watched.has(t)) continue;
        this.watched.add(t);
        t.onStateChange?.subscribe((state) => { if (state === 'connected') this.onPrimaryConnected(pc); });
      }
      return;
    }
    this.primaryConnected = true;
    this.clearTimer(this.joinDeadline);
    this.state = ParticipantInfo_State.ACTIVE;
    this.changed();
  }

  /** An offer the server sent was not answered in time: ask the client to rejoin. */
  onNegotiationFailed() {
    this.log(`offer not answered within ${this.server.offerTimeoutMs / 1000} s`);
    this.close(DisconnectReason.STATE_MISMATCH, LeaveRequest_Action.RECONNECT);
  }

  /** The primary PeerConnection failed for good while no signal is around to repair it. */
  onPrimaryFailed() {
    if (!this.conn) this.close(DisconnectReason.CONNECTION_TIMEOUT, LeaveRequest_Action.DISCONNECT);
  }

  /** Media for an announced track arrived: the track is now published. Returns the track. */
  onTrackMedia(cid) {
    const t = this.pending.get(cid);
    if (!t) return undefined;
    this.pending.delete(cid);
    this.tracks.set(t.sid, t);
    this.version++;
    this.room.trackPublished(this, t);
    return t;
  }

  // ---------------------------------------------------------------- subscriptions

  subscribe(track) {
    if (this.closed || !this.grants.canSubscribe || track.publisher === this) return;
    this.rtc.subscribe(track);
  }

  unsubscribe(trackSid) {
    if (this.closed) return;
    this.rtc.unsubscribe(trackSid);
  }

  // ---------------------------------------------------------------- requests

  handle(req) {
    const { case: kase, value } = req.message;
    switch (kase) {
      case 'offer': return this.offer(value);
      case 'answer': return this.rtc.handleAnswer(value);
      case 'trickle': return this.rtc.handleTrickle(value);
      case 'addTrack': return this.addTrack(value);
      case 'mute': return this.mute(value.sid, value.muted);
      case 'subscription': return this.updateSubscription(value);
      case 'leave':
        return this.close(DisconnectReason.CLIENT_INITIATED, LeaveRequest_Action.DISCONNECT, { notify: false });
      case 'updateMetadata': return this.updateMetadata(value);
      case 'syncState': return this.rtc.handleSyncState?.(value);
      case 'ping': case 'pingReq':
        return undefined; // answered by SignalConnection
      default:
        return undefined; // track_setting, subscription_permission, ...: accepted, no effect here
    }
  }

  /** A client offer (SessionDescription): to the media side if it can be negotiated. */
  offer(sd) {
    if (this.#acceptOffer(sd)) this.rtc.handleOffer(sd);
  }

  /**
   * Check an offer as livekit-server does (see offerProblem). Not SDP: logged and dropped.
   * Unusable SDP: the participant is told to rejoin (leave STATE_MISMATCH, RECONNECT).
   */
  #acceptOffer(sd) {
    const problem = offerProblem(sd?.sdp);
    if (!problem) return true;
    if (problem.parse) {
      this.log(`offer ${sd?.id ?? 0} dropped, could not parse it: ${problem.parse}`);
    } else {
      this.log(`offer ${sd?.id ?? 0} cannot be negotiated: ${problem.negotiate}: full reconnect`);
      this.close(DisconnectReason.STATE_MISMATCH, LeaveRequest_Action.RECONNECT);
    }
    return false;
  }

  addTrack(req) {
    const g = this.grants;
    const allowedSource = g.canPublishSources.length === 0 ||
      g.canPublishSources.some((s) => SOURCE_NAMES[s] === req.source);
    if (!g.canPublish || !allowedSource) {
      this.log(`add_track ${req.cid} refused: no permission`);
      return;
    }
    if (!req.cid) return;
    const existing = this.pending.get(req.cid) ?? [...this.tracks.values()].find((t) => t.cid === req.cid);
    if (existing) {
      // the SDKs retry add_track; answer again with the same sid
      this.send(response('trackPublished', new TrackPublishedResponse({ cid: req.cid, track: existing.info })));
      return;
    }
    const info = new TrackInfo({
      sid: newId('TR_'),
      type: req.type,
      name: req.name,
      muted: req.muted,
      source: req.source,
      mimeType: req.type === TrackType.AUDIO ? 'audio/opus' : '',
      disableDtx: req.disableDtx,
      stereo: req.stereo,
      disableRed: req.disableRed,
      encryption: req.encryption,
      stream: req.stream,
      audioFeatures: req.audioFeatures,
      width: req.width,
      height: req.height,
    });
    const t = new PublishedTrack(this, info, req.cid);
    this.pending.set(req.cid, t);
    this.send(response('trackPublished', new TrackPublishedResponse({ cid: req.cid, track: info })));
    this.rtc.expectTrack?.(t);
  }

  mute(sid, muted) {
    const t = this.tracks.get(sid) ?? [...this.pending.values()].find((p) => p.sid === sid);
    if (!t) return;
    if (t.info.muted === muted) return;
    t.info.muted = muted;
    if (this.tracks.has(sid)) this.changed();
  }

  /**
   * A mute decided by the server (livekit-server's RoomService.MutePublishedTrack): set the flag,
   * tell the publisher with SignalResponse.mute, and everyone with the ParticipantUpdate.
   * trackSid empty = the participant's first audio track. Returns the track's sid, or null.
   */
  serverMute(trackSid, muted) {
    if (this.closed) return null;
    const t = trackSid ? this.tracks.get(trackSid)
      : [...this.tracks.values()].find((x) => x.info.type === TrackType.AUDIO);
    if (!t) return null;
    this.send(response('mute', new MuteTrackRequest({ sid: t.sid, muted })));
    this.mute(t.sid, muted);
    return t.sid;
  }

  updateSubscription(u) {
    const sids = new Set(u.trackSids);
    for (const pt of u.participantTracks ?? []) for (const s of pt.trackSids) sids.add(s);
    for (const sid of sids) {
      if (u.subscribe) {
        const t = this.room.findTrack(sid);
        if (t) this.subscribe(t);
      } else {
        this.unsubscribe(sid);
      }
    }
  }

  updateMetadata(u) {
    if (u.name) this.name = u.name;
    if (u.metadata) this.metadata = u.metadata;
    for (const [k, v] of Object.entries(u.attributes ?? {})) {
      if (v === '') delete this.attributes[k];
      else this.attributes[k] = v;
    }
    this.changed();
    if (u.requestId) this.send(response('requestResponse', new RequestResponse({ requestId: u.requestId, reason: RequestResponse_Reason.OK })));
  }

  /** The publisher stops a track (unpublish from its side, or the server removes it). */
  unpublish(sid) {
    const t = this.tracks.get(sid);
    if (!t) return;
    this.tracks.delete(sid);
    t.sinks.clear();
    this.version++;
    this.send(response('trackUnpublished', new TrackUnpublishedResponse({ trackSid: sid })));
    this.room.trackUnpublished(this, t);
  }
}

