/* Jitter buffer of one remote Opus track. See jitter_buffer.h for the
 * threads, the hand-off and the delay/drift policy.
 *
 * Layout: the producer (network thread) owns `producer` and writes hand-off
 * slots; the consumer (real-time thread) owns everything under `c`.
 * The only shared state is the slot ring (indices published with
 * release/acquire) and the metrics (relaxed atomics, one writer each).
 *
 * Play-out model (consumer): next_seq is the sequence number to play next
 * and next_ts the RTP time of the next sample to produce. Each produce step
 * looks at next_seq in the reorder store:
 *  - present at next_ts: decode it;
 *  - present later than next_ts: the sender was silent (DTX: sequence
 *    numbers go on, timestamps jump): play silence, moving the delay to
 *    the target while nothing is audible;
 *  - present but earlier than next_ts: we concealed past it while starved:
 *    play it now (the delay grows; the target and drift control bring it
 *    back);
 *  - missing while later packets are there: lost: in-band FEC from the
 *    next packet when it directly follows and carries LBRR, else PLC;
 *  - missing and nothing later: starved: silence when the sender is in
 *    DTX, else an underrun: up to 60 ms of PLC, then silence.
 * next_seq only moves past packets that were played, concealed as lost or
 * dropped, so a packet that arrives after a DTX pause is never "late". */
#include "jitter_buffer.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "delay_estimator.h"
#include "opus_codec.h"
#include "red.h"
#include "rtp.h"

#define RATE			ALTO_OPUS_RATE
#define FRAMES_PER_MS		(RATE / 1000)
#define MAX_FRAMES		ALTO_OPUS_MAX_FRAMES
#define GRAIN			ALTO_OPUS_MIN_FRAMES	/* 2.5 ms: PLC/FEC granularity */
#define DEFAULT_PACKET_FRAMES	960

#define MAX_PAYLOAD		1500		/* larger RTP payloads are refused */
#define HANDOFF_SLOTS		128		/* power of two */
#define STORE_SLOTS		256		/* power of two, < 2^15 */
#define STORE_MASK		(STORE_SLOTS - 1)
#define MAX_LATE_DISTANCE	1000		/* older: a sequence jump, not a late packet */
#define MAX_TS_GAP		(10 * RATE)	/* larger timestamp steps are discontinuities */
#define MAX_UNDERRUN_PLC	(3 * DEFAULT_PACKET_FRAMES)
#define DTX_PACKET_LEN		2		/* a TOC-only packet: the sender enters DTX */
#define QUIET_ENERGY		1e-7		/* mean square under -70 dBFS: sender silent */
#define OVERFLOW_MARGIN		(80 * FRAMES_PER_MS)
#define TARGET_MARGIN		(5 * FRAMES_PER_MS)
#define TARGET_SLEW		4000		/* frames pulled per frame the target goes down */

/* Excess (a burst after a stall, a target that came down): the buffer level
 * is filtered (LEVEL_SMOOTHING_S, reset on jumps) and, above the target by
 * ACCEL_START with its floor above it too, decoded packets are
 * time-compressed (accelerate) until it is within ACCEL_STOP of the target.
 * See filter_level() and accelerate(). */
#define LEVEL_SMOOTHING_S	0.5
#define LEVEL_JUMP		(60 * FRAMES_PER_MS)	/* at least; and more than target + a packet */
/* The level's floor (its lowest over the last 0.25-0.5 s) must be above
 * the target too: a buffer that dipped to its target recently needs what it
 * holds (clumpy arrivals: a congested path delivers every 100 ms or so). */
#define FLOOR_BUCKET		(RATE / 4)
#define FLOOR_MARGIN		(5 * FRAMES_PER_MS)
#define ACCEL_START		(15 * FRAMES_PER_MS)
#define ACCEL_STOP		(5 * FRAMES_PER_MS)
/* After a burst (the level jumped up after the buffer ran dry) the filter
 * restarts from one reading, which is anywhere on the saw-tooth (a packet
 * and the jitter wide), and the rest of the burst may still be coming: for
 * a while the level is followed faster, the excess is the buffer's (get_delay
 * leaves it out), and once the filter has settled the bounds are narrower. */
#define RECOVERY_FRAMES		(3 * RATE / 2)
#define RECOVERY_SETTLE		(RATE / 2)
#define RECOVERY_SMOOTHING_S	0.15	/* the rest of a burst may come over a few pulls */
#define RECOVERY_START		(4 * FRAMES_PER_MS)
#define RECOVERY_STOP		0
#define ACCEL_FAST		(4 * ACCEL_START)	/* above: two cuts a packet */
#define ACCEL_MIN_LAG		(FRAMES_PER_MS * 5 / 2)	/* 2.5 ms: 400 Hz */
#define ACCEL_MAX_LAG		(10 * FRAMES_PER_MS)	/* 10 ms: 100 Hz */
#define ACCEL_DECIMATE		4			/* coarse lag search at 12 kHz */
#define ACCEL_CORRELATION	0.9			/* as NetEq's accelerate */
#define ACCEL_QUIET		1e-5			/* mean square under -50 dBFS */
#define ACCEL_FORCE_AFTER	5			/* packets without a periodic cut */
#define ACCEL_HOLD_IDLE		25			/* packets without any cut (too short
							 * to cut): the drift control's again */
#define ACCEL_MAX_CUTS		2

#define MIN_PACKETS_MEASURED	50		/* before: the start delay is the target */

#define SLOT_RED		(1u << 0)
#define SLOT_NEW_SOURCE		(1u << 1)
#define SLOT_EMPTY		(1u << 2)	/* padding only: a sequence number, no audio */

#define PKT_FROM_RED		(1u << 0)
#define PKT_HAS_FEC		(1u << 1)
#define PKT_EMPTY		(1u << 2)

struct handoff_slot {
	uint64_t arrival_ns;
	uint32_t ts;
	uint16_t seq;
	uint16_t len;
	uint8_t flags;
	uint8_t data[MAX_PAYLOAD];
};

struct stored_packet {
	bool used;
	uint8_t flags;
	uint16_t seq;
	uint16_t len;
	uint16_t duration;
	uint32_t ts;
	uint64_t arrival_ns;	/* of the first packet that brought it (a RED carrier too) */
	uint8_t data[MAX_PAYLOAD];
};

enum play_state {
	STATE_BUFFERING,	/* collecting packets until the target is reached */
	STATE_PLAYING,
};

/* Each counter has one writer (push: packets/invalid/overflow; pull: the
 * rest); readers on any thread load them relaxed. */
struct metrics {
	atomic_uint_fast64_t packets, invalid, overflow;
	atomic_uint_fast64_t lost, concealed, fec_recovered, red_recovered, late, duplicate;
	atomic_uint_fast64_t dropped, underruns, resyncs, decode_errors, frames;
	atomic_uint_fast64_t accelerated, accelerated_frames;
	atomic_uint level_ms, target_ms;
};

struct alto_jitter_buffer {
	struct alto_jitter_buffer_config cfg;

	struct {			/* network thread only */
		bool have_ssrc;
		bool new_source;	/* to flag on the next slot written */
		uint32_t ssrc;
	} producer;

