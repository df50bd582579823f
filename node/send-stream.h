/* The room's send stream: what is published to the room as our microphone.
 *
 * One PipeWire capture stream per room (media.class Stream/Input/Audio,
 * node.name "alto-send.<room>", node.description "LiveKit: <room> (send)",
 * media.role Communication: a call's microphone, for echo-cancel and ducking
 * policies; application.name alto; node.network), F32 mono at 48 kHz. A session manager connects it to the default source
 * (node.autoconnect) and the user re-routes it in pavucontrol or with
 * pw-link; given a source node (`alto join --source NODE`), alto links that
 * node's output to it itself (target.object is set too, for a session
 * manager).
 *
 * process() (data loop) only copies the samples into the send ring
 * (send-ring.h): no allocation, no lock, no blocking. The send encoder
 * (send-encoder.h) takes them from there on the network thread.
 *
 * Mute: muting the stream (pavucontrol, `pactl set-source-output-mute`,
 * `pw-cli set-param <id> Props '{ mute: true }'`) arrives as a Props change
 * (param_changed, main loop): the flag goes into the ring, which the
 * encoder follows (it stops sending and has MuteTrackRequest sent). A mute
 * from the room (the server) comes back with alto_send_stream_set_muted()
 * and shows on the stream as its own Props mute.
 *
 * Threads: everything on the PipeWire main loop except process() (the data
 * loop, PW_STREAM_FLAG_RT_PROCESS). Returns: 0 or a negative errno. */
#ifndef ALTO_NODE_SEND_STREAM_H
#define ALTO_NODE_SEND_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "send-ring.h"

struct alto_send_stream;

struct alto_send_stream_config {
	const char *room;		/* the room's name: node name and description */
	const char *node_name;		/* NULL: "alto-send.<room>" */
	const char *description;	/* node.description, media.name; NULL: "LiveKit: <room> (send)" */
	const char *source;		/* node.name or id to link from; NULL: the session manager's choice */
	bool muted;			/* start muted */
	const struct spa_dict *props;	/* over alto's stream properties (module send.props); may be NULL */
};

struct alto_send_stream_events {
#define ALTO_VERSION_SEND_STREAM_EVENTS 0
	uint32_t version;
	/* the stream's node got its global id */
	void (*node_id)(void *data, uint32_t node_id);
	/* the stream was muted or unmuted (by anyone, main loop) */
	void (*mute_changed)(void *data, bool muted);
	/* the --source node was linked to the stream (its global id) */
	void (*source_linked)(void *data, const char *source_name, uint32_t source_id);
	/* the stream failed (message for a log line) */
	void (*error)(void *data, int res, const char *message);
};

/* Main loop. ring: the caller's, outlives the stream. NULL with errno set. */
struct alto_send_stream *alto_send_stream_new(struct pw_core *core, struct alto_send_ring *ring,
		const struct alto_send_stream_config *cfg,
		const struct alto_send_stream_events *events, void *data);
/* Main loop: after this, process() never runs again and the ring is free. */
void alto_send_stream_destroy(struct alto_send_stream *s);

/* Main loop: mute or unmute the stream itself (a mute from the room, or
 * --mute): shown as the stream's Props mute, the ring follows. */
int alto_send_stream_set_muted(struct alto_send_stream *s, bool muted);
bool alto_send_stream_get_muted(const struct alto_send_stream *s);
uint32_t alto_send_stream_node_id(const struct alto_send_stream *s);
const char *alto_send_stream_node_name(const struct alto_send_stream *s);

/* Any thread. */
struct alto_send_stream_metrics {
	uint64_t cycles;		/* process() calls */
	uint64_t samples;		/* samples captured */
	uint64_t empty;			/* cycles without a buffer or data */
};
void alto_send_stream_get_metrics(const struct alto_send_stream *s, struct alto_send_stream_metrics *m);

#endif
