/* alto.mixer: the room mixer SPA node.
 *
 * One mono float (DSP F32) input port per participant and channel, added and
 * removed at run time, one output port per channel carrying the mix. Each
 * input port has its own volume and mute and its own metrics; the node has a
 * master volume, mute and per-channel volumes. process() mixes only the inputs
 * that have data in this cycle; a linked input without data is silence and
 * one underrun on its counter. No clipping: the mix stays float (see
 * mix-kernels.h). Runs in a PipeWire daemon through spa-node-factory or
 * inside any program that loads the plugin (the room session does).
 *
 * Node properties (the info dict of init, i.e. the create-node props):
 *   audio.position      channel layout, "[ FL FR ]" (default) or "[ MONO ]", up to 8
 *   audio.channels      1 or 2 (MONO / FL FR) when audio.position is not given
 *   audio.rate          only reported in the node's EnumFormat (default 48000)
 *   alto.mixer.inputs   inputs to create at once, "[ alice bob ]"
 *   alto.mixer.kernel   auto (default), c, sse2, avx2
 *   alto.mixer.metering true (default): per-input peak levels (costs about
 *                       half a mix more; see bench/README.md)
 *   alto.mixer.ramp-ms  5 (default): volume/mute changes glide linearly over
 *                       this long (0..1000, 0 = jump)
 *   alto.mixer.refresh-ms 1000 (default): how often changed input metrics
 *                       are announced so remote reads see them (0 = never)
 *   clock.quantum-limit largest quantum, sizes the Buffers param (default 8192)
 *   node.*, media.*     kept and reported as given (node.name, media.class, ...)
 *
 * Ports: inputs are in_<input>_<CH> (CH = FL, FR, MONO, ...), outputs
 * output_<CH>. Add and remove inputs with spa_node_add_port/remove_port, the
 * typed alto_mixer_control interface (alto-mixer.h), or from outside the
 * process with node Props:
 *
 *   pw-cli set-param <node> Props '{ params = [ "alto.add-input" "alice" ] }'
 *   pw-cli set-param <node> Props '{ params = [ "alto.input.alice.volume" 0.5 ] }'
 *   pw-cli set-param <node> Props '{ params = [ "alto.remove-input" "alice" ] }'
 *   pw-cli set-param <node> Props '{ volume = 0.8 mute = false }'
 *   pw-cli enum-params <port> Props      # volume, mute, frames, underruns, peak
 *
 * Example, a PipeWire conf fragment (pipewire.conf.d/alto-mixer.conf):
 *
 *   context.spa-libs = { alto.* = alto/libspa-alto }
 *   context.objects = [
 *       { factory = spa-node-factory
 *         args = { factory.name = alto.mixer
 *                  node.name = alto-mixer node.description = "Room mix"
 *                  media.class = Audio/Sink audio.position = [ FL FR ]
 *                  alto.mixer.inputs = [ alice bob ] } }
 *   ]
 *
 * or at run time (SPA_PLUGIN_DIR must list the directory holding alto/):
 *
 *   pw-cli create-node spa-node-factory '{ factory.name=alto.mixer
 *       library.name=alto/libspa-alto node.name=alto-mixer object.linger=true }'
 *
 * (without object.linger the node dies with the pw-cli that created it).
 *
 * Threads: every function in this file runs on the main thread (the thread
 * that owns the handle). process() and reuse_buffer() (mixer-process.c) run
 * on the data loop; the two meet only through mixer_publish().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/node/keys.h>
#include <spa/support/plugin.h>
#include <spa/utils/json.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include "mixer.h"

#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT log_topic
static struct spa_log_topic *log_topic = &SPA_LOG_TOPIC(0, "alto.mixer");

#define DSP_FORMAT_NAME	"32 bit float mono audio"

/* ---- info ---------------------------------------------------------------- */

void mixer_emit_node_info(struct impl *this, bool full)
{
	uint64_t old = full ? this->info.change_mask : 0;

	if (full)
		this->info.change_mask = this->info_all;
	if (this->info.change_mask) {
		spa_node_emit_info(&this->hooks, &this->info);
		this->info.change_mask = old;
	}
}

void mixer_emit_port_info(struct impl *this, struct port *port, bool full)
{
	uint64_t old = full ? port->info.change_mask : 0;

	if (full)
		port->info.change_mask = port->info_all;
	if (port->info.change_mask) {
		spa_node_emit_port_info(&this->hooks, port->direction, port->id, &port->info);
		port->info.change_mask = old;
	}
}

static void port_init_info(struct impl *this, struct port *port)
{
	uint32_t n_items = 0;
	bool input = port->direction == SPA_DIRECTION_INPUT;

	port->info_all = SPA_PORT_CHANGE_MASK_FLAGS | SPA_PORT_CHANGE_MASK_PROPS |
		SPA_PORT_CHANGE_MASK_PARAMS;
	port->info = SPA_PORT_INFO_INIT();
	/* NO_REF: buffers are only read inside process(); the port mixers
	 * PipeWire puts in front of us may hand over a different buffer each cycle */
	port->info.flags = input ?
		SPA_PORT_FLAG_NO_REF | SPA_PORT_FLAG_DYNAMIC_DATA |
		SPA_PORT_FLAG_REMOVABLE | SPA_PORT_FLAG_OPTIONAL : 0;

	port->info_items[n_items++] = SPA_DICT_ITEM_INIT("port.name", port->name);
	port->info_items[n_items++] = SPA_DICT_ITEM_INIT("audio.channel",
			this->channel_names[port->channel]);
	port->info_items[n_items++] = SPA_DICT_ITEM_INIT("format.dsp", DSP_FORMAT_NAME);
	if (input && port->input[0] != '\0')
		port->info_items[n_items++] = SPA_DICT_ITEM_INIT(ALTO_MIXER_PORT_KEY_INPUT,
				port->input);
	port->info_props = SPA_DICT_INIT(port->info_items, n_items);
	port->info.props = &port->info_props;

	port->params[PORT_PARAM_EnumFormat] = SPA_PARAM_INFO(SPA_PARAM_EnumFormat, SPA_PARAM_INFO_READ);
	port->params[PORT_PARAM_Meta] = SPA_PARAM_INFO(SPA_PARAM_Meta, SPA_PARAM_INFO_READ);
	port->params[PORT_PARAM_IO] = SPA_PARAM_INFO(SPA_PARAM_IO, SPA_PARAM_INFO_READ);
	port->params[PORT_PARAM_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_WRITE);
	port->params[PORT_PARAM_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, 0);
	port->params[PORT_PARAM_Props] = SPA_PARAM_INFO(SPA_PARAM_Props, SPA_PARAM_INFO_READWRITE);
	port->info.params = port->params;
	/* only inputs have Props (their volume, mute and metrics) */
	port->info.n_params = input ? N_PORT_PARAMS : N_PORT_PARAMS - 1;
}

