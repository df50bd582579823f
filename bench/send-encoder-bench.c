/* send-encoder-bench: CPU of alto's send encoder per second of audio
 * ("## Send" in bench/README.md).
 *
 * The real send path minus the network: a 48 kHz mono 16-bit WAV (speech)
 * is written into the send ring in 1024-sample quanta, as the send stream's
 * process() does, and the send encoder (Opus, RTP, NACK history) drains it
 * after each quantum, handing its packets to a callback that only counts
 * them. Thread CPU time (CLOCK_THREAD_CPUTIME_ID) of the whole loop, per
 * second of audio, for a few encoder settings, best of --rounds rounds (the
 * machine is shared). Also libopus alone (alto_opus_encode on the same
 * frames, same settings) to show what the ring, the packetizer and the
 * history add.
 *
 *   send-encoder-bench FILE.wav [--seconds S] [--rounds R] [--markdown] */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "opus_codec.h"
#include "send-encoder.h"
#include "send-ring.h"

struct counter {
	uint64_t packets;
	uint64_t bytes;
};

static int count_rtp(void *data, const uint8_t *buf, size_t len, uint64_t capture_ns)
{
	struct counter *c = data;

	(void)buf;
	(void)capture_ns;
	c->packets++;
	c->bytes += len;
	return 0;
}

static const struct alto_send_encoder_events events = {
	.version = ALTO_VERSION_SEND_ENCODER_EVENTS,
	.send_rtp = count_rtp,
};

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static float *read_wav(const char *path, uint32_t *frames)
{
	FILE *fp = fopen(path, "rb");
	uint8_t hdr[12], ch[8];
	float *pcm = NULL;

	if (fp == NULL || fread(hdr, 1, 12, fp) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4))
		goto out;
	while (fread(ch, 1, 8, fp) == 8) {
		uint32_t size = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 | (uint32_t)ch[7] << 24;
		if (memcmp(ch, "data", 4) == 0) {
			int16_t *s = malloc(size);
			*frames = size / 2;
			if (s && fread(s, 1, size, fp) == size && (pcm = malloc(*frames * sizeof(float)))) {
				for (uint32_t i = 0; i < *frames; i++)
					pcm[i] = (float)s[i] / 32768.0f;
			}
			free(s);
			break;
		}
		fseek(fp, (long)(size + (size & 1)), SEEK_CUR);
	}
out:
	if (fp)
		fclose(fp);
	return pcm;
}

struct setting {
	const char *name;
	int bitrate;
	int complexity;
	bool fec;
	bool dtx;
};

/* One round: seconds of audio (the file looped) through ring + encoder. */
static double run_alto(const struct setting *s, const float *pcm, uint32_t n_pcm, uint32_t total,
		struct counter *c)
{
	struct alto_send_encoder_config cfg;
	struct alto_send_encoder_media media = { .ssrc = 1, .payload_type = 111, .mid_ext_id = 4,
						 .audio_level_ext_id = 1, .mid = "0" };
	struct alto_send_ring *ring = alto_send_ring_new(0, ALTO_SEND_FRAME_SIZE);
	struct alto_send_encoder *enc;
	float quantum[1024];
	double t0, t1;

	alto_send_encoder_config_default(&cfg);
	cfg.bitrate = s->bitrate;
	cfg.complexity = s->complexity;
	cfg.fec = s->fec;
	cfg.dtx = s->dtx;
	memset(c, 0, sizeof(*c));
	enc = alto_send_encoder_new(NULL, ring, &cfg, &events, c);
	if (ring == NULL || enc == NULL || alto_send_encoder_start(enc, &media) < 0) {
		fprintf(stderr, "send-encoder-bench: setup failed\n");
		exit(1);
	}
	t0 = thread_cpu_s();
	for (uint32_t done = 0, k = 0; done < total; done += 1024) {
		for (uint32_t i = 0; i < 1024; i++, k++)
			quantum[i] = pcm[k % n_pcm];
		alto_send_ring_write(ring, quantum, 1024, done);
		alto_send_encoder_process(enc, done);
	}
	t1 = thread_cpu_s();
	alto_send_encoder_destroy(enc);
	alto_send_ring_destroy(ring);
	return t1 - t0;
}

