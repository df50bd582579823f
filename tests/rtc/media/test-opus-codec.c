/* Opus wrapper: a tone through the real encoder and decoder keeps its
 * level and frequency; PLC and FEC decode; LBRR detection on real and
 * hand-made packets; DTX; invalid input. */
#include <errno.h>
#include <stdint.h>

#include "opus_codec.h"
#include "test_util.h"

#define FRAME 960
#define TONE_HZ 440.0
#define TONE_AMP 0.3

static void tone(float *pcm, int frames, int channels, uint64_t start)
{
	for (int i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			pcm[i * channels + c] = (float)(TONE_AMP * sin(2 * M_PI * TONE_HZ * (double)(start + i) / 48000.0));
}

static void test_tone_round_trip(void)
{
	struct alto_opus_encoder_config cfg;
	struct alto_opus_encoder *enc;
	struct alto_opus_decoder *dec;
	static float out[50 * FRAME];
	float in[FRAME];
	uint8_t pkt[1500];

	alto_opus_encoder_config_default(&cfg);
	CHECK_EQ(alto_opus_encoder_create(&enc, &cfg), 0);
	CHECK_EQ(alto_opus_encoder_frame_size(enc), FRAME);
	CHECK_EQ(alto_opus_decoder_create(&dec, 1), 0);
	CHECK_EQ(alto_opus_decoder_channels(dec), 1);

	for (int k = 0; k < 50; k++) {
		tone(in, FRAME, 1, (uint64_t)k * FRAME);
		int len = alto_opus_encode(enc, in, pkt, sizeof(pkt));
		CHECK(len > 2);
		CHECK_EQ(alto_opus_packet_duration(pkt, (size_t)len), FRAME);
		CHECK_EQ(alto_opus_decode(dec, pkt, (size_t)len, out + k * FRAME, FRAME), FRAME);
	}
	/* last 0.5 s: 4800-sample windows hold exactly 44 periods of 440 Hz */
	for (int w = 5; w < 10; w++) {
		const float *x = out + w * 4800;
		double a = goertzel_amplitude(x, 4800, 1, TONE_HZ, 48000);
		CHECK_NEAR(to_db(a), to_db(TONE_AMP), 1.0);
		/* nearly all energy at 440 Hz: the frequency is right */
		CHECK(a / sqrt(2.0) > 0.9 * rms(x, 4800, 1));
		CHECK(goertzel_amplitude(x, 4800, 1, 1000.0, 48000) < 0.01 * a);
	}
	alto_opus_encoder_destroy(enc);
	alto_opus_decoder_destroy(dec);
}

static void test_fec_plc_and_stereo(void)
{
	struct alto_opus_encoder_config cfg;
	struct alto_opus_encoder *enc, *enc_nofec;
	struct alto_opus_decoder *dec, *stereo;
	float in[FRAME], out[2 * FRAME];
	uint8_t pkt[1500];
	int with_fec = 0, without_fec = 0, len = 0;
	bool fec_checked = false;

	alto_opus_encoder_config_default(&cfg);
	cfg.packet_loss_perc = 20;
	CHECK_EQ(alto_opus_encoder_create(&enc, &cfg), 0);
	cfg.inband_fec = false;
	CHECK_EQ(alto_opus_encoder_create(&enc_nofec, &cfg), 0);
	CHECK_EQ(alto_opus_decoder_create(&dec, 1), 0);
	CHECK_EQ(alto_opus_decoder_create(&stereo, 2), 0);

	struct voice_gen voice = { 0 };
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < FRAME; i++)
			in[i] = voice_next(&voice);
		len = alto_opus_encode(enc_nofec, in, pkt, sizeof(pkt));
		CHECK(len > 0);
		without_fec += alto_opus_packet_has_fec(pkt, (size_t)len);
		len = alto_opus_encode(enc, in, pkt, sizeof(pkt));
		CHECK(len > 0);
		with_fec += alto_opus_packet_has_fec(pkt, (size_t)len);
		if (k >= 20 && alto_opus_packet_has_fec(pkt, (size_t)len) == 1 && !fec_checked) {
			/* packet k-1 "lost": rebuild it from k's LBRR; it holds the
			 * voice at about the level of the packet itself */
			CHECK_EQ(alto_opus_decode_fec(dec, pkt, (size_t)len, out, FRAME), FRAME);
			double level = rms(out, FRAME, 1);
			CHECK_EQ(alto_opus_decode(dec, pkt, (size_t)len, out, FRAME), FRAME);
			CHECK_NEAR(to_db(level), to_db(rms(out, FRAME, 1)), 6.0);
			fec_checked = true;
			continue;
		}
		CHECK_EQ(alto_opus_decode(dec, pkt, (size_t)len, out, FRAME), FRAME);
		CHECK_EQ(alto_opus_decode(stereo, pkt, (size_t)len, out, FRAME), FRAME);
	}
	fprintf(stderr, "LBRR in %d/50 packets with FEC, %d/50 without\n", with_fec, without_fec);
	CHECK(with_fec >= 25);
	CHECK(fec_checked);
	CHECK_EQ(without_fec, 0);

	/* a mono stream decoded to stereo: the tone in both channels */
	for (int k = 0; k < 10; k++) {
		tone(in, FRAME, 1, (uint64_t)k * FRAME);
		len = alto_opus_encode(enc, in, pkt, sizeof(pkt));
		CHECK_EQ(alto_opus_decode(stereo, pkt, (size_t)len, out, FRAME), FRAME);
		CHECK_EQ(alto_opus_decode(dec, pkt, (size_t)len, out + FRAME, FRAME), FRAME);
	}
	CHECK_NEAR(to_db(goertzel_amplitude(out + 1, 480, 2, TONE_HZ, 48000)), to_db(TONE_AMP), 2.0);
	CHECK_NEAR(to_db(goertzel_amplitude(out + 0, 480, 2, TONE_HZ, 48000)),
		   to_db(goertzel_amplitude(out + 1, 480, 2, TONE_HZ, 48000)), 0.1);

	/* PLC continues the tone for a packet */
	CHECK_EQ(alto_opus_decode_plc(dec, out, FRAME), FRAME);
	fprintf(stderr, "PLC tone level %.1f dB\n", to_db(goertzel_amplitude(out, 480, 1, TONE_HZ, 48000)));
	CHECK(to_db(goertzel_amplitude(out, 480, 1, TONE_HZ, 48000)) > to_db(TONE_AMP) - 6.0);
	CHECK_EQ(alto_opus_decode_plc(dec, out, 240), 240);
	CHECK_EQ(alto_opus_decode_plc(dec, out, 100), -EINVAL);	/* not a multiple of 2.5 ms */
	CHECK_EQ(alto_opus_decode_plc(dec, out, 6000), -EINVAL);
	CHECK_EQ(alto_opus_decode_fec(dec, pkt, (size_t)len, out, 130), -EINVAL);
	CHECK_EQ(alto_opus_decoder_reset(dec), 0);

	alto_opus_encoder_destroy(enc);
	alto_opus_encoder_destroy(enc_nofec);
	alto_opus_decoder_destroy(dec);
	alto_opus_decoder_destroy(stereo);
}

