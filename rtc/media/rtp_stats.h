/* Reception statistics of one RTP source, as RFC 3550 Appendix A.1 (sequence
 * validation and extension), A.3 (expected and lost packets) and A.8
 * (interarrival jitter) define them, and the report block they feed.
 *
 * Thread: the network thread that receives the source's packets (the
 * struct is plain data owned by one thread). No allocation. */
#ifndef ALTO_RTC_MEDIA_RTP_STATS_H
#define ALTO_RTC_MEDIA_RTP_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "rtcp.h"

struct alto_rtp_stats {
	uint32_t clock_rate;		/* RTP clock, e.g. 48000 */
	uint16_t max_seq;		/* highest sequence number seen */
	uint32_t cycles;		/* wraps of max_seq, << 16 */
	uint32_t base_seq;		/* first sequence number of this source */
	uint32_t bad_seq;		/* a big jump waits here for its successor */
	uint32_t probation;		/* sequential packets still needed to validate */
	uint64_t received;		/* packets counted */
	uint64_t expected_prior;	/* at the last report block */
	uint64_t received_prior;
	bool have_transit;
	int64_t transit;		/* arrival - timestamp of the last packet, RTP units */
	uint32_t jitter_q4;		/* jitter estimate × 16 (A.8's integer form) */
	bool have_sr;
	uint32_t last_sr;		/* middle 32 bits of the last SR's NTP time */
	uint64_t last_sr_arrival_ns;
};

/* Starts statistics for a source whose first packet has sequence number seq
 * (call alto_rtp_stats_update for that packet too). clock_rate > 0. */
int alto_rtp_stats_init(struct alto_rtp_stats *s, uint32_t clock_rate, uint16_t seq);

/* Accounts one packet: seq, its RTP timestamp and its arrival time
 * (any monotonic clock in ns). Returns 0 when the packet is counted
 * (duplicates and reordered ones are, as in A.1), -EAGAIN while the source
 * is on probation or after a big jump that awaits its successor to be
 * believed (A.1: two sequential packets then restart the statistics). */
int alto_rtp_stats_update(struct alto_rtp_stats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns);

/* Extended highest sequence number (cycles + max_seq). */
uint32_t alto_rtp_stats_ext_max_seq(const struct alto_rtp_stats *s);
/* Packets expected (A.3) and lost (expected - received, may be < 0 with
 * duplicates). */
uint64_t alto_rtp_stats_expected(const struct alto_rtp_stats *s);
int64_t alto_rtp_stats_lost(const struct alto_rtp_stats *s);
/* Interarrival jitter in RTP timestamp units. */
uint32_t alto_rtp_stats_jitter(const struct alto_rtp_stats *s);

/* Remembers a sender report (its NTP time) for LSR/DLSR. */
void alto_rtp_stats_sr_received(struct alto_rtp_stats *s, uint64_t ntp, uint64_t arrival_ns);

/* Fills a report block about source ssrc at time now_ns (same clock as the
 * arrivals and the SR) and starts a new interval for fraction_lost.
 * -EAGAIN while the source is not validated yet (send no block). */
int alto_rtp_stats_report_block(struct alto_rtp_stats *s, uint32_t ssrc, uint64_t now_ns,
		struct alto_rtcp_report_block *rb);

#endif
