/* send-stream-probe: the send stream alone on a real PipeWire daemon, for
 * tests/integration/send-stream.test.mjs (before and beside the room
 * session). It creates the ring and the send stream as the session does,
 * drains the ring on the main loop (standing in for the encoder) and prints
 * one JSON object per line:
 *   {"event":"node","id":N,"name":"..."}
 *   {"event":"source_linked","name":"...","id":N}
 *   {"event":"mute","muted":true}
 *   {"event":"level","rms_dbfs":-15.1,"tone_dbfs":-12.0,"samples":24000,"muted":false}  (every 0.5 s)
 * stdin lines: "mute" / "unmute" (a mute from the room: alto_send_stream_set_muted), "quit".
 *
 *   send-stream-probe --room R [--node-name N] [--description D] [--source NODE] [--muted] [--freq 440]
 *
 * Threads: the PipeWire main loop (everything here) and the data loop
 * (the stream's process()). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipewire/pipewire.h>

#include "send-ring.h"
#include "send-stream.h"

#define WINDOW	24000	/* 0.5 s */

struct probe {
	struct pw_main_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
	struct alto_send_ring *ring;
	struct alto_send_stream *stream;
	double freq;
	float frame[960];
	double sum_sq, re, im;
	uint64_t n;
	struct spa_source *stdin_source;
	char line[256];
	size_t line_len;
};

static void on_node_id(void *data, uint32_t id)
{
	struct probe *p = data;

	printf("{\"event\":\"node\",\"id\":%u,\"name\":\"%s\"}\n", id, alto_send_stream_node_name(p->stream));
	fflush(stdout);
}

static void on_mute_changed(void *data, bool muted)
{
	printf("{\"event\":\"mute\",\"muted\":%s}\n", muted ? "true" : "false");
	fflush(stdout);
}

static void on_source_linked(void *data, const char *name, uint32_t id)
{
	printf("{\"event\":\"source_linked\",\"name\":\"%s\",\"id\":%u}\n", name, id);
	fflush(stdout);
}

static void on_error(void *data, int res, const char *message)
{
	printf("{\"event\":\"error\",\"message\":\"%s\"}\n", message);
	fflush(stdout);
}

static const struct alto_send_stream_events stream_events = {
	.version = ALTO_VERSION_SEND_STREAM_EVENTS,
	.node_id = on_node_id,
	.mute_changed = on_mute_changed,
	.source_linked = on_source_linked,
	.error = on_error,
};

static double db(double x)
{
	return 20.0 * log10(x > 1e-12 ? x : 1e-12);
}

/* Standing in for the encoder: take whole frames, measure a window. */
static void on_timer(void *data, uint64_t expirations)
{
	struct probe *p = data;

	while (alto_send_ring_read(p->ring, p->frame, 960, NULL) == 960) {
		for (int i = 0; i < 960; i++) {
			double x = p->frame[i], w = 2.0 * M_PI * p->freq * (double)p->n / 48000.0;
			p->sum_sq += x * x;
			p->re += x * cos(w);
			p->im += x * sin(w);
			p->n++;
			if (p->n == WINDOW) {
				double amp = 2.0 * sqrt(p->re * p->re + p->im * p->im) / WINDOW;
				printf("{\"event\":\"level\",\"rms_dbfs\":%.2f,\"tone_dbfs\":%.2f,\"samples\":%d,\"muted\":%s}\n",
				       db(sqrt(p->sum_sq / WINDOW)), db(amp), WINDOW,
				       alto_send_ring_get_muted(p->ring) ? "true" : "false");
				fflush(stdout);
				p->sum_sq = p->re = p->im = 0.0;
				p->n = 0;
			}
		}
	}
}

static void on_stdin(void *data, int fd, uint32_t mask)
{
	struct probe *p = data;
	char c;

	if (read(fd, &c, 1) != 1) {
		/* no (more) commands: keep running until a signal */
		pw_loop_destroy_source(pw_main_loop_get_loop(p->loop), p->stdin_source);
		return;
	}
	if (c != '\n') {
		if (p->line_len + 1 < sizeof(p->line))
			p->line[p->line_len++] = c;
		return;
	}
	p->line[p->line_len] = '\0';
	p->line_len = 0;
	if (strcmp(p->line, "mute") == 0)
		alto_send_stream_set_muted(p->stream, true);
	else if (strcmp(p->line, "unmute") == 0)
		alto_send_stream_set_muted(p->stream, false);
	else if (strcmp(p->line, "quit") == 0)
		pw_main_loop_quit(p->loop);
}

static void on_signal(void *data, int sig)
{
	pw_main_loop_quit(((struct probe *)data)->loop);
}

int main(int argc, char *argv[])
{
	struct probe p = { .freq = 440.0 };
	struct alto_send_stream_config cfg = { 0 };
	static const struct option opts[] = {
		{ "room", required_argument, NULL, 'r' },
		{ "source", required_argument, NULL, 's' },
		{ "muted", no_argument, NULL, 'm' },
		{ "freq", required_argument, NULL, 'f' },
		{ "node-name", required_argument, NULL, 'n' },
		{ "description", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct spa_source *timer;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': cfg.room = optarg; break;
		case 's': cfg.source = optarg; break;
		case 'm': cfg.muted = true; break;
		case 'f': p.freq = atof(optarg); break;
		case 'n': cfg.node_name = optarg; break;
		case 'd': cfg.description = optarg; break;
		default:
			fprintf(stderr, "usage: send-stream-probe --room R [--node-name N] [--description D] "
				"[--source NODE] [--muted] [--freq HZ]\n");
			return 1;
		}
	}
	if (cfg.room == NULL) {
		fprintf(stderr, "send-stream-probe: --room is required\n");
		return 1;
	}
	pw_init(&argc, &argv);
	p.loop = pw_main_loop_new(NULL);
	p.context = pw_context_new(pw_main_loop_get_loop(p.loop), NULL, 0);
	p.core = pw_context_connect(p.context, NULL, 0);
	if (p.core == NULL) {
		fprintf(stderr, "send-stream-probe: cannot connect to PipeWire: %m\n");
		return 1;
	}
	p.ring = alto_send_ring_new(0, 960);
	p.stream = alto_send_stream_new(p.core, p.ring, &cfg, &stream_events, &p);
	if (p.ring == NULL || p.stream == NULL) {
		fprintf(stderr, "send-stream-probe: %m\n");
		return 1;
	}
	pw_loop_add_signal(pw_main_loop_get_loop(p.loop), SIGINT, on_signal, &p);
	pw_loop_add_signal(pw_main_loop_get_loop(p.loop), SIGTERM, on_signal, &p);
	p.stdin_source = pw_loop_add_io(pw_main_loop_get_loop(p.loop), STDIN_FILENO, SPA_IO_IN | SPA_IO_HUP, false, on_stdin, &p);
	timer = pw_loop_add_timer(pw_main_loop_get_loop(p.loop), on_timer, &p);
	pw_loop_update_timer(pw_main_loop_get_loop(p.loop), timer, &(struct timespec){ 0, 1 },
			     &(struct timespec){ 0, 20000000 }, false);

	pw_main_loop_run(p.loop);

	alto_send_stream_destroy(p.stream);
	alto_send_ring_destroy(p.ring);
	pw_core_disconnect(p.core);
	pw_context_destroy(p.context);
	pw_main_loop_destroy(p.loop);
	pw_deinit();
	return 0;
}
