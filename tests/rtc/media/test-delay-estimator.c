/* The arrival delay percentile the jitter buffer's target follows. */
#include <stdint.h>

#include "delay_estimator.h"
#include "test_util.h"

#define MS 1000000ull

static void test_no_jitter(void)
{
	struct alto_delay_estimator e;

	alto_delay_estimator_init(&e, 48000);
	/* RTP timestamps near the wrap, arrival after months of uptime */
	uint64_t t0 = 120ull * 24 * 3600 * 1000 * MS;
	for (uint32_t k = 0; k < 3000; k++)
		alto_delay_estimator_update(&e, 0xffff0000u + k * 960, t0 + k * 20 * MS + 30 * MS);
	CHECK_EQ(alto_delay_estimator_packets(&e), 3000);
	CHECK_EQ(alto_delay_estimator_percentile(&e), 240);	/* the first 5 ms bucket */
}

static void test_uniform_jitter(void)
{
	struct alto_delay_estimator e;
	unsigned int rng = 42;

	alto_delay_estimator_init(&e, 48000);
	for (uint32_t k = 0; k < 6000; k++) {
		uint64_t jitter = (uint64_t)(40.0 * test_rand_unit(&rng) * MS);
		alto_delay_estimator_update(&e, k * 960, k * 20 * MS + jitter);
	}
	/* 97 % of a uniform 0..40 ms lies below 38.8 ms: the 40 ms bucket edge */
	fprintf(stderr, "uniform 0..40 ms: p97 %u frames\n", alto_delay_estimator_percentile(&e));
	CHECK_EQ(alto_delay_estimator_percentile(&e), 40 * 48);

	/* the network calms down: the percentile follows within two minutes
	 * (the histogram forgets with a 28 s time constant) */
	for (uint32_t k = 6000; k < 12000; k++)
		alto_delay_estimator_update(&e, k * 960, k * 20 * MS);
	CHECK_EQ(alto_delay_estimator_percentile(&e), 240);
}

static void test_one_spike_is_not_the_norm(void)
{
	struct alto_delay_estimator e;

	alto_delay_estimator_init(&e, 48000);
	for (uint32_t k = 0; k < 300; k++)
		alto_delay_estimator_update(&e, k * 960, k * 20 * MS);
	/* a 500 ms stall, then the held packets in a burst */
	for (uint32_t k = 300; k < 325; k++)
		alto_delay_estimator_update(&e, k * 960, 325 * 20 * MS);
	CHECK(alto_delay_estimator_percentile(&e) <= 240);
	/* but the same spike every few seconds is */
	for (uint32_t round = 1; round < 20; round++)
		for (uint32_t k = 0; k < 100; k++) {
			uint32_t n = 325 + round * 100 + k;
			uint64_t arrival = k < 25 ? (325 + round * 100 + 25) * 20 * MS : n * 20 * MS;
			alto_delay_estimator_update(&e, n * 960, arrival);
		}
	fprintf(stderr, "repeated 500 ms stalls: p97 %u frames\n", alto_delay_estimator_percentile(&e));
	CHECK(alto_delay_estimator_percentile(&e) >= 300 * 48);
}

int main(void)
{
	RUN(test_no_jitter);
	RUN(test_uniform_jitter);
	RUN(test_one_spike_is_not_the_norm);
	return 0;
}
