/* The SPA host of the alto.mixer unit tests (see mixer-harness.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/builder.h>
#include <spa/pod/parser.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include "mixer-harness.h"

int h_failures;
const char *h_plugin_path;
const char *h_system_plugin_dir = "/usr/lib/x86_64-linux-gnu/spa-0.2";

void h_init_args(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s <path of libspa-alto.so> [spa plugin dir]\n", argv[0]);
		exit(2);
	}
	h_plugin_path = argv[1];
	if (argc > 2)
		h_system_plugin_dir = argv[2];
}

/* ---- support interfaces ---------------------------------------------------- */

static void log_logtv(void *object, enum spa_log_level level, const struct spa_log_topic *topic,
		const char *file, int line, const char *func, const char *fmt, va_list args)
{
	struct harness *h = object;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, args);
	if (level <= SPA_LOG_LEVEL_WARN)
		__atomic_add_fetch(&h->warnings, 1, __ATOMIC_RELAXED);
	if ((int)level <= h->log_level)
		fprintf(stderr, "  [plugin %s] %s: %s\n", level <= SPA_LOG_LEVEL_ERROR ? "E" :
				level == SPA_LOG_LEVEL_WARN ? "W" : "I",
				topic ? topic->topic : "-", msg);
}

static void log_logt(void *object, enum spa_log_level level, const struct spa_log_topic *topic,
		const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	log_logtv(object, level, topic, file, line, func, fmt, args);
	va_end(args);
}

static void log_logv(void *object, enum spa_log_level level, const char *file, int line,
		const char *func, const char *fmt, va_list args)
{
	log_logtv(object, level, NULL, file, line, func, fmt, args);
}

static void log_log(void *object, enum spa_log_level level, const char *file, int line,
		const char *func, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	log_logtv(object, level, NULL, file, line, func, fmt, args);
	va_end(args);
}

static void log_topic_init(void *object, struct spa_log_topic *topic)
{
}

static const struct spa_log_methods log_methods = {
	SPA_VERSION_LOG_METHODS,
	.log = log_log,
	.logv = log_logv,
	.logt = log_logt,
	.logtv = log_logtv,
	.topic_init = log_topic_init,
};

static uint32_t cpu_get_flags(void *object)
{
	struct harness *h = object;
	return h->cpu_flags;
}

static uint32_t cpu_get_count(void *object) { return 1; }
static uint32_t cpu_get_max_align(void *object) { return 32; }

static const struct spa_cpu_methods cpu_methods = {
	SPA_VERSION_CPU_METHODS,
	.get_flags = cpu_get_flags,
	.get_count = cpu_get_count,
	.get_max_align = cpu_get_max_align,
};

/* A data loop that is the calling thread: invoke runs the function at once,
 * as PipeWire's loop does when called from its own thread or before it runs. */
static int loop_invoke(void *object, spa_invoke_func_t func, uint32_t seq, const void *data,
		size_t size, bool block, void *user_data)
{
	struct harness *h = SPA_CONTAINER_OF(object, struct harness, inline_loop);

	/* what PipeWire's loop answers when its queue is full */
	if (h->loop_fails)
		return -EPIPE;
	return func ? func(object, false, seq, data, size, user_data) : 0;
}

static int loop_unsupported(void *object, struct spa_source *source)
{
	return -ENOTSUP;
}

static const struct spa_loop_methods inline_loop_methods = {
	SPA_VERSION_LOOP_METHODS,
	.add_source = loop_unsupported,
	.update_source = loop_unsupported,
	.remove_source = loop_unsupported,
	.invoke = loop_invoke,
};

/* ---- node events ----------------------------------------------------------- */

static void node_info(void *data, const struct spa_node_info *info)
{
	struct harness *h = data;
	uint32_t i;
	size_t l = 0;

	h->n_node_infos++;
	if (info->change_mask & SPA_NODE_CHANGE_MASK_PARAMS) {
		for (i = 0; i < info->n_params; i++) {
			if (info->params[i].id != SPA_PARAM_Props)
				continue;
			if (h->n_node_infos > 1 && info->params[i].flags != h->node_props_flags)
				h->node_props_changes++;
			h->node_props_flags = info->params[i].flags;
		}
	}
	if (!(info->change_mask & SPA_NODE_CHANGE_MASK_PROPS) || info->props == NULL)
		return;
	h->node_props[0] = '\0';
	for (i = 0; i < info->props->n_items; i++) {
		l = strlen(h->node_props);
		snprintf(h->node_props + l, sizeof(h->node_props) - l, "%s=%s;",
				info->props->items[i].key, info->props->items[i].value);
	}
}

