/* libFuzzer: a jitter buffer driven by arbitrary packets and pulls. The
 * input is a list of records; each either pulls (a few to 8192 frames) or
 * pushes an RTP packet whose sequence number, timestamp, SSRC, payload
 * type (Opus/RED/other) and arrival time step by fuzzer-chosen amounts and
 * whose payload is raw fuzzer bytes, a real Opus packet (voice, with FEC,
 * or a DTX one) or a RED payload of real packets. Every pull must fill its
 * buffer with finite samples in [-1, 1]. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jitter_buffer.h"
#include "opus_codec.h"
#include "red.h"
#include "rtp.h"

#define CANNED 12

static uint8_t canned[CANNED][400];
static size_t canned_len[CANNED];
static float out[8192 * 2];

static void init_canned(void)
{
	struct alto_opus_encoder_config cfg;
	struct alto_opus_encoder *enc;
	float pcm[960];
	double phase = 0;

	alto_opus_encoder_config_default(&cfg);
	cfg.packet_loss_perc = 20;
	if (alto_opus_encoder_create(&enc, &cfg) < 0)
		abort();
	for (int k = 0; k < CANNED; k++) {
		for (int i = 0; i < 960; i++) {
			phase += 2 * M_PI * (140.0 + 20 * k) / 48000.0;
			/* the last packets are silence: DTX */
			pcm[i] = k >= CANNED - 3 ? 0.0f : (float)(0.2 * (sin(phase) + 0.5 * sin(3 * phase)));
		}
		int len = alto_opus_encode(enc, pcm, canned[k], sizeof(canned[k]));
		if (len <= 0)
			abort();
		canned_len[k] = (size_t)len;
	}
	alto_opus_encoder_destroy(enc);
}

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t next(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	struct alto_jitter_buffer_config cfg;
	struct alto_jitter_buffer *jb;
	struct reader r = { data, size };
	uint16_t seq = 100;
	uint32_t ts = 1000, ssrc = 1;
	uint64_t arrival = 1000000000ull;

	if (!initialized) {
		init_canned();
		initialized = true;
	}
	alto_jitter_buffer_config_default(&cfg);
	cfg.channels = 1 + (next(&r) & 1);
	if (alto_jitter_buffer_create(&jb, &cfg) < 0)
		abort();

	while (r.left > 0) {
		uint8_t op = next(&r);

		if ((op & 3) == 0) {
			uint32_t n = op & 0x80 ? 1024 : 1 + (uint32_t)next(&r) * 32;
			if (alto_jitter_buffer_pull(jb, out, n) < 0)
				abort();
			for (uint32_t i = 0; i < n * cfg.channels; i++)
				if (!isfinite(out[i]) || fabsf(out[i]) > 1.0f)
					abort();
			/* what was played arrived already (arrival times only grow here) */
			uint64_t played_arrival;
			int res = alto_jitter_buffer_get_playout(jb, &played_arrival, NULL);
			if ((res == 0 && played_arrival > arrival) || (res < 0 && res != -ENODATA))
				abort();
			continue;
		}

		struct alto_rtp_packet rtp = { .payload_type = 111 };
		uint8_t payload[1500], pkt[1600];
		size_t plen = 0, len;

		seq = (uint16_t)(seq + (int8_t)next(&r));
		ts += (uint32_t)((int8_t)next(&r) * 120);
		arrival += (uint64_t)next(&r) * 1000000ull;
		if (op & 0x40)
			ssrc++;
		switch ((op >> 2) & 3) {
		case 0: {			/* raw bytes */
			plen = next(&r);
			for (size_t i = 0; i < plen; i++)
				payload[i] = next(&r);
			break;
		}
		case 1:
		case 2: {			/* a real Opus packet, maybe one byte flipped */
			size_t k = next(&r) % CANNED;
			memcpy(payload, canned[k], canned_len[k]);
			plen = canned_len[k];
			if (op & 0x20)
				payload[next(&r) % plen] ^= next(&r);
			break;
		}
		case 3: {			/* RED of real packets */
			struct alto_red_block b[3];
			size_t nb = 1 + next(&r) % 3;
			for (size_t i = 0; i < nb; i++) {
				size_t k = next(&r) % CANNED;
				b[i] = (struct alto_red_block) {
					.payload_type = next(&r) & 0x10 ? 96 : 111,
					.timestamp = ts - (uint32_t)(nb - 1 - i) * (uint32_t)(next(&r) * 8),
					.data = canned[k], .len = canned_len[k],
				};
			}
			if (alto_red_build(b, nb, ts, payload, sizeof(payload), &plen) < 0)
				plen = 0;
			rtp.payload_type = 63;
			break;
		}
		}
		if (op & 0x10)
			rtp.payload_type = next(&r) & 0x7f;
		rtp.seq = seq;
		rtp.timestamp = ts;
		rtp.ssrc = ssrc;
		rtp.payload = payload;
		rtp.payload_len = plen;
		if (alto_rtp_build(&rtp, pkt, sizeof(pkt), &len) == 0)
			alto_jitter_buffer_push(jb, pkt, len, op & 0x08 ? 0 : arrival);
	}

	struct alto_jitter_buffer_metrics m;
	double delay, target;
	alto_jitter_buffer_get_metrics(jb, &m);
	alto_jitter_buffer_get_delay(jb, &delay, &target);
	if (m.concealed + m.fec_recovered != m.lost)
		abort();
	alto_jitter_buffer_destroy(jb);
	return 0;
}
