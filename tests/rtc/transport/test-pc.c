/* Unit tests of rtc/transport peer_connection: two alto_pc in one process, over real libnice
 * on 127.0.0.1, offer/answer and trickle wired directly. DTLS-SRTP comes up, RTP and RTCP sent
 * one way arrive decrypted the other way, SSRCs map to the right sections and tracks, an ICE
 * restart keeps media flowing, a wrong fingerprint is refused. Then negotiation against
 * LiveKit-shaped descriptions (no network). argv[1]: data dir. */
#include "rtc/transport/candidate.h"
#include "rtc/transport/ice.h"
#include "rtc/transport/peer_connection.h"
#include "test.h"

#include <errno.h>
#include <glib.h>

static const char *data_dir;

struct peer {
	const char *name;
	struct alto_pc *pc;
	struct peer *other;
	GQueue candidates;		/* JSON for the other side */
	bool end_of_candidates;
	enum alto_pc_state state;
	int states_seen[ALTO_PC_STATE_CLOSED + 1];
	int error;
	char error_message[256];
	GPtrArray *rtp;			/* GBytes */
	GPtrArray *rtcp;
	bool deliver_trickle;
};

static void on_state(void *data, enum alto_pc_state state)
{
	struct peer *p = data;
	p->state = state;
	p->states_seen[state]++;
	fprintf(stderr, "  %s: %s\n", p->name, alto_pc_state_name(state));
}

static void on_candidate(void *data, const char *json)
{
	struct peer *p = data;
	if (json == NULL)
		p->end_of_candidates = true;
	else
		g_queue_push_tail(&p->candidates, g_strdup(json));
}

static void on_rtp(void *data, const uint8_t *buf, size_t len)
{
	struct peer *p = data;
	g_ptr_array_add(p->rtp, g_bytes_new(buf, len));
}

static void on_rtcp(void *data, const uint8_t *buf, size_t len)
{
	struct peer *p = data;
	g_ptr_array_add(p->rtcp, g_bytes_new(buf, len));
}

static void on_error(void *data, int res, const char *message)
{
	struct peer *p = data;
	p->error = res;
	snprintf(p->error_message, sizeof(p->error_message), "%s", message);
	fprintf(stderr, "  %s: error %d %s\n", p->name, res, message);
}

static const struct alto_pc_events events = {
	ALTO_PC_EVENTS_VERSION,
	.state_changed = on_state,
	.local_candidate = on_candidate,
	.rtp = on_rtp,
	.rtcp = on_rtcp,
	.error = on_error,
};

static const char *const loopback[] = { "127.0.0.1" };

static void peer_init_nack(struct peer *p, const char *name, bool disable_nack)
{
	struct alto_pc_config config = {
		.local_addresses = loopback,
		.n_local_addresses = 1,
		.disable_nack = disable_nack,
	};
	memset(p, 0, sizeof(*p));
	p->name = name;
	g_queue_init(&p->candidates);
	p->rtp = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	p->rtcp = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	p->deliver_trickle = true;
	p->pc = alto_pc_new(NULL, &config, &events, p);
	CHECK(p->pc != NULL);
	CHECK_INT(alto_pc_get_state(p->pc), ALTO_PC_STATE_NEW);
}

static void peer_init(struct peer *p, const char *name)
{
	peer_init_nack(p, name, false);
}

static void peer_clear(struct peer *p)
{
	alto_pc_destroy(p->pc);
	g_queue_clear_full(&p->candidates, g_free);
	g_ptr_array_free(p->rtp, TRUE);
	g_ptr_array_free(p->rtcp, TRUE);
	/* let libnice's sources finish */
	for (int i = 0; i < 20; i++)
		g_main_context_iteration(NULL, FALSE);
}

static void deliver_candidates(struct peer *from)
{
	char *json;
	if (!from->deliver_trickle)
		return;
	while ((json = g_queue_pop_head(&from->candidates)) != NULL) {
		int res = alto_pc_add_remote_candidate(from->other->pc, json);
		CHECK(res == 0 || res == -ENOTSUP);
		g_free(json);
	}
}

