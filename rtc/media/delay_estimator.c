/* Arrival delay histogram. See delay_estimator.h. Thread: the owner. */
#include "delay_estimator.h"

#include <string.h>

#include "rtp.h"

#define BUCKET_NS		5000000ll	/* 5 ms buckets, up to 500 ms */
#define FORGET			0.9993		/* ~1400 packets, 28 s at 20 ms (NetEq's) */
#define PERCENTILE		0.97
#define PRIOR			0.5
#define WINDOW_NS		2000000000ull	/* the floor is the min of 2-4 s */
#define PEAK_MARGIN_NS		60000000ll	/* above the percentile: a peak */
#define PEAK_PERIOD_NS		20000000000ull	/* peaks this close recur: they count */

void alto_delay_estimator_init(struct alto_delay_estimator *e, uint32_t rate)
{
	memset(e, 0, sizeof(*e));
	e->rate = rate;
	e->hist[0] = PRIOR;
	e->total = PRIOR;
}

void alto_delay_estimator_new_timeline(struct alto_delay_estimator *e)
{
	e->have_ts = false;
}

/* RTP time in ns, split so that no product overflows even after months */
static int64_t rtp_time_ns(const struct alto_delay_estimator *e, int64_t frames)
{
	int64_t sec = frames / e->rate, rem = frames % e->rate;
	return sec * 1000000000ll + rem * 1000000000ll / e->rate;
}

void alto_delay_estimator_update(struct alto_delay_estimator *e, uint32_t ts, uint64_t arrival_ns)
{
	int64_t delay, base, rel;
	uint32_t bucket;
	double need, acc = 0.0;

	if (!e->have_ts) {
		e->have_ts = true;
		e->ts_ext = (1ull << 32) | ts;	/* room below for reordered packets */
		e->ts_first = e->ts_ext;
		e->window_start_ns = arrival_ns;
		e->cur_min = e->prev_min = INT64_MAX;
	} else {
		e->ts_ext = alto_rtp_ts_unwrap(e->ts_ext, ts);
	}
	delay = (int64_t)arrival_ns - rtp_time_ns(e, (int64_t)(e->ts_ext - e->ts_first));
	if (arrival_ns - e->window_start_ns > WINDOW_NS) {
		e->prev_min = e->cur_min;
		e->cur_min = INT64_MAX;
		e->window_start_ns = arrival_ns;
	}
	if (delay < e->cur_min)
		e->cur_min = delay;
	base = e->cur_min < e->prev_min ? e->cur_min : e->prev_min;
	rel = delay - base;
	e->n_packets++;
	if (rel > rtp_time_ns(e, e->percentile) + PEAK_MARGIN_NS) {
		if (!e->in_peak) {
			e->in_peak = true;
			e->peak_ns = arrival_ns;
			e->peak_height = 0;
			e->peak_counts_to = e->have_prev_peak && arrival_ns - e->prev_peak_ns < PEAK_PERIOD_NS ?
				e->prev_peak_height : 0;
		}
		if (rel > e->peak_height)
			e->peak_height = rel;
		if (rel > e->peak_counts_to)
			return;
	} else if (e->in_peak) {
		e->in_peak = false;
		e->have_prev_peak = true;
		e->prev_peak_ns = e->peak_ns;
		e->prev_peak_height = e->peak_height;
	}
	bucket = rel / BUCKET_NS >= ALTO_DELAY_BUCKETS ? ALTO_DELAY_BUCKETS - 1 : (uint32_t)(rel / BUCKET_NS);

	for (uint32_t b = 0; b < ALTO_DELAY_BUCKETS; b++)
		e->hist[b] *= FORGET;
	e->hist[bucket] += 1.0 - FORGET;
	e->total = e->total * FORGET + (1.0 - FORGET);

	need = e->total * PERCENTILE;
	for (uint32_t b = 0; b < ALTO_DELAY_BUCKETS; b++) {
		acc += e->hist[b];
		if (acc >= need) {
			/* upper edge of the bucket, in frames */
			e->percentile = (uint32_t)((uint64_t)(b + 1) * (BUCKET_NS / 1000) * e->rate / 1000000);
			break;
		}
	}
}
