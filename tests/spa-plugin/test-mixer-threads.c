/* alto.mixer with a real data loop (PipeWire's support.loop from
 * libspa-support.so) running process() on its own thread, while the main
 * thread adds, links, unlinks, mutes and removes inputs as fast as it can.
 *
 * Every input carries 1.0 and every gain is 0 or 1 (volume ramps off), so
 * each output sample of a cycle must be the same whole number: a half-applied
 * port change would show as a mixed cycle, a port freed under process() as
 * an ASan report.
 * The main thread waits for the data thread to complete cycles between its
 * changes, so the two really interleave (no timing is measured). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spa/param/audio/format-utils.h>
#include <spa/support/system.h>
#include <spa/utils/string.h>

#include "mixer-harness.h"

#define Q		64
#define N_SLOTS		48	/* 24 stereo inputs */
#define OPS		3000

struct slot {
	struct spa_io_buffers io;
	struct spa_buffer buffer;
	struct spa_buffer *buffers[1];
	struct spa_data data;
	struct spa_chunk chunk;
	float mem[Q];
	bool linked;
};

static struct slot slots[N_SLOTS];
static struct harness h;
static struct spa_loop_control *control;
static int stop, bad_cycles;
static uint64_t cycles;

static void *data_thread(void *arg)
{
	uint32_t i, c, n;
	bool empty;

	spa_loop_control_enter(control);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		/* the invokes of the main thread run here, between cycles */
		spa_loop_control_iterate(control, 0);

		/* upstream: every slot has a buffer of ones this cycle */
		for (i = 0; i < N_SLOTS; i++) {
			slots[i].io.buffer_id = 0;
			slots[i].io.status = SPA_STATUS_HAVE_DATA;
		}
		spa_node_process(h.node);

		for (c = 0; c < 2; c++) {
			const float *out = h_take_output(&h, c, &n, &empty);
			if (out == NULL || n != Q) {
				bad_cycles++;
				continue;
			}
			for (i = 0; i < n; i++)
				if (out[i] != out[0] || out[i] != floorf(out[i]) ||
				    out[i] < 0 || out[i] > N_SLOTS / 2) {
					fprintf(stderr, "cycle %llu channel %u: sample %u is %g, "
							"sample 0 %g\n", (unsigned long long)cycles,
							c, i, out[i], out[0]);
					bad_cycles++;
					break;
				}
		}
		__atomic_add_fetch(&cycles, 1, __ATOMIC_RELEASE);
		sched_yield();
	}
	spa_loop_control_leave(control);
	return NULL;
}

/* waits until the data thread did at least one more cycle; fails the test
 * only if it never does (a hang), never on slowness */
static void wait_cycle(void)
{
	uint64_t start = __atomic_load_n(&cycles, __ATOMIC_ACQUIRE);
	struct timespec ts = { 0, 50000 };
	int i;

	for (i = 0; i < 600000; i++) {
		if (__atomic_load_n(&cycles, __ATOMIC_ACQUIRE) != start)
			return;
		nanosleep(&ts, NULL);
	}
	CHECK(!"the data loop stopped cycling");
	exit(1);
}

static int link_slot(uint32_t id)
{
	struct slot *s = &slots[id];
	uint8_t buf[256] SPA_ALIGNED(8);
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buf, sizeof(buf));
	struct spa_pod *fmt = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_Format, SPA_PARAM_Format,
			SPA_FORMAT_mediaType,    SPA_POD_Id(SPA_MEDIA_TYPE_audio),
			SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_dsp),
			SPA_FORMAT_AUDIO_format, SPA_POD_Id(SPA_AUDIO_FORMAT_DSP_F32));
	int res;

	if ((res = spa_node_port_set_param(h.node, SPA_DIRECTION_INPUT, id, SPA_PARAM_Format, 0, fmt)) < 0 ||
	    (res = spa_node_port_use_buffers(h.node, SPA_DIRECTION_INPUT, id, 0, s->buffers, 1)) < 0 ||
	    (res = spa_node_port_set_io(h.node, SPA_DIRECTION_INPUT, id, SPA_IO_Buffers,
			&s->io, sizeof(s->io))) < 0)
		return res;
	s->linked = true;
	return 0;
}

