/* The send encoder (node/send-encoder.h) fed through the send ring, its
 * packets decoded back with the real Opus decoder: a tone keeps its level,
 * every packet carries what LiveKit reads (PT, SSRC, numbering, mid,
 * audio level, markers); DTX saves the silence; muting stops the audio and
 * asks for a MuteTrackRequest once; NACKs get the very packets again (not
 * too old, not twice at once); receiver reports set the expected loss; a
 * backlog is cut; nothing is sent before start or after stop; sender
 * reports; and on a real GMainContext the ring's doorbell drives it while
 * another thread produces (which never allocates). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "opus_codec.h"
#include "rtcp.h"
#include "rtp.h"
#include "send-encoder.h"
#include "send-ring.h"
#include "test-send-util.h"

#define MAX_PACKETS	2000
#define SSRC		0x11223344u
#define PT		111
#define EXT_LEVEL	1
#define EXT_MID		4

struct sent {
	uint8_t data[ALTO_SEND_MAX_PACKET];
	size_t len;
	uint64_t capture_ns;
};

struct sink {
	struct sent pkts[MAX_PACKETS];
	size_t n;
	uint8_t rtcp[512];
	size_t rtcp_len;
	size_t n_rtcp;
	int mute_events;
	bool last_mute;
	int fail_sends;
};

static struct sink sink;

static int on_send_rtp(void *data, const uint8_t *buf, size_t len, uint64_t capture_ns)
{
	struct sink *s = data;

	CHECK(len <= ALTO_SEND_MAX_PACKET);
	if (s->fail_sends > 0) {
		s->fail_sends--;
		return -ENOTCONN;
	}
	CHECK(s->n < MAX_PACKETS);
	memcpy(s->pkts[s->n].data, buf, len);
	s->pkts[s->n].len = len;
	s->pkts[s->n].capture_ns = capture_ns;
	s->n++;
	return 0;
}

static int on_send_rtcp(void *data, const uint8_t *buf, size_t len)
{
	struct sink *s = data;

	CHECK(len <= sizeof(s->rtcp));
	memcpy(s->rtcp, buf, len);
	s->rtcp_len = len;
	s->n_rtcp++;
	return 0;
}

static void on_mute_changed(void *data, bool muted)
{
	struct sink *s = data;

	s->mute_events++;
	s->last_mute = muted;
}

static const struct alto_send_encoder_events events = {
	.version = ALTO_VERSION_SEND_ENCODER_EVENTS,
	.send_rtp = on_send_rtp,
	.send_rtcp = on_send_rtcp,
	.mute_changed = on_mute_changed,
};

static const struct alto_send_encoder_media media = {
	.ssrc = SSRC, .payload_type = PT, .mid_ext_id = EXT_MID, .audio_level_ext_id = EXT_LEVEL, .mid = "1",
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A signal generator that writes the way process() does: 1024-sample
 * quanta, each stamped. */
struct gen {
	uint64_t pos;		/* samples written so far */
	double amp;
	double freq;
};

static void gen_write(struct gen *g, struct alto_send_ring *r, uint32_t n)
{
	float buf[1024];

	while (n > 0) {
		uint32_t k = n < 1024 ? n : 1024;
		for (uint32_t i = 0; i < k; i++)
			buf[i] = (float)(g->amp * sin(2.0 * M_PI * g->freq * (double)(g->pos + i) / 48000.0));
		CHECK_EQ(alto_send_ring_write(r, buf, k, 1000000 + g->pos), k);
		g->pos += k;
		n -= k;
	}
}

/* Writes seconds of signal in quanta, letting the encoder drain after each. */
static void feed(struct alto_send_encoder *e, struct alto_send_ring *r, struct gen *g, double seconds)
{
	uint32_t total = (uint32_t)(seconds * 48000.0);

	for (uint32_t done = 0; done < total; done += 1024) {
		gen_write(g, r, total - done < 1024 ? total - done : 1024);
		alto_send_encoder_process(e, now_ns());
	}
}