static void port_info(void *data, enum spa_direction direction, uint32_t port_id,
		const struct spa_port_info *info)
{
	struct harness *h = data;
	struct h_port_info *pi;
	const char *s;

	if (direction != SPA_DIRECTION_INPUT || port_id >= ALTO_MIXER_MAX_PORTS)
		return;
	pi = &h->in_info[port_id];
	if (info == NULL) {
		memset(pi, 0, sizeof(*pi));
		return;
	}
	if ((info->change_mask & SPA_PORT_CHANGE_MASK_PARAMS)) {
		for (uint32_t i = 0; i < info->n_params; i++) {
			if (info->params[i].id != SPA_PARAM_Props)
				continue;
			if (pi->exists && info->params[i].flags != pi->props_flags)
				pi->props_changes++;
			pi->props_flags = info->params[i].flags;
		}
	}
	pi->exists = true;
	if ((info->change_mask & SPA_PORT_CHANGE_MASK_PROPS) && info->props) {
		if ((s = spa_dict_lookup(info->props, "port.name")))
			snprintf(pi->name, sizeof(pi->name), "%s", s);
		if ((s = spa_dict_lookup(info->props, "alto.input")))
			snprintf(pi->input, sizeof(pi->input), "%s", s);
		if ((s = spa_dict_lookup(info->props, "audio.channel")))
			snprintf(pi->channel, sizeof(pi->channel), "%s", s);
	}
}

static void node_result(void *data, int seq, int res, uint32_t type, const void *result)
{
	struct harness *h = data;
	const struct spa_result_node_params *r = result;

	if (type != SPA_RESULT_TYPE_NODE_PARAMS || r->param == NULL)
		return;
	if (SPA_POD_SIZE(r->param) > sizeof(h->param_buf))
		return;
	memcpy(h->param_buf, r->param, SPA_POD_SIZE(r->param));
	h->have_param = true;
}

static const struct spa_node_events node_events = {
	SPA_VERSION_NODE_EVENTS,
	.info = node_info,
	.port_info = port_info,
	.result = node_result,
};

/* ---- lifecycle -------------------------------------------------------------- */

int h_open(struct harness *h, uint32_t cpu_flags, struct spa_loop *loop, const char *const *props)
{
	return h_open_full(h, cpu_flags, loop, NULL, props);
}

int h_open_full(struct harness *h, uint32_t cpu_flags, struct spa_loop *loop,
		struct spa_loop_utils *utils, const char *const *props)
{
	spa_handle_factory_enum_func_t enum_func;
	struct spa_dict_item items[32];
	struct spa_support support[5];
	uint32_t n_items = 0, idx = 0, n_support = 0;
	const char *level;
	void *iface;
	int res;

	memset(h, 0, sizeof(*h));
	h->log_level = SPA_LOG_LEVEL_WARN;
	if ((level = getenv("ALTO_TEST_LOG")) != NULL)
		h->log_level = atoi(level);
	h->cpu_flags = cpu_flags;
	h->inputs = calloc(ALTO_MIXER_MAX_PORTS, sizeof(struct h_input));
	h->in_info = calloc(ALTO_MIXER_MAX_PORTS, sizeof(struct h_port_info));
	if (h->inputs == NULL || h->in_info == NULL)
		return -ENOMEM;

