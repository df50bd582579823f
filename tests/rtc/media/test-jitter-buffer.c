/* Jitter buffer through a simulated network (sim.h) with the real Opus
 * encoder and decoder, pulled in 1024-frame quanta as PipeWire does:
 * in order, reordered, 5 % loss, FEC, RED, duplicates, late packets, a
 * stall, big jumps and a new SSRC, DTX; the tone must come out at the right
 * level and frequency and the counters must tell what happened. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "jitter_buffer.h"
#include "rtp.h"
#include "sim.h"
#include "test_util.h"

#define TONE_AMP 0.3
#define WINDOW 4800		/* 100 ms: 44 periods of 440 Hz */

static void print_metrics(const char *name, struct alto_jitter_buffer *jb, const struct sim *s)
{
	struct alto_jitter_buffer_metrics m;
	alto_jitter_buffer_get_metrics(jb, &m);
	fprintf(stderr, "%s: packets %lu lost %lu concealed %lu fec %lu red %lu late %lu dup %lu "
		"dropped %lu underruns %lu resyncs %lu invalid %lu overflow %lu level %u ms target %u ms",
		name, m.packets, m.lost, m.concealed, m.fec_recovered, m.red_recovered, m.late,
		m.duplicate, m.dropped, m.underruns, m.resyncs, m.invalid, m.overflow, m.level_ms, m.target_ms);
	if (s && s->delay_samples)
		fprintf(stderr, " delay %.1f..%.1f (mean %.1f) ms rate %.5f..%.5f", s->delay_min_ms, s->delay_max_ms,
			s->delay_sum_ms / s->delay_samples, s->corr_min, s->corr_max);
	fprintf(stderr, "\n");
}

/* Checks every 100 ms window of the recording in [from_s, to_s): the
 * 440 Hz tone within tol_db of its level and holding most of the energy.
 * Returns the number of windows that fail. */
static int bad_tone_windows_of(const struct sim *s, double from_s, double to_s, double tol_db, int ch,
		size_t window)
{
	size_t from = (size_t)(from_s * 48000), to = (size_t)(to_s * 48000);
	int bad = 0;

	/* with rate control the recording is up to 1 % shorter than the run */
	CHECK(to <= s->recorded + s->recorded / 50);
	if (to > s->recorded)
		to = s->recorded;
	for (size_t pos = from; pos + window <= to; pos += window) {
		const float *x = s->record + pos * s->channels + ch;
		double a = goertzel_amplitude(x, window, s->channels, 440.0, 48000);
		double r = rms(x, window, s->channels);
		if (fabs(to_db(a) - to_db(TONE_AMP)) > tol_db || a / sqrt(2.0) < 0.8 * r) {
			if (getenv("ALTO_TEST_VERBOSE"))
				fprintf(stderr, "  bad window at %.2f s: %.1f dB, rms %.3f\n",
					pos / 48000.0, to_db(a), r);
			bad++;
		}
	}
	return bad;
}

static int bad_tone_windows(const struct sim *s, double from_s, double to_s, double tol_db, int ch)
{
	return bad_tone_windows_of(s, from_s, to_s, tol_db, ch, WINDOW);
}

/* Fraction of the windows in [from_s, to_s) that are (near) silent. */
static int silent_windows(const struct sim *s, double from_s, double to_s)
{
	size_t from = (size_t)(from_s * 48000), to = (size_t)(to_s * 48000);
	int n = 0;
	CHECK(to <= s->recorded);
	for (size_t pos = from; pos + WINDOW <= to; pos += WINDOW)
		n += rms(s->record + pos * s->channels, WINDOW, s->channels) < 1e-3;
	return n;
}

struct fixture {
	struct alto_jitter_buffer_config cfg;
	struct alto_opus_encoder_config enc;
	struct alto_jitter_buffer *jb;
	struct sim_tone tone;
	struct sim sim;
};

