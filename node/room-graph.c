/* The room's part of the PipeWire graph: the room mixer, one participant
 * stream per remote track linked to its own mixer input, and the links
 * from the mixer outputs to the default sink (or the --target node).
 *
 * The mixer is the alto.mixer SPA node loaded into this process
 * (pw_context_load_spa_handle, `alto.* = alto/libspa-alto` added to the
 * context's spa-libs) and exported to the daemon (pw_core_export), so it
 * works with any daemon without installing the plugin there; its inputs are
 * added and removed with the plugin's typed control interface. It is shown
 * as a device: media.class Audio/Sink, node.description "LiveKit: <room>".
 *
 * Names (names.h): the mixer is "alto.<room>" unless the graph has a node
 * of that name already (the same room joined again in this daemon, as
 * another identity): then "alto.<room>@<own identity>" (then "-2", "-3"...),
 * and every stream of the session is named under the mixer's name. So the
 * registry is read (a core sync) before the mixer is exported, and after
 * it is exported it is checked once more: two sessions that exported the
 * same name at the same moment both see both nodes, and the one that came
 * second (the higher object.serial, never reused, unlike ids) moves to its
 * next name. Only then is the graph "ready": the mixer announced, streams
 * made, the session's network side started (session_graph_ready), so no
 * stream or link ever has to be renamed.
 *
 * Links are made by alto itself with link-factory (no session manager is
 * needed, and the streams say node.autoconnect=false so that one does not
 * move them): as soon as the registry shows a stream's output ports and its
 * mixer input's ports, they are linked. The mixer outputs are linked once,
 * to the first of: the --target node (node.name or id), the default sink
 * (metadata "default", key default.audio.sink), the first Audio/Sink that is
 * not ours; after that they belong to the user (pw-link may move them).
 *
 * Thread: the PipeWire main loop, all of it. */
#include "room-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/utils/json.h>
#include <spa/utils/string.h>
#include <pipewire/extensions/metadata.h>

#include "alto-mixer.h"
#include "alto-token.h"
#include "names.h"

PW_LOG_TOPIC_STATIC(graph_topic, "alto.room-graph");
#define PW_LOG_TOPIC_DEFAULT graph_topic

#define MAX_LINKS	(2 * ALTO_MIXER_MAX_CHANNELS)

#define emit(g, ev, ...)								\
	do {										\
		if ((g)->s->events && (g)->s->events->ev)				\
			(g)->s->events->ev((g)->s->events_data, ##__VA_ARGS__);	\
	} while (0)

struct gnode {
	uint32_t id;
	uint64_t serial;		/* object.serial: registration order, never reused */
	char *name;
	char *media_class;
};

struct gport {
	uint32_t id;
	uint32_t node_id;
	bool output;
	bool monitor;
	char *name;
	char *channel;
};

struct stream_entry {
	struct spa_list link;
	struct room_graph *g;
	struct track_media *media;
	struct participant_stream *ps;
	char node_name[ALTO_NAME_MAX];
	char input[ALTO_INPUT_NAME_MAX];
	bool input_added;
	uint32_t first_port;		/* the mixer's port id of our first channel */
	uint32_t node_id;
	struct pw_proxy *links[MAX_LINKS];
	uint32_t n_links;
	bool linked;
};

/* How far the room's names are settled (see the top of the file). */
enum graph_phase {
	GRAPH_READING,			/* the registry is being read: which names are taken */
	GRAPH_EXPORTING,		/* the mixer is exported, waiting for its global id */
	GRAPH_CHECKING,			/* bound: reading the registry once more */
	GRAPH_READY,			/* names final: streams, links, the network side */
};

struct room_graph {
	struct session *s;
	struct spa_hook core_listener;
	enum graph_phase phase;
	int pending_sync;		/* seq of the core sync we wait for */
	char *self;			/* our identity (from the token), for a qualified name */
	unsigned int name_choice;	/* alto_name_mixer_node's choice for mixer_name */
	struct pw_registry *registry;
	struct spa_hook registry_listener;
	GHashTable *nodes;		/* id → gnode */
	GHashTable *ports;		/* id → gport */

	struct pw_proxy *metadata;
	struct spa_hook metadata_listener;
	uint32_t metadata_id;
	char *default_sink;

	/* the mixer */
	char mixer_name[ALTO_NAME_MAX];
	struct spa_handle *mixer_handle;
	struct spa_node *mixer_node;
	struct alto_mixer_control *mixer_control;
	struct pw_properties *mixer_props;	/* what it is exported with */
	struct pw_proxy *mixer_proxy;
	struct spa_hook mixer_listener;
	uint32_t export_id;		/* the exported mixer's global id, before the check */
	uint32_t mixer_id;		/* its global id once the names are final */
	uint32_t mixer_channels;

	/* mixer outputs → sink */
	struct pw_proxy *out_links[ALTO_MIXER_MAX_CHANNELS];
	uint32_t n_out_links;
	bool output_linked;
	uint32_t output_target;

	struct spa_list streams;
	struct spa_source *stats_timer;
};

static void gnode_free(gpointer p)
{
	struct gnode *n = p;
	free(n->name);
	free(n->media_class);
	free(n);
}

static void gport_free(gpointer p)
{
	struct gport *q = p;
	free(q->name);
	free(q->channel);
	free(q);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ------------------------------------------------------------------ links */

static void on_link_error(void *data, int seq, int res, const char *message)
{
	pw_log_warn("link failed: %s (%s)", message, spa_strerror(res));
}

static const struct pw_proxy_events link_events = {
	PW_VERSION_PROXY_EVENTS,
	.error = on_link_error,
};

struct link_data {
	struct spa_hook listener;
};

static struct pw_proxy *make_link(struct room_graph *g, const struct gport *out, const struct gport *in)
{
	char on[16], op[16], in_n[16], ip[16];
	struct pw_proxy *proxy;
	struct link_data *ld;
	struct spa_dict_item items[] = {
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_OUTPUT_NODE, on),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_OUTPUT_PORT, op),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_INPUT_NODE, in_n),
		SPA_DICT_ITEM_INIT(PW_KEY_LINK_INPUT_PORT, ip),
		SPA_DICT_ITEM_INIT(PW_KEY_OBJECT_LINGER, "false"),
	};

	snprintf(on, sizeof(on), "%u", out->node_id);
	snprintf(op, sizeof(op), "%u", out->id);
	snprintf(in_n, sizeof(in_n), "%u", in->node_id);
	snprintf(ip, sizeof(ip), "%u", in->id);
	proxy = pw_core_create_object(g->s->core, "link-factory", PW_TYPE_INTERFACE_Link, PW_VERSION_LINK,
			&SPA_DICT_INIT_ARRAY(items), sizeof(struct link_data));
	if (proxy == NULL) {
		pw_log_warn("cannot link port %u to %u: %m", out->id, in->id);
		return NULL;
	}
	ld = pw_proxy_get_user_data(proxy);
	pw_proxy_add_listener(proxy, &ld->listener, &link_events, g);
	pw_log_info("link %s:%u → %u", out->name, out->id, in->id);
	return proxy;
}

