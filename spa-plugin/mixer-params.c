/* alto.mixer params: the pods a host reads and writes.
 *
 * Node:  EnumFormat, Format: audio/raw F32P, audio.rate, the channels and
 *        their positions: a description of the mix for clients such as
 *        pipewire-pulse (which lists an Audio/Sink only with one);
 *        set Format / PortConfig {mode dsp}: accepted as no-ops when they
 *        describe the mix as it is (WirePlumber configures every Audio/...
 *        node like an adapter), -ENOTSUP/-EINVAL with a debug line otherwise;
 *        Props { volume, mute, channelVolumes, channelMap,
 *                params = [ "alto.kernel" s "alto.metering" b "alto.inputs" i
 *                           "alto.cycles" l ] }
 *        set: volume, mute, channelVolumes, and in params the control keys
 *        alto.add-input, alto.remove-input, alto.input.<name>.{volume,mute},
 *        alto.port.<id>.{volume,mute}, alto.metering (alto-mixer.h).
 * Port:  EnumFormat/Format audio/dsp F32 (audio/raw F32 mono is accepted too),
 *        Buffers, Meta (Header), IO (Buffers);
 *        inputs also Props { volume, mute, params = [ "alto.input" s
 *        "alto.frames-mixed" l "alto.underruns" l "alto.short-buffers" l "alto.peak" f ] }.
 *
 * Threads: main thread only. Metrics are read with relaxed atomics while the
 * data loop keeps writing them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/debug/types.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/audio/type-info.h>
#include <spa/param/port-config.h>
#include <spa/pod/filter.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include "mixer.h"

#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT log_topic
static struct spa_log_topic *log_topic = &SPA_LOG_TOPIC(0, "alto.mixer.params");

#define MAX_VOLUME	10.0f

void mixer_params_log_init(struct spa_log *log)
{
	spa_log_topic_init(log, log_topic);
}

/* ---- reading numbers from pods whatever their type ------------------------ */

/* pw-cli turns 1 into an Int and 0.5 into a Float, other hosts send Double */
static int pod_get_number(const struct spa_pod *pod, float *value)
{
	int32_t i;
	int64_t l;
	double d;

	if (spa_pod_get_float(pod, value) == 0)
		return 0;
	if (spa_pod_get_double(pod, &d) == 0) {
		*value = (float)d;
		return 0;
	}
	if (spa_pod_get_int(pod, &i) == 0) {
		*value = (float)i;
		return 0;
	}
	if (spa_pod_get_long(pod, &l) == 0) {
		*value = (float)l;
		return 0;
	}
	return -EINVAL;
}

static int pod_get_boolean(const struct spa_pod *pod, bool *value)
{
	int32_t i;

	if (spa_pod_get_bool(pod, value) == 0)
		return 0;
	if (spa_pod_get_int(pod, &i) == 0) {
		*value = i != 0;
		return 0;
	}
	return -EINVAL;
}

static bool volume_valid(float v)
{
	return v >= 0.0f && v <= MAX_VOLUME;	/* false for NaN too */
}

/* ---- formats -------------------------------------------------------------- */

static struct spa_pod *build_dsp_format(struct spa_pod_builder *b, uint32_t id)
{
	return spa_pod_builder_add_object(b,
			SPA_TYPE_OBJECT_Format, id,
			SPA_FORMAT_mediaType,    SPA_POD_Id(SPA_MEDIA_TYPE_audio),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_dsp),
			SPA_FORMAT_AUDIO_format, SPA_POD_Id(SPA_AUDIO_FORMAT_DSP_F32));
}