	alignas(64) atomic_uint write_index;	/* written by push */
	alignas(64) atomic_uint read_index;	/* written by pull */
	alignas(64) struct handoff_slot slots[HANDOFF_SLOTS];

	struct {			/* real-time thread only */
		struct alto_opus_decoder *decoder;
		enum play_state state;
		uint16_t next_seq;
		uint32_t next_ts;
		uint32_t n_stored;
		uint16_t highest_seq;
		uint32_t highest_end;	/* RTP time just after the newest packet */
		bool have_jump;		/* a big sequence jump waits for its successor */
		uint16_t jump_seq;
		uint32_t buffering_frames;
		bool starving;
		bool dtx_idle;		/* starved because the sender is in DTX */
		bool underrun_counted;
		bool in_gap;
		uint32_t gap_hold;	/* silence held in this gap, frames */
		uint32_t underrun_plc;
		uint32_t last_duration;
		uint16_t last_len;
		double last_energy;
		uint32_t target;	/* frames */
		uint32_t goal;		/* what the jitter asks for; target follows it */
		uint32_t slew_frames;	/* pulled since the target last stepped down */
		uint32_t skip;		/* frames to discard from the next decoded packet */
		bool have_level;
		double level;		/* filtered fill after a pull, frames */
		bool accelerating;	/* level - target above ACCEL_START, not yet under ACCEL_STOP */
		uint32_t recovery;	/* frames left of the recovery after a burst */
		uint32_t since_starved;	/* frames pulled since the buffer last ran dry */
		double floor_cur, floor_prev;	/* lowest fill in this bucket, the one before */
		uint32_t floor_frames;	/* pulled in this bucket */
		uint32_t accel_idle;	/* packets decoded since the last cut */
		uint32_t n_cuts;	/* cuts in pcm: from output frame cut_at[i] on, */
		uint32_t cut_at[ACCEL_MAX_CUTS];	/* the audio is cut_len[i] later */
		uint32_t cut_len[ACCEL_MAX_CUTS];
		uint32_t pcm_pos, pcm_len;
		/* where pcm came from: decoded (or FEC-rebuilt) audio of a received packet, or
		 * concealment/silence; for alto_jitter_buffer_get_playout() */
		bool pcm_from_packet;
		uint32_t pcm_ts;	/* RTP time of pcm[0] */
		uint64_t pcm_arrival_ns;
		bool played_packet;	/* the last pull wrote audio of a packet: */
		uint32_t played_ts;	/*   RTP time of the last such frame */
		uint64_t played_arrival_ns;
		struct alto_delay_estimator est;
		struct stored_packet store[STORE_SLOTS];
		float pcm[MAX_FRAMES * 2];
		float mono[MAX_FRAMES];	/* accelerate's analysis signal */
		float coarse[MAX_FRAMES / ACCEL_DECIMATE];
	} c;

	struct metrics m;
};

