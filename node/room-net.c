/* The room session's network thread: LiveKit signaling, the peer
 * connection(s), one receiver per remote audio track, RTCP.
 *
 * Everything in this file runs on the session's network thread, the one
 * iterating s->net_context (signaling/ and rtc/transport/ put their sockets
 * and timers there and call back on it). It hands work to the PipeWire main
 * loop only through session_post_*() (handoff.h) and feeds the real-time
 * side only through alto_jitter_buffer_push() (a lock-free SPSC ring).
 *
 * Peer connections:
 *  - single PC (/rtc/v1): one alto_pc. Its first offer (a few recvonly audio
 *    sections) rides in the JoinRequest (join_offer); the server answers,
 *    maps our mids to tracks (mid_to_track_id) and asks for more sections
 *    with media_sections_requirement, which we add and re-offer. One offer
 *    is outstanding at a time.
 *  - legacy (/rtc): the subscriber PC; every server offer is answered (the
 *    first one may hold only m=application: answering it brings ICE+DTLS up,
 *    which is what the server's join deadline waits for). No publisher PC:
 *    alto does not publish here.
 * Trickle both ways. A resume restarts ICE (single PC: our re-offer; legacy:
 * the server's offer) and sends sync_state; a full rejoin builds new PCs and
 * the participant streams are made again as media arrives.
 *
 * Receivers: the first RTP packet of an SSRC is mapped to its section (a=ssrc,
 * or learnt), the section to a track sid (mid_to_track_id, else a=msid), the
 * track to its participant (signaling state). Then a receiver is made (a
 * jitter buffer) and the main loop is told to make the participant stream.
 * An SSRC that cannot be mapped yet (its ParticipantUpdate still on the way)
 * is retried on the next room change or after 100 ms. Track unpublished or
 * participant gone: the receiver goes and the main loop removes the stream.
 *
 * NACK: on a section where both sides negotiated generic NACK (and not
 * --no-nack), each receiver has a NACK tracker (rtc/media/nack_tracker.h)
 * fed with the same packets as its jitter buffer. A gap is requested at once
 * (RR + SDES + RTPFB NACK), retried every 2 × RTT from a 10 ms timer while the
 * answer could still come before the packet's play-out (the jitter buffer's
 * target after its expected arrival), at most 3 times. The RTT comes from
 * RTCP report blocks about our own stream when we publish, else from the
 * signaling pings.
 */
#define G_LOG_DOMAIN "alto-room"
#include "room-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rtc/transport/peer_connection.h"
#include "nack_tracker.h"
#include "rtcp.h"
#include "rtp.h"
#include "rtp_stats.h"

/* recvonly sections of the first single-PC offer, as the SDKs do; more come with
 * media_sections_requirement. (signaling/ gzips the JoinRequest when its URL would not fit
 * lws 4.1's request line.) */
#define INITIAL_RECV_AUDIO	3
#define RTCP_INTERVAL_MS	1000
#define RETRY_UNRESOLVED_US	100000
#define MAX_RECEIVERS		256
#define NACK_TIMER_MS		10	/* retries and expiry while packets are awaited */
#define NACK_MAX_SEQS		64	/* sequence numbers per NACK packet */
#define RTCP_RTT_FRESH_US	(10 * G_USEC_PER_SEC)	/* an RTCP RTT this recent beats a ping's */
#define MAX_RTT_NS		(10 * 1000000000ull)

struct receiver {
	struct room_net *n;
	char *track_sid;
	char *participant_sid;
	struct track_media *media;	/* pushed into; the main loop's once removed */
	uint32_t ssrc;
	bool have_stats;
	struct alto_rtp_stats stats;
	uint64_t packets;
	uint64_t last_arrival_ns;
	uint64_t max_gap_ns;		/* longest time between two packets since the last report */
	bool speaking;
	struct alto_nack_tracker *nack;	/* NULL: NACK not negotiated, or --no-nack */
	uint64_t nacks_sent;		/* NACK packets */
};

struct room_net {
	struct session *s;
	struct alto_signal_client *client;

	struct alto_pc *pc;		/* single PC, or the legacy subscriber PC */
	bool pc_single;			/* pc was made for a single-PC session */
	bool joined;
	bool single_pc;
	bool leaving;
	bool reconnect_requested;
	int last_pc_error;

	/* negotiation */
	bool offer_outstanding;
	bool reoffer;
	char *local_offer;		/* single PC: our last offer */
	uint32_t local_offer_id;
	char *remote_answer;		/* single PC: the last answer */
	uint32_t remote_answer_id;
	char *remote_offer;		/* legacy: the server's last offer */
	uint32_t remote_offer_id;
	char *local_answer;		/* legacy: our last answer */

	GHashTable *mid_to_track;	/* mid → TR_ sid (single PC answers) */
	GHashTable *receivers;		/* TR_ sid → struct receiver */
	GHashTable *ssrc_map;		/* SSRC → struct receiver (not owned) */
	GHashTable *unresolved;		/* SSRC → next attempt (monotonic µs) */

	GSource *rtcp_timer;
	uint32_t rtcp_ssrc;

	GSource *nack_timer;		/* while a receiver awaits requested packets */
	bool have_rtt;
	uint64_t rtt_ns;		/* to the server, for NACK retries */
	gint64 rtcp_rtt_us;		/* when RTCP last gave the RTT (monotonic µs), 0: never */
};

static uint64_t now_ns(void)
{
	return (uint64_t)g_get_monotonic_time() * 1000u;
}

/* ------------------------------------------------------------------ receivers */

static void receiver_free(gpointer data)
{
	struct receiver *r = data;

	/* media: either never handed over (freed here) or owned by the main loop */
	if (r->media)
		track_media_free(r->media);
	alto_nack_tracker_destroy(r->nack);
	g_free(r->track_sid);
	g_free(r->participant_sid);
	g_free(r);
}

