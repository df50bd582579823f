/* Unit tests of rtc/transport dtls + srtp: two DTLS sessions in one process exchange their
 * datagrams through queues (with loss, to exercise the retransmission timers), derive the same
 * SRTP keys crosswise, and SRTP protects/unprotects RTP and RTCP between them. A certificate
 * that does not match the fingerprint is refused on both sides. */
#include "rtc/transport/dtls.h"
#include "rtc/transport/srtp.h"
#include "test.h"

#include <errno.h>
#include <glib.h>

struct side {
	const char *name;
	struct alto_dtls_identity *identity;
	struct alto_dtls *dtls;
	struct side *peer;
	GQueue outbox;			/* datagrams for the peer */
	int drop_first;			/* lose this many outgoing datagrams */
	int sent;
	bool connected;
	int failed;
	char reason[256];
	struct alto_dtls_keys keys;
};

static void on_send(void *data, const uint8_t *buf, size_t len)
{
	struct side *s = data;
	s->sent++;
	if (s->drop_first > 0) {
		s->drop_first--;
		return;
	}
	g_queue_push_tail(&s->outbox, g_bytes_new(buf, len));
}

static void on_connected(void *data, const struct alto_dtls_keys *keys)
{
	struct side *s = data;
	s->connected = true;
	s->keys = *keys;
}

static void on_failed(void *data, int res, const char *reason)
{
	struct side *s = data;
	s->failed = res;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
}

static const struct alto_dtls_events events = {
	ALTO_DTLS_EVENTS_VERSION,
	.send = on_send,
	.connected = on_connected,
	.failed = on_failed,
};

static void side_init(struct side *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	g_queue_init(&s->outbox);
	CHECK_INT(alto_dtls_identity_new(&s->identity), 0);
	CHECK_INT(alto_dtls_identity_fingerprint(s->identity)->len, 32);
	s->dtls = alto_dtls_new(NULL, s->identity, &events, s);
	CHECK(s->dtls != NULL);
}

static void side_clear(struct side *s)
{
	GBytes *b;
	alto_dtls_destroy(s->dtls);
	alto_dtls_identity_free(s->identity);
	while ((b = g_queue_pop_head(&s->outbox)) != NULL)
		g_bytes_unref(b);
}

/* Deliver queued datagrams and run timers until @done or 20 s pass. */
static void pump(struct side *a, struct side *b, bool (*done)(struct side *, struct side *))
{
	gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;

	while (!done(a, b) && g_get_monotonic_time() < deadline) {
		struct side *sides[2] = { a, b };
		bool moved = false;
		for (int i = 0; i < 2; i++) {
			GBytes *bytes = g_queue_pop_head(&sides[i]->outbox);
			if (bytes) {
				gsize size;
				const uint8_t *p = g_bytes_get_data(bytes, &size);
				CHECK_INT(alto_dtls_receive(sides[i]->peer->dtls, p, size), 0);
				g_bytes_unref(bytes);
				moved = true;
			}
		}
		g_main_context_iteration(NULL, !moved);
	}
}

static bool both_connected(struct side *a, struct side *b)
{
	return a->connected && b->connected;
}

static bool any_failed(struct side *a, struct side *b)
{
	return (a->failed && b->failed) || a->connected || b->connected;
}

static void pair(struct side *client, struct side *server, bool wrong_fingerprint)
{
	side_init(client, "client");
	side_init(server, "server");
	client->peer = server;
	server->peer = client;
	struct alto_sdp_fingerprint fp = *alto_dtls_identity_fingerprint(server->identity);
	if (wrong_fingerprint)
		fp.value[7] ^= 0x10;
	CHECK_INT(alto_dtls_set_remote_fingerprint(client->dtls, &fp), 0);
	CHECK_INT(alto_dtls_set_remote_fingerprint(server->dtls,
				alto_dtls_identity_fingerprint(client->identity)), 0);
}

