/* The room session object: its network thread and the hand-offs between
 * that thread and the PipeWire main loop. See room-session.h and the
 * "Threads" section of node/README.md.
 *
 * Hand-offs:
 *  - network → main loop: session_post_*() queue a call on s->handoff
 *    (handoff.h: mutex-protected list + eventfd source on the main loop);
 *  - main loop → network: g_main_context_invoke() on s->net_context (leave,
 *    shutdown); GLib makes that safe from any thread;
 *  - network → data loop: RTP into each track's jitter buffer (lock-free
 *    SPSC ring inside jitter_buffer.c), nothing else. */
#define G_LOG_DOMAIN "alto-room"
#include "room-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

PW_LOG_TOPIC_STATIC(session_topic, "alto.session");
#define PW_LOG_TOPIC_DEFAULT session_topic

#define emit(s, ev, ...)							\
	do {									\
		if ((s)->events && (s)->events->ev)				\
			(s)->events->ev((s)->events_data, ##__VA_ARGS__);	\
	} while (0)

void track_media_free(struct track_media *m)
{
	if (m == NULL)
		return;
	if (m->jb)
		alto_jitter_buffer_destroy(m->jb);
	g_free(m->track_sid);
	g_free(m->track_name);
	g_free(m->participant_sid);
	g_free(m->identity);
	g_free(m->name);
	g_free(m);
}

/* ------------------------------------------------------------------ network → main loop */

enum msg_type {
	MSG_STREAM_ADD,
	MSG_STREAM_REMOVE,
	MSG_PARTICIPANT_UPDATE,
	MSG_ERROR,
	MSG_ENDED,
	MSG_PUBLISHED,
	MSG_SEND_MUTED,
	MSG_SEND_PROBLEM,
};

struct msg {
	enum msg_type type;
	struct track_media *media;		/* STREAM_ADD: taken by the graph */
	char *track_sid;			/* STREAM_REMOVE */
	struct participant_update *update;	/* PARTICIPANT_UPDATE */
	int res;				/* ERROR */
	char *message;				/* ERROR; PUBLISHED: the track sid (NULL: unpublished) */
	bool muted;				/* SEND_MUTED */
	bool from_server;
};

static void free_update(struct participant_update *u)
{
	if (u == NULL)
		return;
	g_free(u->participant_sid);
	g_free(u->name);
	g_free(u->track_sid);
	g_free(u);
}

static void free_msg(void *item)
{
	struct msg *m = item;

	track_media_free(m->media);
	g_free(m->track_sid);
	free_update(m->update);
	g_free(m->message);
	g_free(m);
}

/* main loop thread */
static void run_msg(void *owner, void *item)
{
	struct session *s = owner;
	struct msg *m = item;

	if (s->destroying)
		return;
	switch (m->type) {
	case MSG_STREAM_ADD:
		if (s->graph) {
			room_graph_add_stream(s->graph, m->media);
			m->media = NULL;
		}
		break;
	case MSG_STREAM_REMOVE:
		if (s->graph)
			room_graph_remove_stream(s->graph, m->track_sid);
		break;
	case MSG_PARTICIPANT_UPDATE:
		if (s->graph)
			room_graph_update_participant(s->graph, m->update);
		break;
	case MSG_ERROR:
		emit(s, error, m->res, m->message);
		break;
	case MSG_ENDED:
		emit(s, ended);
		break;
	case MSG_PUBLISHED:
		emit(s, published, m->message);
		break;
	case MSG_SEND_MUTED:
		emit(s, send_muted, m->muted, m->from_server);
		break;
	case MSG_SEND_PROBLEM:
		if (s->events && s->events->send_problem)
			emit(s, send_problem, m->res, m->message);
		else
			emit(s, error, m->res, m->message);
		break;
	}
}

static void post(struct session *s, struct msg *m)
{
	int res = alto_handoff_post(s->handoff, run_msg, m, free_msg);
	if (res < 0)
		g_debug("hand-off to the main loop failed: %s", g_strerror(-res));
}

void session_post_stream_add(struct session *s, struct track_media *media)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_STREAM_ADD;
	m->media = media;
	post(s, m);
}

void session_post_stream_remove(struct session *s, const char *track_sid)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_STREAM_REMOVE;
	m->track_sid = g_strdup(track_sid);
	post(s, m);
}

void session_post_participant_update(struct session *s, struct participant_update *u)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_PARTICIPANT_UPDATE;
	m->update = u;
	post(s, m);
}