static void setup(struct fixture *f, double seconds)
{
	if (f->cfg.channels == 0)
		alto_jitter_buffer_config_default(&f->cfg);
	if (f->enc.frame_size == 0) {
		alto_opus_encoder_config_default(&f->enc);
		f->enc.inband_fec = false;	/* on only where a test wants it */
		f->enc.dtx = false;
	}
	CHECK_EQ(alto_jitter_buffer_create(&f->jb, &f->cfg), 0);
	CHECK_EQ(sim_tone_init(&f->tone, &f->enc), 0);
	f->tone.silent_from = f->tone.silent_to = 0;
	sim_init(&f->sim, f->jb);
	f->sim.channels = f->cfg.channels;
	f->sim.source = sim_tone_source;
	f->sim.data = &f->tone;
	f->sim.record_cap = (size_t)(seconds * 48000) + 48000;
	f->sim.record = calloc(f->sim.record_cap * f->cfg.channels, sizeof(float));
	CHECK(f->sim.record != NULL);
}

static void teardown(struct fixture *f)
{
	free(f->sim.record);
	sim_fini(&f->sim);
	sim_tone_fini(&f->tone);
	alto_jitter_buffer_destroy(f->jb);
}

static struct alto_jitter_buffer_metrics metrics(struct alto_jitter_buffer *jb)
{
	struct alto_jitter_buffer_metrics m;
	alto_jitter_buffer_get_metrics(jb, &m);
	/* every lost packet is either concealed or rebuilt from FEC */
	CHECK_EQ(m.lost, m.concealed + m.fec_recovered);
	CHECK_EQ(m.invalid + m.decode_errors, 0);
	return m;
}

static void test_in_order(void)
{
	struct fixture f = { 0 };
	setup(&f, 10);
	sim_run(&f.sim, 10);
	print_metrics("in order", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK_EQ(m.packets, f.sim.delivered);
	CHECK_EQ(m.lost + m.concealed + m.late + m.duplicate + m.underruns + m.dropped + m.resyncs, 0);
	CHECK_EQ(m.frames, f.sim.pulled);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 10, 1.0, 0), 0);
	/* the frequency: over one second, 440 Hz and not its neighbours */
	const float *x = f.sim.record + 5 * 48000;
	double at = goertzel_amplitude(x, 48000, 1, 440.0, 48000);
	fprintf(stderr, "in order: 440 Hz at %.2f dBFS, 437/443 Hz at %.1f/%.1f dBFS\n", to_db(at),
		to_db(goertzel_amplitude(x, 48000, 1, 437.0, 48000)),
		to_db(goertzel_amplitude(x, 48000, 1, 443.0, 48000)));
	CHECK_NEAR(to_db(at), to_db(TONE_AMP), 0.5);
	CHECK(goertzel_amplitude(x, 48000, 1, 437.0, 48000) < 0.05 * at);
	CHECK(goertzel_amplitude(x, 48000, 1, 443.0, 48000) < 0.05 * at);
	teardown(&f);
}


/* Blocks of 10 ms in [from_s, to_s) that are silent: holes in the output
 * where concealment should have played something. */
static int silent_blocks(const struct sim *s, double from_s, double to_s, int ch)
{
	size_t from = (size_t)(from_s * 48000), to = (size_t)(to_s * 48000);
	int n = 0;
	CHECK(to <= s->recorded + s->recorded / 50);
	if (to > s->recorded)
		to = s->recorded;
	for (size_t pos = from; pos + 480 <= to; pos += 480)
		n += rms(s->record + pos * s->channels + ch, 480, s->channels) < 1e-3;
	return n;
}

static void net_reorder_stats(struct fixture *f, const char *name)
{
	print_metrics(name, f->jb, &f->sim);
}

static void test_reordered(void)
{
	struct fixture f = { 0 };
	struct alto_jitter_buffer_metrics early, m;

	setup(&f, 20);
	f.sim.jitter_ms = 40.0;		/* packets 20 ms apart: many swap places */
	sim_run(&f.sim, 4);
	early = metrics(f.jb);
	sim_run(&f.sim, 16);
	net_reorder_stats(&f, "reordered");
	m = metrics(f.jb);
	/* once the target has followed the jitter, nothing is late any more */
	CHECK_EQ(m.lost, early.lost);
	CHECK_EQ(m.late, early.late);
	CHECK_EQ(m.underruns, early.underruns);
	CHECK(early.lost <= 5);
	CHECK_EQ(m.duplicate + m.dropped + m.resyncs, 0);
	CHECK(m.target_ms >= 60 && m.target_ms <= 120);
	CHECK_EQ(bad_tone_windows(&f.sim, 4, 20, 1.0, 0), 0);
	teardown(&f);
}

