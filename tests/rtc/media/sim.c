/* Simulated sender/network/sound card. See sim.h. */
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "red.h"
#include "rtp.h"
#include "test_util.h"

#define NS 1000000000.0

void sim_init(struct sim *s, struct alto_jitter_buffer *jb)
{
	memset(s, 0, sizeof(*s));
	s->jb = jb;
	s->channels = 1;
	s->quantum = 1024;
	s->base_delay_ms = 30.0;
	s->rng = 0x12345678;
	s->seq = 1000;
	s->ssrc = 0x5eed;
	s->corr = 1.0;
	s->rate_control = true;	/* as node/ runs it */
	s->corr_min = s->corr_max = 1.0;
	s->delay_min_ms = 1e9;
	s->delay_max_ms = -1e9;
	s->playout_latency_min_ms = 1e9;
	s->playout_latency_max_ms = -1e9;
	s->flight = calloc(512, sizeof(*s->flight));
	CHECK(s->flight != NULL);
	alto_rate_control_init(&s->rc, SIM_RATE);
}

void sim_fini(struct sim *s)
{
	free(s->flight);
	s->flight = NULL;
}

double sim_now(const struct sim *s)
{
	return s->device_frames / SIM_RATE;
}

static void build_and_send(struct sim *s, struct sim_pkt *p, double send_ns)
{
	struct alto_rtp_packet rtp = {
		.payload_type = 111, .seq = p->seq, .timestamp = p->ts, .ssrc = p->ssrc,
		.payload = p->payload, .payload_len = p->len,
	};
	uint8_t red[1500];
	size_t red_len;

	if (s->red_distance > 0) {
		struct alto_red_block blocks[3];
		int n = 0;
		/* the previous transmitted packets, oldest first */
		for (int i = s->n_hist - s->red_distance; i < s->n_hist; i++) {
			if (i < 0)
				continue;
			blocks[n++] = (struct alto_red_block) {
				.payload_type = 111, .timestamp = s->hist[i].ts,
				.data = s->hist[i].data, .len = s->hist[i].len,
			};
		}
		blocks[n++] = (struct alto_red_block) {
			.payload_type = 111, .timestamp = p->ts, .data = p->payload, .len = p->len, .primary = true,
		};
		CHECK_EQ(alto_red_build(blocks, (size_t)n, p->ts, red, sizeof(red), &red_len), 0);
		rtp.payload_type = 63;
		rtp.payload = red;
		rtp.payload_len = red_len;
		/* remember this one for the next packets' redundancy */
		if (s->n_hist == 2) {
			s->hist[0] = s->hist[1];
			s->n_hist = 1;
		}
		s->hist[s->n_hist].seq = p->seq;
		s->hist[s->n_hist].ts = p->ts;
		s->hist[s->n_hist].len = p->len;
		memcpy(s->hist[s->n_hist].data, p->payload, p->len);
		s->n_hist++;
	}

	for (int c = 0; c < p->copies; c++) {
		struct sim_flight *f;
		double delay_ms = s->base_delay_ms + s->jitter_ms * test_rand_unit(&s->rng) + p->extra_delay_ms;
		CHECK(s->n_flight < 512);
		f = &s->flight[s->n_flight++];
		CHECK_EQ(alto_rtp_build(&rtp, f->buf, sizeof(f->buf), &f->len), 0);
		f->arrival_ns = (uint64_t)(send_ns + delay_ms * 1e6 + (c > 0 ? 1e6 : 0));
		f->order = s->order++;
	}
}

/* Sender: every frame whose send time has come. */
static void send_until(struct sim *s, double now_ns)
{
	for (;;) {
		/* a sender clock fast by ppm makes its 20 ms shorter here */
		double send_ns = (double)s->next_k * 20e6 / (1.0 + s->sender_ppm * 1e-6);
		struct sim_pkt p;

		if (send_ns > now_ns)
			break;
		memset(&p, 0, sizeof(p));
		p.k = s->next_k++;
		p.send = true;
		p.ts = (uint32_t)(SIM_TS_BASE + p.k * SIM_FRAME);
		p.ssrc = s->ssrc;
		p.copies = 1;
		s->source(s, &p);
		s->sent++;
		if (!p.send)
			continue;
		p.seq = s->seq;
		if (s->network)
			s->network(s, &p);
		/* a hook may move the sequence for good, or just this once */
		s->seq = (uint16_t)((p.stray ? s->seq : p.seq) + 1);
		s->transmitted++;
		build_and_send(s, &p, send_ns);
		if (p.padding_after) {
			/* an RTP packet of padding only, with the next sequence number */
			struct alto_rtp_packet pad = {
				.payload_type = 111, .seq = s->seq, .timestamp = p.ts, .ssrc = p.ssrc,
				.padding_len = 200,
			};
			struct sim_flight *f;
			CHECK(s->n_flight < 512);
			f = &s->flight[s->n_flight++];
			CHECK_EQ(alto_rtp_build(&pad, f->buf, sizeof(f->buf), &f->len), 0);
			f->arrival_ns = (uint64_t)(send_ns + s->base_delay_ms * 1e6 + 1e5);
			f->order = s->order++;
			s->seq++;
		}
	}
}

