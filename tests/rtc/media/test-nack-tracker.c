/* Unit tests of rtc/media/nack_tracker.h: which lost packets are requested,
 * when again, and when given up. Times are simulated (ms → ns). */
#include <errno.h>

#include "nack_tracker.h"
#include "test_util.h"

#define MS		1000000ull
#define FRAME		960u		/* 20 ms at 48 kHz */

static struct alto_nack_tracker *make(uint32_t delay_ms, uint32_t rtt_ms)
{
	struct alto_nack_tracker_config cfg;
	struct alto_nack_tracker *t = NULL;

	alto_nack_tracker_config_default(&cfg);
	cfg.playout_delay_ms = delay_ms;
	cfg.default_rtt_ms = rtt_ms;
	CHECK_EQ(alto_nack_tracker_create(&t, &cfg), 0);
	return t;
}

/* packet seq (of a stream starting at seq0, ts0) arriving on time: at seq × 20 ms + 1000 ms */
static int arrive(struct alto_nack_tracker *t, uint16_t seq0, uint32_t ts0, uint16_t seq, uint64_t late_ms)
{
	uint16_t k = (uint16_t)(seq - seq0);
	return alto_nack_tracker_packet(t, seq, ts0 + k * FRAME, (1000 + k * 20ull + late_ms) * MS);
}

static int poll_at(struct alto_nack_tracker *t, uint64_t ms, uint16_t *seqs, size_t cap, uint64_t *next)
{
	return alto_nack_tracker_poll(t, ms * MS, seqs, cap, next);
}

static void test_no_loss(void)
{
	struct alto_nack_tracker *t = make(40, 10);
	struct alto_nack_tracker_stats st;
	uint16_t seqs[8];
	uint64_t next = 123;

	for (uint16_t s = 0; s < 100; s++) {
		CHECK_EQ(arrive(t, 0, 0, s, s % 3), 0);	/* a little jitter */
		CHECK_EQ(poll_at(t, 1000 + s * 20ull, seqs, 8, &next), 0);
		CHECK_EQ(next, 0);
	}
	CHECK_EQ(arrive(t, 0, 0, 50, 30), 0);		/* a duplicate */
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.missing, 0);
	CHECK_EQ(st.requested, 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	alto_nack_tracker_destroy(t);
}

/* One lost packet: requested when the next one shows the gap, not again
 * before 2 × RTT, recovered when the retransmission comes. */
static void test_single_loss_recovered(void)
{
	struct alto_nack_tracker *t = make(60, 5);
	struct alto_nack_tracker_stats st;
	uint16_t seqs[8];
	uint64_t next;

	for (uint16_t s = 100; s <= 104; s++)
		arrive(t, 100, 5000, s, 0);
	CHECK_EQ(poll_at(t, 1080, seqs, 8, &next), 0);
	arrive(t, 100, 5000, 106, 0);			/* 105 is missing */
	CHECK_EQ(alto_nack_tracker_pending(t), 1);
	CHECK_EQ(poll_at(t, 1120, seqs, 8, &next), 1);
	CHECK_EQ(seqs[0], 105);
	CHECK_EQ(next, 1130 * MS);			/* 2 × RTT later */
	CHECK_EQ(poll_at(t, 1125, seqs, 8, &next), 0);
	CHECK_EQ(arrive(t, 100, 5000, 105, 22), 1);	/* the retransmission (105 was due at 1100) */
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	CHECK_EQ(poll_at(t, 1130, seqs, 8, &next), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(arrive(t, 100, 5000, 105, 30), 0);	/* a second copy: a duplicate */
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.missing, 1);
	CHECK_EQ(st.requested, 1);
	CHECK_EQ(st.recovered, 1);
	CHECK_EQ(st.expired, 0);
	alto_nack_tracker_destroy(t);
}

/* Retries every 2 × RTT (at least min_retry), at most max_requests, then
 * forgotten at the deadline. */
