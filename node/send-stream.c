/* The room's send stream (capture side). See send-stream.h.
 *
 * Linking to --source: a registry listener remembers nodes and ports; once
 * the source node and our own input port are both known, one link is made
 * with link-factory from the source's MONO output (else its FL, else its
 * first non-monitor output; a sink's monitor ports when it has nothing
 * else). One channel only: linking FL and FR both into our mono input would
 * sum them (+6 dB for the same voice on both). With a session manager the
 * stream says target.object, and a duplicate link is refused harmlessly.
 *
 * Controls: the stream learns its controls (mute, volumes) from the
 * adapter's param changes after it connected, and in 0.3.65 the adapter has
 * none of its own until the stream first runs; so a stream nothing feeds
 * had no mute control, and a mute from the room waited (silencing the
 * encoder but not shown in pactl) until something linked it. The stream's
 * own node therefore announces an (empty) Props object right after
 * connecting: the adapter announces its PropInfo and Props again and the
 * controls exist at once. Readers of the first Props object (pipewire-pulse,
 * pavucontrol, WirePlumber) see the adapter's; the empty one is a second
 * object in pw-dump.
 *
 * Threads: the main loop, except on_process() (data loop). */
#include "send-stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/builder.h>
#include <spa/pod/iter.h>
#include <spa/pod/parser.h>
#include <spa/node/io.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

PW_LOG_TOPIC_STATIC(send_topic, "alto.send-stream");
#define PW_LOG_TOPIC_DEFAULT send_topic

#define NAME_MAX_LEN	128
#define MAX_PORTS	64

struct sport {
	uint32_t id;
	uint32_t node_id;
	bool output;
	bool monitor;
	char channel[16];
};

struct snode {
	uint32_t id;
	char name[NAME_MAX_LEN];
};

struct alto_send_stream {
	struct pw_core *core;
	struct alto_send_ring *ring;
	const struct alto_send_stream_events *events;
	void *data;
	char node_name[NAME_MAX_LEN];
	char *source;

	struct pw_stream *stream;
	struct spa_hook stream_listener;
	uint32_t node_id;
	bool muted;
	bool start_muted;
	bool initial_mute_done;
	bool prop_mute;			/* the stream's Props as last seen */
	bool prop_zero_volume;

	/* --source linking (main loop) */
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	struct snode source_node;	/* id SPA_ID_INVALID until seen */
	struct sport ports[MAX_PORTS];
	uint32_t n_ports;
	struct pw_proxy *link;
	struct spa_hook link_listener;
	bool linked;

	/* data loop */
	struct spa_io_position *position;

	_Atomic uint64_t cycles;
	_Atomic uint64_t samples;
	_Atomic uint64_t empty;
};

#define emit(s, ev, ...)							\
	do {									\
		if ((s)->events && (s)->events->ev)				\
			(s)->events->ev((s)->data, ##__VA_ARGS__);		\
	} while (0)

/* "alto-send.<room>", the room sanitized to [A-Za-z0-9_.-] for pw-link and
 * SPA-JSON. */
static void make_node_name(char *buf, size_t size, const char *room)
{
	size_t len = (size_t)snprintf(buf, size, "alto-send.");

	for (const char *p = room ? room : ""; *p && len + 1 < size; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '_' || c == '-' || c == '.';
		buf[len++] = ok ? c : '_';
	}
	buf[len] = '\0';
}

/* ------------------------------------------------------------------ data loop */

static void on_process(void *data)
{
	struct alto_send_stream *s = data;
	struct pw_buffer *b;
	struct spa_data *d;
	uint32_t offset, size, n;
	uint64_t now;

	atomic_fetch_add_explicit(&s->cycles, 1, memory_order_relaxed);
	if ((b = pw_stream_dequeue_buffer(s->stream)) == NULL) {
		atomic_fetch_add_explicit(&s->empty, 1, memory_order_relaxed);
		return;
	}
	d = &b->buffer->datas[0];
	if (d->data == NULL || d->chunk == NULL) {
		atomic_fetch_add_explicit(&s->empty, 1, memory_order_relaxed);
		goto done;
	}
	offset = SPA_MIN(d->chunk->offset, d->maxsize);
	size = SPA_MIN(d->chunk->size, d->maxsize - offset);
	n = size / sizeof(float);
	if (n == 0) {
		atomic_fetch_add_explicit(&s->empty, 1, memory_order_relaxed);
		goto done;
	}
	if (s->position) {
		now = s->position->clock.nsec;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);	/* vDSO: no system call */
		now = (uint64_t)ts.tv_sec * SPA_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	}
	alto_send_ring_write(s->ring, SPA_PTROFF(d->data, offset, const float), n, now);
	atomic_fetch_add_explicit(&s->samples, n, memory_order_relaxed);
done:
	pw_stream_queue_buffer(s->stream, b);
}