/* ---- publishing to the data loop ---------------------------------------- */

static bool port_ready(const struct port *port)
{
	return port->io != NULL && port->n_buffers > 0 && port->have_format;
}

static int do_swap_list(struct spa_loop *loop, bool async, uint32_t seq,
		const void *data, size_t size, void *user_data)
{
	struct impl *this = user_data;
	struct mix_list *list;

	memcpy(&list, data, sizeof(list));
	this->rt_list = list;
	return 0;
}

/* Rebuilds the list of what process() may touch from the current state of
 * the ports and makes the data loop switch to it. The invoke blocks until
 * the data loop ran it, between two cycles, so when this returns no cycle
 * can still see the old list and ports dropped from it may be changed or
 * freed. `exclude` is a port being reconfigured (port_config_begin()). */
static int publish(struct impl *this, const struct port *exclude)
{
	struct mix_list *next = this->rt_list == &this->lists[0] ? &this->lists[1] : &this->lists[0];
	uint32_t count[MAX_CHANNELS] = { 0 }, fill[MAX_CHANNELS];
	uint32_t c, id, n = 0;
	int res = 0;

	/* inputs grouped by channel, in port id order: count, then place */
	for (id = 0; id < MAX_PORTS; id++) {
		struct port *p = this->in_ports[id];
		if (p == NULL)
			continue;
		p->rt_next = p != exclude && !p->removing && port_ready(p);
		if (p->rt_next)
			count[p->channel]++;
	}
	for (c = 0; c < this->n_channels; c++) {
		struct port *out = &this->out_ports[c];

		next->chan_start[c] = fill[c] = n;
		n += count[c];
		out->rt_next = out != exclude && port_ready(out);
		next->outputs[c] = out->rt_next ? out : NULL;
	}
	next->chan_start[this->n_channels] = n;
	next->n_inputs = n;
	for (id = 0; id < MAX_PORTS; id++) {
		struct port *p = this->in_ports[id];
		if (p != NULL && p->rt_next)
			next->inputs[fill[p->channel]++] = p;
	}
	next->position = this->position;

	if (this->data_loop != NULL)
		res = spa_loop_invoke(this->data_loop, do_swap_list, 0,
				&next, sizeof(next), true, this);
	else
		this->rt_list = next;

	if (res < 0) {
		/* the old list is still the one in use: nothing changed */
		spa_log_error(this->log, "%p: can't reach the data loop: %s",
				this, spa_strerror(res));
		return res;
	}
	for (id = 0; id < MAX_PORTS; id++)
		if (this->in_ports[id] != NULL)
			this->in_ports[id]->in_rt = this->in_ports[id]->rt_next;
	for (c = 0; c < this->n_channels; c++)
		this->out_ports[c].in_rt = this->out_ports[c].rt_next;
	return 0;
}

int mixer_publish(struct impl *this)
{
	return publish(this, NULL);
}

/* Takes the port out of the real-time list before its io, buffers or format
 * change; port_config_end() puts it back once it is consistent again. If the
 * data loop cannot be reached the port may still be in use there: the change
 * is refused. */
static int port_config_begin(struct impl *this, struct port *port)
{
	int res;

	if (port->in_rt && (res = publish(this, port)) < 0)
		return res;
	return 0;
}

static void port_config_end(struct impl *this, struct port *port)
{
	if (port_ready(port) != port->in_rt)
		publish(this, NULL);
}

void mixer_update_gains(struct impl *this)
{
	uint32_t c;

	for (c = 0; c < this->n_channels; c++)
		store_float(&this->master_gain[c],
				this->mute ? 0.0f : this->volume * this->channel_volumes[c]);
}

int mixer_set_port_volume(struct impl *this, struct port *port, const float *volume, const bool *mute)
{
	if (volume != NULL) {
		if (!(*volume >= 0.0f && *volume <= 10.0f)) {
			spa_log_warn(this->log, "%p: port %u: volume %f out of [0, 10]",
					this, port->id, *volume);
			return -EINVAL;
		}
		port->volume = *volume;
	}
	if (mute != NULL)
		port->mute = *mute;
	store_float(&port->gain, port->mute ? 0.0f : port->volume);
	mixer_announce_port_props(this, port);
	return 0;
}

/* ---- ports ---------------------------------------------------------------- */

static int find_channel(struct impl *this, const char *name)
{
	uint32_t c;

	for (c = 0; name != NULL && c < this->n_channels; c++)
		if (spa_streq(this->channel_names[c], name))
			return (int)c;
	return -1;
}

static bool input_name_valid(const char *name)
{
	size_t i, len = name ? strlen(name) : 0;

	if (len == 0 || len > ALTO_MIXER_MAX_NAME)
		return false;
	/* the name ends up in port names, pw-link arguments and params keys */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= ' ' || ch == 0x7f || ch == ':' || ch == '"' || ch == '\\')
			return false;
	}
	return true;
}

