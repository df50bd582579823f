/* The send encoder: ring → Opus → RTP → send_rtp, NACK history, sender
 * reports. See send-encoder.h. Thread: the network thread, all of it. */
#define G_LOG_DOMAIN "alto-send"
#include "send-encoder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib-unix.h>

#include "audio_sender.h"
#include "opus_codec.h"
#include "rtcp.h"
#include "rtp.h"

#define RATE			48000
#define REPORT_INTERVAL_MS	1000
/* Capture that stopped for longer than this (the send stream was not
 * linked, the graph was suspended) moves the RTP clock on by the pause: the
 * receivers' jitter buffers keep media time and wall time together instead
 * of taking the late audio as network delay and stretching what follows. */
#define CAPTURE_GAP_NS		(200 * 1000000ull)
/* A packet asked for again within this time was just resent: the NACK
 * crossed our retransmission (libwebrtc waits about an RTT). */
#define RESEND_MIN_INTERVAL_NS	(50 * 1000000ull)

struct history_slot {
	bool used;
	uint16_t seq;
	uint16_t len;
	uint64_t sent_ns;
	uint64_t resent_ns;
	uint8_t data[ALTO_SEND_MAX_PACKET];
};

struct alto_send_encoder {
	GMainContext *ctx;
	struct alto_send_ring *ring;
	struct alto_send_encoder_config cfg;
	char cname[64];
	const struct alto_send_encoder_events *events;
	void *data;

	struct alto_opus_encoder *opus;
	struct alto_audio_sender snd;
	bool started;			/* snd is initialised (an SSRC was given) */
	bool sending;

	bool muted;			/* the ring's flag, as last seen */
	bool room_muted;		/* what the room was told */
	bool notified;			/* mute_changed fired for `muted` */

	struct history_slot *history;
	uint32_t history_mask;
	uint64_t history_ns;
	uint64_t rtcp_now;		/* CLOCK_MONOTONIC of the RTCP packet being handled */

	uint64_t last_capture_ns;	/* capture time of the last sample of snd.last_ts's frame */
	bool have_last;

	/* capture clock against samples read, to find pauses in the capture */
	uint64_t samples_read;
	uint64_t ref_capture_ns;
	uint64_t ref_samples;
	bool have_ref;

	GSource *doorbell;
	GSource *report_timer;

	struct alto_send_encoder_stats st;
	float pcm[ALTO_SEND_FRAME_SIZE];
	uint8_t packet[ALTO_SEND_MAX_PACKET];
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void alto_send_encoder_config_default(struct alto_send_encoder_config *cfg)
{
	*cfg = (struct alto_send_encoder_config) {
		.bitrate = 32000,
		.complexity = 10,
		.fec = true,
		.min_packet_loss = 10,
		.dtx = true,
		.history_ms = 1000,
		.max_backlog_ms = 100,
		.cname = NULL,
	};
}

/* ------------------------------------------------------------------ history */

static void history_store(struct alto_send_encoder *e, const uint8_t *buf, size_t len, uint64_t now)
{
	uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]);
	struct history_slot *h = &e->history[seq & e->history_mask];

	h->used = true;
	h->seq = seq;
	h->len = (uint16_t)len;
	h->sent_ns = now;
	h->resent_ns = 0;
	memcpy(h->data, buf, len);
}

static void on_nack(void *data, uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *seqs, size_t n)
{
	struct alto_send_encoder *e = data;
	uint64_t now = e->rtcp_now;

	(void)sender_ssrc;
	if (!e->started || media_ssrc != e->snd.cfg.ssrc)
		return;
	e->st.nacks += n;
	for (size_t i = 0; i < n; i++) {
		struct history_slot *h = &e->history[seqs[i] & e->history_mask];
		if (!h->used || h->seq != seqs[i] || now - h->sent_ns > e->history_ns)
			continue;	/* too old, or never sent (DTX) */
		if (h->resent_ns != 0 && now - h->resent_ns < RESEND_MIN_INTERVAL_NS)
			continue;
		if (!e->sending)
			continue;
		if (e->events->send_rtp(e->data, h->data, h->len, 0) < 0) {
			e->st.send_errors++;
			continue;
		}
		h->resent_ns = now;
		e->st.retransmitted++;
	}
}