int mixer_port_set_format(struct impl *this, struct port *port, const struct spa_pod *format)
{
	uint32_t media_type, media_subtype;
	int res;

	if (format == NULL) {
		port->have_format = false;
	} else {
		if ((res = spa_format_parse(format, &media_type, &media_subtype)) < 0) {
			spa_log_warn(this->log, "%p: port %d:%u: format unreadable: %s", this,
					port->direction, port->id, spa_strerror(res));
			return -EINVAL;
		}
		if (media_type != SPA_MEDIA_TYPE_audio) {
			spa_log_warn(this->log, "%p: port %d:%u: not audio", this,
					port->direction, port->id);
			return -ENOTSUP;
		}
		if (media_subtype == SPA_MEDIA_SUBTYPE_dsp) {
			struct spa_audio_info_dsp info = { 0 };
			if (spa_format_audio_dsp_parse(format, &info) < 0 ||
			    info.format != SPA_AUDIO_FORMAT_DSP_F32) {
				spa_log_warn(this->log, "%p: port %d:%u: only DSP F32 audio",
						this, port->direction, port->id);
				return -ENOTSUP;
			}
		} else if (media_subtype == SPA_MEDIA_SUBTYPE_raw) {
			/* one float channel is the same memory as DSP F32 */
			struct spa_audio_info_raw info = { 0 };
			if (spa_format_audio_raw_parse(format, &info) < 0 ||
			    (info.format != SPA_AUDIO_FORMAT_F32 && info.format != SPA_AUDIO_FORMAT_F32P) ||
			    info.channels != 1) {
				spa_log_warn(this->log, "%p: port %d:%u: raw audio must be F32 "
						"with 1 channel (one port per channel)",
						this, port->direction, port->id);
				return -ENOTSUP;
			}
		} else {
			spa_log_warn(this->log, "%p: port %d:%u: only audio/dsp F32", this,
					port->direction, port->id);
			return -ENOTSUP;
		}
		port->have_format = true;
	}

	port->info.change_mask |= SPA_PORT_CHANGE_MASK_PARAMS;
	if (port->have_format) {
		port->params[PORT_PARAM_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_READWRITE);
		port->params[PORT_PARAM_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, SPA_PARAM_INFO_READ);
	} else {
		port->params[PORT_PARAM_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_WRITE);
		port->params[PORT_PARAM_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, 0);
	}
	mixer_emit_port_info(this, port, false);
	spa_log_debug(this->log, "%p: port %d:%u format %s", this, port->direction,
			port->id, port->have_format ? "set" : "cleared");
	return 0;
}

/* ---- port params ---------------------------------------------------------- */

static struct spa_pod *build_port_props(struct impl *this, struct port *port,
		struct spa_pod_builder *b, uint32_t id)
{
	struct spa_pod_frame f[2];

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Props, id);
	spa_pod_builder_add(b,
			SPA_PROP_volume, SPA_POD_Float(port->volume),
			SPA_PROP_mute,   SPA_POD_Bool(port->mute),
			0);
	spa_pod_builder_prop(b, SPA_PROP_params, 0);
	spa_pod_builder_push_struct(b, &f[1]);
	spa_pod_builder_string(b, ALTO_MIXER_PORT_KEY_INPUT);
	spa_pod_builder_string(b, port->input);
	spa_pod_builder_string(b, ALTO_MIXER_METRIC_FRAMES);
	spa_pod_builder_long(b, (int64_t)load_u64(&port->metrics.frames_mixed));
	spa_pod_builder_string(b, ALTO_MIXER_METRIC_UNDERRUNS);
	spa_pod_builder_long(b, (int64_t)load_u64(&port->metrics.underruns));
	spa_pod_builder_string(b, ALTO_MIXER_METRIC_SHORT);
	spa_pod_builder_long(b, (int64_t)load_u64(&port->metrics.short_buffers));
	spa_pod_builder_string(b, ALTO_MIXER_METRIC_PEAK);
	spa_pod_builder_float(b, load_float(&port->metrics.peak));
	spa_pod_builder_pop(b, &f[1]);
	return spa_pod_builder_pop(b, &f[0]);
}