static int add_input_port(struct impl *this, uint32_t port_id, const char *input,
		int channel, const char *port_name)
{
	struct port *port;

	port = calloc(1, sizeof(*port));
	if (port == NULL)
		return -errno;

	port->direction = SPA_DIRECTION_INPUT;
	port->id = port_id;
	port->channel = channel >= 0 ? (uint32_t)channel : port_id % this->n_channels;
	snprintf(port->input, sizeof(port->input), "%s", input ? input : "");
	if (port_name != NULL)
		snprintf(port->name, sizeof(port->name), "%s", port_name);
	else if (port->input[0] != '\0')
		snprintf(port->name, sizeof(port->name), "in_%s_%s", port->input,
				this->channel_names[port->channel]);
	else
		snprintf(port->name, sizeof(port->name), "in_%u_%s", port_id,
				this->channel_names[port->channel]);
	spa_list_init(&port->queue);
	port->volume = 1.0f;
	port->gain = 1.0f;
	port_init_info(this, port);

	this->in_ports[port_id] = port;
	this->n_in_ports++;

	spa_log_debug(this->log, "%p: add input port %u '%s' channel %s", this,
			port_id, port->name, this->channel_names[port->channel]);
	mixer_emit_port_info(this, port, true);
	mixer_announce_node_props(this);	/* alto.inputs */
	return 0;
}

static int impl_node_add_port(void *object, enum spa_direction direction, uint32_t port_id,
		const struct spa_dict *props)
{
	struct impl *this = object;
	const char *input = NULL, *channel_name = NULL, *port_name = NULL;
	int channel = -1;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	if (direction != SPA_DIRECTION_INPUT) {
		spa_log_warn(this->log, "%p: add_port: only input ports are dynamic", this);
		return -EINVAL;
	}
	if (!IN_PORT_VALID_ID(port_id)) {
		spa_log_warn(this->log, "%p: add_port: id %u out of range (max %u)",
				this, port_id, MAX_PORTS);
		return -EINVAL;
	}
	if (this->in_ports[port_id] != NULL) {
		spa_log_warn(this->log, "%p: add_port: port %u exists", this, port_id);
		return -EEXIST;
	}
	if (props != NULL) {
		input = spa_dict_lookup(props, ALTO_MIXER_PORT_KEY_INPUT);
		channel_name = spa_dict_lookup(props, "audio.channel");
		port_name = spa_dict_lookup(props, "port.name");
	}
	if (input != NULL && !input_name_valid(input)) {
		spa_log_warn(this->log, "%p: add_port: bad input name", this);
		return -EINVAL;
	}
	if (channel_name != NULL && (channel = find_channel(this, channel_name)) < 0) {
		spa_log_warn(this->log, "%p: add_port: no channel '%s' in this node",
				this, channel_name);
		return -EINVAL;
	}
	if (port_name != NULL && (port_name[0] == '\0' || strlen(port_name) >= PORT_NAME_LEN)) {
		spa_log_warn(this->log, "%p: add_port: bad port.name", this);
		return -EINVAL;
	}
	return add_input_port(this, port_id, input, channel, port_name);
}

static void free_port_buffers(struct port *port)
{
	port->n_buffers = 0;
	spa_list_init(&port->queue);
}

static int remove_input_port(struct impl *this, struct port *port)
{
	uint32_t port_id = port->id;

	bool in_use = false;

	/* out of the data loop's sight first: from here on process() never
	 * reads it */
	port->removing = true;
	if (port->in_rt && publish(this, port) < 0)
		in_use = true;

	spa_log_debug(this->log, "%p: remove input port %u '%s'", this, port_id, port->name);
	/* the host tears its side down from this event (PipeWire unlinks and
	 * clears io and buffers): the port must still answer to that */
	spa_node_emit_port_info(&this->hooks, SPA_DIRECTION_INPUT, port_id, NULL);

	this->in_ports[port_id] = NULL;
	this->n_in_ports--;
	mixer_announce_node_props(this);	/* alto.inputs */
	if (in_use) {
		/* the data loop may still read it: keep the memory until clear() */
		port->next_zombie = this->zombies;
		this->zombies = port;
	} else {
		free(port);
	}
	return 0;
}

static int impl_node_remove_port(void *object, enum spa_direction direction, uint32_t port_id)
{
	struct impl *this = object;
	struct port *port;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	if (direction != SPA_DIRECTION_INPUT || !IN_PORT_VALID_ID(port_id)) {
		spa_log_warn(this->log, "%p: remove_port: no removable port %d:%u",
				this, direction, port_id);
		return -EINVAL;
	}
	if ((port = this->in_ports[port_id]) == NULL || port->removing) {
		spa_log_warn(this->log, "%p: remove_port: port %u does not exist "
				"(removed twice?)", this, port_id);
		return -ENOENT;
	}
	return remove_input_port(this, port);
}

int mixer_add_input(struct impl *this, const char *name, uint32_t *first_port_id)
{
	uint32_t base, c, id;
	int res;

	if (!input_name_valid(name)) {
		spa_log_warn(this->log, "%p: add input: bad name (1..%d printable chars, "
				"no space, ':', '\"' or '\\')", this, ALTO_MIXER_MAX_NAME);
		return -EINVAL;
	}
	for (id = 0; id < MAX_PORTS; id++) {
		if (this->in_ports[id] && spa_streq(this->in_ports[id]->input, name)) {
			spa_log_warn(this->log, "%p: add input: '%s' exists", this, name);
			return -EEXIST;
		}
	}
	/* a block of n_channels free ids starting at a multiple of n_channels,
	 * so that port id % n_channels is the channel, as for plain add_port */
	for (base = 0; base + this->n_channels <= MAX_PORTS; base += this->n_channels) {
		for (c = 0; c < this->n_channels; c++)
			if (this->in_ports[base + c] != NULL)
				break;
		if (c == this->n_channels)
			break;
	}
	if (base + this->n_channels > MAX_PORTS) {
		spa_log_warn(this->log, "%p: add input '%s': no free ports", this, name);
		return -ENOSPC;
	}
	for (c = 0; c < this->n_channels; c++) {
		if ((res = add_input_port(this, base + c, name, (int)c, NULL)) < 0) {
			while (c-- > 0)
				remove_input_port(this, this->in_ports[base + c]);
			return res;
		}
	}
	if (first_port_id)
		*first_port_id = base;
	spa_log_info(this->log, "%p: input '%s' added as ports %u..%u", this, name,
			base, base + this->n_channels - 1);
	return 0;
}

