/* What `alto join` prints: one line per event, human-readable or one JSON
 * object per line (--json) with an "event" field. Strings from the network
 * are JSON-escaped, or rendered terminal-safe in human output.
 * Threads: signaling events are printed from the room session's network
 * thread, graph events from the PipeWire main loop; each line is one fputs()
 * on a line-buffered stream, so lines never interleave. */
#ifndef ALTO_NODE_JOIN_OUTPUT_H
#define ALTO_NODE_JOIN_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "alto-signal.h"
#include "room-session.h"

struct join_output {
	bool json;
	FILE *out;
	bool audio;		/* shown in `joined`: participants are played into the graph */
};

void join_output_joined(const struct join_output *o, const struct alto_join_info *info);
void join_output_resumed(const struct join_output *o, const struct alto_room_info *room,
			 const struct alto_participant_info *const *list, size_t n);
void join_output_participant(const struct join_output *o, const char *event,
			     const struct alto_participant_info *p);
void join_output_track(const struct join_output *o, const char *event,
		       const struct alto_participant_info *p, const struct alto_track_info *t);
void join_output_speakers(const struct join_output *o, const struct alto_speaker *s, size_t n);
void join_output_quality(const struct join_output *o, const struct alto_quality_update *q, size_t n);
void join_output_reconnecting(const struct join_output *o, const struct alto_reconnect_status *st,
			      bool ever_joined);
void join_output_left(const struct join_output *o, const struct alto_left_info *info, int exit_code);

/* room session events (the PipeWire main loop thread) */
void join_output_stream(const struct join_output *o, const char *event,
			const struct alto_participant_stream_info *info);
void join_output_mixer(const struct join_output *o, const char *node_name, uint32_t node_id);
void join_output_output_linked(const struct join_output *o, const char *target_name, uint32_t target_id);
void join_output_stats(const struct join_output *o, const struct alto_participant_stream_info *info,
		       const struct alto_participant_stream_stats *st);
void join_output_error(const struct join_output *o, int res, const char *message);
/* the send path */
void join_output_send_stream(const struct join_output *o, const char *node_name, uint32_t node_id);
void join_output_published(const struct join_output *o, const char *track_sid);
void join_output_send_muted(const struct join_output *o, bool muted, bool from_server);

const char *join_output_end_name(enum alto_signal_end end);

#endif