struct parsed {
	struct alto_rtp_packet p;
	bool voice;
	uint8_t level;
	char mid[16];
};

static void parse(const struct sent *s, struct parsed *out)
{
	const uint8_t *mid;
	size_t mid_len;

	CHECK_EQ(alto_rtp_parse(s->data, s->len, &out->p), 0);
	CHECK_EQ(out->p.payload_type, PT);
	CHECK_EQ(out->p.ssrc, SSRC);
	CHECK_EQ(alto_rtp_get_audio_level(&out->p, EXT_LEVEL, &out->voice, &out->level), 0);
	CHECK_EQ(alto_rtp_find_extension(&out->p, EXT_MID, &mid, &mid_len), 0);
	CHECK(mid_len < sizeof(out->mid));
	memcpy(out->mid, mid, mid_len);
	out->mid[mid_len] = '\0';
}

/* Decodes packets [from, to) into pcm, concealing gaps in the sequence;
 * returns the samples written. */
static size_t decode_range(size_t from, size_t to, float *pcm, size_t cap)
{
	struct alto_opus_decoder *dec;
	size_t n = 0;

	CHECK_EQ(alto_opus_decoder_create(&dec, 1), 0);
	for (size_t i = from; i < to; i++) {
		struct parsed q;
		parse(&sink.pkts[i], &q);
		CHECK(n + ALTO_OPUS_MAX_FRAMES <= cap);
		int k = alto_opus_decode(dec, q.p.payload, q.p.payload_len, pcm + n, ALTO_OPUS_MAX_FRAMES);
		CHECK(k > 0);
		n += (size_t)k;
	}
	alto_opus_decoder_destroy(dec);
	return n;
}

static struct alto_send_encoder *make(struct alto_send_ring **r, const struct alto_send_encoder_config *cfg)
{
	struct alto_send_encoder *e;

	memset(&sink, 0, sizeof(sink));
	*r = alto_send_ring_new(0, ALTO_SEND_FRAME_SIZE);
	CHECK(*r != NULL);
	e = alto_send_encoder_new(NULL, *r, cfg, &events, &sink);
	CHECK(e != NULL);
	return e;
}

static float pcm[48000 * 6];

