/* Unit tests: room state from decoded signal messages (versions, stale
 * updates, identity reuse, tracks, speakers, quality, our own tracks, rejoin). */
#include <string.h>

#include <glib.h>

#include "room.h"

static GString *log_text;

static void logf_(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_string_append_vprintf(log_text, fmt, ap);
	va_end(ap);
	g_string_append_c(log_text, ';');
}

static void ev_joined(void *d, const struct alto_participant_info *p) { logf_("joined %s", p->identity); }
static void ev_updated(void *d, const struct alto_participant_info *p) { logf_("updated %s", p->identity); }
static void ev_left(void *d, const struct alto_participant_info *p) { logf_("left %s", p->identity); }
static void ev_self(void *d, const struct alto_participant_info *p) { logf_("self v%u", p->version); }
static void ev_pub(void *d, const struct alto_participant_info *p, const struct alto_track_info *t)
{ logf_("published %s %s", p->identity, t->sid); }
static void ev_unpub(void *d, const struct alto_participant_info *p, const struct alto_track_info *t)
{ logf_("unpublished %s %s", p->identity, t->sid); }
static void ev_muted(void *d, const struct alto_participant_info *p, const struct alto_track_info *t)
{ logf_("%s %s %s", t->muted ? "muted" : "unmuted", p->identity, t->sid); }
static void ev_speakers(void *d, const struct alto_speaker *s, size_t n)
{
	GString *l = g_string_new("speakers");
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(l, " %s", s[i].identity);
	logf_("%s", l->str);
	g_string_free(l, TRUE);
}
static void ev_quality(void *d, const struct alto_quality_update *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		logf_("quality %s %s", q[i].identity, alto_connection_quality_name(q[i].quality));
}
static void ev_room(void *d, const struct alto_room_info *r) { logf_("room %s", r->metadata); }
static void ev_local_pub(void *d, const char *cid, const struct alto_track_info *t) { logf_("local %s %s", cid, t->sid); }
static void ev_local_unpub(void *d, const char *sid) { logf_("local-unpublished %s", sid); }
static void ev_local_muted(void *d, const char *sid, bool m) { logf_("local-muted %s %d", sid, m); }

static const struct alto_signal_events events = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.participant_joined = ev_joined,
	.participant_updated = ev_updated,
	.participant_left = ev_left,
	.self_updated = ev_self,
	.track_published = ev_pub,
	.track_unpublished = ev_unpub,
	.track_muted = ev_muted,
	.speakers = ev_speakers,
	.quality = ev_quality,
	.room_updated = ev_room,
	.local_track_published = ev_local_pub,
	.local_track_unpublished = ev_local_unpub,
	.local_track_muted = ev_local_muted,
};

/* ------------------------------------------------------------------ builders */

static Livekit__TrackInfo *track(const char *sid, bool muted)
{
	Livekit__TrackInfo *t = g_new0(Livekit__TrackInfo, 1);
	livekit__track_info__init(t);
	t->sid = g_strdup(sid);
	t->name = g_strdup("mic");
	t->type = LIVEKIT__TRACK_TYPE__AUDIO;
	t->source = LIVEKIT__TRACK_SOURCE__MICROPHONE;
	t->muted = muted;
	return t;
}

static Livekit__ParticipantInfo *participant(const char *sid, const char *identity, uint32_t version,
					     int state, Livekit__TrackInfo *t1)
{
	Livekit__ParticipantInfo *p = g_new0(Livekit__ParticipantInfo, 1);
	livekit__participant_info__init(p);
	p->sid = g_strdup(sid);
	p->identity = g_strdup(identity);
	p->name = g_strdup(identity);
	p->version = version;
	p->state = state;
	if (t1) {
		p->n_tracks = 1;
		p->tracks = g_new0(Livekit__TrackInfo *, 1);
		p->tracks[0] = t1;
	}
	return p;
}

static void free_participant(Livekit__ParticipantInfo *p)
{
	for (size_t i = 0; i < p->n_tracks; i++) {
		g_free(p->tracks[i]->sid);
		g_free(p->tracks[i]->name);
		g_free(p->tracks[i]);
	}
	g_free(p->tracks);
	g_free(p->sid);
	g_free(p->identity);
	g_free(p->name);
	g_free(p);
}

#define ACTIVE LIVEKIT__PARTICIPANT_INFO__STATE__ACTIVE
#define GONE LIVEKIT__PARTICIPANT_INFO__STATE__DISCONNECTED