int mixer_remove_input(struct impl *this, const char *name)
{
	uint32_t id, n = 0;

	if (name == NULL || name[0] == '\0')
		return -EINVAL;
	for (id = 0; id < MAX_PORTS; id++) {
		struct port *p = this->in_ports[id];
		if (p != NULL && spa_streq(p->input, name)) {
			remove_input_port(this, p);
			n++;
		}
	}
	if (n == 0) {
		spa_log_warn(this->log, "%p: remove input: no input '%s'", this, name);
		return -ENOENT;
	}
	spa_log_info(this->log, "%p: input '%s' removed (%u ports)", this, name, n);
	return 0;
}

/* ---- node methods ---------------------------------------------------------- */

static int impl_node_add_listener(void *object, struct spa_hook *listener,
		const struct spa_node_events *events, void *data)
{
	struct impl *this = object;
	struct spa_hook_list save;
	uint32_t i;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	spa_hook_list_isolate(&this->hooks, &save, listener, events, data);

	mixer_emit_node_info(this, true);
	for (i = 0; i < this->n_channels; i++)
		mixer_emit_port_info(this, &this->out_ports[i], true);
	for (i = 0; i < MAX_PORTS; i++)
		if (this->in_ports[i] != NULL)
			mixer_emit_port_info(this, this->in_ports[i], true);

	spa_hook_list_join(&this->hooks, &save);
	return 0;
}

static int impl_node_set_callbacks(void *object, const struct spa_node_callbacks *callbacks,
		void *data)
{
	/* nothing to call back: output buffers come back through reuse_buffer
	 * or the io area, inputs are never held */
	return 0;
}

static int impl_node_set_io(void *object, uint32_t id, void *data, size_t size)
{
	struct impl *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	switch (id) {
	case SPA_IO_Position:
		if (data != NULL && size < sizeof(struct spa_io_position)) {
			spa_log_warn(this->log, "%p: position io too small (%zu)", this, size);
			return -EINVAL;
		}
		this->position = data;
		return mixer_publish(this);
	case SPA_IO_Clock:
		return 0;
	default:
		return -ENOENT;
	}
}

/* ---- metrics refresh ---------------------------------------------------- */

/* Thread: main. The daemon keeps a copy of a node's and a port's params after
 * the first enum and answers later reads (`pw-cli enum-params`) from that
 * copy until the object's info says the param changed: SPA_PARAM_INFO_SERIAL
 * toggled in its param info (pw_impl_port_for_each_param and the node's
 * equivalent, PipeWire 0.3.65). Metrics change without any call, so this
 * announces it. */
void mixer_announce_node_props(struct impl *this)
{
	this->info.change_mask |= SPA_NODE_CHANGE_MASK_PARAMS;
	this->params[NODE_PARAM_Props].flags ^= SPA_PARAM_INFO_SERIAL;
	mixer_emit_node_info(this, false);
}

void mixer_announce_port_props(struct impl *this, struct port *port)
{
	port->info.change_mask |= SPA_PORT_CHANGE_MASK_PARAMS;
	port->params[PORT_PARAM_Props].flags ^= SPA_PARAM_INFO_SERIAL;
	mixer_emit_port_info(this, port, false);
}

/* Thread: main (a timer of the main loop, every refresh_ms while the node is
 * started). The Props of every input whose metrics moved are announced
 * changed. The counters only grow, so their sum changes when any of them does.
 *
 * The node's own Props are not refreshed here (alto.cycles moves every cycle):
 * session managers watch a node's params and store its Props on each change.
 * WirePlumber 0.4's restore-stream restarts a 1 s save timer on every change
 * of any stream's params, so a node announcing each second kept it from saving
 * anybody's volume while alto ran. Ports are their own objects; nothing stores
 * those. */
static void on_metrics_timer(void *data, uint64_t expirations)
{
	struct impl *this = data;
	uint32_t i;

	for (i = 0; i < MAX_PORTS; i++) {
		struct port *port = this->in_ports[i];
		uint64_t counts;
		float peak;

		if (port == NULL || port->removing)
			continue;
		counts = load_u64(&port->metrics.frames_mixed) +
			load_u64(&port->metrics.underruns) +
			load_u64(&port->metrics.short_buffers);
		peak = load_float(&port->metrics.peak);
		if (counts == port->counts_announced && peak == port->peak_announced)
			continue;
		port->counts_announced = counts;
		port->peak_announced = peak;
		mixer_announce_port_props(this, port);
	}
}

/* Thread: main. Arms the refresh timer on Start, disarms it on Pause and
 * Suspend: a node that does not run has no new metrics. Without the main
 * loop's utils in the support list (or with alto.mixer.refresh-ms=0) there
 * is no timer; in-process readers use alto_mixer_get_port_metrics(), which
 * is always current. */
static void metrics_timer_arm(struct impl *this, bool enable)
{
	struct timespec value = { 0, 0 }, interval = { 0, 0 };

	if (this->loop_utils == NULL || this->refresh_ms == 0)
		return;
	if (this->metrics_timer == NULL) {
		if (!enable)
			return;
		this->metrics_timer = spa_loop_utils_add_timer(this->loop_utils,
				on_metrics_timer, this);
		if (this->metrics_timer == NULL) {
			spa_log_warn(this->log, "%p: no metrics timer: remote reads of "
					"metrics may be stale", this);
			return;
		}
	}
	if (enable) {
		value.tv_sec = interval.tv_sec = this->refresh_ms / 1000;
		value.tv_nsec = interval.tv_nsec = (long)(this->refresh_ms % 1000) * 1000000L;
	}
	spa_loop_utils_update_timer(this->loop_utils, this->metrics_timer,
			&value, &interval, false);
}