static void test_tone(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	struct parsed first, q;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 2.0);
	alto_send_encoder_get_stats(e, &st);
	fprintf(stderr, "%zu packets, %" PRIu64 " frames, %" PRIu64 " bytes, encode %.1f us/frame\n",
		sink.n, st.frames, st.bytes, (double)st.encode_ns / 1000.0 / (double)st.encoded);
	CHECK_EQ(st.frames, 2 * 48000 / 960);		/* 2 s of 20 ms frames */
	CHECK_EQ(sink.n, st.frames);			/* a tone: every frame sent */
	CHECK_EQ(st.packets, sink.n);

	parse(&sink.pkts[0], &first);
	CHECK(first.p.marker);			/* the first packet starts a talk spurt */
	for (size_t i = 0; i < sink.n; i++) {
		parse(&sink.pkts[i], &q);
		CHECK_EQ((uint16_t)(q.p.seq - first.p.seq), i);
		CHECK_EQ(q.p.timestamp - first.p.timestamp, 960u * i);
		CHECK(strcmp(q.mid, "1") == 0);
		if (i > 0)
			CHECK(!q.p.marker);
		/* RMS of a 0.25 sine is -15.05 dBov */
		if (i > 2) {
			CHECK(q.voice);
			CHECK_NEAR(q.level, 15, 1);
		}
		/* the capture time of the frame's last sample: the stamp of its quantum */
		uint64_t last = 960u * (i + 1) - 1;
		CHECK_EQ(sink.pkts[i].capture_ns, 1000000 + last / 1024 * 1024);
	}
	size_t n = decode_range(0, sink.n, pcm, sizeof(pcm) / sizeof(pcm[0]));
	/* the level over the last second, with a whole number of 440 Hz periods */
	double level = to_db(tone_amplitude(pcm + n - 48000, 48000, 440.0));
	fprintf(stderr, "decoded tone %.2f dBFS (sent -12.04)\n", level);
	CHECK_NEAR(level, -12.04, 1.0);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_dtx(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	size_t tone_end, silence_end;
	struct parsed q, prev;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 1.0);
	tone_end = sink.n;
	g.amp = 0.0;
	feed(e, r, &g, 2.0);
	silence_end = sink.n;
	g.amp = 0.25;
	feed(e, r, &g, 1.0);
	alto_send_encoder_get_stats(e, &st);
	fprintf(stderr, "tone %zu, silence %zu, tone %zu packets; %" PRIu64 " DTX frames not sent\n",
		tone_end, silence_end - tone_end, sink.n - silence_end, st.dtx_skipped);
	/* 100 frames of silence: Opus goes into DTX after ~200 ms and then sends
	 * an update every 400 ms, each followed by one DTX packet */
	CHECK(silence_end - tone_end < 30);
	CHECK(st.dtx_skipped > 80);
	/* the silence packets say so (level 127: digital silence) */
	for (size_t i = tone_end + 3; i < silence_end; i++) {
		parse(&sink.pkts[i], &q);
		CHECK_EQ(q.level, 127);
	}
	/* the packet that ends the silence carries the marker; sequence numbers
	 * have no gap (the receiver must not see a loss), timestamps do */
	parse(&sink.pkts[silence_end - 1], &prev);
	parse(&sink.pkts[silence_end], &q);
	CHECK(q.p.marker);
	CHECK_EQ((uint16_t)(q.p.seq - prev.p.seq), 1);
	CHECK(q.p.timestamp - prev.p.timestamp > 960);
	CHECK_EQ((q.p.timestamp - prev.p.timestamp) % 960, 0);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_mute(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	struct parsed before, after;
	size_t n0, n1;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 0.5);
	n0 = sink.n;
	CHECK(n0 > 20);
	CHECK_EQ(sink.mute_events, 0);

	/* the stream is muted (its Props → the ring): silence, hardly any
	 * packets (DTX), one event */
	alto_send_ring_set_muted(r, true);
	feed(e, r, &g, 1.0);
	CHECK(sink.n - n0 < 20);
	for (size_t i = n0 + 1; i < sink.n; i++) {
		struct parsed q;
		parse(&sink.pkts[i], &q);
		CHECK_EQ(q.level, 127);
	}
	CHECK_EQ(sink.mute_events, 1);
	CHECK(sink.last_mute);
	/* the session told the room: no more events while it stays muted */
	alto_send_encoder_set_room_muted(e, true);
	feed(e, r, &g, 0.5);
	CHECK_EQ(sink.mute_events, 1);
	alto_send_encoder_get_stats(e, &st);
	CHECK(st.muted);
	CHECK(st.muted_frames >= 70);

	/* unmuted: audio is back, the first packet marks a talk spurt and the
	 * RTP clock ran on through the mute */
	size_t n_muted = sink.n;
	alto_send_ring_set_muted(r, false);
	feed(e, r, &g, 0.5);
	n1 = sink.n;
	CHECK(n1 > n_muted + 20);
	CHECK_EQ(sink.mute_events, 2);
	CHECK(!sink.last_mute);
	alto_send_encoder_set_room_muted(e, false);
	parse(&sink.pkts[n_muted - 1], &before);
	parse(&sink.pkts[n_muted], &after);
	CHECK(after.p.marker);
	CHECK_EQ((uint16_t)(after.p.seq - before.p.seq), 1);
	CHECK(after.p.timestamp - before.p.timestamp > 960u);		/* DTX: a gap in time, not in numbers */
	CHECK_EQ((after.p.timestamp - before.p.timestamp) % 960u, 0);
	CHECK(after.voice && after.level < 30);

	/* the room muted us (server mute) while the stream is unmuted: the
	 * stream is not muted yet, so the encoder asks to unmute once */
	alto_send_encoder_set_room_muted(e, true);
	feed(e, r, &g, 0.1);
	CHECK_EQ(sink.mute_events, 3);
	CHECK(!sink.last_mute);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_nack(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder_config cfg;
	struct alto_send_encoder *e;
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	uint8_t nack[64];
	size_t nack_len, n_sent;
	struct parsed first;
	uint16_t seqs[4];
	uint64_t t = now_ns();

	alto_send_encoder_config_default(&cfg);
	cfg.history_ms = 200;
	e = make(&r, &cfg);
	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	/* 20 packets "sent 2 s ago", then 20 now */
	for (int i = 0; i < 20; i++) {
		gen_write(&g, r, 960);
		alto_send_encoder_process(e, t - 2000000000ull);
	}
	for (int i = 0; i < 20; i++) {
		gen_write(&g, r, 960);
		alto_send_encoder_process(e, t);
	}
	CHECK_EQ(sink.n, 40);
	n_sent = sink.n;
	parse(&sink.pkts[0], &first);

	/* 2 recent ones, 1 too old, 1 never sent */
	seqs[0] = (uint16_t)(first.p.seq + 5);		/* old */
	seqs[1] = (uint16_t)(first.p.seq + 25);
	seqs[2] = (uint16_t)(first.p.seq + 31);
	seqs[3] = (uint16_t)(first.p.seq + 500);	/* never sent */
	CHECK_EQ(alto_rtcp_build_nack(nack, sizeof(nack), 0xabcd, SSRC, seqs, 4, &nack_len), 0);
	/* the NACKs arrive on the encoder's clock (the test's t), so that a slow
	 * machine (ASan, load) cannot age the history between sending and NACK */
	CHECK_EQ(alto_send_encoder_handle_rtcp_at(e, nack, nack_len, t + 10000000ull), 2);
	CHECK_EQ(sink.n, n_sent + 2);
	CHECK_EQ(sink.pkts[n_sent].len, sink.pkts[25].len);
	CHECK(memcmp(sink.pkts[n_sent].data, sink.pkts[25].data, sink.pkts[25].len) == 0);
	CHECK(memcmp(sink.pkts[n_sent + 1].data, sink.pkts[31].data, sink.pkts[31].len) == 0);
	CHECK_EQ(sink.pkts[n_sent].capture_ns, 0);	/* a retransmission */

	/* the same NACK again 10 ms later: already on its way */
	CHECK_EQ(alto_send_encoder_handle_rtcp_at(e, nack, nack_len, t + 20000000ull), 0);
	/* ... and after the resend interval (50 ms) it is answered again */
	CHECK_EQ(alto_send_encoder_handle_rtcp_at(e, nack, nack_len, t + 80000000ull), 2);
	/* after the history (200 ms here) nothing is */
	CHECK_EQ(alto_send_encoder_handle_rtcp_at(e, nack, nack_len, t + 300000000ull), 0);
	/* another SSRC's NACK is not ours */
	CHECK_EQ(alto_rtcp_build_nack(nack, sizeof(nack), 0xabcd, SSRC + 1, seqs + 1, 2, &nack_len), 0);
	CHECK_EQ(alto_send_encoder_handle_rtcp_at(e, nack, nack_len, t + 10000000ull), 0);
	/* garbage is refused without effect */
	CHECK_EQ(alto_send_encoder_handle_rtcp(e, (const uint8_t *)"\x80\xcd\x00\x09garbage", 12), -EBADMSG);
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.nacks, 4 + 4 + 4 + 4 + 0);
	CHECK_EQ(st.retransmitted, 4);
	CHECK_EQ(st.packets, 40);		/* retransmissions are not counted as sent packets */

	/* a failing send is counted, not fatal */
	sink.fail_sends = 1;
	gen_write(&g, r, 960);
	alto_send_encoder_process(e, now_ns());
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.send_errors, 1);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_receiver_report(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct alto_send_encoder_stats st;
	struct alto_rtcp_rr rr = { .ssrc = 0x5555, .n_reports = 2 };
	uint8_t buf[128];
	size_t len;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.packet_loss, 10);
	rr.reports[0] = (struct alto_rtcp_report_block){ .ssrc = SSRC + 7, .fraction_lost = 200 };
	rr.reports[1] = (struct alto_rtcp_report_block){ .ssrc = SSRC, .fraction_lost = 64 };	/* 25 % */
	CHECK_EQ(alto_rtcp_build_rr(buf, sizeof(buf), &rr, &len), 0);
	CHECK_EQ(alto_send_encoder_handle_rtcp(e, buf, len), 0);
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.packet_loss, 25);
	/* no loss: back to the configured floor (FEC stays useful) */
	rr.reports[1].fraction_lost = 0;
	CHECK_EQ(alto_rtcp_build_rr(buf, sizeof(buf), &rr, &len), 0);
	alto_send_encoder_handle_rtcp(e, buf, len);
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.packet_loss, 10);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_backlog(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	struct parsed a, b;
	size_t n0;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 0.2);
	n0 = sink.n;
	/* the network thread was away for a quarter of a second */
	gen_write(&g, r, 12000);
	alto_send_encoder_process(e, now_ns());
	alto_send_encoder_get_stats(e, &st);
	fprintf(stderr, "backlog: %" PRIu64 " samples dropped, %zu packets sent\n", st.backlog_dropped, sink.n - n0);
	CHECK(st.backlog_dropped > 0);
	CHECK(sink.n - n0 <= 100 / 20 + 2);		/* at most ~100 ms were sent late */
	CHECK(alto_send_ring_available(r) < 960);
	/* and the RTP clock tells the truth about the dropped time */
	parse(&sink.pkts[n0 - 1], &a);
	parse(&sink.pkts[n0], &b);
	CHECK(b.p.marker);
	CHECK(b.p.timestamp - a.p.timestamp >= 960u + (uint32_t)st.backlog_dropped);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