static inline void count(atomic_uint_fast64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

void alto_jitter_buffer_config_default(struct alto_jitter_buffer_config *cfg)
{
	*cfg = (struct alto_jitter_buffer_config) {
		.channels = 1,
		.opus_pt = 111,
		.red_pt = 63,
		.start_delay_ms = 40,
		.min_delay_ms = 20,
		.max_delay_ms = 400,
	};
}

int alto_jitter_buffer_create(struct alto_jitter_buffer **out, const struct alto_jitter_buffer_config *cfg)
{
	struct alto_jitter_buffer *jb;
	size_t size = (sizeof(*jb) + 63) & ~(size_t)63;
	int res;

	if (out == NULL || cfg == NULL || (cfg->channels != 1 && cfg->channels != 2) ||
	    cfg->opus_pt > 127 || cfg->red_pt > 127 || cfg->red_pt == cfg->opus_pt ||
	    cfg->min_delay_ms > cfg->max_delay_ms || cfg->max_delay_ms > 2000)
		return -EINVAL;
	if ((jb = aligned_alloc(64, size)) == NULL)
		return -ENOMEM;
	memset(jb, 0, size);
	jb->cfg = *cfg;
	if ((res = alto_opus_decoder_create(&jb->c.decoder, (int)cfg->channels)) < 0) {
		free(jb);
		return res;
	}
	jb->c.state = STATE_BUFFERING;
	jb->c.since_starved = RECOVERY_FRAMES;
	jb->c.last_duration = DEFAULT_PACKET_FRAMES;
	alto_delay_estimator_init(&jb->c.est, RATE);
	jb->c.target = cfg->start_delay_ms * FRAMES_PER_MS;
	if (jb->c.target < cfg->min_delay_ms * FRAMES_PER_MS)
		jb->c.target = cfg->min_delay_ms * FRAMES_PER_MS;
	if (jb->c.target > cfg->max_delay_ms * FRAMES_PER_MS)
		jb->c.target = cfg->max_delay_ms * FRAMES_PER_MS;
	atomic_store_explicit(&jb->m.target_ms, jb->c.target / FRAMES_PER_MS, memory_order_relaxed);
	*out = jb;
	return 0;
}

void alto_jitter_buffer_destroy(struct alto_jitter_buffer *jb)
{
	if (jb == NULL)
		return;
	alto_opus_decoder_destroy(jb->c.decoder);
	free(jb);
}

/* ---- producer: network thread ---------------------------------------- */

/* Checks what the consumer will need from the payload, so that garbage is
 * refused (and counted) where it arrives. */
static int check_payload(struct alto_jitter_buffer *jb, const struct alto_rtp_packet *rtp, uint8_t *flags)
{
	bool ours = rtp->payload_type == jb->cfg.opus_pt ||
		(jb->cfg.red_pt != 0 && rtp->payload_type == jb->cfg.red_pt);

	if (rtp->payload_len == 0 && ours) {
		/* padding only (bandwidth probing): it takes a sequence number,
		 * which must not read as a loss */
		*flags = SLOT_EMPTY;
		return 0;
	}
	if (rtp->payload_len == 0 || rtp->payload_len > MAX_PAYLOAD)
		return ours ? -EBADMSG : -ENOTSUP;
	if (rtp->payload_type == jb->cfg.opus_pt) {
		*flags = 0;
		return alto_opus_packet_duration(rtp->payload, rtp->payload_len) < 0 ? -EBADMSG : 0;
	}
	if (jb->cfg.red_pt != 0 && rtp->payload_type == jb->cfg.red_pt) {
		struct alto_red_block blocks[ALTO_RED_MAX_BLOCKS];
		const struct alto_red_block *primary;
		size_t n;

		if (alto_red_parse(rtp->payload, rtp->payload_len, rtp->timestamp,
				blocks, ALTO_RED_MAX_BLOCKS, &n) < 0)
			return -EBADMSG;
		primary = &blocks[n - 1];
		if (primary->payload_type != jb->cfg.opus_pt ||
		    alto_opus_packet_duration(primary->data, primary->len) < 0)
			return -EBADMSG;
		*flags = SLOT_RED;
		return 0;
	}
	return -ENOTSUP;
}

int alto_jitter_buffer_push(struct alto_jitter_buffer *jb, const uint8_t *packet, size_t len,
		uint64_t arrival_ns)
{
	struct alto_rtp_packet rtp;
	struct handoff_slot *slot;
	unsigned int w, r;
	uint8_t flags = 0;
	int res;

	if (jb == NULL || packet == NULL)
		return -EINVAL;
	if ((res = alto_rtp_parse(packet, len, &rtp)) < 0 ||
	    (res = check_payload(jb, &rtp, &flags)) < 0) {
		count(&jb->m.invalid, 1);
		return res;
	}

	if (!jb->producer.have_ssrc || jb->producer.ssrc != rtp.ssrc) {
		jb->producer.new_source = jb->producer.have_ssrc;
		jb->producer.have_ssrc = true;
		jb->producer.ssrc = rtp.ssrc;
	}

	w = atomic_load_explicit(&jb->write_index, memory_order_relaxed);
	r = atomic_load_explicit(&jb->read_index, memory_order_acquire);
	if (w - r >= HANDOFF_SLOTS) {
		count(&jb->m.overflow, 1);
		return -ENOBUFS;
	}
	slot = &jb->slots[w & (HANDOFF_SLOTS - 1)];
	slot->arrival_ns = arrival_ns;
	slot->ts = rtp.timestamp;
	slot->seq = rtp.seq;
	slot->len = (uint16_t)rtp.payload_len;
	slot->flags = flags | (jb->producer.new_source ? SLOT_NEW_SOURCE : 0);
	memcpy(slot->data, rtp.payload, rtp.payload_len);
	jb->producer.new_source = false;
	/* publishes the slot contents to the consumer */
	atomic_store_explicit(&jb->write_index, w + 1, memory_order_release);
	count(&jb->m.packets, 1);
	return 0;
}

/* ---- consumer: real-time thread --------------------------------------- */

static void update_target(struct alto_jitter_buffer *jb)
{
	const struct alto_jitter_buffer_config *cfg = &jb->cfg;
	uint32_t target;

	/* The delay is measured right after a pull: what must be left then is
	 * the arrival jitter plus one packet (the next one may be due just
	 * before the following pull). The pull itself comes on top. */
	if (alto_delay_estimator_packets(&jb->c.est) < MIN_PACKETS_MEASURED)
		target = cfg->start_delay_ms * FRAMES_PER_MS;
	else
		target = alto_delay_estimator_percentile(&jb->c.est) + jb->c.last_duration + TARGET_MARGIN;
	if (target < cfg->min_delay_ms * FRAMES_PER_MS)
		target = cfg->min_delay_ms * FRAMES_PER_MS;
	if (target > cfg->max_delay_ms * FRAMES_PER_MS)
		target = cfg->max_delay_ms * FRAMES_PER_MS;
	jb->c.goal = target;
	/* Up at once (less would underrun), down only as slew_target() lets
	 * it while playing: a lower target is excess the drift control drains,
	 * and a step of 10 ms (the first measured target below the start
	 * delay) would pin it at its limit for seconds, a pitch shift. */
	if (target > jb->c.target || jb->c.state != STATE_PLAYING) {
		jb->c.target = target;
		jb->c.slew_frames = 0;
	} else if (jb->c.target > target + ACCEL_START) {
		/* far above (a stall's delays forgotten): down at once to near the
		 * goal; accelerate() takes the excess away, and the rest slews */
		jb->c.target = target + ACCEL_START / 2;
		jb->c.slew_frames = 0;
	}
}

/* After a pull: the target steps down towards the goal by one frame per
 * TARGET_SLEW frames pulled, which the drift control follows at 1/TARGET_SLEW
 * (0.025 %, 0.1 Hz on 440 Hz) inside its small-error range. */
static void slew_target(struct alto_jitter_buffer *jb, uint32_t n_frames)
{
	uint32_t steps;

	if (jb->c.goal >= jb->c.target) {
		jb->c.slew_frames = 0;
		return;
	}
	jb->c.slew_frames += n_frames;
	steps = jb->c.slew_frames / TARGET_SLEW;
	jb->c.slew_frames %= TARGET_SLEW;
	if (steps > jb->c.target - jb->c.goal)
		steps = jb->c.target - jb->c.goal;
	jb->c.target -= steps;
}

static void estimate_delay(struct alto_jitter_buffer *jb, uint32_t ts, uint64_t arrival_ns)
{
	alto_delay_estimator_update(&jb->c.est, ts, arrival_ns);
	update_target(jb);
}

static inline struct stored_packet *lookup(struct alto_jitter_buffer *jb, uint16_t seq)
{
	struct stored_packet *p = &jb->c.store[seq & STORE_MASK];
	return p->used && p->seq == seq ? p : NULL;
}

static void remove_packet(struct alto_jitter_buffer *jb, struct stored_packet *p)
{
	p->used = false;
	jb->c.n_stored--;
}

static void clear_store(struct alto_jitter_buffer *jb)
{
	for (uint32_t i = 0; i < STORE_SLOTS; i++)
		jb->c.store[i].used = false;
	jb->c.n_stored = 0;
}

/* Back to buffering: a new source, a sequence jump. */
static void restart(struct alto_jitter_buffer *jb)
{
	if (jb->c.state == STATE_PLAYING || jb->c.n_stored > 0)
		count(&jb->m.resyncs, 1);
	clear_store(jb);
	alto_opus_decoder_reset(jb->c.decoder);
	jb->c.state = STATE_BUFFERING;
	jb->c.buffering_frames = 0;
	jb->c.have_jump = false;
	jb->c.starving = false;
	jb->c.dtx_idle = false;
	jb->c.in_gap = false;
	jb->c.gap_hold = 0;
	jb->c.last_len = 0;
	jb->c.last_energy = 0.0;
	jb->c.skip = 0;
	jb->c.have_level = false;
	jb->c.accelerating = false;
	jb->c.recovery = 0;
	jb->c.since_starved = RECOVERY_FRAMES;
	alto_delay_estimator_new_timeline(&jb->c.est);
}

/* A sequence number far from where we are: believed when its successor
 * follows (RFC 3550 A.1 does the same), else dropped. */
static bool confirm_jump(struct alto_jitter_buffer *jb, uint16_t seq)
{
	if (jb->c.have_jump && seq == jb->c.jump_seq) {
		restart(jb);
		return true;
	}
	jb->c.have_jump = true;
	jb->c.jump_seq = (uint16_t)(seq + 1);
	return false;
}

/* Returns true when the packet was stored (not late, duplicate, refused). */
static bool insert(struct alto_jitter_buffer *jb, uint16_t seq, uint32_t ts,
		const uint8_t *data, size_t len, bool redundant, uint64_t arrival_ns)
{
	struct stored_packet *p;
	bool empty = len == 0;
	int duration = 0;

	if (empty) {
		if (redundant || (jb->c.state == STATE_BUFFERING && jb->c.n_stored == 0))
			return false;
	} else if (len > MAX_PAYLOAD || (duration = alto_opus_packet_duration(data, len)) < 0) {
		return false;
	}

	if (jb->c.state == STATE_PLAYING) {
		int32_t d = alto_rtp_seq_diff(seq, jb->c.next_seq);

		if (d < 0 && d > -MAX_LATE_DISTANCE) {
			if (!redundant && !empty)
				count(&jb->m.late, 1);
			return false;
		}
		if (d < 0 || d >= STORE_SLOTS) {
			if (redundant || empty)
				return false;
			if (!confirm_jump(jb, seq)) {
				count(&jb->m.dropped, 1);
				return false;
			}
		}
	} else if (jb->c.n_stored > 0) {
		int32_t d = alto_rtp_seq_diff(seq, jb->c.highest_seq);
		if (d >= STORE_SLOTS || d <= -STORE_SLOTS) {
			if (redundant || empty)
				return false;
			/* while buffering, the newest stream wins */
			count(&jb->m.dropped, jb->c.n_stored);
			clear_store(jb);
		}
	}
	if (!redundant && !empty)
		jb->c.have_jump = false;

	p = &jb->c.store[seq & STORE_MASK];
	if (p->used) {
		if (p->seq == seq) {
			if (!redundant && !empty) {
				if (p->flags & PKT_FROM_RED)
					p->flags &= ~PKT_FROM_RED;	/* the primary did arrive */
				else
					count(&jb->m.duplicate, 1);
			}
			return false;
		}
		/* only while buffering: two packets 256 apart share a slot */
		count(&jb->m.dropped, 1);
		if (alto_rtp_seq_diff(seq, p->seq) < 0 || redundant)
			return false;
		remove_packet(jb, p);
	}

	p->used = true;
	p->seq = seq;
	p->ts = ts;
	p->arrival_ns = arrival_ns;
	p->len = (uint16_t)len;
	p->duration = (uint16_t)duration;
	p->flags = empty ? PKT_EMPTY : (redundant ? PKT_FROM_RED : 0) |
		(alto_opus_packet_has_fec(data, len) == 1 ? PKT_HAS_FEC : 0);
	if (len > 0)
		memcpy(p->data, data, len);
	if (!empty && (jb->c.n_stored == 0 || alto_rtp_seq_diff(seq, jb->c.highest_seq) > 0)) {
		jb->c.highest_seq = seq;
		jb->c.highest_end = ts + (uint32_t)duration;
	}
	jb->c.n_stored++;
	return true;
}

static void accept_slot(struct alto_jitter_buffer *jb, const struct handoff_slot *slot)
{
	if (slot->flags & SLOT_NEW_SOURCE)
		restart(jb);
	if (slot->flags & SLOT_EMPTY) {
		insert(jb, slot->seq, slot->ts, NULL, 0, false, slot->arrival_ns);
		return;
	}

	if (slot->flags & SLOT_RED) {
		struct alto_red_block blocks[ALTO_RED_MAX_BLOCKS];
		size_t n;

		if (alto_red_parse(slot->data, slot->len, slot->ts, blocks, ALTO_RED_MAX_BLOCKS, &n) < 0)
			return;
		insert(jb, slot->seq, slot->ts, blocks[n - 1].data, blocks[n - 1].len, false, slot->arrival_ns);
		/* Redundant blocks are the packets just before the primary, oldest
		 * first (libwebrtc's RED encoder): block i of r is seq - (r - i).
		 * Their timestamps must go up and stay before the primary's. */
		for (size_t i = 0; i + 1 < n; i++) {
			const struct alto_red_block *b = &blocks[i];
			if (b->payload_type != jb->cfg.opus_pt ||
			    alto_rtp_ts_diff(slot->ts, b->timestamp) <= 0 ||
			    (i > 0 && alto_rtp_ts_diff(b->timestamp, blocks[i - 1].timestamp) <= 0))
				continue;
			/* a packet that came only inside a later one arrived that
			 * late: the delay estimate has to know */
			if (insert(jb, (uint16_t)(slot->seq - (n - 1 - i)), b->timestamp, b->data, b->len, true,
				   slot->arrival_ns) &&
			    slot->arrival_ns != 0)
				estimate_delay(jb, b->timestamp, slot->arrival_ns);
		}
	} else {
		insert(jb, slot->seq, slot->ts, slot->data, slot->len, false, slot->arrival_ns);
	}
	if (slot->arrival_ns != 0)
		estimate_delay(jb, slot->ts, slot->arrival_ns);
}

static void drain_handoff(struct alto_jitter_buffer *jb)
{
	unsigned int r = atomic_load_explicit(&jb->read_index, memory_order_relaxed);
	unsigned int w = atomic_load_explicit(&jb->write_index, memory_order_acquire);

	while (r != w) {
		accept_slot(jb, &jb->slots[r & (HANDOFF_SLOTS - 1)]);
		r++;
	}
	/* hands the slots back to the producer */
	atomic_store_explicit(&jb->read_index, r, memory_order_release);
}

/* Frames buffered ahead of the play-out point. */
static int64_t fill_frames(const struct alto_jitter_buffer *jb)
{
	int64_t fill = jb->c.pcm_len - jb->c.pcm_pos;

	if (jb->c.state == STATE_PLAYING && jb->c.n_stored > 0) {
		int64_t ahead = alto_rtp_ts_diff(jb->c.highest_end, jb->c.next_ts);
		if (ahead > 0)
			fill += ahead;
	}
	return fill;
}

static uint32_t silence(struct alto_jitter_buffer *jb, uint32_t frames)
{
	if (frames > MAX_FRAMES)
		frames = MAX_FRAMES;
	if (frames == 0)
		frames = 1;
	memset(jb->c.pcm, 0, (size_t)frames * jb->cfg.channels * sizeof(float));
	if (jb->c.state == STATE_BUFFERING && jb->c.n_stored > 0)
		jb->c.buffering_frames += frames;
	return frames;
}

static uint32_t concealment_size(uint32_t frames)
{
	if (frames > MAX_FRAMES)
		frames = MAX_FRAMES;
	frames -= frames % GRAIN;
	return frames < GRAIN ? GRAIN : frames;
}

static double energy(const float *pcm, size_t n)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	return n > 0 ? sum / (double)n : 0.0;
}