/* applies a ParticipantUpdate with one participant and returns the event log */
static const char *update(struct alto_room *room, Livekit__ParticipantInfo *p)
{
	Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
	Livekit__ParticipantUpdate u = LIVEKIT__PARTICIPANT_UPDATE__INIT;

	g_string_truncate(log_text, 0);
	u.n_participants = 1;
	u.participants = &p;
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_UPDATE;
	msg.update = &u;
	g_assert_cmpint(alto_room_apply_response(room, &msg), ==, 1);
	free_participant(p);
	return log_text->str;
}

static const char *join(struct alto_room *room, bool rejoin, Livekit__ParticipantInfo **others, size_t n)
{
	Livekit__JoinResponse jr = LIVEKIT__JOIN_RESPONSE__INIT;
	Livekit__Room r = LIVEKIT__ROOM__INIT;

	g_string_truncate(log_text, 0);
	r.name = (char *)"room";
	r.sid = (char *)"RM_1";
	jr.room = &r;
	jr.participant = participant(rejoin ? "PA_self2" : "PA_self", "me", 1, ACTIVE, NULL);
	jr.other_participants = others;
	jr.n_other_participants = n;
	g_assert_cmpint(alto_room_apply_join(room, &jr, rejoin), ==, 0);
	free_participant(jr.participant);
	for (size_t i = 0; i < n; i++)
		free_participant(others[i]);
	return log_text->str;
}

static const char *identities(struct alto_room *room)
{
	const struct alto_participant_info *const *list;
	size_t n = alto_room_participants(room, &list);
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		g_strlcat(buf, list[i]->identity, sizeof(buf));
		g_strlcat(buf, " ", sizeof(buf));
	}
	return buf;
}

/* ------------------------------------------------------------------ tests */

static void test_join_and_versions(void)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	Livekit__ParticipantInfo *others[] = {
		participant("PA_a", "alice", 1, ACTIVE, NULL),
		participant("PA_b", "bob", 1, ACTIVE, NULL),
		participant("PA_self", "me", 1, ACTIVE, NULL),     /* ourselves: never listed */
		participant("PA_a", "alice", 1, ACTIVE, NULL),     /* listed twice */
		participant("PA_x", "gone", 1, GONE, NULL),        /* already left */
		participant("", "nosid", 1, ACTIVE, NULL),         /* invalid */
	};

	/* state messages before a join are ignored */
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 1, ACTIVE, NULL)), ==, "");
	g_assert_null(alto_room_self(room));

	/* the first join reports nothing per participant */
	g_assert_cmpstr(join(room, false, others, G_N_ELEMENTS(others)), ==, "");
	g_assert_cmpstr(identities(room), ==, "alice bob ");
	g_assert_cmpstr(alto_room_self(room)->sid, ==, "PA_self");

	g_assert_cmpstr(update(room, participant("PA_a", "alice", 2, ACTIVE, track("TR_1", false))), ==,
			"published alice TR_1;");
	/* older than what we hold: dropped, the track stays */
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 1, ACTIVE, NULL)), ==, "");
	g_assert_cmpuint(alto_room_find(room, "PA_a")->n_tracks, ==, 1);
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 3, ACTIVE, track("TR_1", true))), ==,
			"muted alice TR_1;");
	/* the same version again: applied, nothing changed */
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 3, ACTIVE, track("TR_1", true))), ==, "");
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 4, ACTIVE, track("TR_1", false))), ==,
			"unmuted alice TR_1;");
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 5, ACTIVE, NULL)), ==,
			"unpublished alice TR_1;");
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 6, LIVEKIT__PARTICIPANT_INFO__STATE__JOINED, NULL)),
			==, "updated alice;");

	/* a newcomer with a track */
	g_assert_cmpstr(update(room, participant("PA_c", "carol", 1, ACTIVE, track("TR_c", false))), ==,
			"joined carol;published carol TR_c;");
	/* bob leaves; a stale echo of bob must not bring him back */
	g_assert_cmpstr(update(room, participant("PA_b", "bob", 2, GONE, NULL)), ==, "left bob;");
	g_assert_cmpstr(update(room, participant("PA_b", "bob", 1, ACTIVE, NULL)), ==, "");
	g_assert_cmpstr(update(room, participant("PA_b", "bob", 2, ACTIVE, NULL)), ==, "");
	g_assert_null(alto_room_find(room, "PA_b"));
	/* a DISCONNECTED for someone never seen: nothing */
	g_assert_cmpstr(update(room, participant("PA_z", "zed", 1, GONE, NULL)), ==, "");
	/* carol reconnects under a new sid: the old one is gone */
	g_assert_cmpstr(update(room, participant("PA_c2", "carol", 1, ACTIVE, NULL)), ==, "left carol;joined carol;");
	g_assert_cmpstr(identities(room), ==, "alice carol ");
	/* our own participant: self events only, never a remote participant */
	g_assert_cmpstr(update(room, participant("PA_self", "me", 2, ACTIVE, NULL)), ==, "self v2;");
	g_assert_cmpstr(update(room, participant("PA_self", "me", 1, ACTIVE, NULL)), ==, "");
	g_assert_cmpstr(identities(room), ==, "alice carol ");

	alto_room_free(room);
}