static bool run_until(struct peer *a, struct peer *b, bool (*done)(struct peer *, struct peer *),
		int seconds)
{
	gint64 deadline = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
	while (!done(a, b)) {
		if (g_get_monotonic_time() > deadline)
			return false;
		deliver_candidates(a);
		deliver_candidates(b);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	return true;
}

static bool both_connected(struct peer *a, struct peer *b)
{
	return a->state == ALTO_PC_STATE_CONNECTED && b->state == ALTO_PC_STATE_CONNECTED;
}

static bool a_failed(struct peer *a, struct peer *b)
{
	return a->state == ALTO_PC_STATE_FAILED;
}

static void negotiate(struct peer *offerer, struct peer *answerer)
{
	char *offer = NULL, *answer = NULL;
	uint32_t id = 0, answer_id = 0;

	CHECK_INT(alto_pc_create_offer(offerer->pc, &offer, &id), 0);
	CHECK(id > 0);
	CHECK_INT(alto_pc_set_remote_offer(answerer->pc, offer, id), 0);
	CHECK_INT(alto_pc_create_answer(answerer->pc, &answer, &answer_id), 0);
	CHECK_INT(answer_id, id);
	CHECK_INT(alto_pc_set_remote_answer(offerer->pc, answer, answer_id), 0);
	free(offer);
	free(answer);
}

/* A small RTP packet: PT 111, the given sequence number and SSRC, payload "alto" + seq. */
static size_t make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, int pt)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)pt;
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	uint32_t ts = 960u * seq;
	buf[4] = (uint8_t)(ts >> 24); buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8); buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24); buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8); buf[11] = (uint8_t)ssrc;
	return 12 + (size_t)snprintf((char *)buf + 12, 64, "alto payload %u", seq);
}

static bool has_packet(struct peer *p, const uint8_t *want, size_t len)
{
	for (guint i = 0; i < p->rtp->len; i++) {
		gsize size;
		const uint8_t *got = g_bytes_get_data(g_ptr_array_index(p->rtp, i), &size);
		if (size == len && memcmp(got, want, len) == 0)
			return true;
	}
	return false;
}

static struct peer *wait_peer;
static const uint8_t *wait_packet;
static size_t wait_len;

static bool packet_arrived(struct peer *a, struct peer *b)
{
	return has_packet(wait_peer, wait_packet, wait_len);
}

/* Send RTP until one arrives (the first may race the DTLS/SRTP set-up on the other side). */
static void send_and_expect(struct peer *from, struct peer *to, uint16_t seq, uint32_t ssrc,
		int pt)
{
	uint8_t packet[128];
	size_t len = make_rtp(packet, seq, ssrc, pt);
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

	wait_peer = to;
	wait_packet = packet;
	wait_len = len;
	while (!has_packet(to, packet, len)) {
		CHECK(g_get_monotonic_time() < deadline);
		CHECK_INT(alto_pc_send_rtp(from->pc, packet, len), 0);
		run_until(from, to, packet_arrived, 1);
	}
}