/* A mixer port of input `input`: "in_<input>_<CH>". The registry's port
 * props hold only PipeWire's own keys (not alto.input), so go by the name. */
static bool is_input_port(const struct gport *p, const char *input)
{
	size_t n = strlen(input);

	return p->name && p->channel && strncmp(p->name, "in_", 3) == 0 &&
		strncmp(p->name + 3, input, n) == 0 && p->name[3 + n] == '_' &&
		strcmp(p->name + 4 + n, p->channel) == 0;
}

/* Ports of a node, in registry order; monitors left out. */
static uint32_t node_ports(struct room_graph *g, uint32_t node_id, bool output, const char *input,
		const struct gport **out, uint32_t max)
{
	GHashTableIter it;
	gpointer value;
	uint32_t n = 0;

	g_hash_table_iter_init(&it, g->ports);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct gport *p = value;
		if (p->node_id != node_id || p->output != output || p->monitor)
			continue;
		if (input && !is_input_port(p, input))
			continue;
		if (n < max)
			out[n] = p;
		n++;
	}
	/* registry order = id order, so that FL comes before FR */
	for (uint32_t i = 1; i < SPA_MIN(n, max); i++)
		for (uint32_t j = i; j > 0 && out[j - 1]->id > out[j]->id; j--) {
			const struct gport *t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

/* ------------------------------------------------------------------ participant streams */

static void stream_info(struct stream_entry *e, struct alto_participant_stream_info *info);

static void announce(struct room_graph *g, struct stream_entry *e, bool added)
{
	struct alto_participant_stream_info info;

	stream_info(e, &info);
	if (g->s->destroying)
		return;		/* the session is going: nobody to tell */
	if (added)
		emit(g, stream_added, &info);
	else
		emit(g, stream_removed, &info);
}

static void try_link_stream(struct room_graph *g, struct stream_entry *e)
{
	const struct gport *outs[ALTO_MIXER_MAX_CHANNELS], *ins[ALTO_MIXER_MAX_CHANNELS];
	uint32_t n_out, n_in;

	if (e->linked || e->node_id == SPA_ID_INVALID || g->mixer_id == SPA_ID_INVALID || !e->input_added)
		return;
	n_out = node_ports(g, e->node_id, true, NULL, outs, SPA_N_ELEMENTS(outs));
	n_in = node_ports(g, g->mixer_id, false, e->input, ins, SPA_N_ELEMENTS(ins));
	if (n_out < e->media->channels || n_in < g->mixer_channels)
		return;

	for (uint32_t i = 0; i < n_in && e->n_links < MAX_LINKS; i++) {
		const struct gport *src = NULL;
		if (n_out == 1) {
			src = outs[0];		/* mono: the same voice in every mixer channel */
		} else {
			for (uint32_t j = 0; j < n_out && src == NULL; j++)
				if (g_strcmp0(outs[j]->channel, ins[i]->channel) == 0)
					src = outs[j];
			if (src == NULL)
				src = outs[i % n_out];
		}
		struct pw_proxy *l = make_link(g, src, ins[i]);
		if (l)
			e->links[e->n_links++] = l;
	}
	e->linked = true;
	pw_log_info("participant %s (%s) linked: node %u → %s", e->media->identity, e->media->track_sid,
		    e->node_id, e->input);
	announce(g, e, true);
}

static void on_stream_node_id(void *data, struct participant_stream *ps, uint32_t node_id)
{
	struct stream_entry *e = data;

	e->node_id = node_id;
	try_link_stream(e->g, e);
}

static const struct participant_stream_events participant_events = {
	.node_id = on_stream_node_id,
};

/* A stream of ours other than self already has this node name or input. */
static bool name_taken(struct room_graph *g, const struct stream_entry *self, const char *node_name,
		const char *input)
{
	struct stream_entry *e;

	spa_list_for_each(e, &g->streams, link) {
		if (e == self)
			continue;
		if (node_name && strcmp(e->node_name, node_name) == 0)
			return true;
		if (input && strcmp(e->input, input) == 0)
			return true;
	}
	return false;
}

static struct stream_entry *find_stream(struct room_graph *g, const char *track_sid)
{
	struct stream_entry *e;

	spa_list_for_each(e, &g->streams, link)
		if (g_strcmp0(e->media->track_sid, track_sid) == 0)
			return e;
	return NULL;
}

static void free_stream(struct room_graph *g, struct stream_entry *e)
{
	spa_list_remove(&e->link);
	/* the stream first: its ports and links go with it, and process() stops */
	participant_stream_destroy(e->ps);
	for (uint32_t i = 0; i < e->n_links; i++)
		pw_proxy_destroy(e->links[i]);
	if (e->input_added && g->mixer_control) {
		int res = alto_mixer_remove_input(g->mixer_control, e->input);
		if (res < 0)
			pw_log_warn("mixer input %s not removed: %s", e->input, spa_strerror(res));
	}
	if (e->linked)
		announce(g, e, false);
	track_media_free(e->media);
	free(e);
}

/* The stream's names (under the mixer's), its mixer input and its
 * pw_stream. false: the stream could not be made (e is freed). */
static bool build_stream(struct room_graph *g, struct stream_entry *e)
{
	struct track_media *m = e->media;
	uint32_t first_port = 0;
	int res;

	alto_name_participant_node(e->node_name, sizeof(e->node_name), g->mixer_name, m->identity, NULL);
	if (name_taken(g, e, e->node_name, NULL))
		alto_name_participant_node(e->node_name, sizeof(e->node_name), g->mixer_name, m->identity,
					   m->track_sid);
	alto_name_mixer_input(e->input, sizeof(e->input), m->identity, NULL);
	for (uint32_t i = 2; name_taken(g, e, NULL, e->input) && i < 1000; i++) {
		char n[16];
		snprintf(n, sizeof(n), "%u", i);
		alto_name_mixer_input(e->input, sizeof(e->input), m->identity, n);
	}

	if (g->mixer_control == NULL) {
		/* the mixer could not be made (reported then) */
		pw_log_warn("no room mixer: %s stays unlinked", e->node_name);
	} else if ((res = alto_mixer_add_input(g->mixer_control, e->input, &first_port)) < 0) {
		pw_log_error("cannot add mixer input %s: %s", e->input, spa_strerror(res));
	} else {
		e->input_added = true;
		e->first_port = first_port;
	}
	/* a session manager announces itself with the "default" metadata (the
	 * registry has been read by now: streams are made when the graph is ready) */
	e->ps = participant_stream_new(g->s->core, g->s->room, e->node_name, m, g->metadata == NULL,
			g->s->cfg.participant_props,
			&participant_events, e);
	if (e->ps == NULL) {
		char *msg = g_strdup_printf("cannot create the stream of %s: %s", m->identity, strerror(errno));
		emit(g, error, -errno, msg);
		g_free(msg);
		spa_list_remove(&e->link);
		if (e->input_added)
			alto_mixer_remove_input(g->mixer_control, e->input);
		track_media_free(m);
		free(e);
		return false;
	}
	pw_log_info("participant %s (%s): stream %s, mixer input %s", m->identity, m->track_sid,
		    e->node_name, e->input);
	return true;
}

void room_graph_add_stream(struct room_graph *g, struct track_media *m)
{
	struct stream_entry *e;

	if ((e = find_stream(g, m->track_sid)) != NULL) {
		/* a stale one (should not happen: removes come first) */
		pw_log_warn("track %s already has a stream: replaced", m->track_sid);
		free_stream(g, e);
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		track_media_free(m);
		return;
	}
	e->g = g;
	e->media = m;
	e->node_id = SPA_ID_INVALID;
	spa_list_append(&g->streams, &e->link);
	/* before the names are final (the network side starts after that, so
	 * only if it was started early) the stream waits for them */
	if (g->phase == GRAPH_READY)
		build_stream(g, e);
}

void room_graph_remove_stream(struct room_graph *g, const char *track_sid)
{
	struct stream_entry *e = find_stream(g, track_sid);

	if (e)
		free_stream(g, e);
}

void room_graph_update_participant(struct room_graph *g, const struct participant_update *u)
{
	struct stream_entry *e;

	spa_list_for_each(e, &g->streams, link) {
		if (g_strcmp0(e->media->participant_sid, u->participant_sid) != 0)
			continue;
		if (u->name) {
			g_free(e->media->name);
			e->media->name = g_strdup(u->name);
		}
		if (u->speaking >= 0)
			e->media->speaking = u->speaking;
		if (u->quality >= 0)
			e->media->quality = u->quality;
		if (u->muted >= 0 && g_strcmp0(e->media->track_sid, u->track_sid) == 0)
			e->media->muted = u->muted;
		if (e->ps)
			participant_stream_update(e->ps, e->media);
	}
}

/* ------------------------------------------------------------------ mixer outputs */

static const struct gnode *find_node_by_name(struct room_graph *g, const char *name)
{
	GHashTableIter it;
	gpointer value;
	char *end = NULL;
	unsigned long id;

	if (name == NULL)
		return NULL;
	g_hash_table_iter_init(&it, g->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (g_strcmp0(((struct gnode *)value)->name, name) == 0)
			return value;
	id = strtoul(name, &end, 10);
	if (end != name && *end == '\0')
		return g_hash_table_lookup(g->nodes, GUINT_TO_POINTER((guint)id));
	return NULL;
}

static const struct gnode *pick_target(struct room_graph *g)
{
	const struct gnode *n, *best = NULL;
	GHashTableIter it;
	gpointer value;

	if (g->s->cfg.target)
		return find_node_by_name(g, g->s->cfg.target);
	if ((n = find_node_by_name(g, g->default_sink)) != NULL && n->id != g->mixer_id)
		return n;
	g_hash_table_iter_init(&it, g->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		n = value;
		if (n->id == g->mixer_id || g_strcmp0(n->media_class, "Audio/Sink") != 0)
			continue;
		if (n->name && g_str_has_prefix(n->name, "alto."))
			continue;	/* another room's mixer */
		if (best == NULL || n->id < best->id)
			best = n;
	}
	return best;
}

static void try_link_outputs(struct room_graph *g)
{
	const struct gport *outs[ALTO_MIXER_MAX_CHANNELS], *ins[ALTO_MIXER_MAX_CHANNELS];
	const struct gnode *target;
	uint32_t n_out, n_in;

	if (g->output_linked || g->mixer_id == SPA_ID_INVALID)
		return;
	if ((target = pick_target(g)) == NULL)
		return;
	n_out = node_ports(g, g->mixer_id, true, NULL, outs, SPA_N_ELEMENTS(outs));
	n_in = node_ports(g, target->id, false, NULL, ins, SPA_N_ELEMENTS(ins));
	if (n_out < g->mixer_channels || n_in == 0)
		return;
	n_out = SPA_MIN(n_out, (uint32_t)SPA_N_ELEMENTS(outs));
	n_in = SPA_MIN(n_in, (uint32_t)SPA_N_ELEMENTS(ins));

	for (uint32_t i = 0; i < n_out; i++) {
		const struct gport *dst = NULL;
		for (uint32_t j = 0; j < n_in && dst == NULL; j++)
			if (g_strcmp0(ins[j]->channel, outs[i]->channel) == 0)
				dst = ins[j];
		if (dst == NULL) {
			/* a mono sink takes the first channel only: summing the
			 * channels of a mono voice would add 6 dB */
			if (n_in == 1 && i > 0)
				continue;
			dst = ins[i % n_in];
		}
		struct pw_proxy *l = make_link(g, outs[i], dst);
		if (l && g->n_out_links < SPA_N_ELEMENTS(g->out_links))
			g->out_links[g->n_out_links++] = l;
	}
	g->output_linked = true;
	g->output_target = target->id;
	pw_log_info("room mixer %s → %s (%u)", g->mixer_name, target->name, target->id);
	emit(g, output_linked, target->name ? target->name : "", target->id);
}

static void try_link_all(struct room_graph *g)
{
	struct stream_entry *e;

	try_link_outputs(g);
	spa_list_for_each(e, &g->streams, link)
		try_link_stream(g, e);
}

/* ------------------------------------------------------------------ default sink metadata */

static int on_metadata_property(void *data, uint32_t subject, const char *key, const char *type,
		const char *value)
{
	struct room_graph *g = data;
	struct spa_json it[2];
	char k[64], name[256];

	if (subject != PW_ID_CORE || key == NULL || strcmp(key, "default.audio.sink") != 0)
		return 0;
	free(g->default_sink);
	g->default_sink = NULL;
	if (value) {
		spa_json_init(&it[0], value, strlen(value));
		if (spa_json_enter_object(&it[0], &it[1]) > 0) {
			while (spa_json_get_string(&it[1], k, sizeof(k)) > 0) {
				if (strcmp(k, "name") == 0 && spa_json_get_string(&it[1], name, sizeof(name)) > 0) {
					g->default_sink = strdup(name);
					break;
				}
				if (spa_json_next(&it[1], &(const char *){ NULL }) <= 0)
					break;
			}
		}
	}
	pw_log_debug("default sink: %s", g->default_sink ? g->default_sink : "(none)");
	try_link_outputs(g);
	return 0;
}

static const struct pw_metadata_events metadata_events = {
	PW_VERSION_METADATA_EVENTS,
	.property = on_metadata_property,
};

/* ------------------------------------------------------------------ registry */

static bool is_true(const char *s)
{
	return s && (strcmp(s, "true") == 0 || strcmp(s, "1") == 0);
}

static void on_global(void *data, uint32_t id, uint32_t permissions, const char *type, uint32_t version,
		const struct spa_dict *props)
{
	struct room_graph *g = data;
	const char *str;

	if (props == NULL)
		return;
	if (spa_streq(type, PW_TYPE_INTERFACE_Node)) {
		struct gnode *n = calloc(1, sizeof(*n));
		if (n == NULL)
			return;
		n->id = id;
		n->name = dup_or_null(spa_dict_lookup(props, PW_KEY_NODE_NAME));
		n->media_class = dup_or_null(spa_dict_lookup(props, PW_KEY_MEDIA_CLASS));
		str = spa_dict_lookup(props, PW_KEY_OBJECT_SERIAL);
		n->serial = str ? strtoull(str, NULL, 10) : id;
		g_hash_table_replace(g->nodes, GUINT_TO_POINTER(id), n);
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Port)) {
		const char *node = spa_dict_lookup(props, PW_KEY_NODE_ID);
		struct gport *p;
		if (node == NULL || (p = calloc(1, sizeof(*p))) == NULL)
			return;
		p->id = id;
		p->node_id = (uint32_t)strtoul(node, NULL, 10);
		p->output = spa_streq(spa_dict_lookup(props, PW_KEY_PORT_DIRECTION), "out");
		p->monitor = is_true(spa_dict_lookup(props, PW_KEY_PORT_MONITOR));
		p->name = dup_or_null(spa_dict_lookup(props, PW_KEY_PORT_NAME));
		p->channel = dup_or_null(spa_dict_lookup(props, PW_KEY_AUDIO_CHANNEL));
		g_hash_table_replace(g->ports, GUINT_TO_POINTER(id), p);
	} else if (spa_streq(type, PW_TYPE_INTERFACE_Metadata)) {
		if (g->metadata || !spa_streq(spa_dict_lookup(props, PW_KEY_METADATA_NAME), "default"))
			return;
		g->metadata = pw_registry_bind(g->registry, id, type, PW_VERSION_METADATA, 0);
		if (g->metadata) {
			g->metadata_id = id;
			pw_metadata_add_listener((struct pw_metadata *)g->metadata, &g->metadata_listener,
						 &metadata_events, g);
		}
		return;
	} else {
		return;
	}
	try_link_all(g);
}

static void on_global_remove(void *data, uint32_t id)
{
	struct room_graph *g = data;

	g_hash_table_remove(g->nodes, GUINT_TO_POINTER(id));
	g_hash_table_remove(g->ports, GUINT_TO_POINTER(id));
	if (g->metadata && id == g->metadata_id) {
		spa_hook_remove(&g->metadata_listener);
		pw_proxy_destroy(g->metadata);
		g->metadata = NULL;
	}
	if (g->output_linked && id == g->output_target) {
		/* our sink went away: the mix goes to the next one that comes */
		for (uint32_t i = 0; i < g->n_out_links; i++)
			pw_proxy_destroy(g->out_links[i]);
		g->n_out_links = 0;
		g->output_linked = false;
		try_link_outputs(g);
	}
}

static const struct pw_registry_events registry_events = {
	PW_VERSION_REGISTRY_EVENTS,
	.global = on_global,
	.global_remove = on_global_remove,
};

/* ------------------------------------------------------------------ diagnostics */

static void stream_info(struct stream_entry *e, struct alto_participant_stream_info *info)
{
	*info = (struct alto_participant_stream_info){
		.node_name = e->node_name,
		.node_id = e->node_id,
		.mixer_input = e->input,
		.participant_sid = e->media->participant_sid,
		.identity = e->media->identity,
		.name = e->media->name,
		.track_sid = e->media->track_sid,
		.channels = e->media->channels,
	};
}

static void stream_stats(struct room_graph *g, struct stream_entry *e, struct alto_participant_stream_stats *st)
{
	struct participant_stream_metrics sm;
	struct alto_jitter_buffer_metrics jm;
	struct alto_mixer_port_metrics pm = { 0 };

	participant_stream_get_metrics(e->ps, &sm);
	alto_jitter_buffer_get_metrics(e->media->jb, &jm);
	if (e->input_added)
		alto_mixer_get_port_metrics(g->mixer_control, e->first_port, &pm);
	*st = (struct alto_participant_stream_stats){
		.packets = jm.packets,
		.lost = jm.lost,
		.late = jm.late,
		.underruns = jm.underruns,
		.cycles = sm.cycles,
		.frames = sm.frames,
		.mixer_underruns = pm.underruns,
		.level_ms = jm.level_ms,
		.target_ms = jm.target_ms,
		.rate = sm.rate,
		.latency_p50_ms = sm.latency_p50_ms,
		.latency_p95_ms = sm.latency_p95_ms,
		.nack_requested = atomic_load_explicit(&e->media->nack_requested, memory_order_relaxed),
		.nack_recovered = atomic_load_explicit(&e->media->nack_recovered, memory_order_relaxed),
	};
}

/* Per stream, every stats interval: a stream_stats event (when asked for)
 * and a debug line. */
static void on_stats_timer(void *data, uint64_t expirations)
{
	struct room_graph *g = data;
	struct alto_mixer_node_metrics nm;
	struct stream_entry *e;
	bool debug = pw_log_topic_enabled(SPA_LOG_LEVEL_DEBUG, PW_LOG_TOPIC_DEFAULT);

	if (debug && g->mixer_control && alto_mixer_get_node_metrics(g->mixer_control, &nm) == 0)
		pw_log_debug("mixer %s: cycles %" PRIu64 " inputs %u", g->mixer_name, nm.cycles, nm.n_inputs);
	spa_list_for_each(e, &g->streams, link) {
		struct alto_participant_stream_info info;
		struct alto_participant_stream_stats st;

		if (e->ps == NULL)
			continue;	/* waits for the graph to be ready */
		stream_stats(g, e, &st);
		if (debug)
			pw_log_debug("%s: packets %" PRIu64 " cycles %" PRIu64 " frames %" PRIu64
				     " level %u/%u ms rate %.6f latency p50 %.1f p95 %.1f ms mixer underruns %" PRIu64,
				     e->node_name, st.packets, st.cycles, st.frames, st.level_ms, st.target_ms,
				     st.rate, st.latency_p50_ms, st.latency_p95_ms, st.mixer_underruns);
		if (g->s->cfg.stats_interval_ms > 0 && e->linked) {
			stream_info(e, &info);
			emit(g, stream_stats, &info, &st);
		}
	}
}

/* ------------------------------------------------------------------ names, mixer */

static void unmake_mixer(struct room_graph *g);
static int make_mixer(struct room_graph *g);
static int export_mixer(struct room_graph *g);

static void read_registry(struct room_graph *g)
{
	g->pending_sync = pw_core_sync(g->s->core, PW_ID_CORE, 0);
}

/* A node other than our own mixer (own_id) named name; only_earlier: one
 * that was registered before ours (lower object.serial). */
static bool node_name_taken(struct room_graph *g, const char *name, uint32_t own_id, bool only_earlier)
{
	const struct gnode *own = g_hash_table_lookup(g->nodes, GUINT_TO_POINTER(own_id));
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, g->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		const struct gnode *n = value;
		if (n->id == own_id || g_strcmp0(n->name, name) != 0)
			continue;
		if (!only_earlier || own == NULL || n->serial < own->serial)
			return true;
	}
	return false;
}