/* Writes n samples of tone stamped as a real capture would be: time = t0 +
 * samples / 48 kHz, plus pause_ns from some point on. */
static void write_timed(struct alto_send_ring *r, struct gen *g, uint32_t n, uint64_t pause_ns)
{
	float buf[1024];

	for (uint32_t done = 0; done < n; done += 1024) {
		uint32_t k = n - done < 1024 ? n - done : 1024;
		for (uint32_t i = 0; i < k; i++)
			buf[i] = (float)(g->amp * sin(2.0 * M_PI * g->freq * (double)(g->pos + i) / 48000.0));
		g->pos += k;
		CHECK_EQ(alto_send_ring_write(r, buf, k, 5000000000ull + g->pos * 1000000000ull / 48000 + pause_ns), k);
	}
}

static void test_capture_gap(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	struct parsed a, b;
	size_t n0;

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	for (int i = 0; i < 25; i++) {
		write_timed(r, &g, 1024, 0);
		alto_send_encoder_process(e, now_ns());
	}
	n0 = sink.n;
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.capture_gaps, 0);		/* steady capture: nothing to jump over */
	/* the stream was unlinked for 1.5 s: the capture resumes later than the
	 * samples say */
	for (int i = 0; i < 25; i++) {
		write_timed(r, &g, 1024, 1500000000ull);
		alto_send_encoder_process(e, now_ns());
	}
	alto_send_encoder_get_stats(e, &st);
	CHECK_EQ(st.capture_gaps, 1);
	parse(&sink.pkts[n0 - 1], &a);
	parse(&sink.pkts[n0], &b);
	CHECK(b.p.marker);
	CHECK_EQ((uint16_t)(b.p.seq - a.p.seq), 1);
	/* 1.5 s = 75 frames more than the 1 frame between them */
	CHECK_NEAR((double)(b.p.timestamp - a.p.timestamp), 960.0 * 76, 960.0);
	for (size_t i = n0 + 1; i < sink.n; i++) {
		parse(&sink.pkts[i], &b);
		CHECK(!b.p.marker);
	}
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