/* ------------------------------------------------------------------ reports */

static void update_loss(struct alto_send_encoder *e, const struct alto_rtcp_report_block *blocks, uint8_t n)
{
	for (uint8_t i = 0; i < n; i++) {
		uint32_t loss;
		if (!e->started || blocks[i].ssrc != e->snd.cfg.ssrc)
			continue;
		/* fraction_lost is ×256; round up so that any loss keeps FEC on */
		loss = ((uint32_t)blocks[i].fraction_lost * 100 + 255) / 256;
		loss = MAX(loss, (uint32_t)e->cfg.min_packet_loss);
		loss = MIN(loss, 100u);
		if (loss != e->st.packet_loss && alto_opus_encoder_set_packet_loss(e->opus, (int)loss) == 0) {
			g_debug("receiver reports %u%% loss: encoder expects %u%%",
				((uint32_t)blocks[i].fraction_lost * 100) / 256, loss);
			e->st.packet_loss = loss;
		}
	}
}

static void on_receiver_report(void *data, const struct alto_rtcp_rr *rr)
{
	update_loss(data, rr->reports, rr->n_reports);
}

static void on_sender_report(void *data, const struct alto_rtcp_sr *sr)
{
	update_loss(data, sr->reports, sr->n_reports);
}

static const struct alto_rtcp_events rtcp_events = {
	.sender_report = on_sender_report,
	.receiver_report = on_receiver_report,
	.nack = on_nack,
};

int alto_send_encoder_handle_rtcp(struct alto_send_encoder *e, const uint8_t *buf, size_t len)
{
	return alto_send_encoder_handle_rtcp_at(e, buf, len, monotonic_ns());
}

int alto_send_encoder_handle_rtcp_at(struct alto_send_encoder *e, const uint8_t *buf, size_t len, uint64_t now)
{
	uint64_t before;
	int res;

	if (e == NULL || buf == NULL)
		return -EINVAL;
	e->rtcp_now = now;	/* for the callbacks of this parse */
	before = e->st.retransmitted;
	if ((res = alto_rtcp_parse(buf, len, &rtcp_events, e)) < 0)
		return res;
	return (int)(e->st.retransmitted - before);
}

int alto_send_encoder_send_report(struct alto_send_encoder *e, uint64_t now)
{
	uint8_t buf[256];
	size_t len, out;
	uint32_t rtp_ts;
	int res;

	if (e == NULL)
		return -EINVAL;
	if (!e->sending || !e->have_last || e->snd.packets == 0 || e->events->send_rtcp == NULL)
		return 0;
	/* the RTP time of `now`: the last sample of the last frame was captured
	 * at last_capture_ns */
	rtp_ts = e->snd.last_ts + ALTO_SEND_FRAME_SIZE - 1 +
		(uint32_t)((now - MIN(now, e->last_capture_ns)) * RATE / 1000000000ull);
	if ((res = alto_audio_sender_build_sr(&e->snd, alto_rtcp_ntp_from_unix_ns(realtime_ns()), rtp_ts,
					      buf, sizeof(buf), &len)) < 0)
		return res;
	if ((res = alto_rtcp_build_sdes_cname(buf + len, sizeof(buf) - len, e->snd.cfg.ssrc, e->cname,
					      &out)) < 0)
		return res;
	len += out;
	return e->events->send_rtcp(e->data, buf, len);
}