static void forget_ssrcs_of(struct room_net *n, struct receiver *r)
{
	GHashTableIter it;
	gpointer key, value;

	g_hash_table_iter_init(&it, n->ssrc_map);
	while (g_hash_table_iter_next(&it, &key, &value))
		if (value == r)
			g_hash_table_iter_remove(&it);
}

/* The receiver goes; its stream too (the main loop owns the media now). */
static void remove_receiver(struct room_net *n, struct receiver *r)
{
	g_info("track %s of %s: receiver removed after %" G_GUINT64_FORMAT " packets",
	       r->track_sid, r->participant_sid, r->packets);
	forget_ssrcs_of(n, r);
	session_post_stream_remove(n->s, r->track_sid);
	r->media = NULL;
	g_hash_table_remove(n->receivers, r->track_sid);
}

static void remove_all_receivers(struct room_net *n)
{
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct receiver *r = value;
		session_post_stream_remove(n->s, r->track_sid);
		r->media = NULL;
		g_hash_table_iter_remove(&it);
	}
	g_hash_table_remove_all(n->ssrc_map);
	g_hash_table_remove_all(n->unresolved);
}

static void remove_receivers_of(struct room_net *n, const char *participant_sid)
{
	GHashTableIter it;
	gpointer value;
	GPtrArray *gone = g_ptr_array_new();

	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (g_strcmp0(((struct receiver *)value)->participant_sid, participant_sid) == 0)
			g_ptr_array_add(gone, value);
	for (guint i = 0; i < gone->len; i++)
		remove_receiver(n, g_ptr_array_index(gone, i));
	g_ptr_array_free(gone, TRUE);
}

/* The participant publishing track_sid, from the signaling state. */
static const struct alto_participant_info *find_track_owner(struct room_net *n, const char *track_sid,
		const struct alto_track_info **track)
{
	const struct alto_participant_info *const *list;
	size_t np = alto_signal_client_get_participants(n->client, &list);

	for (size_t i = 0; i < np; i++) {
		for (size_t j = 0; j < list[i]->n_tracks; j++) {
			if (g_strcmp0(list[i]->tracks[j].sid, track_sid) == 0) {
				*track = &list[i]->tracks[j];
				return list[i];
			}
		}
	}
	return NULL;
}

static struct receiver *receiver_new(struct room_net *n, const struct alto_participant_info *p,
		const struct alto_track_info *t, const struct alto_pc_media_info *info)
{
	struct alto_jitter_buffer_config cfg;
	struct track_media *m;
	struct receiver *r;
	uint32_t latency = n->s->cfg.latency_ms;
	int res;

	if (g_hash_table_size(n->receivers) >= MAX_RECEIVERS) {
		g_warning("more than %d remote tracks: track %s not played", MAX_RECEIVERS, t->sid);
		return NULL;
	}
	alto_jitter_buffer_config_default(&cfg);
	cfg.channels = t->stereo ? 2 : 1;
	if (info->opus_pt >= 0)
		cfg.opus_pt = (uint8_t)info->opus_pt;
	cfg.red_pt = info->red_pt > 0 ? (uint8_t)info->red_pt : 0;
	if (latency > 0) {
		cfg.min_delay_ms = latency;
		cfg.start_delay_ms = MAX(cfg.start_delay_ms, latency);
		cfg.max_delay_ms = MAX(cfg.max_delay_ms, latency + 200);
	}

	m = g_new0(struct track_media, 1);
	if ((res = alto_jitter_buffer_create(&m->jb, &cfg)) < 0) {
		g_warning("track %s: no jitter buffer: %s", t->sid, g_strerror(-res));
		g_free(m);
		return NULL;
	}
	m->channels = cfg.channels;
	m->track_sid = g_strdup(t->sid);
	m->track_name = g_strdup(t->name);
	m->participant_sid = g_strdup(p->sid);
	m->identity = g_strdup(p->identity);
	m->name = g_strdup(p->name && p->name[0] ? p->name : p->identity);
	m->speaking = p->speaking;
	m->quality = (int)p->quality;
	m->muted = t->muted;

	r = g_new0(struct receiver, 1);
	r->n = n;
	r->track_sid = g_strdup(t->sid);
	r->participant_sid = g_strdup(p->sid);
	r->media = m;
	r->speaking = p->speaking;
	if (info->nack && !n->s->cfg.no_nack) {
		struct alto_nack_tracker_config nc;
		alto_nack_tracker_config_default(&nc);
		if ((res = alto_nack_tracker_create(&r->nack, &nc)) < 0)
			g_warning("track %s: no NACK: %s", t->sid, g_strerror(-res));
		else if (n->have_rtt)
			alto_nack_tracker_set_rtt(r->nack, n->rtt_ns);
	}
	g_hash_table_insert(n->receivers, r->track_sid, r);
	g_info("track %s of %s (%s): receiving, %u channel(s), Opus PT %d, RED PT %d, NACK %s",
	       t->sid, p->identity, p->sid, cfg.channels, cfg.opus_pt, cfg.red_pt,
	       r->nack ? "on" : n->s->cfg.no_nack ? "off (--no-nack)" : "not negotiated");
	/* the main loop makes the stream; we keep pushing into m->jb until we
	 * post its removal */
	session_post_stream_add(n->s, m);
	return r;
}

/* SSRC → section → track → participant. NULL: not (yet) known. */
static struct receiver *resolve_ssrc(struct room_net *n, uint32_t ssrc)
{
	struct alto_pc_media_info info;
	const struct alto_participant_info *p;
	const struct alto_track_info *t = NULL;
	const char *track = NULL;
	struct receiver *r;