/* The first of our names from `from` on that no node in the registry has
 * (the last one when every one is taken). */
static unsigned int free_name_choice(struct room_graph *g, unsigned int from)
{
	char name[ALTO_NAME_MAX];

	for (unsigned int c = from; c < ALTO_NAME_CHOICE_MAX; c++) {
		alto_name_mixer_node(name, sizeof(name), g->s->room, g->self, c);
		if (!node_name_taken(g, name, g->export_id, false))
			return c;
	}
	return ALTO_NAME_CHOICE_MAX;
}

/* The mixer (again) under the name of choice c, and export it. */
static int remake_mixer(struct room_graph *g, unsigned int c)
{
	int res;

	if (c != g->name_choice || g->mixer_handle == NULL) {
		unmake_mixer(g);
		g->name_choice = c;
		if ((res = make_mixer(g)) < 0)
			return res;
	}
	if (c > 0)
		pw_log_info("the room's own name is taken in this graph: this session's room node is %s",
			    g->mixer_name);
	return export_mixer(g);
}

/* The names are final: the mixer is announced, waiting streams are made,
 * the session's network side starts. Also when the mixer failed or the
 * daemon is gone: the session goes on (or leaves) as it would have. */
static void become_ready(struct room_graph *g)
{
	struct stream_entry *e, *t;

	if (g->phase == GRAPH_READY)
		return;
	g->phase = GRAPH_READY;
	if (g->mixer_proxy && g->export_id != SPA_ID_INVALID) {
		g->mixer_id = g->export_id;
		pw_log_info("room mixer %s is node %u", g->mixer_name, g->mixer_id);
		emit(g, mixer_ready, g->mixer_name, g->mixer_id);
	}
	spa_list_for_each_safe(e, t, &g->streams, link)
		if (e->ps == NULL)
			build_stream(g, e);
	try_link_all(g);
	session_graph_ready(g->s);
}