int mixer_port_enum_params(void *object, int seq, enum spa_direction direction, uint32_t port_id,
		uint32_t id, uint32_t start, uint32_t num, const struct spa_pod *filter)
{
	struct impl *this = object;
	struct port *port;
	struct spa_pod *param;
	struct spa_pod_builder b = { 0 };
	uint8_t buffer[1024] SPA_ALIGNED(8);
	struct spa_result_node_params result;
	uint32_t count = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(num != 0, -EINVAL);

	if ((port = mixer_find_port(this, direction, port_id)) == NULL) {
		spa_log_warn(this->log, "%p: port_enum_params: no port %d:%u", this,
				direction, port_id);
		return direction == SPA_DIRECTION_INPUT && port_id < MAX_PORTS ? -ENOENT : -EINVAL;
	}

	result.id = id;
	result.next = start;
next:
	result.index = result.next++;
	spa_pod_builder_init(&b, buffer, sizeof(buffer));

	switch (id) {
	case SPA_PARAM_EnumFormat:
		if (result.index > 0)
			return 0;
		param = build_dsp_format(&b, id);
		break;
	case SPA_PARAM_Format:
		if (!port->have_format)
			return -EIO;
		if (result.index > 0)
			return 0;
		param = build_dsp_format(&b, id);
		break;
	case SPA_PARAM_Buffers:
		if (!port->have_format)
			return -EIO;
		if (result.index > 0)
			return 0;
		param = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamBuffers, id,
			SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(2, 1, MAX_BUFFERS),
			SPA_PARAM_BUFFERS_blocks,  SPA_POD_Int(1),
			SPA_PARAM_BUFFERS_size,    SPA_POD_CHOICE_RANGE_Int(
				this->quantum_limit * sizeof(float), 16 * sizeof(float), INT32_MAX),
			SPA_PARAM_BUFFERS_stride,  SPA_POD_Int(sizeof(float)));
		break;
	case SPA_PARAM_Meta:
		if (result.index > 0)
			return 0;
		param = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamMeta, id,
			SPA_PARAM_META_type, SPA_POD_Id(SPA_META_Header),
			SPA_PARAM_META_size, SPA_POD_Int(sizeof(struct spa_meta_header)));
		break;
	case SPA_PARAM_IO:
		if (result.index > 0)
			return 0;
		param = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamIO, id,
			SPA_PARAM_IO_id,   SPA_POD_Id(SPA_IO_Buffers),
			SPA_PARAM_IO_size, SPA_POD_Int(sizeof(struct spa_io_buffers)));
		break;
	case SPA_PARAM_Props:
		if (direction != SPA_DIRECTION_INPUT)
			return -ENOENT;
		if (result.index > 0)
			return 0;
		param = build_port_props(this, port, &b, id);
		break;
	default:
		return -ENOENT;
	}

	if (param == NULL || spa_pod_filter(&b, &result.param, param, filter) < 0)
		goto next;

	spa_node_emit_result(&this->hooks, seq, 0, SPA_RESULT_TYPE_NODE_PARAMS, &result);

	if (++count != num)
		goto next;
	return 0;
}

int mixer_port_set_props(struct impl *this, struct port *port, const struct spa_pod *param)
{
	struct spa_pod_prop *prop;
	struct spa_pod_object *obj;
	float volume = 0.0f;
	bool mute = false, have_volume = false, have_mute = false;

	if (param == NULL) {
		/* reset to defaults, as PipeWire's own nodes do for NULL Props */
		volume = 1.0f;
		mute = false;
		return mixer_set_port_volume(this, port, &volume, &mute);
	}
	if (!spa_pod_is_object_type(param, SPA_TYPE_OBJECT_Props)) {
		spa_log_warn(this->log, "%p: port %u: Props is not a Props object", this, port->id);
		return -EINVAL;
	}
	obj = (struct spa_pod_object *)param;
	SPA_POD_OBJECT_FOREACH(obj, prop) {
		switch (prop->key) {
		case SPA_PROP_volume:
			if (pod_get_number(&prop->value, &volume) < 0 || !volume_valid(volume))
				goto bad_value;
			have_volume = true;
			break;
		case SPA_PROP_mute:
			if (pod_get_boolean(&prop->value, &mute) < 0)
				goto bad_value;
			have_mute = true;
			break;
		case SPA_PROP_channelVolumes:
		{
			/* a port is one channel: what a client that thinks in
			 * channel volumes sends is one value */
			float v[2];
			if (spa_pod_copy_array(&prop->value, SPA_TYPE_Float, v, 2) != 1 ||
			    !volume_valid(v[0]))
				goto bad_value;
			volume = v[0];
			have_volume = true;
			break;
		}
		default:
			/* metrics and anything else are read-only: ignored */
			break;
		}
	}
	return mixer_set_port_volume(this, port, have_volume ? &volume : NULL,
			have_mute ? &mute : NULL);

bad_value:
	spa_log_warn(this->log, "%p: port %u: Props: volume must be a number in [0, %g] "
			"(channelVolumes: one such Float), mute a boolean", this, port->id, MAX_VOLUME);
	return -EINVAL;
}

