/* libFuzzer: the NACK tracker fed with what a network can send (any sequence
 * numbers, timestamps, arrival times) and polled in between. Checks its
 * promises: never more pending than ALTO_NACK_TRACKER_MAX_MISSING, never
 * more written than cap, the stats add up. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nack_tracker.h"

static uint32_t take(const uint8_t **p, size_t *left, size_t n)
{
	uint32_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v << 8 | (*left ? **p : 0);
		if (*left) {
			(*p)++;
			(*left)--;
		}
	}
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct alto_nack_tracker_config cfg;
	struct alto_nack_tracker *t;
	struct alto_nack_tracker_stats st;
	uint16_t seqs[ALTO_NACK_TRACKER_MAX_MISSING + 1];
	uint64_t now = 1000000000ull, next;

	alto_nack_tracker_config_default(&cfg);
	if (size > 0) {
		cfg.max_gap = 1 + data[0] * 2u;
		cfg.max_requests = 1 + data[0] % 7;
	}
	if (alto_nack_tracker_create(&t, &cfg) < 0)
		abort();
	while (size > 0) {
		uint8_t op = (uint8_t)take(&data, &size, 1);
		now += (op >> 3) * 1000000ull;		/* 0..31 ms on */
		switch (op & 7) {
		case 0: case 1: case 2: {
			uint16_t seq = (uint16_t)take(&data, &size, 2);
			uint32_t ts = take(&data, &size, 4);
			int r = alto_nack_tracker_packet(t, seq, ts, now);
			if (r != 0 && r != 1)
				abort();
			break;
		}
		case 3: {
			size_t cap = take(&data, &size, 1) % (ALTO_NACK_TRACKER_MAX_MISSING + 2);
			size_t before = alto_nack_tracker_pending(t);
			int n = alto_nack_tracker_poll(t, now, seqs, cap, &next);
			if (n < 0 || (size_t)n > cap || (size_t)n > before)
				abort();
			if ((next == 0) != (alto_nack_tracker_pending(t) == 0))
				abort();
			break;
		}
		case 4:
			alto_nack_tracker_set_rtt(t, take(&data, &size, 2) * 100000ull);
			break;
		case 5:
			alto_nack_tracker_set_playout_delay(t, take(&data, &size, 2) * 100000ull);
			break;
		case 6:
			if ((op >> 3) == 31)
				alto_nack_tracker_reset(t);
			break;
		default:
			now += take(&data, &size, 2) * 1000000ull;	/* a long stall */
			break;
		}
		if (alto_nack_tracker_pending(t) > ALTO_NACK_TRACKER_MAX_MISSING)
			abort();
	}
	alto_nack_tracker_get_stats(t, &st);
	if (st.recovered + st.reordered + st.expired + alto_nack_tracker_pending(t) != st.missing)
		abort();
	alto_nack_tracker_destroy(t);
	return 0;
}