static void on_core_done(void *data, uint32_t id, int seq)
{
	struct room_graph *g = data;
	char own[ALTO_NAME_MAX];
	int res;

	if (id != PW_ID_CORE || seq != g->pending_sync)
		return;
	g->pending_sync = -1;
	switch (g->phase) {
	case GRAPH_READING:
		/* the registry as it is: our first name nobody has */
		g->phase = GRAPH_EXPORTING;
		if ((res = remake_mixer(g, free_name_choice(g, 0))) < 0)
			goto failed;
		break;
	case GRAPH_CHECKING:
		/* someone exported our name before us (at the same moment, so that
		 * neither saw the other when reading): the later one moves on */
		snprintf(own, sizeof(own), "%s", g->mixer_name);
		if (g->name_choice < ALTO_NAME_CHOICE_MAX && node_name_taken(g, own, g->export_id, true)) {
			pw_log_info("%s was exported twice at once: moving on", own);
			g->phase = GRAPH_EXPORTING;
			if ((res = remake_mixer(g, free_name_choice(g, g->name_choice + 1))) < 0)
				goto failed;
			break;
		}
		become_ready(g);
		break;
	default:
		break;
	}
	return;

failed:
	{
		char *msg = g_strdup_printf("cannot make the room mixer %s: %s", g->mixer_name, spa_strerror(res));
		emit(g, error, res, msg);
		g_free(msg);
		become_ready(g);
	}
}

