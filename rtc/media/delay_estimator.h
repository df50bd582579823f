/* Arrival delay variation of one RTP stream and its high percentile: what
 * the jitter buffer's target follows (internal to rtc/media).
 *
 * Each packet's delay is its arrival time minus its RTP time, relative to
 * the fastest packet of the last 2-4 s (a sliding floor, which also cancels
 * clock drift). Delays go into a histogram of 5 ms buckets that forgets by
 * 0.9993 per packet (~28 s at 20 ms, as WebRTC NetEq); its 97th percentile
 * is the answer. The histogram starts with half its weight at zero, so one
 * early stall (25 packets) does not read as 3 % of the stream.
 *
 * Peaks: a run of packets more than 60 ms above the percentile (what a
 * network stall brings, held back and then all at once) goes into the
 * histogram only as high as the previous run reached, if that began within
 * the 20 s before it; the rest is left out. One stall (a Wi-Fi roam, a
 * hiccup) then costs one underrun and does not hold the latency up for
 * minutes (a 1 s stall is 3.5 % of the histogram: the target would jump to
 * ~300 ms), nor does a long one after a short one; stalls that recur raise
 * the target to their height, as NetEq's former peak detector did.
 *
 * Thread: the jitter buffer's consumer (real-time); plain data, no
 * allocation, O(buckets) per packet. */
#ifndef ALTO_RTC_MEDIA_DELAY_ESTIMATOR_H
#define ALTO_RTC_MEDIA_DELAY_ESTIMATOR_H

#include <stdbool.h>
#include <stdint.h>

#define ALTO_DELAY_BUCKETS	100

struct alto_delay_estimator {
	uint32_t rate;			/* RTP clock */
	bool have_ts;
	uint64_t ts_ext;		/* unwrapped RTP time of the last packet */
	uint64_t ts_first;		/* ... of the first one of this timeline */
	uint64_t window_start_ns;
	int64_t cur_min, prev_min;	/* delay floor over the current/previous window */
	bool in_peak;			/* the last packet was a peak's */
	int64_t peak_counts_to;		/*   of which those up to this delay count */
	uint64_t peak_ns;		/*   arrival of its first packet */
	int64_t peak_height;		/*   its highest delay so far */
	bool have_prev_peak;		/* the run before: */
	uint64_t prev_peak_ns;
	int64_t prev_peak_height;
	double hist[ALTO_DELAY_BUCKETS];
	double total;
	uint32_t n_packets;
	uint32_t percentile;		/* frames at rate */
};

void alto_delay_estimator_init(struct alto_delay_estimator *e, uint32_t rate);
/* A new timeline (new source, sequence jump): the floor restarts, the
 * histogram (the network's jitter) stays. */
void alto_delay_estimator_new_timeline(struct alto_delay_estimator *e);
/* One packet of RTP time ts that arrived at arrival_ns (monotonic). */
void alto_delay_estimator_update(struct alto_delay_estimator *e, uint32_t ts, uint64_t arrival_ns);
/* Packets seen, and the 97th percentile of their delay variation in frames. */
static inline uint32_t alto_delay_estimator_packets(const struct alto_delay_estimator *e)
{
	return e->n_packets;
}
static inline uint32_t alto_delay_estimator_percentile(const struct alto_delay_estimator *e)
{
	return e->percentile;
}

#endif
