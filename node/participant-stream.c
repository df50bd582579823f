/* One remote audio track as a PipeWire playback stream.
 *
 * A pw_stream (Stream/Output/Audio, F32 at 48 kHz, mono or stereo as the
 * track) whose process() pulls exactly what the graph asks for from the
 * track's jitter buffer: Opus decoding, loss concealment and FEC happen
 * there, on the data loop, without allocating, locking or blocking.
 *
 * Drift: the sender's clock is not the graph's. After each pull the jitter
 * buffer's delay and target feed a DLL (rate_control.h); its correction goes
 * to the stream's rate-match io (SPA_IO_RateMatch) so that the adapter's
 * resampler consumes a little more or less than the quantum, as PipeWire's
 * module-rtp-source does in 0.3.65 (which has no pw_stream_set_rate). The
 * buffer then stays near its target instead of filling or draining.
 *
 * Properties: node.name (stable, from room and identity: a session manager
 * restores the person's volume by it), node.description = media.name = the
 * display name, and the LiveKit facts (livekit.*). node.autoconnect=false:
 * alto links the stream to its mixer input itself and no session manager
 * should move it. Its DSP ports come from the session manager (WirePlumber
 * configures every audio stream), or, without one, from
 * adapter.auto-port-config.
 *
 * Threads: new/destroy/update and the stream events on the PipeWire main
 * loop; on_process() on the data loop (PW_STREAM_FLAG_RT_PROCESS). */
#include "room-private.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <spa/param/audio/format-utils.h>
#include <spa/node/io.h>
#include <spa/pod/builder.h>

#include "rate_control.h"

PW_LOG_TOPIC_STATIC(stream_topic, "alto.participant-stream");

#define LATENCY_BUCKETS		1000	/* 1 ms each; the last one holds everything longer */
#define PW_LOG_TOPIC_DEFAULT stream_topic

struct participant_stream {
	struct pw_stream *stream;
	struct spa_hook listener;
	struct track_media *media;
	const struct participant_stream_events *events;
	void *data;
	uint32_t node_id;
	uint32_t channels;
	uint32_t latency_seen[LATENCY_BUCKETS];	/* main loop: the histogram at the last read */

	/* data loop */
	struct spa_io_rate_match *rate_match;
	struct alto_rate_control rc;
	double corr;

	/* written by the data loop, read anywhere */
	_Atomic uint32_t latency_hist[LATENCY_BUCKETS];	/* 1 ms buckets */
	_Atomic uint64_t cycles;
	_Atomic uint64_t frames;
	_Atomic double rate;
	_Atomic uint32_t delay_frames;
};

static const char *quality_name(int q)
{
	return q < 0 ? "unknown" : alto_connection_quality_name(q);
}

/* The receive latency of this cycle, exact per packet: from the arrival of
 * the packet that brought the newest received audio this pull gave out (the
 * jitter buffer keeps the arrival time given to push, also for audio rebuilt
 * from RED or FEC) to now, the process() that hands it to the graph. A cycle
 * that gave out no packet audio (buffering, concealment, silence) records
 * nothing. clock_gettime(CLOCK_MONOTONIC) is a vDSO call: no syscall, no
 * lock; get_playout only reads the consumer's state. Data loop. */