static void test_handshake_and_srtp(void)
{
	struct side client, server;
	struct alto_srtp *c_srtp, *s_srtp;

	pair(&client, &server, false);
	/* the server gets the ClientHello before it knows its role: it must keep it */
	client.drop_first = 0;
	CHECK_INT(alto_dtls_start(client.dtls, ALTO_DTLS_ROLE_CLIENT), 0);
	CHECK_INT(alto_dtls_start(client.dtls, ALTO_DTLS_ROLE_CLIENT), -EALREADY);
	{
		GBytes *hello = g_queue_pop_head(&client.outbox);
		gsize size;
		const uint8_t *p = g_bytes_get_data(hello, &size);
		CHECK(hello != NULL);
		CHECK_INT(p[0], 22);	/* handshake record */
		CHECK_INT(alto_dtls_receive(server.dtls, p, size), 0);
		g_bytes_unref(hello);
	}
	CHECK_INT(alto_dtls_start(server.dtls, ALTO_DTLS_ROLE_SERVER), 0);
	pump(&client, &server, both_connected);
	CHECK(client.connected);
	CHECK(server.connected);
	CHECK(alto_dtls_is_connected(client.dtls));
	CHECK(memcmp(client.keys.local, server.keys.remote, ALTO_SRTP_MASTER_LEN) == 0);
	CHECK(memcmp(client.keys.remote, server.keys.local, ALTO_SRTP_MASTER_LEN) == 0);
	CHECK(memcmp(client.keys.local, client.keys.remote, ALTO_SRTP_MASTER_LEN) != 0);

	CHECK_INT(alto_srtp_new(client.keys.local, client.keys.remote, &c_srtp), 0);
	CHECK_INT(alto_srtp_new(server.keys.local, server.keys.remote, &s_srtp), 0);

	/* RTP: V=2, PT 111, seq 1, ts 960, SSRC 0x11223344, 20 bytes payload */
	uint8_t packet[64 + ALTO_SRTP_PROTECT_ROOM], copy[sizeof(packet)], replay[sizeof(packet)];
	uint8_t plain[32] = { 0x80, 111, 0x00, 0x01, 0, 0, 0x03, 0xc0, 0x11, 0x22, 0x33, 0x44 };
	for (int i = 12; i < 32; i++)
		plain[i] = (uint8_t)i;
	memcpy(packet, plain, sizeof(plain));
	int n = alto_srtp_protect_rtp(c_srtp, packet, sizeof(plain), sizeof(packet));
	CHECK_INT(n, 32 + 10);
	CHECK(memcmp(packet + 12, plain + 12, 20) != 0);	/* payload encrypted */
	memcpy(copy, packet, (size_t)n);
	memcpy(replay, packet, (size_t)n);
	copy[20] ^= 1;
	CHECK_INT(alto_srtp_unprotect_rtp(s_srtp, copy, (size_t)n), -EBADMSG);
	CHECK_INT(alto_srtp_unprotect_rtp(s_srtp, packet, (size_t)n), 32);
	CHECK(memcmp(packet, plain, 32) == 0);
	CHECK_INT(alto_srtp_unprotect_rtp(s_srtp, replay, (size_t)n), -EALREADY);
	CHECK_INT(alto_srtp_protect_rtp(c_srtp, packet, 32, 40), -ENOSPC);
	CHECK_INT(alto_srtp_protect_rtp(c_srtp, packet, 4, sizeof(packet)), -EINVAL);
	CHECK_INT(alto_srtp_unprotect_rtp(s_srtp, packet, 4), -EINVAL);

	/* RTCP the other way: a receiver report with one block */
	uint8_t rr[32 + ALTO_SRTP_PROTECT_ROOM] = { 0x81, 201, 0x00, 0x07, 0xaa, 0xbb, 0xcc, 0xdd,
		0x11, 0x22, 0x33, 0x44 };
	uint8_t rr_plain[32];
	memcpy(rr_plain, rr, 32);
	n = alto_srtp_protect_rtcp(s_srtp, rr, 32, sizeof(rr));
	CHECK_INT(n, 32 + 4 + 10);
	CHECK_INT(alto_srtp_unprotect_rtcp(c_srtp, rr, (size_t)n), 32);
	CHECK(memcmp(rr, rr_plain, 32) == 0);
	/* the client's own key cannot open what it sent */
	memcpy(packet, plain, 32);
	packet[3] = 2;		/* a new sequence number, so it is no replay */
	n = alto_srtp_protect_rtp(s_srtp, packet, 32, sizeof(packet));
	CHECK_INT(alto_srtp_unprotect_rtp(s_srtp, packet, (size_t)n), -EBADMSG);

	alto_srtp_free(c_srtp);
	alto_srtp_free(s_srtp);
	CHECK_INT(alto_srtp_new(NULL, client.keys.remote, &c_srtp), -EINVAL);
	side_clear(&client);
	side_clear(&server);
}