	h->log.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Log, SPA_VERSION_LOG, &log_methods, h);
	/* debug: the plugin's debug lines are formatted (and so checked by ASan) */
	h->log.level = SPA_LOG_LEVEL_DEBUG;
	h->cpu.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_CPU, SPA_VERSION_CPU, &cpu_methods, h);
	h->inline_loop.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Loop, SPA_VERSION_LOOP,
			&inline_loop_methods, &h->inline_loop);

	support[n_support++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_Log, &h->log);
	support[n_support++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_CPU, &h->cpu);
	support[n_support++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_DataLoop,
			loop ? loop : &h->inline_loop);
	if (utils != NULL)
		support[n_support++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_LoopUtils, utils);

	h->dl = dlopen(h_plugin_path, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", h_plugin_path, dlerror());
		return -ENOENT;
	}
	enum_func = (spa_handle_factory_enum_func_t)dlsym(h->dl, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
	if (enum_func == NULL)
		return -ENOENT;
	while ((res = enum_func(&h->factory, &idx)) > 0)
		if (spa_streq(h->factory->name, ALTO_MIXER_FACTORY_NAME))
			break;
	if (res <= 0)
		return -ENOENT;

	for (; props && props[0] && props[1] && n_items < SPA_N_ELEMENTS(items); props += 2)
		items[n_items++] = SPA_DICT_ITEM_INIT(props[0], props[1]);
	const struct spa_dict info = SPA_DICT_INIT(items, n_items);

	h->handle = calloc(1, spa_handle_factory_get_size(h->factory, &info));
	if (h->handle == NULL)
		return -ENOMEM;
	res = spa_handle_factory_init(h->factory, h->handle, &info, support, n_support);
	if (res < 0) {
		free(h->handle);
		h->handle = NULL;
		return res;
	}
	if ((res = spa_handle_get_interface(h->handle, SPA_TYPE_INTERFACE_Node, &iface)) < 0)
		return res;
	h->node = iface;
	if ((res = spa_handle_get_interface(h->handle, ALTO_TYPE_INTERFACE_MixerControl, &iface)) < 0)
		return res;
	h->control = iface;
	spa_node_add_listener(h->node, &h->listener, &node_events, h);
	return 0;
}

void h_close(struct harness *h)
{
	uint32_t i;

	if (h->handle) {
		spa_hook_remove(&h->listener);
		spa_handle_clear(h->handle);
		free(h->handle);
	}
	if (h->dl)
		dlclose(h->dl);
	for (i = 0; h->inputs && i < ALTO_MIXER_MAX_PORTS; i++)
		free(h->inputs[i].mem);
	for (i = 0; i < H_MAX_CHANNELS; i++) {
		free(h->outputs[i].mem[0]);
		free(h->outputs[i].mem[1]);
	}
	free(h->inputs);
	free(h->in_info);
	memset(h, 0, sizeof(*h));
}

void h_set_quantum(struct harness *h, uint32_t frames)
{
	if (frames == 0) {
		spa_node_set_io(h->node, SPA_IO_Position, NULL, 0);
		return;
	}
	h->position.clock.duration = frames;
	h->position.clock.rate = SPA_FRACTION(1, 48000);
	spa_node_set_io(h->node, SPA_IO_Position, &h->position, sizeof(h->position));
}

static struct spa_pod *dsp_format(uint8_t *buf, size_t size)
{
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, size);
	return spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_Format, SPA_PARAM_Format,
			SPA_FORMAT_mediaType,    SPA_POD_Id(SPA_MEDIA_TYPE_audio),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_dsp),
			SPA_FORMAT_AUDIO_format, SPA_POD_Id(SPA_AUDIO_FORMAT_DSP_F32));
}

int h_connect_output(struct harness *h, uint32_t channel)
{
	struct h_output *o = &h->outputs[channel];
	uint8_t buf[256] SPA_ALIGNED(8);
	int res, i;

	if ((res = spa_node_port_set_param(h->node, SPA_DIRECTION_OUTPUT, channel,
			SPA_PARAM_Format, 0, dsp_format(buf, sizeof(buf)))) < 0)
		return res;
	for (i = 0; i < 2; i++) {
		if (o->mem[i] == NULL)
			o->mem[i] = calloc(H_QUANTUM_LIMIT, sizeof(float));
		o->data[i] = (struct spa_data) {
			.type = SPA_DATA_MemPtr, .data = o->mem[i],
			.maxsize = H_QUANTUM_LIMIT * sizeof(float), .chunk = &o->chunk[i] };
		o->buffer[i] = (struct spa_buffer) { .n_datas = 1, .datas = &o->data[i] };
		o->buffers[i] = &o->buffer[i];
	}
	if ((res = spa_node_port_use_buffers(h->node, SPA_DIRECTION_OUTPUT, channel, 0,
			o->buffers, 2)) < 0)
		return res;
	o->io = SPA_IO_BUFFERS_INIT;
	return spa_node_port_set_io(h->node, SPA_DIRECTION_OUTPUT, channel, SPA_IO_Buffers,
			&o->io, sizeof(o->io));
}

