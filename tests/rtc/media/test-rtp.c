/* RTP parse/build: known byte vectors, round trips, malformed input, wrap
 * helpers, RFC 6464 audio level. */
#include <errno.h>
#include <stdint.h>

#include "rtp.h"
#include "test_util.h"

static void test_known_one_byte_vector(void)
{
	static const uint8_t pkt[] = {
		0x91, 0xef, 0x12, 0x34,			/* V=2 X=1 CC=1, M=1 PT=111, seq */
		0xde, 0xad, 0xbe, 0xef,			/* timestamp */
		0x01, 0x02, 0x03, 0x04,			/* ssrc */
		0x0a, 0x0b, 0x0c, 0x0d,			/* csrc */
		0xbe, 0xde, 0x00, 0x02,			/* one-byte profile, 2 words */
		0x10, 0x85,				/* id 1 len 1: V=1 level 5 */
		0x00,					/* padding between elements */
		0x32, 'a', 'b', '0',			/* id 3 len 3: mid "ab0" */
		0x00,
		0xf8, 0xff, 0xfe,			/* payload */
	};
	struct alto_rtp_packet p;
	const uint8_t *d;
	size_t len;
	bool vad;
	uint8_t level;

	CHECK_EQ(alto_rtp_parse(pkt, sizeof(pkt), &p), 0);
	CHECK(p.marker);
	CHECK(p.extension);
	CHECK(!p.padding);
	CHECK_EQ(p.payload_type, 111);
	CHECK_EQ(p.seq, 0x1234);
	CHECK_EQ(p.timestamp, 0xdeadbeef);
	CHECK_EQ(p.ssrc, 0x01020304);
	CHECK_EQ(p.csrc_count, 1);
	CHECK_EQ(p.csrc[0], 0x0a0b0c0d);
	CHECK_EQ(p.ext_profile, 0xbede);
	CHECK_EQ(p.ext_len, 8);
	CHECK_EQ(p.n_extensions, 2);
	CHECK_EQ(p.payload_len, 3);
	CHECK(p.payload == pkt + 28);

	CHECK_EQ(alto_rtp_get_audio_level(&p, 1, &vad, &level), 0);
	CHECK(vad);
	CHECK_EQ(level, 5);
	CHECK_EQ(alto_rtp_find_extension(&p, 3, &d, &len), 0);
	CHECK_EQ(len, 3);
	CHECK(memcmp(d, "ab0", 3) == 0);
	CHECK_EQ(alto_rtp_find_extension(&p, 4, &d, &len), -ENOENT);
}