/* Lost flights are sent again by the timers on the GMainContext. */
static void test_retransmission(void)
{
	struct side client, server;

	pair(&client, &server, false);
	client.drop_first = 2;		/* the first ClientHello and its first resend */
	server.drop_first = 1;		/* the server's first flight */
	CHECK_INT(alto_dtls_start(server.dtls, ALTO_DTLS_ROLE_SERVER), 0);
	CHECK_INT(alto_dtls_start(client.dtls, ALTO_DTLS_ROLE_CLIENT), 0);
	pump(&client, &server, both_connected);
	CHECK(client.connected && server.connected);
	CHECK(client.sent >= 4);
	CHECK(memcmp(client.keys.local, server.keys.remote, ALTO_SRTP_MASTER_LEN) == 0);
	side_clear(&client);
	side_clear(&server);
}

/* The client expects another certificate than the server has: refused, no keys. */
static void test_fingerprint_mismatch(void)
{
	struct side client, server;

	pair(&client, &server, true);
	CHECK_INT(alto_dtls_start(server.dtls, ALTO_DTLS_ROLE_SERVER), 0);
	CHECK_INT(alto_dtls_start(client.dtls, ALTO_DTLS_ROLE_CLIENT), 0);
	pump(&client, &server, any_failed);
	CHECK(!client.connected);
	CHECK(!server.connected);
	CHECK_INT(client.failed, -ECONNREFUSED);
	CHECK(strstr(client.reason, "fingerprint") != NULL);
	/* the server got the client's alert */
	CHECK(server.failed != 0);
	/* nothing more happens after a failure */
	uint8_t junk[13] = { 22, 0xfe, 0xfd };
	CHECK_INT(alto_dtls_receive(client.dtls, junk, sizeof(junk)), 0);
	side_clear(&client);
	side_clear(&server);

	/* and the other way round: the server refuses the client's certificate */
	pair(&client, &server, false);
	struct alto_sdp_fingerprint fp = *alto_dtls_identity_fingerprint(client.identity);
	fp.value[0] ^= 0xff;
	CHECK_INT(alto_dtls_set_remote_fingerprint(server.dtls, &fp), 0);
	CHECK_INT(alto_dtls_start(server.dtls, ALTO_DTLS_ROLE_SERVER), 0);
	CHECK_INT(alto_dtls_start(client.dtls, ALTO_DTLS_ROLE_CLIENT), 0);
	pump(&client, &server, any_failed);
	CHECK_INT(server.failed, -ECONNREFUSED);
	CHECK(!server.connected);
	side_clear(&client);
	side_clear(&server);
}

static void test_bad_input(void)
{
	struct side s;
	side_init(&s, "lonely");
	uint8_t rtp[12] = { 0x80 };
	CHECK_INT(alto_dtls_receive(s.dtls, rtp, sizeof(rtp)), -EINVAL);
	CHECK_INT(alto_dtls_receive(s.dtls, rtp, 0), -EINVAL);
	/* no remote fingerprint yet */
	CHECK_INT(alto_dtls_start(s.dtls, ALTO_DTLS_ROLE_SERVER), -EINVAL);
	struct alto_sdp_fingerprint empty = { 0 };
	CHECK_INT(alto_dtls_set_remote_fingerprint(s.dtls, &empty), -EINVAL);
	CHECK_INT(alto_dtls_set_remote_fingerprint(s.dtls, alto_dtls_identity_fingerprint(s.identity)), 0);
	/* garbage records after start are dropped, not fatal */
	CHECK_INT(alto_dtls_start(s.dtls, ALTO_DTLS_ROLE_SERVER), 0);
	uint8_t garbage[40];
	memset(garbage, 0x17, sizeof(garbage));
	CHECK_INT(alto_dtls_receive(s.dtls, garbage, sizeof(garbage)), 0);
	side_clear(&s);
}

int main(void)
{
	RUN(test_handshake_and_srtp);
	RUN(test_retransmission);
	RUN(test_fingerprint_mismatch);
	RUN(test_bad_input);
	fprintf(stderr, "ok\n");
	return 0;
}