static void test_speakers_quality_local(void)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	Livekit__ParticipantInfo *others[] = {
		participant("PA_a", "alice", 1, ACTIVE, NULL),
		participant("PA_b", "bob", 1, ACTIVE, NULL),
	};
	Livekit__SignalResponse msg = LIVEKIT__SIGNAL_RESPONSE__INIT;
	Livekit__SpeakersChanged sc = LIVEKIT__SPEAKERS_CHANGED__INIT;
	Livekit__SpeakerInfo s1 = LIVEKIT__SPEAKER_INFO__INIT, s2 = LIVEKIT__SPEAKER_INFO__INIT,
			     s3 = LIVEKIT__SPEAKER_INFO__INIT;
	Livekit__SpeakerInfo *sp[] = { &s1, &s2, &s3 };
	Livekit__ConnectionQualityUpdate cq = LIVEKIT__CONNECTION_QUALITY_UPDATE__INIT;
	Livekit__ConnectionQualityInfo q1 = LIVEKIT__CONNECTION_QUALITY_INFO__INIT, q2 = LIVEKIT__CONNECTION_QUALITY_INFO__INIT;
	Livekit__ConnectionQualityInfo *qs[] = { &q1, &q2 };
	Livekit__TrackPublishedResponse tp = LIVEKIT__TRACK_PUBLISHED_RESPONSE__INIT;
	Livekit__MuteTrackRequest mute = LIVEKIT__MUTE_TRACK_REQUEST__INIT;
	Livekit__TrackUnpublishedResponse tu = LIVEKIT__TRACK_UNPUBLISHED_RESPONSE__INIT;
	Livekit__RoomUpdate ru = LIVEKIT__ROOM_UPDATE__INIT;
	Livekit__Room r = LIVEKIT__ROOM__INIT;

	join(room, false, others, G_N_ELEMENTS(others));

	s1.sid = (char *)"PA_a"; s1.level = 0.3f; s1.active = true;
	s2.sid = (char *)"PA_b"; s2.level = 0.7f; s2.active = true;
	s3.sid = (char *)"PA_unknown"; s3.level = 0.9f; s3.active = true;
	sc.speakers = sp;
	sc.n_speakers = 3;
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_SPEAKERS_CHANGED;
	msg.speakers_changed = &sc;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "speakers bob alice;");
	s2.active = false;
	sc.n_speakers = 1;
	sp[0] = &s2;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "speakers alice;");
	g_assert_true(alto_room_find(room, "PA_a")->speaking);
	g_assert_false(alto_room_find(room, "PA_b")->speaking);

	q1.participant_sid = (char *)"PA_b"; q1.quality = LIVEKIT__CONNECTION_QUALITY__POOR;
	q2.participant_sid = (char *)"PA_nobody"; q2.quality = LIVEKIT__CONNECTION_QUALITY__LOST;
	cq.updates = qs;
	cq.n_updates = 2;
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_CONNECTION_QUALITY;
	msg.connection_quality = &cq;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "quality bob poor;");
	g_assert_cmpint(alto_room_find(room, "PA_b")->quality, ==, ALTO_QUALITY_POOR);
	/* a later update of bob keeps what only we track */
	update(room, participant("PA_b", "bob", 2, ACTIVE, NULL));
	g_assert_cmpint(alto_room_find(room, "PA_b")->quality, ==, ALTO_QUALITY_POOR);

	/* our own track: published, muted by the server, unpublished */
	tp.cid = (char *)"mic-1";
	tp.track = track("TR_me", false);
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED;
	msg.track_published = &tp;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "local mic-1 TR_me;");
	g_assert_cmpuint(alto_room_self(room)->n_tracks, ==, 1);
	mute.sid = (char *)"TR_me";
	mute.muted = true;
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_MUTE;
	msg.mute = &mute;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "local-muted TR_me 1;");
	g_assert_true(alto_room_self(room)->tracks[0].muted);
	tu.track_sid = (char *)"TR_me";
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED;
	msg.track_unpublished = &tu;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	alto_room_apply_response(room, &msg);   /* twice: reported once */
	g_assert_cmpstr(log_text->str, ==, "local-unpublished TR_me;");
	g_assert_cmpuint(alto_room_self(room)->n_tracks, ==, 0);
	g_free(tp.track->sid);
	g_free(tp.track->name);
	g_free(tp.track);

	r.metadata = (char *)"meta";
	ru.room = &r;
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE;
	msg.room_update = &ru;
	g_string_truncate(log_text, 0);
	alto_room_apply_response(room, &msg);
	g_assert_cmpstr(log_text->str, ==, "room meta;");

	/* not a state message */
	msg.message_case = LIVEKIT__SIGNAL_RESPONSE__MESSAGE_PONG;
	g_assert_cmpint(alto_room_apply_response(room, &msg), ==, 0);
	alto_room_free(room);
}

