/* send-feeder: the audio source of the send benchmark on the PipeWire side
 * (bench/send-latency.mjs). A playback stream (node.name bench-feeder,
 * F32 mono 48 kHz, DSP ports without a session manager) that the benchmark
 * links into alto's send stream, playing:
 *   1. --bursts N tone bursts (1 kHz, amplitude 0.25, 200 ms, one every
 *      1.0029 s so the onsets fall at every phase of a 20 ms frame), and for
 *      each onset a line {"event":"onset","n":k,"t":<ns>}: t is when the
 *      graph cycle that carries the onset started (position clock, i.e.
 *      CLOCK_MONOTONIC), the moment the sample became available to alto;
 *   2. then --wav FILE (48 kHz mono 16-bit) looped for --seconds S, with
 *      {"event":"phase","phase":"wav","t":..} at its start and
 *      {"event":"done","t":..} at its end (the CPU measurement window).
 * Then it exits.
 *
 *   send-feeder --bursts N --wav FILE --seconds S
 *
 * Threads: the main loop prints (a timer drains a small SPSC ring of
 * events), process() on the data loop generates. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pipewire/pipewire.h>
#include <spa/node/io.h>
#include <spa/param/audio/format-utils.h>
#include <spa/utils/ringbuffer.h>

#define RATE		48000
#define BURST		9600		/* 200 ms */
#define PERIOD		48139		/* 1.0029 s: not a multiple of 20 ms */
#define N_EVENTS	64

struct event {
	int type;		/* 0 onset, 1 wav phase, 2 done */
	uint32_t n;
	uint64_t t;
};

struct feeder {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	struct spa_hook listener;
	struct spa_io_position *position;

	uint32_t bursts;
	int16_t *wav;
	uint32_t wav_len;
	uint64_t wav_samples;		/* how many to play */

	/* data loop */
	uint64_t pos;			/* samples played */
	uint64_t wav_start;		/* pos where the wav phase starts */
	bool done;

	struct spa_ringbuffer ring;
	struct event events[N_EVENTS];
	bool finished;
};

static void push_event(struct feeder *f, int type, uint32_t n, uint64_t t)
{
	uint32_t idx;

	if (spa_ringbuffer_get_write_index(&f->ring, &idx) >= N_EVENTS)
		return;
	f->events[idx % N_EVENTS] = (struct event){ type, n, t };
	spa_ringbuffer_write_update(&f->ring, idx + 1);
}

static void on_process(void *data)
{
	struct feeder *f = data;
	struct pw_buffer *b;
	struct spa_data *d;
	float *out;
	uint32_t n;
	uint64_t t;

	if ((b = pw_stream_dequeue_buffer(f->stream)) == NULL)
		return;
	d = &b->buffer->datas[0];
	out = d->data;
	n = d->maxsize / sizeof(float);
	if (b->requested > 0 && b->requested < n)
		n = (uint32_t)b->requested;
	if (f->position) {
		t = f->position->clock.nsec;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t p = f->pos + i;
		float v = 0.0f;
		if (p < f->wav_start) {
			uint64_t in_period = p % PERIOD;
			if (in_period == 0)
				push_event(f, 0, (uint32_t)(p / PERIOD), t);
			if (in_period < BURST)
				v = (float)(0.25 * sin(2.0 * M_PI * 1000.0 * (double)in_period / RATE));
		} else if (p < f->wav_start + f->wav_samples && f->wav_len > 0) {
			if (p == f->wav_start)
				push_event(f, 1, 0, t);
			v = (float)f->wav[(p - f->wav_start) % f->wav_len] / 32768.0f;
		} else if (!f->done) {
			f->done = true;
			push_event(f, 2, 0, t);
		}
		out[i] = v;
	}
	f->pos += n;
	d->chunk->offset = 0;
	d->chunk->stride = sizeof(float);
	d->chunk->size = n * sizeof(float);
	pw_stream_queue_buffer(f->stream, b);
}

static void on_io_changed(void *data, uint32_t id, void *area, uint32_t size)
{
	struct feeder *f = data;

	if (id == SPA_IO_Position)
		f->position = size >= sizeof(struct spa_io_position) ? area : NULL;
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.io_changed = on_io_changed,
	.process = on_process,
};