static double run_libopus(const struct setting *s, const float *pcm, uint32_t n_pcm, uint32_t total)
{
	struct alto_opus_encoder_config cfg;
	struct alto_opus_encoder *enc;
	float frame[960];
	uint8_t out[1500];
	double t0, t1;

	alto_opus_encoder_config_default(&cfg);
	cfg.bitrate = s->bitrate;
	cfg.complexity = s->complexity;
	cfg.inband_fec = s->fec;
	cfg.dtx = s->dtx;
	if (alto_opus_encoder_create(&enc, &cfg) < 0)
		exit(1);
	t0 = thread_cpu_s();
	for (uint32_t done = 0, k = 0; done + 960 <= total; done += 960) {
		for (uint32_t i = 0; i < 960; i++, k++)
			frame[i] = pcm[k % n_pcm];
		alto_opus_encode(enc, frame, out, sizeof(out));
	}
	t1 = thread_cpu_s();
	alto_opus_encoder_destroy(enc);
	return t1 - t0;
}

int main(int argc, char *argv[])
{
	static const struct setting settings[] = {
		{ "32 kb/s, complexity 10, FEC, DTX (alto's default)", 32000, 10, true, true },
		{ "32 kb/s, complexity 10, no FEC, DTX", 32000, 10, false, true },
		{ "32 kb/s, complexity 5, FEC, DTX", 32000, 5, true, true },
		{ "64 kb/s, complexity 10, FEC, DTX", 64000, 10, true, true },
	};
	const char *file = NULL;
	double seconds = 60.0;
	int rounds = 5;
	bool markdown = false;
	uint32_t n_pcm = 0, total;
	float *pcm;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--markdown") == 0)
			markdown = true;
		else if (file == NULL && argv[i][0] != '-')
			file = argv[i];
		else {
			fprintf(stderr, "usage: send-encoder-bench FILE.wav [--seconds S] [--rounds R] [--markdown]\n");
			return 2;
		}
	}
	if (file == NULL || (pcm = read_wav(file, &n_pcm)) == NULL || n_pcm == 0) {
		fprintf(stderr, "send-encoder-bench: need a 48 kHz mono 16-bit WAV\n");
		return 1;
	}
	total = (uint32_t)(seconds * 48000.0);
	if (markdown) {
		printf("| encoder setting | alto send path (ms CPU / s audio) | libopus alone (ms / s) | path overhead | packets/s | kb/s on the wire (RTP) |\n");
		printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	}
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		const struct setting *s = &settings[i];
		double best_alto = 1e9, best_opus = 1e9;
		struct counter c = { 0 };
		for (int r = 0; r < rounds; r++) {
			double a = run_alto(s, pcm, n_pcm, total, &c);
			double o = run_libopus(s, pcm, n_pcm, total);
			best_alto = a < best_alto ? a : best_alto;
			best_opus = o < best_opus ? o : best_opus;
		}
		double ms_alto = best_alto * 1000.0 / seconds, ms_opus = best_opus * 1000.0 / seconds;
		double pps = (double)c.packets / seconds, kbps = (double)c.bytes * 8.0 / seconds / 1000.0;
		if (markdown)
			printf("| %s | %.2f | %.2f | %+.1f%% | %.1f | %.1f |\n", s->name, ms_alto, ms_opus,
			       100.0 * (ms_alto - ms_opus) / ms_opus, pps, kbps);
		else
			printf("%-52s alto %.2f ms/s  libopus %.2f ms/s  %.1f packets/s  %.1f kb/s\n", s->name,
			       ms_alto, ms_opus, pps, kbps);
	}
	free(pcm);
	return 0;
}
