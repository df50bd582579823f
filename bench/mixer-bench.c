/* mixer-bench: ns per output frame of alto.mixer against PipeWire's own
 * mixers (audio.mixer.dsp and audio.mixer from libspa-audiomixer.so) and a
 * plain memcpy of the same input bytes, for 1, 8, 64 and 256 inputs at
 * quantum 256 and 1024, all in one run on one machine.
 *
 * Every node is driven the same way through the SPA node interface, as
 * PipeWire's graph drives it: each cycle every input io is HAVE_DATA with a
 * full chunk, the output io is consumed, process() is called. Each plugin
 * gets PipeWire's real support.cpu, so each picks its best SIMD code.
 *
 * usage: mixer-bench <libspa-alto.so> <spa plugin dir> [--quick] [--markdown]
 *                    [--inputs N] [--quantum Q]    (one row only, for profiling)
 *                    [--ramp]   (alto only: a steady cycle against one where
 *                                every input starts a volume ramp)
 * Runs on one thread; prints a table (markdown with --markdown).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spa/node/io.h>
#include <spa/node/node.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/builder.h>
#include <spa/support/cpu.h>
#include <spa/support/plugin.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#define MAX_INPUTS	256
#define OUT_BUFFERS	2

struct plugin {
	void *dl;
	spa_handle_factory_enum_func_t enum_func;
};

struct node_under_test {
	const char *label;
	struct spa_handle *handle;
	struct spa_node *node;
	uint32_t n_inputs, quantum;

	struct spa_io_position position;
	struct spa_io_buffers in_io[MAX_INPUTS];
	struct spa_buffer in_buf[MAX_INPUTS];
	struct spa_buffer *in_bufs[MAX_INPUTS][1];
	struct spa_data in_data[MAX_INPUTS];
	struct spa_chunk in_chunk[MAX_INPUTS];

	struct spa_io_buffers out_io;
	struct spa_buffer out_buf[OUT_BUFFERS];
	struct spa_buffer *out_bufs[OUT_BUFFERS];
	struct spa_data out_data[OUT_BUFFERS];
	struct spa_chunk out_chunk[OUT_BUFFERS];
	float *out_mem[OUT_BUFFERS];
};

static float *input_mem[MAX_INPUTS];
static struct spa_support support[2];
static uint32_t n_support;

static int plugin_open(struct plugin *p, const char *path)
{
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -ENOENT;
	}
	p->enum_func = (spa_handle_factory_enum_func_t)dlsym(p->dl, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
	return p->enum_func ? 0 : -ENOENT;
}

static struct spa_handle *plugin_create(struct plugin *p, const char *factory_name,
		const struct spa_dict *info)
{
	const struct spa_handle_factory *f;
	struct spa_handle *handle;
	uint32_t idx = 0;
	int res;

	while (p->enum_func(&f, &idx) > 0) {
		if (!spa_streq(f->name, factory_name))
			continue;
		handle = calloc(1, spa_handle_factory_get_size(f, info));
		if ((res = spa_handle_factory_init(f, handle, info, support, n_support)) < 0) {
			fprintf(stderr, "init %s: %s\n", factory_name, spa_strerror(res));
			free(handle);
			return NULL;
		}
		return handle;
	}
	fprintf(stderr, "no factory %s\n", factory_name);
	return NULL;
}

static struct spa_pod *format(uint8_t *buf, size_t size, bool raw)
{
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, size);
	if (raw) {
		struct spa_audio_info_raw info = { .format = SPA_AUDIO_FORMAT_F32, .rate = 48000,
			.channels = 1 };
		return spa_format_audio_raw_build(&b, SPA_PARAM_Format, &info);
	}
	return spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_Format, SPA_PARAM_Format,
			SPA_FORMAT_mediaType,    SPA_POD_Id(SPA_MEDIA_TYPE_audio),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_dsp),
			SPA_FORMAT_AUDIO_format, SPA_POD_Id(SPA_AUDIO_FORMAT_DSP_F32));
}

/* Ports, formats, buffers and io areas on a freshly made node. */
static int setup(struct node_under_test *t, bool raw)
{
	uint8_t buf[512] SPA_ALIGNED(8);
	void *iface;
	uint32_t i;
	int res;

	if ((res = spa_handle_get_interface(t->handle, SPA_TYPE_INTERFACE_Node, &iface)) < 0)
		return res;
	t->node = iface;

	t->position.clock.duration = t->quantum;
	t->position.clock.rate = SPA_FRACTION(1, 48000);
	spa_node_set_io(t->node, SPA_IO_Position, &t->position, sizeof(t->position));

	for (i = 0; i < t->n_inputs; i++) {
		if ((res = spa_node_add_port(t->node, SPA_DIRECTION_INPUT, i, NULL)) < 0 ||
		    (res = spa_node_port_set_param(t->node, SPA_DIRECTION_INPUT, i,
				SPA_PARAM_Format, 0, format(buf, sizeof(buf), raw))) < 0)
			return res;
		t->in_chunk[i] = (struct spa_chunk) { .size = t->quantum * sizeof(float),
			.stride = sizeof(float) };
		t->in_data[i] = (struct spa_data) { .type = SPA_DATA_MemPtr, .data = input_mem[i],
			.maxsize = 8192 * sizeof(float), .chunk = &t->in_chunk[i] };
		t->in_buf[i] = (struct spa_buffer) { .n_datas = 1, .datas = &t->in_data[i] };
		t->in_bufs[i][0] = &t->in_buf[i];
		if ((res = spa_node_port_use_buffers(t->node, SPA_DIRECTION_INPUT, i, 0,
				t->in_bufs[i], 1)) < 0)
			return res;
		t->in_io[i] = (struct spa_io_buffers) { SPA_STATUS_NEED_DATA, SPA_ID_INVALID };
		if ((res = spa_node_port_set_io(t->node, SPA_DIRECTION_INPUT, i, SPA_IO_Buffers,
				&t->in_io[i], sizeof(t->in_io[i]))) < 0)
			return res;
	}
	if ((res = spa_node_port_set_param(t->node, SPA_DIRECTION_OUTPUT, 0,
			SPA_PARAM_Format, 0, format(buf, sizeof(buf), raw))) < 0)
		return res;
	for (i = 0; i < OUT_BUFFERS; i++) {
		t->out_mem[i] = aligned_alloc(64, 8192 * sizeof(float));
		t->out_data[i] = (struct spa_data) { .type = SPA_DATA_MemPtr, .data = t->out_mem[i],
			.maxsize = 8192 * sizeof(float), .chunk = &t->out_chunk[i] };
		t->out_buf[i] = (struct spa_buffer) { .n_datas = 1, .datas = &t->out_data[i] };
		t->out_bufs[i] = &t->out_buf[i];
	}
	if ((res = spa_node_port_use_buffers(t->node, SPA_DIRECTION_OUTPUT, 0, 0,
			t->out_bufs, OUT_BUFFERS)) < 0)
		return res;
	t->out_io = SPA_IO_BUFFERS_INIT;
	return spa_node_port_set_io(t->node, SPA_DIRECTION_OUTPUT, 0, SPA_IO_Buffers,
			&t->out_io, sizeof(t->out_io));
}