static void on_core_error(void *data, uint32_t id, int seq, int res, const char *message)
{
	struct room_graph *g = data;

	if (id == PW_ID_CORE && res == -EPIPE) {
		char *msg = g_strdup_printf("lost the PipeWire daemon: %s", message ? message : "");
		emit(g, error, res, msg);
		g_free(msg);
		/* no answer will come: let the session go on (and leave) */
		become_ready(g);
	} else {
		pw_log_warn("PipeWire error on object %u: %s (%s)", id, message, spa_strerror(res));
	}
}

static const struct pw_core_events core_events = {
	PW_VERSION_CORE_EVENTS,
	.done = on_core_done,
	.error = on_core_error,
};

static void on_mixer_bound(void *data, uint32_t global_id)
{
	struct room_graph *g = data;

	g->export_id = global_id;
	if (g->phase == GRAPH_EXPORTING) {
		/* the registry once more: our own node and any that came before it */
		g->phase = GRAPH_CHECKING;
		read_registry(g);
	}
}

static void on_mixer_error(void *data, int seq, int res, const char *message)
{
	struct room_graph *g = data;
	char *msg = g_strdup_printf("room mixer: %s", message);

	emit(g, error, res, msg);
	g_free(msg);
	become_ready(g);
}

static const struct pw_proxy_events mixer_events = {
	PW_VERSION_PROXY_EVENTS,
	.bound = on_mixer_bound,
	.error = on_mixer_error,
};