int h_connect_input(struct harness *h, uint32_t port_id, uint32_t maxsize)
{
	struct h_input *in = &h->inputs[port_id];
	uint8_t buf[256] SPA_ALIGNED(8);
	int res;

	if (maxsize == 0)
		maxsize = H_QUANTUM_LIMIT * sizeof(float);
	if ((res = spa_node_port_set_param(h->node, SPA_DIRECTION_INPUT, port_id,
			SPA_PARAM_Format, 0, dsp_format(buf, sizeof(buf)))) < 0)
		return res;
	if (in->mem == NULL || in->maxsize < maxsize) {
		free(in->mem);
		in->mem = calloc(1, maxsize);
		in->maxsize = maxsize;
	}
	in->chunk = (struct spa_chunk) { 0 };
	in->data = (struct spa_data) { .type = SPA_DATA_MemPtr, .data = in->mem,
		.maxsize = maxsize, .chunk = &in->chunk };
	in->buffer = (struct spa_buffer) { .n_datas = 1, .datas = &in->data };
	in->buffers[0] = &in->buffer;
	if ((res = spa_node_port_use_buffers(h->node, SPA_DIRECTION_INPUT, port_id, 0,
			in->buffers, 1)) < 0)
		return res;
	in->io = (struct spa_io_buffers) { SPA_STATUS_NEED_DATA, SPA_ID_INVALID };
	return spa_node_port_set_io(h->node, SPA_DIRECTION_INPUT, port_id, SPA_IO_Buffers,
			&in->io, sizeof(in->io));
}

int h_disconnect_input(struct harness *h, uint32_t port_id)
{
	int r1, r2;

	r1 = spa_node_port_set_io(h->node, SPA_DIRECTION_INPUT, port_id, SPA_IO_Buffers, NULL, 0);
	r2 = spa_node_port_use_buffers(h->node, SPA_DIRECTION_INPUT, port_id, 0, NULL, 0);
	return r1 < 0 ? r1 : r2;
}

void h_feed(struct harness *h, uint32_t port_id, const float *samples, uint32_t n)
{
	struct h_input *in = &h->inputs[port_id];

	memcpy(in->mem, samples, n * sizeof(float));
	in->chunk.offset = 0;
	in->chunk.size = n * sizeof(float);
	in->chunk.stride = sizeof(float);
	in->chunk.flags = 0;
	in->io.buffer_id = 0;
	in->io.status = SPA_STATUS_HAVE_DATA;
}

void h_feed_const(struct harness *h, uint32_t port_id, float value, uint32_t n)
{
	struct h_input *in = &h->inputs[port_id];
	uint32_t i;

	for (i = 0; i < n; i++)
		in->mem[i] = value;
	in->chunk = (struct spa_chunk) { .size = n * sizeof(float), .stride = sizeof(float) };
	in->io.buffer_id = 0;
	in->io.status = SPA_STATUS_HAVE_DATA;
}

void h_starve(struct harness *h, uint32_t port_id)
{
	h->inputs[port_id].io.status = SPA_STATUS_NEED_DATA;
}

int h_process(struct harness *h)
{
	return spa_node_process(h->node);
}

const float *h_take_output(struct harness *h, uint32_t channel, uint32_t *n, bool *empty)
{
	struct h_output *o = &h->outputs[channel];
	struct spa_data *d;

	if (o->io.status != SPA_STATUS_HAVE_DATA || o->io.buffer_id >= 2)
		return NULL;
	d = &o->data[o->io.buffer_id];
	*n = d->chunk->size / sizeof(float);
	if (empty)
		*empty = SPA_FLAG_IS_SET(d->chunk->flags, SPA_CHUNK_FLAG_EMPTY);
	/* consumed: the next cycle recycles this buffer and fills another */
	o->io.status = SPA_STATUS_NEED_DATA;
	return d->data;
}