	if (alto_pc_find_media_by_ssrc(n->pc, ssrc, &info) < 0 || info.kind != ALTO_PC_MEDIA_AUDIO)
		return NULL;
	if (n->single_pc && info.mid[0])
		track = g_hash_table_lookup(n->mid_to_track, info.mid);
	if (track == NULL && g_str_has_prefix(info.remote_track_id, "TR_"))
		track = info.remote_track_id;
	if (track == NULL)
		return NULL;
	if ((p = find_track_owner(n, track, &t)) == NULL) {
		g_debug("SSRC %u is track %s, whose participant is not known yet", ssrc, track);
		return NULL;
	}
	if (t->type != ALTO_TRACK_TYPE_AUDIO)
		return NULL;
	r = g_hash_table_lookup(n->receivers, track);
	if (r == NULL)
		r = receiver_new(n, p, t, &info);
	if (r)
		r->ssrc = ssrc;
	return r;
}

/* ------------------------------------------------------------------ NACK */

static void send_nack(struct room_net *n, struct receiver *r, const uint16_t *seqs, size_t n_seqs)
{
	struct alto_rtcp_rr rr = { .ssrc = n->rtcp_ssrc };
	uint8_t buf[64 + 4 * NACK_MAX_SEQS];
	size_t len, out;
	int res;

	/* a compound packet (RFC 4585 early feedback: RR, SDES, then the NACK),
	 * so that peers without rtcp-rsize take it too */
	if (alto_rtcp_build_rr(buf, sizeof(buf), &rr, &out) < 0)
		return;
	len = out;
	if (alto_rtcp_build_sdes_cname(buf + len, sizeof(buf) - len, n->rtcp_ssrc, "alto", &out) < 0)
		return;
	len += out;
	if (alto_rtcp_build_nack(buf + len, sizeof(buf) - len, n->rtcp_ssrc, r->ssrc, seqs, n_seqs, &out) < 0)
		return;
	len += out;
	if ((res = alto_pc_send_rtcp(n->pc, buf, len)) < 0) {
		g_debug("track %s: NACK not sent: %s", r->track_sid, g_strerror(-res));
		return;
	}
	r->nacks_sent++;
}

/* What is due now: NACK it. The play-out deadline follows the jitter
 * buffer's target. */
/* The counters the stats timer shows (main loop). */
static void nack_publish(struct receiver *r)
{
	struct alto_nack_tracker_stats st;

	alto_nack_tracker_get_stats(r->nack, &st);
	atomic_store_explicit(&r->media->nack_requested, st.requested, memory_order_relaxed);
	atomic_store_explicit(&r->media->nack_recovered, st.recovered, memory_order_relaxed);
}

static void nack_poll(struct room_net *n, struct receiver *r, uint64_t now)
{
	struct alto_jitter_buffer_metrics m;
	uint16_t seqs[NACK_MAX_SEQS];
	int k;

	alto_jitter_buffer_get_metrics(r->media->jb, &m);
	alto_nack_tracker_set_playout_delay(r->nack, (uint64_t)m.target_ms * 1000000u);
	if ((k = alto_nack_tracker_poll(r->nack, now, seqs, G_N_ELEMENTS(seqs), NULL)) > 0) {
		send_nack(n, r, seqs, (size_t)k);
		nack_publish(r);
	}
}

static gboolean on_nack_timer(gpointer data)
{
	struct room_net *n = data;
	uint64_t now = now_ns();
	bool pending = false;
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct receiver *r = value;
		if (r->nack == NULL || r->media == NULL || alto_nack_tracker_pending(r->nack) == 0)
			continue;
		nack_poll(n, r, now);
		pending |= alto_nack_tracker_pending(r->nack) > 0;
	}
	if (pending)
		return G_SOURCE_CONTINUE;
	g_source_unref(n->nack_timer);
	n->nack_timer = NULL;
	return G_SOURCE_REMOVE;
}

/* A packet for the tracker; a gap is asked for at once, retries on the timer. */
static void nack_packet(struct room_net *n, struct receiver *r, const struct alto_rtp_packet *pkt, uint64_t now)
{
	if (alto_nack_tracker_packet(r->nack, pkt->seq, pkt->timestamp, now) == 1)
		nack_publish(r);
	if (alto_nack_tracker_pending(r->nack) == 0)
		return;
	nack_poll(n, r, now);
	if (n->nack_timer == NULL && alto_nack_tracker_pending(r->nack) > 0) {
		n->nack_timer = g_timeout_source_new(NACK_TIMER_MS);
		g_source_set_callback(n->nack_timer, on_nack_timer, n, NULL);
		g_source_attach(n->nack_timer, n->s->net_context);
	}
}

/* from_rtcp: a report block about our own stream; else a signaling ping,
 * used while RTCP gives none. */
static void set_rtt(struct room_net *n, uint64_t rtt_ns, bool from_rtcp)
{
	gint64 t = g_get_monotonic_time();
	GHashTableIter it;
	gpointer value;

	if (rtt_ns > MAX_RTT_NS)
		return;
	if (from_rtcp)
		n->rtcp_rtt_us = t;
	else if (n->rtcp_rtt_us != 0 && t - n->rtcp_rtt_us < RTCP_RTT_FRESH_US)
		return;
	n->have_rtt = true;
	n->rtt_ns = rtt_ns;
	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((struct receiver *)value)->nack)
			alto_nack_tracker_set_rtt(((struct receiver *)value)->nack, rtt_ns);
}

/* Report blocks we receive are about what we send: LSR/DLSR give the RTT. */
static void rtt_from_blocks(struct room_net *n, const struct alto_rtcp_report_block *b, uint8_t count)
{
	uint32_t now_mid = alto_rtcp_ntp_mid32(alto_rtcp_ntp_from_unix_ns((uint64_t)g_get_real_time() * 1000u));
	uint64_t rtt;

	for (uint8_t i = 0; i < count; i++) {
		if (b[i].lsr != 0 && alto_rtcp_rtt_ns(now_mid, b[i].lsr, b[i].dlsr, &rtt) == 0) {
			set_rtt(n, rtt, true);
			return;
		}
	}
}

/* ------------------------------------------------------------------ RTP */