/* The mixer's SPA node, loaded into this process under g->mixer_name (the
 * plugin reports the node.name it was loaded with, so a new name is a new
 * handle); g->mixer_props keeps what export_mixer gives the daemon. */
static int make_mixer(struct room_graph *g)
{
	struct pw_properties *props;
	char desc[256];
	void *iface = NULL;
	int res;

	if ((res = alto_name_mixer_node(g->mixer_name, sizeof(g->mixer_name), g->s->room, g->self,
					g->name_choice)) < 0)
		return res;
	/* a second copy of the room says whose it is */
	if (g->name_choice == 0)
		snprintf(desc, sizeof(desc), "LiveKit: %s", g->s->room);
	else
		snprintf(desc, sizeof(desc), "LiveKit: %s (%s)", g->s->room, g->self ? g->self : "?");
	props = pw_properties_new(
		SPA_KEY_FACTORY_NAME, ALTO_MIXER_FACTORY_NAME,
		PW_KEY_NODE_NAME, g->mixer_name,
		PW_KEY_NODE_DESCRIPTION, desc,
		PW_KEY_MEDIA_CLASS, "Audio/Sink",
		PW_KEY_MEDIA_NAME, desc,
		PW_KEY_NODE_VIRTUAL, "true",
		PW_KEY_NODE_AUTOCONNECT, "false",
		/* never the default sink, nor (WirePlumber also ranks a sink's
		 * outputs as a source) the default source: a node without the key
		 * counts as -1 there, so "0" would beat such devices */
		PW_KEY_PRIORITY_SESSION, "-1000",
		"audio.position", "[ FL FR ]",
		"livekit.room", g->s->room,
		/* pw_core_export() (0.3.65) registers its local wrapper node in the
		 * local context unless told not to: inside the daemon (the module)
		 * that context is the daemon's, and the room would show twice */
		PW_KEY_OBJECT_REGISTER, "false",
		NULL);
	if (props == NULL)
		return -errno;
	if (g->s->cfg.mixer_props) {
		/* the user's overrides (module stream.props), but not what alto
		 * finds its own objects by */
		pw_properties_update(props, g->s->cfg.mixer_props);
		pw_properties_set(props, SPA_KEY_FACTORY_NAME, ALTO_MIXER_FACTORY_NAME);
		pw_properties_set(props, PW_KEY_NODE_NAME, g->mixer_name);
		pw_properties_set(props, "livekit.room", g->s->room);
		pw_properties_set(props, PW_KEY_OBJECT_REGISTER, "false");
	}
	/* the plugin is found through SPA_PLUGIN_DIR as alto/libspa-alto */
	pw_context_add_spa_lib(g->s->context, "alto.*", ALTO_MIXER_LIBRARY_NAME);
	g->mixer_handle = pw_context_load_spa_handle(g->s->context, ALTO_MIXER_FACTORY_NAME, &props->dict);
	if (g->mixer_handle == NULL) {
		res = -(errno ? errno : ENOENT);
		pw_log_error("cannot load the %s SPA plugin (%s): %s; is SPA_PLUGIN_DIR set?",
			     ALTO_MIXER_FACTORY_NAME, ALTO_MIXER_LIBRARY_NAME, spa_strerror(res));
		goto error;
	}
	if ((res = spa_handle_get_interface(g->mixer_handle, SPA_TYPE_INTERFACE_Node, &iface)) < 0)
		goto error;
	g->mixer_node = iface;
	if ((res = spa_handle_get_interface(g->mixer_handle, ALTO_TYPE_INTERFACE_MixerControl, &iface)) < 0)
		goto error;
	g->mixer_control = iface;
	g->mixer_channels = 2;
	g->mixer_props = props;
	return 0;

error:
	pw_properties_free(props);
	return res;
}

