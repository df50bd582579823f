/* Room state kept from LiveKit signal messages, reported as plain-C events.
 *
 * Every string here is an owned copy (g_strdup) behind the public const
 * pointers; a participant is replaced as a whole when an update arrives, and
 * the replaced one is freed only after the events that mention it. */
#include "room.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct participant {
	struct alto_participant_info info;
	struct alto_track_info *tracks;   /* info.tracks */
};

struct alto_room {
	const struct alto_signal_events *events;
	void *data;

	bool joined;
	struct alto_room_info info;
	struct participant *self;
	GPtrArray *participants;          /* struct participant *, join order */
	GPtrArray *view;                  /* const struct alto_participant_info *, for listing */
	GHashTable *departed;             /* sid -> version + 1 of participants that left */
};

/* bounded memory of departed sids: forgotten wholesale past this size */
#define MAX_DEPARTED 4096

#define emit(room, name, ...)                                              \
	do {                                                               \
		if ((room)->events && (room)->events->name)                \
			(room)->events->name((room)->data, ##__VA_ARGS__); \
	} while (0)

static char *dup_str(const char *s)
{
	return g_strdup(s ? s : "");
}

static void free_str(const char *s)
{
	g_free((char *)s);
}

/* ------------------------------------------------------------------ tracks */

static void track_from_pb(struct alto_track_info *t, const Livekit__TrackInfo *pb)
{
	size_t i;

	t->sid = dup_str(pb->sid);
	t->name = dup_str(pb->name);
	t->mime_type = dup_str(pb->mime_type);
	t->mid = dup_str(pb->mid);
	t->stream = dup_str(pb->stream);
	t->type = (enum alto_track_type)pb->type;
	t->source = (enum alto_track_source)pb->source;
	t->muted = pb->muted;
	t->disable_red = pb->disable_red;
	t->stereo = pb->stereo;
	for (i = 0; i < pb->n_audio_features; i++)
		if (pb->audio_features[i] == LIVEKIT__AUDIO_TRACK_FEATURE__TF_STEREO)
			t->stereo = true;
}

static void track_copy(struct alto_track_info *dst, const struct alto_track_info *src)
{
	*dst = *src;
	dst->sid = dup_str(src->sid);
	dst->name = dup_str(src->name);
	dst->mime_type = dup_str(src->mime_type);
	dst->mid = dup_str(src->mid);
	dst->stream = dup_str(src->stream);
}

static void track_clear(struct alto_track_info *t)
{
	free_str(t->sid);
	free_str(t->name);
	free_str(t->mime_type);
	free_str(t->mid);
	free_str(t->stream);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ participants */

static void participant_free(struct participant *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->info.n_tracks; i++)
		track_clear(&p->tracks[i]);
	g_free(p->tracks);
	free_str(p->info.sid);
	free_str(p->info.identity);
	free_str(p->info.name);
	free_str(p->info.metadata);
	g_free(p);
}

static bool valid_track(const Livekit__TrackInfo *t)
{
	return t != NULL && t->sid != NULL && t->sid[0] != '\0';
}

static struct participant *participant_from_pb(const Livekit__ParticipantInfo *pb)
{
	struct participant *p = g_new0(struct participant, 1);
	size_t i, n = 0;

	p->info.sid = dup_str(pb->sid);
	p->info.identity = dup_str(pb->identity);
	p->info.name = dup_str(pb->name);
	p->info.metadata = dup_str(pb->metadata);
	p->info.state = (enum alto_participant_state)pb->state;
	p->info.kind = (enum alto_participant_kind)pb->kind;
	p->info.version = pb->version;
	p->info.joined_at = pb->joined_at;
	p->info.can_publish = pb->permission ? pb->permission->can_publish : true;
	p->info.can_subscribe = pb->permission ? pb->permission->can_subscribe : true;
	p->info.quality = ALTO_QUALITY_EXCELLENT;
	p->info.quality_score = 0;

	p->tracks = g_new0(struct alto_track_info, pb->n_tracks ? pb->n_tracks : 1);
	for (i = 0; i < pb->n_tracks; i++) {
		size_t j;
		bool dup = false;
		if (!valid_track(pb->tracks[i]))
			continue;
		/* a track listed twice is kept once (the first) */
		for (j = 0; j < n && !dup; j++)
			dup = strcmp(p->tracks[j].sid, pb->tracks[i]->sid) == 0;
		if (!dup)
			track_from_pb(&p->tracks[n++], pb->tracks[i]);
	}
	p->info.n_tracks = n;
	p->info.tracks = p->tracks;
	return p;
}

static const struct alto_track_info *find_track(const struct participant *p, const char *sid)
{
	size_t i;

	for (i = 0; i < p->info.n_tracks; i++)
		if (strcmp(p->tracks[i].sid, sid) == 0)
			return &p->tracks[i];
	return NULL;
}

static bool valid_participant(const Livekit__ParticipantInfo *pb)
{
	return pb != NULL && pb->sid != NULL && pb->sid[0] != '\0';
}

static int find_index(const struct alto_room *room, const char *sid)
{
	guint i;

	for (i = 0; i < room->participants->len; i++) {
		const struct participant *p = g_ptr_array_index(room->participants, i);
		if (strcmp(p->info.sid, sid) == 0)
			return (int)i;
	}
	return -1;
}

static int find_identity(const struct alto_room *room, const char *identity, const char *except_sid)
{
	guint i;

	if (identity == NULL || identity[0] == '\0')
		return -1;
	for (i = 0; i < room->participants->len; i++) {
		const struct participant *p = g_ptr_array_index(room->participants, i);
		if (strcmp(p->info.identity, identity) == 0 && strcmp(p->info.sid, except_sid) != 0)
			return (int)i;
	}
	return -1;
}

static bool is_self(const struct alto_room *room, const char *sid)
{
	return room->self != NULL && sid != NULL && strcmp(room->self->info.sid, sid) == 0;
}

/* Keeps what only we track (speaking, quality) across a replacement. */
static void carry_live_state(struct participant *to, const struct participant *from)
{
	to->info.speaking = from->info.speaking;
	to->info.audio_level = from->info.audio_level;
	to->info.quality = from->info.quality;
	to->info.quality_score = from->info.quality_score;
}

static void remember_departed(struct alto_room *room, const char *sid, uint32_t version)
{
	if (g_hash_table_size(room->departed) >= MAX_DEPARTED)
		g_hash_table_remove_all(room->departed);
	g_hash_table_insert(room->departed, g_strdup(sid), GUINT_TO_POINTER((guint)version + 1));
}

/* Removes participant index i and reports it. */
static void remove_participant(struct alto_room *room, guint i)
{
	struct participant *p = g_ptr_array_steal_index(room->participants, i);

	remember_departed(room, p->info.sid, p->info.version);
	p->info.state = ALTO_PARTICIPANT_DISCONNECTED;
	p->info.speaking = false;
	emit(room, participant_left, &p->info);
	participant_free(p);
}

static void add_participant(struct alto_room *room, struct participant *p)
{
	size_t i;

	g_ptr_array_add(room->participants, p);
	g_hash_table_remove(room->departed, p->info.sid);
	emit(room, participant_joined, &p->info);
	/* find it again: a callback may not change the room, but be safe */
	for (i = 0; i < p->info.n_tracks && find_index(room, p->info.sid) >= 0; i++)
		emit(room, track_published, &p->info, &p->tracks[i]);
}

static bool same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Replaces old (at index i, or self when i < 0) by new_p and reports the
 * differences. old is freed here. */
static void replace_participant(struct alto_room *room, int i, struct participant *old,
				struct participant *new_p)
{
	size_t k;
	bool changed;

	carry_live_state(new_p, old);
	changed = !same_str(old->info.name, new_p->info.name) ||
		  !same_str(old->info.metadata, new_p->info.metadata) ||
		  !same_str(old->info.identity, new_p->info.identity) ||
		  old->info.state != new_p->info.state || old->info.kind != new_p->info.kind ||
		  old->info.can_publish != new_p->info.can_publish ||
		  old->info.can_subscribe != new_p->info.can_subscribe;
	if (i >= 0)
		g_ptr_array_index(room->participants, (guint)i) = new_p;
	else
		room->self = new_p;

	if (i < 0) {
		/* our own participant: one event, tracks are ours and known */
		emit(room, self_updated, &new_p->info);
		participant_free(old);
		return;
	}
	if (changed)
		emit(room, participant_updated, &new_p->info);
	for (k = 0; k < old->info.n_tracks; k++)
		if (find_track(new_p, old->tracks[k].sid) == NULL)
			emit(room, track_unpublished, &new_p->info, &old->tracks[k]);
	for (k = 0; k < new_p->info.n_tracks; k++) {
		const struct alto_track_info *t = &new_p->tracks[k];
		const struct alto_track_info *before = find_track(old, t->sid);
		if (before == NULL)
			emit(room, track_published, &new_p->info, t);
		else if (before->muted != t->muted)
			emit(room, track_muted, &new_p->info, t);
	}
	participant_free(old);
}

static void apply_participant(struct alto_room *room, const Livekit__ParticipantInfo *pb)
{
	struct participant *p;
	gpointer departed;
	int i, dup;

	if (!valid_participant(pb))
		return;

	if (is_self(room, pb->sid)) {
		if (pb->version < room->self->info.version ||
		    pb->state == LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED)
			return;
		p = participant_from_pb(pb);
		replace_participant(room, -1, room->self, p);
		return;
	}

	i = find_index(room, pb->sid);
	if (pb->state == LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED) {
		if (i >= 0) {
			struct participant *held = g_ptr_array_index(room->participants, (guint)i);
			if (pb->version < held->info.version)
				return;
			held->info.version = pb->version;
			remove_participant(room, (guint)i);
		} else if (!g_hash_table_contains(room->departed, pb->sid)) {
			remember_departed(room, pb->sid, pb->version);
		}
		return;
	}

	if (i >= 0) {
		struct participant *held = g_ptr_array_index(room->participants, (guint)i);
		if (pb->version < held->info.version)
			return;
		replace_participant(room, i, held, participant_from_pb(pb));
		return;
	}

	/* an echo of someone who already left */
	departed = g_hash_table_lookup(room->departed, pb->sid);
	if (departed != NULL && pb->version < GPOINTER_TO_UINT(departed))
		return;

	/* the same identity under a new sid: the old session is gone */
	dup = find_identity(room, pb->identity, pb->sid);
	if (dup >= 0)
		remove_participant(room, (guint)dup);
	add_participant(room, participant_from_pb(pb));
}

/* ------------------------------------------------------------------ room */

static void room_info_clear(struct alto_room_info *r)
{
	free_str(r->sid);
	free_str(r->name);
	free_str(r->metadata);
	memset(r, 0, sizeof(*r));
}

static void room_info_from_pb(struct alto_room_info *r, const Livekit__Room *pb)
{
	room_info_clear(r);
	r->sid = dup_str(pb ? pb->sid : NULL);
	r->name = dup_str(pb ? pb->name : NULL);
	r->metadata = dup_str(pb ? pb->metadata : NULL);
	if (pb) {
		r->num_participants = pb->num_participants;
		r->num_publishers = pb->num_publishers;
		r->max_participants = pb->max_participants;
		r->creation_time = pb->creation_time;
	}
}

struct alto_room *alto_room_new(const struct alto_signal_events *events, void *data)
{
	struct alto_room *room = g_new0(struct alto_room, 1);

	room->events = events;
	room->data = data;
	room->participants = g_ptr_array_new();
	room->view = g_ptr_array_new();
	room->departed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	room_info_from_pb(&room->info, NULL);
	return room;
}

static void clear_participants(struct alto_room *room)
{
	guint i;

	for (i = 0; i < room->participants->len; i++)
		participant_free(g_ptr_array_index(room->participants, i));
	g_ptr_array_set_size(room->participants, 0);
}

void alto_room_free(struct alto_room *room)
{
	if (room == NULL)
		return;
	clear_participants(room);
	g_ptr_array_free(room->participants, TRUE);
	g_ptr_array_free(room->view, TRUE);
	g_hash_table_destroy(room->departed);
	participant_free(room->self);
	room_info_clear(&room->info);
	g_free(room);
}

int alto_room_apply_join(struct alto_room *room, const Livekit__JoinResponse *jr, bool rejoin)
{
	GPtrArray *incoming;
	guint i;
	size_t k;

	if (jr == NULL || !valid_participant(jr->participant))
		return -EBADMSG;

	rejoin = rejoin && room->joined;
	room_info_from_pb(&room->info, jr->room);
	participant_free(room->self);
	room->self = participant_from_pb(jr->participant);
	room->joined = true;
	g_hash_table_remove_all(room->departed);

	/* the participants the server lists now, each once, never ourselves */
	incoming = g_ptr_array_new();
	for (k = 0; k < jr->n_other_participants; k++) {
		const Livekit__ParticipantInfo *pb = jr->other_participants[k];
		guint j;
		bool dup = false;
		if (!valid_participant(pb) || is_self(room, pb->sid) ||
		    pb->state == LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED)
			continue;
		for (j = 0; j < incoming->len && !dup; j++)
			dup = strcmp(((const Livekit__ParticipantInfo *)g_ptr_array_index(incoming, j))->sid,
				     pb->sid) == 0;
		if (!dup)
			g_ptr_array_add(incoming, (gpointer)pb);
	}

	if (!rejoin) {
		clear_participants(room);
		for (i = 0; i < incoming->len; i++)
			g_ptr_array_add(room->participants, participant_from_pb(g_ptr_array_index(incoming, i)));
		g_ptr_array_free(incoming, TRUE);
		return 0;
	}

	/* a rejoin: whoever is not listed any more left while we were away */
	for (i = room->participants->len; i-- > 0;) {
		const struct participant *held = g_ptr_array_index(room->participants, i);
		bool present = false;
		guint j;
		for (j = 0; j < incoming->len && !present; j++)
			present = strcmp(((const Livekit__ParticipantInfo *)g_ptr_array_index(incoming, j))->sid,
					 held->info.sid) == 0;
		if (!present)
			remove_participant(room, i);
	}
	/* the rest is taken as is (a restarted server counts versions anew) */
	for (i = 0; i < incoming->len; i++) {
		const Livekit__ParticipantInfo *pb = g_ptr_array_index(incoming, i);
		int at = find_index(room, pb->sid);
		if (at >= 0) {
			replace_participant(room, at, g_ptr_array_index(room->participants, (guint)at),
					    participant_from_pb(pb));
		} else {
			int dup = find_identity(room, pb->identity, pb->sid);
			if (dup >= 0)
				remove_participant(room, (guint)dup);
			add_participant(room, participant_from_pb(pb));
		}
	}
	g_ptr_array_free(incoming, TRUE);
	return 0;
}

/* ------------------------------------------------------------------ other messages */

static struct participant *find_any(struct alto_room *room, const char *sid)
{
	int i;

	if (sid == NULL)
		return NULL;
	if (is_self(room, sid))
		return room->self;
	i = find_index(room, sid);
	return i >= 0 ? g_ptr_array_index(room->participants, (guint)i) : NULL;
}

static int compare_level(gconstpointer a, gconstpointer b)
{
	const struct alto_speaker *x = a, *y = b;

	if (x->level > y->level)
		return -1;
	if (x->level < y->level)
		return 1;
	return strcmp(x->sid, y->sid);
}

static void apply_speakers(struct alto_room *room, const Livekit__SpeakersChanged *sc)
{
	GArray *active;
	size_t k;
	guint i;

	for (k = 0; sc && k < sc->n_speakers; k++) {
		const Livekit__SpeakerInfo *s = sc->speakers[k];
		struct participant *p = s ? find_any(room, s->sid) : NULL;
		if (p == NULL)
			continue;
		p->info.speaking = s->active;
		/* levels are 0..1; keep garbage (NaN, negative, huge) out of the state */
		p->info.audio_level = s->level >= 0.0f && s->level <= 1.0f ? s->level : 0.0f;
	}

	active = g_array_new(FALSE, TRUE, sizeof(struct alto_speaker));
	for (i = 0; i <= room->participants->len; i++) {
		const struct participant *p = i < room->participants->len ?
			g_ptr_array_index(room->participants, i) : room->self;
		struct alto_speaker s;
		if (p == NULL || !p->info.speaking)
			continue;
		s.sid = p->info.sid;
		s.identity = p->info.identity;
		s.level = p->info.audio_level;
		s.is_self = p == room->self;
		g_array_append_val(active, s);
	}
	g_array_sort(active, compare_level);
	emit(room, speakers, (const struct alto_speaker *)(void *)active->data, active->len);
	g_array_free(active, TRUE);
}

static void apply_quality(struct alto_room *room, const Livekit__ConnectionQualityUpdate *cq)
{
	GArray *updates = g_array_new(FALSE, TRUE, sizeof(struct alto_quality_update));
	size_t k;

	for (k = 0; cq && k < cq->n_updates; k++) {
		const Livekit__ConnectionQualityInfo *q = cq->updates[k];
		struct participant *p = q ? find_any(room, q->participant_sid) : NULL;
		struct alto_quality_update u;
		if (p == NULL)
			continue;
		p->info.quality = (enum alto_connection_quality)q->quality;
		p->info.quality_score = q->score;
		u.sid = p->info.sid;
		u.identity = p->info.identity;
		u.quality = p->info.quality;
		u.score = q->score;
		u.is_self = p == room->self;
		g_array_append_val(updates, u);
	}
	if (updates->len > 0)
		emit(room, quality, (const struct alto_quality_update *)(void *)updates->data, updates->len);
	g_array_free(updates, TRUE);
}

/* Our own track list, changed by the answers to our requests. */
static void self_set_track(struct alto_room *room, const struct alto_track_info *t)
{
	struct participant *self = room->self;
	size_t i;

	for (i = 0; i < self->info.n_tracks; i++) {
		if (strcmp(self->tracks[i].sid, t->sid) == 0) {
			track_clear(&self->tracks[i]);
			track_copy(&self->tracks[i], t);
			return;
		}
	}
	self->tracks = g_renew(struct alto_track_info, self->tracks, self->info.n_tracks + 1);
	track_copy(&self->tracks[self->info.n_tracks++], t);
	self->info.tracks = self->tracks;
}

static bool self_remove_track(struct alto_room *room, const char *sid)
{
	struct participant *self = room->self;
	size_t i;

	for (i = 0; i < self->info.n_tracks; i++) {
		if (strcmp(self->tracks[i].sid, sid) == 0) {
			track_clear(&self->tracks[i]);
			memmove(&self->tracks[i], &self->tracks[i + 1],
				(self->info.n_tracks - i - 1) * sizeof(self->tracks[0]));
			self->info.n_tracks--;
			return true;
		}
	}
	return false;
}

int alto_room_apply_response(struct alto_room *room, const Livekit__SignalResponse *msg)
{
	size_t k;

	if (msg == NULL)
		return 0;
	switch (msg->message_case) {
	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE:
		if (!room->joined || msg->update == NULL)
			return 1;
		for (k = 0; k < msg->update->n_participants; k++)
			apply_participant(room, msg->update->participants[k]);
		return 1;

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED: {
		const Livekit__TrackPublishedResponse *tp = msg->track_published;
		struct alto_track_info t;
		if (!room->joined || tp == NULL || !valid_track(tp->track))
			return 1;
		track_from_pb(&t, tp->track);
		self_set_track(room, &t);
		emit(room, local_track_published, tp->cid ? tp->cid : "", &t);
		track_clear(&t);
		return 1;
	}

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED: {
		const Livekit__TrackUnpublishedResponse *tu = msg->track_unpublished;
		if (!room->joined || tu == NULL || tu->track_sid == NULL || tu->track_sid[0] == '\0')
			return 1;
		if (self_remove_track(room, tu->track_sid))
			emit(room, local_track_unpublished, tu->track_sid);
		return 1;
	}

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_MUTE: {
		const Livekit__MuteTrackRequest *m = msg->mute;
		struct participant *self = room->self;
		size_t i;
		if (!room->joined || m == NULL || m->sid == NULL)
			return 1;
		for (i = 0; i < self->info.n_tracks; i++) {
			if (strcmp(self->tracks[i].sid, m->sid) == 0) {
				self->tracks[i].muted = m->muted;
				emit(room, local_track_muted, m->sid, (bool)m->muted);
				break;
			}
		}
		return 1;
	}

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED:
		if (room->joined)
			apply_speakers(room, msg->speakers_changed);
		return 1;

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_CONNECTION_QUALITY:
		if (room->joined)
			apply_quality(room, msg->connection_quality);
		return 1;

	case LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE:
		if (!room->joined || msg->room_update == NULL || msg->room_update->room == NULL)
			return 1;
		room_info_from_pb(&room->info, msg->room_update->room);
		emit(room, room_updated, &room->info);
		return 1;

	default:
		return 0;
	}
}

int alto_room_apply_snapshot(struct alto_room *room, const Livekit__ParticipantUpdate *u)
{
	bool has_self = false;
	size_t k;
	guint i;

	if (!room->joined || u == NULL)
		return 0;
	for (k = 0; k < u->n_participants && !has_self; k++)
		has_self = valid_participant(u->participants[k]) && is_self(room, u->participants[k]->sid);
	for (k = 0; k < u->n_participants; k++)
		apply_participant(room, u->participants[k]);
	if (!has_self)
		return 0;
	for (i = room->participants->len; i-- > 0;) {
		const struct participant *held = g_ptr_array_index(room->participants, i);
		bool listed = false;
		for (k = 0; k < u->n_participants && !listed; k++)
			listed = valid_participant(u->participants[k]) &&
				 strcmp(u->participants[k]->sid, held->info.sid) == 0;
		if (!listed && i < room->participants->len)
			remove_participant(room, i);
	}
	return 1;
}

bool alto_room_joined(const struct alto_room *room)
{
	return room->joined;
}

const struct alto_room_info *alto_room_info(const struct alto_room *room)
{
	return room->joined ? &room->info : NULL;
}

const struct alto_participant_info *alto_room_self(const struct alto_room *room)
{
	return room->self ? &room->self->info : NULL;
}

size_t alto_room_participants(struct alto_room *room, const struct alto_participant_info *const **list)
{
	guint i;

	g_ptr_array_set_size(room->view, 0);
	for (i = 0; i < room->participants->len; i++)
		g_ptr_array_add(room->view,
				&((struct participant *)g_ptr_array_index(room->participants, i))->info);
	if (list)
		*list = (const struct alto_participant_info *const *)room->view->pdata;
	return room->view->len;
}

const struct alto_participant_info *alto_room_find(const struct alto_room *room, const char *sid)
{
	int i;

	if (sid == NULL)
		return NULL;
	if (is_self(room, sid))
		return &room->self->info;
	i = find_index(room, sid);
	return i >= 0 ? &((struct participant *)g_ptr_array_index(room->participants, (guint)i))->info : NULL;
}

/* ------------------------------------------------------------------ ICE servers */

void alto_ice_servers_from_pb(struct alto_ice_servers *out, size_t n, Livekit__ICEServer *const *pb)
{
	size_t i, m = 0;

	out->servers = g_new0(struct alto_ice_server, n ? n : 1);
	for (i = 0; i < n; i++) {
		struct alto_ice_server *s = &out->servers[m];
		const char **urls;
		size_t u;
		if (pb[i] == NULL)
			continue;
		urls = g_new0(const char *, pb[i]->n_urls + 1);
		for (u = 0; u < pb[i]->n_urls; u++)
			urls[u] = dup_str(pb[i]->urls[u]);
		s->urls = urls;
		s->n_urls = pb[i]->n_urls;
		s->username = dup_str(pb[i]->username);
		s->credential = dup_str(pb[i]->credential);
		m++;
	}
	out->n = m;
}

void alto_ice_servers_clear(struct alto_ice_servers *s)
{
	size_t i, u;

	for (i = 0; i < s->n; i++) {
		for (u = 0; u < s->servers[i].n_urls; u++)
			free_str(s->servers[i].urls[u]);
		g_free((void *)s->servers[i].urls);
		free_str(s->servers[i].username);
		free_str(s->servers[i].credential);
	}
	g_free(s->servers);
	s->servers = NULL;
	s->n = 0;
}
