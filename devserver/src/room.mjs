/**
 * A room: created on the first join, deleted when its last participant leaves.
 * Owns the participant set and the fan-out of state (ParticipantUpdate) and of published
 * tracks to subscribers. All of it runs on Node's single event-loop thread.
 */
import { newId } from './ids.mjs';
import { SpeakerTracker } from './speakers.mjs';
import { QualityTracker } from './quality.mjs';
import { Room as RoomInfo, ParticipantUpdate, ParticipantInfo_State, response } from './proto.mjs';

export class Room {
  constructor(server, name) {
    this.server = server;
    this.name = name;
    this.sid = newId('RM_');
    this.createdAt = Date.now();
    /** identity -> Participant */
    this.participants = new Map();
    this.speakers = new SpeakerTracker(this);
    this.quality = new QualityTracker(this);
  }

  info() {
    let publishers = 0;
    for (const p of this.participants.values()) if (p.tracks.size) publishers++;
    return new RoomInfo({
      sid: this.sid,
      name: this.name,
      emptyTimeout: 300,
      departureTimeout: 20,
      creationTime: BigInt(Math.floor(this.createdAt / 1000)),
      creationTimeMs: BigInt(this.createdAt),
      numParticipants: this.participants.size,
      numPublishers: publishers,
    });
  }

  add(p) {
    this.participants.set(p.identity, p);
  }

  /** Participants other than p (hidden ones included: they still subscribe). */
  others(p) {
    return [...this.participants.values()].filter((q) => q !== p);
  }

  /**
   * Tell everyone about p's current state: every other participant, and p itself (the SDKs
   * update their local participant from it) unless p is leaving.
   */
  broadcastParticipant(p) {
    const info = p.info();
    for (const q of this.participants.values()) {
      if (q === p) {
        if (info.state !== ParticipantInfo_State.DISCONNECTED) q.send(response('update', new ParticipantUpdate({ participants: [info] })));
        continue;
      }
      if (p.grants.hidden) continue;
      q.send(response('update', new ParticipantUpdate({ participants: [info] })));
    }
  }

  /** A track's media arrived: announce it, then subscribe whoever auto-subscribes. */
  trackPublished(p, track) {
    this.broadcastParticipant(p);
    for (const q of this.others(p)) if (q.autoSubscribe && q.grants.canSubscribe) q.subscribe(track);
  }

  trackUnpublished(p, track) {
    for (const q of this.others(p)) q.unsubscribe(track.sid, false);
    this.broadcastParticipant(p);
  }

  /** Remove p (already closed by the caller) and tell the others it is gone. */
  remove(p) {
    if (this.participants.get(p.identity) !== p) return;
    this.participants.delete(p.identity);
    for (const track of p.tracks.values()) for (const q of this.participants.values()) q.unsubscribe(track.sid, false);
    const info = p.info();
    if (!p.grants.hidden) {
      for (const q of this.participants.values()) q.send(response('update', new ParticipantUpdate({ participants: [info] })));
    }
    if (this.participants.size === 0) {
      this.speakers.stop();
      this.quality.stop();
      this.server.deleteRoom(this);
    }
  }

  /** Every published track in the room except p's own. */
  publishedTracks(except) {
    const out = [];
    for (const q of this.participants.values()) if (q !== except) for (const t of q.tracks.values()) out.push(t);
    return out;
  }

  findTrack(sid) {
    for (const q of this.participants.values()) {
      const t = q.tracks.get(sid);
      if (t) return t;
    }
    return undefined;
  }
}