static int impl_node_send_command(void *object, const struct spa_command *command)
{
	struct impl *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(command != NULL, -EINVAL);

	switch (SPA_NODE_COMMAND_ID(command)) {
	case SPA_NODE_COMMAND_Start:
		this->started = true;
		metrics_timer_arm(this, true);
		return 0;
	case SPA_NODE_COMMAND_Pause:
	case SPA_NODE_COMMAND_Suspend:
		this->started = false;
		metrics_timer_arm(this, false);
		return 0;
	case SPA_NODE_COMMAND_Flush:
	case SPA_NODE_COMMAND_ParamBegin:
	case SPA_NODE_COMMAND_ParamEnd:
		return 0;
	default:
		return -ENOTSUP;
	}
}

/* The port or NULL with *res = -EINVAL (id out of range) or -ENOENT (no such
 * port now). Clearing something on a port that is gone is what a host does
 * while tearing down, so that is only logged at debug level. */
static struct port *check_port(struct impl *this, const char *what,
		enum spa_direction direction, uint32_t port_id, bool clearing, int *res)
{
	struct port *port = mixer_find_port(this, direction, port_id);
	bool in_range = (direction == SPA_DIRECTION_INPUT && port_id < MAX_PORTS) ||
		(direction == SPA_DIRECTION_OUTPUT && port_id < this->n_channels);

	if (port != NULL)
		return port;
	*res = in_range ? -ENOENT : -EINVAL;
	if (in_range && clearing)
		spa_log_debug(this->log, "%p: %s: no port %d:%u", this, what, direction, port_id);
	else
		spa_log_warn(this->log, "%p: %s: no port %d:%u%s", this, what, direction,
				port_id, in_range ? "" : " (id out of range)");
	return NULL;
}

static int impl_node_port_set_param(void *object, enum spa_direction direction, uint32_t port_id,
		uint32_t id, uint32_t flags, const struct spa_pod *param)
{
	struct impl *this = object;
	struct port *port;
	int res;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	if ((port = check_port(this, "port_set_param", direction, port_id, param == NULL, &res)) == NULL)
		return res;

	switch (id) {
	case SPA_PARAM_Format:
		if ((res = port_config_begin(this, port)) < 0)
			return res;
		res = mixer_port_set_format(this, port, param);
		if (!port->have_format)
			free_port_buffers(port);
		port_config_end(this, port);
		return res;
	case SPA_PARAM_Props:
		if (direction != SPA_DIRECTION_INPUT)
			return -ENOENT;
		return mixer_port_set_props(this, port, param);
	default:
		return -ENOENT;
	}
}

static int impl_node_port_use_buffers(void *object, enum spa_direction direction, uint32_t port_id,
		uint32_t flags, struct spa_buffer **buffers, uint32_t n_buffers)
{
	struct impl *this = object;
	struct port *port;
	uint32_t i;
	int res = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(n_buffers == 0 || buffers != NULL, -EINVAL);

	if ((port = check_port(this, "use_buffers", direction, port_id, n_buffers == 0, &res)) == NULL)
		return res;

	if (n_buffers > 0 && !port->have_format) {
		spa_log_warn(this->log, "%p: use_buffers on port %d:%u without format",
				this, direction, port_id);
		return -EIO;
	}
	if (n_buffers > MAX_BUFFERS) {
		spa_log_warn(this->log, "%p: use_buffers: %u buffers, at most %u",
				this, n_buffers, MAX_BUFFERS);
		return -ENOSPC;
	}
	/* check everything before touching the port: a refused set of buffers
	 * leaves the port as it was */
	for (i = 0; i < n_buffers; i++) {
		struct spa_buffer *b = buffers[i];
		struct spa_data *d = b ? b->datas : NULL;

		if (b == NULL || b->n_datas < 1 || d == NULL || d[0].data == NULL ||
		    d[0].chunk == NULL || d[0].maxsize < sizeof(float) ||
		    !SPA_IS_ALIGNED(d[0].data, sizeof(float))) {
			spa_log_error(this->log, "%p: port %d:%u buffer %u unusable "
					"(no memory, no chunk, smaller than a sample or "
					"not float aligned)", this, direction, port_id, i);
			return -EINVAL;
		}
	}

	if ((res = port_config_begin(this, port)) < 0)
		return res;
	free_port_buffers(port);
	for (i = 0; i < n_buffers; i++) {
		struct buffer *b = &port->buffers[i];
		b->id = i;
		b->flags = 0;
		b->buf = buffers[i];
		if (direction == SPA_DIRECTION_OUTPUT) {
			spa_list_append(&port->queue, &b->link);
			b->flags |= BUFFER_FLAG_QUEUED;
		}
	}
	port->n_buffers = n_buffers;
	spa_log_debug(this->log, "%p: port %d:%u uses %u buffers", this,
			direction, port_id, n_buffers);
	port_config_end(this, port);
	return res;
}

static int impl_node_port_set_io(void *object, enum spa_direction direction, uint32_t port_id,
		uint32_t id, void *data, size_t size)
{
	struct impl *this = object;
	struct port *port;
	int res;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	if ((port = check_port(this, "port_set_io", direction, port_id, data == NULL, &res)) == NULL)
		return res;

	switch (id) {
	case SPA_IO_Buffers:
		if (data != NULL && size < sizeof(struct spa_io_buffers)) {
			spa_log_warn(this->log, "%p: port %d:%u: io area too small (%zu)",
					this, direction, port_id, size);
			return -EINVAL;
		}
		if ((res = port_config_begin(this, port)) < 0)
			return res;
		port->io = data;
		port_config_end(this, port);
		return 0;
	default:
		return -ENOENT;
	}
}