static int export_mixer(struct room_graph *g)
{
	g->export_id = SPA_ID_INVALID;
	g->mixer_proxy = pw_core_export(g->s->core, SPA_TYPE_INTERFACE_Node, &g->mixer_props->dict,
			g->mixer_node, 0);
	if (g->mixer_proxy == NULL)
		return -errno;
	pw_proxy_add_listener(g->mixer_proxy, &g->mixer_listener, &mixer_events, g);
	return 0;
}

/* Main loop: the exported node goes first (the daemon stops using the SPA
 * node), then the handle. */
static void unmake_mixer(struct room_graph *g)
{
	if (g->mixer_proxy) {
		spa_hook_remove(&g->mixer_listener);
		pw_proxy_destroy(g->mixer_proxy);
		g->mixer_proxy = NULL;
	}
	if (g->mixer_handle) {
		pw_unload_spa_handle(g->mixer_handle);
		g->mixer_handle = NULL;
	}
	g->mixer_node = NULL;
	g->mixer_control = NULL;
	g->export_id = SPA_ID_INVALID;
	pw_properties_free(g->mixer_props);
	g->mixer_props = NULL;
}

/* Our identity, for a qualified name: the token's subject (the server's
 * idea of who we are; both `alto join` and the module always have one). */
static char *own_identity(struct session *s)
{
	struct alto_token_claims claims = { 0 };
	char *identity = NULL;

	if (s->cfg.token && alto_token_decode(s->cfg.token, &claims) == 0 && claims.identity)
		identity = strdup(claims.identity);
	alto_token_claims_clear(&claims);
	return identity;
}