static void on_io_changed(void *data, uint32_t id, void *area, uint32_t size)
{
	struct alto_send_stream *s = data;

	/* called on the data loop while process() cannot run */
	if (id == SPA_IO_Position)
		s->position = size >= sizeof(struct spa_io_position) ? area : NULL;
}

/* ------------------------------------------------------------------ mute */

/* Main loop: the stream's own node announces a Props object of its own (an
 * empty one), so the adapter announces its Props (and PropInfo) again.
 * pw_stream_update_params() replaces that object each time: there is never
 * more than one. */
static int announce_props(struct alto_send_stream *s)
{
	uint8_t buffer[64];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	const struct spa_pod *params[1];
	int res;

	params[0] = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props);
	if ((res = pw_stream_update_params(s->stream, params, 1)) < 0)
		pw_log_warn("%s: cannot announce its Props: %s", s->node_name, spa_strerror(res));
	return res;
}

static void set_muted(struct alto_send_stream *s, bool muted)
{
	alto_send_ring_set_muted(s->ring, muted);
	if (muted == s->muted)
		return;
	s->muted = muted;
	pw_log_info("%s %s", s->node_name, muted ? "muted" : "unmuted");
	emit(s, mute_changed, muted);
}

/* Props from outside: pavucontrol/pactl set `mute` (pipewire-pulse); a
 * volume of zero on every channel silences the stream just as well, so the
 * room sees that as muted too (rather than a live track carrying silence). */
static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	struct alto_send_stream *s = data;
	const struct spa_pod_prop *prop;
	const struct spa_pod_object *obj;
	bool changed = false;

	if (id != SPA_PARAM_Props || param == NULL || !spa_pod_is_object(param))
		return;
	obj = (const struct spa_pod_object *)param;
	SPA_POD_OBJECT_FOREACH(obj, prop) {
		if (prop->key == SPA_PROP_mute) {
			bool v;
			if (spa_pod_get_bool(&prop->value, &v) == 0) {
				s->prop_mute = v;
				changed = true;
			}
		} else if (prop->key == SPA_PROP_channelVolumes) {
			float vols[SPA_AUDIO_MAX_CHANNELS];
			uint32_t n = spa_pod_copy_array(&prop->value, SPA_TYPE_Float, vols, SPA_AUDIO_MAX_CHANNELS);
			if (n > 0) {
				bool zero = true;
				for (uint32_t i = 0; i < n; i++)
					if (vols[i] > 0.0f)
						zero = false;
				s->prop_zero_volume = zero;
				changed = true;
			}
		}
	}
	/* until connected, the adapter's defaults are not the user's choice */
	if (changed && (s->initial_mute_done || !s->start_muted))
		set_muted(s, s->prop_mute || s->prop_zero_volume);
}

int alto_send_stream_set_muted(struct alto_send_stream *s, bool muted)
{
	float v = muted ? 1.0f : 0.0f;
	int res;

	spa_return_val_if_fail(s != NULL, -EINVAL);
	if (!s->initial_mute_done) {
		/* the controls are not known yet: on_control_info applies it */
		s->start_muted = muted;
		set_muted(s, muted);
		return 0;
	}
	/* Props of the stream's node: pavucontrol shows it, and the adapter
	 * silences the samples too */
	if ((res = pw_stream_set_control(s->stream, SPA_PROP_mute, 1, &v, 0)) < 0)
		pw_log_warn("%s: mute not shown on the stream: %s", s->node_name, spa_strerror(res));
	set_muted(s, muted);
	return 0;
}

bool alto_send_stream_get_muted(const struct alto_send_stream *s)
{
	return s && s->muted;
}

static void try_link(struct alto_send_stream *s);

/* ------------------------------------------------------------------ state */