static uint32_t plc(struct alto_jitter_buffer *jb, uint32_t frames)
{
	int n;

	frames = concealment_size(frames);
	n = alto_opus_decode_plc(jb->c.decoder, jb->c.pcm, (int)frames);
	if (n <= 0) {
		count(&jb->m.decode_errors, 1);
		return silence(jb, frames);
	}
	return (uint32_t)n;
}

static bool try_start(struct alto_jitter_buffer *jb, uint32_t want)
{
	struct stored_packet *lowest = NULL;
	int32_t lowest_d = -1;
	int64_t span;

	if (jb->c.n_stored == 0)
		return false;
	for (uint32_t i = 0; i < STORE_SLOTS; i++) {
		struct stored_packet *p = &jb->c.store[i];
		int32_t d;
		if (!p->used || (p->flags & PKT_EMPTY))
			continue;
		d = alto_rtp_seq_diff(jb->c.highest_seq, p->seq);
		if (d < 0 || d >= STORE_SLOTS) {
			/* left behind by the stream moving on while buffering */
			remove_packet(jb, p);
			count(&jb->m.dropped, 1);
			continue;
		}
		if (d > lowest_d) {
			lowest_d = d;
			lowest = p;
		}
	}
	if (lowest == NULL)
		return false;
	/* enough for this pull and the target after it */
	span = alto_rtp_ts_diff(jb->c.highest_end, lowest->ts);
	if (span < (int64_t)jb->c.target + want &&
	    jb->c.buffering_frames < jb->cfg.max_delay_ms * FRAMES_PER_MS)
		return false;
	/* padding placeholders before the first packet are of no use */
	for (uint32_t i = 0; i < STORE_SLOTS; i++) {
		struct stored_packet *p = &jb->c.store[i];
		if (p->used && (p->flags & PKT_EMPTY) && alto_rtp_seq_diff(p->seq, lowest->seq) < 0)
			remove_packet(jb, p);
	}
	jb->c.state = STATE_PLAYING;
	jb->c.next_seq = lowest->seq;
	jb->c.next_ts = lowest->ts;
	jb->c.starving = false;
	jb->c.dtx_idle = false;
	jb->c.in_gap = false;
	return true;
}

