/* Room state: the room, our own participant, the remote participants and
 * their tracks, speakers and connection quality, kept from the server's
 * messages (decoded protobuf) and reported as plain-C events.
 *
 * Stale updates (a ParticipantInfo older than the version held, or an echo of
 * a participant that already left) are dropped. A full rejoin's JoinResponse
 * replaces everything and reports the difference.
 *
 * Thread: the signaling client's (GMainContext) thread. Internal to
 * signaling/; the fuzz target drives it directly. */
#ifndef ALTO_SIGNALING_ROOM_H
#define ALTO_SIGNALING_ROOM_H

#include <stdbool.h>
#include <stddef.h>

#include "alto-signal.h"
#include "livekit.pb-c.h"

struct alto_room;

struct alto_room *alto_room_new(const struct alto_signal_events *events, void *data);
void alto_room_free(struct alto_room *room);

/* A JoinResponse: the first join (rejoin false: no per-participant events)
 * or a full rejoin (events for everything that changed while away).
 * -EBADMSG when it lacks our own participant. */
int alto_room_apply_join(struct alto_room *room, const Livekit__JoinResponse *join, bool rejoin);

/* Any other state-carrying SignalResponse (update, track_published,
 * track_unpublished, mute, speakers_changed, room_update,
 * connection_quality). Returns 1 when msg was one of those (and applied),
 * 0 otherwise. Needs a join first; before it, state messages are ignored. */
int alto_room_apply_response(struct alto_room *room, const Livekit__SignalResponse *msg);

/* The ParticipantUpdate a server sends right after a resume's ReconnectResponse
 * lists everyone in the room (livekit-server's ResumeParticipant: all
 * participants, ourselves included). When u names our own sid it is applied
 * as that snapshot: whoever is held but not listed left during the outage.
 * Otherwise it is applied as a plain update. Returns 1 for a snapshot. */
int alto_room_apply_snapshot(struct alto_room *room, const Livekit__ParticipantUpdate *u);

bool alto_room_joined(const struct alto_room *room);
const struct alto_room_info *alto_room_info(const struct alto_room *room);
const struct alto_participant_info *alto_room_self(const struct alto_room *room);
size_t alto_room_participants(struct alto_room *room, const struct alto_participant_info *const **list);
const struct alto_participant_info *alto_room_find(const struct alto_room *room, const char *sid);

/* Copies of ICE server lists for the join/resume events. */
struct alto_ice_servers {
	size_t n;
	struct alto_ice_server *servers;
};
void alto_ice_servers_from_pb(struct alto_ice_servers *out, size_t n, Livekit__ICEServer *const *pb);
void alto_ice_servers_clear(struct alto_ice_servers *s);

#endif
