/* Internal state of one alto.mixer node, shared by mixer.c (node methods, main
 * thread), mixer-params.c (params pods, main thread) and mixer-process.c (the
 * real-time path). Not installed: other code sees only alto-mixer.h.
 *
 * Who touches what:
 * - main thread: everything, except that while a port is published in the
 *   real-time list (port->in_rt) its io, buffers and format stay untouched;
 *   to change them the port is first unpublished (mixer_publish(), which
 *   swaps lists with a blocking spa_loop_invoke on the data loop).
 * - data loop: process() reads the published list, the ports in it, the
 *   gains (relaxed atomics) and writes the metrics (relaxed atomics), the
 *   ports' gain ramps and the output buffer queue.
 */
#ifndef ALTO_MIXER_INTERNAL_H
#define ALTO_MIXER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/node/node.h>
#include <spa/node/io.h>
#include <spa/node/utils.h>
#include <spa/param/param.h>
#include <spa/pod/builder.h>
#include <spa/support/cpu.h>
#include <spa/support/log.h>
#include <spa/support/plugin.h>
#include <spa/utils/dict.h>
#include <spa/support/loop.h>
#include <spa/utils/hook.h>
#include <spa/utils/list.h>

#include "alto-mixer.h"
#include "mix-kernels.h"

#define MAX_BUFFERS		32
#define MAX_PORTS		ALTO_MIXER_MAX_PORTS
#define MAX_CHANNELS		ALTO_MIXER_MAX_CHANNELS
#define CHANNEL_NAME_LEN	16
#define PORT_NAME_LEN		(ALTO_MIXER_MAX_NAME + CHANNEL_NAME_LEN + 8)
#define DEFAULT_QUANTUM_LIMIT	8192u
#define MAX_NODE_PROPS		16
#define DEFAULT_RAMP_MS		5u	/**< volume changes glide over this long */
#define MAX_RAMP_MS		1000u
#define DEFAULT_REFRESH_MS	1000u	/**< remote metrics refresh period */
#define MIN_REFRESH_MS		10u
#define MAX_REFRESH_MS		60000u

/* indexes into port->params / impl->params */
enum {
	PORT_PARAM_EnumFormat,
	PORT_PARAM_Meta,
	PORT_PARAM_IO,
	PORT_PARAM_Format,
	PORT_PARAM_Buffers,
	PORT_PARAM_Props,
	N_PORT_PARAMS,
};
enum {
	NODE_PARAM_EnumFormat,
	NODE_PARAM_Format,
	NODE_PARAM_Props,
	N_NODE_PARAMS,
};

struct buffer {
	uint32_t id;
#define BUFFER_FLAG_QUEUED	(1 << 0)
	uint32_t flags;
	struct spa_list link;
	struct spa_buffer *buf;
};

struct port_metrics {
	uint64_t frames_mixed;
	uint64_t underruns;
	uint64_t short_buffers;
	float peak;
};

struct port {
	enum spa_direction direction;
	uint32_t id;
	uint32_t channel;			/**< index into impl->channel_names */
	char input[ALTO_MIXER_MAX_NAME + 1];	/**< input (participant) name, "" if none */
	char name[PORT_NAME_LEN];		/**< port.name */

	/* configuration: main thread; frozen while in_rt */
	struct spa_io_buffers *io;
	struct buffer buffers[MAX_BUFFERS];
	uint32_t n_buffers;
	bool have_format;
	bool in_rt;				/**< published in the real-time list */
	bool rt_next;				/**< in the list being published */
	bool removing;				/**< being removed: only clearing calls still come */
	struct port *next_zombie;		/**< removed while the data loop was unreachable */

	/* output ports: free buffers; touched by process() and reuse_buffer() */
	struct spa_list queue;

	/* volume as set (main thread) and as used (gain, relaxed atomic) */
	float volume;
	bool mute;
	float gain;

	/* the gain ramp, data loop only (zero at creation = no ramp yet): the
	 * gain at the k-th frame before the end of the ramp is
	 * ramp_target - ramp_step * k */
	float ramp_target;			/**< port gain * master gain heading to */
	float ramp_step;			/**< gain change per frame */
	uint32_t ramp_left;			/**< frames still on the ramp, 0 = at target */
	bool ramp_valid;			/**< ramp_target holds the gain in use */

	struct port_metrics metrics;		/**< relaxed atomics, written by process() */
	/* metrics when the port's Props were last announced changed (main thread) */
	uint64_t counts_announced;		/**< sum of the three counters */
	float peak_announced;

	uint64_t info_all;
	struct spa_port_info info;
	struct spa_param_info params[N_PORT_PARAMS];
	struct spa_dict_item info_items[5];
	struct spa_dict info_props;
};

/** An input on a gain ramp or short this cycle: mixed (or corrected) after the kernel. */
struct slow_input {
	const float *src;
	uint32_t frames;			/**< samples it has, <= the cycle */
	uint32_t left;				/**< ramp frames left at its first sample */
	float target, step;			/**< the gain ramp (left == 0: constant target) */
	bool in_kernel;				/**< the kernel mixed it at target: only the
						 *   ramp's difference to target is left */
};

