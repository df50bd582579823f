/* RFC 3550 reception statistics against hand-computed values. */
#include <errno.h>
#include <stdint.h>

#include "rtp_stats.h"
#include "test_util.h"

#define MS 1000000ull

static void test_loss_and_fraction(void)
{
	struct alto_rtp_stats s;
	struct alto_rtcp_report_block rb;
	static const uint16_t seqs[] = { 1001, 1002, 1004, 1005, 1008 };

	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 1000), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 1000, 0, 0), -EAGAIN);	/* probation */
	CHECK_EQ(alto_rtp_stats_report_block(&s, 42, 0, &rb), -EAGAIN);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
		CHECK_EQ(alto_rtp_stats_update(&s, seqs[i], (seqs[i] - 1000u) * 960u, 0), 0);

	/* validated at 1001: expected 1001..1008 = 8, received 5, lost 3 */
	CHECK_EQ(alto_rtp_stats_expected(&s), 8);
	CHECK_EQ(alto_rtp_stats_lost(&s), 3);
	CHECK_EQ(alto_rtp_stats_report_block(&s, 42, 0, &rb), 0);
	CHECK_EQ(rb.ssrc, 42);
	CHECK_EQ(rb.fraction_lost, 96);				/* 3/8 × 256 */
	CHECK_EQ(rb.cumulative_lost, 3);
	CHECK_EQ(rb.ext_highest_seq, 1008);
	CHECK_EQ(rb.lsr, 0);
	CHECK_EQ(rb.dlsr, 0);

	/* next interval: 1009, 1010 arrive: nothing lost in it */
	CHECK_EQ(alto_rtp_stats_update(&s, 1009, 9 * 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 1010, 10 * 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_report_block(&s, 42, 0, &rb), 0);
	CHECK_EQ(rb.fraction_lost, 0);
	CHECK_EQ(rb.cumulative_lost, 3);

	/* a duplicate counts as received (A.1): cumulative loss goes down */
	CHECK_EQ(alto_rtp_stats_update(&s, 1010, 10 * 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_report_block(&s, 42, 0, &rb), 0);
	CHECK_EQ(rb.fraction_lost, 0);
	CHECK_EQ(rb.cumulative_lost, 2);

	/* 1011 lost, 1012 arrives: 1 of 2 lost in this interval */
	CHECK_EQ(alto_rtp_stats_update(&s, 1012, 12 * 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_report_block(&s, 42, 0, &rb), 0);
	CHECK_EQ(rb.fraction_lost, 128);
	CHECK_EQ(rb.cumulative_lost, 3);
	CHECK_EQ(rb.ext_highest_seq, 1012);
}

static void test_jitter(void)
{
	struct alto_rtp_stats s;

	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 0), 0);
	/* 20 ms packets (960 units) arriving every 20 ms; packet 3 is 1 ms
	 * (48 units) late. J += (|D| - J)/16 in the ×16 integer form:
	 * p3: D=48 -> 48 (J 3); p4: D=-48 -> 48+48-3 = 93 (J 5);
	 * p5: D=0 -> 93-6 = 87 (J 5) */
	for (uint32_t k = 0; k <= 5; k++) {
		uint64_t arrival = k * 20 * MS + (k == 3 ? 1 * MS : 0);
		int res = alto_rtp_stats_update(&s, (uint16_t)k, k * 960, arrival);
		CHECK_EQ(res, k == 0 ? -EAGAIN : 0);
		if (k == 2)
			CHECK_EQ(alto_rtp_stats_jitter(&s), 0);
		if (k == 3)
			CHECK_EQ(alto_rtp_stats_jitter(&s), 3);
		if (k == 4)
			CHECK_EQ(s.jitter_q4, 93);
	}
	CHECK_EQ(s.jitter_q4, 87);
	CHECK_EQ(alto_rtp_stats_jitter(&s), 5);

	/* a constant transit time gives zero jitter, whatever the offset, even
	 * with arrival times of months of uptime */
	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 10), 0);
	uint64_t base = 90ull * 24 * 3600 * 1000 * MS;
	for (uint32_t k = 0; k < 100; k++)
		alto_rtp_stats_update(&s, (uint16_t)(10 + k), 123456 + k * 960, base + k * 20 * MS);
	CHECK_EQ(alto_rtp_stats_jitter(&s), 0);
}

static void test_wrap_and_jump(void)
{
	struct alto_rtp_stats s;

	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 65534), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 65534, 0, 0), -EAGAIN);
	CHECK_EQ(alto_rtp_stats_update(&s, 65535, 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 0, 1920, 0), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 1, 2880, 0), 0);
	CHECK_EQ(alto_rtp_stats_ext_max_seq(&s), 65537);
	CHECK_EQ(alto_rtp_stats_expected(&s), 3);
	CHECK_EQ(alto_rtp_stats_lost(&s), 0);

	/* probation restarts on a non-sequential second packet */
	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 100), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 100, 0, 0), -EAGAIN);
	CHECK_EQ(alto_rtp_stats_update(&s, 300, 0, 0), -EAGAIN);
	CHECK_EQ(alto_rtp_stats_update(&s, 301, 0, 0), 0);
	CHECK_EQ(alto_rtp_stats_expected(&s), 1);

	/* a big jump waits for its successor, then the source restarts */
	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 1000), 0);
	alto_rtp_stats_update(&s, 1000, 0, 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 1001, 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_update(&s, 5000, 0, 0), -EAGAIN);
	CHECK_EQ(alto_rtp_stats_expected(&s), 1);
	CHECK_EQ(alto_rtp_stats_update(&s, 5001, 960, 0), 0);
	CHECK_EQ(alto_rtp_stats_expected(&s), 1);
	CHECK_EQ(s.base_seq, 5001);
	/* a reordered old packet is counted, max_seq does not move back */
	CHECK_EQ(alto_rtp_stats_update(&s, 5000, 0, 0), 0);
	CHECK_EQ(alto_rtp_stats_ext_max_seq(&s), 5001);
	CHECK_EQ(alto_rtp_stats_lost(&s), -1);
}

static void test_lsr_dlsr(void)
{
	struct alto_rtp_stats s;
	struct alto_rtcp_report_block rb;

	CHECK_EQ(alto_rtp_stats_init(&s, 48000, 1), 0);
	alto_rtp_stats_update(&s, 1, 0, 0);
	alto_rtp_stats_update(&s, 2, 960, 0);
	alto_rtp_stats_sr_received(&s, 0xaaaabbbbccccddddull, 1000 * MS);
	CHECK_EQ(alto_rtp_stats_report_block(&s, 9, 1500 * MS, &rb), 0);
	CHECK_EQ(rb.lsr, 0xbbbbcccc);
	CHECK_EQ(rb.dlsr, 32768);				/* 0.5 s in 1/65536 s */

	CHECK_EQ(alto_rtp_stats_init(&s, 0, 1), -EINVAL);
	CHECK_EQ(alto_rtp_stats_init(NULL, 48000, 1), -EINVAL);
}

int main(void)
{
	RUN(test_loss_and_fraction);
	RUN(test_jitter);
	RUN(test_wrap_and_jump);
	RUN(test_lsr_dlsr);
	return 0;
}
