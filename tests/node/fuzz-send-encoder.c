/* libFuzzer: RTCP from the network into the send encoder (NACK history,
 * receiver reports). The input is given to alto_send_encoder_handle_rtcp()
 * as it is, and also read as a list of sequence numbers made into a valid
 * generic NACK for our SSRC, so that the history lookups are exercised
 * whatever libFuzzer finds. Oracle: every retransmitted packet is byte for
 * byte one that was sent before, and no more than asked for. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtcp.h"
#include "send-encoder.h"
#include "send-ring.h"

#define SSRC		0x11223344u
#define SENT		600		/* 12 s: more than the history holds */

static struct alto_send_ring *ring;
static struct alto_send_encoder *enc;
static uint8_t sent[SENT][ALTO_SEND_MAX_PACKET];
static size_t sent_len[SENT];
static size_t n_sent;
static bool setup_done;
static size_t resent;

static int on_send_rtp(void *data, const uint8_t *buf, size_t len, uint64_t capture_ns)
{
	(void)data;
	if (len > ALTO_SEND_MAX_PACKET)
		abort();
	if (!setup_done) {
		if (n_sent < SENT) {
			memcpy(sent[n_sent], buf, len);
			sent_len[n_sent++] = len;
		}
		return 0;
	}
	/* a retransmission: must be one of ours, unchanged */
	if (capture_ns != 0)
		abort();
	for (size_t i = 0; i < n_sent; i++)
		if (sent_len[i] == len && memcmp(sent[i], buf, len) == 0) {
			resent++;
			return 0;
		}
	abort();
}

static const struct alto_send_encoder_events events = {
	.version = ALTO_VERSION_SEND_ENCODER_EVENTS,
	.send_rtp = on_send_rtp,
};

static void setup(void)
{
	struct alto_send_encoder_media media = { .ssrc = SSRC, .payload_type = 111, .mid_ext_id = 2,
						 .audio_level_ext_id = 1, .mid = "0" };
	struct alto_send_encoder_config cfg;
	struct timespec ts;
	float pcm[960];

	/* the longest history: the packets stay answerable for most of a run */
	alto_send_encoder_config_default(&cfg);
	cfg.history_ms = 10000;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ring = alto_send_ring_new(0, 960);
	enc = alto_send_encoder_new(NULL, ring, &cfg, &events, NULL);
	if (ring == NULL || enc == NULL || alto_send_encoder_start(enc, &media) < 0)
		abort();
	/* a tone, so that every frame is a packet; "sent" now, so that the
	 * recent ones are in the history's time window */
	for (int k = 0; k < SENT; k++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = (float)(0.25 * __builtin_sin(2.0 * 3.14159265358979 * 440.0 * (k * 960 + i) / 48000.0));
		alto_send_ring_write(ring, pcm, 960, 0);
		alto_send_encoder_process(enc, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
	}
	setup_done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t seqs[64];
	uint8_t nack[512];
	size_t n = 0, len;
	int res;

	if (!setup_done)
		setup();
	resent = 0;
	res = alto_send_encoder_handle_rtcp(enc, data, size);
	if (res > 0 && (size_t)res != resent)
		abort();

	for (size_t i = 0; i + 1 < size && n < 64; i += 2)
		seqs[n++] = (uint16_t)(data[i] << 8 | data[i + 1]);
	if (n > 0 && alto_rtcp_build_nack(nack, sizeof(nack), 1, SSRC, seqs, n, &len) == 0) {
		resent = 0;
		res = alto_send_encoder_handle_rtcp(enc, nack, len);
		if (res < 0 || (size_t)res != resent || resent > n)
			abort();
	}
	return 0;
}