static void test_retries_and_deadline(void)
{
	struct alto_nack_tracker *t = make(200, 10);
	struct alto_nack_tracker_stats st;
	uint16_t seqs[8];
	uint64_t next;

	arrive(t, 0, 0, 0, 0);
	arrive(t, 0, 0, 1, 0);
	arrive(t, 0, 0, 3, 0);				/* 2 (expected at 1040) missing */
	CHECK_EQ(poll_at(t, 1060, seqs, 8, &next), 1);
	CHECK_EQ(next, 1080 * MS);
	CHECK_EQ(poll_at(t, 1079, seqs, 8, &next), 0);
	CHECK_EQ(poll_at(t, 1080, seqs, 8, &next), 1);
	CHECK_EQ(seqs[0], 2);
	CHECK_EQ(poll_at(t, 1100, seqs, 8, &next), 1);
	/* three requests: now only the deadline (1040 + 200) */
	CHECK_EQ(next, 1240 * MS);
	CHECK_EQ(poll_at(t, 1120, seqs, 8, &next), 0);
	CHECK_EQ(poll_at(t, 1239, seqs, 8, &next), 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 1);
	CHECK_EQ(poll_at(t, 1240, seqs, 8, &next), 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	CHECK_EQ(next, 0);
	CHECK_EQ(arrive(t, 0, 0, 2, 300), 0);		/* too late: not counted as recovered */
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.requested, 3);
	CHECK_EQ(st.recovered, 0);
	CHECK_EQ(st.expired, 1);
	alto_nack_tracker_destroy(t);
}

/* The RTT decides whether a retry can still come in time; the first request
 * only needs the deadline ahead. */
static void test_rtt_and_first_request(void)
{
	struct alto_nack_tracker *t = make(100, 30);
	struct alto_nack_tracker_stats st;
	uint16_t seqs[8];
	uint64_t next;

	arrive(t, 0, 0, 0, 0);
	arrive(t, 0, 0, 2, 0);				/* 1: expected 1020, deadline 1120 */
	CHECK_EQ(poll_at(t, 1040, seqs, 8, &next), 1);
	CHECK_EQ(next, 1100 * MS);			/* a retry after 60 ms */
	/* at 1100 a retry would be back at 1130, after the deadline: none */
	CHECK_EQ(poll_at(t, 1100, seqs, 8, &next), 0);
	CHECK_EQ(next, 1120 * MS);
	CHECK_EQ(poll_at(t, 1120, seqs, 8, &next), 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 0);

	/* a shorter RTT: the retry goes out */
	CHECK_EQ(alto_nack_tracker_set_rtt(t, 10 * MS), 0);
	arrive(t, 0, 0, 3, 0);
	arrive(t, 0, 0, 5, 0);				/* 4: expected 1080, deadline 1180 */
	CHECK_EQ(poll_at(t, 1100, seqs, 8, &next), 1);
	CHECK_EQ(poll_at(t, 1120, seqs, 8, &next), 1);
	CHECK_EQ(seqs[0], 4);

	/* a playout delay shorter than the detection time: never requested */
	CHECK_EQ(alto_nack_tracker_set_playout_delay(t, 10 * MS), 0);
	arrive(t, 0, 0, 6, 0);
	arrive(t, 0, 0, 8, 0);				/* 7: expected 1140, deadline 1150 */
	CHECK_EQ(poll_at(t, 1160, seqs, 8, &next), 0);
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.requested, 3);
	CHECK_EQ(st.expired, 3);			/* 1, 4 (deadline 1090 now), 7 */
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	alto_nack_tracker_destroy(t);
}

/* A packet that comes late by itself before we asked is reordered, not recovered. */
static void test_reordered(void)
{
	struct alto_nack_tracker *t = make(60, 10);
	struct alto_nack_tracker_stats st;
	uint16_t seqs[8];

	arrive(t, 0, 0, 0, 0);
	arrive(t, 0, 0, 2, 0);
	CHECK_EQ(arrive(t, 0, 0, 1, 21), 0);
	CHECK_EQ(poll_at(t, 1041, seqs, 8, NULL), 0);
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.missing, 1);
	CHECK_EQ(st.reordered, 1);
	CHECK_EQ(st.requested, 0);
	alto_nack_tracker_destroy(t);
}