int h_add_port(struct harness *h, uint32_t port_id, const char *input, const char *channel)
{
	struct spa_dict_item items[2];
	uint32_t n = 0;

	if (input)
		items[n++] = SPA_DICT_ITEM_INIT("alto.input", input);
	if (channel)
		items[n++] = SPA_DICT_ITEM_INIT("audio.channel", channel);
	const struct spa_dict props = SPA_DICT_INIT(items, n);
	return spa_node_add_port(h->node, SPA_DIRECTION_INPUT, port_id, n ? &props : NULL);
}

int h_set_port_volume(struct harness *h, uint32_t port_id, float volume, int mute)
{
	uint8_t buf[256] SPA_ALIGNED(8);
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	struct spa_pod_frame f;

	spa_pod_builder_push_object(&b, &f, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props);
	if (volume != H_KEEP_VOLUME)
		spa_pod_builder_add(&b, SPA_PROP_volume, SPA_POD_Float(volume), 0);
	if (mute >= 0)
		spa_pod_builder_add(&b, SPA_PROP_mute, SPA_POD_Bool(mute != 0), 0);
	struct spa_pod *param = spa_pod_builder_pop(&b, &f);
	return spa_node_port_set_param(h->node, SPA_DIRECTION_INPUT, port_id,
			SPA_PARAM_Props, 0, param);
}

static int parse_params_metrics(const struct spa_pod *params, struct alto_mixer_port_metrics *m)
{
	struct spa_pod_parser prs;
	struct spa_pod_frame f;
	const char *key;
	struct spa_pod *value;

	spa_pod_parser_pod(&prs, params);
	if (spa_pod_parser_push_struct(&prs, &f) < 0)
		return -EINVAL;
	while (spa_pod_parser_get_string(&prs, &key) == 0 &&
	       spa_pod_parser_get_pod(&prs, &value) == 0) {
		int64_t l;
		float fl;
		if (spa_streq(key, ALTO_MIXER_METRIC_FRAMES) && spa_pod_get_long(value, &l) == 0)
			m->frames_mixed = l;
		else if (spa_streq(key, ALTO_MIXER_METRIC_UNDERRUNS) && spa_pod_get_long(value, &l) == 0)
			m->underruns = l;
		else if (spa_streq(key, ALTO_MIXER_METRIC_SHORT) && spa_pod_get_long(value, &l) == 0)
			m->short_buffers = l;
		else if (spa_streq(key, ALTO_MIXER_METRIC_PEAK) && spa_pod_get_float(value, &fl) == 0)
			m->peak = fl;
	}
	return 0;
}

int h_get_port_props(struct harness *h, uint32_t port_id, float *volume, bool *mute,
		struct alto_mixer_port_metrics *metrics)
{
	struct spa_pod *params = NULL;
	int res;

	h->have_param = false;
	res = spa_node_port_enum_params(h->node, 0, SPA_DIRECTION_INPUT, port_id,
			SPA_PARAM_Props, 0, 1, NULL);
	if (res < 0)
		return res;
	if (!h->have_param)
		return -ENOENT;
	memset(metrics, 0, sizeof(*metrics));
	if (spa_pod_parse_object((struct spa_pod *)h->param_buf,
			SPA_TYPE_OBJECT_Props, NULL,
			SPA_PROP_volume, SPA_POD_Float(volume),
			SPA_PROP_mute,   SPA_POD_Bool(mute),
			SPA_PROP_params, SPA_POD_Pod(&params)) < 0)
		return -EINVAL;
	return parse_params_metrics(params, metrics);
}

int h_set_node_props(struct harness *h, const struct spa_pod *props)
{
	return spa_node_set_param(h->node, SPA_PARAM_Props, 0, props);
}

int h_get_node_props(struct harness *h, float *volume, bool *mute, float *channel_volumes,
		uint32_t *n_channel_volumes)
{
	struct spa_pod *vols = NULL;
	int res;

	h->have_param = false;
	res = spa_node_enum_params(h->node, 0, SPA_PARAM_Props, 0, 1, NULL);
	if (res < 0)
		return res;
	if (!h->have_param)
		return -ENOENT;
	if (spa_pod_parse_object((struct spa_pod *)h->param_buf,
			SPA_TYPE_OBJECT_Props, NULL,
			SPA_PROP_volume, SPA_POD_Float(volume),
			SPA_PROP_mute,   SPA_POD_Bool(mute),
			SPA_PROP_channelVolumes, SPA_POD_Pod(&vols)) < 0)
		return -EINVAL;
	*n_channel_volumes = spa_pod_copy_array(vols, SPA_TYPE_Float, channel_volumes,
			*n_channel_volumes);
	return 0;
}

