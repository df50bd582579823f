/* RTP reception statistics, RFC 3550 A.1, A.3 and A.8. See rtp_stats.h.
 * Thread: the network thread owning the struct. */
#include "rtp_stats.h"

#include <errno.h>
#include <string.h>

#define SEQ_MOD		(1u << 16)
#define MAX_DROPOUT	3000	/* a forward jump still taken as loss */
#define MAX_MISORDER	100	/* a backward jump still taken as reordering */
#define MIN_SEQUENTIAL	2	/* packets in sequence that validate a source */

/* (Re)starts the counters at seq, the first packet of a validated run. */
static void restart(struct alto_rtp_stats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;	/* no seq equals this */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

int alto_rtp_stats_init(struct alto_rtp_stats *s, uint32_t clock_rate, uint16_t seq)
{
	if (s == NULL || clock_rate == 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->clock_rate = clock_rate;
	restart(s, seq);
	s->max_seq = (uint16_t)(seq - 1);
	s->probation = MIN_SEQUENTIAL;
	return 0;
}

static uint32_t to_rtp_units(const struct alto_rtp_stats *s, uint64_t ns)
{
	/* split so that ns * rate cannot overflow even after months of uptime */
	uint64_t sec = ns / 1000000000ull, rem = ns % 1000000000ull;
	return (uint32_t)(sec * s->clock_rate + rem * s->clock_rate / 1000000000ull);
}

static void update_jitter(struct alto_rtp_stats *s, uint32_t rtp_ts, uint64_t arrival_ns)
{
	uint32_t transit = to_rtp_units(s, arrival_ns) - rtp_ts;

	if (s->have_transit) {
		int32_t d = (int32_t)(transit - (uint32_t)s->transit);
		uint32_t ad = d < 0 ? (uint32_t)-(int64_t)d : (uint32_t)d;
		/* J += (|D| - J) / 16, kept ×16 in integers (A.8) */
		s->jitter_q4 += ad - ((s->jitter_q4 + 8) >> 4);
	}
	s->transit = transit;
	s->have_transit = true;
}

int alto_rtp_stats_update(struct alto_rtp_stats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_ns)
{
	uint16_t udelta;

	if (s == NULL || s->clock_rate == 0)
		return -EINVAL;
	udelta = (uint16_t)(seq - s->max_seq);

	if (s->probation > 0) {
		if (seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				restart(s, seq);
				s->received++;
				update_jitter(s, rtp_ts, arrival_ns);
				return 0;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return -EAGAIN;
	}

	if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
			return -EAGAIN;
		}
		/* two packets in sequence after a big jump: the sender restarted */
		restart(s, seq);
		s->have_transit = false;
	}
	/* else: duplicate or reordered, counted as received (A.1) */
	s->received++;
	update_jitter(s, rtp_ts, arrival_ns);
	return 0;
}

uint32_t alto_rtp_stats_ext_max_seq(const struct alto_rtp_stats *s)
{
	return s->cycles + s->max_seq;
}

uint64_t alto_rtp_stats_expected(const struct alto_rtp_stats *s)
{
	if (s->probation > 0)
		return 0;
	return (uint64_t)alto_rtp_stats_ext_max_seq(s) - s->base_seq + 1;
}

int64_t alto_rtp_stats_lost(const struct alto_rtp_stats *s)
{
	return (int64_t)alto_rtp_stats_expected(s) - (int64_t)s->received;
}

uint32_t alto_rtp_stats_jitter(const struct alto_rtp_stats *s)
{
	return s->jitter_q4 >> 4;
}

void alto_rtp_stats_sr_received(struct alto_rtp_stats *s, uint64_t ntp, uint64_t arrival_ns)
{
	if (s == NULL)
		return;
	s->have_sr = true;
	s->last_sr = alto_rtcp_ntp_mid32(ntp);
	s->last_sr_arrival_ns = arrival_ns;
}

int alto_rtp_stats_report_block(struct alto_rtp_stats *s, uint32_t ssrc, uint64_t now_ns,
		struct alto_rtcp_report_block *rb)
{
	uint64_t expected, expected_interval, received_interval;
	int64_t lost, lost_interval;

	if (s == NULL || rb == NULL)
		return -EINVAL;
	if (s->probation > 0)
		return -EAGAIN;

	expected = alto_rtp_stats_expected(s);
	lost = alto_rtp_stats_lost(s);
	expected_interval = expected - s->expected_prior;
	received_interval = s->received - s->received_prior;
	lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
	s->expected_prior = expected;
	s->received_prior = s->received;

	memset(rb, 0, sizeof(*rb));
	rb->ssrc = ssrc;
	if (expected_interval > 0 && lost_interval > 0) {
		uint64_t f = ((uint64_t)lost_interval << 8) / expected_interval;
		rb->fraction_lost = f > 255 ? 255 : (uint8_t)f;
	}
	rb->cumulative_lost = lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : (int32_t)lost;
	rb->ext_highest_seq = alto_rtp_stats_ext_max_seq(s);
	rb->jitter = alto_rtp_stats_jitter(s);
	if (s->have_sr) {
		uint64_t delay = now_ns > s->last_sr_arrival_ns ? now_ns - s->last_sr_arrival_ns : 0;
		rb->lsr = s->last_sr;
		rb->dlsr = (uint32_t)((delay << 16) / 1000000000ull);
	}
	return 0;
}