static const struct spa_node_methods impl_node = {
	SPA_VERSION_NODE_METHODS,
	.add_listener = impl_node_add_listener,
	.set_callbacks = impl_node_set_callbacks,
	.enum_params = mixer_enum_params,
	.set_param = mixer_set_param,
	.set_io = impl_node_set_io,
	.send_command = impl_node_send_command,
	.add_port = impl_node_add_port,
	.remove_port = impl_node_remove_port,
	.port_enum_params = mixer_port_enum_params,
	.port_set_param = impl_node_port_set_param,
	.port_use_buffers = impl_node_port_use_buffers,
	.port_set_io = impl_node_port_set_io,
	.port_reuse_buffer = mixer_reuse_buffer,
	.process = mixer_process,
};

/* ---- typed control (alto-mixer.h) ------------------------------------------ */

static int control_get_port_metrics(void *object, uint32_t port_id,
		struct alto_mixer_port_metrics *m)
{
	struct impl *this = object;
	struct port *port;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(m != NULL, -EINVAL);

	if ((port = mixer_find_port(this, SPA_DIRECTION_INPUT, port_id)) == NULL)
		return -ENOENT;
	m->frames_mixed = load_u64(&port->metrics.frames_mixed);
	m->underruns = load_u64(&port->metrics.underruns);
	m->short_buffers = load_u64(&port->metrics.short_buffers);
	m->peak = load_float(&port->metrics.peak);
	m->volume = port->volume;
	m->mute = port->mute;
	return 0;
}

static int control_get_node_metrics(void *object, struct alto_mixer_node_metrics *m)
{
	struct impl *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(m != NULL, -EINVAL);

	m->cycles = load_u64(&this->cycles);
	m->n_inputs = this->n_in_ports;
	m->n_channels = this->n_channels;
	m->kernel = this->kernel->name;
	m->metering = __atomic_load_n(&this->metering, __ATOMIC_RELAXED);
	return 0;
}

static int control_add_input(void *object, const char *name, uint32_t *first_port_id)
{
	spa_return_val_if_fail(object != NULL, -EINVAL);
	return mixer_add_input(object, name, first_port_id);
}

static int control_remove_input(void *object, const char *name)
{
	spa_return_val_if_fail(object != NULL, -EINVAL);
	return mixer_remove_input(object, name);
}

static const struct alto_mixer_control_methods impl_control = {
	ALTO_VERSION_MIXER_CONTROL_METHODS,
	.get_port_metrics = control_get_port_metrics,
	.get_node_metrics = control_get_node_metrics,
	.add_input = control_add_input,
	.remove_input = control_remove_input,
};

/* ---- handle --------------------------------------------------------------- */

static int impl_get_interface(struct spa_handle *handle, const char *type, void **interface)
{
	struct impl *this = (struct impl *)handle;

	spa_return_val_if_fail(handle != NULL, -EINVAL);
	spa_return_val_if_fail(interface != NULL, -EINVAL);

	if (spa_streq(type, SPA_TYPE_INTERFACE_Node))
		*interface = &this->node;
	else if (spa_streq(type, ALTO_TYPE_INTERFACE_MixerControl))
		*interface = &this->control;
	else
		return -ENOENT;
	return 0;
}

static void free_state(struct impl *this)
{
	uint32_t i;

	for (i = 0; i < MAX_PORTS; i++) {
		free(this->in_ports[i]);
		this->in_ports[i] = NULL;
	}
	while (this->zombies != NULL) {
		struct port *next = this->zombies->next_zombie;
		free(this->zombies);
		this->zombies = next;
	}
	for (i = 0; i < MAX_NODE_PROPS; i++) {
		free(this->info_keys[i]);
		free(this->info_values[i]);
		this->info_keys[i] = this->info_values[i] = NULL;
	}
}

static int impl_clear(struct spa_handle *handle)
{
	struct impl *this = (struct impl *)handle;

	spa_return_val_if_fail(handle != NULL, -EINVAL);

	if (this->metrics_timer != NULL)
		spa_loop_utils_destroy_source(this->loop_utils, this->metrics_timer);
	this->metrics_timer = NULL;
	/* the host stopped calling process() before clear: no publish needed */
	free_state(this);
	return 0;
}

static size_t impl_get_size(const struct spa_handle_factory *factory, const struct spa_dict *params)
{
	return sizeof(struct impl);
}

/* Next string of a JSON array (or of a bare "a,b" list): 1 and the string in
 * buf, 0 at the end, -EINVAL for a container or a string too long for buf. */
static int json_next_string(struct spa_json *it, char *buf, int size)
{
	const char *value;
	int len;

	if ((len = spa_json_next(it, &value)) <= 0)
		return 0;
	if (spa_json_is_container(value, len) || spa_json_parse_stringn(value, len, buf, size) < 0)
		return -EINVAL;
	return 1;
}

static int set_channel_layout(struct impl *this, const char *position, const char *channels)
{
	struct spa_json it[2];
	char name[CHANNEL_NAME_LEN];
	uint32_t n = 0, c;
	int len;

	if (position != NULL) {
		spa_json_init(&it[0], position, strlen(position));
		if (spa_json_enter_array(&it[0], &it[1]) <= 0)
			spa_json_init(&it[1], position, strlen(position));
		while ((len = json_next_string(&it[1], name, sizeof(name))) > 0) {
			if (n == MAX_CHANNELS || name[0] == '\0' || find_channel(this, name) >= 0) {
				spa_log_error(this->log, "%p: audio.position '%s': at most %d "
						"distinct channels", this, position, MAX_CHANNELS);
				return -EINVAL;
			}
			memcpy(this->channel_names[n], name, sizeof(name));
			this->n_channels = ++n;
		}
		if (n == 0 || len < 0) {
			spa_log_error(this->log, "%p: audio.position '%s' unusable", this, position);
			return -EINVAL;
		}
		return 0;
	}
	if (channels != NULL) {
		if (!spa_atou32(channels, &n, 0) || n < 1 || n > MAX_CHANNELS) {
			spa_log_error(this->log, "%p: audio.channels '%s': 1..%d", this,
					channels, MAX_CHANNELS);
			return -EINVAL;
		}
	} else {
		n = 2;
	}
	for (c = 0; c < n; c++) {
		if (n == 1)
			snprintf(this->channel_names[c], CHANNEL_NAME_LEN, "MONO");
		else if (n == 2)
			snprintf(this->channel_names[c], CHANNEL_NAME_LEN, c == 0 ? "FL" : "FR");
		else
			snprintf(this->channel_names[c], CHANNEL_NAME_LEN, "AUX%u", c);
	}
	this->n_channels = n;
	return 0;
}