static void on_state_changed(void *data, enum pw_stream_state old, enum pw_stream_state state, const char *error)
{
	struct alto_send_stream *s = data;
	uint32_t id;

	pw_log_debug("%s: %s -> %s", s->node_name, pw_stream_state_as_string(old),
		     pw_stream_state_as_string(state));
	if (state == PW_STREAM_STATE_ERROR) {
		char msg[256];
		snprintf(msg, sizeof(msg), "send stream: %s", error ? error : "error");
		pw_log_warn("%s", msg);
		emit(s, error, -EIO, msg);
	}
	id = pw_stream_get_node_id(s->stream);
	if (id != SPA_ID_INVALID && s->node_id == SPA_ID_INVALID) {
		s->node_id = id;
		pw_log_info("send stream %s is node %u", s->node_name, id);
		emit(s, node_id, id);
		try_link(s);
	}
}

/* The stream learns its controls from the adapter after connecting (at once:
 * announce_props() in alto_send_stream_new); only then can its mute be set
 * (before, pw_stream_set_control has no mute to set), and the adapter first
 * announces its default Props (unmuted). So a starting mute is applied here. */
static void on_control_info(void *data, uint32_t id, const struct pw_stream_control *control)
{
	struct alto_send_stream *s = data;

	if (id != SPA_PROP_mute || s->initial_mute_done)
		return;
	s->initial_mute_done = true;
	if (s->start_muted)
		alto_send_stream_set_muted(s, true);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.control_info = on_control_info,
	.state_changed = on_state_changed,
	.io_changed = on_io_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

/* ------------------------------------------------------------------ --source */

static void on_link_error(void *data, int seq, int res, const char *message)
{
	struct alto_send_stream *s = data;

	pw_log_warn("%s: link from %s failed: %s (%s)", s->node_name, s->source, message, spa_strerror(res));
}

static const struct pw_proxy_events link_events = {
	PW_VERSION_PROXY_EVENTS,
	.error = on_link_error,
};

static int channel_rank(const struct sport *p)
{
	if (spa_streq(p->channel, "MONO"))
		return 0;
	if (spa_streq(p->channel, "FL"))
		return 1;
	return 2;
}

static void try_link(struct alto_send_stream *s)
{
	const struct sport *out = NULL, *in = NULL;
	char on[16], op[16], in_n[16], ip[16];

	if (s->linked || s->source == NULL || s->source_node.id == SPA_ID_INVALID || s->node_id == SPA_ID_INVALID)
		return;
	for (uint32_t i = 0; i < s->n_ports; i++) {
		const struct sport *p = &s->ports[i];
		if (p->node_id == s->node_id && !p->output && (in == NULL || p->id < in->id))
			in = p;
		if (p->node_id != s->source_node.id || !p->output)
			continue;
		/* a real output beats a monitor; then MONO, FL, the lowest id */
		if (out == NULL || (out->monitor && !p->monitor) ||
		    (out->monitor == p->monitor && (channel_rank(p) < channel_rank(out) ||
		     (channel_rank(p) == channel_rank(out) && p->id < out->id))))
			out = p;
	}
	if (out == NULL || in == NULL)
		return;

	snprintf(on, sizeof(on), "%u", out->node_id);
	snprintf(op, sizeof(op), "%u", out->id);
	snprintf(in_n, sizeof(in_n), "%u", in->node_id);
	snprintf(ip, sizeof(ip), "%u", in->id);
	struct spa_dict_item items[] = {
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_OUTPUT_NODE, on),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_OUTPUT_PORT, op),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_INPUT_NODE, in_n),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_INPUT_PORT, ip),
		SPA_DICT_ITEM_INIT(PW_KEY_OBJECT_LINGER, "false"),
	};
	s->link = pw_core_create_object(s->core, "link-factory", PW_TYPE_INTERFACE_Link, PW_VERSION_LINK,
			&SPA_DICT_INIT_ARRAY(items), 0);
	if (s->link == NULL) {
		pw_log_warn("%s: cannot link %s: %m", s->node_name, s->source);
		return;
	}
	pw_proxy_add_listener(s->link, &s->link_listener, &link_events, s);
	s->linked = true;
	pw_log_info("%s: linked from %s (node %u, port %u, %s)", s->node_name, s->source_node.name,
		    out->node_id, out->id, out->channel);
	emit(s, source_linked, s->source_node.name, s->source_node.id);
}

