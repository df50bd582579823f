/* NACK tracker of one received RTP stream. See nack_tracker.h.
 *
 * Sequence numbers and timestamps are kept extended to 64 bits (unwrapped
 * next to the newest packet), so the missing list stays ordered across
 * wraps. The list is an array in ascending order: gaps are found newest
 * last, so adding appends; removing shifts at most 127 entries. */
#include "nack_tracker.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rtp.h"

#define MAX_JUMP		3000		/* RFC 3550 A.1's MAX_DROPOUT */
#define FLOOR_WINDOW_NS		2000000000ll	/* the arrival floor is the min of 2-4 s */
#define EXT_BASE		(1ull << 40)	/* room below the first packet for older ones */

struct missing {
	uint64_t ext_seq;
	int64_t expected_ns;	/* when it should have come (arrival clock) */
	int64_t last_ns;	/* when it was last requested */
	uint32_t requests;
};

struct alto_nack_tracker {
	struct alto_nack_tracker_config cfg;
	int64_t rtt_ns;
	int64_t delay_ns;

	bool have_seq;
	uint64_t highest_seq;	/* extended */
	uint64_t highest_ts;	/* extended, of the highest packet */
	uint64_t first_ts;	/* extended, origin of the RTP time axis */
	/* arrival floor: min of (arrival - RTP time) over this and the last window */
	int64_t window_start_ns;
	int64_t cur_min, prev_min;
	bool have_floor;

	struct missing list[ALTO_NACK_TRACKER_MAX_MISSING];
	size_t n_list;

	struct alto_nack_tracker_stats st;
};

void alto_nack_tracker_config_default(struct alto_nack_tracker_config *cfg)
{
	*cfg = (struct alto_nack_tracker_config) {
		.clock_rate = 48000,
		.max_requests = 3,
		.min_retry_ms = 10,
		.default_rtt_ms = 100,
		.playout_delay_ms = 40,
		.max_gap = 100,
	};
}

int alto_nack_tracker_create(struct alto_nack_tracker **out, const struct alto_nack_tracker_config *cfg)
{
	struct alto_nack_tracker *t;

	if (out == NULL || cfg == NULL || cfg->clock_rate == 0 || cfg->clock_rate > 1000000 ||
	    cfg->max_requests == 0 || cfg->max_requests > 100 || cfg->max_gap == 0 ||
	    cfg->default_rtt_ms > 60000 || cfg->min_retry_ms > 60000 || cfg->playout_delay_ms > 60000)
		return -EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->cfg = *cfg;
	t->rtt_ns = (int64_t)cfg->default_rtt_ms * 1000000;
	t->delay_ns = (int64_t)cfg->playout_delay_ms * 1000000;
	*out = t;
	return 0;
}

void alto_nack_tracker_destroy(struct alto_nack_tracker *t)
{
	free(t);
}

static void forget_all(struct alto_nack_tracker *t)
{
	t->st.expired += t->n_list;
	t->n_list = 0;
}

void alto_nack_tracker_reset(struct alto_nack_tracker *t)
{
	if (t == NULL)
		return;
	forget_all(t);
	t->have_seq = false;
	t->have_floor = false;
}

int alto_nack_tracker_set_rtt(struct alto_nack_tracker *t, uint64_t rtt_ns)
{
	if (t == NULL || rtt_ns > 60000000000ull)
		return -EINVAL;
	t->rtt_ns = (int64_t)rtt_ns;
	return 0;
}

int alto_nack_tracker_set_playout_delay(struct alto_nack_tracker *t, uint64_t delay_ns)
{
	if (t == NULL || delay_ns > 60000000000ull)
		return -EINVAL;
	t->delay_ns = (int64_t)delay_ns;
	return 0;
}

size_t alto_nack_tracker_pending(const struct alto_nack_tracker *t)
{
	return t ? t->n_list : 0;
}

void alto_nack_tracker_get_stats(const struct alto_nack_tracker *t, struct alto_nack_tracker_stats *st)
{
	if (t == NULL || st == NULL)
		return;
	*st = t->st;
}

/* RTP time of an extended timestamp in ns since first_ts, split so that no
 * product overflows. */
static int64_t rtp_time_ns(const struct alto_nack_tracker *t, uint64_t ext_ts)
{
	int64_t frames = (int64_t)(ext_ts - t->first_ts);
	int64_t rate = t->cfg.clock_rate;
	return frames / rate * 1000000000ll + frames % rate * 1000000000ll / rate;
}

static void update_floor(struct alto_nack_tracker *t, uint64_t ext_ts, int64_t arrival_ns)
{
	int64_t offset = arrival_ns - rtp_time_ns(t, ext_ts);

	if (!t->have_floor) {
		t->have_floor = true;
		t->window_start_ns = arrival_ns;
		t->cur_min = t->prev_min = offset;
		return;
	}
	if (arrival_ns - t->window_start_ns > FLOOR_WINDOW_NS) {
		t->prev_min = t->cur_min;
		t->cur_min = offset;
		t->window_start_ns = arrival_ns;
	}
	if (offset < t->cur_min)
		t->cur_min = offset;
}

static int64_t floor_offset(const struct alto_nack_tracker *t)
{
	return t->cur_min < t->prev_min ? t->cur_min : t->prev_min;
}

static void remove_at(struct alto_nack_tracker *t, size_t i)
{
	memmove(&t->list[i], &t->list[i + 1], (t->n_list - i - 1) * sizeof(t->list[0]));
	t->n_list--;
}

