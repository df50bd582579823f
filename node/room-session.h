/* The room session: one LiveKit room as part of the PipeWire graph.
 *
 * A session joins a room (signaling/), receives every subscribed remote
 * audio track over WebRTC (rtc/), and gives each one its own playback
 * stream (Stream/Output/Audio, node.name "alto.<room>.<identity>") that it
 * links to a new input of the room mixer (the alto.mixer SPA node, loaded
 * in this process and exported: "alto.<room>", Audio/Sink, "LiveKit:
 * <room>"). The mixer's outputs go to the default sink or to cfg->target.
 * When a track or its participant goes, its stream and mixer input go too.
 *
 * It does not own the PipeWire loop: it is created on a pw_context/pw_core
 * whose main loop someone else runs (the `alto join` command's
 * pw_main_loop, or later the daemon's loop in a PipeWire module).
 *
 * Threads (node/README.md has the full picture):
 *  - the PipeWire main loop thread: new/destroy, every event below, all
 *    graph objects (streams, mixer ports, links);
 *  - a network thread of the session's own (a GThread iterating its own
 *    GMainContext): signaling, ICE/DTLS/SRTP, RTP into the jitter buffers,
 *    RTCP. cfg->observer is called there;
 *  - the PipeWire data loop: each participant stream's process() decodes
 *    from its jitter buffer.
 *
 * Returns: 0 or a negative errno. */
#ifndef ALTO_NODE_ROOM_SESSION_H
#define ALTO_NODE_ROOM_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <pipewire/pipewire.h>

#include "alto-signal.h"

struct alto_room_session;

struct alto_room_session_config {
	/* signaling (see alto-signal.h; copied) */
	const char *url;
	const char *token;
	enum alto_signal_mode mode;
	bool insecure;
	bool no_auto_subscribe;
	int max_retries;		/* < 0: forever */

	const char *room;		/* the room's name, for node names and descriptions */
	bool no_media;			/* signaling only: no peer connection, no graph objects */
	const char *target;		/* node.name (or id) for the mixer outputs; NULL: the default sink */
	uint32_t latency_ms;		/* jitter buffer target floor; 0: the default (20 ms, adaptive) */
	uint32_t stats_interval_ms;	/* > 0: a stream_stats event per stream this often */
	bool no_nack;			/* never ask for retransmissions (generic NACK not negotiated) */

	/* the send path (send-session.h): the room's send stream published as our microphone */
	bool no_publish;		/* listen only: no send stream, nothing published */
	bool start_muted;		/* publish muted (the send stream starts muted) */
	const char *source;		/* node.name (or id) linked into the send stream; NULL: the session manager's choice */
	int bitrate;			/* Opus bit/s; 0: 32000 */

	/* property overrides (the module's stream.props, participant.props,
	 * send.props), applied over alto's own at creation; node.name,
	 * factory.name and the livekit.* facts stay alto's. NOT copied: they
	 * must outlive the session. NULL: none. */
	const struct spa_dict *mixer_props;
	const struct spa_dict *participant_props;
	const struct spa_dict *send_props;

	/* Every signaling event, called on the NETWORK thread after the
	 * session has handled it (for printing). join_offer is never called. */
	const struct alto_signal_events *observer;
	void *observer_data;
};

/* What a participant stream is (strings valid during the event). */
struct alto_participant_stream_info {
	const char *node_name;		/* "alto.<room>.<identity>" */
	uint32_t node_id;		/* global id; SPA_ID_INVALID when it never got one */
	const char *mixer_input;	/* the mixer ports are in_<mixer_input>_<CH> */
	const char *participant_sid;
	const char *identity;
	const char *name;		/* display name */
	const char *track_sid;
	uint32_t channels;
};