static bool names_source(const struct alto_send_stream *s, uint32_t id, const char *name)
{
	char buf[16];

	if (name && spa_streq(name, s->source))
		return true;
	snprintf(buf, sizeof(buf), "%u", id);
	return spa_streq(buf, s->source);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
		const struct spa_dict *props)
{
	struct alto_send_stream *s = data;

	if (props == NULL)
		return;
	if (spa_streq(type, PW_TYPE_INTERFACE_Node)) {
		const char *name = spa_dict_lookup(props, PW_KEY_NODE_NAME);
		if (s->source_node.id == SPA_ID_INVALID && names_source(s, id, name)) {
			s->source_node.id = id;
			snprintf(s->source_node.name, sizeof(s->source_node.name), "%s", name ? name : s->source);
		}
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Port)) {
		const char *node = spa_dict_lookup(props, PW_KEY_NODE_ID), *v;
		struct sport *p;
		if (node == NULL || s->n_ports >= MAX_PORTS)
			return;
		p = &s->ports[s->n_ports];
		*p = (struct sport){ .id = id, .node_id = (uint32_t)strtoul(node, NULL, 10) };
		/* only the two nodes we link matter; others are forgotten at once below */
		p->output = spa_streq(spa_dict_lookup(props, PW_KEY_PORT_DIRECTION), "out");
		v = spa_dict_lookup(props, PW_KEY_PORT_MONITOR);
		p->monitor = v && (spa_streq(v, "true") || spa_streq(v, "1"));
		v = spa_dict_lookup(props, PW_KEY_AUDIO_CHANNEL);
		snprintf(p->channel, sizeof(p->channel), "%s", v ? v : "");
		s->n_ports++;
	} else {
		return;
	}
	try_link(s);
	/* keep the port table small: drop ports of nodes we do not link */
	if (s->source_node.id != SPA_ID_INVALID && s->node_id != SPA_ID_INVALID) {
		uint32_t j = 0;
		for (uint32_t i = 0; i < s->n_ports; i++)
			if (s->ports[i].node_id == s->source_node.id || s->ports[i].node_id == s->node_id)
				s->ports[j++] = s->ports[i];
		s->n_ports = j;
	} else if (s->n_ports == MAX_PORTS) {
		/* not both known yet and the table is full: forget the oldest half */
		memmove(s->ports, s->ports + MAX_PORTS / 2, sizeof(s->ports[0]) * (MAX_PORTS / 2));
		s->n_ports = MAX_PORTS / 2;
	}
}