static void on_timer(void *data, uint64_t expirations)
{
	struct feeder *f = data;
	uint32_t idx;
	int32_t avail = spa_ringbuffer_get_read_index(&f->ring, &idx);

	for (; avail > 0; avail--, idx++) {
		const struct event *e = &f->events[idx % N_EVENTS];
		if (e->type == 0)
			printf("{\"event\":\"onset\",\"n\":%u,\"t\":%llu}\n", e->n, (unsigned long long)e->t);
		else if (e->type == 1)
			printf("{\"event\":\"phase\",\"phase\":\"wav\",\"t\":%llu}\n", (unsigned long long)e->t);
		else {
			printf("{\"event\":\"done\",\"t\":%llu}\n", (unsigned long long)e->t);
			f->finished = true;
		}
		spa_ringbuffer_read_update(&f->ring, idx + 1);
	}
	fflush(stdout);
	if (f->finished)
		pw_main_loop_quit(f->loop);
}

/* A 48 kHz mono 16-bit PCM WAV: the samples of its data chunk. */
static int16_t *read_wav(const char *path, uint32_t *frames)
{
	FILE *fp = fopen(path, "rb");
	uint8_t hdr[12], ch[8];
	int16_t *pcm = NULL;

	if (fp == NULL || fread(hdr, 1, 12, fp) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4))
		goto out;
	while (fread(ch, 1, 8, fp) == 8) {
		uint32_t size = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 | (uint32_t)ch[7] << 24;
		if (memcmp(ch, "data", 4) == 0) {
			*frames = size / 2;
			if ((pcm = malloc(size)) == NULL || fread(pcm, 1, size, fp) != size) {
				free(pcm);
				pcm = NULL;
			}
			break;
		}
		fseek(fp, (long)(size + (size & 1)), SEEK_CUR);
	}
out:
	if (fp)
		fclose(fp);
	return pcm;
}

int main(int argc, char *argv[])
{
	struct feeder f = { 0 };
	const char *wav = NULL;
	double seconds = 0;
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_audio_info_raw info = { .format = SPA_AUDIO_FORMAT_F32, .rate = RATE, .channels = 1,
					   .position = { SPA_AUDIO_CHANNEL_MONO } };
	const struct spa_pod *params[1];
	struct spa_source *timer;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bursts") == 0 && i + 1 < argc)
			f.bursts = (uint32_t)atoi(argv[++i]);
		else if (strcmp(argv[i], "--wav") == 0 && i + 1 < argc)
			wav = argv[++i];
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: send-feeder --bursts N [--wav FILE --seconds S]\n");
			return 2;
		}
	}
	if (wav && (f.wav = read_wav(wav, &f.wav_len)) == NULL) {
		fprintf(stderr, "send-feeder: cannot read %s (48 kHz mono 16-bit WAV)\n", wav);
		return 1;
	}
	f.wav_start = (uint64_t)f.bursts * PERIOD;
	f.wav_samples = f.wav ? (uint64_t)(seconds * RATE) : 0;
	spa_ringbuffer_init(&f.ring);
	setvbuf(stdout, NULL, _IOLBF, 0);

	pw_init(&argc, &argv);
	f.loop = pw_main_loop_new(NULL);
	f.stream = pw_stream_new_simple(pw_main_loop_get_loop(f.loop), "bench-feeder",
		pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio", PW_KEY_MEDIA_CATEGORY, "Playback",
				  PW_KEY_NODE_NAME, "bench-feeder", PW_KEY_NODE_AUTOCONNECT, "false",
				  "adapter.auto-port-config", "{ mode = dsp position = preserve }", NULL),
		&stream_events, &f);
	params[0] = spa_format_audio_raw_build(&b, SPA_PARAM_EnumFormat, &info);
	if (pw_stream_connect(f.stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
			PW_STREAM_FLAG_MAP_BUFFERS | PW_STREAM_FLAG_RT_PROCESS | PW_STREAM_FLAG_AUTOCONNECT,
			params, 1) < 0) {
		fprintf(stderr, "send-feeder: cannot connect\n");
		return 1;
	}
	timer = pw_loop_add_timer(pw_main_loop_get_loop(f.loop), on_timer, &f);
	pw_loop_update_timer(pw_main_loop_get_loop(f.loop), timer, &(struct timespec){ 0, 1 },
			     &(struct timespec){ 0, 50000000 }, false);
	pw_main_loop_run(f.loop);
	pw_stream_destroy(f.stream);
	pw_main_loop_destroy(f.loop);
	free(f.wav);
	pw_deinit();
	return 0;
}