static void test_lbrr_flag_vectors(void)
{
	/* SILK NB 20 ms mono (config 1): bit 7 VAD, bit 6 LBRR */
	static const uint8_t silk20_lbrr[] = { 0x08, 0x40 }, silk20_vad[] = { 0x08, 0x80 };
	/* SILK NB 40 ms (config 2): two VAD bits, then LBRR at bit 5 */
	static const uint8_t silk40_lbrr[] = { 0x10, 0x20 }, silk40_vad[] = { 0x10, 0x40 };
	/* SILK NB 20 ms stereo: mid VAD/LBRR bits 7/6, side VAD/LBRR bits 5/4 */
	static const uint8_t stereo_side_lbrr[] = { 0x0c, 0x10 };
	/* hybrid SWB 20 ms (config 13) */
	static const uint8_t hybrid_lbrr[] = { 0x68, 0x40 };
	/* CELT FB 20 ms (config 31): never LBRR */
	static const uint8_t celt[] = { 0xf8, 0xff };
	/* TOC-only (DTX) packet */
	static const uint8_t dtx[] = { 0x08 };

	CHECK_EQ(alto_opus_packet_has_fec(silk20_lbrr, 2), 1);
	CHECK_EQ(alto_opus_packet_has_fec(silk20_vad, 2), 0);
	CHECK_EQ(alto_opus_packet_has_fec(silk40_lbrr, 2), 1);
	CHECK_EQ(alto_opus_packet_has_fec(silk40_vad, 2), 0);
	CHECK_EQ(alto_opus_packet_has_fec(stereo_side_lbrr, 2), 1);
	CHECK_EQ(alto_opus_packet_has_fec(hybrid_lbrr, 2), 1);
	CHECK_EQ(alto_opus_packet_has_fec(celt, 2), 0);
	CHECK_EQ(alto_opus_packet_has_fec(dtx, 1), 0);
	CHECK_EQ(alto_opus_packet_duration(silk40_lbrr, 2), 1920);
	CHECK_EQ(alto_opus_packet_duration(dtx, 1), 960);
}