static void test_start_stop(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	struct alto_send_encoder_stats st;
	struct alto_send_encoder_media m2 = media;
	struct parsed a, b;
	size_t n0;

	/* nothing negotiated yet: the audio is taken and dropped */
	feed(e, r, &g, 0.5);
	CHECK_EQ(sink.n, 0);
	alto_send_encoder_get_stats(e, &st);
	CHECK(st.idle_frames >= 20);
	CHECK(!st.sending);
	CHECK(alto_send_ring_available(r) < 960);

	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	CHECK(alto_send_encoder_is_sending(e));
	feed(e, r, &g, 0.2);
	n0 = sink.n;
	CHECK(n0 >= 8);
	alto_send_encoder_stop(e);
	feed(e, r, &g, 0.2);
	CHECK_EQ(sink.n, n0);
	/* the same SSRC again (after an ICE restart): numbering goes on */
	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 0.2);
	parse(&sink.pkts[n0 - 1], &a);
	parse(&sink.pkts[n0], &b);
	CHECK_EQ((uint16_t)(b.p.seq - a.p.seq), 1);
	/* a new SSRC (a new peer connection): a new stream */
	n0 = sink.n;
	m2.ssrc = SSRC + 1;
	CHECK_EQ(alto_send_encoder_start(e, &m2), 0);
	feed(e, r, &g, 0.1);
	CHECK(sink.n > n0);
	CHECK_EQ(alto_rtp_parse(sink.pkts[n0].data, sink.pkts[n0].len, &b.p), 0);
	CHECK_EQ(b.p.ssrc, SSRC + 1);
	CHECK(b.p.marker);

	/* bad arguments */
	m2.mid = "";
	CHECK_EQ(alto_send_encoder_start(e, &m2), -EINVAL);
	m2.mid = NULL;
	CHECK_EQ(alto_send_encoder_start(e, &m2), -EINVAL);
	m2.payload_type = 200;
	CHECK_EQ(alto_send_encoder_start(e, &m2), -EINVAL);
	CHECK_EQ(alto_send_encoder_start(NULL, &media), -EINVAL);
	CHECK_EQ(alto_send_encoder_set_bitrate(e, 1), -EINVAL);
	CHECK_EQ(alto_send_encoder_set_bitrate(e, 64000), 0);
	alto_send_encoder_destroy(e);

	struct alto_send_encoder_config cfg;
	alto_send_encoder_config_default(&cfg);
	cfg.bitrate = 1000;
	CHECK(alto_send_encoder_new(NULL, r, &cfg, &events, &sink) == NULL && errno == EINVAL);
	CHECK(alto_send_encoder_new(NULL, NULL, NULL, &events, &sink) == NULL && errno == EINVAL);
	alto_send_ring_destroy(r);
}

