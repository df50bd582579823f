/* RFC 2198 RED: a known payload, build/parse round trip, malformed input. */
#include <errno.h>
#include <stdint.h>

#include "red.h"
#include "test_util.h"

static const uint8_t known[] = {
	0xef, 0x1e, 0x00, 0x03,		/* F=1 PT 111, offset 1920, len 3 */
	0xef, 0x0f, 0x00, 0x02,		/* F=1 PT 111, offset 960, len 2 */
	0x6f,				/* F=0 PT 111: primary */
	1, 2, 3, 4, 5, 6, 7, 8, 9,
};

static void test_known(void)
{
	struct alto_red_block b[ALTO_RED_MAX_BLOCKS];
	size_t n;

	CHECK_EQ(alto_red_parse(known, sizeof(known), 10000, b, ALTO_RED_MAX_BLOCKS, &n), 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(b[0].payload_type, 111);
	CHECK_EQ(b[0].timestamp, 8080);
	CHECK_EQ(b[0].len, 3);
	CHECK_EQ(b[0].data[0], 1);
	CHECK(!b[0].primary);
	CHECK_EQ(b[1].timestamp, 9040);
	CHECK_EQ(b[1].len, 2);
	CHECK_EQ(b[1].data[0], 4);
	CHECK(b[2].primary);
	CHECK_EQ(b[2].timestamp, 10000);
	CHECK_EQ(b[2].len, 4);
	CHECK_EQ(b[2].data[0], 6);
	CHECK_EQ(b[2].data[3], 9);

	/* the timestamp offset wraps with the RTP clock */
	CHECK_EQ(alto_red_parse(known, sizeof(known), 100, b, ALTO_RED_MAX_BLOCKS, &n), 0);
	CHECK_EQ(b[0].timestamp, (uint32_t)(100 - 1920));

	/* primary only */
	static const uint8_t only[] = { 0x6f, 0xaa };
	CHECK_EQ(alto_red_parse(only, sizeof(only), 5, b, ALTO_RED_MAX_BLOCKS, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(b[0].primary);
	CHECK_EQ(b[0].len, 1);
}

static void test_malformed(void)
{
	struct alto_red_block b[ALTO_RED_MAX_BLOCKS];
	size_t n = 99;
	uint8_t buf[64];

	CHECK_EQ(alto_red_parse(known, 0, 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);
	CHECK_EQ(n, 0);
	CHECK_EQ(alto_red_parse(known, 3, 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);	/* header cut */
	CHECK_EQ(alto_red_parse(known, 8, 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);	/* no primary */
	CHECK_EQ(alto_red_parse(known, 11, 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);	/* data cut */
	CHECK_EQ(alto_red_parse(known, sizeof(known), 0, b, 2, &n), -EBADMSG);		/* too many */
	CHECK_EQ(alto_red_parse(NULL, 4, 0, b, 2, &n), -EINVAL);

	/* redundant block length past the end */
	memcpy(buf, known, sizeof(known));
	buf[3] = 0xff;
	CHECK_EQ(alto_red_parse(buf, sizeof(known), 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);

	/* headers only, all F=1 */
	memset(buf, 0xef, sizeof(buf));
	CHECK_EQ(alto_red_parse(buf, sizeof(buf), 0, b, ALTO_RED_MAX_BLOCKS, &n), -EBADMSG);
}

static void test_round_trip(void)
{
	static const uint8_t d0[] = { 0xa0, 0xa1 }, d1[] = { 0xb0 }, d2[] = { 0xc0, 0xc1, 0xc2 };
	struct alto_red_block in[3] = {
		{ .payload_type = 111, .timestamp = 4294966336u, .data = d0, .len = sizeof(d0) },
		{ .payload_type = 111, .timestamp = 0, .data = d1, .len = sizeof(d1) },
		{ .payload_type = 111, .timestamp = 960, .data = d2, .len = sizeof(d2) },
	};
	struct alto_red_block out[ALTO_RED_MAX_BLOCKS];
	uint8_t buf[64];
	size_t len, n;

	CHECK_EQ(alto_red_build(in, 3, 960, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 4 + 4 + 1 + 6);
	CHECK_EQ(alto_red_parse(buf, len, 960, out, ALTO_RED_MAX_BLOCKS, &n), 0);
	CHECK_EQ(n, 3);
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ(out[i].payload_type, 111);
		CHECK_EQ(out[i].timestamp, in[i].timestamp);
		CHECK_EQ(out[i].len, in[i].len);
		CHECK(memcmp(out[i].data, in[i].data, in[i].len) == 0);
	}
	CHECK_EQ(alto_red_build(in, 3, 960, buf, len - 1, &len), -ENOSPC);

	in[0].timestamp = 960 - 16384;			/* offset beyond 14 bits */
	CHECK_EQ(alto_red_build(in, 3, 960, buf, sizeof(buf), &len), -EINVAL);
	in[0].timestamp = 0;
	in[0].len = 1024;				/* length beyond 10 bits */
	CHECK_EQ(alto_red_build(in, 3, 960, buf, sizeof(buf), &len), -EINVAL);
}

int main(void)
{
	RUN(test_known);
	RUN(test_malformed);
	RUN(test_round_trip);
	return 0;
}
