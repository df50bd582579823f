/* The send path inside the room session: publishes the room's send stream
 * as our LiveKit microphone track.
 *
 * It owns the send ring (send-ring.h), the send stream (send-stream.h, on
 * the PipeWire main loop), the send encoder (send-encoder.h, on the network
 * thread) and, in legacy mode (/rtc), the publisher peer connection (we
 * offer a sendonly audio section). The room session's network code calls
 * the hooks below from its signaling and peer-connection events; in
 * single-PC mode (/rtc/v1) the track rides on the session's one peer
 * connection.
 *
 * The flow: joined with publish permission → the send stream appears (main
 * loop), AddTrackRequest{cid, MICROPHONE, muted as the stream, disable_red}
 * → TrackPublishedResponse (its sid) → a sendonly section (a=msid:- <cid>)
 * is offered → answered and connected → the encoder sends. No answer to the
 * AddTrackRequest within 10 s: a clear error, and the receive side goes on.
 * A token without canPublish (or --no-publish): listen only, one clear line.
 *
 * Mute both ways: the stream's mute (pavucontrol, pactl) → MuteTrackRequest
 * and no audio; a mute from the server → shown on the stream (and no audio).
 *
 * Threads: new/destroy_graph on the main loop; every room_send_* hook on
 * the network thread (the session's GMainContext); process() of the stream
 * on the data loop. Returns: 0 or a negative errno. */
#ifndef ALTO_NODE_SEND_SESSION_H
#define ALTO_NODE_SEND_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <pipewire/pipewire.h>

#include "alto-signal.h"
#include "handoff.h"
#include "rtc/transport/peer_connection.h"

struct send_session;

struct send_session_config {
	const char *room;		/* node name and description of the stream */
	bool no_publish;		/* --no-publish: listen only */
	bool start_muted;		/* --mute */
	const char *source;		/* --source NODE: link it to the stream; NULL: session manager */
	int bitrate;			/* bit/s, 0: 32000 */
	uint32_t publish_timeout_ms;	/* for TrackPublishedResponse; 0: 10000 */
	const char *cname;		/* RTCP CNAME; NULL: "alto" */
	const struct spa_dict *stream_props;	/* over the send stream's properties (copied); may be NULL */
};

/* What the send path needs from the session (all called on the network
 * thread, except where noted). */
struct send_session_host {
	/* single PC: our section was added or removed: offer again */
	void (*renegotiate)(void *data);
	/* a line for the user: listen only, track refused, errors (network
	 * thread, or the main loop for the stream's own errors) */
	void (*message)(void *data, int res, const char *message);
	/* the send stream is in the graph (MAIN LOOP): its node */
	void (*stream_ready)(void *data, const char *node_name, uint32_t node_id);
	/* the stream's mute as the room now knows it (network thread) */
	void (*muted)(void *data, bool muted, bool from_server);
	/* the track is published (its sid) or no longer */
	void (*published)(void *data, const char *track_sid);
};

/* Main loop. core: NULL for no graph (nothing is published then). The
 * session's handoff runs main-loop work; net_context is the network
 * thread's. NULL with errno set. */
struct send_session *send_session_new(const struct send_session_config *cfg, struct pw_core *core,
		struct alto_handoff *handoff, GMainContext *net_context,
		const struct send_session_host *host, void *host_data);

/* Main loop, before the stream exists (the room session calls it before its
 * network side starts): the send stream's node.name and node.description,
 * for the stream made next; NULL: the defaults ("alto-send.<room>",
 * "LiveKit: <room> (send)"). Copied. 0 or -EINVAL. */
int send_session_set_stream_names(struct send_session *ss, const char *node_name,
		const char *description);

/* Network thread, before it stops: the encoder and the publisher PC go. */
void send_session_net_shutdown(struct send_session *ss);
/* Main loop, after the network thread has stopped and the handoff is gone:
 * the stream, then the ring, then the object. */
void send_session_destroy(struct send_session *ss);

/* ---- hooks: network thread ---- */

void send_session_set_client(struct send_session *ss, struct alto_signal_client *client);

/* Joined (first time or a full rejoin). pc: the single PC (NULL in legacy
 * mode; the publisher PC is made here). */
void send_session_joined(struct send_session *ss, const struct alto_join_info *info, struct alto_pc *pc);
/* Resumed: legacy restarts the publisher PC's ICE and offers again. */
void send_session_resumed(struct send_session *ss, const struct alto_resume_info *info);
/* The session is over (left). */
void send_session_left(struct send_session *ss);
/* Single PC: the session's PC is going away (reset before a rejoin) or
 * was replaced; our section is gone with it. */
void send_session_pc_reset(struct send_session *ss);
/* Single PC: its state changed, or an answer was applied. */
void send_session_pc_update(struct send_session *ss, struct alto_pc *pc);
/* Single PC: an RTCP packet (NACKs and reports for our SSRC). */
void send_session_rtcp(struct send_session *ss, const uint8_t *buf, size_t len);

void send_session_local_track_published(struct send_session *ss, const char *cid, const struct alto_track_info *t);
void send_session_local_track_unpublished(struct send_session *ss, const char *track_sid);
void send_session_local_track_muted(struct send_session *ss, const char *track_sid, bool muted);
/* Our permissions changed (ParticipantUpdate about ourselves). */
void send_session_self_updated(struct send_session *ss, const struct alto_participant_info *self);

/* Legacy: an answer to our publisher offer / a trickle for the publisher
 * PC. Return true when consumed. */
bool send_session_answer(struct send_session *ss, const struct alto_session_description *sd);
bool send_session_trickle(struct send_session *ss, const char *json, enum alto_signal_target target);

/* The published track for sync_state after a resume: fills at most one
 * entry; returns how many (0 or 1). Pointers valid until the next hook. */
size_t send_session_published(struct send_session *ss, const char **cid, struct alto_track_info *track);
/* Network thread: encoder statistics (zeros before the encoder exists). */
struct send_session_stats {
	bool publishing;		/* a track sid is held */
	bool sending;			/* the encoder is sending */
	bool muted;
	uint64_t packets;
	uint64_t bytes;
	uint64_t retransmitted;
};
void send_session_get_stats(struct send_session *ss, struct send_session_stats *st);

#endif