static void on_pc_rtp(void *data, const uint8_t *buf, size_t len)
{
	struct room_net *n = data;
	uint32_t ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
	struct receiver *r;
	uint64_t now = now_ns();
	int res;

	r = g_hash_table_lookup(n->ssrc_map, GUINT_TO_POINTER(ssrc));
	if (r == NULL) {
		gpointer next = g_hash_table_lookup(n->unresolved, GUINT_TO_POINTER(ssrc));
		gint64 t = g_get_monotonic_time();
		if (next && (gsize)t < GPOINTER_TO_SIZE(next))
			return;
		if ((r = resolve_ssrc(n, ssrc)) == NULL) {
			g_hash_table_insert(n->unresolved, GUINT_TO_POINTER(ssrc),
					    GSIZE_TO_POINTER((gsize)(t + RETRY_UNRESOLVED_US)));
			return;
		}
		g_hash_table_remove(n->unresolved, GUINT_TO_POINTER(ssrc));
		g_hash_table_insert(n->ssrc_map, GUINT_TO_POINTER(ssrc), r);
	}
	if (r->media == NULL)
		return;
	res = alto_jitter_buffer_push(r->media->jb, buf, len, now);
	if (res < 0 && res != -ENOBUFS)
		g_debug("track %s: packet refused: %s", r->track_sid, g_strerror(-res));
	r->packets++;
	if (r->last_arrival_ns && now - r->last_arrival_ns > r->max_gap_ns)
		r->max_gap_ns = now - r->last_arrival_ns;
	r->last_arrival_ns = now;

	/* reception statistics for the receiver reports */
	struct alto_rtp_packet pkt;
	if (alto_rtp_parse(buf, len, &pkt) == 0) {
		if (!r->have_stats || r->ssrc != pkt.ssrc) {
			alto_rtp_stats_init(&r->stats, 48000, pkt.seq);
			r->have_stats = true;
			r->ssrc = pkt.ssrc;
			if (r->nack)
				alto_nack_tracker_reset(r->nack);
		}
		alto_rtp_stats_update(&r->stats, pkt.seq, pkt.timestamp, now);
		if (r->nack)
			nack_packet(n, r, &pkt, now);
	}
}

/* ------------------------------------------------------------------ RTCP */

static void on_sender_report(void *data, const struct alto_rtcp_sr *sr)
{
	struct room_net *n = data;
	struct receiver *r = g_hash_table_lookup(n->ssrc_map, GUINT_TO_POINTER(sr->ssrc));

	if (r && r->have_stats && r->ssrc == sr->ssrc)
		alto_rtp_stats_sr_received(&r->stats, sr->ntp, now_ns());
	rtt_from_blocks(n, sr->reports, sr->n_reports);
}

static void on_receiver_report(void *data, const struct alto_rtcp_rr *rr)
{
	rtt_from_blocks(data, rr->reports, rr->n_reports);
}

static const struct alto_rtcp_events rtcp_events = {
	.sender_report = on_sender_report,
	.receiver_report = on_receiver_report,
};

static void on_pc_rtcp(void *data, const uint8_t *buf, size_t len)
{
	struct room_net *n = data;

	alto_rtcp_parse(buf, len, &rtcp_events, data);
	/* NACKs and reports about our own stream (single PC) */
	send_session_rtcp(n->s->send, buf, len);
}

/* Receiver reports with one block per validated source, and our CNAME. */
static gboolean on_rtcp_timer(gpointer data)
{
	struct room_net *n = data;
	struct alto_rtcp_rr rr = { .ssrc = n->rtcp_ssrc };
	uint8_t buf[1400];
	size_t len = 0, out;
	GHashTableIter it;
	gpointer value;
	uint64_t now = now_ns();

	if (n->pc == NULL || alto_pc_get_state(n->pc) != ALTO_PC_STATE_CONNECTED)
		return G_SOURCE_CONTINUE;
	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct receiver *r = value;
		if (r->media && r->media->jb) {
			struct alto_jitter_buffer_metrics m;
			alto_jitter_buffer_get_metrics(r->media->jb, &m);
			g_debug("track %s: packets %" G_GUINT64_FORMAT " frames %" G_GUINT64_FORMAT
				" level %u ms target %u ms lost %" G_GUINT64_FORMAT " late %" G_GUINT64_FORMAT
				" underruns %" G_GUINT64_FORMAT " overflow %" G_GUINT64_FORMAT
				" dropped %" G_GUINT64_FORMAT " resyncs %" G_GUINT64_FORMAT " max gap %.1f ms",
				r->track_sid, m.packets, m.frames, m.level_ms, m.target_ms, m.lost, m.late,
				m.underruns, m.overflow, m.dropped, m.resyncs, r->max_gap_ns / 1e6);
			if (r->nack) {
				struct alto_nack_tracker_stats ns;
				alto_nack_tracker_get_stats(r->nack, &ns);
				g_debug("track %s: NACK packets %" G_GUINT64_FORMAT " missing %" G_GUINT64_FORMAT
					" requested %" G_GUINT64_FORMAT " recovered %" G_GUINT64_FORMAT
					" reordered %" G_GUINT64_FORMAT " expired %" G_GUINT64_FORMAT " rtt %.1f ms",
					r->track_sid, r->nacks_sent, ns.missing, ns.requested, ns.recovered,
					ns.reordered, ns.expired, n->rtt_ns / 1e6);
			}
			r->max_gap_ns = 0;
		}
		if (!r->have_stats || rr.n_reports >= ALTO_RTCP_MAX_REPORTS)
			continue;
		if (alto_rtp_stats_report_block(&r->stats, r->ssrc, now, &rr.reports[rr.n_reports]) == 0)
			rr.n_reports++;
	}
	if (alto_rtcp_build_rr(buf, sizeof(buf), &rr, &out) < 0)
		return G_SOURCE_CONTINUE;
	len = out;
	if (alto_rtcp_build_sdes_cname(buf + len, sizeof(buf) - len, n->rtcp_ssrc, "alto", &out) == 0)
		len += out;
	int res = alto_pc_send_rtcp(n->pc, buf, len);
	if (res < 0)
		g_debug("receiver report not sent: %s", g_strerror(-res));
	else
		g_debug("receiver report sent: %u block(s), %zu bytes", rr.n_reports, len);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------------ peer connection */