/* ---- node params ---------------------------------------------------------- */

/* SPA channel ids of the channel names; false if one has no id (custom names) */
static bool channel_map(struct impl *this, uint32_t *map)
{
	uint32_t c;

	for (c = 0; c < this->n_channels; c++) {
		const struct spa_type_info *ti = spa_debug_type_find_short(spa_type_audio_channel,
				this->channel_names[c]);
		if (ti == NULL)
			return false;
		map[c] = ti->type;
	}
	return true;
}

static struct spa_pod *build_node_format(struct impl *this, struct spa_pod_builder *b, uint32_t id)
{
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32P,
		.rate = this->rate,
		.channels = this->n_channels,
	};
	if (!channel_map(this, info.position))
		info.flags |= SPA_AUDIO_FLAG_UNPOSITIONED;
	return spa_format_audio_raw_build(b, id, &info);
}

static struct spa_pod *build_node_props(struct impl *this, struct spa_pod_builder *b, uint32_t id)
{
	struct spa_pod_frame f[2];
	uint32_t map[MAX_CHANNELS];
	bool mapped = channel_map(this, map);

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Props, id);
	spa_pod_builder_add(b,
			SPA_PROP_volume, SPA_POD_Float(this->volume),
			SPA_PROP_mute,   SPA_POD_Bool(this->mute),
			SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
					this->n_channels, this->channel_volumes),
			0);
	if (mapped)
		spa_pod_builder_add(b,
			SPA_PROP_channelMap, SPA_POD_Array(sizeof(uint32_t), SPA_TYPE_Id,
					this->n_channels, map),
			0);
	spa_pod_builder_prop(b, SPA_PROP_params, 0);
	spa_pod_builder_push_struct(b, &f[1]);
	spa_pod_builder_string(b, "alto.kernel");
	spa_pod_builder_string(b, this->kernel->name);
	spa_pod_builder_string(b, ALTO_MIXER_PARAM_METERING);
	spa_pod_builder_bool(b, __atomic_load_n(&this->metering, __ATOMIC_RELAXED));
	spa_pod_builder_string(b, "alto.inputs");
	spa_pod_builder_int(b, (int32_t)this->n_in_ports);
	spa_pod_builder_string(b, "alto.cycles");
	spa_pod_builder_long(b, (int64_t)load_u64(&this->cycles));
	spa_pod_builder_pop(b, &f[1]);
	return spa_pod_builder_pop(b, &f[0]);
}

int mixer_enum_params(void *object, int seq, uint32_t id, uint32_t start, uint32_t num,
		const struct spa_pod *filter)
{
	struct impl *this = object;
	struct spa_pod *param;
	struct spa_pod_builder b = { 0 };
	uint8_t buffer[1024] SPA_ALIGNED(8);
	struct spa_result_node_params result;
	uint32_t count = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(num != 0, -EINVAL);

	result.id = id;
	result.next = start;
next:
	result.index = result.next++;
	spa_pod_builder_init(&b, buffer, sizeof(buffer));

	switch (id) {
	case SPA_PARAM_EnumFormat:
	case SPA_PARAM_Format:
		if (result.index > 0)
			return 0;
		param = build_node_format(this, &b, id);
		break;
	case SPA_PARAM_Props:
		if (result.index > 0)
			return 0;
		param = build_node_props(this, &b, id);
		break;
	default:
		return -ENOENT;
	}

	if (param == NULL || spa_pod_filter(&b, &result.param, param, filter) < 0)
		goto next;

	spa_node_emit_result(&this->hooks, seq, 0, SPA_RESULT_TYPE_NODE_PARAMS, &result);

	if (++count != num)
		goto next;
	return 0;
}

/* "alto.input.<name>.<field>" or "alto.port.<id>.<field>": the ports it
 * names get the value. Returns 0 when the key is not one of ours. */
