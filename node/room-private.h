/* Internals of the room session shared by its files:
 *   room-session.c        the session object, its network thread, the hand-offs
 *   room-net.c            network thread: signaling, peer connections, receivers, RTCP
 *   room-graph.c          main loop: registry, room mixer, links, default sink
 *   participant-stream.c  main loop + data loop: one pw_stream per remote track
 * Which thread may touch what is written next to each field. */
#ifndef ALTO_NODE_ROOM_PRIVATE_H
#define ALTO_NODE_ROOM_PRIVATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <pipewire/pipewire.h>
#include <spa/utils/list.h>
#include <spa/utils/result.h>

#include "alto-signal.h"
#include "handoff.h"
#include "jitter_buffer.h"
#include "room-session.h"
#include "send-session.h"

/* One remote track's media as the graph sees it. Made on the network thread
 * (which then pushes into jb), handed to the main loop with the STREAM_ADD
 * call; from the moment the network thread posts the matching remove call it
 * never touches it again, and the main loop frees it after the stream that
 * pulls from it is destroyed. */
struct track_media {
	struct alto_jitter_buffer *jb;
	uint32_t channels;
	char *track_sid;
	char *track_name;
	char *participant_sid;
	char *identity;
	char *name;			/* display name ("" → identity) */
	bool speaking;
	int quality;			/* enum alto_connection_quality, -1 unknown */
	bool muted;			/* the publisher muted this track */
	/* generic NACK (network thread writes, the stats timer reads): sequence
	 * numbers asked for again (retries too), and those that came back */
	_Atomic uint64_t nack_requested;
	_Atomic uint64_t nack_recovered;
};

void track_media_free(struct track_media *m);

/* A change of what the graph shows about a participant (network → main). */
struct participant_update {
	char *participant_sid;
	char *name;			/* NULL: unchanged */
	int speaking;			/* -1: unchanged */
	int quality;			/* -1: unchanged */
	int muted;			/* -1: unchanged; else for track_sid only */
	char *track_sid;		/* with muted */
};

/* ------------------------------------------------------------------ session */

struct room_net;
struct room_graph;

struct session {
	/* read-only after new() (any thread) */
	struct alto_room_session_config cfg;	/* strings owned (g_strdup) */
	char *room;
	const struct alto_room_session_events *events;
	void *events_data;

	/* main loop thread */
	struct pw_loop *main_loop;
	struct pw_context *context;
	struct pw_core *core;
	struct alto_handoff *handoff;
	struct room_graph *graph;		/* NULL without media */
	struct send_session *send;		/* the send path (send-session.h); network thread hooks */
	bool destroying;

	/* network thread */
	GMainContext *net_context;
	GMainLoop *net_loop;
	GThread *net_thread;
	struct room_net *net;
	atomic_bool leave_requested;
};

/* network → main loop calls (room-session.c; run on the main loop) */
void session_post_stream_add(struct session *s, struct track_media *m);
void session_post_stream_remove(struct session *s, const char *track_sid);
void session_post_participant_update(struct session *s, struct participant_update *u);
void session_post_error(struct session *s, int res, const char *message);
void session_post_ended(struct session *s);
/* main loop, from the graph: its names are final (or it gave up on the
 * mixer, or the daemon is gone): the network side may start joining now.
 * Once; a session without a graph starts at once. */
void session_graph_ready(struct session *s);

/* ------------------------------------------------------------------ network thread (room-net.c) */

struct room_net *room_net_new(struct session *s);	/* network thread; starts joining */
void room_net_destroy(struct room_net *n);		/* network thread */
void room_net_leave(struct room_net *n);		/* network thread */
struct alto_signal_client *room_net_client(struct room_net *n);
void room_net_renegotiate(struct room_net *n);		/* network thread: single PC, offer again */

/* ------------------------------------------------------------------ graph (room-graph.c, main loop) */

struct room_graph *room_graph_new(struct session *s);	/* NULL with errno */
void room_graph_destroy(struct room_graph *g);
/* takes m */
void room_graph_add_stream(struct room_graph *g, struct track_media *m);
void room_graph_remove_stream(struct room_graph *g, const char *track_sid);
void room_graph_update_participant(struct room_graph *g, const struct participant_update *u);
/* Main loop, once the graph is ready: the send stream's node.name and
 * description when the room's names are qualified (a second session of the
 * room in this graph: "alto-send.<room>@<self>", "LiveKit: <room> (<self>,
 * send)"): 1; 0 when they are the plain ones (the send stream's defaults). */
int room_graph_send_names(const struct room_graph *g, char *name, size_t name_size, char *description,
		size_t description_size);

/* ------------------------------------------------------------------ participant stream */

struct participant_stream;

struct participant_stream_events {
	/* main loop: the stream's node got its global id */
	void (*node_id)(void *data, struct participant_stream *ps, uint32_t node_id);
};

/* Main loop. node_name: the unique node.name; takes nothing (m stays the
 * caller's until participant_stream_destroy, which does not free it). */
/* configure_ports: no session manager will give the stream its ports (the
 * adapter makes DSP ports itself). extra: the user's property overrides
 * (cfg->participant_props) or NULL; node.name, the display name and the
 * livekit.* facts stay alto's. */
struct participant_stream *participant_stream_new(struct pw_core *core, const char *room,
		const char *node_name, struct track_media *m, bool configure_ports,
		const struct spa_dict *extra,
		const struct participant_stream_events *events, void *data);
/* Main loop: after this, process() never runs again. */
void participant_stream_destroy(struct participant_stream *ps);
uint32_t participant_stream_node_id(const struct participant_stream *ps);
/* Main loop: node.description/media.name and the livekit.* facts. */
void participant_stream_update(struct participant_stream *ps, const struct track_media *m);

/* metrics from the data loop (any thread) */
struct participant_stream_metrics {
	uint64_t cycles;
	uint64_t frames;
	double rate;			/* last resampler rate given (1/corr) */
	uint32_t delay_frames;		/* jitter buffer delay after the last pull */
	double latency_p50_ms;		/* RTP arrival → out of process(), per cycle, */
	double latency_p95_ms;		/* over the cycles since the last call (-1: none) */
};
/* main loop */
void participant_stream_get_metrics(struct participant_stream *ps, struct participant_stream_metrics *m);

#endif