static void send_trickle(struct room_net *n, const char *json)
{
	int res = alto_signal_client_send_trickle(n->client, json,
			n->pc_single ? ALTO_SIGNAL_TARGET_PUBLISHER : ALTO_SIGNAL_TARGET_SUBSCRIBER, false);
	if (res < 0)
		g_debug("trickle not sent: %s", g_strerror(-res));
}

static void request_reconnect(struct room_net *n, bool full, const char *why)
{
	if (!n->joined || n->leaving || n->reconnect_requested)
		return;
	n->reconnect_requested = true;
	g_info("%s: %s", why, full ? "rejoining" : "resuming");
	alto_signal_client_reconnect(n->client, full,
			n->pc_single ? ALTO_RECONNECT_PUBLISHER_FAILED : ALTO_RECONNECT_SUBSCRIBER_FAILED);
}

static void on_pc_state(void *data, enum alto_pc_state state)
{
	struct room_net *n = data;

	g_info("peer connection %s", alto_pc_state_name(state));
	if (n->pc_single)
		send_session_pc_update(n->s->send, n->pc);
	if (state == ALTO_PC_STATE_CONNECTED) {
		n->last_pc_error = 0;
	} else if (state == ALTO_PC_STATE_FAILED) {
		/* ICE alone can be restarted (resume); DTLS needs a new connection */
		bool ice = n->last_pc_error == 0 || n->last_pc_error == -EIO;
		request_reconnect(n, !ice, "the peer connection failed");
	}
}

static void on_pc_local_candidate(void *data, const char *json)
{
	struct room_net *n = data;

	if (json)
		send_trickle(n, json);
}

static void on_pc_error(void *data, int res, const char *message)
{
	struct room_net *n = data;
	char *msg = g_strdup_printf("peer connection: %s", message ? message : g_strerror(-res));

	n->last_pc_error = res;
	g_warning("%s", msg);
	session_post_error(n->s, res, msg);
	g_free(msg);
	if (res == -ECONNREFUSED || res == -EPROTO || res == -ETIMEDOUT)
		request_reconnect(n, true, "DTLS failed");
}

static const struct alto_pc_events pc_events = {
	.version = ALTO_PC_EVENTS_VERSION,
	.state_changed = on_pc_state,
	.local_candidate = on_pc_local_candidate,
	.rtp = on_pc_rtp,
	.rtcp = on_pc_rtcp,
	.error = on_pc_error,
};

static void clear_negotiation(struct room_net *n)
{
	n->offer_outstanding = false;
	n->reoffer = false;
	g_clear_pointer(&n->local_offer, g_free);
	g_clear_pointer(&n->remote_answer, g_free);
	g_clear_pointer(&n->remote_offer, g_free);
	g_clear_pointer(&n->local_answer, g_free);
	g_hash_table_remove_all(n->mid_to_track);
}

/* Not from inside a pc event: only from signaling events and teardown. */
static void reset_pc(struct room_net *n)
{
	if (n->pc && n->pc_single)
		send_session_pc_reset(n->s->send);
	remove_all_receivers(n);
	clear_negotiation(n);
	if (n->pc) {
		alto_pc_destroy(n->pc);
		n->pc = NULL;
	}
	n->last_pc_error = 0;
}

static int make_pc(struct room_net *n, bool single, const struct alto_ice_server *servers, size_t n_servers,
		bool force_relay)
{
	struct alto_pc_ice_server ice[16];
	struct alto_pc_config cfg = { .force_relay = force_relay, .disable_nack = n->s->cfg.no_nack };

	n_servers = MIN(n_servers, G_N_ELEMENTS(ice));
	for (size_t i = 0; i < n_servers; i++) {
		ice[i] = (struct alto_pc_ice_server){
			.urls = servers[i].urls, .n_urls = servers[i].n_urls,
			.username = servers[i].username, .credential = servers[i].credential,
		};
	}
	cfg.ice_servers = ice;
	cfg.n_ice_servers = n_servers;
	n->pc = alto_pc_new(n->s->net_context, &cfg, &pc_events, n);
	if (n->pc == NULL) {
		int res = -(errno ? errno : EIO);
		char *msg = g_strdup_printf("cannot create a peer connection: %s", g_strerror(-res));
		g_warning("%s", msg);
		session_post_error(n->s, res, msg);
		g_free(msg);
		return res;
	}
	n->pc_single = single;
	return 0;
}

/* Single PC: offer what we have, one offer outstanding at a time. */
static void negotiate(struct room_net *n)
{
	char *sdp = NULL;
	uint32_t id = 0;
	int res;

	if (n->pc == NULL || !n->pc_single)
		return;
	if (n->offer_outstanding) {
		n->reoffer = true;
		return;
	}
	if ((res = alto_pc_create_offer(n->pc, &sdp, &id)) < 0) {
		g_warning("cannot make an offer: %s", g_strerror(-res));
		return;
	}
	if ((res = alto_signal_client_send_offer(n->client, sdp, id)) < 0) {
		g_debug("offer %u not sent: %s", id, g_strerror(-res));
		free(sdp);
		return;
	}
	g_free(n->local_offer);
	n->local_offer = g_strdup(sdp);
	n->local_offer_id = id;
	free(sdp);
	n->offer_outstanding = true;
	n->reoffer = false;
}

/* ------------------------------------------------------------------ signaling events */