struct room_graph *room_graph_new(struct session *s)
{
	struct room_graph *g;
	int res;

	PW_LOG_TOPIC_INIT(graph_topic);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->s = s;
	g->phase = GRAPH_READING;
	g->pending_sync = -1;
	g->export_id = SPA_ID_INVALID;
	g->mixer_id = SPA_ID_INVALID;
	g->metadata_id = SPA_ID_INVALID;
	spa_list_init(&g->streams);
	g->nodes = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, gnode_free);
	g->ports = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, gport_free);
	g->self = own_identity(s);

	pw_core_add_listener(s->core, &g->core_listener, &core_events, g);
	/* loaded now under the plain name, so that a missing plugin fails here;
	 * exported (maybe under another name) once the registry is read */
	if ((res = make_mixer(g)) < 0)
		goto error;
	g->registry = pw_core_get_registry(s->core, PW_VERSION_REGISTRY, 0);
	if (g->registry == NULL) {
		res = -errno;
		goto error;
	}
	pw_registry_add_listener(g->registry, &g->registry_listener, &registry_events, g);
	read_registry(g);
	g->stats_timer = pw_loop_add_timer(s->main_loop, on_stats_timer, g);
	if (g->stats_timer) {
		uint32_t ms = s->cfg.stats_interval_ms ? s->cfg.stats_interval_ms : 2000;
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
		pw_loop_update_timer(s->main_loop, g->stats_timer, &ts, &ts, false);
	}
	return g;

error:
	room_graph_destroy(g);
	errno = -res;
	return NULL;
}

void room_graph_destroy(struct room_graph *g)
{
	struct stream_entry *e;

	if (g == NULL)
		return;
	if (g->stats_timer)
		pw_loop_destroy_source(g->s->main_loop, g->stats_timer);
	spa_list_consume(e, &g->streams, link)
		free_stream(g, e);
	for (uint32_t i = 0; i < g->n_out_links; i++)
		pw_proxy_destroy(g->out_links[i]);
	if (g->metadata) {
		spa_hook_remove(&g->metadata_listener);
		pw_proxy_destroy(g->metadata);
	}
	if (g->registry) {
		spa_hook_remove(&g->registry_listener);
		pw_proxy_destroy((struct pw_proxy *)g->registry);
	}
	unmake_mixer(g);
	spa_hook_remove(&g->core_listener);
	g_hash_table_destroy(g->nodes);
	g_hash_table_destroy(g->ports);
	free(g->default_sink);
	free(g->self);
	free(g);
}

int room_graph_send_names(const struct room_graph *g, char *name, size_t name_size, char *description,
		size_t description_size)
{
	if (g == NULL || g->name_choice == 0 || alto_name_send_node(name, name_size, g->mixer_name) < 0)
		return 0;
	snprintf(description, description_size, "LiveKit: %s (%s, send)", g->s->room, g->self ? g->self : "?");
	return 1;
}