static int apply_port_key(struct impl *this, const char *key, const struct spa_pod *value,
		bool *handled)
{
	const char *rest, *dot;
	char target[ALTO_MIXER_MAX_NAME + 1];
	bool by_input;
	float volume;
	bool mute, is_volume;
	uint32_t id, port_id = SPA_ID_INVALID, n = 0;
	int res;

	if (spa_strstartswith(key, ALTO_MIXER_PARAM_INPUT_PREFIX)) {
		by_input = true;
		rest = key + strlen(ALTO_MIXER_PARAM_INPUT_PREFIX);
	} else if (spa_strstartswith(key, ALTO_MIXER_PARAM_PORT_PREFIX)) {
		by_input = false;
		rest = key + strlen(ALTO_MIXER_PARAM_PORT_PREFIX);
	} else {
		return 0;
	}
	*handled = true;

	if ((dot = strrchr(rest, '.')) == NULL || dot == rest ||
	    (size_t)(dot - rest) > ALTO_MIXER_MAX_NAME)
		goto bad_key;
	memcpy(target, rest, dot - rest);
	target[dot - rest] = '\0';
	if (spa_streq(dot + 1, "volume"))
		is_volume = true;
	else if (spa_streq(dot + 1, "mute"))
		is_volume = false;
	else
		goto bad_key;

	if (is_volume ? pod_get_number(value, &volume) < 0 || !volume_valid(volume) :
			pod_get_boolean(value, &mute) < 0) {
		spa_log_warn(this->log, "%p: %s: volume must be a number in [0, %g], mute a "
				"boolean", this, key, MAX_VOLUME);
		return -EINVAL;
	}
	if (!by_input && (!spa_atou32(target, &port_id, 10) || port_id >= MAX_PORTS)) {
		spa_log_warn(this->log, "%p: %s: port id out of range", this, key);
		return -EINVAL;
	}
	for (id = 0; id < MAX_PORTS; id++) {
		struct port *p = this->in_ports[id];
		if (p == NULL)
			continue;
		if (by_input ? !spa_streq(p->input, target) : id != port_id)
			continue;
		if ((res = mixer_set_port_volume(this, p, is_volume ? &volume : NULL,
				is_volume ? NULL : &mute)) < 0)
			return res;
		n++;
	}
	if (n == 0) {
		spa_log_warn(this->log, "%p: %s: no such %s", this, key, by_input ? "input" : "port");
		return -ENOENT;
	}
	return 0;

bad_key:
	spa_log_warn(this->log, "%p: %s: expected %s<name>.volume|mute or %s<id>.volume|mute",
			this, key, ALTO_MIXER_PARAM_INPUT_PREFIX, ALTO_MIXER_PARAM_PORT_PREFIX);
	return -EINVAL;
}

/* The params struct: key, value, key, value... Applies every pair it can and
 * returns the first error. */
static int apply_params(struct impl *this, const struct spa_pod *params)
{
	struct spa_pod_parser prs;
	struct spa_pod_frame f;
	const char *key, *str;
	struct spa_pod *value;
	int res = 0, r;

	spa_pod_parser_pod(&prs, params);
	if (spa_pod_parser_push_struct(&prs, &f) < 0) {
		spa_log_warn(this->log, "%p: Props params must be a struct", this);
		return -EINVAL;
	}
	while (true) {
		struct spa_pod *key_pod;
		bool handled = false;

		if (spa_pod_parser_get_pod(&prs, &key_pod) < 0)
			break;
		if (spa_pod_get_string(key_pod, &key) < 0 || key == NULL) {
			spa_log_warn(this->log, "%p: params: keys must be strings", this);
			return res < 0 ? res : -EINVAL;
		}
		if (spa_pod_parser_get_pod(&prs, &value) < 0) {
			spa_log_warn(this->log, "%p: params: key '%s' without value", this, key);
			return res < 0 ? res : -EINVAL;
		}
		r = 0;
		if (spa_streq(key, ALTO_MIXER_PARAM_ADD_INPUT) ||
		    spa_streq(key, ALTO_MIXER_PARAM_REMOVE_INPUT)) {
			handled = true;
			if (spa_pod_get_string(value, &str) < 0 || str == NULL) {
				spa_log_warn(this->log, "%p: %s needs a string", this, key);
				r = -EINVAL;
			} else if (spa_streq(key, ALTO_MIXER_PARAM_ADD_INPUT)) {
				r = mixer_add_input(this, str, NULL);
			} else {
				r = mixer_remove_input(this, str);
			}
		} else if (spa_streq(key, ALTO_MIXER_PARAM_METERING)) {
			bool on;
			handled = true;
			if (pod_get_boolean(value, &on) < 0) {
				spa_log_warn(this->log, "%p: %s needs a boolean", this, key);
				r = -EINVAL;
			} else {
				__atomic_store_n(&this->metering, on, __ATOMIC_RELAXED);
			}
		} else {
			r = apply_port_key(this, key, value, &handled);
		}
		if (!handled)
			spa_log_debug(this->log, "%p: params: ignoring unknown key '%s'", this, key);
		if (r < 0 && res == 0)
			res = r;
	}
	return res;
}

