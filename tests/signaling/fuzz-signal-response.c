/* libFuzzer target: SignalResponse decoding and its application to room
 * state, the path every server frame takes.
 *
 * Input: a sequence of frames, each a 16-bit little-endian length and that
 * many bytes (a short tail is one last frame). Every input starts from a
 * fresh room; a `join` frame is applied as a (re)join, an `update` frame of
 * odd length as the snapshot that follows a resume, anything else as a state message, after a built-in first join so state messages are not all
 * ignored. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "room.h"

static size_t events_seen;

static void count_p(void *d, const struct alto_participant_info *p)
{
	/* touch what a consumer reads */
	events_seen += strlen(p->sid) + strlen(p->identity) + strlen(p->name) + p->n_tracks;
	for (size_t i = 0; i < p->n_tracks; i++)
		events_seen += strlen(p->tracks[i].sid) + strlen(alto_track_source_name(p->tracks[i].source));
}
static void count_t(void *d, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	events_seen += strlen(p->identity) + strlen(t->sid) + strlen(t->name) + t->muted;
}
static void count_s(void *d, const struct alto_speaker *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		events_seen += strlen(s[i].sid) + strlen(s[i].identity) + (s[i].level > 0.5f);
}
static void count_q(void *d, const struct alto_quality_update *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		events_seen += strlen(q[i].identity) + strlen(alto_connection_quality_name(q[i].quality));
}
static void count_r(void *d, const struct alto_room_info *r) { events_seen += strlen(r->name); }
static void count_lp(void *d, const char *cid, const struct alto_track_info *t) { events_seen += strlen(cid) + strlen(t->sid); }
static void count_lu(void *d, const char *sid) { events_seen += strlen(sid); }
static void count_lm(void *d, const char *sid, bool m) { events_seen += strlen(sid) + m; }

static const struct alto_signal_events events = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.participant_joined = count_p,
	.participant_updated = count_p,
	.participant_left = count_p,
	.self_updated = count_p,
	.track_published = count_t,
	.track_unpublished = count_t,
	.track_muted = count_t,
	.speakers = count_s,
	.quality = count_q,
	.room_updated = count_r,
	.local_track_published = count_lp,
	.local_track_unpublished = count_lu,
	.local_track_muted = count_lm,
};

static void first_join(struct alto_room *room)
{
	Livekit__JoinResponse jr = LIVEKIT__JOIN_RESPONSE__INIT;
	Livekit__ParticipantInfo self = LIVEKIT__PARTICIPANT_INFO__INIT, other = LIVEKIT__PARTICIPANT_INFO__INIT;
	Livekit__ParticipantInfo *others[] = { &other };

	self.sid = (char *)"PA_self";
	self.identity = (char *)"me";
	other.sid = (char *)"PA_a";
	other.identity = (char *)"alice";
	jr.participant = &self;
	jr.other_participants = others;
	jr.n_other_participants = 1;
	alto_room_apply_join(room, &jr, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	const struct alto_participant_info *const *list;

	first_join(room);
	while (size > 0) {
		size_t len = size;
		Livekit__SignalResponse *msg;

		if (size >= 2) {
			len = (size_t)data[0] | (size_t)data[1] << 8;
			data += 2;
			size -= 2;
			if (len > size)
				len = size;
		}
		msg = livekit__signal_response__unpack(NULL, len, data);
		if (msg) {
			if (msg->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_JOIN)
				alto_room_apply_join(room, msg->join, true);
			else if (msg->message_case == LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE && (len & 1))
				/* as after a resume's ReconnectResponse */
				alto_room_apply_snapshot(room, msg->update);
			else
				alto_room_apply_response(room, msg);
			livekit__signal_response__free_unpacked(msg, NULL);
		}
		data += len;
		size -= len;
	}
	/* the listing a consumer would read afterwards */
	for (size_t i = 0, n = alto_room_participants(room, &list); i < n; i++)
		count_p(NULL, list[i]);
	alto_room_free(room);
	return 0;
}