static void test_known_two_byte_vector(void)
{
	static const uint8_t pkt[] = {
		0x90, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03,
		0x10, 0x00, 0x00, 0x02,			/* two-byte profile, 2 words */
		0x0f, 0x00,				/* id 15, empty */
		0x20, 0x03, 'x', 'y', 'z',		/* id 32 len 3 */
		0x00,
		0x01,
	};
	struct alto_rtp_packet p;
	const uint8_t *d;
	size_t len;

	CHECK_EQ(alto_rtp_parse(pkt, sizeof(pkt), &p), 0);
	CHECK(!p.marker);
	CHECK_EQ(p.n_extensions, 2);
	CHECK_EQ(alto_rtp_find_extension(&p, 15, &d, &len), 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(alto_rtp_find_extension(&p, 32, &d, &len), 0);
	CHECK_EQ(len, 3);
	CHECK(memcmp(d, "xyz", 3) == 0);
	CHECK_EQ(p.payload_len, 1);
	CHECK_EQ(p.payload[0], 0x01);
}

static void test_padding_and_reserved_id(void)
{
	static const uint8_t padded[] = {
		0xa0, 0x6f, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3,
		0xaa, 0xbb, 0x00, 0x00, 0x03,
	};
	/* ID 15 in the one-byte profile ends the element list */
	static const uint8_t reserved[] = {
		0x90, 0x6f, 0x00, 0x01, 0, 0, 0, 2, 0, 0, 0, 3,
		0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0xf0, 0xff,
		0x42,
	};
	struct alto_rtp_packet p;

	CHECK_EQ(alto_rtp_parse(padded, sizeof(padded), &p), 0);
	CHECK(p.padding);
	CHECK_EQ(p.padding_len, 3);
	CHECK_EQ(p.payload_len, 2);
	CHECK_EQ(p.payload[1], 0xbb);

	CHECK_EQ(alto_rtp_parse(reserved, sizeof(reserved), &p), 0);
	CHECK_EQ(p.n_extensions, 1);
	CHECK_EQ(p.extensions[0].id, 1);
	CHECK_EQ(p.payload_len, 1);
}

static void test_malformed(void)
{
	static const uint8_t base[12] = { 0x80, 0x6f, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	uint8_t b[64];
	struct alto_rtp_packet p;

	CHECK_EQ(alto_rtp_parse(base, 12, &p), 0);	/* empty payload is valid */
	CHECK_EQ(p.payload_len, 0);
	CHECK_EQ(alto_rtp_parse(base, 11, &p), -EBADMSG);
	CHECK_EQ(alto_rtp_parse(base, 0, &p), -EBADMSG);
	CHECK_EQ(alto_rtp_parse(NULL, 12, &p), -EINVAL);

	memcpy(b, base, 12);
	b[0] = 0x40;					/* version 1 */
	CHECK_EQ(alto_rtp_parse(b, 12, &p), -EBADMSG);

	memcpy(b, base, 12);
	b[0] = 0x82;					/* 2 CSRCs, 1 present */
	memset(b + 12, 0, 4);
	CHECK_EQ(alto_rtp_parse(b, 16, &p), -EBADMSG);

	memcpy(b, base, 12);
	b[0] = 0x90;					/* extension header cut */
	b[12] = 0xbe; b[13] = 0xde;
	CHECK_EQ(alto_rtp_parse(b, 14, &p), -EBADMSG);
	b[14] = 0x00; b[15] = 0x0a;			/* 10 words, none there */
	CHECK_EQ(alto_rtp_parse(b, 20, &p), -EBADMSG);

	b[15] = 0x01;					/* one-byte element too long */
	b[16] = 0x1f; b[17] = 0xaa; b[18] = 0xbb; b[19] = 0xcc;
	CHECK_EQ(alto_rtp_parse(b, 20, &p), -EBADMSG);

	b[12] = 0x10; b[13] = 0x00;			/* two-byte element too long */
	b[16] = 0x01; b[17] = 0x05;
	CHECK_EQ(alto_rtp_parse(b, 20, &p), -EBADMSG);
	b[16] = 0x00; b[17] = 0x00; b[18] = 0x00; b[19] = 0x07;	/* len byte missing */
	CHECK_EQ(alto_rtp_parse(b, 20, &p), -EBADMSG);

	memcpy(b, base, 12);
	b[0] = 0xa0;					/* padding count 0 */
	b[12] = 0x11; b[13] = 0x00;
	CHECK_EQ(alto_rtp_parse(b, 14, &p), -EBADMSG);
	b[13] = 3;					/* more padding than bytes */
	CHECK_EQ(alto_rtp_parse(b, 14, &p), -EBADMSG);
	b[13] = 2;					/* exactly the payload */
	CHECK_EQ(alto_rtp_parse(b, 14, &p), 0);
	CHECK_EQ(p.payload_len, 0);

	memcpy(b, base, 12);				/* padding eats the extension */
	b[0] = 0xb0;
	b[12] = 0xbe; b[13] = 0xde; b[14] = 0; b[15] = 1; b[16] = 0x10; b[17] = 1; b[18] = 0; b[19] = 4;
	CHECK_EQ(alto_rtp_parse(b, 20, &p), -EBADMSG);
}

static void test_build_round_trip(void)
{
	static const uint8_t payload[] = { 0xf8, 0x01, 0x02, 0x03, 0x04 };
	uint8_t level = alto_rtp_audio_level_byte(true, 30);
	struct alto_rtp_packet in = {
		.marker = true, .payload_type = 111, .seq = 65535, .timestamp = 0xfffffff0,
		.ssrc = 0xcafebabe, .csrc_count = 2, .csrc = { 1, 2 },
		.n_extensions = 2,
		.extensions = {
			{ .id = 4, .len = 1, .data = &level },		/* ssrc-audio-level */
			{ .id = 9, .len = 1, .data = (const uint8_t *)"0" },	/* sdes:mid */
		},
		.payload = payload, .payload_len = sizeof(payload),
	};
	struct alto_rtp_packet out;
	uint8_t buf[128];
	size_t len;
	bool vad;
	uint8_t lv;
	const uint8_t *d;
	size_t dl;

	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), 0);
	/* 12 + 8 csrc + 4 ext header + (2 + 2 -> 4) ext + 5 payload */
	CHECK_EQ(len, 33);
	CHECK_EQ(buf[20], 0xbe);
	CHECK_EQ(buf[21], 0xde);
	CHECK_EQ(buf[24], 0x40);			/* id 4, len 1 */
	CHECK_EQ(buf[25], 0x80 | 30);
	CHECK_EQ(alto_rtp_parse(buf, len, &out), 0);
	CHECK(out.marker);
	CHECK_EQ(out.payload_type, 111);
	CHECK_EQ(out.seq, 65535);
	CHECK_EQ(out.timestamp, 0xfffffff0);
	CHECK_EQ(out.ssrc, 0xcafebabe);
	CHECK_EQ(out.csrc_count, 2);
	CHECK_EQ(out.csrc[1], 2);
	CHECK_EQ(alto_rtp_get_audio_level(&out, 4, &vad, &lv), 0);
	CHECK(vad);
	CHECK_EQ(lv, 30);
	CHECK_EQ(alto_rtp_find_extension(&out, 9, &d, &dl), 0);
	CHECK_EQ(dl, 1);
	CHECK_EQ(d[0], '0');
	CHECK_EQ(out.payload_len, sizeof(payload));
	CHECK(memcmp(out.payload, payload, sizeof(payload)) == 0);

	/* a 20-byte mid does not fit one-byte elements: two-byte profile */
	in.extensions[1] = (struct alto_rtp_extension) {
		.id = 9, .len = 20, .data = (const uint8_t *)"01234567890123456789",
	};
	in.padding_len = 4;
	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), 0);
	CHECK_EQ(buf[20], 0x10);
	CHECK_EQ(buf[21], 0x00);
	CHECK_EQ(alto_rtp_parse(buf, len, &out), 0);
	CHECK_EQ(out.padding_len, 4);
	CHECK_EQ(out.payload_len, sizeof(payload));
	CHECK_EQ(alto_rtp_find_extension(&out, 9, &d, &dl), 0);
	CHECK_EQ(dl, 20);
	CHECK(memcmp(d, "01234567890123456789", 20) == 0);
	CHECK_EQ(alto_rtp_get_audio_level(&out, 4, &vad, &lv), 0);
	CHECK_EQ(lv, 30);

	/* id 15 is reserved in one-byte: two-byte profile too */
	in.extensions[1] = (struct alto_rtp_extension) { .id = 15, .len = 1, .data = (const uint8_t *)"x" };
	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), 0);
	CHECK_EQ(buf[20], 0x10);
	CHECK_EQ(alto_rtp_parse(buf, len, &out), 0);
	CHECK_EQ(alto_rtp_find_extension(&out, 15, &d, &dl), 0);

	/* no extensions: 12-byte header only */
	in.n_extensions = 0;
	in.csrc_count = 0;
	in.padding_len = 0;
	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 12 + sizeof(payload));
	CHECK_EQ(buf[0], 0x80);
	CHECK_EQ(buf[1], 0x80 | 111);

	CHECK_EQ(alto_rtp_build(&in, buf, len - 1, &len), -ENOSPC);
	in.payload_type = 128;
	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), -EINVAL);
	in.payload_type = 111;
	in.n_extensions = 1;
	in.extensions[0].id = 0;
	CHECK_EQ(alto_rtp_build(&in, buf, sizeof(buf), &len), -EINVAL);
}