struct loss_net {
	double p;
	uint64_t dropped;
	unsigned int rng;
};

static void net_random_loss(struct sim *s, struct sim_pkt *p)
{
	struct loss_net *n = s->net_data;
	if (p->k > 10 && test_rand_unit(&n->rng) < n->p) {
		p->copies = 0;
		n->dropped++;
	}
}

static void test_loss_5_percent(void)
{
	struct fixture f = { 0 };
	struct loss_net net = { .p = 0.05, .rng = 99 };

	setup(&f, 30);
	f.sim.network = net_random_loss;
	f.sim.net_data = &net;
	f.sim.jitter_ms = 5.0;
	sim_run(&f.sim, 30);
	print_metrics("5% loss", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	fprintf(stderr, "dropped by the network: %lu of %lu\n", net.dropped, f.sim.transmitted);
	CHECK(net.dropped >= 50);
	/* every loss concealed by PLC (no FEC in this stream), nothing else */
	CHECK_EQ(m.lost, net.dropped);
	CHECK_EQ(m.concealed, net.dropped);
	CHECK_EQ(m.fec_recovered + m.late + m.underruns + m.duplicate + m.resyncs, 0);
	/* continuous output: no silent hole; Opus's PLC of a steady tone is
	 * weak (SILK no longer calls it speech), so each loss dips the level
	 * for a while: the tone must still be right over every second */
	CHECK_EQ(silent_blocks(&f.sim, 0.5, 30, 0), 0);
	CHECK_EQ(bad_tone_windows_of(&f.sim, 1.0, 30, 2.0, 0, 48000), 0);
	teardown(&f);
}

struct fec_net {
	uint64_t with_fec, without_fec;
};

/* Every 10th packet is lost; the hook sees packet N+1 before N has
 * arrived, takes N back and notes whether N+1 carries LBRR for it. */
static void net_fec_loss(struct sim *s, struct sim_pkt *p)
{
	struct fec_net *n = s->net_data;
	if (p->k < 20 || p->k % 10 != 6)
		return;
	CHECK_EQ(sim_unsend(s, (uint16_t)(p->seq - 1)), 1);
	if (alto_opus_packet_has_fec(p->payload, p->len) == 1)
		n->with_fec++;
	else
		n->without_fec++;
}

static void test_fec_recovery(void)
{
	struct fixture f = { 0 };
	struct fec_net net = { 0 };

	alto_opus_encoder_config_default(&f.enc);
	f.enc.inband_fec = true;
	f.enc.packet_loss_perc = 20;
	f.enc.dtx = false;
	setup(&f, 20);
	f.tone.voice = true;		/* SILK codes LBRR for speech, not a steady tone */
	f.sim.network = net_fec_loss;
	f.sim.net_data = &net;
	sim_run(&f.sim, 20);
	print_metrics("FEC", f.jb, &f.sim);
	fprintf(stderr, "lost with LBRR in the next packet: %lu, without: %lu\n", net.with_fec, net.without_fec);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK(net.with_fec >= 20);
	CHECK_EQ(m.lost, net.with_fec + net.without_fec);
	CHECK_EQ(m.fec_recovered, net.with_fec);
	CHECK_EQ(m.concealed, net.without_fec);
	CHECK_EQ(m.underruns + m.late, 0);
	teardown(&f);
}

static void net_red_loss(struct sim *s, struct sim_pkt *p)
{
	uint64_t *dropped = s->net_data;
	/* two primaries in a row, every 25 packets */
	if (p->k > 100 && (p->k % 25 == 3 || p->k % 25 == 4)) {
		p->copies = 0;
		(*dropped)++;
	}
}

static void test_red_recovery(void)
{
	struct fixture f = { 0 };
	uint64_t dropped = 0;

	setup(&f, 30);
	f.sim.red_distance = 2;
	f.sim.network = net_red_loss;
	f.sim.net_data = &dropped;
	sim_run(&f.sim, 12);
	struct alto_jitter_buffer_metrics early = metrics(f.jb);
	sim_run(&f.sim, 18);
	print_metrics("RED", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK(dropped >= 20);
	/* every lost primary came back from the next packets' redundancy */
	CHECK_EQ(m.red_recovered, dropped);
	CHECK_EQ(m.lost + m.concealed + m.late, 0);
	/* the first bursts find a buffer too short for RED's 40 ms lag; the
	 * delay estimate counts those packets as late (they came inside a
	 * later one), and once they are more than 3 % of what it remembers
	 * the target covers them: no underrun after that */
	CHECK(early.underruns <= 4);
	CHECK_EQ(m.underruns, early.underruns);
	CHECK(m.target_ms >= 60);
	CHECK_EQ(m.duplicate, 0);	/* redundant copies are not duplicates */
	CHECK_EQ(bad_tone_windows(&f.sim, 12.0, 30, 1.0, 0), 0);
	teardown(&f);
}

static void net_duplicate(struct sim *s, struct sim_pkt *p)
{
	uint64_t *dups = s->net_data;
	if (p->k % 7 == 3) {
		p->copies = 2;
		(*dups)++;
	}
}

static void test_duplicates(void)
{
	struct fixture f = { 0 };
	uint64_t dups = 0;

	setup(&f, 10);
	f.sim.network = net_duplicate;
	f.sim.net_data = &dups;
	sim_run(&f.sim, 10);
	print_metrics("duplicates", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK_EQ(m.duplicate, dups - (f.sim.transmitted * 2 > f.sim.delivered + 10 ? 0 : 0));
	CHECK_EQ(m.lost + m.concealed + m.underruns + m.late, 0);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 10, 1.0, 0), 0);
	teardown(&f);
}

struct padding_net {
	uint64_t pads, dropped;
};

static void net_padding(struct sim *s, struct sim_pkt *p)
{
	struct padding_net *n = s->net_data;
	if (p->k % 5 == 2) {
		p->padding_after = true;
		n->pads++;
	}
	if (p->k % 50 == 30) {
		p->copies = 0;		/* and a real loss now and then */
		n->dropped++;
	}
}

/* Padding-only packets (bandwidth probes) take sequence numbers: they are
 * neither losses nor invalid, and real losses around them still are. */
static void test_padding_packets(void)
{
	struct fixture f = { 0 };
	struct padding_net net = { 0 };

	setup(&f, 10);
	f.sim.network = net_padding;
	f.sim.net_data = &net;
	f.sim.jitter_ms = 15;
	sim_run(&f.sim, 10);
	print_metrics("padding", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK(net.pads >= 90);
	CHECK_EQ(m.lost, net.dropped);
	CHECK_EQ(m.concealed, net.dropped);
	CHECK_EQ(m.invalid + m.late + m.underruns + m.duplicate + m.resyncs, 0);
	CHECK_EQ(silent_blocks(&f.sim, 0.5, 10, 0), 0);
	teardown(&f);
}

static void net_one_late(struct sim *s, struct sim_pkt *p)
{
	if (p->k == 200)
		p->extra_delay_ms = 300;
}

static void test_late_packet(void)
{
	struct fixture f = { 0 };

	setup(&f, 10);
	f.sim.network = net_one_late;
	sim_run(&f.sim, 10);
	print_metrics("late", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK_EQ(m.late, 1);
	CHECK_EQ(m.lost, 1);
	CHECK_EQ(m.concealed, 1);
	CHECK_EQ(m.underruns, 0);
	CHECK_EQ(silent_blocks(&f.sim, 0.5, 10, 0), 0);
	teardown(&f);
}

static void net_outage(struct sim *s, struct sim_pkt *p)
{
	if (p->k >= 300 && p->k < 325)
		p->copies = 0;		/* 500 ms of nothing */
}

static void test_outage_underrun(void)
{
	struct fixture f = { 0 };

	setup(&f, 12);
	f.sim.network = net_outage;
	sim_run(&f.sim, 12);
	print_metrics("outage", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK_EQ(m.underruns, 1);
	CHECK_EQ(m.lost, 25);
	CHECK_EQ(m.late + m.resyncs, 0);
	/* up to 60 ms concealed, then silence, then the tone again */
	CHECK(silent_windows(&f.sim, 6.2, 6.5) >= 2);
	CHECK_EQ(bad_tone_windows(&f.sim, 7.0, 12, 1.0, 0), 0);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 6.0, 1.0, 0), 0);
	CHECK(m.level_ms <= m.target_ms + 40);
	teardown(&f);
}

static void net_stall_burst(struct sim *s, struct sim_pkt *p)
{
	/* a 500 ms stall, then everything held back arrives at once */
	if (p->k >= 300 && p->k < 325)
		p->extra_delay_ms = 500.0 - (double)(p->k - 300) * 20.0;
}

static void test_stall_then_burst(void)
{
	struct fixture f = { 0 };

	setup(&f, 20);
	f.sim.network = net_stall_burst;
	sim_run(&f.sim, 20);
	print_metrics("stall+burst", f.jb, &f.sim);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK_EQ(m.underruns, 1);
	CHECK(m.dropped > 0);		/* the stale half second is not all played late */
	CHECK(m.resyncs >= 1);
	/* one stall does not raise the target (delay_estimator.h, peaks), the
	 * excess went at once: the drift control never saw the burst, and the
	 * tone is right again within a second */
	CHECK(m.target_ms < 50);
	CHECK(f.sim.delay_max_ms < m.target_ms + 40);
	CHECK_EQ(bad_tone_windows(&f.sim, 7.0, 20, 1.0, 0), 0);
	CHECK(m.level_ms <= m.target_ms + 40);
	teardown(&f);
}

static void net_restart(struct sim *s, struct sim_pkt *p)
{
	int *mode = s->net_data;
	if (p->k < 300)
		return;
	if (*mode == 0) {
		/* the sender restarts its sequence and timeline, same SSRC */
		if (p->k == 300)
			p->seq = (uint16_t)(p->seq + 20000);
		p->ts += 480000;
	} else if (*mode == 1) {
		p->ssrc = 0xbeef;		/* a new source */
		p->ts += 12345;
		if (p->k == 300)
			p->seq = 7;
	} else if (*mode == 2 && p->k == 300) {
		p->seq = (uint16_t)(p->seq + 30000);	/* one stray packet */
		p->stray = true;
	}
}

static void test_resync(void)
{
	for (int mode = 0; mode < 3; mode++) {
		struct fixture f = { 0 };
		setup(&f, 12);
		f.sim.network = net_restart;
		f.sim.net_data = &mode;
		sim_run(&f.sim, 12);
		print_metrics(mode == 0 ? "seq jump" : mode == 1 ? "new ssrc" : "stray packet", f.jb, &f.sim);
		struct alto_jitter_buffer_metrics m = metrics(f.jb);
		if (mode < 2) {
			CHECK_EQ(m.resyncs, 1);
		} else {
			/* dropped, and its place in the stream concealed */
			CHECK_EQ(m.resyncs, 0);
			CHECK_EQ(m.dropped, 1);
			CHECK_EQ(m.lost, 1);
		}
		CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 5.9, 1.0, 0), 0);
		CHECK_EQ(bad_tone_windows(&f.sim, 7.0, 12, 1.0, 0), 0);
		CHECK(m.level_ms <= m.target_ms + 40);
		teardown(&f);
	}
}