static void on_global_remove(void *data, uint32_t id)
{
	struct alto_send_stream *s = data;

	for (uint32_t i = 0; i < s->n_ports; i++) {
		if (s->ports[i].id == id) {
			s->ports[i] = s->ports[--s->n_ports];
			break;
		}
	}
	if (id == s->source_node.id) {
		/* the source went: link it again should it come back */
		pw_log_info("%s: source %s is gone", s->node_name, s->source_node.name);
		s->source_node.id = SPA_ID_INVALID;
		if (s->link) {
			spa_hook_remove(&s->link_listener);
			pw_proxy_destroy(s->link);
			s->link = NULL;
		}
		s->linked = false;
	}
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

/* ------------------------------------------------------------------ life cycle */

struct alto_send_stream *alto_send_stream_new(struct pw_core *core, struct alto_send_ring *ring,
		const struct alto_send_stream_config *cfg,
		const struct alto_send_stream_events *events, void *data)
{
	struct alto_send_stream *s;
	struct pw_properties *props;
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32,
		.rate = 48000,
		.channels = 1,
		.position = { SPA_AUDIO_CHANNEL_MONO },
	};
	const struct spa_pod *params[1];
	char desc[256];
	int res;

	PW_LOG_TOPIC_INIT(send_topic);
	if (core == NULL || ring == NULL || cfg == NULL || cfg->room == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->core = core;
	s->ring = ring;
	s->events = events;
	s->data = data;
	s->node_id = SPA_ID_INVALID;
	s->source_node.id = SPA_ID_INVALID;
	if (cfg->node_name)
		snprintf(s->node_name, sizeof(s->node_name), "%s", cfg->node_name);
	else
		make_node_name(s->node_name, sizeof(s->node_name), cfg->room);
	if (cfg->source && (s->source = strdup(cfg->source)) == NULL)
		goto error_errno;
	if (cfg->description)
		snprintf(desc, sizeof(desc), "%s", cfg->description);
	else
		snprintf(desc, sizeof(desc), "LiveKit: %s (send)", cfg->room);

	props = pw_properties_new(
		PW_KEY_MEDIA_TYPE, "Audio",
		PW_KEY_MEDIA_CATEGORY, "Capture",
		PW_KEY_MEDIA_ROLE, "Communication",
		PW_KEY_MEDIA_CLASS, "Stream/Input/Audio",
		PW_KEY_NODE_NAME, s->node_name,
		PW_KEY_NODE_DESCRIPTION, desc,
		PW_KEY_MEDIA_NAME, desc,
		PW_KEY_APP_ID, s->node_name,
		PW_KEY_APP_NAME, "alto",
		PW_KEY_NODE_NETWORK, "true",
		PW_KEY_NODE_AUTOCONNECT, "true",
		/* a graph cycle of one 20 ms Opus frame: each cycle completes a
		 * frame, packets leave evenly (a receiver's jitter buffer stays
		 * small) and none waits for the next cycle. A smaller quantum asked
		 * by another node wins; that is fine too. */
		PW_KEY_NODE_LATENCY, "960/48000",
		/* DSP ports even without a session manager (which reconfigures them) */
		"adapter.auto-port-config", "{ mode = dsp position = preserve }",
		"livekit.room", cfg->room,
		NULL);
	if (props == NULL)
		goto error_errno;
	if (cfg->source)
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, cfg->source);
	if (cfg->props)
		pw_properties_update(props, cfg->props);

	s->stream = pw_stream_new(core, s->node_name, props);
	if (s->stream == NULL)
		goto error_errno;
	pw_stream_add_listener(s->stream, &s->stream_listener, &stream_events, s);

	s->muted = cfg->muted;
	s->start_muted = cfg->muted;
	alto_send_ring_set_muted(ring, cfg->muted);

	params[0] = spa_format_audio_raw_build(&b, SPA_PARAM_EnumFormat, &info);
	res = pw_stream_connect(s->stream, PW_DIRECTION_INPUT, PW_ID_ANY,
			PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS,
			params, 1);
	if (res < 0) {
		pw_log_error("cannot connect the send stream: %s", spa_strerror(res));
		errno = -res;
		goto error_errno;
	}
	/* the controls at once, not when the stream first runs (top of the file) */
	announce_props(s);
	if (s->source) {
		s->registry = pw_core_get_registry(core, PW_VERSION_REGISTRY, 0);
		if (s->registry == NULL)
			goto error_errno;
		pw_registry_add_listener(s->registry, &s->registry_listener, &registry_events, s);
	}
	pw_log_info("send stream %s%s%s", s->node_name, s->source ? " from " : "", s->source ? s->source : "");
	return s;

error_errno:
	res = errno;
	alto_send_stream_destroy(s);
	errno = res;
	return NULL;
}

void alto_send_stream_destroy(struct alto_send_stream *s)
{
	if (s == NULL)
		return;
	if (s->link) {
		spa_hook_remove(&s->link_listener);
		pw_proxy_destroy(s->link);
	}
	if (s->registry) {
		spa_hook_remove(&s->registry_listener);
		pw_proxy_destroy((struct pw_proxy *)s->registry);
	}
	/* disconnects from the data loop first: no process() after this */
	if (s->stream)
		pw_stream_destroy(s->stream);
	free(s->source);
	free(s);
}

uint32_t alto_send_stream_node_id(const struct alto_send_stream *s)
{
	return s ? s->node_id : SPA_ID_INVALID;
}

const char *alto_send_stream_node_name(const struct alto_send_stream *s)
{
	return s ? s->node_name : NULL;
}

void alto_send_stream_get_metrics(const struct alto_send_stream *s, struct alto_send_stream_metrics *m)
{
	struct alto_send_stream *w = (struct alto_send_stream *)s;

	if (s == NULL || m == NULL)
		return;
	m->cycles = atomic_load_explicit(&w->cycles, memory_order_relaxed);
	m->samples = atomic_load_explicit(&w->samples, memory_order_relaxed);
	m->empty = atomic_load_explicit(&w->empty, memory_order_relaxed);
}
