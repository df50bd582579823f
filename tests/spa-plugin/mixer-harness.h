/* A small SPA host for the alto.mixer unit tests: dlopens the built plugin
 * the way PipeWire does (spa_handle_factory_enum), gives it a log that counts
 * warnings, a CPU interface with chosen flags and a data loop (inline by
 * default, or a real one from libspa-support), and plays both the graph
 * (position io, input io areas and buffers) and the consumer of the outputs.
 *
 * Everything here runs on the test's main thread unless a test says otherwise.
 */
#ifndef ALTO_TEST_MIXER_HARNESS_H
#define ALTO_TEST_MIXER_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <spa/node/io.h>
#include <spa/node/node.h>
#include <spa/support/cpu.h>
#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/support/plugin.h>

#include "alto-mixer.h"

#define H_QUANTUM_LIMIT		8192
#define H_MAX_CHANNELS		ALTO_MIXER_MAX_CHANNELS

extern int h_failures;

#define CHECK(cond) do {								\
	if (!(cond)) {									\
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n",			\
				__FILE__, __LINE__, __func__, #cond);			\
		h_failures++;								\
	}										\
} while (0)

#define CHECK_INT(a, op, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);				\
	if (!(_a op _b)) {								\
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s %s %s (%lld vs %lld)\n",	\
				__FILE__, __LINE__, __func__, #a, #op, #b, _a, _b);	\
		h_failures++;								\
	}										\
} while (0)

#define CHECK_FLOAT(a, b, tol) do {							\
	double _a = (double)(a), _b = (double)(b);					\
	if (!(_a - _b <= (tol) && _b - _a <= (tol))) {					\
		fprintf(stderr, "%s:%d: %s: CHECK failed: %s == %s (%.9g vs %.9g)\n",	\
				__FILE__, __LINE__, __func__, #a, #b, _a, _b);		\
		h_failures++;								\
	}										\
} while (0)

/* one input port's io area, buffer and memory, owned by the harness */
struct h_input {
	struct spa_io_buffers io;
	struct spa_buffer buffer;
	struct spa_buffer *buffers[1];
	struct spa_data data;
	struct spa_chunk chunk;
	float *mem;
	uint32_t maxsize;
};

struct h_output {
	struct spa_io_buffers io;
	struct spa_buffer buffer[2];
	struct spa_buffer *buffers[2];
	struct spa_data data[2];
	struct spa_chunk chunk[2];
	float *mem[2];
};

struct h_port_info {
	bool exists;
	char name[128];
	char input[64];
	char channel[16];
	uint32_t props_flags;		/* flags of the Props param info last seen */
	uint32_t props_changes;		/* infos that changed them (SERIAL toggles) */
};

/* PipeWire's own loop implementation (support.loop of libspa-support.so),
 * for a real data loop thread or a main loop with timers */
struct h_real_loop {
	void *dl;
	struct spa_handle *system_handle, *loop_handle;
	struct spa_loop *loop;
	struct spa_loop_control *control;
	struct spa_loop_utils *utils;
};

struct harness {
	void *dl;
	const struct spa_handle_factory *factory;
	struct spa_handle *handle;
	struct spa_node *node;
	struct alto_mixer_control *control;
	struct spa_hook listener;

	struct spa_log log;
	struct spa_cpu cpu;
	struct spa_loop inline_loop;
	uint32_t cpu_flags;
	bool loop_fails;		/* the inline loop refuses invokes (-EPIPE) */
	int log_level;			/* lines at or below this level are printed */
	int warnings;			/* warn + error lines so far */

	struct spa_io_position position;
	struct h_output outputs[H_MAX_CHANNELS];
	struct h_input *inputs;		/* ALTO_MIXER_MAX_PORTS of them */
	struct h_port_info *in_info;	/* what port_info events said, per input id */
	uint32_t n_node_infos;
	uint32_t node_props_flags;	/* as props_flags/props_changes, for the node */
	uint32_t node_props_changes;
	char node_props[1024];		/* "k=v;" of the last node info props */

	/* the last param a result event delivered */
	uint8_t param_buf[8192] SPA_ALIGNED(8);
	bool have_param;
};

/** Path of libspa-alto.so, from argv[1] (set by tests/spa-plugin/meson.build). */
extern const char *h_plugin_path;
/** SPA system plugin dir, from argv[2] (for libspa-support.so). */
extern const char *h_system_plugin_dir;

void h_init_args(int argc, char **argv);

/** Loads the plugin and creates a node with these props (key, value, ..., NULL).
 * cpu_flags are what the fake CPU interface reports; loop NULL = inline loop.
 * Returns what init returned. */
int h_open(struct harness *h, uint32_t cpu_flags, struct spa_loop *loop, const char *const *props);
/** h_open with the main loop's utils in the support list (the metrics refresh timer). */
int h_open_full(struct harness *h, uint32_t cpu_flags, struct spa_loop *loop,
		struct spa_loop_utils *utils, const char *const *props);
void h_close(struct harness *h);

/** The cycle length process() must use (position io); 0 = no position io. */
void h_set_quantum(struct harness *h, uint32_t frames);

/** Format, 2 buffers and io on output port `channel`. */
int h_connect_output(struct harness *h, uint32_t channel);
/** Format, one buffer of `maxsize` bytes (0 = quantum limit) and io on input port_id. */
int h_connect_input(struct harness *h, uint32_t port_id, uint32_t maxsize);
/** Clears io and buffers of an input port (what a host does when unlinking). */
int h_disconnect_input(struct harness *h, uint32_t port_id);

/** Puts n samples in the input's buffer and marks its io HAVE_DATA. */
void h_feed(struct harness *h, uint32_t port_id, const float *samples, uint32_t n);
/** Feeds n copies of one value. */
void h_feed_const(struct harness *h, uint32_t port_id, float value, uint32_t n);
/** Marks an input as having nothing this cycle (io NEED_DATA). */
void h_starve(struct harness *h, uint32_t port_id);

/** Runs one cycle. */
int h_process(struct harness *h);
/** The mix of output `channel` from the last cycle; *n = frames, *empty = EMPTY
 * flag; marks it consumed so the next cycle writes a new buffer. NULL if none. */
const float *h_take_output(struct harness *h, uint32_t channel, uint32_t *n, bool *empty);

int h_add_port(struct harness *h, uint32_t port_id, const char *input, const char *channel);
#define H_KEEP_VOLUME	-1000.0f
/** Sets an input port's Props: volume (H_KEEP_VOLUME: not given), mute (-1: not given). */
int h_set_port_volume(struct harness *h, uint32_t port_id, float volume, int mute);
/** Reads an input port's Props through port_enum_params. */
int h_get_port_props(struct harness *h, uint32_t port_id, float *volume, bool *mute,
		struct alto_mixer_port_metrics *metrics);
/** Sets node Props from a JSON-ish description built by the caller (pod). */
int h_set_node_props(struct harness *h, const struct spa_pod *props);
/** Node Props: volume, mute, channelVolumes (n values). */
int h_get_node_props(struct harness *h, float *volume, bool *mute, float *channel_volumes,
		uint32_t *n_channel_volumes);
/** Sets node Props params from pairs: key, then "s:string", "f:0.5", "b:1". NULL ends. */
int h_set_params(struct harness *h, const char *const *pairs);

int h_finish(const char *name);

/** Loads support.system and support.loop from the system SPA dir; 0 or -errno. */
int h_real_loop_open(struct h_real_loop *l);
void h_real_loop_close(struct h_real_loop *l);

#endif