static void teardown(struct node_under_test *t)
{
	uint32_t i;

	if (t->handle) {
		spa_handle_clear(t->handle);
		free(t->handle);
	}
	for (i = 0; i < OUT_BUFFERS; i++)
		free(t->out_mem[i]);
	memset(t, 0, sizeof(*t));
}

static inline void cycle(struct node_under_test *t)
{
	uint32_t i;

	for (i = 0; i < t->n_inputs; i++) {
		t->in_io[i].status = SPA_STATUS_HAVE_DATA;
		t->in_io[i].buffer_id = 0;
	}
	spa_node_process(t->node);
	/* the consumer took the mix; keep the buffer id so the node recycles it */
	t->out_io.status = SPA_STATUS_NEED_DATA;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint32_t reps = 15;
static double target_ns = 10e6;	/* each timed run */

static float copy_dst[8192] SPA_ALIGNED(64);

/* One contender of a row: a node, or memcpy when handle is NULL. */
struct contender {
	struct node_under_test t;
	bool active;
	uint32_t iters;
	double best;		/* ns per output frame */
	float check;		/* last sample of the last mix */
};

static inline void copy_cycle(uint32_t n_inputs, uint32_t quantum)
{
	uint32_t i;
	for (i = 0; i < n_inputs; i++)
		memcpy(copy_dst, input_mem[i], quantum * sizeof(float));
	/* keep the copies from being folded away */
	__asm__ __volatile__("" : : "r"(copy_dst) : "memory");
}

static double run_iters(struct contender *c, bool copy, uint32_t n_inputs, uint32_t quantum,
		uint32_t iters)
{
	double t0 = now_ns();
	uint32_t k;

	if (copy)
		for (k = 0; k < iters; k++)
			copy_cycle(n_inputs, quantum);
	else
		for (k = 0; k < iters; k++)
			cycle(&c->t);
	return (now_ns() - t0) / ((double)iters * quantum);
}

static bool contender_init(struct contender *c, struct plugin *p, const char *factory,
		const struct spa_dict *info, bool raw, uint32_t n_inputs, uint32_t quantum)
{
	memset(c, 0, sizeof(*c));
	c->best = -1;
	c->t.n_inputs = n_inputs;
	c->t.quantum = quantum;
	if (p == NULL)
		return c->active = true;
	if ((c->t.handle = plugin_create(p, factory, info)) == NULL || setup(&c->t, raw) < 0) {
		teardown(&c->t);
		return false;
	}
	return c->active = true;
}

static void contender_check(struct contender *c)
{
	c->check = -1;
	cycle(&c->t);
	if (c->t.out_io.buffer_id < OUT_BUFFERS) {
		/* PipeWire's dsp mixer passes a single input through by pointing the
		 * output buffer at the input's data: read through the buffer */
		struct spa_data *d = &c->t.out_buf[c->t.out_io.buffer_id].datas[0];
		c->check = ((float *)d->data)[d->chunk->offset / sizeof(float) + c->t.quantum - 1];
	}
}

/* Times every contender of a row in turns, `reps` rounds, best of each: a
 * burst of load elsewhere on the machine hits all of them alike. */
static void run_row(struct contender *c, uint32_t n, uint32_t n_inputs, uint32_t quantum)
{
	uint32_t i, r;

	for (i = 0; i < n; i++) {
		bool copy = c[i].t.handle == NULL;
		double per;
		if (!c[i].active)
			continue;
		run_iters(&c[i], copy, n_inputs, quantum, 20);	/* warm up */
		per = run_iters(&c[i], copy, n_inputs, quantum, 20) * quantum;
		c[i].iters = per > 0 ? (uint32_t)SPA_CLAMP(target_ns / per, 10.0, 1e6) : 1000;
	}
	for (r = 0; r < reps; r++) {
		for (i = 0; i < n; i++) {
			double ns;
			if (!c[i].active)
				continue;
			ns = run_iters(&c[i], c[i].t.handle == NULL, n_inputs, quantum, c[i].iters);
			if (c[i].best < 0 || ns < c[i].best)
				c[i].best = ns;
		}
	}
	for (i = 0; i < n; i++)
		if (c[i].active && c[i].t.handle != NULL)
			contender_check(&c[i]);
}

/* ns of process() alone for one cycle, best of `reps` runs of `iters`
 * cycles; with `ramp`, before every cycle (untimed) each input gets a new
 * volume, so every input of every timed cycle starts a gain ramp. */
static double ramp_cycle_ns(struct node_under_test *t, bool ramp, uint32_t iters)
{
	uint8_t buf[128] SPA_ALIGNED(8);
	double best = -1;
	uint32_t r, k, i;

	for (r = 0; r < reps; r++) {
		double total = 0;
		for (k = 0; k < iters; k++) {
			double t0;
			for (i = 0; ramp && i < t->n_inputs; i++) {
				struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
				struct spa_pod *p = spa_pod_builder_add_object(&b,
						SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
						SPA_PROP_volume, SPA_POD_Float((k & 1) ? 0.5f : 1.0f));
				spa_node_port_set_param(t->node, SPA_DIRECTION_INPUT, i,
						SPA_PARAM_Props, 0, p);
			}
			for (i = 0; i < t->n_inputs; i++) {
				t->in_io[i].status = SPA_STATUS_HAVE_DATA;
				t->in_io[i].buffer_id = 0;
			}
			t0 = now_ns();
			spa_node_process(t->node);
			total += now_ns() - t0;
			t->out_io.status = SPA_STATUS_NEED_DATA;
		}
		if (best < 0 || total / iters < best)
			best = total / iters;
	}
	return best;
}

/* --ramp: what a volume change costs in process(), per cycle */
static void ramp_table(struct plugin *alto, const struct spa_dict *info, bool markdown,
		uint32_t only_inputs, uint32_t only_quantum)
{
	static const uint32_t inputs[] = { 1, 8, 64, 256 };
	static const uint32_t quanta[] = { 256, 1024 };
	static struct node_under_test t;
	uint32_t qi, ii;

	if (markdown)
		printf("| quantum | inputs | steady cycle (ns) | every input ramping (ns) | ratio |\n"
				"| ---: | ---: | ---: | ---: | ---: |\n");
	else
		printf("ns of process() per cycle (best of %u runs)\n%7s %6s %10s %10s %6s\n",
				reps, "quantum", "inputs", "steady", "ramping", "ratio");
	for (qi = 0; qi < SPA_N_ELEMENTS(quanta); qi++) {
		for (ii = 0; ii < SPA_N_ELEMENTS(inputs); ii++) {
			uint32_t q = quanta[qi], n = inputs[ii];
			double steady, ramping;
			if ((only_inputs && n != only_inputs) || (only_quantum && q != only_quantum))
				continue;
			memset(&t, 0, sizeof(t));
			t.n_inputs = n;
			t.quantum = q;
			if ((t.handle = plugin_create(alto, "alto.mixer", info)) == NULL ||
			    setup(&t, false) < 0) {
				teardown(&t);
				fprintf(stderr, "alto.mixer setup failed\n");
				return;
			}
			ramp_cycle_ns(&t, false, 50);	/* warm up */
			steady = ramp_cycle_ns(&t, false, 200);
			ramping = ramp_cycle_ns(&t, true, 200);
			teardown(&t);
			if (markdown)
				printf("| %u | %u | %.0f | %.0f | %.1f |\n", q, n, steady, ramping,
						ramping / steady);
			else
				printf("%7u %6u %10.0f %10.0f %6.1f\n", q, n, steady, ramping,
						ramping / steady);
			fflush(stdout);
		}
	}
}

static void cell(char *buf, size_t size, double ns)
{
	if (ns < 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.3f", ns);
}

static void ratio(char *buf, size_t size, double a, double b)
{
	if (a > 0 && b > 0)
		snprintf(buf, size, "%.2f", a / b);
	else
		snprintf(buf, size, "n/a");
}

int main(int argc, char **argv)
{
	static const uint32_t inputs[] = { 1, 8, 64, 256 };
	static const uint32_t quanta[] = { 256, 1024 };
	struct plugin alto = { 0 }, pw = { 0 }, sup = { 0 };
	struct spa_handle *cpu_handle;
	char path[1024];
	bool markdown = false, ramp = false;
	uint32_t only_inputs = 0, only_quantum = 0;
	uint32_t i, j, qi, ii;
	void *iface;
	int a;

	if (argc < 3) {
		fprintf(stderr, "usage: %s <libspa-alto.so> <spa plugin dir> [--quick] [--markdown]\n",
				argv[0]);
		return 2;
	}
	for (a = 3; a < argc; a++) {
		if (spa_streq(argv[a], "--quick")) {
			reps = 3;
			target_ns = 3e6;
		} else if (spa_streq(argv[a], "--markdown")) {
			markdown = true;
		} else if (spa_streq(argv[a], "--ramp")) {
			ramp = true;
		} else if (spa_streq(argv[a], "--inputs") && a + 1 < argc) {
			only_inputs = atoi(argv[++a]);
		} else if (spa_streq(argv[a], "--quantum") && a + 1 < argc) {
			only_quantum = atoi(argv[++a]);
		} else {
			fprintf(stderr, "unknown option %s\n", argv[a]);
			return 2;
		}
	}

	snprintf(path, sizeof(path), "%s/support/libspa-support.so", argv[2]);
	if (plugin_open(&sup, path) < 0)
		return 1;
	if ((cpu_handle = plugin_create(&sup, SPA_NAME_SUPPORT_CPU, NULL)) == NULL)
		return 1;
	spa_handle_get_interface(cpu_handle, SPA_TYPE_INTERFACE_CPU, &iface);
	support[n_support++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_CPU, iface);

	if (plugin_open(&alto, argv[1]) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/audiomixer/libspa-audiomixer.so", argv[2]);
	if (plugin_open(&pw, path) < 0)
		return 1;

	srand(1);
	for (i = 0; i < MAX_INPUTS; i++) {
		input_mem[i] = aligned_alloc(64, 8192 * sizeof(float));
		for (j = 0; j < 8192; j++)
			input_mem[i][j] = (float)(rand() % 2001 - 1000) / 4000.0f;
	}

	const struct spa_dict_item mono_items[] = { { "audio.channels", "1" } };
	const struct spa_dict_item c_items[] = { { "audio.channels", "1" },
		{ "alto.mixer.kernel", "c" } };
	const struct spa_dict mono = SPA_DICT_INIT_ARRAY(mono_items);
	const struct spa_dict_item nometer_items[] = { { "audio.channels", "1" },
		{ "alto.mixer.metering", "false" } };
	const struct spa_dict nometer = SPA_DICT_INIT_ARRAY(nometer_items);
	const struct spa_dict c_only = SPA_DICT_INIT_ARRAY(c_items);
	const struct spa_dict_item ql_items[] = { { "clock.quantum-limit", "8192" } };
	const struct spa_dict ql = SPA_DICT_INIT_ARRAY(ql_items);

	if (ramp) {
		ramp_table(&alto, &mono, markdown, only_inputs, only_quantum);
		goto done;
	}

	const char *head[] = { "quantum", "inputs", "alto.mixer", "alto, no metering",
		"alto, C kernel", "pw audio.mixer.dsp", "pw audio.mixer", "memcpy",
		"alto / pw dsp", "alto no-meter / pw dsp", "alto / memcpy" };
	if (markdown) {
		printf("|");
		for (i = 0; i < SPA_N_ELEMENTS(head); i++)
			printf(" %s |", head[i]);
		printf("\n|");
		for (i = 0; i < SPA_N_ELEMENTS(head); i++)
			printf(i < 2 ? " ---: |" : " ---: |");
		printf("\n");
	} else {
		printf("ns per output frame (best of %u runs)\n", reps);
		printf("%7s %6s %9s %9s %9s %9s %9s %9s %10s %10s %10s\n", "quantum", "inputs",
				"alto", "alto-nm", "alto-c", "pw-dsp", "pw-mixer", "memcpy",
				"alto/pw", "alto-nm/pw", "alto/copy");
	}
	fflush(stdout);

	for (qi = 0; qi < SPA_N_ELEMENTS(quanta); qi++) {
		for (ii = 0; ii < SPA_N_ELEMENTS(inputs); ii++) {
			uint32_t q = quanta[qi], n = inputs[ii];
			float c1, c2, c3, c4, c5;
			if ((only_inputs && n != only_inputs) || (only_quantum && q != only_quantum))
				continue;
			static struct contender c[6];
			contender_init(&c[0], &alto, "alto.mixer", &mono, false, n, q);
			contender_init(&c[1], &alto, "alto.mixer", &nometer, false, n, q);
			contender_init(&c[2], &alto, "alto.mixer", &c_only, false, n, q);
			/* 0.3.65: at most 128 input ports (MAX_PORTS), more is refused */
			if (n <= 128) {
				contender_init(&c[3], &pw, SPA_NAME_AUDIO_MIXER_DSP, &ql, false, n, q);
				contender_init(&c[4], &pw, SPA_NAME_AUDIO_MIXER, &ql, true, n, q);
			} else {
				c[3].active = c[4].active = false;
				c[3].best = c[4].best = -1;
			}
			contender_init(&c[5], NULL, NULL, NULL, false, n, q);
			run_row(c, 6, n, q);
			double ns_alto = c[0].best, ns_alto_nm = c[1].best, ns_alto_c = c[2].best;
			double ns_dsp = c[3].best, ns_mix = c[4].best, ns_copy = c[5].best;
			c1 = c[0].check; c5 = c[1].check; c2 = c[2].check; c3 = c[3].check; c4 = c[4].check;
			for (i = 0; i < 5; i++)
				if (c[i].active)
					teardown(&c[i].t);
			char s[6][32], r[3][32];

			cell(s[0], sizeof(s[0]), ns_alto);
			cell(s[1], sizeof(s[1]), ns_alto_nm);
			cell(s[2], sizeof(s[2]), ns_alto_c);
			cell(s[3], sizeof(s[3]), ns_dsp);
			cell(s[4], sizeof(s[4]), ns_mix);
			cell(s[5], sizeof(s[5]), ns_copy);
			ratio(r[0], sizeof(r[0]), ns_alto, ns_dsp);
			ratio(r[1], sizeof(r[1]), ns_alto_nm, ns_dsp);
			ratio(r[2], sizeof(r[2]), ns_alto, ns_copy);
			if (markdown)
				printf("| %u | %u | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
						q, n, s[0], s[1], s[2], s[3], s[4], s[5], r[0], r[1], r[2]);
			else
				printf("%7u %6u %9s %9s %9s %9s %9s %9s %10s %10s %10s\n",
						q, n, s[0], s[1], s[2], s[3], s[4], s[5], r[0], r[1], r[2]);
			fflush(stdout);
			/* the mixers must agree on what they computed */
			if (ns_dsp > 0 && (c1 - c3 > 1e-4f || c3 - c1 > 1e-4f))
				fprintf(stderr, "warning: alto and pw dsp disagree: %g vs %g\n", c1, c3);
			if (c1 != c2 || c1 != c5)
				fprintf(stderr, "warning: alto kernels disagree: %g %g %g\n", c1, c2, c5);
			(void)c4;
		}
	}

done:
	for (i = 0; i < MAX_INPUTS; i++)
		free(input_mem[i]);
	spa_handle_clear(cpu_handle);
	free(cpu_handle);
	dlclose(alto.dl);
	dlclose(pw.dl);
	dlclose(sup.dl);
	return 0;
}