void session_post_error(struct session *s, int res, const char *message)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_ERROR;
	m->res = res;
	m->message = g_strdup(message);
	post(s, m);
}

void session_post_ended(struct session *s)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_ENDED;
	post(s, m);
}

/* ------------------------------------------------------------------ the send path's host */

/* network thread: our section was added, offer again (single PC) */
static void send_renegotiate(void *data)
{
	struct session *s = data;

	if (s->net)
		room_net_renegotiate(s->net);
}

/* any thread */
static void send_message(void *data, int res, const char *message)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_SEND_PROBLEM;
	m->res = res;
	m->message = g_strdup(message);
	post(data, m);
}

/* main loop */
static void send_stream_ready(void *data, const char *node_name, uint32_t node_id)
{
	struct session *s = data;

	if (!s->destroying)
		emit(s, send_stream_added, node_name, node_id);
}

/* network thread */
static void send_published(void *data, const char *track_sid)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_PUBLISHED;
	m->message = g_strdup(track_sid);
	post(data, m);
}

/* network thread */
static void send_muted(void *data, bool muted, bool from_server)
{
	struct msg *m = g_new0(struct msg, 1);
	m->type = MSG_SEND_MUTED;
	m->muted = muted;
	m->from_server = from_server;
	post(data, m);
}

static const struct send_session_host send_host = {
	.renegotiate = send_renegotiate,
	.message = send_message,
	.stream_ready = send_stream_ready,
	.muted = send_muted,
	.published = send_published,
};

/* ------------------------------------------------------------------ network thread */

static gpointer net_thread_main(gpointer data)
{
	struct session *s = data;

	g_main_context_push_thread_default(s->net_context);
	s->net = room_net_new(s);
	if (s->net == NULL) {
		char *msg = g_strdup_printf("cannot start the signaling client: %s", g_strerror(errno));
		session_post_error(s, -errno, msg);
		session_post_ended(s);
		g_free(msg);
	} else {
		if (atomic_load(&s->leave_requested))
			room_net_leave(s->net);
		g_main_loop_run(s->net_loop);
		room_net_destroy(s->net);
		s->net = NULL;
	}
	/* let deferred frees (idle sources of lws/libnice teardown) run */
	while (g_main_context_iteration(s->net_context, FALSE))
		;
	g_main_context_pop_thread_default(s->net_context);
	return NULL;
}

static gboolean do_leave(gpointer data)
{
	struct session *s = data;

	atomic_store(&s->leave_requested, true);
	if (s->net)
		room_net_leave(s->net);
	return G_SOURCE_REMOVE;
}

static gboolean do_quit(gpointer data)
{
	struct session *s = data;

	g_main_loop_quit(s->net_loop);
	return G_SOURCE_REMOVE;
}

/* How long destroy lets a leave it sends itself go out before the network
 * thread stops (the caller's loop waits that long, at most). */
#define LEAVE_GRACE_MS 200

/* Destroyed while still in the room (a module unloaded, the daemon
 * stopping): leave politely, so that the others see us go now and not after
 * the server's timeout, then stop. */
static gboolean do_leave_then_quit(gpointer data)
{
	struct session *s = data;
	GSource *timer;

	do_leave(s);
	timer = g_timeout_source_new(LEAVE_GRACE_MS);
	g_source_set_callback(timer, do_quit, s, NULL);
	g_source_attach(timer, s->net_context);
	g_source_unref(timer);
	return G_SOURCE_REMOVE;
}

/* Main loop: the network side starts joining. With a graph, only once its
 * names are final (room-graph.c: the registry read, the mixer exported
 * under a name nobody else has), so that every stream is made under them. */
static int start_network(struct session *s)
{
	GError *err = NULL;

	if (s->net_thread)
		return 0;
	s->net_thread = g_thread_try_new("alto-net", net_thread_main, s, &err);
	if (s->net_thread == NULL) {
		pw_log_error("cannot start the network thread: %s", err->message);
		g_error_free(err);
		return -EAGAIN;
	}
	return 0;
}

void session_graph_ready(struct session *s)
{
	char name[ALTO_NAME_MAX], description[256];
	int res;

	if (s->destroying || s->net_thread)
		return;
	/* a second session of the room in this graph: the send stream is named
	 * like the room node (the stream is made after the join, so after this) */
	if (room_graph_send_names(s->graph, name, sizeof(name), description, sizeof(description)) > 0)
		send_session_set_stream_names(s->send, name, description);
	if ((res = start_network(s)) < 0) {
		emit(s, error, res, "cannot start the network thread");
		emit(s, ended);
	}
}