static void test_dtx_and_invalid(void)
{
	struct alto_opus_encoder_config cfg;
	struct alto_opus_encoder *enc;
	struct alto_opus_decoder *dec;
	float zero[FRAME] = { 0 }, out[FRAME];
	uint8_t pkt[1500];
	int tiny = 0;

	alto_opus_encoder_config_default(&cfg);
	CHECK_EQ(alto_opus_encoder_create(&enc, &cfg), 0);
	for (int k = 0; k < 50; k++) {
		int len = alto_opus_encode(enc, zero, pkt, sizeof(pkt));
		CHECK(len > 0);
		tiny += len <= 2;
	}
	fprintf(stderr, "DTX: %d/50 packets of <= 2 bytes in 1 s of silence\n", tiny);
	CHECK(tiny >= 30);

	CHECK_EQ(alto_opus_decoder_create(&dec, 1), 0);
	/* code 3 without its frame-count byte, a 0-byte packet */
	static const uint8_t bad[] = { 0x03 };
	static const uint8_t bad_cbr[] = { 0x0b, 0x03, 0x01, 0x02 };	/* 3 CBR frames in 3 bytes */
	CHECK_EQ(alto_opus_packet_duration(bad, 1), -EBADMSG);
	CHECK_EQ(alto_opus_packet_duration(bad, 0), -EBADMSG);
	CHECK_EQ(alto_opus_packet_has_fec(bad, 1), -EBADMSG);
	CHECK_EQ(alto_opus_decode(dec, bad, 1, out, FRAME), -EBADMSG);
	CHECK_EQ(alto_opus_decode(dec, bad_cbr, sizeof(bad_cbr), out, FRAME), -EBADMSG);
	CHECK_EQ(alto_opus_decode(dec, bad, 0, out, FRAME), -EINVAL);
	alto_opus_decoder_destroy(dec);
	alto_opus_encoder_destroy(enc);

	struct alto_opus_decoder *none_dec = NULL;
	struct alto_opus_encoder *none_enc = NULL;
	CHECK_EQ(alto_opus_decoder_create(&none_dec, 3), -EINVAL);
	cfg.frame_size = 1000;
	CHECK_EQ(alto_opus_encoder_create(&none_enc, &cfg), -EINVAL);
	alto_opus_encoder_config_default(&cfg);
	cfg.packet_loss_perc = 101;
	CHECK_EQ(alto_opus_encoder_create(&none_enc, &cfg), -EINVAL);
	CHECK(none_dec == NULL && none_enc == NULL);
}

int main(void)
{
	RUN(test_tone_round_trip);
	RUN(test_fec_plc_and_stereo);
	RUN(test_lbrr_flag_vectors);
	RUN(test_dtx_and_invalid);
	return 0;
}