static void test_dtx(void)
{
	struct fixture f = { 0 };

	alto_opus_encoder_config_default(&f.enc);
	f.enc.inband_fec = false;
	f.enc.dtx = true;
	setup(&f, 10);
	f.tone.silent_from = 100;	/* 2 s .. 5 s: silence, the sender in DTX */
	f.tone.silent_to = 250;
	sim_run(&f.sim, 10);
	print_metrics("DTX", f.jb, &f.sim);
	fprintf(stderr, "DTX: %lu of %lu frames transmitted\n", f.sim.transmitted, f.sim.sent);
	struct alto_jitter_buffer_metrics m = metrics(f.jb);
	CHECK(f.sim.transmitted < f.sim.sent - 100);	/* DTX did skip packets */
	CHECK_EQ(m.lost + m.concealed + m.underruns + m.late + m.dropped, 0);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 1.9, 1.0, 0), 0);
	CHECK(silent_windows(&f.sim, 2.5, 4.9) >= 23);
	CHECK_EQ(bad_tone_windows(&f.sim, 5.5, 10, 1.0, 0), 0);
	CHECK(m.level_ms <= m.target_ms + 40);
	teardown(&f);
}

static void test_stereo_output(void)
{
	struct fixture f = { 0 };

	alto_jitter_buffer_config_default(&f.cfg);
	f.cfg.channels = 2;
	setup(&f, 5);
	sim_run(&f.sim, 5);
	print_metrics("stereo", f.jb, &f.sim);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 5, 1.0, 0), 0);
	CHECK_EQ(bad_tone_windows(&f.sim, 0.5, 5, 1.0, 1), 0);
	teardown(&f);
}