static bool recovery_settled(const struct alto_jitter_buffer *jb)
{
	return jb->c.recovery > 0 && jb->c.recovery <= RECOVERY_FRAMES - RECOVERY_SETTLE;
}

/* Normalized correlation of x[0..len) with x[lag..lag+len), step apart. */
static double correlation(const float *x, uint32_t lag, uint32_t len)
{
	double xy = 0.0, xx = 0.0, yy = 0.0;

	for (uint32_t i = 0; i < len; i++) {
		xy += (double)x[i] * x[i + lag];
		xx += (double)x[i] * x[i];
		yy += (double)x[i + lag] * x[i + lag];
	}
	return xx > 0.0 && yy > 0.0 ? xy / sqrt(xx * yy) : 0.0;
}

/* The lag in [min_lag, max_lag] at which the analysis signal from frame
 * `at` on repeats best: a coarse search on a 12 kHz copy, then the exact
 * lag around it. *corr: its correlation. */
static uint32_t best_lag(struct alto_jitter_buffer *jb, uint32_t at, uint32_t len,
		uint32_t min_lag, uint32_t max_lag, double *corr)
{
	const float *x = jb->c.mono + at;
	uint32_t m = len / ACCEL_DECIMATE, best = min_lag, lo, hi;
	double best_c = -2.0;

	for (uint32_t i = 0; i < m; i++) {
		const float *q = x + (size_t)i * ACCEL_DECIMATE;
		jb->c.coarse[i] = (q[0] + q[1] + q[2] + q[3]) * 0.25f;
	}
	for (uint32_t l = (min_lag + ACCEL_DECIMATE - 1) / ACCEL_DECIMATE;
	     l * ACCEL_DECIMATE <= max_lag && 2 * l <= m; l++) {
		double c = correlation(jb->c.coarse, l, l);
		if (c > best_c) {
			best_c = c;
			best = l * ACCEL_DECIMATE;
		}
	}
	lo = best > min_lag + ACCEL_DECIMATE ? best - ACCEL_DECIMATE : min_lag;
	hi = best + ACCEL_DECIMATE < max_lag ? best + ACCEL_DECIMATE : max_lag;
	best_c = -2.0;
	for (uint32_t l = lo; l <= hi; l++) {
		double c = correlation(x, l, l);
		if (c > best_c) {
			best_c = c;
			best = l;
		}
	}
	*corr = best_c;
	return best;
}

/* Removes `lag` frames at frame `at` of the n in pcm: the two periods
 * [at, at+lag) and [at+lag, at+2*lag) become one, faded from the first into
 * the second, so that the waveform goes on without a step. In place: each
 * write is at or before what is still to be read. */
static void cut_period(struct alto_jitter_buffer *jb, uint32_t at, uint32_t lag, uint32_t n)
{
	const uint32_t ch = jb->cfg.channels;
	float *x = jb->c.pcm;

	for (uint32_t i = 0; i < lag; i++) {
		float w = (float)(i + 1) / (float)(lag + 1);
		for (uint32_t c = 0; c < ch; c++) {
			size_t k = (size_t)(at + i) * ch + c;
			x[k] = x[k] * (1.0f - w) + x[k + (size_t)lag * ch] * w;
		}
		jb->c.mono[at + i] = jb->c.mono[at + i] * (1.0f - w) + jb->c.mono[at + i + lag] * w;
	}
	memmove(x + (size_t)(at + lag) * ch, x + (size_t)(at + 2 * lag) * ch,
			(size_t)(n - at - 2 * lag) * ch * sizeof(float));
	memmove(jb->c.mono + at + lag, jb->c.mono + at + 2 * lag,
			(size_t)(n - at - 2 * lag) * sizeof(float));
}

/* Time compression of one decoded packet of n frames while the buffer is
 * too full (NetEq's "accelerate"): removes whole pitch periods where the
 * signal repeats (correlation >= 0.9: voiced speech, tones: no audible
 * change but the duration), anything where it is quiet (< -50 dBFS), and,
 * when nothing periodic came for ACCEL_FORCE_AFTER packets (music, noise),
 * the best-matching stretch anyway so that the excess still goes. At most
 * half of the packet, one cut (two far above the target), never more than
 * the excess. Returns the frames left. */
static uint32_t accelerate(struct alto_jitter_buffer *jb, uint32_t n)
{
	const uint32_t ch = jb->cfg.channels;
	double excess = jb->c.level - jb->c.target;
	double stop = recovery_settled(jb) ? RECOVERY_STOP : ACCEL_STOP;
	uint32_t budget, removed = 0, at = 0, cuts = excess > ACCEL_FAST ? ACCEL_MAX_CUTS : 1;
	bool quiet;

	if (excess < stop + ACCEL_MIN_LAG) {
		jb->c.accelerating = false;
		return n;
	}
	budget = (uint32_t)(excess - stop);
	for (uint32_t i = 0; i < n; i++) {
		float v = jb->c.pcm[(size_t)i * ch];
		if (ch == 2)
			v = (v + jb->c.pcm[(size_t)i * ch + 1]) * 0.5f;
		jb->c.mono[i] = v;
	}
	quiet = energy(jb->c.mono, n) < ACCEL_QUIET;

	while (jb->c.n_cuts < cuts) {
		uint32_t room = n - removed - at, lag;
		uint32_t max_lag = room / 2;
		double corr;

		if (max_lag > ACCEL_MAX_LAG)
			max_lag = ACCEL_MAX_LAG;
		if (max_lag > budget - removed)
			max_lag = budget - removed;
		if (max_lag > n / 2 - removed)
			max_lag = n / 2 - removed;
		if (max_lag < ACCEL_MIN_LAG)
			break;
		if (quiet) {
			lag = max_lag;
		} else {
			lag = best_lag(jb, at, room, ACCEL_MIN_LAG, max_lag, &corr);
			if (corr < ACCEL_CORRELATION && jb->c.accel_idle < ACCEL_FORCE_AFTER)
				break;
		}
		cut_period(jb, at, lag, n - removed);
		jb->c.cut_at[jb->c.n_cuts] = at + lag / 2;
		jb->c.cut_len[jb->c.n_cuts] = lag;
		jb->c.n_cuts++;
		removed += lag;
		at += lag;
		jb->c.accel_idle = 0;
	}
	if (removed == 0) {
		jb->c.accel_idle++;
		return n;
	}
	/* the filter knows what went (NetEq's buffer level filter subtracts the
	 * time-stretched samples too): no lag, no overshoot */
	jb->c.level -= removed;
	count(&jb->m.accelerated, 1);
	count(&jb->m.accelerated_frames, removed);
	return n - removed;
}