static void record_latency(struct participant_stream *ps)
{
	uint64_t arrival, now;
	struct timespec ts;
	double ms;

	if (alto_jitter_buffer_get_playout(ps->media->jb, &arrival, NULL) < 0 || arrival == 0 ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return;
	now = (uint64_t)ts.tv_sec * SPA_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	if (now < arrival)
		return;
	ms = (double)(now - arrival) / 1e6;
	atomic_fetch_add_explicit(&ps->latency_hist[SPA_MIN((uint32_t)ms, LATENCY_BUCKETS - 1u)], 1,
			memory_order_relaxed);
}

static void on_process(void *data)
{
	struct participant_stream *ps = data;
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t stride, n;
	double delay, target;

	if ((b = pw_stream_dequeue_buffer(ps->stream)) == NULL)
		return;
	d = &b->buffer->datas[0];
	stride = (uint32_t)sizeof(float) * ps->channels;
	if (d->data == NULL || d->maxsize < stride) {
		pw_stream_queue_buffer(ps->stream, b);
		return;
	}
	n = d->maxsize / stride;
	if (b->requested > 0 && b->requested < n)
		n = (uint32_t)b->requested;

	alto_jitter_buffer_pull(ps->media->jb, d->data, n);
	d->chunk->offset = 0;
	d->chunk->stride = (int32_t)stride;
	d->chunk->size = n * stride;

	if (alto_jitter_buffer_get_delay(ps->media->jb, &delay, &target) == 0) {
		ps->corr = alto_rate_control_update(&ps->rc, delay, target, n);
		atomic_store_explicit(&ps->delay_frames, (uint32_t)SPA_MAX(delay, 0.0), memory_order_relaxed);
	}
	record_latency(ps);
	if (ps->rate_match) {
		SPA_FLAG_SET(ps->rate_match->flags, SPA_IO_RATE_MATCH_FLAG_ACTIVE);
		ps->rate_match->rate = 1.0 / ps->corr;
	}
	atomic_store_explicit(&ps->rate, 1.0 / ps->corr, memory_order_relaxed);
	atomic_fetch_add_explicit(&ps->cycles, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ps->frames, n, memory_order_relaxed);
	pw_stream_queue_buffer(ps->stream, b);
}

static void on_io_changed(void *data, uint32_t id, void *area, uint32_t size)
{
	struct participant_stream *ps = data;

	if (id == SPA_IO_RateMatch)
		ps->rate_match = size >= sizeof(struct spa_io_rate_match) ? area : NULL;
}

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
	struct participant_stream *ps = data;
	uint32_t id;

	pw_log_debug("%s: %s -> %s%s%s", ps->media->track_sid, pw_stream_state_as_string(old),
		     pw_stream_state_as_string(state), error ? ": " : "", error ? error : "");
	if (state == PW_STREAM_STATE_ERROR)
		pw_log_warn("participant stream of %s: %s", ps->media->identity, error ? error : "error");
	id = pw_stream_get_node_id(ps->stream);
	if (id != SPA_ID_INVALID && ps->node_id == SPA_ID_INVALID) {
		ps->node_id = id;
		if (ps->events && ps->events->node_id)
			ps->events->node_id(ps->data, ps, id);
	}
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.io_changed = on_io_changed,
	.process = on_process,
};

static void set_facts(struct pw_properties *p, const char *room, const struct track_media *m)
{
	pw_properties_set(p, PW_KEY_NODE_DESCRIPTION, m->name);
	pw_properties_set(p, PW_KEY_MEDIA_NAME, m->name);
	pw_properties_set(p, "livekit.room", room);
	pw_properties_set(p, "livekit.participant.sid", m->participant_sid);
	pw_properties_set(p, "livekit.participant.identity", m->identity);
	pw_properties_set(p, "livekit.participant.name", m->name);
	pw_properties_set(p, "livekit.track.sid", m->track_sid);
	pw_properties_set(p, "livekit.track.name", m->track_name);
	pw_properties_set(p, "livekit.speaking", m->speaking ? "true" : "false");
	pw_properties_set(p, "livekit.connection-quality", quality_name(m->quality));
	pw_properties_set(p, "livekit.muted", m->muted ? "true" : "false");
}