/* Odd pull sizes (PipeWire quanta need not be 1024, and with rate matching
 * they vary every cycle): the output is still exact and continuous. */
static void test_odd_quanta(void)
{
	static const uint32_t quanta[] = { 64, 256, 480, 1000, 2048, 8192 };
	for (size_t i = 0; i < sizeof(quanta) / sizeof(quanta[0]); i++) {
		struct fixture f = { 0 };
		setup(&f, 6);
		f.sim.quantum = quanta[i];
		f.sim.jitter_ms = 10;
		sim_run(&f.sim, 6);
		char name[32];
		snprintf(name, sizeof(name), "quantum %u", quanta[i]);
		print_metrics(name, f.jb, &f.sim);
		struct alto_jitter_buffer_metrics m = metrics(f.jb);
		CHECK_EQ(m.lost + m.concealed + m.underruns, 0);
		CHECK_EQ(bad_tone_windows(&f.sim, 1.0, 5.5, 1.0, 0), 0);
		teardown(&f);
	}
}

static void test_bad_input(void)
{
	struct alto_jitter_buffer_config cfg;
	struct alto_jitter_buffer *jb;
	struct alto_jitter_buffer_metrics m;
	uint8_t pkt[64] = { 0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x08, 0x80 };
	float out[2048];

	alto_jitter_buffer_config_default(&cfg);
	CHECK_EQ(alto_jitter_buffer_create(&jb, &cfg), 0);
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 5, 1), -EBADMSG);	/* short RTP */
	pkt[1] = 96;
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 14, 1), -ENOTSUP);	/* unknown PT */
	pkt[1] = 111;
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 12, 1), 0);		/* no payload: padding */
	pkt[12] = 0x03;						/* invalid Opus */
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 13, 1), -EBADMSG);
	pkt[1] = 63;
	pkt[12] = 0xef;						/* RED cut short */
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 14, 1), -EBADMSG);
	CHECK_EQ(alto_jitter_buffer_push(NULL, pkt, 14, 1), -EINVAL);
	CHECK_EQ(alto_jitter_buffer_pull(jb, NULL, 10), -EINVAL);
	CHECK_EQ(alto_jitter_buffer_pull(jb, out, 0), 0);

	/* nobody pulls: the hand-off ring fills, later packets are refused */
	pkt[1] = 111;
	pkt[12] = 0x08;
	int refused = 0;
	for (int i = 0; i < 200; i++) {
		pkt[3] = (uint8_t)i;
		pkt[7] = (uint8_t)i;
		int res = alto_jitter_buffer_push(jb, pkt, 14, 1);
		CHECK(res == 0 || res == -ENOBUFS);
		refused += res == -ENOBUFS;
	}
	alto_jitter_buffer_get_metrics(jb, &m);
	CHECK_EQ(m.invalid, 4);
	CHECK_EQ(m.overflow, refused);
	CHECK_EQ(m.packets + m.overflow, 201);
	CHECK(refused > 0);
	/* pulling drains it; output is always produced */
	for (int i = 0; i < 10; i++)
		CHECK_EQ(alto_jitter_buffer_pull(jb, out, 1024), 0);
	CHECK_EQ(alto_jitter_buffer_push(jb, pkt, 14, 1), 0);
	alto_jitter_buffer_destroy(jb);

	cfg.channels = 3;
	CHECK_EQ(alto_jitter_buffer_create(&jb, &cfg), -EINVAL);
	alto_jitter_buffer_config_default(&cfg);
	cfg.red_pt = cfg.opus_pt;
	CHECK_EQ(alto_jitter_buffer_create(&jb, &cfg), -EINVAL);
	alto_jitter_buffer_get_metrics(NULL, &m);
	alto_jitter_buffer_destroy(NULL);
}