struct report_seen {
	struct alto_rtcp_sr sr;
	char cname[256];
};

static void on_sr(void *data, const struct alto_rtcp_sr *sr)
{
	((struct report_seen *)data)->sr = *sr;
}

static void on_sdes(void *data, uint32_t ssrc, uint8_t type, const uint8_t *text, uint8_t len)
{
	struct report_seen *seen = data;

	(void)ssrc;
	if (type == ALTO_RTCP_SDES_CNAME) {
		memcpy(seen->cname, text, len);
		seen->cname[len] = '\0';
	}
}

static void test_sender_report(void)
{
	struct alto_send_ring *r;
	struct alto_send_encoder *e = make(&r, NULL);
	struct gen g = { .amp = 0.25, .freq = 440.0 };

	/* nothing sent yet: no report */
	CHECK_EQ(alto_send_encoder_send_report(e, now_ns()), 0);
	CHECK_EQ(sink.n_rtcp, 0);
	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	feed(e, r, &g, 0.5);
	CHECK(alto_send_encoder_send_report(e, now_ns()) >= 0);
	CHECK_EQ(sink.n_rtcp, 1);

	struct alto_rtcp_events ev = { .sender_report = on_sr, .sdes_item = on_sdes };
	struct report_seen seen = { 0 };

	CHECK_EQ(alto_rtcp_parse(sink.rtcp, sink.rtcp_len, &ev, &seen), 2);
	CHECK_EQ(seen.sr.ssrc, SSRC);
	CHECK_EQ(seen.sr.packet_count, sink.n);
	CHECK(strcmp(seen.cname, "alto") == 0);
	alto_send_encoder_destroy(e);
	alto_send_ring_destroy(r);
}