static int unlink_slot(uint32_t id)
{
	slots[id].linked = false;
	spa_node_port_set_io(h.node, SPA_DIRECTION_INPUT, id, SPA_IO_Buffers, NULL, 0);
	return spa_node_port_use_buffers(h.node, SPA_DIRECTION_INPUT, id, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	struct h_real_loop real;
	pthread_t thread;
	uint32_t i, op;
	char name[16];

	h_init_args(argc, argv);
	srand(11);

	/* PipeWire's own loop: its invoke queues to the loop's thread and
	 * waits when called from another one */
	if (h_real_loop_open(&real) < 0)
		return 1;
	control = real.control;

	CHECK_INT(h_open(&h, SPA_CPU_FLAG_SSE2, real.loop,
			(const char *const[]){ "alto.mixer.ramp-ms", "0", NULL }), ==, 0);
	h.log_level = SPA_LOG_LEVEL_ERROR;	/* "exists" warnings are part of the game */
	h_set_quantum(&h, Q);
	CHECK_INT(h_connect_output(&h, 0), ==, 0);
	CHECK_INT(h_connect_output(&h, 1), ==, 0);
	for (i = 0; i < N_SLOTS; i++) {
		struct slot *s = &slots[i];
		for (uint32_t j = 0; j < Q; j++)
			s->mem[j] = 1.0f;
		s->chunk = (struct spa_chunk) { .size = Q * sizeof(float), .stride = sizeof(float) };
		s->data = (struct spa_data) { .type = SPA_DATA_MemPtr, .data = s->mem,
			.maxsize = sizeof(s->mem), .chunk = &s->chunk };
		s->buffer = (struct spa_buffer) { .n_datas = 1, .datas = &s->data };
		s->buffers[0] = &s->buffer;
		s->io = (struct spa_io_buffers) { SPA_STATUS_NEED_DATA, SPA_ID_INVALID };
	}

	pthread_create(&thread, NULL, data_thread, NULL);
	/* the loop belongs to the data thread from its first cycle on */
	wait_cycle();

	for (op = 0; op < OPS; op++) {
		uint32_t k = rand() % (N_SLOTS / 2), id = 2 * k + rand() % 2;
		struct alto_mixer_port_metrics m;

		snprintf(name, sizeof(name), "p%u", k);
		switch (rand() % 6) {
		case 0:
		case 1:
			/* the pair comes back at the lowest free even id: link what exists */
			if (alto_mixer_add_input(h.control, name, &i) == 0) {
				CHECK_INT(link_slot(i), ==, 0);
				CHECK_INT(link_slot(i + 1), ==, 0);
			}
			break;
		case 2:
			if (h.in_info[id].exists)
				CHECK_INT(spa_node_remove_port(h.node, SPA_DIRECTION_INPUT, id), ==, 0);
			break;
		case 3:
			if (h.in_info[id].exists && slots[id].linked)
				CHECK_INT(unlink_slot(id), ==, 0);
			else if (h.in_info[id].exists)
				CHECK_INT(link_slot(id), ==, 0);
			break;
		case 4:
			if (h.in_info[id].exists)
				CHECK_INT(h_set_port_volume(&h, id, (float)(rand() % 2), rand() % 2), ==, 0);
			break;
		case 5:
			if (h.in_info[id].exists)
				CHECK_INT(alto_mixer_get_port_metrics(h.control, id, &m), ==, 0);
			break;
		}
		if (op % 3 == 0)
			wait_cycle();
	}
	wait_cycle();

	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);

	fprintf(stderr, "%llu cycles ran during %u port operations\n",
			(unsigned long long)cycles, OPS);
	CHECK_INT(bad_cycles, ==, 0);
	CHECK_INT(cycles, >=, OPS / 3);

	h_close(&h);
	h_real_loop_close(&real);
	return h_finish("test-mixer-threads");
}