/* Across the 16-bit wrap, several at once, oldest first, at most cap per poll. */
static void test_wrap_and_cap(void)
{
	struct alto_nack_tracker *t = make(300, 10);
	uint16_t seqs[8];
	uint64_t next;
	const uint16_t s0 = 65530;

	for (uint16_t s = s0; s != 65534; s++)
		arrive(t, s0, 4000000000u, s, 0);
	arrive(t, s0, 4000000000u, 3, 0);		/* 65534, 65535, 0, 1, 2 missing */
	CHECK_EQ(alto_nack_tracker_pending(t), 5);
	CHECK_EQ(poll_at(t, 1180, seqs, 2, &next), 2);
	CHECK_EQ(seqs[0], 65534);
	CHECK_EQ(seqs[1], 65535);
	CHECK_EQ(next, 1180 * MS);			/* more are due now */
	CHECK_EQ(poll_at(t, 1180, seqs, 8, &next), 3);
	CHECK_EQ(seqs[0], 0);
	CHECK_EQ(seqs[2], 2);
	CHECK_EQ(arrive(t, s0, 4000000000u, 0, 170), 1);
	CHECK_EQ(arrive(t, s0, 4000000000u, 65535, 190), 1);
	CHECK_EQ(alto_nack_tracker_pending(t), 3);
	alto_nack_tracker_destroy(t);
}

/* DTX: timestamps jump while sequence numbers go on; the missing packets get
 * times in between, so the early one expires first. */
static void test_interpolated_times(void)
{
	struct alto_nack_tracker *t = make(150, 10);
	uint16_t seqs[8];

	CHECK_EQ(alto_nack_tracker_packet(t, 10, 0, 1000 * MS), 0);
	/* 11 and 12 missing; 13 comes 300 ms later with ts 300 ms on */
	CHECK_EQ(alto_nack_tracker_packet(t, 13, 300 * 48, 1300 * MS), 0);
	/* 11 at 1100 (deadline 1250) is gone, 12 at 1200 (deadline 1350) is asked for */
	CHECK_EQ(poll_at(t, 1300, seqs, 8, NULL), 1);
	CHECK_EQ(seqs[0], 12);
	CHECK_EQ(alto_nack_tracker_packet(t, 16, 360 * 48, 1360 * MS), 0);
	/* 14, 15 asked for; no retry of 12: it could not be back by 1350 */
	CHECK_EQ(poll_at(t, 1360, seqs, 8, NULL), 2);
	CHECK_EQ(seqs[0], 14);
	CHECK_EQ(seqs[1], 15);
	alto_nack_tracker_destroy(t);

	/* the floor: the fastest packet of the stream sets the expected times */
	t = make(30, 10);
	CHECK_EQ(alto_nack_tracker_packet(t, 0, 0, 1000 * MS), 0);
	CHECK_EQ(alto_nack_tracker_packet(t, 1, FRAME, 1045 * MS), 0);	/* 25 ms late */
	CHECK_EQ(alto_nack_tracker_packet(t, 3, 3 * FRAME, 1061 * MS), 0);	/* 2 expected at 1040 */
	CHECK_EQ(poll_at(t, 1061, seqs, 8, NULL), 1);
	CHECK_EQ(poll_at(t, 1070, seqs, 8, NULL), 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 0);			/* deadline 1070 */
	alto_nack_tracker_destroy(t);
}