static void add_missing(struct alto_nack_tracker *t, uint64_t ext_seq, int64_t expected_ns)
{
	if (t->n_list == ALTO_NACK_TRACKER_MAX_MISSING) {
		remove_at(t, 0);	/* the oldest is the nearest to its deadline */
		t->st.expired++;
	}
	t->list[t->n_list++] = (struct missing) { .ext_seq = ext_seq, .expected_ns = expected_ns };
}

static void start(struct alto_nack_tracker *t, uint16_t seq, uint32_t ts)
{
	t->have_seq = true;
	t->highest_seq = EXT_BASE | seq;
	t->highest_ts = EXT_BASE | ts;
	t->first_ts = t->highest_ts;
	t->have_floor = false;
}

/* The packets between the highest one and ext_seq (ext_ts) are missing: each
 * gets the RTP time interpolated between its neighbours (DTX makes timestamps
 * jump; with equal steps this is exact). */
static void add_gap(struct alto_nack_tracker *t, uint64_t ext_seq, uint64_t ext_ts)
{
	uint64_t gap = ext_seq - t->highest_seq - 1, first = t->highest_seq + 1;
	int64_t span = (int64_t)(ext_ts - t->highest_ts), offset = floor_offset(t);

	t->st.missing += gap;
	if (gap > t->cfg.max_gap) {
		t->st.expired += gap;		/* an outage: nothing to ask for */
		return;
	}
	if (gap > ALTO_NACK_TRACKER_MAX_MISSING) {
		t->st.expired += gap - ALTO_NACK_TRACKER_MAX_MISSING;
		first = ext_seq - ALTO_NACK_TRACKER_MAX_MISSING;
	}
	if (span < 0)
		span = 0;
	for (uint64_t s = first; s < ext_seq; s++) {
		uint64_t ts = t->highest_ts + (uint64_t)(span * (int64_t)(s - t->highest_seq) /
				(int64_t)(ext_seq - t->highest_seq));
		add_missing(t, s, rtp_time_ns(t, ts) + offset);
	}
}

int alto_nack_tracker_packet(struct alto_nack_tracker *t, uint16_t seq, uint32_t ts, uint64_t arrival_ns)
{
	uint64_t ext_seq, ext_ts;
	int64_t d;

	if (t == NULL || arrival_ns > INT64_MAX)
		return -EINVAL;
	if (!t->have_seq) {
		start(t, seq, ts);
		update_floor(t, t->highest_ts, (int64_t)arrival_ns);
		return 0;
	}
	ext_seq = alto_rtp_seq_unwrap(t->highest_seq, seq);
	d = (int64_t)(ext_seq - t->highest_seq);
	if (d > MAX_JUMP || d < -MAX_JUMP) {
		/* the sender restarted its numbering (or this one is a stray) */
		forget_all(t);
		t->st.restarts++;
		start(t, seq, ts);
		update_floor(t, t->highest_ts, (int64_t)arrival_ns);
		return 0;
	}
	ext_ts = alto_rtp_ts_unwrap(t->highest_ts, ts);
	if (d > 0) {
		/* the floor first: a gap's expected times use the freshest one */
		update_floor(t, ext_ts, (int64_t)arrival_ns);
		if (d > 1)
			add_gap(t, ext_seq, ext_ts);
		t->highest_seq = ext_seq;
		t->highest_ts = ext_ts;
		return 0;
	}
	for (size_t i = 0; i < t->n_list; i++) {
		if (t->list[i].ext_seq != ext_seq)
			continue;
		bool requested = t->list[i].requests > 0;
		remove_at(t, i);
		if (requested)
			t->st.recovered++;
		else
			t->st.reordered++;
		return requested ? 1 : 0;
	}
	return 0;	/* a duplicate, or one given up on */
}

int alto_nack_tracker_poll(struct alto_nack_tracker *t, uint64_t now_ns, uint16_t *seqs, size_t cap,
		uint64_t *next_ns)
{
	int64_t now = (int64_t)now_ns, next = INT64_MAX, retry;
	size_t n = 0, i = 0;

	if (next_ns)
		*next_ns = 0;
	if (t == NULL || (seqs == NULL && cap > 0) || now_ns > INT64_MAX)
		return -EINVAL;
	/* a retransmission asked for at t is back by t + RTT; not by t + 2 RTT: lost again.
	 * (LiveKit's SFU also ignores a repeat within 2 RTT.) */
	retry = 2 * t->rtt_ns;
	if (retry < (int64_t)t->cfg.min_retry_ms * 1000000)
		retry = (int64_t)t->cfg.min_retry_ms * 1000000;

	while (i < t->n_list) {
		struct missing *m = &t->list[i];
		int64_t deadline = m->expected_ns + t->delay_ns;
		int64_t due;

		if (now >= deadline) {
			remove_at(t, i);
			t->st.expired++;
			continue;
		}
		i++;
		/* later requests only while an answer could still come in time */
		if (m->requests >= t->cfg.max_requests ||
		    (m->requests > 0 && now + t->rtt_ns >= deadline)) {
			if (deadline < next)
				next = deadline;
			continue;
		}
		due = m->requests == 0 ? now : m->last_ns + retry;
		if (now >= due && n < cap) {
			seqs[n++] = (uint16_t)m->ext_seq;
			m->requests++;
			m->last_ns = now;
			t->st.requested++;
			due = now + retry;
		}
		if (m->requests >= t->cfg.max_requests || due > deadline)
			due = deadline;
		if (due < next)
			next = due;
	}
	if (next_ns && t->n_list > 0)
		*next_ns = next <= 0 ? 1 : (uint64_t)next;
	return (int)n;
}