static const char *type_name(const struct spa_type_info *info, uint32_t type)
{
	const char *name = spa_debug_type_find_short_name(info, type);
	return name ? name : "unknown";
}

/* Does a node Format (or the format inside a PortConfig) describe the mix
 * EnumFormat offers: audio/raw F32 or F32P, our channels and rate, our
 * positions when both sides have them? rate 0 (a PortConfig format may leave
 * it out) matches any rate. Rejections log at debug level only: the caller
 * (WirePlumber's adapter logic) treats us like an adapter and the answer
 * changes nothing for the user. */
static int check_node_format(struct impl *this, const struct spa_pod *format, const char *what)
{
	struct spa_audio_info_raw info = { 0 };
	uint32_t media_type, media_subtype, map[MAX_CHANNELS], c;

	if (spa_format_parse(format, &media_type, &media_subtype) < 0) {
		spa_log_debug(this->log, "%p: %s: format unreadable", this, what);
		return -EINVAL;
	}
	if (media_type != SPA_MEDIA_TYPE_audio || media_subtype != SPA_MEDIA_SUBTYPE_raw ||
	    spa_format_audio_raw_parse(format, &info) < 0) {
		spa_log_debug(this->log, "%p: %s: not audio/raw", this, what);
		return -ENOTSUP;
	}
	if ((info.format != SPA_AUDIO_FORMAT_F32P && info.format != SPA_AUDIO_FORMAT_F32) ||
	    info.channels != this->n_channels ||
	    (info.rate != 0 && info.rate != this->rate)) {
		spa_log_debug(this->log, "%p: %s: %s %u channels %u Hz is not the mix "
				"(F32P, %u channels, %u Hz)", this, what,
				type_name(spa_type_audio_format, info.format),
				info.channels, info.rate, this->n_channels, this->rate);
		return -ENOTSUP;
	}
	if (!SPA_FLAG_IS_SET(info.flags, SPA_AUDIO_FLAG_UNPOSITIONED) &&
	    info.position[0] != SPA_AUDIO_CHANNEL_UNKNOWN && channel_map(this, map)) {
		for (c = 0; c < this->n_channels; c++) {
			if (info.position[c] != map[c]) {
				spa_log_debug(this->log, "%p: %s: channel %u is %s, the mix has %s",
						this, what, c,
						type_name(spa_type_audio_channel, info.position[c]),
						this->channel_names[c]);
				return -ENOTSUP;
			}
		}
	}
	return 0;
}

/* PortConfig {mode dsp, format}: one port per channel is what the mixer
 * already has, so dsp with our layout is a no-op. Other modes would need a
 * converter the mixer does not have. */
static int check_port_config(struct impl *this, const struct spa_pod *param)
{
	uint32_t direction = 0, mode = SPA_PARAM_PORT_CONFIG_MODE_none;
	bool monitor = false, control = false;
	struct spa_pod *format = NULL;

	if (spa_pod_parse_object(param, SPA_TYPE_OBJECT_ParamPortConfig, NULL,
			SPA_PARAM_PORT_CONFIG_direction, SPA_POD_OPT_Id(&direction),
			SPA_PARAM_PORT_CONFIG_mode,      SPA_POD_Id(&mode),
			SPA_PARAM_PORT_CONFIG_monitor,   SPA_POD_OPT_Bool(&monitor),
			SPA_PARAM_PORT_CONFIG_control,   SPA_POD_OPT_Bool(&control),
			SPA_PARAM_PORT_CONFIG_format,    SPA_POD_OPT_Pod(&format)) < 0) {
		spa_log_debug(this->log, "%p: PortConfig unreadable", this);
		return -EINVAL;
	}
	if (mode != SPA_PARAM_PORT_CONFIG_MODE_dsp) {
		spa_log_debug(this->log, "%p: PortConfig: mode %s: only dsp (one port per "
				"channel) is possible", this,
				type_name(spa_type_param_port_config_mode, mode));
		return -ENOTSUP;
	}
	if (monitor || control) {
		spa_log_debug(this->log, "%p: PortConfig: no monitor or control ports", this);
		return -ENOTSUP;
	}
	if (format != NULL)
		return check_node_format(this, format, "PortConfig");
	return 0;
}