static void test_two_peers(void)
{
	struct peer a, b;
	struct alto_pc_media_info info;
	uint32_t a_ssrc = 0, b_ssrc = 0;
	char participant[64];

	peer_init(&a, "A");
	peer_init(&b, "B");
	a.other = &b;
	b.other = &a;

	CHECK_INT(alto_pc_add_local_audio_track(a.pc, "TR_mic", "PA_alice|TR_mic", &a_ssrc), 0);
	CHECK(a_ssrc != 0);
	CHECK_INT(alto_pc_add_local_audio_track(a.pc, "TR_mic", NULL, NULL), -EEXIST);
	CHECK_INT(alto_pc_add_recv_audio(a.pc, 1), 0);
	CHECK_INT(alto_pc_add_local_audio_track(b.pc, "TR_bob", "PA_bob|TR_bob", &b_ssrc), 0);
	CHECK_INT(alto_pc_send_rtp(a.pc, (const uint8_t *)"\x80\x6f" "0123456789", 12), -ENOTCONN);

	negotiate(&a, &b);
	CHECK(run_until(&a, &b, both_connected, 20));
	CHECK(a.states_seen[ALTO_PC_STATE_CHECKING] > 0);

	/* what each side knows about the other's tracks: A's recvonly section came first (mid
	 * 0), its track was placed when the offer was made (mid 1) */
	CHECK_INT(alto_pc_n_media(a.pc), 2);
	CHECK_INT(alto_pc_n_media(b.pc), 2);
	CHECK_INT(alto_pc_find_media_by_mid(b.pc, "1", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_STR(info.remote_track_id, "TR_mic");
	CHECK_STR(info.remote_stream_id, "PA_alice|TR_mic");
	CHECK_INT(info.n_remote_ssrcs, 1);
	CHECK(info.remote_ssrcs[0] == a_ssrc);
	CHECK_INT(info.opus_pt, 111);
	CHECK_INT(info.red_pt, -1);		/* A only sends there: no RED */
	CHECK_INT(alto_sdp_msid_participant(info.remote_stream_id, participant,
				sizeof(participant)), 8);
	CHECK_STR(participant, "PA_alice");
	CHECK_INT(alto_pc_find_media_by_mid(a.pc, "0", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_STR(info.remote_track_id, "TR_bob");
	/* A offered RED there, but B's sender makes none, so B's answer leaves it out */
	CHECK_INT(info.red_pt, -1);
	CHECK_INT(alto_pc_find_media_by_mid(a.pc, "1", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_SENDONLY);
	CHECK_STR(info.local_track_id, "TR_mic");
	CHECK(info.local_ssrc == a_ssrc);
	CHECK_INT(alto_pc_find_media_by_mid(b.pc, "0", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_SENDONLY);
	CHECK_STR(info.local_track_id, "TR_bob");
	CHECK(info.local_ssrc == b_ssrc);
	CHECK_INT(info.ext_audio_level, 1);
	CHECK_INT(info.ext_mid, 4);
	CHECK_INT(alto_pc_find_media_by_ssrc(b.pc, a_ssrc, &info), 0);
	CHECK_STR(info.mid, "1");
	CHECK_INT(alto_pc_find_media_by_ssrc(b.pc, 12345, &info), -ENOENT);

	/* RTP both ways, decrypted and byte-exact */
	for (uint16_t seq = 1; seq <= 5; seq++)
		send_and_expect(&a, &b, seq, a_ssrc, 111);
	send_and_expect(&b, &a, 1, b_ssrc, 111);
	CHECK_INT(alto_pc_find_media_by_ssrc(a.pc, b_ssrc, &info), 0);
	CHECK_STR(info.mid, "0");

	/* RTCP: a receiver report from B */
	uint8_t rr[32] = { 0x81, 201, 0x00, 0x07 };
	rr[4] = (uint8_t)(b_ssrc >> 24); rr[5] = (uint8_t)(b_ssrc >> 16);
	rr[6] = (uint8_t)(b_ssrc >> 8); rr[7] = (uint8_t)b_ssrc;
	rr[8] = (uint8_t)(a_ssrc >> 24); rr[9] = (uint8_t)(a_ssrc >> 16);
	rr[10] = (uint8_t)(a_ssrc >> 8); rr[11] = (uint8_t)a_ssrc;
	for (int tries = 0; tries < 50 && a.rtcp->len == 0; tries++) {
		CHECK_INT(alto_pc_send_rtcp(b.pc, rr, sizeof(rr)), 0);
		for (int i = 0; i < 20; i++)
			g_main_context_iteration(NULL, FALSE);
		g_usleep(10000);
	}
	CHECK(a.rtcp->len > 0);
	gsize size;
	const uint8_t *got = g_bytes_get_data(g_ptr_array_index(a.rtcp, 0), &size);
	CHECK_INT(size, sizeof(rr));
	CHECK(memcmp(got, rr, sizeof(rr)) == 0);
	CHECK_INT(a.rtp->len, 1);		/* RTCP did not show up as RTP */

	/* bad packets are refused before they go anywhere */
	uint8_t big[1500] = { 0x80, 111 };
	CHECK_INT(alto_pc_send_rtp(a.pc, big, sizeof(big)), -EMSGSIZE);
	CHECK_INT(alto_pc_send_rtp(a.pc, big, 4), -EINVAL);
	big[0] = 0;
	CHECK_INT(alto_pc_send_rtp(a.pc, big, 40), -EINVAL);

	/* ICE restart from A: new credentials, media keeps flowing during and after */
	char *offer = NULL, *answer = NULL;
	uint32_t id;
	const char *old_ufrag_line;
	CHECK_INT(alto_pc_restart_ice(a.pc), 0);
	CHECK(alto_pc_ice_restart_pending(a.pc));
	CHECK_INT(alto_pc_create_offer(a.pc, &offer, &id), 0);
	CHECK_INT(id, 2);
	old_ufrag_line = strstr(offer, "a=ice-ufrag:");
	CHECK(old_ufrag_line != NULL);
	send_and_expect(&a, &b, 100, a_ssrc, 111);	/* still flowing, restart half done */
	CHECK_INT(alto_pc_set_remote_offer(b.pc, offer, id), 0);
	CHECK(alto_pc_ice_restart_pending(b.pc));
	CHECK_INT(alto_pc_create_answer(b.pc, &answer, NULL), 0);
	CHECK_INT(alto_pc_set_remote_answer(a.pc, answer, id), 0);
	free(offer);
	free(answer);
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
	while (alto_pc_ice_restart_pending(a.pc) || alto_pc_ice_restart_pending(b.pc)) {
		CHECK(g_get_monotonic_time() < deadline);
		deliver_candidates(&a);
		deliver_candidates(&b);
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	CHECK_INT(a.state, ALTO_PC_STATE_CONNECTED);
	CHECK_INT(b.state, ALTO_PC_STATE_CONNECTED);
	CHECK_INT(a.states_seen[ALTO_PC_STATE_FAILED], 0);
	CHECK_INT(b.states_seen[ALTO_PC_STATE_FAILED], 0);
	for (uint16_t seq = 200; seq <= 203; seq++)
		send_and_expect(&a, &b, seq, a_ssrc, 111);
	send_and_expect(&b, &a, 200, b_ssrc, 111);
	CHECK_INT(a.error, 0);
	CHECK_INT(b.error, 0);

	/* close: B sees A's close_notify */
	CHECK_INT(alto_pc_close(a.pc), 0);
	CHECK_INT(a.state, ALTO_PC_STATE_CLOSED);
	deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (b.state != ALTO_PC_STATE_CLOSED && g_get_monotonic_time() < deadline) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	CHECK_INT(b.state, ALTO_PC_STATE_CLOSED);
	CHECK_INT(alto_pc_send_rtp(b.pc, rr, 12), -ENOTCONN);

	peer_clear(&a);
	peer_clear(&b);
}

/* B's answer reaches A with another fingerprint: A refuses the certificate. */
static void test_fingerprint_mismatch(void)
{
	struct peer a, b;
	char *offer = NULL, *answer = NULL, *fp;
	uint32_t id;

	peer_init(&a, "A");
	peer_init(&b, "B");
	a.other = &b;
	b.other = &a;
	CHECK_INT(alto_pc_add_recv_audio(a.pc, 1), 0);
	CHECK_INT(alto_pc_create_offer(a.pc, &offer, &id), 0);
	CHECK_INT(alto_pc_set_remote_offer(b.pc, offer, id), 0);
	CHECK_INT(alto_pc_create_answer(b.pc, &answer, NULL), 0);
	/* change one hex digit of B's fingerprint */
	fp = strstr(answer, "a=fingerprint:sha-256 ");
	CHECK(fp != NULL);
	fp += strlen("a=fingerprint:sha-256 ");
	*fp = *fp == 'A' ? 'B' : 'A';
	CHECK_INT(alto_pc_set_remote_answer(a.pc, answer, id), 0);
	free(offer);
	free(answer);
	CHECK(run_until(&a, &b, a_failed, 20));
	CHECK_INT(a.error, -ECONNREFUSED);
	CHECK(strstr(a.error_message, "fingerprint") != NULL);
	CHECK(a.states_seen[ALTO_PC_STATE_CONNECTED] == 0);
	uint8_t packet[64];
	CHECK_INT(alto_pc_send_rtp(a.pc, packet, make_rtp(packet, 1, 1, 111)), -ENOTCONN);
	peer_clear(&a);
	peer_clear(&b);
}

/* The answerer gets trickled candidates before the offer: they are held, not lost. */
static void test_early_trickle(void)
{
	struct peer a, b;
	char *offer = NULL, *answer = NULL;
	uint32_t id;

	peer_init(&a, "A");
	peer_init(&b, "B");
	a.other = &b;
	b.other = &a;
	CHECK_INT(alto_pc_add_recv_audio(a.pc, 1), 0);
	CHECK_INT(alto_pc_create_offer(a.pc, &offer, &id), 0);
	/* strip the candidates from the offer and send them as trickle before it */
	GString *stripped = g_string_new(NULL);
	char **lines = g_strsplit(offer, "\r\n", -1);
	for (char **l = lines; *l; l++) {
		if (g_str_has_prefix(*l, "a=candidate:")) {
			struct alto_candidate_init init = { .sdp_mline_index = 0 };
			char json[1024];
			g_strlcpy(init.candidate, *l + 2, sizeof(init.candidate));
			strcpy(init.sdp_mid, "0");
			CHECK(alto_candidate_init_to_json(&init, json, sizeof(json)) > 0);
			CHECK_INT(alto_pc_add_remote_candidate(b.pc, json), 0);
		} else if (**l && !g_str_has_prefix(*l, "a=end-of-candidates")) {
			g_string_append_printf(stripped, "%s\r\n", *l);
		}
	}
	g_strfreev(lines);
	CHECK(strstr(stripped->str, "a=candidate") == NULL);
	CHECK_INT(alto_pc_set_remote_offer(b.pc, stripped->str, id), 0);
	g_string_free(stripped, TRUE);
	CHECK_INT(alto_pc_create_answer(b.pc, &answer, NULL), 0);
	CHECK_INT(alto_pc_set_remote_answer(a.pc, answer, id), 0);
	/* a stale ICE generation is refused now that the description is there */
	CHECK_INT(alto_pc_add_remote_candidate(b.pc, "{\"candidate\":\"candidate:1 1 udp 1 "
			"127.0.0.1 9 typ host\",\"usernameFragment\":\"old\"}"), -ESTALE);
	free(offer);
	free(answer);
	CHECK(run_until(&a, &b, both_connected, 20));
	peer_clear(&a);
	peer_clear(&b);
}

/* ---- negotiation against LiveKit-shaped descriptions ---- */

static char *strip_section(char *sdp, const char *from)
{
	char *cut = strstr(sdp, from);
	if (cut)
		*cut = '\0';
	return sdp;
}

static void test_livekit_single_pc(void)
{
	struct peer p;
	struct alto_pc_media_info info;
	char *offer = NULL, *answer_text;
	uint32_t id;
	char participant[64];

	peer_init(&p, "single-pc");
	CHECK_INT(alto_pc_set_remote_answer(p.pc, "v=0\r\n", 0), -EPROTO);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), -EINVAL);	/* nothing to offer */
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 3), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	CHECK_INT(id, 1);
	/* what the LiveKit server relies on in our offer */
	CHECK(strstr(offer, "a=group:BUNDLE 0 1 2\r\n") != NULL);
	CHECK(strstr(offer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n") != NULL);
	CHECK(strstr(offer, "a=fmtp:111 minptime=10;useinbandfec=1\r\n") != NULL);
	CHECK(strstr(offer, "a=fmtp:63 111/111\r\n") != NULL);
	CHECK(strstr(offer, "a=rtcp-fb:111 nack\r\n") != NULL);
	CHECK(strstr(offer, "a=recvonly\r\n") != NULL);
	CHECK(strstr(offer, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(offer, "a=setup:actpass\r\n") != NULL);
	CHECK(strstr(offer, "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n") != NULL);
	CHECK(strstr(offer, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n") != NULL);
	CHECK(strstr(offer, "a=candidate:") != NULL);
	CHECK(strstr(offer, "a=ice-options:trickle\r\n") != NULL);
	CHECK(strstr(offer, alto_pc_local_fingerprint(p.pc)) != NULL);
	free(offer);

	/* the server's answer (sample without its data channel section, we offered none) */
	answer_text = strip_section(test_read_file(data_dir, "livekit-answer-single-pc.sdp", NULL),
			"m=application");
	CHECK_INT(alto_pc_set_remote_answer(p.pc, answer_text, 7), -ESTALE);
	CHECK_INT(alto_pc_set_remote_answer(p.pc, "v=0\r\nx", 1), -EINVAL);
	CHECK_INT(alto_pc_set_remote_answer(p.pc, answer_text, 1), 0);
	CHECK_INT(p.state, ALTO_PC_STATE_CHECKING);
	CHECK_INT(alto_pc_find_media_by_ssrc(p.pc, 1904731234u, &info), 0);
	CHECK_STR(info.mid, "0");
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_STR(info.remote_track_id, "TR_AMbq7Tz4Ps");
	CHECK_INT(alto_sdp_msid_participant(info.remote_stream_id, participant,
				sizeof(participant)), 12);
	CHECK_STR(participant, "PA_Xyz8kQ2nW");
	CHECK_INT(info.opus_pt, 111);
	CHECK_INT(info.red_pt, 63);
	CHECK_INT(info.ext_abs_capture_time, 7);
	CHECK(info.nack);			/* both said a=rtcp-fb:111 nack */
	CHECK_INT(alto_pc_find_media_by_mid(p.pc, "2", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_INACTIVE);
	CHECK(!info.rejected);
	CHECK(!info.nack);

	/* media_sections_requirement: two more, then re-offer */
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 2), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	CHECK_INT(id, 2);
	CHECK(strstr(offer, "a=group:BUNDLE 0 1 2 3 4\r\n") != NULL);
	CHECK(strstr(offer, "a=mid:4\r\n") != NULL);
	free(offer);
	/* an answer to offer 1 now is stale */
	CHECK_INT(alto_pc_set_remote_answer(p.pc, answer_text, 1), -ESTALE);
	/* mids that do not match the offer */
	CHECK_INT(alto_pc_set_remote_answer(p.pc, answer_text, 2), -EINVAL);
	free(answer_text);
	peer_clear(&p);
}

static void test_livekit_subscriber(void)
{
	struct peer p;
	struct alto_sdp *answer = NULL;
	struct alto_pc_media_info info;
	char *offer_text, *answer_text = NULL;
	uint32_t id = 0;

	peer_init(&p, "subscriber");
	/* first offer: only the data channel section */
	offer_text = test_read_file(data_dir, "livekit-subscriber-offer-datachannel.sdp", NULL);
	CHECK_INT(alto_pc_set_remote_offer(p.pc, offer_text, 1), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &answer_text, &id), -EBUSY);
	CHECK_INT(alto_pc_create_answer(p.pc, &answer_text, &id), 0);
	CHECK_INT(id, 1);
	CHECK_INT(alto_sdp_parse(answer_text, strlen(answer_text), &answer, NULL), 0);
	CHECK_INT(answer->n_media, 1);
	CHECK_STR(answer->media[0].kind, "application");
	CHECK_INT(answer->media[0].port, 9);
	CHECK_STR(answer->media[0].proto, "UDP/DTLS/SCTP");
	CHECK_STR(answer->media[0].formats[0], "webrtc-datachannel");
	CHECK_INT(answer->media[0].sctp_port, 5000);
	CHECK_INT(answer->media[0].setup, ALTO_SDP_SETUP_ACTIVE);	/* we are the DTLS client */
	CHECK(answer->media[0].n_candidates > 0);
	CHECK_INT(answer->n_bundle, 1);
	alto_sdp_free(answer);
	free(answer_text);
	free(offer_text);
	CHECK_INT(alto_pc_create_answer(p.pc, &answer_text, &id), -EPROTO);

	/* the next offer adds an audio track (with RED first) and a video one */
	offer_text = test_read_file(data_dir, "livekit-subscriber-offer-audio.sdp", NULL);
	CHECK_INT(alto_pc_set_remote_offer(p.pc, offer_text, 2), 0);
	CHECK_INT(alto_pc_create_answer(p.pc, &answer_text, &id), 0);
	CHECK_INT(id, 2);
	CHECK_INT(alto_sdp_parse(answer_text, strlen(answer_text), &answer, NULL), 0);
	CHECK_INT(answer->n_media, 3);
	const struct alto_sdp_media *audio = &answer->media[1], *video = &answer->media[2];
	CHECK_INT(audio->port, 9);
	CHECK_INT(audio->direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK(alto_sdp_media_find_codec(audio, "opus", 48000) != NULL);
	CHECK_INT(alto_sdp_media_find_codec(audio, "red", 48000)->pt, 63);
	CHECK_STR(alto_sdp_media_find_codec(audio, "red", 48000)->fmtp, "111/111");
	CHECK_INT(alto_sdp_media_find_extmap(audio, ALTO_SDP_EXT_ABS_CAPTURE_TIME), 1);
	CHECK(alto_sdp_codec_has_rtcp_fb(audio, alto_sdp_media_find_codec(audio, "opus", 48000), "nack"));
	CHECK(!alto_sdp_codec_has_rtcp_fb(audio, alto_sdp_media_find_codec(audio, "red", 48000), "nack"));
	CHECK(audio->msid_stream == NULL);
	CHECK_INT(video->port, 0);
	CHECK_STR(video->mid, "2");
	CHECK(!alto_sdp_is_bundled(answer, "2"));
	CHECK(alto_sdp_is_bundled(answer, "1"));
	CHECK_STR(answer->bundle[0], "0");
	alto_sdp_free(answer);
	free(answer_text);

	CHECK_INT(alto_pc_find_media_by_ssrc(p.pc, 2231987721u, &info), 0);
	CHECK_STR(info.remote_track_id, "TR_AMkk3Jd9Qe");
	CHECK_STR(info.mid, "1");
	CHECK_INT(info.red_pt, 63);
	CHECK(info.nack);
	CHECK_INT(alto_pc_find_media_by_ssrc(p.pc, 3303938771u, &info), -ENOENT);	/* video */
	CHECK_INT(alto_pc_find_media_by_mid(p.pc, "2", &info), 0);
	CHECK(info.rejected);
	CHECK_INT(info.kind, ALTO_PC_MEDIA_VIDEO);

	/* a re-offer that drops a known section is refused, nothing changes */
	char *short_offer = strip_section(g_strdup(offer_text), "m=video");
	CHECK_INT(alto_pc_set_remote_offer(p.pc, short_offer, 3), -EINVAL);
	g_free(short_offer);
	CHECK_INT(alto_pc_n_media(p.pc), 3);
	free(offer_text);

	/* trickle JSON that cannot be used */
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{"), -EINVAL);
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{\"candidate\":\"candidate:1 1 udp 1 "
			"abcd.local 9 typ host\"}"), -EINVAL);
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{\"candidate\":\"candidate:1 1 tcp 1 "
			"127.0.0.1 7881 typ host tcptype passive\"}"), -ENOTSUP);
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{\"candidate\":\"candidate:1 2 udp 1 "
			"127.0.0.1 7881 typ host\"}"), -ENOTSUP);
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{\"candidate\":\"candidate:1 1 udp 1 "
			"127.0.0.1 7881 typ host\",\"usernameFragment\":\"rQuvXJcNsDkzMbEt\"}"), 0);
	CHECK_INT(alto_pc_add_remote_candidate(p.pc, "{\"candidate\":\"\"}"), 0);
	peer_clear(&p);
}

/* A copy of sdp without the lines equal to line (CRLF or LF), with extra appended after the
 * line that starts with after_prefix (NULL: nothing added). */
static char *edit_lines(const char *sdp, const char *line, const char *after_prefix, const char *extra)
{
	GString *out = g_string_new(NULL);
	char **lines = g_strsplit(sdp, "\n", -1);

	for (char **l = lines; *l; l++) {
		size_t n = strlen(*l);
		if (n > 0 && (*l)[n - 1] == '\r')
			(*l)[--n] = '\0';
		if (line && strcmp(*l, line) == 0)
			continue;
		if (n == 0 && l[1] == NULL)
			break;
		g_string_append_printf(out, "%s\r\n", *l);
		if (after_prefix && g_str_has_prefix(*l, after_prefix))
			g_string_append_printf(out, "%s\r\n", extra);
	}
	g_strfreev(lines);
	return g_string_free(out, FALSE);
}

/* NACK: offered on receiving sections, in an answer only when the offer has it for Opus (as
 * a=rtcp-fb:111 nack or a=rtcp-fb:* nack), never with disable_nack. */
static void test_nack_negotiation(void)
{
	struct peer p;
	struct alto_pc_media_info info;
	struct alto_sdp *answer = NULL;
	char *offer = NULL, *text, *sample, *answer_text = NULL;
	uint32_t id;

	/* single PC: the server's answer has no nack */
	peer_init(&p, "nack-single");
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 3), 0);
	CHECK_INT(alto_pc_add_local_audio_track(p.pc, "TR_mic", NULL, NULL), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	/* three receiving sections with it, not the sending one */
	CHECK(strstr(offer, "a=rtcp-fb:111 nack\r\n") != NULL);
	CHECK_INT(alto_sdp_parse(offer, strlen(offer), &answer, NULL), 0);
	CHECK_INT(answer->n_media, 4);
	for (size_t i = 0; i < 4; i++)
		CHECK(alto_sdp_codec_has_rtcp_fb(&answer->media[i],
				alto_sdp_media_find_codec(&answer->media[i], "opus", 48000), "nack") == (i < 3));
	alto_sdp_free(answer);
	free(offer);
	peer_clear(&p);

	sample = strip_section(test_read_file(data_dir, "livekit-answer-single-pc.sdp", NULL), "m=application");
	text = edit_lines(sample, "a=rtcp-fb:111 nack", NULL, NULL);
	peer_init(&p, "nack-single-none");
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 3), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	free(offer);
	CHECK_INT(alto_pc_set_remote_answer(p.pc, text, 1), 0);
	CHECK_INT(alto_pc_find_media_by_mid(p.pc, "0", &info), 0);
	CHECK_INT(info.direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK(!info.nack);
	peer_clear(&p);
	g_free(text);

	/* disable_nack: not offered, and an answer that has it changes nothing */
	peer_init_nack(&p, "nack-disabled", true);
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 3), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	CHECK(strstr(offer, "nack") == NULL);
	free(offer);
	CHECK_INT(alto_pc_set_remote_answer(p.pc, sample, 1), 0);
	CHECK_INT(alto_pc_find_media_by_mid(p.pc, "0", &info), 0);
	CHECK(!info.nack);
	peer_clear(&p);
	free(sample);

	/* legacy subscriber: offers without nack, with "nack pli" only, with a wildcard */
	sample = test_read_file(data_dir, "livekit-subscriber-offer-audio.sdp", NULL);
	const struct { const char *remove, *after, *extra; bool nack; } cases[] = {
		{ "a=rtcp-fb:111 nack", NULL, NULL, false },
		{ "a=rtcp-fb:111 nack", "a=fmtp:111 ", "a=rtcp-fb:111 nack pli", false },
		{ "a=rtcp-fb:111 nack", "a=rtcp-rsize", "a=rtcp-fb:* NACK", true },
		{ "a=rtcp-fb:111 nack", "a=fmtp:111 ", "a=rtcp-fb:111   Nack ", true },
	};
	for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
		text = edit_lines(sample, cases[c].remove, cases[c].after, cases[c].extra);
		peer_init(&p, "nack-subscriber");
		CHECK_INT(alto_pc_set_remote_offer(p.pc, text, 2), 0);
		CHECK_INT(alto_pc_create_answer(p.pc, &answer_text, &id), 0);
		CHECK_INT(alto_sdp_parse(answer_text, strlen(answer_text), &answer, NULL), 0);
		const struct alto_sdp_media *audio = &answer->media[1];
		CHECK(alto_sdp_codec_has_rtcp_fb(audio, alto_sdp_media_find_codec(audio, "opus", 48000),
				"nack") == cases[c].nack);
		CHECK((strstr(answer_text, "a=rtcp-fb:111 nack\r\n") != NULL) == cases[c].nack);
		CHECK(strstr(answer_text, "nack pli") == NULL);
		CHECK_INT(alto_pc_find_media_by_mid(p.pc, "1", &info), 0);
		CHECK(info.nack == cases[c].nack);
		alto_sdp_free(answer);
		free(answer_text);
		g_free(text);
		peer_clear(&p);
	}
	/* ... and with disable_nack, the offer's nack is not taken */
	peer_init_nack(&p, "nack-subscriber-disabled", true);
	CHECK_INT(alto_pc_set_remote_offer(p.pc, sample, 2), 0);
	CHECK_INT(alto_pc_create_answer(p.pc, &answer_text, &id), 0);
	CHECK(strstr(answer_text, "nack") == NULL);
	CHECK_INT(alto_pc_find_media_by_mid(p.pc, "1", &info), 0);
	CHECK(!info.nack);
	free(answer_text);
	peer_clear(&p);
	free(sample);
}

static void test_ice_server_urls(void)
{
	struct alto_ice_server s;

	CHECK_INT(alto_ice_server_parse("stun:stun.example.org", NULL, NULL, &s), 0);
	CHECK_INT(s.type, ALTO_ICE_SERVER_STUN);
	CHECK_STR(s.host, "stun.example.org");
	CHECK_INT(s.port, 3478);
	CHECK_INT(alto_ice_server_parse("turn:192.0.2.9:3479?transport=udp", "u", "p", &s), 0);
	CHECK_INT(s.type, ALTO_ICE_SERVER_TURN_UDP);
	CHECK_INT(s.port, 3479);
	CHECK_STR(s.username, "u");
	CHECK_STR(s.credential, "p");
	CHECK_INT(alto_ice_server_parse("turn:host?transport=tcp", "u", "p", &s), 0);
	CHECK_INT(s.type, ALTO_ICE_SERVER_TURN_TCP);
	CHECK_INT(alto_ice_server_parse("turns:host:443?transport=tcp", "u", "p", &s), 0);
	CHECK_INT(s.type, ALTO_ICE_SERVER_TURN_TLS);
	CHECK_INT(s.port, 443);
	CHECK_INT(alto_ice_server_parse("turns:host", "u", "p", &s), 0);
	CHECK_INT(s.port, 5349);
	CHECK_INT(alto_ice_server_parse("turn:[2001:db8::1]:3478", NULL, NULL, &s), 0);
	CHECK_STR(s.host, "2001:db8::1");
	CHECK_INT(alto_ice_server_parse("turns:host?transport=udp", "u", "p", &s), -ENOTSUP);
	CHECK_INT(alto_ice_server_parse("turn:host?transport=sctp", "u", "p", &s), -ENOTSUP);
	CHECK_INT(alto_ice_server_parse("http://host", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:host:", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:host:99999", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:host:0", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:[::1", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("stun:host?transport=udp", NULL, NULL, &s), -EINVAL);
	CHECK_INT(alto_ice_server_parse("turn:user@host", NULL, NULL, &s), -EINVAL);
}

/* force_relay: no host candidate goes out, only what a TURN server would relay (none here:
 * the "server" is a closed port on this machine). */
static void test_force_relay(void)
{
	const char *urls[] = { "turn:127.0.0.1:9?transport=udp", "stun:127.0.0.1:9" };
	struct alto_pc_ice_server server = { urls, 2, "user", "secret" };
	struct alto_pc_config config = {
		.ice_servers = &server, .n_ice_servers = 1, .force_relay = true,
		.local_addresses = loopback, .n_local_addresses = 1,
	};
	struct peer p;
	char *offer = NULL;
	uint32_t id;

	memset(&p, 0, sizeof(p));
	p.name = "relay-only";
	g_queue_init(&p.candidates);
	p.pc = alto_pc_new(NULL, &config, &events, &p);
	CHECK(p.pc != NULL);
	CHECK_INT(alto_pc_add_recv_audio(p.pc, 1), 0);
	CHECK_INT(alto_pc_create_offer(p.pc, &offer, &id), 0);
	CHECK(strstr(offer, "typ host") == NULL);
	free(offer);
	for (int i = 0; i < 50; i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
	for (char *json = g_queue_pop_head(&p.candidates); json; json = g_queue_pop_head(&p.candidates)) {
		CHECK(strstr(json, "typ host") == NULL);
		g_free(json);
	}
	alto_pc_destroy(p.pc);
	for (int i = 0; i < 50; i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(2000);
	}
}

int main(int argc, char **argv)
{
	CHECK(argc > 1);
	data_dir = argv[1];
	RUN(test_ice_server_urls);
	RUN(test_force_relay);
	RUN(test_two_peers);
	RUN(test_fingerprint_mismatch);
	RUN(test_early_trickle);
	RUN(test_livekit_single_pc);
	RUN(test_livekit_subscriber);
	RUN(test_nack_negotiation);
	fprintf(stderr, "ok\n");
	return 0;
}