static uint32_t decode_packet(struct alto_jitter_buffer *jb, struct stored_packet *p)
{
	int n = alto_opus_decode(jb->c.decoder, p->data, p->len, jb->c.pcm, MAX_FRAMES);

	if (p->flags & PKT_FROM_RED)
		count(&jb->m.red_recovered, 1);
	if (n <= 0) {
		count(&jb->m.decode_errors, 1);
		n = (int)plc(jb, p->duration);
	} else {
		jb->c.pcm_from_packet = true;
		jb->c.pcm_ts = p->ts;
		jb->c.pcm_arrival_ns = p->arrival_ns;
	}
	jb->c.last_duration = concealment_size(p->duration);
	jb->c.last_len = p->len;
	jb->c.last_energy = energy(jb->c.pcm, (size_t)n * jb->cfg.channels);
	jb->c.next_seq = (uint16_t)(p->seq + 1);
	jb->c.next_ts = p->ts + (uint32_t)n;
	if (jb->c.skip > 0) {
		/* trim_excess() ended inside this packet: play from there */
		uint32_t skip = jb->c.skip < (uint32_t)n ? jb->c.skip : (uint32_t)n - 1;
		memmove(jb->c.pcm, jb->c.pcm + (size_t)skip * jb->cfg.channels,
				(size_t)(n - skip) * jb->cfg.channels * sizeof(float));
		n -= (int)skip;
		jb->c.pcm_ts += skip;
		jb->c.skip = 0;
	}
	if (jb->c.accelerating)
		n = (int)accelerate(jb, (uint32_t)n);
	jb->c.starving = false;
	jb->c.dtx_idle = false;
	jb->c.in_gap = false;
	jb->c.gap_hold = 0;
	remove_packet(jb, p);
	return (uint32_t)n;
}

/* The sender skipped time (DTX) before p: silence, and the free moment to
 * move the delay to the target. Returns 0 to look again. */
static uint32_t silence_gap(struct alto_jitter_buffer *jb, int64_t gap, uint32_t want)
{
	/* what will be left after this pull, against the target */
	int64_t excess = fill_frames(jb) - want - jb->c.target;
	uint32_t n;

	jb->c.in_gap = true;
	if (excess > GRAIN) {
		/* too much buffered: skip silence */
		int64_t skip = excess < gap ? excess : gap;
		jb->c.next_ts += (uint32_t)skip;
		return 0;
	}
	if (excess < -GRAIN && jb->c.gap_hold < jb->c.target) {
		/* too little: play silence without moving on, while a talk spurt
		 * fills the buffer; a lone comfort-noise packet in DTX will not,
		 * so hold for at most the target */
		n = want < (uint64_t)-excess ? want : (uint32_t)-excess;
		if (n > jb->c.target - jb->c.gap_hold)
			n = jb->c.target - jb->c.gap_hold;
		n = silence(jb, n);
		jb->c.gap_hold += n;
		return n;
	}
	n = want < gap ? want : (uint32_t)gap;
	n = silence(jb, n);
	jb->c.next_ts += n;
	return n;
}

/* A starved stretch is an underrun once it outlasts the concealment or
 * once the packet we waited for turns up late; when a later packet turns
 * up instead, the missing one was lost, not late. Counted once. */
static void underrun(struct alto_jitter_buffer *jb)
{
	if (jb->c.starving && !jb->c.underrun_counted) {
		jb->c.underrun_counted = true;
		count(&jb->m.underruns, 1);
	}
}

static uint32_t starved(struct alto_jitter_buffer *jb, uint32_t want)
{
	uint32_t n;

	jb->c.in_gap = false;
	if (jb->c.last_len <= DTX_PACKET_LEN || jb->c.last_energy < QUIET_ENERGY) {
		/* the sender is in DTX (or silent): comfort is silence */
		jb->c.dtx_idle = true;
		n = silence(jb, want);
	} else {
		if (!jb->c.starving) {
			jb->c.starving = true;
			jb->c.underrun_counted = false;
			jb->c.underrun_plc = 0;
		}
		if (jb->c.underrun_plc < MAX_UNDERRUN_PLC) {
			n = plc(jb, jb->c.last_duration);
			jb->c.underrun_plc += n;
		} else {
			underrun(jb);
			n = silence(jb, want);
		}
	}
	jb->c.next_ts += n;
	return n;
}

static uint32_t starved(struct alto_jitter_buffer *jb, uint32_t want);
static void trim_excess(struct alto_jitter_buffer *jb, int64_t excess);

/* next_seq is missing and later packets are there. Returns 0 to look again. */
static uint32_t conceal_loss(struct alto_jitter_buffer *jb, uint32_t want)
{
	struct stored_packet *p = NULL;
	int32_t missing, placeholders = 0;
	int64_t gap;
	uint32_t n;

	for (uint32_t d = 1; d < STORE_SLOTS && p == NULL; d++) {
		struct stored_packet *q = lookup(jb, (uint16_t)(jb->c.next_seq + d));
		if (q != NULL && (q->flags & PKT_EMPTY))
			placeholders++;
		else
			p = q;
	}
	if (p == NULL)			/* only padding ahead: nothing to play yet */
		return starved(jb, want);
	missing = alto_rtp_seq_diff(p->seq, jb->c.next_seq) - placeholders;
	gap = alto_rtp_ts_diff(p->ts, jb->c.next_ts);

	if (gap < GRAIN || gap / missing < GRAIN) {
		/* their time has passed already (covered while starved) */
		count(&jb->m.lost, (uint64_t)missing);
		count(&jb->m.concealed, (uint64_t)missing);
		while (jb->c.next_seq != p->seq) {	/* padding placeholders in between */
			struct stored_packet *q = lookup(jb, jb->c.next_seq);
			if (q != NULL)
				remove_packet(jb, q);
			jb->c.next_seq++;
		}
		return 0;
	}
	if (missing == 1 && (p->flags & PKT_HAS_FEC) && gap <= p->duration) {
		int r = alto_opus_decode_fec(jb->c.decoder, p->data, p->len, jb->c.pcm,
				(int)concealment_size((uint32_t)gap));
		if (r > 0) {
			n = (uint32_t)r;
			count(&jb->m.fec_recovered, 1);
			/* the lost packet's audio, rebuilt from what p brought */
			jb->c.pcm_from_packet = true;
			jb->c.pcm_ts = jb->c.next_ts;
			jb->c.pcm_arrival_ns = p->arrival_ns;
		} else {
			n = plc(jb, (uint32_t)gap);
			count(&jb->m.concealed, 1);
		}
	} else {
		uint32_t frames = (uint32_t)(gap / missing);
		n = plc(jb, frames < jb->c.last_duration ? frames : jb->c.last_duration);
		count(&jb->m.concealed, 1);
	}
	count(&jb->m.lost, 1);
	jb->c.last_energy = energy(jb->c.pcm, (size_t)n * jb->cfg.channels);
	jb->c.next_seq++;
	jb->c.next_ts += n;
	jb->c.starving = false;
	jb->c.in_gap = false;
	return n;
}

