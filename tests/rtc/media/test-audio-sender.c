/* The send side: a tone, silence (DTX) and the tone again through the real
 * encoder and alto_audio_sender; the packets must carry what LiveKit reads
 * (mid, audio level, markers, DTX rule) and play back right through a
 * jitter buffer. */
#include <errno.h>
#include <stdint.h>

#include "audio_sender.h"
#include "jitter_buffer.h"
#include "rtcp.h"
#include "rtp.h"
#include "test_util.h"

#define FRAMES 250		/* 5 s: tone 0-2 s, silence 2-4 s, tone 4-5 s */

static uint8_t pkts[FRAMES][1500];
static size_t lens[FRAMES];
static uint64_t frame_of[FRAMES];

static void test_send_and_play_back(void)
{
	struct alto_opus_encoder_config ecfg;
	struct alto_opus_encoder *enc;
	struct alto_audio_sender_config cfg = {
		.ssrc = 0x1234, .payload_type = 111, .mid_ext_id = 4, .mid = "0",
		.audio_level_ext_id = 1, .first_seq = 65500, .first_ts = 0xfffff000u,
	};
	struct alto_audio_sender snd;
	size_t n = 0, tiny = 0, markers = 0;
	float pcm[960];

	alto_opus_encoder_config_default(&ecfg);
	CHECK_EQ(alto_opus_encoder_create(&enc, &ecfg), 0);
	CHECK_EQ(alto_audio_sender_init(&snd, &cfg), 0);

	for (uint64_t k = 0; k < FRAMES; k++) {
		bool silent = k >= 100 && k < 200;
		for (int i = 0; i < 960; i++)
			pcm[i] = silent ? 0.0f : (float)(0.3 * sin(2 * M_PI * 440.0 * (double)(k * 960 + i) / 48000.0));
		int len = alto_audio_sender_packetize(&snd, enc, pcm, pkts[n], sizeof(pkts[n]));
		CHECK(len >= 0);
		if (len == 0) {
			CHECK(silent);
			continue;
		}
		lens[n] = (size_t)len;
		frame_of[n] = k;
		n++;
	}
	fprintf(stderr, "sent %zu packets for %d frames\n", n, FRAMES);
	CHECK(n < FRAMES - 50);		/* DTX saved most of the silence */

	for (size_t i = 0; i < n; i++) {
		struct alto_rtp_packet p;
		const uint8_t *mid;
		size_t mid_len;
		bool voice;
		uint8_t level;

		CHECK_EQ(alto_rtp_parse(pkts[i], lens[i], &p), 0);
		CHECK_EQ(p.payload_type, 111);
		CHECK_EQ(p.ssrc, 0x1234);
		/* numbered without gaps, timed by frames (skipped ones too) */
		CHECK_EQ(p.seq, (uint16_t)(65500 + i));
		CHECK_EQ(p.timestamp, (uint32_t)(0xfffff000u + frame_of[i] * 960));
		CHECK_EQ(alto_rtp_find_extension(&p, 4, &mid, &mid_len), 0);
		CHECK(mid_len == 1 && mid[0] == '0');
		CHECK_EQ(alto_rtp_get_audio_level(&p, 1, &voice, &level), 0);
		if (p.payload_len <= 2) {
			tiny++;
			CHECK(!voice);
			CHECK_EQ(level, 127);
		} else if (frame_of[i] < 100 || frame_of[i] >= 205) {
			CHECK(voice);
			CHECK_NEAR(level, 13, 1);	/* 0.3 peak: RMS -13.5 dBov */
		}
		/* markers: the first packet, and the first one after DTX */
		if (p.marker) {
			markers++;
			CHECK(i == 0 || frame_of[i] != frame_of[i - 1] + 1);
		}
	}
	fprintf(stderr, "%zu DTX packets sent, %zu markers\n", tiny, markers);
	CHECK(tiny >= 1 && tiny <= 10);		/* one per DTX run (libopus refreshes noise every 400 ms) */
	CHECK(markers >= 2);

	/* sender report: what was sent */
	uint8_t sr_buf[64];
	size_t sr_len;
	CHECK_EQ(alto_audio_sender_build_sr(&snd, 0x0123456789abcdefull, 960, sr_buf, sizeof(sr_buf), &sr_len), 0);
	CHECK_EQ(sr_len, 28);
	CHECK_EQ(sr_buf[20] << 24 | sr_buf[21] << 16 | sr_buf[22] << 8 | sr_buf[23], (int)n);

	/* and back: the jitter buffer plays the tone, silence, the tone */
	struct alto_jitter_buffer_config jcfg;
	struct alto_jitter_buffer *jb;
	static float out[FRAMES * 960 + 48000];
	size_t next = 0, done = 0;
	alto_jitter_buffer_config_default(&jcfg);
	CHECK_EQ(alto_jitter_buffer_create(&jb, &jcfg), 0);
	/* up to the end of the stream (past it the buffer would starve) */
	while (done + 1024 <= FRAMES * 960) {
		uint64_t now_ns = (uint64_t)done * 1000000000ull / 48000;
		while (next < n && frame_of[next] * 20000000ull + 30000000ull <= now_ns) {
			CHECK_EQ(alto_jitter_buffer_push(jb, pkts[next], lens[next], 1000000000ull + now_ns), 0);
			next++;
		}
		CHECK_EQ(alto_jitter_buffer_pull(jb, out + done, 1024), 0);
		done += 1024;
	}
	struct alto_jitter_buffer_metrics m;
	alto_jitter_buffer_get_metrics(jb, &m);
	fprintf(stderr, "played back: lost %lu underruns %lu late %lu invalid %lu resyncs %lu dropped %lu\n",
		m.lost, m.underruns, m.late, m.invalid, m.resyncs, m.dropped);
	CHECK_EQ(m.packets, next);
	CHECK_EQ(m.lost + m.underruns + m.late + m.invalid, 0);
	/* tone at 1 s, silence at 3 s, tone at 4.7 s (all delays < 0.2 s) */
	CHECK_NEAR(to_db(goertzel_amplitude(out + 48000, 4800, 1, 440.0, 48000)), to_db(0.3), 1.0);
	CHECK(rms(out + 3 * 48000, 4800, 1) < 1e-3);
	CHECK_NEAR(to_db(goertzel_amplitude(out + 4700 * 48, 4800, 1, 440.0, 48000)), to_db(0.3), 1.0);
	alto_jitter_buffer_destroy(jb);

	CHECK_EQ(alto_audio_sender_packetize(&snd, enc, pcm, pkts[0], 20), -ENOSPC);
	alto_opus_encoder_destroy(enc);

	struct alto_audio_sender bad;
	cfg.audio_level_ext_id = 4;		/* same id twice */
	CHECK_EQ(alto_audio_sender_init(&bad, &cfg), -EINVAL);
	cfg.audio_level_ext_id = 1;
	cfg.mid[0] = '\0';			/* a mid extension without a mid */
	CHECK_EQ(alto_audio_sender_init(&bad, &cfg), -EINVAL);
}

int main(void)
{
	RUN(test_send_and_play_back);
	return 0;
}