int mixer_set_param(void *object, uint32_t id, uint32_t flags, const struct spa_pod *param)
{
	struct impl *this = object;
	struct spa_pod_object *obj;
	struct spa_pod_prop *prop;
	int res = 0, r;
	uint32_t c;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	if (id == SPA_PARAM_Format) {
		/* the mix format is fixed at init; setting that same format (or
		 * clearing it) changes nothing */
		if (param == NULL)
			return 0;
		if ((res = check_node_format(this, param, "Format")) == 0)
			spa_log_debug(this->log, "%p: node Format: the mix format, nothing to do", this);
		return res;
	}
	if (id == SPA_PARAM_PortConfig) {
		if (param == NULL) {
			spa_log_debug(this->log, "%p: PortConfig without a pod", this);
			return -EINVAL;
		}
		if ((res = check_port_config(this, param)) == 0)
			spa_log_debug(this->log, "%p: PortConfig dsp: the mixer's layout, nothing to do", this);
		return res;
	}
	if (id != SPA_PARAM_Props) {
		spa_log_warn(this->log, "%p: set_param: only Props can be set (Format and "
				"PortConfig dsp only as the mix already is)", this);
		return -ENOENT;
	}
	if (param == NULL) {
		this->volume = 1.0f;
		this->mute = false;
		for (c = 0; c < MAX_CHANNELS; c++)
			this->channel_volumes[c] = 1.0f;
		goto done;
	}
	if (!spa_pod_is_object_type(param, SPA_TYPE_OBJECT_Props)) {
		spa_log_warn(this->log, "%p: set_param: Props is not a Props object", this);
		return -EINVAL;
	}
	obj = (struct spa_pod_object *)param;
	SPA_POD_OBJECT_FOREACH(obj, prop) {
		r = 0;
		switch (prop->key) {
		case SPA_PROP_volume:
		{
			float v;
			if (pod_get_number(&prop->value, &v) < 0 || !volume_valid(v)) {
				spa_log_warn(this->log, "%p: volume must be a number in [0, %g]",
						this, MAX_VOLUME);
				r = -EINVAL;
			} else {
				this->volume = v;
			}
			break;
		}
		case SPA_PROP_mute:
		{
			bool m;
			if (pod_get_boolean(&prop->value, &m) < 0) {
				spa_log_warn(this->log, "%p: mute must be a boolean", this);
				r = -EINVAL;
			} else {
				this->mute = m;
			}
			break;
		}
		case SPA_PROP_channelVolumes:
		{
			float v[MAX_CHANNELS];
			uint32_t n = spa_pod_copy_array(&prop->value, SPA_TYPE_Float, v, MAX_CHANNELS);
			if (n != this->n_channels && n != 1) {
				spa_log_warn(this->log, "%p: channelVolumes: %u values for %u channels",
						this, n, this->n_channels);
				r = -EINVAL;
				break;
			}
			for (c = 0; c < n; c++)
				if (!volume_valid(v[c]))
					break;
			if (c < n) {
				spa_log_warn(this->log, "%p: channelVolumes out of [0, %g]",
						this, MAX_VOLUME);
				r = -EINVAL;
				break;
			}
			for (c = 0; c < this->n_channels; c++)
				this->channel_volumes[c] = v[n == 1 ? 0 : c];
			break;
		}
		case SPA_PROP_params:
			r = apply_params(this, &prop->value);
			break;
		default:
			break;
		}
		if (r < 0 && res == 0)
			res = r;
	}
done:
	mixer_update_gains(this);
	mixer_announce_node_props(this);
	return res;
}