static int choose_kernel(struct impl *this, const char *want)
{
	uint32_t flags;

	if (this->cpu != NULL) {
		flags = spa_cpu_get_flags(this->cpu);
	} else {
#if defined(__x86_64__)
		flags = SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2;	/* the x86_64 baseline */
#else
		flags = 0;
#endif
		spa_log_info(this->log, "%p: no CPU interface, assuming baseline flags", this);
	}

	if (want == NULL || spa_streq(want, "auto")) {
		this->kernel = alto_mix_kernel_select(flags);
	} else {
		this->kernel = alto_mix_kernel_find(want);
		if (this->kernel == NULL || (this->kernel->cpu_flags & flags) != this->kernel->cpu_flags) {
			spa_log_error(this->log, "%p: %s '%s': not built or not supported "
					"by this CPU", this, ALTO_MIXER_KEY_KERNEL, want);
			return -ENOTSUP;
		}
	}
	spa_log_info(this->log, "%p: mixing kernel %s", this, this->kernel->name);
	return 0;
}

static int set_node_props(struct impl *this, const struct spa_dict *info)
{
	uint32_t i, n = 0;

	/* keep what the creator said about the node (node.name, media.class,
	 * node.description...) and report it back unchanged; the host's dict
	 * does not outlive init, so keep copies */
	for (i = 0; info != NULL && i < info->n_items && n < MAX_NODE_PROPS - 2; i++) {
		const char *k = info->items[i].key, *v = info->items[i].value;
		if (k == NULL || v == NULL)
			continue;
		if (!spa_strstartswith(k, "node.") && !spa_strstartswith(k, "media."))
			continue;
		if ((this->info_keys[n] = strdup(k)) == NULL ||
		    (this->info_values[n] = strdup(v)) == NULL)
			return -errno;
		this->info_items[n] = SPA_DICT_ITEM_INIT(this->info_keys[n], this->info_values[n]);
		n++;
	}
	snprintf(this->channels_str, sizeof(this->channels_str), "%u", this->n_channels);
	this->position_str[0] = '\0';
	for (i = 0; i < this->n_channels; i++) {
		size_t l = strlen(this->position_str);
		snprintf(this->position_str + l, sizeof(this->position_str) - l, "%s%s",
				i ? "," : "", this->channel_names[i]);
	}
	this->info_items[n++] = SPA_DICT_ITEM_INIT("audio.channels", this->channels_str);
	this->info_items[n++] = SPA_DICT_ITEM_INIT("audio.position", this->position_str);
	this->info_props = SPA_DICT_INIT(this->info_items, n);
	return 0;
}

static int create_initial_inputs(struct impl *this, const char *inputs)
{
	struct spa_json it[2];
	char name[ALTO_MIXER_MAX_NAME + 2];
	int res, len;

	spa_json_init(&it[0], inputs, strlen(inputs));
	if (spa_json_enter_array(&it[0], &it[1]) <= 0)
		spa_json_init(&it[1], inputs, strlen(inputs));
	while ((len = json_next_string(&it[1], name, sizeof(name))) > 0) {
		if ((res = mixer_add_input(this, name, NULL)) < 0)
			return res;
	}
	if (len < 0) {
		spa_log_error(this->log, "%p: %s: names of 1..%d characters", this,
				ALTO_MIXER_KEY_INPUTS, ALTO_MIXER_MAX_NAME);
		return -EINVAL;
	}
	return 0;
}