int h_set_params(struct harness *h, const char *const *pairs)
{
	uint8_t buf[4096] SPA_ALIGNED(8);
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	struct spa_pod_frame f[2];

	spa_pod_builder_push_object(&b, &f[0], SPA_TYPE_OBJECT_Props, SPA_PARAM_Props);
	spa_pod_builder_prop(&b, SPA_PROP_params, 0);
	spa_pod_builder_push_struct(&b, &f[1]);
	for (; pairs[0] && pairs[1]; pairs += 2) {
		const char *v = pairs[1];
		spa_pod_builder_string(&b, pairs[0]);
		if (v[0] == 's' && v[1] == ':')
			spa_pod_builder_string(&b, v + 2);
		else if (v[0] == 'f' && v[1] == ':')
			spa_pod_builder_float(&b, strtof(v + 2, NULL));
		else if (v[0] == 'i' && v[1] == ':')
			spa_pod_builder_int(&b, atoi(v + 2));
		else if (v[0] == 'b' && v[1] == ':')
			spa_pod_builder_bool(&b, atoi(v + 2) != 0);
		else
			spa_pod_builder_none(&b);
	}
	spa_pod_builder_pop(&b, &f[1]);
	struct spa_pod *param = spa_pod_builder_pop(&b, &f[0]);
	return spa_node_set_param(h->node, SPA_PARAM_Props, 0, param);
}

int h_finish(const char *name)
{
	if (h_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, h_failures);
		return 1;
	}
	fprintf(stderr, "%s: all checks passed\n", name);
	return 0;
}

/* ---- PipeWire's loop --------------------------------------------------------- */

static struct spa_handle *load_support(struct h_real_loop *l, const char *factory_name,
		const struct spa_support *support, uint32_t n_support)
{
	char path[1024];
	spa_handle_factory_enum_func_t enum_func;
	const struct spa_handle_factory *f;
	struct spa_handle *handle;
	uint32_t idx = 0;

	snprintf(path, sizeof(path), "%s/support/libspa-support.so", h_system_plugin_dir);
	if (l->dl == NULL && (l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	enum_func = (spa_handle_factory_enum_func_t)dlsym(l->dl, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
	while (enum_func && enum_func(&f, &idx) > 0) {
		if (!spa_streq(f->name, factory_name))
			continue;
		if ((handle = calloc(1, spa_handle_factory_get_size(f, NULL))) == NULL)
			return NULL;
		if (spa_handle_factory_init(f, handle, NULL, support, n_support) < 0) {
			free(handle);
			return NULL;
		}
		return handle;
	}
	fprintf(stderr, "no %s in %s\n", factory_name, path);
	return NULL;
}

int h_real_loop_open(struct h_real_loop *l)
{
	struct spa_support support[1];
	void *iface;

	memset(l, 0, sizeof(*l));
	if ((l->system_handle = load_support(l, SPA_NAME_SUPPORT_SYSTEM, NULL, 0)) == NULL)
		goto error;
	spa_handle_get_interface(l->system_handle, SPA_TYPE_INTERFACE_System, &iface);
	support[0] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_System, iface);
	if ((l->loop_handle = load_support(l, SPA_NAME_SUPPORT_LOOP, support, 1)) == NULL)
		goto error;
	spa_handle_get_interface(l->loop_handle, SPA_TYPE_INTERFACE_Loop, &iface);
	l->loop = iface;
	spa_handle_get_interface(l->loop_handle, SPA_TYPE_INTERFACE_LoopControl, &iface);
	l->control = iface;
	spa_handle_get_interface(l->loop_handle, SPA_TYPE_INTERFACE_LoopUtils, &iface);
	l->utils = iface;
	return 0;
error:
	h_real_loop_close(l);
	return -ENOENT;
}

void h_real_loop_close(struct h_real_loop *l)
{
	if (l->loop_handle) {
		spa_handle_clear(l->loop_handle);
		free(l->loop_handle);
	}
	if (l->system_handle) {
		spa_handle_clear(l->system_handle);
		free(l->system_handle);
	}
	if (l->dl)
		dlclose(l->dl);
	memset(l, 0, sizeof(*l));
}