/* An outage longer than max_gap is not requested; a big jump restarts. */
static void test_gaps_and_jumps(void)
{
	struct alto_nack_tracker_config cfg;
	struct alto_nack_tracker *t;
	struct alto_nack_tracker_stats st;
	uint16_t seqs[ALTO_NACK_TRACKER_MAX_MISSING];

	t = make(5000, 10);
	arrive(t, 0, 0, 0, 0);
	arrive(t, 0, 0, 102, 0);			/* 101 missing > 100 */
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	arrive(t, 0, 0, 202, 0);			/* exactly 99 */
	CHECK_EQ(alto_nack_tracker_pending(t), 99);
	arrive(t, 0, 0, 4000, 0);			/* a jump: restart */
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	arrive(t, 0, 0, 4001, 0);
	arrive(t, 0, 0, 4003, 0);
	CHECK_EQ(alto_nack_tracker_pending(t), 1);
	alto_nack_tracker_get_stats(t, &st);
	CHECK_EQ(st.restarts, 1);
	CHECK_EQ(st.missing, 101 + 99 + 1);
	CHECK_EQ(st.expired, 101 + 99);
	alto_nack_tracker_reset(t);
	CHECK_EQ(alto_nack_tracker_pending(t), 0);
	CHECK_EQ(arrive(t, 0, 0, 9, 0), 0);		/* starts afresh */
	alto_nack_tracker_destroy(t);

	/* a gap larger than the list: the newest ALTO_NACK_TRACKER_MAX_MISSING are kept */
	alto_nack_tracker_config_default(&cfg);
	cfg.max_gap = 1000;
	cfg.playout_delay_ms = 10000;
	CHECK_EQ(alto_nack_tracker_create(&t, &cfg), 0);
	arrive(t, 0, 0, 0, 0);
	arrive(t, 0, 0, 301, 0);
	CHECK_EQ(alto_nack_tracker_pending(t), ALTO_NACK_TRACKER_MAX_MISSING);
	CHECK_EQ(poll_at(t, 1000 + 301 * 20, seqs, ALTO_NACK_TRACKER_MAX_MISSING, NULL),
		 ALTO_NACK_TRACKER_MAX_MISSING);
	CHECK_EQ(seqs[0], 301 - ALTO_NACK_TRACKER_MAX_MISSING);
	arrive(t, 0, 0, 303, 0);			/* one more: the oldest goes */
	CHECK_EQ(alto_nack_tracker_pending(t), ALTO_NACK_TRACKER_MAX_MISSING);
	alto_nack_tracker_destroy(t);
}

static void test_bad_arguments(void)
{
	struct alto_nack_tracker_config cfg;
	struct alto_nack_tracker *t = NULL;
	uint16_t seq;

	alto_nack_tracker_config_default(&cfg);
	CHECK_EQ(alto_nack_tracker_create(NULL, &cfg), -EINVAL);
	CHECK_EQ(alto_nack_tracker_create(&t, NULL), -EINVAL);
	cfg.clock_rate = 0;
	CHECK_EQ(alto_nack_tracker_create(&t, &cfg), -EINVAL);
	alto_nack_tracker_config_default(&cfg);
	cfg.max_requests = 0;
	CHECK_EQ(alto_nack_tracker_create(&t, &cfg), -EINVAL);
	CHECK(t == NULL);
	CHECK_EQ(alto_nack_tracker_packet(NULL, 1, 1, 1), -EINVAL);
	CHECK_EQ(alto_nack_tracker_poll(NULL, 1, &seq, 1, NULL), -EINVAL);
	CHECK_EQ(alto_nack_tracker_set_rtt(NULL, 1), -EINVAL);
	CHECK_EQ(alto_nack_tracker_set_playout_delay(NULL, 1), -EINVAL);
	CHECK_EQ(alto_nack_tracker_pending(NULL), 0);
	t = make(40, 10);
	CHECK_EQ(alto_nack_tracker_poll(t, 1, NULL, 1, NULL), -EINVAL);
	CHECK_EQ(alto_nack_tracker_poll(t, 1, NULL, 0, NULL), 0);
	CHECK_EQ(alto_nack_tracker_packet(t, 1, 1, UINT64_MAX), -EINVAL);
	CHECK_EQ(alto_nack_tracker_set_rtt(t, UINT64_MAX), -EINVAL);
	alto_nack_tracker_reset(NULL);
	alto_nack_tracker_get_stats(NULL, NULL);
	alto_nack_tracker_destroy(t);
	alto_nack_tracker_destroy(NULL);
}

int main(void)
{
	RUN(test_no_loss);
	RUN(test_single_loss_recovered);
	RUN(test_retries_and_deadline);
	RUN(test_rtt_and_first_request);
	RUN(test_reordered);
	RUN(test_wrap_and_cap);
	RUN(test_interpolated_times);
	RUN(test_gaps_and_jumps);
	RUN(test_bad_arguments);
	return 0;
}