static int impl_init(const struct spa_handle_factory *factory, struct spa_handle *handle,
		const struct spa_dict *info, const struct spa_support *support, uint32_t n_support)
{
	struct impl *this;
	const char *str;
	uint32_t c;
	int res;

	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(handle != NULL, -EINVAL);

	handle->get_interface = impl_get_interface;
	handle->clear = impl_clear;

	this = (struct impl *)handle;

	this->log = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Log);
	spa_log_topic_init(this->log, log_topic);
	mixer_params_log_init(this->log);
	mixer_process_log_init(this->log);

	this->data_loop = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_DataLoop);
	if (this->data_loop == NULL)
		spa_log_warn(this->log, "%p: no data loop: port changes must not run "
				"concurrently with process()", this);
	this->cpu = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_CPU);
	this->loop_utils = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_LoopUtils);

	spa_hook_list_init(&this->hooks);
	this->node.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Node, SPA_VERSION_NODE,
			&impl_node, this);
	this->control.iface = SPA_INTERFACE_INIT(ALTO_TYPE_INTERFACE_MixerControl,
			ALTO_VERSION_MIXER_CONTROL, &impl_control, this);

	this->rate = 48000;
	if (info && (str = spa_dict_lookup(info, "audio.rate")) != NULL &&
	    (!spa_atou32(str, &this->rate, 0) || this->rate == 0 || this->rate > 768000)) {
		spa_log_error(this->log, "%p: audio.rate '%s' out of 1..768000", this, str);
		return -EINVAL;
	}
	this->quantum_limit = DEFAULT_QUANTUM_LIMIT;
	if (info && (str = spa_dict_lookup(info, "clock.quantum-limit")) != NULL)
		spa_atou32(str, &this->quantum_limit, 0);
	if (this->quantum_limit < 16 || this->quantum_limit > 65536) {
		spa_log_error(this->log, "%p: clock.quantum-limit %u out of 16..65536",
				this, this->quantum_limit);
		return -EINVAL;
	}

	if ((res = set_channel_layout(this,
			info ? spa_dict_lookup(info, "audio.position") : NULL,
			info ? spa_dict_lookup(info, "audio.channels") : NULL)) < 0)
		return res;
	if ((res = choose_kernel(this, info ? spa_dict_lookup(info, ALTO_MIXER_KEY_KERNEL) : NULL)) < 0)
		return res;
	if ((res = set_node_props(this, info)) < 0)
		goto error;
	this->metering = true;
	if (info && (str = spa_dict_lookup(info, ALTO_MIXER_KEY_METERING)) != NULL)
		this->metering = spa_atob(str);
	this->ramp_ms = DEFAULT_RAMP_MS;
	if (info && (str = spa_dict_lookup(info, ALTO_MIXER_KEY_RAMP_MS)) != NULL &&
	    (!spa_atou32(str, &this->ramp_ms, 10) || this->ramp_ms > MAX_RAMP_MS)) {
		spa_log_error(this->log, "%p: %s '%s' out of 0..%u", this,
				ALTO_MIXER_KEY_RAMP_MS, str, MAX_RAMP_MS);
		res = -EINVAL;
		goto error;
	}
	this->refresh_ms = DEFAULT_REFRESH_MS;
	if (info && (str = spa_dict_lookup(info, ALTO_MIXER_KEY_REFRESH_MS)) != NULL &&
	    (!spa_atou32(str, &this->refresh_ms, 10) || this->refresh_ms > MAX_REFRESH_MS ||
	     (this->refresh_ms > 0 && this->refresh_ms < MIN_REFRESH_MS))) {
		spa_log_error(this->log, "%p: %s '%s': 0 or %u..%u", this,
				ALTO_MIXER_KEY_REFRESH_MS, str, MIN_REFRESH_MS, MAX_REFRESH_MS);
		res = -EINVAL;
		goto error;
	}
	if (this->loop_utils == NULL && this->refresh_ms > 0)
		spa_log_info(this->log, "%p: no main loop utils: metrics are not "
				"announced (remote reads may be stale)", this);

	this->volume = 1.0f;
	for (c = 0; c < MAX_CHANNELS; c++)
		this->channel_volumes[c] = 1.0f;
	mixer_update_gains(this);

	this->info_all = SPA_NODE_CHANGE_MASK_FLAGS | SPA_NODE_CHANGE_MASK_PROPS |
		SPA_NODE_CHANGE_MASK_PARAMS;
	this->info = SPA_NODE_INFO_INIT();
	this->info.max_input_ports = MAX_PORTS;
	this->info.max_output_ports = this->n_channels;
	this->info.flags = SPA_NODE_FLAG_RT | SPA_NODE_FLAG_IN_DYNAMIC_PORTS;
	this->info.props = &this->info_props;
	/* the node's own formats describe the mix (F32P, the channels): what
	 * pipewire-pulse needs to list the node as a sink; the ports carry
	 * the real per-channel DSP formats */
	this->params[NODE_PARAM_EnumFormat] = SPA_PARAM_INFO(SPA_PARAM_EnumFormat, SPA_PARAM_INFO_READ);
	this->params[NODE_PARAM_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_READ);
	this->params[NODE_PARAM_Props] = SPA_PARAM_INFO(SPA_PARAM_Props, SPA_PARAM_INFO_READWRITE);
	this->info.params = this->params;
	this->info.n_params = N_NODE_PARAMS;

	for (c = 0; c < this->n_channels; c++) {
		struct port *port = &this->out_ports[c];
		port->direction = SPA_DIRECTION_OUTPUT;
		port->id = c;
		port->channel = c;
		snprintf(port->name, sizeof(port->name), "output_%s", this->channel_names[c]);
		spa_list_init(&port->queue);
		port->volume = 1.0f;
		port->gain = 1.0f;
		port_init_info(this, port);
	}

	this->rt_list = &this->lists[0];

	if (info && (str = spa_dict_lookup(info, ALTO_MIXER_KEY_INPUTS)) != NULL &&
	    (res = create_initial_inputs(this, str)) < 0)
		goto error;

	spa_log_info(this->log, "%p: alto.mixer with %u channels (%s), %u inputs",
			this, this->n_channels, this->position_str, this->n_in_ports);
	return 0;

error:
	/* a failed init is not followed by clear(): free what we took */
	free_state(this);
	return res;
}

static const struct spa_interface_info impl_interfaces[] = {
	{ SPA_TYPE_INTERFACE_Node, },
	{ ALTO_TYPE_INTERFACE_MixerControl, },
};

static int impl_enum_interface_info(const struct spa_handle_factory *factory,
		const struct spa_interface_info **info, uint32_t *index)
{
	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(info != NULL, -EINVAL);
	spa_return_val_if_fail(index != NULL, -EINVAL);

	if (*index >= SPA_N_ELEMENTS(impl_interfaces))
		return 0;
	*info = &impl_interfaces[(*index)++];
	return 1;
}

static const struct spa_dict_item factory_info_items[] = {
	{ SPA_KEY_FACTORY_AUTHOR, "alto" },
	{ SPA_KEY_FACTORY_DESCRIPTION, "Room mixer: dynamic mono float inputs with "
		"per-input volume, mute and metrics" },
	{ SPA_KEY_FACTORY_USAGE, "[ audio.position=<[ FL FR ]> ] [ alto.mixer.inputs=<[ names ]> ] "
		"[ alto.mixer.kernel=<auto|c|sse2|avx2> ] [ alto.mixer.metering=<true> ] "
		"[ alto.mixer.ramp-ms=<5> ] [ alto.mixer.refresh-ms=<1000> ]" },
};

static const struct spa_dict factory_info = SPA_DICT_INIT_ARRAY(factory_info_items);

const struct spa_handle_factory alto_mixer_factory = {
	SPA_VERSION_HANDLE_FACTORY,
	ALTO_MIXER_FACTORY_NAME,
	&factory_info,
	impl_get_size,
	impl_init,
	impl_enum_interface_info,
};