#define OBSERVE(n, ev, ...)							\
	do {									\
		const struct alto_signal_events *_o = (n)->s->cfg.observer;	\
		if (_o && _o->ev)						\
			_o->ev((n)->s->cfg.observer_data, ##__VA_ARGS__);	\
	} while (0)

static bool media(struct room_net *n)
{
	return !n->s->cfg.no_media;
}

static void on_join_offer(void *data, bool rejoin, struct alto_join_offer *offer)
{
	struct room_net *n = data;
	char *sdp = NULL;
	uint32_t id = 0;
	int res;

	if (!media(n))
		return;
	reset_pc(n);
	if (make_pc(n, true, NULL, 0, false) < 0)
		return;
	if ((res = alto_pc_add_recv_audio(n->pc, INITIAL_RECV_AUDIO)) < 0 ||
	    (res = alto_pc_create_offer(n->pc, &sdp, &id)) < 0) {
		g_warning("cannot make the join offer: %s", g_strerror(-res));
		return;
	}
	n->local_offer = g_strdup(sdp);
	n->local_offer_id = id;
	free(sdp);
	n->offer_outstanding = true;
	offer->sdp = n->local_offer;	/* copied by the client */
	offer->id = id;
}

static void on_joined(void *data, const struct alto_join_info *info)
{
	struct room_net *n = data;

	n->joined = true;
	n->single_pc = info->single_pc;
	n->reconnect_requested = false;
	if (media(n)) {
		if (!info->single_pc) {
			/* legacy: a PC made for /rtc/v1 before the fallback, or the old
			 * subscriber PC of a full rejoin, goes */
			if (n->pc && (n->pc_single || info->rejoin))
				reset_pc(n);
			if (n->pc == NULL)
				make_pc(n, false, info->ice_servers, info->n_ice_servers,
					info->force_relay == ALTO_SETTING_ENABLED);
		} else if (n->pc == NULL) {
			/* no join offer went out: offer now */
			if (make_pc(n, true, info->ice_servers, info->n_ice_servers,
				    info->force_relay == ALTO_SETTING_ENABLED) == 0) {
				alto_pc_add_recv_audio(n->pc, INITIAL_RECV_AUDIO);
				negotiate(n);
			}
		}
		if (n->rtcp_timer == NULL) {
			n->rtcp_timer = g_timeout_source_new(RTCP_INTERVAL_MS);
			g_source_set_callback(n->rtcp_timer, on_rtcp_timer, n, NULL);
			g_source_attach(n->rtcp_timer, n->s->net_context);
		}
	}
	if (media(n))
		send_session_joined(n->s->send, info, n->pc_single ? n->pc : NULL);
	OBSERVE(n, joined, info);
}

static void send_sync_state(struct room_net *n)
{
	struct alto_session_description answer = { 0 }, offer = { 0 };
	struct alto_sync_state st = { 0 };
	GPtrArray *sids = g_ptr_array_new();
	GHashTableIter it;
	gpointer key;

	if (n->pc_single) {
		if (n->remote_answer) {
			answer = (struct alto_session_description){ .type = "answer", .sdp = n->remote_answer,
								    .id = n->remote_answer_id };
			st.answer = &answer;
		}
		if (n->local_offer) {
			offer = (struct alto_session_description){ .type = "offer", .sdp = n->local_offer,
								   .id = n->local_offer_id };
			st.offer = &offer;
		}
	} else {
		if (n->local_answer) {
			answer = (struct alto_session_description){ .type = "answer", .sdp = n->local_answer,
								    .id = n->remote_offer_id };
			st.answer = &answer;
		}
		if (n->remote_offer) {
			offer = (struct alto_session_description){ .type = "offer", .sdp = n->remote_offer,
								   .id = n->remote_offer_id };
			st.offer = &offer;
		}
	}
	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, &key, NULL))
		g_ptr_array_add(sids, key);
	st.n_subscribed = sids->len;
	st.subscribed_sids = (const char *const *)sids->pdata;
	const char *cid = NULL;
	struct alto_track_info published;
	st.n_published = send_session_published(n->s->send, &cid, &published);
	st.published_cids = &cid;
	st.published = &published;
	alto_signal_client_send_sync_state(n->client, &st);
	g_ptr_array_free(sids, TRUE);
}

static void on_resumed(void *data, const struct alto_resume_info *info)
{
	struct room_net *n = data;

	n->reconnect_requested = false;
	if (media(n) && n->pc) {
		if (n->pc_single) {
			/* the answer to an offer made before the outage may never come */
			n->offer_outstanding = false;
			alto_pc_restart_ice(n->pc);
			negotiate(n);
		}
		/* legacy: the server sends an ICE-restart offer on the subscriber PC */
		send_session_resumed(n->s->send, info);
		send_sync_state(n);
	}
	OBSERVE(n, resumed, info);
}

static void on_reconnecting(void *data, const struct alto_reconnect_status *st)
{
	OBSERVE((struct room_net *)data, reconnecting, st);
}

static void on_left(void *data, const struct alto_left_info *info)
{
	struct room_net *n = data;

	n->joined = false;
	send_session_left(n->s->send);
	OBSERVE(n, left, info);
	session_post_ended(n->s);
}

static void on_room_updated(void *data, const struct alto_room_info *room)
{
	OBSERVE((struct room_net *)data, room_updated, room);
}

static void room_changed(struct room_net *n)
{
	/* SSRCs waiting for their participant may be mappable now */
	g_hash_table_remove_all(n->unresolved);
}

static void on_participant_joined(void *data, const struct alto_participant_info *p)
{
	struct room_net *n = data;

	room_changed(n);
	OBSERVE(n, participant_joined, p);
}