static void test_rejoin(void)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	Livekit__ParticipantInfo *first[] = {
		participant("PA_a", "alice", 5, ACTIVE, track("TR_a", false)),
		participant("PA_b", "bob", 3, ACTIVE, NULL),
		participant("PA_c", "carol", 1, ACTIVE, NULL),
	};
	/* a restarted server: versions start again, bob gone, carol under a new sid, dave new */
	Livekit__ParticipantInfo *second[] = {
		participant("PA_a", "alice", 1, ACTIVE, NULL),
		participant("PA_c2", "carol", 1, ACTIVE, NULL),
		participant("PA_d", "dave", 1, ACTIVE, track("TR_d", true)),
	};

	join(room, false, first, G_N_ELEMENTS(first));
	g_assert_cmpstr(join(room, true, second, G_N_ELEMENTS(second)), ==,
			"left carol;left bob;unpublished alice TR_a;joined carol;joined dave;published dave TR_d;");
	g_assert_cmpstr(identities(room), ==, "alice carol dave ");
	g_assert_cmpstr(alto_room_self(room)->sid, ==, "PA_self2");
	/* versions were reset by the rejoin: version 2 applies */
	g_assert_cmpstr(update(room, participant("PA_a", "alice", 2, ACTIVE, track("TR_a2", false))), ==,
			"published alice TR_a2;");
	alto_room_free(room);
}

static const char *snapshot(struct alto_room *room, Livekit__ParticipantInfo **list, size_t n, int *res)
{
	Livekit__ParticipantUpdate u = LIVEKIT__PARTICIPANT_UPDATE__INIT;

	g_string_truncate(log_text, 0);
	u.participants = list;
	u.n_participants = n;
	*res = alto_room_apply_snapshot(room, &u);
	for (size_t i = 0; i < n; i++)
		free_participant(list[i]);
	return log_text->str;
}

static void test_resume_snapshot(void)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	Livekit__ParticipantInfo *first[] = {
		participant("PA_a", "alice", 1, ACTIVE, NULL),
		participant("PA_b", "bob", 1, ACTIVE, NULL),
	};
	/* no self in it: a plain update, nobody removed */
	Livekit__ParticipantInfo *partial[] = { participant("PA_c", "carol", 1, ACTIVE, NULL) };
	/* the update after a ReconnectResponse: everyone, ourselves included; bob left meanwhile */
	Livekit__ParticipantInfo *full[] = {
		participant("PA_self", "me", 2, ACTIVE, NULL),
		participant("PA_a", "alice", 2, ACTIVE, track("TR_a", false)),
		participant("PA_c", "carol", 1, ACTIVE, NULL),
		participant("PA_d", "dave", 1, ACTIVE, NULL),
	};
	int res;

	join(room, false, first, G_N_ELEMENTS(first));
	g_assert_cmpstr(snapshot(room, partial, 1, &res), ==, "joined carol;");
	g_assert_cmpint(res, ==, 0);
	g_assert_cmpstr(snapshot(room, full, G_N_ELEMENTS(full), &res), ==,
			"self v2;published alice TR_a;joined dave;left bob;");
	g_assert_cmpint(res, ==, 1);
	g_assert_cmpstr(identities(room), ==, "alice carol dave ");
	alto_room_free(room);
}

static void test_bad_join(void)
{
	struct alto_room *room = alto_room_new(&events, NULL);
	Livekit__JoinResponse jr = LIVEKIT__JOIN_RESPONSE__INIT;

	g_assert_cmpint(alto_room_apply_join(room, &jr, false), ==, -EBADMSG);
	g_assert_cmpint(alto_room_apply_join(room, NULL, false), ==, -EBADMSG);
	g_assert_false(alto_room_joined(room));
	alto_room_free(room);
}

int main(int argc, char **argv)
{
	int res;

	log_text = g_string_new(NULL);
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/room/join-and-versions", test_join_and_versions);
	g_test_add_func("/room/speakers-quality-local", test_speakers_quality_local);
	g_test_add_func("/room/rejoin", test_rejoin);
	g_test_add_func("/room/resume-snapshot", test_resume_snapshot);
	g_test_add_func("/room/bad-join", test_bad_join);
	res = g_test_run();
	g_string_free(log_text, TRUE);
	return res;
}