/* ------------------------------------------------------------------ public */

struct alto_room_session *alto_room_session_new(struct pw_loop *main_loop, struct pw_context *context,
		struct pw_core *core, const struct alto_room_session_config *cfg,
		const struct alto_room_session_events *events, void *data)
{
	struct session *s;
	int res;

	PW_LOG_TOPIC_INIT(session_topic);
	if (main_loop == NULL || cfg == NULL || cfg->url == NULL || cfg->token == NULL) {
		errno = EINVAL;
		return NULL;
	}
	s = g_new0(struct session, 1);
	s->cfg = *cfg;
	s->cfg.url = g_strdup(cfg->url);
	s->cfg.token = g_strdup(cfg->token);
	s->cfg.room = NULL;
	s->cfg.target = g_strdup(cfg->target);
	s->room = g_strdup(cfg->room && cfg->room[0] ? cfg->room : "room");
	s->events = events;
	s->events_data = data;
	s->main_loop = main_loop;
	s->context = context;
	s->core = core;
	if (core == NULL || context == NULL)
		s->cfg.no_media = true;

	if ((s->handoff = alto_handoff_new(main_loop, s)) == NULL)
		goto error_errno;
	if (!s->cfg.no_media && (s->graph = room_graph_new(s)) == NULL)
		goto error_errno;

	s->net_context = g_main_context_new();
	s->net_loop = g_main_loop_new(s->net_context, FALSE);
	{
		struct send_session_config scfg = {
			.room = s->room,
			.no_publish = cfg->no_publish,
			.start_muted = cfg->start_muted,
			.source = cfg->source,
			.bitrate = cfg->bitrate,
			.stream_props = cfg->send_props,
		};
		s->send = send_session_new(&scfg, s->cfg.no_media ? NULL : core, s->handoff, s->net_context,
					   &send_host, s);
		if (s->send == NULL)
			goto error_errno;
	}
	/* with a graph: when its names are final (session_graph_ready) */
	if (s->graph == NULL && (res = start_network(s)) < 0) {
		errno = -res;
		goto error_errno;
	}
	return (struct alto_room_session *)s;

error_errno:
	res = errno ? errno : EIO;
	send_session_destroy(s->send);
	if (s->graph)
		room_graph_destroy(s->graph);
	if (s->handoff)
		alto_handoff_destroy(s->handoff);
	if (s->net_loop)
		g_main_loop_unref(s->net_loop);
	if (s->net_context)
		g_main_context_unref(s->net_context);
	if (s->cfg.token)
		memset((char *)s->cfg.token, 0, strlen(s->cfg.token));
	g_free((char *)s->cfg.token);
	g_free((char *)s->cfg.url);
	g_free((char *)s->cfg.target);
	g_free(s->room);
	g_free(s);
	errno = res;
	return NULL;
}

int alto_room_session_leave(struct alto_room_session *session)
{
	struct session *s = (struct session *)session;

	if (s == NULL)
		return -EINVAL;
	g_main_context_invoke(s->net_context, do_leave, s);
	return 0;
}

void alto_room_session_destroy(struct alto_room_session *session)
{
	struct session *s = (struct session *)session;

	if (s == NULL)
		return;
	s->destroying = true;
	if (s->net_thread) {
		if (atomic_load(&s->leave_requested))
			g_main_context_invoke(s->net_context, do_quit, s);
		else
			g_main_context_invoke(s->net_context, do_leave_then_quit, s);
		g_thread_join(s->net_thread);
	}
	/* nothing posts any more: drop what is queued, then the send stream and the graph */
	alto_handoff_destroy(s->handoff);
	send_session_destroy(s->send);
	if (s->graph)
		room_graph_destroy(s->graph);
	g_main_loop_unref(s->net_loop);
	g_main_context_unref(s->net_context);
	memset((char *)s->cfg.token, 0, strlen(s->cfg.token));
	g_free((char *)s->cfg.token);
	g_free((char *)s->cfg.url);
	g_free((char *)s->cfg.target);
	g_free(s->room);
	g_free(s);
}

struct alto_signal_client *alto_room_session_signal_client(struct alto_room_session *session)
{
	struct session *s = (struct session *)session;

	return s ? room_net_client(s->net) : NULL;
}