/* Fills jb->c.pcm with at least one frame; want is what the pull still needs. */
static uint32_t produce(struct alto_jitter_buffer *jb, uint32_t want)
{
	uint32_t n;

	if (want > MAX_FRAMES)
		want = MAX_FRAMES;
	for (uint32_t guard = 0; guard < 2 * STORE_SLOTS + 8; guard++) {
		struct stored_packet *p;

		if (jb->c.state == STATE_BUFFERING) {
			if (!try_start(jb, want))
				return silence(jb, want);
			/* start at the target, not above it: what a burst
			 * brought beyond it would pin the drift control */
			trim_excess(jb, fill_frames(jb) - (int64_t)want - (int64_t)jb->c.target);
			continue;
		}
		if ((p = lookup(jb, jb->c.next_seq)) != NULL) {
			int64_t gap = alto_rtp_ts_diff(p->ts, jb->c.next_ts);

			if (p->flags & PKT_EMPTY) {
				remove_packet(jb, p);
				jb->c.next_seq++;
				continue;
			}
			if (gap > -GRAIN && gap < GRAIN)
				return decode_packet(jb, p);
			if (gap >= MAX_TS_GAP || gap <= -MAX_TS_GAP || gap < 0) {
				/* a timestamp discontinuity, or late after a starved
				 * stretch: play it now, the delay grows */
				if (gap < 0 && gap > -MAX_TS_GAP)
					underrun(jb);
				jb->c.next_ts = p->ts;
				continue;
			}
			if ((n = silence_gap(jb, gap, want)) > 0)
				return n;
			continue;
		}
		if (jb->c.n_stored == 0)
			return starved(jb, want);
		if ((n = conceal_loss(jb, want)) > 0)
			return n;
	}
	return silence(jb, want);
}

/* Far more buffered than wanted (a burst after a stall, a slow consumer):
 * drop the oldest packets so that the target remains. */
static void check_overflow(struct alto_jitter_buffer *jb, uint32_t n_frames)
{
	uint32_t start;
	struct stored_packet *p;

	if (jb->c.state != STATE_PLAYING || jb->c.n_stored == 0 ||
	    fill_frames(jb) - n_frames <= 2 * (int64_t)jb->c.target + OVERFLOW_MARGIN)
		return;
	/* the target remains (more, by where on its saw-tooth the level is:
	 * the recovery after the burst takes that away, see filter_level()) */
	start = jb->c.highest_end - jb->c.target - n_frames;
	for (uint32_t i = 0; i < STORE_SLOTS && jb->c.n_stored > 0; i++) {
		p = lookup(jb, jb->c.next_seq);
		if (p != NULL) {
			bool empty = p->flags & PKT_EMPTY;
			/* keep the packet that holds the start: at least the target remains */
			if (!empty && (alto_rtp_ts_diff(p->ts + p->duration, start) > 0 ||
				       p->seq == jb->c.highest_seq))
				break;
			remove_packet(jb, p);
			if (!empty)
				count(&jb->m.dropped, 1);
		}
		jb->c.next_seq++;
	}
	if ((p = lookup(jb, jb->c.next_seq)) != NULL)
		jb->c.next_ts = p->ts;
	jb->c.pcm_pos = jb->c.pcm_len = 0;
	/* the excess is gone: the level filter starts again from the next reading */
	jb->c.have_level = false;
	jb->c.accelerating = false;
	count(&jb->m.resyncs, 1);
}

/* Drops `excess` frames at the play-out point, once when playout starts
 * (the first packets often come in a burst, or before the consumer runs).
 * Left there, tens of ms of excess would pin the drift control at its limit
 * for seconds (a 440 Hz tone plays at 442 Hz). Only along a plain run of packets; a gap
 * or a hole ahead is left to silence_gap() and the drift control. */
static void trim_excess(struct alto_jitter_buffer *jb, int64_t excess)
{
	struct stored_packet *p;
	uint32_t take;

	if (excess < GRAIN)
		return;
	take = jb->c.pcm_len - jb->c.pcm_pos;
	if (take > excess)
		take = (uint32_t)excess;
	jb->c.pcm_pos += take;
	excess -= take;
	while (excess > 0 && (p = lookup(jb, jb->c.next_seq)) != NULL) {
		if (p->flags & PKT_EMPTY) {
			remove_packet(jb, p);
			jb->c.next_seq++;
			continue;
		}
		if (alto_rtp_ts_diff(p->ts, jb->c.next_ts) != 0)
			break;
		if (p->duration > excess || p->seq == jb->c.highest_seq) {
			jb->c.skip = (uint32_t)excess;
			break;
		}
		excess -= p->duration;
		jb->c.next_seq++;
		jb->c.next_ts = p->ts + p->duration;
		/* not counted as dropped: a once-only placement of the play-out
		 * point, not a loss of audio that was due */
		remove_packet(jb, p);
	}
}

/* RTP time of frame i of pcm: later by what accelerate() cut before it. */
static uint32_t pcm_frame_ts(const struct alto_jitter_buffer *jb, uint32_t i)
{
	uint32_t ts = jb->c.pcm_ts + i;

	for (uint32_t k = 0; k < jb->c.n_cuts; k++)
		if (i >= jb->c.cut_at[k])
			ts += jb->c.cut_len[k];
	return ts;
}

/* After a pull: the filtered buffer level (the fill saw-tooths by a packet
 * and a pull, and beats between them over ~0.3 s) and whether to time-compress
 * the next packets. Only while audio flows: a silence gap moves the delay to
 * the target itself. */