static void on_participant_updated(void *data, const struct alto_participant_info *p)
{
	struct room_net *n = data;
	GHashTableIter it;
	gpointer value;

	room_changed(n);
	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		if (g_strcmp0(((struct receiver *)value)->participant_sid, p->sid) == 0) {
			struct participant_update *u = g_new0(struct participant_update, 1);
			u->participant_sid = g_strdup(p->sid);
			u->name = g_strdup(p->name && p->name[0] ? p->name : p->identity);
			u->speaking = -1;
			u->quality = -1;
			u->muted = -1;
			session_post_participant_update(n->s, u);
			break;
		}
	}
	OBSERVE(n, participant_updated, p);
}

static void on_participant_left(void *data, const struct alto_participant_info *p)
{
	struct room_net *n = data;

	remove_receivers_of(n, p->sid);
	OBSERVE(n, participant_left, p);
}

static void on_track_published(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	struct room_net *n = data;

	room_changed(n);
	OBSERVE(n, track_published, p, t);
}

static void on_track_unpublished(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	struct room_net *n = data;
	struct receiver *r = g_hash_table_lookup(n->receivers, t->sid);

	if (r)
		remove_receiver(n, r);
	OBSERVE(n, track_unpublished, p, t);
}

static void on_track_muted(void *data, const struct alto_participant_info *p, const struct alto_track_info *t)
{
	struct room_net *n = data;

	/* shown on that track's stream as livekit.muted */
	if (g_hash_table_lookup(n->receivers, t->sid)) {
		struct participant_update *u = g_new0(struct participant_update, 1);
		u->participant_sid = g_strdup(p->sid);
		u->track_sid = g_strdup(t->sid);
		u->speaking = -1;
		u->quality = -1;
		u->muted = t->muted;
		session_post_participant_update(n->s, u);
	}
	OBSERVE(n, track_muted, p, t);
}

static void on_self_updated(void *data, const struct alto_participant_info *self)
{
	struct room_net *n = data;

	send_session_self_updated(n->s->send, self);
	OBSERVE(n, self_updated, self);
}

static void on_speakers(void *data, const struct alto_speaker *active, size_t n_active)
{
	struct room_net *n = data;
	GHashTableIter it;
	gpointer value;

	g_hash_table_iter_init(&it, n->receivers);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		struct receiver *r = value;
		bool speaking = false;
		for (size_t i = 0; i < n_active; i++)
			if (g_strcmp0(active[i].sid, r->participant_sid) == 0)
				speaking = true;
		if (speaking != r->speaking) {
			struct participant_update *u = g_new0(struct participant_update, 1);
			r->speaking = speaking;
			u->participant_sid = g_strdup(r->participant_sid);
			u->speaking = speaking;
			u->quality = -1;
			u->muted = -1;
			session_post_participant_update(n->s, u);
		}
	}
	OBSERVE(n, speakers, active, n_active);
}

static void on_quality(void *data, const struct alto_quality_update *q, size_t n_q)
{
	struct room_net *n = data;

	for (size_t i = 0; i < n_q; i++) {
		if (q[i].is_self)
			continue;
		struct participant_update *u = g_new0(struct participant_update, 1);
		u->participant_sid = g_strdup(q[i].sid);
		u->speaking = -1;
		u->quality = (int)q[i].quality;
		u->muted = -1;
		session_post_participant_update(n->s, u);
	}
	OBSERVE(n, quality, q, n_q);
}

static void on_local_track_published(void *data, const char *cid, const struct alto_track_info *t)
{
	struct room_net *n = data;

	send_session_local_track_published(n->s->send, cid, t);
	OBSERVE(n, local_track_published, cid, t);
}

static void on_local_track_unpublished(void *data, const char *sid)
{
	struct room_net *n = data;

	send_session_local_track_unpublished(n->s->send, sid);
	OBSERVE(n, local_track_unpublished, sid);
}

static void on_local_track_muted(void *data, const char *sid, bool muted)
{
	struct room_net *n = data;

	send_session_local_track_muted(n->s->send, sid, muted);
	OBSERVE(n, local_track_muted, sid, muted);
}

static void on_track_subscribed(void *data, const char *sid)
{
	OBSERVE((struct room_net *)data, track_subscribed, sid);
}

static void on_subscription_failed(void *data, const char *sid, int error)
{
	OBSERVE((struct room_net *)data, subscription_failed, sid, error);
}

/* legacy: an offer for the subscriber PC */
static void on_offer(void *data, const struct alto_session_description *sd)
{
	struct room_net *n = data;
	char *answer = NULL;
	uint32_t id = 0;
	int res;

	if (media(n) && n->pc && !n->pc_single) {
		if ((res = alto_pc_set_remote_offer(n->pc, sd->sdp, sd->id)) < 0) {
			g_warning("server offer %u refused: %s", sd->id, g_strerror(-res));
		} else if ((res = alto_pc_create_answer(n->pc, &answer, &id)) < 0) {
			g_warning("cannot answer offer %u: %s", sd->id, g_strerror(-res));
		} else {
			if ((res = alto_signal_client_send_answer(n->client, answer, sd->id)) < 0)
				g_debug("answer not sent: %s", g_strerror(-res));
			g_free(n->remote_offer);
			n->remote_offer = g_strdup(sd->sdp);
			n->remote_offer_id = sd->id;
			g_free(n->local_answer);
			n->local_answer = g_strdup(answer);
			free(answer);
			/* sections may carry other tracks now */
			g_hash_table_remove_all(n->ssrc_map);
			g_hash_table_remove_all(n->unresolved);
		}
	}
	OBSERVE(n, offer, sd);
}