/* ---- a real main context and a producer thread ---- */

struct producer_ctx {
	struct alto_send_ring *r;
	atomic_bool stop;
};

static void *producer(void *data)
{
	struct producer_ctx *c = data;
	struct gen g = { .amp = 0.25, .freq = 440.0 };
	float buf[1024];

	while (!atomic_load(&c->stop) && g.pos < 48000 * 3) {
		for (uint32_t i = 0; i < 1024; i++)
			buf[i] = (float)(g.amp * sin(2.0 * M_PI * g.freq * (double)(g.pos + i) / 48000.0));
		/* what process() does, and nothing else, is watched */
		alloc_watch = true;
		alto_send_ring_write(c->r, buf, 1024, now_ns());
		alloc_watch = false;
		g.pos += 1024;
		usleep(1024 * 1000000 / 48000 / 4);	/* 4× real time */
		/* but never ahead of the encoder by its backlog limit (100 ms): a
		 * slow machine (ASan, load) must not make it drop audio here */
		while (alto_send_ring_available(c->r) > 4 * ALTO_SEND_FRAME_SIZE && !atomic_load(&c->stop))
			usleep(1000);
	}
	return NULL;
}

static void test_main_context(void)
{
	struct alto_send_ring *r = alto_send_ring_new(0, ALTO_SEND_FRAME_SIZE);
	GMainContext *ctx = g_main_context_new();
	struct producer_ctx pc = { .r = r };
	struct alto_send_encoder *e;
	bool hooks = alloc_counter_install();
	pthread_t t;
	gint64 deadline;

	memset(&sink, 0, sizeof(sink));
	e = alto_send_encoder_new(ctx, r, NULL, &events, &sink);
	CHECK(e != NULL);
	CHECK_EQ(alto_send_encoder_start(e, &media), 0);
	atomic_store(&alloc_count, 0);
	CHECK_EQ(pthread_create(&t, NULL, producer, &pc), 0);
	deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	/* 3 s of audio = 150 frames; the doorbell alone must bring them here */
	while (sink.n < 149 && g_get_monotonic_time() < deadline)
		g_main_context_iteration(ctx, TRUE);
	atomic_store(&pc.stop, true);
	pthread_join(t, NULL);
	fprintf(stderr, "%zu packets through the doorbell\n", sink.n);
	CHECK(sink.n >= 149);
	if (hooks) {
		fprintf(stderr, "allocations in alto_send_ring_write: %lu\n", atomic_load(&alloc_count));
		CHECK_EQ(atomic_load(&alloc_count), 0);
	}
	alto_send_encoder_destroy(e);
	g_main_context_unref(ctx);
	alto_send_ring_destroy(r);
}

int main(void)
{
	RUN(test_tone);
	RUN(test_dtx);
	RUN(test_mute);
	RUN(test_nack);
	RUN(test_receiver_report);
	RUN(test_backlog);
	RUN(test_capture_gap);
	RUN(test_start_stop);
	RUN(test_sender_report);
	RUN(test_main_context);
	return 0;
}