/* The real two-thread use: a producer thread pushing while the consumer
 * thread pulls. Under ASan this at least shows no torn slot is read; the
 * counters must add up. */
struct thread_ctx {
	struct alto_jitter_buffer *jb;
	uint8_t pkts[50][1500];
	size_t lens[50];
	uint64_t pushed;
	atomic_bool stop;
};

static void *producer(void *arg)
{
	struct thread_ctx *t = arg;
	struct timespec ts = { 0, 2000000 };

	for (uint32_t k = 0; k < 1500; k++) {
		struct alto_rtp_packet rtp = {
			.payload_type = 111, .seq = (uint16_t)k, .timestamp = k * 960, .ssrc = 1,
			.payload = t->pkts[k % 50], .payload_len = t->lens[k % 50],
		};
		uint8_t buf[1500];
		size_t len;
		CHECK_EQ(alto_rtp_build(&rtp, buf, sizeof(buf), &len), 0);
		alto_jitter_buffer_push(t->jb, buf, len, 1000000000ull + k * 20000000ull);
		t->pushed++;
		if (k % 4 == 0)
			nanosleep(&ts, NULL);
	}
	atomic_store(&t->stop, true);
	return NULL;
}

static void *consumer(void *arg)
{
	struct thread_ctx *t = arg;
	static float out[1024];
	struct timespec ts = { 0, 1000000 };

	while (!atomic_load(&t->stop)) {
		CHECK_EQ(alto_jitter_buffer_pull(t->jb, out, 1024), 0);
		for (int i = 0; i < 1024; i++)
			CHECK(isfinite(out[i]) && fabsf(out[i]) <= 2.0f);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void test_two_threads(void)
{
	static struct thread_ctx t;
	struct alto_jitter_buffer_config cfg;
	struct alto_opus_encoder_config ecfg;
	struct alto_opus_encoder *enc;
	struct alto_jitter_buffer_metrics m;
	pthread_t a, b;
	float pcm[960];

	alto_opus_encoder_config_default(&ecfg);
	CHECK_EQ(alto_opus_encoder_create(&enc, &ecfg), 0);
	for (int k = 0; k < 50; k++) {
		for (int i = 0; i < 960; i++)
			pcm[i] = (float)(0.3 * sin(2 * M_PI * 440.0 * (k * 960 + i) / 48000.0));
		int len = alto_opus_encode(enc, pcm, t.pkts[k], sizeof(t.pkts[k]));
		CHECK(len > 0);
		t.lens[k] = (size_t)len;
	}
	alto_opus_encoder_destroy(enc);
	alto_jitter_buffer_config_default(&cfg);
	CHECK_EQ(alto_jitter_buffer_create(&t.jb, &cfg), 0);
	CHECK_EQ(pthread_create(&b, NULL, consumer, &t), 0);
	CHECK_EQ(pthread_create(&a, NULL, producer, &t), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	alto_jitter_buffer_get_metrics(t.jb, &m);
	print_metrics("two threads", t.jb, NULL);
	CHECK_EQ(m.packets + m.overflow, t.pushed);
	CHECK_EQ(m.invalid + m.decode_errors, 0);
	alto_jitter_buffer_destroy(t.jb);
}

static void print_playout(const char *name, const struct sim *s)
{
	uint64_t n = s->playout_latency_samples;
	fprintf(stderr, "%s: playout: %lu pulls with packet audio (%lu rebuilt by FEC, %lu continuous), "
		"%lu without; latency %.1f..%.1f ms (mean %.1f)\n", name, s->playout_packet, s->playout_fec,
		s->playout_continuous, s->playout_none, s->playout_latency_min_ms,
		s->playout_latency_max_ms, n ? s->playout_latency_sum_ms / (double)n : 0.0);
}

/* alto_jitter_buffer_get_playout(): after every pull (sim.c check_playout) the arrival it
 * names is the logged arrival of the packet whose audio the pull ended with (the next
 * packet's for FEC-rebuilt audio, the carrier's for RED), and the RTP time is that frame's. */
static void test_playout(void)
{
	struct fixture f = { 0 };
	struct alto_jitter_buffer_metrics m;
	uint64_t arrival = 7;
	uint32_t ts = 7;
	uint64_t pulls;

	/* in order, with jitter: every pull after the start plays a packet, and the RTP time
	 * moves on by exactly the frames pulled */
	setup(&f, 10);
	CHECK_EQ(alto_jitter_buffer_get_playout(NULL, &arrival, &ts), -EINVAL);
	CHECK_EQ(alto_jitter_buffer_get_playout(f.jb, &arrival, &ts), -ENODATA);   /* no pull yet */
	CHECK(arrival == 7 && ts == 7);
	f.sim.jitter_ms = 10.0;
	f.sim.check_playout = true;
	f.sim.warmup_s = 2.0;
	sim_run(&f.sim, 10);
	print_playout("playout in order", &f.sim);
	m = metrics(f.jb);
	pulls = f.sim.cycle;
	CHECK_EQ(m.lost + m.underruns, 0);
	CHECK(f.sim.playout_none >= 1 && f.sim.playout_none <= 10);	/* buffering at the start */
	CHECK_EQ(f.sim.playout_packet + f.sim.playout_none, pulls);
	CHECK_EQ(f.sim.playout_fec, 0);
	CHECK_EQ(f.sim.playout_continuous, f.sim.playout_packet - 1);
	/* arrival to play-out: the network jitter absorbed, about the buffer's delay */
	CHECK(f.sim.playout_latency_min_ms >= 0.0);
	CHECK(f.sim.playout_latency_max_ms <= m.target_ms + 2 * 1024 / 48.0 + 20.0 + 10.0);
	CHECK(f.sim.playout_latency_max_ms - f.sim.playout_latency_min_ms >= 10.0);
	CHECK_EQ(alto_jitter_buffer_get_playout(f.jb, NULL, NULL), 0);
	teardown(&f);

	/* an outage: concealment and silence are no packet's audio */
	memset(&f, 0, sizeof(f));
	setup(&f, 12);
	f.sim.network = net_outage;
	f.sim.check_playout = true;
	sim_run(&f.sim, 12);
	print_playout("playout outage", &f.sim);
	CHECK(f.sim.playout_none >= 15);
	CHECK(f.sim.playout_packet > 400);
	teardown(&f);

	/* FEC: audio rebuilt from the next packet arrived with that packet */
	struct fec_net net = { 0 };
	memset(&f, 0, sizeof(f));
	alto_opus_encoder_config_default(&f.enc);
	f.enc.inband_fec = true;
	f.enc.packet_loss_perc = 20;
	f.enc.dtx = false;
	setup(&f, 20);
	f.tone.voice = true;
	f.sim.network = net_fec_loss;
	f.sim.net_data = &net;
	f.sim.check_playout = true;
	sim_run(&f.sim, 20);
	print_playout("playout FEC", &f.sim);
	m = metrics(f.jb);
	CHECK_EQ(m.fec_recovered, net.with_fec);
	/* a rebuilt 20 ms holds the end of a 21.3 ms pull most of the time */
	CHECK(f.sim.playout_fec >= net.with_fec / 2);
	CHECK(f.sim.playout_fec <= net.with_fec);
	teardown(&f);

	/* RED: a packet whose primary was lost arrived with the packet that carried it */
	uint64_t dropped = 0;
	memset(&f, 0, sizeof(f));
	setup(&f, 20);
	f.sim.red_distance = 2;
	f.sim.network = net_red_loss;
	f.sim.net_data = &dropped;
	f.sim.check_playout = true;
	sim_run(&f.sim, 20);
	print_playout("playout RED", &f.sim);
	m = metrics(f.jb);
	CHECK(m.red_recovered >= 20);
	CHECK_EQ(f.sim.playout_fec, 0);
	CHECK(f.sim.playout_packet > 800);
	teardown(&f);
}

int main(void)
{
	RUN(test_in_order);
	RUN(test_reordered);
	RUN(test_loss_5_percent);
	RUN(test_fec_recovery);
	RUN(test_red_recovery);
	RUN(test_duplicates);
	RUN(test_padding_packets);
	RUN(test_late_packet);
	RUN(test_outage_underrun);
	RUN(test_stall_then_burst);
	RUN(test_resync);
	RUN(test_dtx);
	RUN(test_stereo_output);
	RUN(test_odd_quanta);
	RUN(test_bad_input);
	RUN(test_two_threads);
	RUN(test_playout);
	return 0;
}
