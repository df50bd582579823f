/* alto.mixer: the public face of the room mixer SPA plugin.
 *
 * The plugin is a shared library, `alto/libspa-alto.so` under an SPA plugin
 * directory, exporting the SPA factory `alto.mixer`. Everything here is
 * either a name (factory, library, property keys) or the optional typed
 * control interface that in-process users (the room session, the unit tests)
 * can get with spa_handle_get_interface() instead of parsing Props pods.
 *
 * Threads: everything in this header is main-thread API (the thread that
 * owns the SPA handle). Only spa_node_process() runs on the data loop.
 */
#ifndef ALTO_MIXER_H
#define ALTO_MIXER_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/utils/defs.h>
#include <spa/utils/hook.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALTO_MIXER_FACTORY_NAME		"alto.mixer"
/** What to give as `library.name` or in `context.spa-libs` (`alto.* = alto/libspa-alto`). */
#define ALTO_MIXER_LIBRARY_NAME		"alto/libspa-alto"

/** Most input ports one node can have (one port per channel per input). */
#define ALTO_MIXER_MAX_PORTS		1024
/** Most channels (output ports); the layout comes from audio.position / audio.channels. */
#define ALTO_MIXER_MAX_CHANNELS		8
/** Longest input name (without the terminating NUL). */
#define ALTO_MIXER_MAX_NAME		63

/* Keys of the info dict given to init (node properties). */
#define ALTO_MIXER_KEY_INPUTS		"alto.mixer.inputs"	/**< "[ alice bob ]": inputs created at init */
#define ALTO_MIXER_KEY_KERNEL		"alto.mixer.kernel"	/**< auto (default), c, sse2, avx2 */
#define ALTO_MIXER_KEY_METERING		"alto.mixer.metering"	/**< true (default): per-input peaks */
#define ALTO_MIXER_KEY_RAMP_MS		"alto.mixer.ramp-ms"	/**< 5 (default): a gain change glides over
								 *   this many ms; 0: it jumps */
#define ALTO_MIXER_KEY_REFRESH_MS	"alto.mixer.refresh-ms"	/**< 1000 (default): how often changed metrics
								 *   are announced to the host (remote
								 *   reads); 0: never */

/* Keys of port properties (add_port props and port info props). */
#define ALTO_MIXER_PORT_KEY_INPUT	"alto.input"		/**< the input (participant) a port belongs to */

/* Keys inside SPA_PROP_params of the node Props (set with pw-cli set-param ... Props). */
#define ALTO_MIXER_PARAM_ADD_INPUT	"alto.add-input"	/**< String name: add one port per channel */
#define ALTO_MIXER_PARAM_REMOVE_INPUT	"alto.remove-input"	/**< String name: remove that input's ports */
#define ALTO_MIXER_PARAM_INPUT_PREFIX	"alto.input."		/**< alto.input.<name>.volume / .mute */
#define ALTO_MIXER_PARAM_PORT_PREFIX	"alto.port."		/**< alto.port.<port-id>.volume / .mute */
#define ALTO_MIXER_PARAM_METERING	"alto.metering"		/**< Bool: per-input peaks on/off */

/* Keys inside SPA_PROP_params of a port's Props (read-only metrics). */
#define ALTO_MIXER_METRIC_FRAMES	"alto.frames-mixed"
#define ALTO_MIXER_METRIC_UNDERRUNS	"alto.underruns"
#define ALTO_MIXER_METRIC_SHORT		"alto.short-buffers"
#define ALTO_MIXER_METRIC_PEAK		"alto.peak"

/** Per input port counters, written by process() and read from any thread. */
struct alto_mixer_port_metrics {
	uint64_t frames_mixed;	/**< frames taken from this port (muted or not) */
	uint64_t underruns;	/**< cycles the port was linked but had no data (mixed as silence) */
	uint64_t short_buffers;	/**< cycles with less data than the quantum, or a bad chunk */
	float peak;		/**< largest |sample| the port gave in the last cycle (0 for
				 *   silence or with metering off), before its gain: muted
				 *   inputs still show a level */
	float volume;		/**< the port's volume (linear) */
	bool mute;
};

/** Node wide counters. */
struct alto_mixer_node_metrics {
	uint64_t cycles;	/**< process() calls that produced output */
	uint32_t n_inputs;	/**< input ports that exist */
	uint32_t n_channels;	/**< output ports */
	const char *kernel;	/**< name of the mixing kernel in use: "c", "sse2", "avx2" */
	bool metering;		/**< per-input peaks are measured */
};

#define ALTO_TYPE_INTERFACE_MixerControl	SPA_TYPE_INFO_INTERFACE_BASE "Alto:MixerControl"
#define ALTO_VERSION_MIXER_CONTROL		0

struct alto_mixer_control { struct spa_interface iface; };

/** Typed control for in-process users. Every call returns 0 or a negative errno. */
struct alto_mixer_control_methods {
#define ALTO_VERSION_MIXER_CONTROL_METHODS	0
	uint32_t version;

	/** Counters of one input port; -ENOENT when the port does not exist. */
	int (*get_port_metrics) (void *object, uint32_t port_id,
			struct alto_mixer_port_metrics *metrics);
	int (*get_node_metrics) (void *object, struct alto_mixer_node_metrics *metrics);
	/** Add one input port per channel named in_<name>_<CH>; the first port id is
	 * returned in *first_port_id (the others follow). -EEXIST, -ENOSPC, -EINVAL. */
	int (*add_input) (void *object, const char *name, uint32_t *first_port_id);
	/** Remove every port of the input <name>; -ENOENT when there is none. */
	int (*remove_input) (void *object, const char *name);
};

#define alto_mixer_control_method(o,method,version,...)				\
({										\
	int _res = -ENOTSUP;							\
	struct alto_mixer_control *_c = o;					\
	spa_interface_call_res(&_c->iface,					\
			struct alto_mixer_control_methods, _res,		\
			method, version, ##__VA_ARGS__);			\
	_res;									\
})

#define alto_mixer_get_port_metrics(c,...)	alto_mixer_control_method(c,get_port_metrics,0,__VA_ARGS__)
#define alto_mixer_get_node_metrics(c,...)	alto_mixer_control_method(c,get_node_metrics,0,__VA_ARGS__)
#define alto_mixer_add_input(c,...)		alto_mixer_control_method(c,add_input,0,__VA_ARGS__)
#define alto_mixer_remove_input(c,...)		alto_mixer_control_method(c,remove_input,0,__VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif /* ALTO_MIXER_H */