/* How a participant stream is doing (counters since it was made). */
struct alto_participant_stream_stats {
	uint64_t packets;		/* RTP packets into the jitter buffer */
	uint64_t lost;			/* missing at play-out time (concealed or FEC) */
	uint64_t late;			/* came after their play-out time */
	uint64_t underruns;		/* the jitter buffer ran dry while audio played */
	uint64_t cycles;		/* process() calls */
	uint64_t frames;		/* frames given to the graph */
	uint64_t mixer_underruns;	/* cycles the mixer input had no data from the stream */
	uint32_t level_ms;		/* jitter buffer level after the last pull */
	uint32_t target_ms;		/* its target */
	double rate;			/* resampler rate of the last cycle (drift correction) */
	/* RTP arrival → sample out of the stream (process()), from the buffer
	 * level and the last arrival, per cycle: median and 95th percentile over
	 * the cycles since the previous stats event (-1: none) */
	double latency_p50_ms;
	double latency_p95_ms;
	/* generic NACK (0 when not negotiated or --no-nack): sequence numbers
	 * asked for again (each retry counts), and those that came back */
	uint64_t nack_requested;
	uint64_t nack_recovered;
};

struct alto_room_session_events {
#define ALTO_VERSION_ROOM_SESSION_EVENTS 0
	uint32_t version;
	/* the room mixer is in the graph (global id) */
	void (*mixer_ready)(void *data, const char *node_name, uint32_t node_id);
	/* the mixer outputs were linked to this node */
	void (*output_linked)(void *data, const char *target_name, uint32_t target_id);
	/* a participant stream exists in the graph and is linked to its mixer input */
	void (*stream_added)(void *data, const struct alto_participant_stream_info *info);
	/* ... and is gone (its mixer input too) */
	void (*stream_removed)(void *data, const struct alto_participant_stream_info *info);
	/* every cfg->stats_interval_ms, per participant stream */
	void (*stream_stats)(void *data, const struct alto_participant_stream_info *info,
			const struct alto_participant_stream_stats *stats);
	/* the room's send stream is in the graph (global id) */
	void (*send_stream_added)(void *data, const char *node_name, uint32_t node_id);
	/* our microphone track is published (track_sid) or no longer (NULL) */
	void (*published)(void *data, const char *track_sid);
	/* the room knows our microphone as muted or not; from_server: the
	 * server muted/unmuted it, else the send stream was (pavucontrol, pactl) */
	void (*send_muted)(void *data, bool muted, bool from_server);
	/* the send path in one sentence: listening only (no publish permission),
	 * the track refused or unpublished by the server, the stream failed */
	void (*send_problem)(void *data, int res, const char *message);
	/* media trouble worth a line: a peer connection refused (wrong DTLS
	 * fingerprint: -ECONNREFUSED), failed, the PipeWire daemon gone (-EPIPE) */
	void (*error)(void *data, int res, const char *message);
	/* the session is over (signaling `left` was observed): destroy it */
	void (*ended)(void *data);
};

/* Main loop thread. core NULL (or cfg->no_media): signaling only. The
 * session starts joining at once. NULL with errno set on failure. */
struct alto_room_session *alto_room_session_new(struct pw_loop *main_loop, struct pw_context *context,
		struct pw_core *core, const struct alto_room_session_config *cfg,
		const struct alto_room_session_events *events, void *data);

/* Any thread: leave the room politely (leave request, then `left`, then
 * `ended`). A second call does nothing. */
int alto_room_session_leave(struct alto_room_session *session);

/* Main loop thread, not from inside one of the session's events: stops the
 * network thread, removes every graph object, frees everything. Still in
 * the room (no leave asked for): sends the leave first and gives it up to
 * 200 ms to go out, so the others see us go at once. */
void alto_room_session_destroy(struct alto_room_session *session);

/* NETWORK thread only (from cfg->observer callbacks): the signaling client,
 * for reading room state (alto_signal_client_get_*). */
struct alto_signal_client *alto_room_session_signal_client(struct alto_room_session *session);

#endif