static void filter_level(struct alto_jitter_buffer *jb, uint32_t n_frames, int64_t fill)
{
	double alpha = (double)n_frames /
		(RATE * (jb->c.recovery > 0 ? RECOVERY_SMOOTHING_S : LEVEL_SMOOTHING_S));
	double jump = jb->c.target + jb->c.last_duration, floor, target = jb->c.target;
	bool settled;

	jb->c.recovery = jb->c.recovery > n_frames ? jb->c.recovery - n_frames : 0;
	if (jb->c.starving)
		jb->c.since_starved = 0;
	else if (jb->c.since_starved < RECOVERY_FRAMES)
		jb->c.since_starved += n_frames;
	if (jb->c.state != STATE_PLAYING || jb->c.starving || jb->c.in_gap || jb->c.dtx_idle)
		return;
	if (jump < LEVEL_JUMP)
		jump = LEVEL_JUMP;
	if (!jb->c.have_level || fabs((double)fill - jb->c.level) > jump) {
		/* a burst, a drop, a start: averaging across it would lag (a
		 * clump that the target covers is no burst; what comes after
		 * the buffer ran dry is: a stall's) */
		if (jb->c.have_level && (double)fill > jb->c.level && jb->c.since_starved < RECOVERY_SETTLE &&
		    alto_delay_estimator_packets(&jb->c.est) >= MIN_PACKETS_MEASURED)
			jb->c.recovery = RECOVERY_FRAMES;
		jb->c.level = (double)fill;
		jb->c.have_level = true;
		jb->c.floor_cur = jb->c.floor_prev = (double)fill;
		jb->c.floor_frames = 0;
	} else {
		jb->c.level += (alpha > 1.0 ? 1.0 : alpha) * ((double)fill - jb->c.level);
	}
	if ((double)fill < jb->c.floor_cur)
		jb->c.floor_cur = (double)fill;
	floor = jb->c.floor_cur < jb->c.floor_prev ? jb->c.floor_cur : jb->c.floor_prev;
	if ((jb->c.floor_frames += n_frames) >= FLOOR_BUCKET) {
		jb->c.floor_prev = jb->c.floor_cur;
		jb->c.floor_cur = (double)fill;
		jb->c.floor_frames = 0;
	}

	/* After a burst, on the level alone (the floor still holds the stall's
	 * dip): first the bulk, then, once the level settled, what is left.
	 * Otherwise the level well above the target and its floor above it. */
	settled = recovery_settled(jb);
	if (!jb->c.accelerating) {
		/* not before the jitter is known: the start delay may be too low */
		if (alto_delay_estimator_packets(&jb->c.est) < MIN_PACKETS_MEASURED)
			return;
		if (settled ? jb->c.level > target + RECOVERY_START :
		    jb->c.recovery > 0 ? jb->c.level > target + ACCEL_START :
		    jb->c.level > target + ACCEL_START && floor > target + FLOOR_MARGIN) {
			jb->c.accelerating = true;
			jb->c.accel_idle = 0;
		}
	} else if (settled ? jb->c.level < target + RECOVERY_STOP :
		   jb->c.recovery > 0 ? jb->c.level < target + ACCEL_STOP :
		   jb->c.level < target + ACCEL_STOP || floor < target) {
		jb->c.accelerating = false;
	}
}

int alto_jitter_buffer_pull(struct alto_jitter_buffer *jb, float *out, uint32_t n_frames)
{
	const uint32_t ch = jb ? jb->cfg.channels : 1;
	int64_t fill;

	if (jb == NULL || out == NULL)
		return -EINVAL;
	if (n_frames == 0)
		return 0;
	drain_handoff(jb);
	update_target(jb);
	check_overflow(jb, n_frames);

	jb->c.played_packet = false;
	for (uint32_t done = 0; done < n_frames;) {
		uint32_t n;

		if (jb->c.pcm_pos == jb->c.pcm_len) {
			jb->c.pcm_from_packet = false;	/* produce() says otherwise */
			jb->c.n_cuts = 0;
			jb->c.pcm_len = produce(jb, n_frames - done);
			jb->c.pcm_pos = 0;
		}
		n = jb->c.pcm_len - jb->c.pcm_pos;
		if (n > n_frames - done)
			n = n_frames - done;
		memcpy(out + (size_t)done * ch, jb->c.pcm + (size_t)jb->c.pcm_pos * ch,
				(size_t)n * ch * sizeof(float));
		jb->c.pcm_pos += n;
		done += n;
		if (jb->c.pcm_from_packet) {
			jb->c.played_packet = true;
			jb->c.played_ts = pcm_frame_ts(jb, jb->c.pcm_pos - 1);
			jb->c.played_arrival_ns = jb->c.pcm_arrival_ns;
		}
	}

	if (jb->c.state == STATE_PLAYING)
		slew_target(jb, n_frames);
	fill = fill_frames(jb);
	filter_level(jb, n_frames, fill);
	count(&jb->m.frames, n_frames);
	atomic_store_explicit(&jb->m.level_ms, (unsigned)(fill / FRAMES_PER_MS), memory_order_relaxed);
	atomic_store_explicit(&jb->m.target_ms, jb->c.target / FRAMES_PER_MS, memory_order_relaxed);
	return 0;
}

int alto_jitter_buffer_get_delay(struct alto_jitter_buffer *jb, double *delay_frames,
		double *target_frames)
{
	double delay;

	if (jb == NULL)
		return -EINVAL;
	delay = (double)fill_frames(jb);
	/* While time compression takes an excess away (and while the level
	 * settles after a burst), that excess is the buffer's own business: the
	 * drift control sees the delay without it, so it neither chases the
	 * excess (winding up, overshooting once it is gone) nor freezes at a
	 * stale rate; it goes on tracking the drift. */
	if ((jb->c.accelerating && jb->c.accel_idle < ACCEL_HOLD_IDLE) ||
	    (jb->c.recovery > 0 && jb->c.level >= jb->c.target))
		delay -= jb->c.level - jb->c.target;
	if (delay_frames)
		*delay_frames = delay;
	if (target_frames)
		*target_frames = jb->c.target;
	/* an empty store is a valid (low) reading while audio flows; not while
	 * the sender is silent or we are concealing */
	if (jb->c.state != STATE_PLAYING || jb->c.starving || jb->c.in_gap || jb->c.dtx_idle)
		return -EAGAIN;
	return 0;
}

int alto_jitter_buffer_get_playout(const struct alto_jitter_buffer *jb, uint64_t *arrival_ns,
		uint32_t *rtp_ts)
{
	if (jb == NULL)
		return -EINVAL;
	if (!jb->c.played_packet)
		return -ENODATA;
	if (arrival_ns)
		*arrival_ns = jb->c.played_arrival_ns;
	if (rtp_ts)
		*rtp_ts = jb->c.played_ts;
	return 0;
}

void alto_jitter_buffer_get_metrics(const struct alto_jitter_buffer *jb,
		struct alto_jitter_buffer_metrics *m)
{
	struct alto_jitter_buffer *j = (struct alto_jitter_buffer *)jb;

	if (jb == NULL || m == NULL)
		return;
#define LOAD(f) atomic_load_explicit(&j->m.f, memory_order_relaxed)
	*m = (struct alto_jitter_buffer_metrics) {
		.packets = LOAD(packets),
		.invalid = LOAD(invalid),
		.overflow = LOAD(overflow),
		.lost = LOAD(lost),
		.concealed = LOAD(concealed),
		.fec_recovered = LOAD(fec_recovered),
		.red_recovered = LOAD(red_recovered),
		.late = LOAD(late),
		.duplicate = LOAD(duplicate),
		.dropped = LOAD(dropped),
		.underruns = LOAD(underruns),
		.resyncs = LOAD(resyncs),
		.decode_errors = LOAD(decode_errors),
		.frames = LOAD(frames),
		.accelerated = LOAD(accelerated),
		.accelerated_frames = LOAD(accelerated_frames),
		.level_ms = LOAD(level_ms),
		.target_ms = LOAD(target_ms),
	};
#undef LOAD
}