/* single PC: the answer to our offer */
static void on_answer(void *data, const struct alto_session_description *sd)
{
	struct room_net *n = data;
	int res;

	if (media(n) && n->joined && !n->single_pc) {
		/* legacy: answers are for our publisher PC */
		send_session_answer(n->s->send, sd);
	} else if (media(n) && n->pc && n->pc_single) {
		res = alto_pc_set_remote_answer(n->pc, sd->sdp, sd->id);
		if (res == -ESTALE) {
			g_debug("answer %u to an older offer ignored", sd->id);
		} else {
			if (res < 0)
				g_warning("answer %u refused: %s", sd->id, g_strerror(-res));
			g_hash_table_remove_all(n->mid_to_track);
			for (size_t i = 0; i < sd->n_mid_to_track; i++)
				g_hash_table_insert(n->mid_to_track, g_strdup(sd->mid_to_track[i].mid),
						    g_strdup(sd->mid_to_track[i].track_id));
			g_free(n->remote_answer);
			n->remote_answer = g_strdup(sd->sdp);
			n->remote_answer_id = sd->id;
			g_hash_table_remove_all(n->ssrc_map);
			g_hash_table_remove_all(n->unresolved);
			n->offer_outstanding = false;
			send_session_pc_update(n->s->send, n->pc);
			if (n->reoffer)
				negotiate(n);
		}
	}
	OBSERVE(n, answer, sd);
}

static void on_trickle(void *data, const char *json, enum alto_signal_target target, bool final)
{
	struct room_net *n = data;
	int res;

	if (media(n) && n->joined && !n->single_pc && target == ALTO_SIGNAL_TARGET_PUBLISHER) {
		send_session_trickle(n->s->send, json, target);
	} else if (media(n) && n->pc && (n->pc_single || target == ALTO_SIGNAL_TARGET_SUBSCRIBER)) {
		if ((res = alto_pc_add_remote_candidate(n->pc, json)) < 0)
			g_debug("remote candidate not used: %s", g_strerror(-res));
	}
	OBSERVE(n, trickle, json, target, final);
}

static void on_media_sections_requirement(void *data, uint32_t n_audios, uint32_t n_videos)
{
	struct room_net *n = data;

	if (media(n) && n->pc && n->pc_single) {
		if (n_audios > 0)
			alto_pc_add_recv_audio(n->pc, MIN(n_audios, 64u));
		negotiate(n);
	}
	OBSERVE(n, media_sections_requirement, n_audios, n_videos);
}

static void on_rtt(void *data, uint32_t rtt_ms)
{
	struct room_net *n = data;

	set_rtt(n, (uint64_t)rtt_ms * 1000000u, false);
	OBSERVE(n, rtt, rtt_ms);
}

static void on_request_response(void *data, uint32_t request_id, int reason, const char *message)
{
	OBSERVE((struct room_net *)data, request_response, request_id, reason, message);
}

static const struct alto_signal_events signal_events = {
	.version = ALTO_VERSION_SIGNAL_EVENTS,
	.join_offer = on_join_offer,
	.joined = on_joined,
	.resumed = on_resumed,
	.reconnecting = on_reconnecting,
	.left = on_left,
	.room_updated = on_room_updated,
	.participant_joined = on_participant_joined,
	.participant_updated = on_participant_updated,
	.participant_left = on_participant_left,
	.track_published = on_track_published,
	.track_unpublished = on_track_unpublished,
	.track_muted = on_track_muted,
	.self_updated = on_self_updated,
	.speakers = on_speakers,
	.quality = on_quality,
	.local_track_published = on_local_track_published,
	.local_track_unpublished = on_local_track_unpublished,
	.local_track_muted = on_local_track_muted,
	.track_subscribed = on_track_subscribed,
	.subscription_failed = on_subscription_failed,
	.offer = on_offer,
	.answer = on_answer,
	.trickle = on_trickle,
	.media_sections_requirement = on_media_sections_requirement,
	.rtt = on_rtt,
	.request_response = on_request_response,
};

/* ------------------------------------------------------------------ life cycle */

struct room_net *room_net_new(struct session *s)
{
	struct room_net *n = g_new0(struct room_net, 1);
	struct alto_signal_config cfg = {
		.url = s->cfg.url,
		.token = s->cfg.token,
		.mode = s->cfg.mode,
		.insecure = s->cfg.insecure,
		.no_auto_subscribe = s->cfg.no_auto_subscribe,
		.max_retries = s->cfg.max_retries,
	};

	n->s = s;
	n->mid_to_track = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	n->receivers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, receiver_free);
	n->ssrc_map = g_hash_table_new(g_direct_hash, g_direct_equal);
	n->unresolved = g_hash_table_new(g_direct_hash, g_direct_equal);
	n->rtcp_ssrc = g_random_int() | 1u;
	n->client = alto_signal_client_new(s->net_context, &cfg, &signal_events, n);
	send_session_set_client(s->send, n->client);
	if (n->client == NULL) {
		int res = errno;
		room_net_destroy(n);
		errno = res;
		return NULL;
	}
	return n;
}

void room_net_destroy(struct room_net *n)
{
	if (n == NULL)
		return;
	/* the encoder and the publisher PC use the client: they go first */
	send_session_net_shutdown(n->s->send);
	send_session_set_client(n->s->send, NULL);
	if (n->client)
		alto_signal_client_destroy(n->client);
	n->client = NULL;
	if (n->rtcp_timer) {
		g_source_destroy(n->rtcp_timer);
		g_source_unref(n->rtcp_timer);
	}
	if (n->nack_timer) {
		g_source_destroy(n->nack_timer);
		g_source_unref(n->nack_timer);
	}
	/* the media still owned here is freed; what the main loop owns stays */
	remove_all_receivers(n);
	clear_negotiation(n);
	if (n->pc)
		alto_pc_destroy(n->pc);
	g_hash_table_destroy(n->mid_to_track);
	g_hash_table_destroy(n->receivers);
	g_hash_table_destroy(n->ssrc_map);
	g_hash_table_destroy(n->unresolved);
	g_free(n);
}

void room_net_leave(struct room_net *n)
{
	if (n->leaving)
		return;
	n->leaving = true;
	alto_signal_client_leave(n->client);
}

void room_net_renegotiate(struct room_net *n)
{
	negotiate(n);
}

struct alto_signal_client *room_net_client(struct room_net *n)
{
	return n ? n->client : NULL;
}