static void test_wrap_helpers(void)
{
	CHECK_EQ(alto_rtp_seq_diff(0, 65535), 1);
	CHECK_EQ(alto_rtp_seq_diff(65535, 0), -1);
	CHECK_EQ(alto_rtp_seq_diff(100, 100), 0);
	CHECK_EQ(alto_rtp_seq_diff(32767, 0), 32767);
	CHECK_EQ(alto_rtp_ts_diff(5, 0xfffffffb), 10);
	CHECK_EQ(alto_rtp_ts_diff(0xfffffffb, 5), -10);

	uint64_t ext = 65530;
	for (uint32_t i = 1; i <= 20; i++)
		ext = alto_rtp_seq_unwrap(ext, (uint16_t)(65530 + i));
	CHECK_EQ(ext, 65550);
	ext = alto_rtp_seq_unwrap(ext, 65535);		/* reordered back over the wrap */
	CHECK_EQ(ext, 65535);
	CHECK_EQ(alto_rtp_seq_unwrap(3, 65535), 65535);	/* never below zero */

	uint64_t t = 0xffffff00ull;
	t = alto_rtp_ts_unwrap(t, 0x100);
	CHECK_EQ(t, 0x100000100ull);
}

static void test_audio_level_and_demux(void)
{
	float sine[4800], quiet[480];

	for (int i = 0; i < 4800; i++)
		sine[i] = (float)sin(2 * M_PI * 1000.0 * i / 48000.0);
	/* full-scale sine: RMS 1/sqrt(2), -3 dBov */
	CHECK_EQ(alto_rtp_audio_level_dbov(sine, 4800), 3);
	for (int i = 0; i < 4800; i++)
		sine[i] *= 0.01f;				/* -43 dBov */
	CHECK_EQ(alto_rtp_audio_level_dbov(sine, 4800), 43);
	memset(quiet, 0, sizeof(quiet));
	CHECK_EQ(alto_rtp_audio_level_dbov(quiet, 480), 127);
	CHECK_EQ(alto_rtp_audio_level_byte(false, 200), 127);

	static const uint8_t rtcp_rr[] = { 0x80, 201, 0, 1, 0, 0, 0, 1 };
	static const uint8_t rtp[] = { 0x80, 111, 0, 1 };
	static const uint8_t rtp_marker[] = { 0x80, 0x80 | 111, 0, 1 };
	CHECK(alto_rtp_is_rtcp(rtcp_rr, sizeof(rtcp_rr)));
	CHECK(!alto_rtp_is_rtcp(rtp, sizeof(rtp)));
	CHECK(!alto_rtp_is_rtcp(rtp_marker, sizeof(rtp_marker)));
	CHECK(!alto_rtp_is_rtcp(rtp, 1));
}

int main(void)
{
	RUN(test_known_one_byte_vector);
	RUN(test_known_two_byte_vector);
	RUN(test_padding_and_reserved_id);
	RUN(test_malformed);
	RUN(test_build_round_trip);
	RUN(test_wrap_helpers);
	RUN(test_audio_level_and_demux);
	return 0;
}