struct participant_stream *participant_stream_new(struct pw_core *core, const char *room,
		const char *node_name, struct track_media *m, bool configure_ports,
		const struct spa_dict *extra,
		const struct participant_stream_events *events, void *data)
{
	struct participant_stream *ps;
	struct pw_properties *props;
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32,
		.rate = 48000,
		.channels = m->channels,
	};
	const struct spa_pod *params[1];
	int res;

	PW_LOG_TOPIC_INIT(stream_topic);
	if (m->channels == 2) {
		info.position[0] = SPA_AUDIO_CHANNEL_FL;
		info.position[1] = SPA_AUDIO_CHANNEL_FR;
	} else {
		info.channels = 1;
		info.position[0] = SPA_AUDIO_CHANNEL_MONO;
	}

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	ps->media = m;
	ps->events = events;
	ps->data = data;
	ps->node_id = SPA_ID_INVALID;
	ps->channels = info.channels;
	ps->corr = 1.0;
	atomic_store(&ps->rate, 1.0);
	alto_rate_control_init(&ps->rc, 48000);

	props = pw_properties_new(
		PW_KEY_MEDIA_TYPE, "Audio",
		PW_KEY_MEDIA_CATEGORY, "Playback",
		PW_KEY_MEDIA_CLASS, "Stream/Output/Audio",
		PW_KEY_NODE_NAME, node_name,
		/* WirePlumber's restore-stream keys a stream by the first of media.role,
		 * application.id, application.name, media.name, node.name it has: the
		 * stable per-person name must come before application.name ("alto") */
		PW_KEY_APP_ID, node_name,
		/* what pavucontrol shows as the application, whoever hosts the
		 * session (inside the daemon the client is the daemon's) */
		PW_KEY_APP_NAME, "alto",
		/* as PipeWire's network modules mark their streams */
		PW_KEY_NODE_NETWORK, "true",
		PW_KEY_NODE_AUTOCONNECT, "false",
		PW_KEY_NODE_DONT_RECONNECT, "true",
		NULL);
	if (props == NULL)
		goto error_errno;
	/* Without a session manager nobody gives the stream ports: the adapter
	 * makes DSP ports itself. With one (WirePlumber), it must not: WirePlumber
	 * configures a node.autoconnect=false stream like a device (node Format,
	 * then PortConfig), and on an adapter that configured itself the Format
	 * fails (EIO) and the stream ends in error. */
	if (configure_ports)
		pw_properties_set(props, "adapter.auto-port-config", "{ mode = dsp position = preserve }");
	if (extra) {
		/* the user's overrides (module participant.props) over alto's
		 * defaults; what identifies the person is set again below */
		pw_properties_update(props, extra);
		pw_properties_set(props, PW_KEY_NODE_NAME, node_name);
		pw_properties_set(props, PW_KEY_APP_ID, node_name);
	}
	set_facts(props, room, m);

	ps->stream = pw_stream_new(core, node_name, props);
	if (ps->stream == NULL)
		goto error_errno;
	pw_stream_add_listener(ps->stream, &ps->listener, &stream_events, ps);

	params[0] = spa_format_audio_raw_build(&b, SPA_PARAM_EnumFormat, &info);
	res = pw_stream_connect(ps->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
			PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS, params, 1);
	if (res < 0) {
		pw_log_error("cannot connect the stream of %s: %s", m->identity, spa_strerror(res));
		pw_stream_destroy(ps->stream);
		free(ps);
		errno = -res;
		return NULL;
	}
	return ps;

error_errno:
	res = errno;
	free(ps);
	errno = res;
	return NULL;
}

void participant_stream_destroy(struct participant_stream *ps)
{
	if (ps == NULL)
		return;
	/* disconnects from the data loop first: no process() after this */
	pw_stream_destroy(ps->stream);
	free(ps);
}

uint32_t participant_stream_node_id(const struct participant_stream *ps)
{
	return ps->node_id;
}

void participant_stream_update(struct participant_stream *ps, const struct track_media *m)
{
	struct pw_properties *p = pw_properties_new(NULL, NULL);

	if (p == NULL)
		return;
	set_facts(p, pw_properties_get(pw_stream_get_properties(ps->stream), "livekit.room"), m);
	pw_stream_update_properties(ps->stream, &p->dict);
	pw_properties_free(p);
}

void participant_stream_get_metrics(struct participant_stream *ps, struct participant_stream_metrics *m)
{
	m->cycles = atomic_load_explicit(&ps->cycles, memory_order_relaxed);
	m->frames = atomic_load_explicit(&ps->frames, memory_order_relaxed);
	m->rate = atomic_load_explicit(&ps->rate, memory_order_relaxed);
	m->delay_frames = atomic_load_explicit(&ps->delay_frames, memory_order_relaxed);

	uint64_t total = 0, seen = 0;
	uint32_t counts[LATENCY_BUCKETS];
	m->latency_p50_ms = m->latency_p95_ms = -1.0;
	/* the cycles since the last read: the latency now, not since the start */
	for (uint32_t i = 0; i < LATENCY_BUCKETS; i++) {
		uint32_t c = atomic_load_explicit(&ps->latency_hist[i], memory_order_relaxed);
		counts[i] = c - ps->latency_seen[i];
		ps->latency_seen[i] = c;
		total += counts[i];
	}
	for (uint32_t i = 0; i < LATENCY_BUCKETS && total > 0; i++) {
		seen += counts[i];
		if (m->latency_p50_ms < 0 && seen * 2 >= total)
			m->latency_p50_ms = i + 0.5;
		if (m->latency_p95_ms < 0 && seen * 100 >= total * 95) {
			m->latency_p95_ms = i + 0.5;
			break;
		}
	}
}