int sim_unsend(struct sim *s, uint16_t seq)
{
	size_t keep = 0;
	int removed = 0;

	for (size_t i = 0; i < s->n_flight; i++) {
		struct sim_flight *f = &s->flight[i];
		if (f->len >= 4 && (uint16_t)(f->buf[2] << 8 | f->buf[3]) == seq) {
			removed++;
			continue;
		}
		if (keep != i)
			s->flight[keep] = *f;
		keep++;
	}
	s->n_flight = keep;
	return removed;
}

static int by_arrival(const void *a, const void *b)
{
	const struct sim_flight *x = a, *y = b;
	if (x->arrival_ns != y->arrival_ns)
		return x->arrival_ns < y->arrival_ns ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The first arrival of the audio with RTP time ts (a primary or a RED block). */
static void log_arrival(struct sim *s, uint32_t ts, uint64_t arrival_ns)
{
	uint32_t off = ts - SIM_TS_BASE;
	size_t i;

	if (off % SIM_FRAME != 0)
		return;
	i = (off / SIM_FRAME) % SIM_ARRIVALS;
	if (s->arrivals[i].arrival_ns != 0 && s->arrivals[i].ts == ts)
		return;
	s->arrivals[i].ts = ts;
	s->arrivals[i].arrival_ns = arrival_ns;
}

static void log_arrivals(struct sim *s, const struct sim_flight *f, uint64_t arrival_ns)
{
	struct alto_rtp_packet rtp;
	struct alto_red_block blocks[ALTO_RED_MAX_BLOCKS];
	size_t n;

	if (alto_rtp_parse(f->buf, f->len, &rtp) < 0 || rtp.payload_len == 0)
		return;
	if (rtp.payload_type == 63 &&
	    alto_red_parse(rtp.payload, rtp.payload_len, rtp.timestamp, blocks, ALTO_RED_MAX_BLOCKS, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			log_arrival(s, blocks[i].timestamp, arrival_ns);
		return;
	}
	log_arrival(s, rtp.timestamp, arrival_ns);
}

/* What get_playout() says after a pull at device time now_ns must match the arrival log. */
static void check_playout(struct sim *s, double now_ns, uint32_t pulled)
{
	uint64_t arrival;
	uint32_t ts, off, k;
	double latency_ms;
	int res = alto_jitter_buffer_get_playout(s->jb, &arrival, &ts);

	if (res == -ENODATA) {
		s->playout_none++;
		s->playout_prev_valid = false;
		return;
	}
	CHECK_EQ(res, 0);
	if (s->playout_prev_valid && ts - s->playout_prev_ts == pulled)
		s->playout_continuous++;
	s->playout_prev_valid = true;
	s->playout_prev_ts = ts;
	off = ts - SIM_TS_BASE;
	k = off / SIM_FRAME;
	if (s->arrivals[k % SIM_ARRIVALS].ts == SIM_TS_BASE + k * SIM_FRAME &&
	    s->arrivals[k % SIM_ARRIVALS].arrival_ns == arrival) {
		s->playout_packet++;
	} else {
		/* never arrived itself: rebuilt from the next packet's FEC */
		CHECK_EQ(s->arrivals[(k + 1) % SIM_ARRIVALS].ts, SIM_TS_BASE + (k + 1) * SIM_FRAME);
		CHECK_EQ(s->arrivals[(k + 1) % SIM_ARRIVALS].arrival_ns, arrival);
		s->playout_packet++;
		s->playout_fec++;
	}
	/* played after it arrived (pushed with +1 s, see deliver_until) */
	latency_ms = (now_ns + 1e9 - (double)arrival) / 1e6;
	CHECK(latency_ms >= 0.0);
	if (sim_now(s) >= s->warmup_s) {
		s->playout_latency_min_ms = fmin(s->playout_latency_min_ms, latency_ms);
		s->playout_latency_max_ms = fmax(s->playout_latency_max_ms, latency_ms);
		s->playout_latency_sum_ms += latency_ms;
		s->playout_latency_samples++;
	}
}

static void deliver_until(struct sim *s, double now_ns)
{
	size_t i = 0, keep = 0;

	qsort(s->flight, s->n_flight, sizeof(*s->flight), by_arrival);
	for (i = 0; i < s->n_flight; i++) {
		struct sim_flight *f = &s->flight[i];
		if ((double)f->arrival_ns <= now_ns) {
			/* +1 s: 0 means "arrival unknown" to the jitter buffer */
			alto_jitter_buffer_push(s->jb, f->buf, f->len, f->arrival_ns + 1000000000ull);
			if (s->check_playout)
				log_arrivals(s, f, f->arrival_ns + 1000000000ull);
			s->delivered++;
		} else {
			if (keep != i)
				s->flight[keep] = *f;
			keep++;
		}
	}
	s->n_flight = keep;
}

void sim_run(struct sim *s, double seconds)
{
	double end = s->device_frames + seconds * SIM_RATE;
	static float buf[16384 * 2];

	while (s->device_frames < end) {
		double now_ns = s->device_frames / SIM_RATE * NS;
		uint32_t n = s->quantum;
		double delay, target;

		send_until(s, now_ns);
		deliver_until(s, now_ns);

		if (s->rate_control) {
			s->pull_acc += s->quantum * s->corr;
			n = (uint32_t)s->pull_acc;
			s->pull_acc -= n;
		}
		CHECK_EQ(alto_jitter_buffer_pull(s->jb, buf, n), 0);
		s->pulled += n;
		if (s->check_playout)
			check_playout(s, now_ns, n);
		if (s->record) {
			size_t room = s->record_cap - s->recorded;
			size_t take = n < room ? n : room;
			memcpy(s->record + s->recorded * s->channels, buf, take * s->channels * sizeof(float));
			s->recorded += take;
		}
		if (alto_jitter_buffer_get_delay(s->jb, &delay, &target) == 0) {
			if (s->rate_control)
				s->corr = alto_rate_control_update(&s->rc, delay, target, s->quantum);
			if (sim_now(s) >= s->warmup_s) {
				double ms = delay / 48.0;
				s->delay_min_ms = fmin(s->delay_min_ms, ms);
				s->delay_max_ms = fmax(s->delay_max_ms, ms);
				s->delay_sum_ms += ms;
				s->delay_samples++;
				s->corr_min = fmin(s->corr_min, s->corr);
				s->corr_max = fmax(s->corr_max, s->corr);
			}
		}
		s->device_frames += s->quantum;
		s->cycle++;
	}
}

int sim_tone_init(struct sim_tone *t, const struct alto_opus_encoder_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->amplitude = 0.3;
	t->frequency = 440.0;
	return alto_opus_encoder_create(&t->enc, cfg);
}

void sim_tone_fini(struct sim_tone *t)
{
	alto_opus_encoder_destroy(t->enc);
}

void sim_tone_source(struct sim *s, struct sim_pkt *p)
{
	struct sim_tone *t = s->data;
	float pcm[SIM_FRAME];
	bool silent = p->k >= t->silent_from && p->k < t->silent_to;
	int len;

	for (int i = 0; i < SIM_FRAME; i++) {
		if (t->voice)
			pcm[i] = voice_next(&t->voice_state);
		else
			pcm[i] = (float)(t->amplitude *
				sin(2 * M_PI * t->frequency * (double)(p->k * SIM_FRAME + i) / SIM_RATE));
		if (silent)
			pcm[i] = 0.0f;
	}
	len = alto_opus_encode(t->enc, pcm, p->payload, sizeof(p->payload));
	CHECK(len > 0);
	p->len = (size_t)len;
	/* libwebrtc: a packet of <= 2 bytes means DTX; the first one is sent so
	 * the receiver knows, the following ones are not */
	if (len <= 2) {
		if (t->in_dtx)
			p->send = false;
		t->in_dtx = true;
	} else {
		t->in_dtx = false;
	}
}

int sim_cycle_init(struct sim_cycle *c, const struct alto_opus_encoder_config *cfg)
{
	struct sim_tone t;
	struct sim s;
	int res;

	memset(c, 0, sizeof(*c));
	if ((res = sim_tone_init(&t, cfg)) < 0)
		return res;
	memset(&s, 0, sizeof(s));
	s.data = &t;
	/* encode 2 s and keep the second: the encoder has settled */
	for (uint64_t k = 0; k < 100; k++) {
		struct sim_pkt p = { .k = k, .send = true };
		sim_tone_source(&s, &p);
		if (k >= 50) {
			c->lens[k - 50] = p.len;
			memcpy(c->pkts[k - 50], p.payload, p.len);
		}
	}
	c->n = 50;
	sim_tone_fini(&t);
	return 0;
}

void sim_cycle_source(struct sim *s, struct sim_pkt *p)
{
	const struct sim_cycle *c = s->data;
	size_t i = p->k % c->n;

	memcpy(p->payload, c->pkts[i], c->lens[i]);
	p->len = c->lens[i];
}
