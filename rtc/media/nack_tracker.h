/* NACK tracker: which packets of one received RTP stream to ask for again
 * (RFC 4585 generic NACK), and when to stop asking.
 *
 * Fed with every packet of the stream as it arrives (the same packets, in
 * the same order, that go into the jitter buffer), it keeps the sequence
 * numbers that are missing, each with the time it should have arrived (its
 * RTP time on the stream's arrival floor: the fastest packet of the last
 * 2-4 s) and so its play-out deadline (that time plus the playout delay the
 * caller gives, e.g. the jitter buffer's target). alto_nack_tracker_poll()
 * says which to request now:
 *  - a missing packet is requested at once (the first poll after the later
 *    packet that showed the gap), if its deadline has not passed;
 *  - again after 2 × RTT (at least min_retry_ms) if it still has not come,
 *    while a retransmission asked for now could still arrive before its
 *    deadline (now + RTT < deadline), at most max_requests times;
 *  - it is forgotten when it arrives (recovered, or reordered when it came
 *    before any request), when its deadline passes (expired), or when the
 *    list is full (the oldest goes, expired).
 * The first request ignores the RTT on purpose: the deadline is an estimate
 * that errs late, and a retransmission that comes after its play-out is
 * still seen by the jitter buffer's delay estimate, whose 97th percentile
 * then grows to let retransmissions play (with loss above ~3 %). Gaps of
 * more than max_gap packets (an outage) are not requested; a jump of more
 * than 3000 sequence numbers either way restarts the tracker.
 *
 * RED (RFC 2198) redundancy is not looked at: a packet that a later RED
 * packet could rebuild is requested all the same (LiveKit negotiates NACK
 * only on sections without RED).
 *
 * Thread: the owner's (alto: the network thread); plain data, no locking.
 * create allocates, nothing else does. Returns 0 (or a count) or a negative
 * errno: -EINVAL bad argument, -ENOMEM. */
#ifndef ALTO_RTC_MEDIA_NACK_TRACKER_H
#define ALTO_RTC_MEDIA_NACK_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#define ALTO_NACK_TRACKER_MAX_MISSING	128	/* sequence numbers tracked at once */

struct alto_nack_tracker;

struct alto_nack_tracker_config {
	uint32_t clock_rate;		/* RTP clock: 48000 for Opus */
	uint32_t max_requests;		/* per packet (LiveKit's SFU answers 3) */
	uint32_t min_retry_ms;		/* floor of the retry interval (2 × RTT) */
	uint32_t default_rtt_ms;	/* until alto_nack_tracker_set_rtt() */
	uint32_t playout_delay_ms;	/* until alto_nack_tracker_set_playout_delay() */
	uint32_t max_gap;		/* larger gaps are not requested */
};

struct alto_nack_tracker_stats {
	uint64_t missing;		/* sequence numbers found missing */
	uint64_t requested;		/* sequence numbers put in NACKs (retries too) */
	uint64_t recovered;		/* requested ones that arrived */
	uint64_t reordered;		/* missing ones that arrived before a request */
	uint64_t expired;		/* given up: deadline passed, list full, gap too large, restart */
	uint64_t restarts;		/* sequence jumps that restarted the tracker */
};

/* 48 kHz, 3 requests, retry ≥ 10 ms, RTT 100 ms until measured, playout
 * delay 40 ms until given, gaps up to 100 packets (2 s of 20 ms frames). */
void alto_nack_tracker_config_default(struct alto_nack_tracker_config *cfg);

int alto_nack_tracker_create(struct alto_nack_tracker **tracker,
		const struct alto_nack_tracker_config *cfg);
void alto_nack_tracker_destroy(struct alto_nack_tracker *tracker);

/* A new source (SSRC): forget everything but the RTT, the playout delay and
 * the stats. */
void alto_nack_tracker_reset(struct alto_nack_tracker *tracker);

/* A packet of the stream arrived: its sequence number, RTP timestamp and
 * arrival time (monotonic ns, the clock of poll's now_ns). Returns 1 when
 * it is one that was requested (a retransmission: recovered), else 0. */
int alto_nack_tracker_packet(struct alto_nack_tracker *tracker, uint16_t seq, uint32_t ts,
		uint64_t arrival_ns);

/* The round-trip time to the sender (RTCP report blocks, or an estimate). */
int alto_nack_tracker_set_rtt(struct alto_nack_tracker *tracker, uint64_t rtt_ns);

/* How long after its expected arrival a packet is still played: the jitter
 * buffer's target delay. */
int alto_nack_tracker_set_playout_delay(struct alto_nack_tracker *tracker, uint64_t delay_ns);

/* The sequence numbers to request now, oldest first, at most cap of them
 * (the rest wait for the next poll); each one counts as requested. Expired
 * ones are dropped. *next_ns (may be NULL): when to poll again, 0 when
 * nothing is tracked. Returns the number written to seqs. */
int alto_nack_tracker_poll(struct alto_nack_tracker *tracker, uint64_t now_ns,
		uint16_t *seqs, size_t cap, uint64_t *next_ns);

/* Sequence numbers tracked right now (requested or not). */
size_t alto_nack_tracker_pending(const struct alto_nack_tracker *tracker);

void alto_nack_tracker_get_stats(const struct alto_nack_tracker *tracker,
		struct alto_nack_tracker_stats *stats);

#endif