static gboolean on_report_timer(gpointer data)
{
	alto_send_encoder_send_report(data, monotonic_ns());
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ frames */

/* Frames are dropped (muted, backlog): the RTP clock runs on, the next
 * packet starts a talk spurt. */
static void skip_time(struct alto_send_encoder *e, uint32_t samples)
{
	if (!e->started)
		return;
	e->snd.ts += samples;
	e->snd.in_dtx = false;
	e->snd.send_marker = true;
}

/* A frame was captured at capture_ns (its last sample): if the capture
 * paused since the reference point, the RTP clock jumps over the pause. */
static void follow_capture_clock(struct alto_send_encoder *e, uint64_t capture_ns)
{
	int64_t elapsed_ns, media_ns, drift_ns;

	e->samples_read += ALTO_SEND_FRAME_SIZE;
	if (!e->have_ref || capture_ns < e->ref_capture_ns) {
		e->ref_capture_ns = capture_ns;
		e->ref_samples = e->samples_read;
		e->have_ref = true;
		return;
	}
	elapsed_ns = (int64_t)(capture_ns - e->ref_capture_ns);
	media_ns = (int64_t)((e->samples_read - e->ref_samples) * 1000000000ull / RATE);
	drift_ns = elapsed_ns - media_ns;
	if (drift_ns > (int64_t)CAPTURE_GAP_NS) {
		uint64_t frames = ((uint64_t)drift_ns * RATE / 1000000000ull + ALTO_SEND_FRAME_SIZE / 2) /
			ALTO_SEND_FRAME_SIZE;
		skip_time(e, (uint32_t)(frames * ALTO_SEND_FRAME_SIZE));
		e->st.capture_gaps++;
		g_debug("capture paused for %" G_GINT64_FORMAT " ms: RTP time moves on by %" G_GUINT64_FORMAT
			" frames", drift_ns / 1000000, frames);
	}
	if (drift_ns > (int64_t)CAPTURE_GAP_NS || drift_ns < -(int64_t)CAPTURE_GAP_NS) {
		e->ref_capture_ns = capture_ns;
		e->ref_samples = e->samples_read;
	}
}

static void check_mute(struct alto_send_encoder *e)
{
	bool muted = alto_send_ring_get_muted(e->ring);

	if (muted != e->muted) {
		e->muted = muted;
		e->notified = false;
		g_info("send stream %s", muted ? "muted: audio stops" : "unmuted: audio resumes");
	}
	if (muted != e->room_muted && !e->notified) {
		e->notified = true;
		if (e->events->mute_changed)
			e->events->mute_changed(e->data, muted);
	}
}

static void encode_frame(struct alto_send_encoder *e, uint64_t capture_ns, uint64_t now)
{
	uint64_t t0 = monotonic_ns(), t1;
	int len;

	len = alto_audio_sender_packetize(&e->snd, e->opus, e->pcm, e->packet, sizeof(e->packet));
	t1 = monotonic_ns();
	e->st.encode_ns += t1 - t0;
	e->st.encoded++;
	e->last_capture_ns = capture_ns;
	e->have_last = true;
	if (len < 0) {
		g_debug("frame not encoded: %s", g_strerror(-len));
		return;
	}
	if (len == 0) {
		e->st.dtx_skipped++;
		return;
	}
	history_store(e, e->packet, (size_t)len, now);
	if (e->events->send_rtp(e->data, e->packet, (size_t)len, capture_ns) < 0) {
		e->st.send_errors++;
		return;
	}
	e->st.packets++;
	e->st.bytes += (uint64_t)len;
}

int alto_send_encoder_process(struct alto_send_encoder *e, uint64_t now)
{
	uint32_t avail, max_backlog;
	uint64_t capture_ns = 0;
	int frames = 0;

	if (e == NULL)
		return -EINVAL;
	check_mute(e);

	/* audio that waited too long is dropped whole frames at a time */
	avail = alto_send_ring_available(e->ring);
	max_backlog = e->cfg.max_backlog_ms * (RATE / 1000) + ALTO_SEND_FRAME_SIZE;
	if (avail > max_backlog) {
		uint32_t drop = avail - max_backlog;
		drop = (drop + ALTO_SEND_FRAME_SIZE - 1) / ALTO_SEND_FRAME_SIZE * ALTO_SEND_FRAME_SIZE;
		drop = alto_send_ring_skip(e->ring, drop);
		e->st.backlog_dropped += drop;
		e->samples_read += drop;
		skip_time(e, drop);
		g_debug("send backlog: %u samples dropped", drop);
	}

	while (alto_send_ring_read(e->ring, e->pcm, ALTO_SEND_FRAME_SIZE, &capture_ns) == ALTO_SEND_FRAME_SIZE) {
		frames++;
		e->st.frames++;
		follow_capture_clock(e, capture_ns);
		if (!e->sending) {
			e->st.idle_frames++;
		} else if (e->muted) {
			/* silence, not nothing: Opus DTX makes it a packet or two,
			 * and the receivers play silence instead of concealing
			 * (stretching) the last thing said */
			e->st.muted_frames++;
			memset(e->pcm, 0, sizeof(e->pcm));
			encode_frame(e, capture_ns, now);
		} else {
			encode_frame(e, capture_ns, now);
		}
	}
	return frames;
}

static gboolean on_doorbell(gint fd, GIOCondition condition, gpointer data)
{
	struct alto_send_encoder *e = data;

	(void)fd;
	(void)condition;
	/* arm first: a frame completed while we read still rings */
	alto_send_ring_arm(e->ring);
	alto_send_encoder_process(e, monotonic_ns());
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ control */

int alto_send_encoder_start(struct alto_send_encoder *e, const struct alto_send_encoder_media *media)
{
	struct alto_audio_sender_config cfg = { 0 };
	int res;

	if (e == NULL || media == NULL || media->payload_type > 127 ||
	    (media->mid_ext_id != 0 && (media->mid == NULL || media->mid[0] == '\0')) ||
	    (media->mid && strlen(media->mid) >= sizeof(cfg.mid)))
		return -EINVAL;
	cfg.ssrc = media->ssrc;
	cfg.payload_type = media->payload_type;
	cfg.mid_ext_id = media->mid_ext_id;
	cfg.audio_level_ext_id = media->audio_level_ext_id;
	if (media->mid)
		g_strlcpy(cfg.mid, media->mid, sizeof(cfg.mid));

	if (e->started && e->snd.cfg.ssrc == media->ssrc) {
		/* the same stream: numbering goes on, only the ids may change */
		cfg.first_seq = e->snd.seq;
		cfg.first_ts = e->snd.ts;
		struct alto_audio_sender keep = e->snd;
		if ((res = alto_audio_sender_init(&e->snd, &cfg)) < 0)
			return res;
		e->snd.packets = keep.packets;
		e->snd.octets = keep.octets;
		e->snd.last_ts = keep.last_ts;
	} else {
		cfg.first_seq = (uint16_t)g_random_int();
		cfg.first_ts = g_random_int();
		if ((res = alto_audio_sender_init(&e->snd, &cfg)) < 0)
			return res;
		for (uint32_t i = 0; i <= e->history_mask; i++)
			e->history[i].used = false;
		e->have_last = false;
	}
	e->started = true;
	e->sending = true;
	e->st.sending = true;
	g_info("sending SSRC %u (PT %u, mid %s, ext mid %u level %u), %d b/s%s%s", media->ssrc,
	       media->payload_type, media->mid ? media->mid : "", media->mid_ext_id,
	       media->audio_level_ext_id, e->cfg.bitrate, e->cfg.fec ? ", FEC" : "",
	       e->cfg.dtx ? ", DTX" : "");
	return 0;
}

void alto_send_encoder_stop(struct alto_send_encoder *e)
{
	if (e == NULL || !e->sending)
		return;
	e->sending = false;
	e->st.sending = false;
	g_info("sending stopped after %" G_GUINT64_FORMAT " packets", e->st.packets);
}

bool alto_send_encoder_is_sending(const struct alto_send_encoder *e)
{
	return e && e->sending;
}

void alto_send_encoder_set_room_muted(struct alto_send_encoder *e, bool muted)
{
	if (e == NULL)
		return;
	e->room_muted = muted;
	e->notified = muted == e->muted;
}

int alto_send_encoder_set_bitrate(struct alto_send_encoder *e, int bitrate)
{
	int res;

	if (e == NULL || bitrate < 6000 || bitrate > 510000)
		return -EINVAL;
	if ((res = alto_opus_encoder_set_bitrate(e->opus, bitrate)) < 0)
		return res;
	e->cfg.bitrate = bitrate;
	return 0;
}

void alto_send_encoder_get_stats(const struct alto_send_encoder *e, struct alto_send_encoder_stats *st)
{
	if (e == NULL || st == NULL)
		return;
	*st = e->st;
	st->muted = e->muted;
}

/* ------------------------------------------------------------------ life cycle */

struct alto_send_encoder *alto_send_encoder_new(GMainContext *ctx, struct alto_send_ring *ring,
		const struct alto_send_encoder_config *config,
		const struct alto_send_encoder_events *events, void *data)
{
	struct alto_opus_encoder_config ocfg;
	struct alto_send_encoder_config cfg;
	struct alto_send_encoder *e;
	uint32_t slots;
	int res;

	if (ring == NULL || events == NULL || events->send_rtp == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (config)
		cfg = *config;
	else
		alto_send_encoder_config_default(&cfg);
	if (cfg.bitrate == 0)
		cfg.bitrate = 32000;
	if (cfg.complexity < 0)
		cfg.complexity = 10;
	if (cfg.min_packet_loss < 0)
		cfg.min_packet_loss = 10;
	if (cfg.history_ms == 0)
		cfg.history_ms = 1000;
	if (cfg.max_backlog_ms == 0)
		cfg.max_backlog_ms = 100;
	if (cfg.bitrate < 6000 || cfg.bitrate > 510000 || cfg.complexity > 10 ||
	    cfg.min_packet_loss > 100 || cfg.history_ms > 10000 || cfg.max_backlog_ms > 10000) {
		errno = EINVAL;
		return NULL;
	}

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->ring = ring;
	e->cfg = cfg;
	g_strlcpy(e->cname, cfg.cname && cfg.cname[0] ? cfg.cname : "alto", sizeof(e->cname));
	e->cfg.cname = NULL;
	e->events = events;
	e->data = data;
	e->history_ns = (uint64_t)cfg.history_ms * 1000000ull;
	/* a power of two of slots covering the history, one packet per frame */
	for (slots = 16; slots * 20 < cfg.history_ms; slots <<= 1)
		;
	e->history_mask = slots - 1;
	if ((e->history = calloc(slots, sizeof(*e->history))) == NULL)
		goto error;

	alto_opus_encoder_config_default(&ocfg);
	ocfg.channels = 1;
	ocfg.frame_size = ALTO_SEND_FRAME_SIZE;
	ocfg.bitrate = cfg.bitrate;
	ocfg.complexity = cfg.complexity;
	ocfg.inband_fec = cfg.fec;
	ocfg.packet_loss_perc = cfg.min_packet_loss;
	ocfg.dtx = cfg.dtx;
	if ((res = alto_opus_encoder_create(&e->opus, &ocfg)) < 0) {
		errno = -res;
		goto error;
	}
	e->st.packet_loss = (uint32_t)cfg.min_packet_loss;
	e->muted = alto_send_ring_get_muted(ring);
	e->room_muted = e->muted;
	e->notified = true;

	if (ctx) {
		e->ctx = g_main_context_ref(ctx);
		e->doorbell = g_unix_fd_source_new(alto_send_ring_fd(ring), G_IO_IN);
		g_source_set_callback(e->doorbell, G_SOURCE_FUNC(on_doorbell), e, NULL);
		g_source_attach(e->doorbell, ctx);
		e->report_timer = g_timeout_source_new(REPORT_INTERVAL_MS);
		g_source_set_callback(e->report_timer, on_report_timer, e, NULL);
		g_source_attach(e->report_timer, ctx);
		alto_send_ring_arm(ring);
	}
	return e;

error:
	res = errno;
	alto_send_encoder_destroy(e);
	errno = res;
	return NULL;
}

void alto_send_encoder_destroy(struct alto_send_encoder *e)
{
	if (e == NULL)
		return;
	if (e->doorbell) {
		g_source_destroy(e->doorbell);
		g_source_unref(e->doorbell);
	}
	if (e->report_timer) {
		g_source_destroy(e->report_timer);
		g_source_unref(e->report_timer);
	}
	if (e->ctx)
		g_main_context_unref(e->ctx);
	if (e->opus)
		alto_opus_encoder_destroy(e->opus);
	free(e->history);
	free(e);
}