/** What process() mixes: built on the main thread, swapped in on the data loop. */
struct mix_list {
	uint32_t n_inputs;
	uint32_t chan_start[MAX_CHANNELS + 1];	/**< inputs of channel c: [chan_start[c], chan_start[c+1]) */
	struct port *inputs[MAX_PORTS];
	struct port *outputs[MAX_CHANNELS];	/**< NULL while that output is not ready */
	struct spa_io_position *position;
};

struct impl {
	struct spa_handle handle;
	struct spa_node node;
	struct alto_mixer_control control;

	struct spa_log *log;
	struct spa_loop *data_loop;
	struct spa_cpu *cpu;
	const struct alto_mix_kernel *kernel;
	uint32_t quantum_limit;
	uint32_t rate;				/**< node format; ramp length without a position */
	uint32_t ramp_ms;			/**< alto.mixer.ramp-ms, 0 = volume changes jump */
	uint32_t refresh_ms;			/**< alto.mixer.refresh-ms, 0 = no refresh timer */

	struct spa_hook_list hooks;
	uint64_t info_all;
	struct spa_node_info info;
	struct spa_param_info params[N_NODE_PARAMS];
	struct spa_dict_item info_items[MAX_NODE_PROPS];
	struct spa_dict info_props;
	char *info_keys[MAX_NODE_PROPS];	/**< owned copies of the creator's keys */
	char *info_values[MAX_NODE_PROPS];	/**< and values */
	char position_str[MAX_CHANNELS * (CHANNEL_NAME_LEN + 1) + 4];
	char channels_str[8];

	uint32_t n_channels;
	char channel_names[MAX_CHANNELS][CHANNEL_NAME_LEN];
	struct port out_ports[MAX_CHANNELS];

	struct port *in_ports[MAX_PORTS];	/**< main thread view; NULL = free id */
	uint32_t n_in_ports;
	struct port *zombies;			/**< freed at clear(), see remove_input_port() */
	struct spa_io_position *position;	/**< as set by set_io; rt copy in the list */

	/* node volume (main thread) and per-channel master gain (relaxed atomics) */
	float volume;
	bool mute;
	float channel_volumes[MAX_CHANNELS];
	float master_gain[MAX_CHANNELS];

	struct mix_list lists[2];
	struct mix_list *rt_list;		/**< read by process(); swapped on the data loop */

	/* process() scratch, data loop only */
	const float *rt_src[MAX_PORTS];
	float rt_gain[MAX_PORTS];
	float rt_peak[MAX_PORTS];
	struct port *rt_port[MAX_PORTS];
	struct slow_input rt_slow[MAX_PORTS];

	uint64_t cycles;			/**< relaxed atomic */
	struct spa_loop_utils *loop_utils;	/**< the main loop's: the metrics refresh timer */
	struct spa_source *metrics_timer;
	bool metering;				/**< peaks per input; relaxed atomic */
	bool started;
};

#define IN_PORT_VALID_ID(id)	((id) < MAX_PORTS)

static inline struct port *mixer_find_port(struct impl *this, enum spa_direction direction,
		uint32_t port_id)
{
	if (direction == SPA_DIRECTION_INPUT)
		return port_id < MAX_PORTS ? this->in_ports[port_id] : NULL;
	if (direction == SPA_DIRECTION_OUTPUT)
		return port_id < this->n_channels ? &this->out_ports[port_id] : NULL;
	return NULL;
}

/* relaxed atomics for what the data loop and the main thread share */
static inline void store_float(float *p, float v) { __atomic_store(p, &v, __ATOMIC_RELAXED); }
static inline float load_float(const float *p) { float v; __atomic_load(p, &v, __ATOMIC_RELAXED); return v; }
static inline void store_u64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); }
static inline uint64_t load_u64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

/* mixer.c */
void mixer_emit_node_info(struct impl *this, bool full);
void mixer_emit_port_info(struct impl *this, struct port *port, bool full);
void mixer_announce_node_props(struct impl *this);
void mixer_announce_port_props(struct impl *this, struct port *port);
int mixer_publish(struct impl *this);
void mixer_update_gains(struct impl *this);
int mixer_add_input(struct impl *this, const char *name, uint32_t *first_port_id);
int mixer_remove_input(struct impl *this, const char *name);
int mixer_set_port_volume(struct impl *this, struct port *port, const float *volume, const bool *mute);

/* mixer-params.c */
int mixer_port_enum_params(void *object, int seq, enum spa_direction direction, uint32_t port_id,
		uint32_t id, uint32_t start, uint32_t num, const struct spa_pod *filter);
int mixer_enum_params(void *object, int seq, uint32_t id, uint32_t start, uint32_t num,
		const struct spa_pod *filter);
int mixer_set_param(void *object, uint32_t id, uint32_t flags, const struct spa_pod *param);
int mixer_port_set_format(struct impl *this, struct port *port, const struct spa_pod *format);
int mixer_port_set_props(struct impl *this, struct port *port, const struct spa_pod *param);
void mixer_params_log_init(struct spa_log *log);

/* mixer-process.c */
int mixer_process(void *object);
int mixer_reuse_buffer(void *object, uint32_t port_id, uint32_t buffer_id);
void mixer_process_log_init(struct spa_log *log);

#endif /* ALTO_MIXER_INTERNAL_H */
