/* Unit tests: the connect path and when its join request is gzip-compressed.
 *
 * libwebsockets 4.1.6 cuts a request line longer than 2047 characters, so the path may have
 * ALTO_WIRE_PATH_MAX characters at most: the v1 join request must be compressed exactly when
 * the plain encoded path would be longer (whatever the raw size), and a path that is too long
 * even then is refused rather than sent. Every path made here is decoded again as the server
 * does (percent-decoding, base64url, WrappedJoinRequest, gunzip) and compared with the
 * JoinRequest it should carry. */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <zlib.h>

#include "base64url.h"
#include "wire.h"

#define PARAM "?join_request="

/* The JoinRequest bytes a v1 path carries, as the server reads them; *gzip: was it compressed. */
static GBytes *decode_v1_path(const char *path, const char *prefix, bool *gzip)
{
	char *expect_start = g_strconcat(prefix, "/rtc/v1" PARAM, NULL);
	GString *text = g_string_new(NULL);
	Livekit__WrappedJoinRequest *w;
	uint8_t *bytes;
	size_t len;
	GBytes *out;

	g_assert_true(g_str_has_prefix(path, expect_start));
	for (const char *c = path + strlen(expect_start); *c; c++) {
		if (*c == '%') {
			g_assert_true(g_str_has_prefix(c, "%3D"));   /* only padding is encoded */
			g_string_append_c(text, '=');
			c += 2;
		} else {
			g_assert_true(g_ascii_isalnum(*c) || *c == '-' || *c == '_');
			g_string_append_c(text, *c);
		}
	}
	g_assert_cmpint(alto_base64url_decode(text->str, text->len, &bytes, &len), ==, 0);
	w = livekit__wrapped_join_request__unpack(NULL, len, bytes);
	g_assert_nonnull(w);
	*gzip = w->compression == LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP;
	if (!*gzip) {
		g_assert_cmpint(w->compression, ==, LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE);
		out = g_bytes_new(w->join_request.data, w->join_request.len);
	} else {
		/* gunzip (windowBits 15 + 16: gzip only) */
		GByteArray *plain = g_byte_array_new();
		uint8_t chunk[4096];
		z_stream z = { 0 };
		int res;

		g_assert_cmpint(inflateInit2(&z, 15 + 16), ==, Z_OK);
		z.next_in = w->join_request.data;
		z.avail_in = (uInt)w->join_request.len;
		do {
			z.next_out = chunk;
			z.avail_out = sizeof(chunk);
			res = inflate(&z, Z_NO_FLUSH);
			g_assert_true(res == Z_OK || res == Z_STREAM_END);
			g_byte_array_append(plain, chunk, (guint)(sizeof(chunk) - z.avail_out));
		} while (res != Z_STREAM_END);
		g_assert_cmpuint(z.avail_in, ==, 0);
		inflateEnd(&z);
		out = g_byte_array_free_to_bytes(plain);
	}
	livekit__wrapped_join_request__free_unpacked(w, NULL);
	free(bytes);
	g_string_free(text, TRUE);
	g_free(expect_start);
	return out;
}

struct sweep {
	unsigned plain, gzip, too_large;
	bool plain_at_limit;        /* a plain path of exactly ALTO_WIRE_PATH_MAX characters */
	bool gzip_just_over;        /* a gzipped one whose plain path had ALTO_WIRE_PATH_MAX + 1 */
};

/* One path: checks every promise of alto_wire_join_path(). */
static void check_v1(const struct alto_join_params *p, struct sweep *sw)
{
	struct alto_wire_path_info info;
	char *path = (char *)"unset", *log = (char *)"unset";
	GBytes *want = alto_wire_join_request(p);
	int res = alto_wire_join_path(p, &path, &log, &info);

	g_assert_cmpuint(info.join_request_len, ==, g_bytes_get_size(want));
	g_assert_cmpuint(info.plain_path_len, >, info.join_request_len);
	if (res == -EMSGSIZE) {
		/* refused only when even the compressed one is too long */
		g_assert_null(path);
		g_assert_null(log);
		g_assert_true(info.gzip);
		g_assert_cmpuint(info.plain_path_len, >, ALTO_WIRE_PATH_MAX);
		g_assert_cmpuint(info.path_len, >, ALTO_WIRE_PATH_MAX);
		sw->too_large++;
	} else {
		bool gzip;
		GBytes *got;

		g_assert_cmpint(res, ==, 0);
		g_assert_cmpuint(strlen(path), ==, info.path_len);
		g_assert_cmpuint(info.path_len, <=, ALTO_WIRE_PATH_MAX);
		/* the decision: compressed exactly when the plain path does not fit */
		g_assert_cmpint(info.gzip, ==, info.plain_path_len > ALTO_WIRE_PATH_MAX);
		if (!info.gzip)
			g_assert_cmpuint(info.path_len, ==, info.plain_path_len);
		got = decode_v1_path(path, p->prefix, &gzip);
		g_assert_cmpint(gzip, ==, info.gzip);
		g_assert_true(g_bytes_equal(got, want));
		g_bytes_unref(got);
		/* the log names the size, not the content */
		g_assert_nonnull(strstr(log, "["));
		g_assert_cmpint(strstr(log, ", gzip]") != NULL, ==, info.gzip);
		g_assert_null(strstr(log, path + strlen(p->prefix) + strlen("/rtc/v1" PARAM)));
		if (info.gzip) {
			sw->gzip++;
			if (info.plain_path_len == ALTO_WIRE_PATH_MAX + 1)
				sw->gzip_just_over = true;
		} else {
			sw->plain++;
			if (info.plain_path_len == ALTO_WIRE_PATH_MAX)
				sw->plain_at_limit = true;
		}
		g_free(path);
		g_free(log);
	}
	g_bytes_unref(want);
}

/* Metadata of every length from 1000 to 3000 bytes, under four path prefixes (so that the
 * path length hits every value, base64 grows in steps of four): well compressible text. */
static void test_gzip_decision_boundary(void)
{
	static const char *const prefixes[] = { "", "/a", "/ab", "/abc" };
	struct sweep sw = { 0 };
	char *metadata = g_malloc(3001);

	for (unsigned i = 0; i < 3000; i++)
		metadata[i] = "livekit participant metadata "[i % 29];
	for (size_t k = 0; k < G_N_ELEMENTS(prefixes); k++) {
		for (unsigned n = 1000; n <= 3000; n++) {
			struct alto_join_params p = {
				.prefix = prefixes[k], .v1 = true, .auto_subscribe = true,
				.metadata = metadata, .os_version = "6.1.0",
			};
			char save = metadata[n];

			metadata[n] = '\0';
			check_v1(&p, &sw);
			metadata[n] = save;
		}
	}
	g_free(metadata);
	/* both sides of the limit were seen, to the character */
	g_assert_true(sw.plain_at_limit);
	g_assert_true(sw.gzip_just_over);
	g_assert_cmpuint(sw.plain, >, 100);
	g_assert_cmpuint(sw.gzip, >, 100);
	/* this text always fits once compressed */
	g_assert_cmpuint(sw.too_large, ==, 0);
}

/* Random bytes do not compress: past some size the join request cannot be sent at all. */
static void test_incompressible_refused(void)
{
	struct sweep sw = { 0 };
	GRand *rand = g_rand_new_with_seed(7);
	char *metadata = g_malloc(4001);
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (unsigned i = 0; i < 4000; i++)
		metadata[i] = alphabet[g_rand_int_range(rand, 0, 64)];
	for (unsigned n = 1000; n <= 4000; n += 7) {
		struct alto_join_params p = { .prefix = "", .v1 = true, .metadata = metadata };
		char save = metadata[n];

		metadata[n] = '\0';
		check_v1(&p, &sw);
		metadata[n] = save;
	}
	g_assert_cmpuint(sw.plain, >, 0);
	g_assert_cmpuint(sw.gzip, >, 0);      /* compressing still helps a little */
	g_assert_cmpuint(sw.too_large, >, 0);
	g_rand_free(rand);
	g_free(metadata);
}

/* A single-PC offer with receive sections as node/ makes it (the case that used to fail:
 * three sections gave a 1948-byte JoinRequest, a ~2.7 kB path, and endless retries). */
static char *offer_with_sections(unsigned n)
{
	GString *s = g_string_new("v=0\r\no=- 4215775240449105457 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
				  "a=group:BUNDLE");
	for (unsigned i = 0; i < n; i++)
		g_string_append_printf(s, " %u", i);
	g_string_append(s, "\r\na=msid-semantic: WMS\r\n");
	for (unsigned i = 0; i < n; i++) {
		g_string_append_printf(s,
			"m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\nc=IN IP4 0.0.0.0\r\n"
			"a=rtcp:9 IN IP4 0.0.0.0\r\n"
			"a=candidate:1 1 udp 2130706431 127.0.0.1 4%04u typ host\r\n"
			"a=candidate:2 1 udp 2130706175 192.0.2.7 4%04u typ host\r\n"
			"a=end-of-candidates\r\n"
			"a=ice-ufrag:Xq3F\r\na=ice-pwd:b6e0kT0pUK3cJ4yv2cFJ9H1y\r\na=ice-options:trickle\r\n"
			"a=fingerprint:sha-256 3C:4A:01:9B:77:0E:52:A8:9D:1F:60:3B:C2:84:11:E5:"
			"7A:0C:93:4F:D6:28:B1:5E:02:7F:A3:C9:68:14:EE:40\r\n"
			"a=setup:actpass\r\na=mid:%u\r\n"
			"a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
			"a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
			"a=recvonly\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
			"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
			"a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n", i, i, i);
	}
	return g_string_free(s, FALSE);
}

static void test_offer_sections(void)
{
	struct sweep sw = { 0 };

	for (unsigned n = 1; n <= 16; n++) {
		char *sdp = offer_with_sections(n);
		struct alto_join_params p = {
			.prefix = "", .v1 = true, .auto_subscribe = true,
			.offer_sdp = sdp, .offer_id = 1, .os_version = "6.1.0-18-amd64",
		};
		struct alto_wire_path_info info;
		char *path = NULL;
		int res = alto_wire_join_path(&p, &path, NULL, &info);

		if (g_test_verbose())
			g_printerr("%u sections: join request %zu bytes, plain path %zu, sent %zu%s (%d)\n",
				   n, info.join_request_len, info.plain_path_len, info.path_len,
				   info.gzip ? " gzip" : "", res);
		/* sixteen receive sections still fit, compressed */
		g_assert_cmpint(res, ==, 0);
		if (n >= 3)
			g_assert_true(info.gzip);
		g_free(path);
		check_v1(&p, &sw);
		g_free(sdp);
	}
	g_assert_cmpuint(sw.gzip, >=, 14);
}

static void test_legacy(void)
{
	struct alto_wire_path_info info;
	char *path = NULL, *log = NULL;
	char *token = g_strnfill(3000, 'T');
	struct alto_join_params p = { .prefix = "/lk", .v1 = false, .token = token, .auto_subscribe = true };

	/* a usual token: the path carries it, the log does not */
	token[600] = '\0';
	g_assert_cmpint(alto_wire_join_path(&p, &path, &log, &info), ==, 0);
	g_assert_true(g_str_has_prefix(path, "/lk/rtc?access_token=TTTT"));
	g_assert_cmpuint(strlen(path), ==, info.path_len);
	g_assert_false(info.gzip);
	g_assert_null(strstr(log, "TTTT"));
	g_assert_nonnull(strstr(log, "access_token=[redacted]"));
	g_free(path);
	g_free(log);

	/* one that cannot fit: refused, nothing returned */
	token[600] = 'T';
	path = log = (char *)"unset";
	g_assert_cmpint(alto_wire_join_path(&p, &path, &log, &info), ==, -EMSGSIZE);
	g_assert_null(path);
	g_assert_null(log);
	g_assert_cmpuint(info.path_len, >, ALTO_WIRE_PATH_MAX);
	/* and the limit is exact */
	for (size_t n = 1900; n < 2100; n++) {
		token[n] = '\0';
		int res = alto_wire_join_path(&p, &path, NULL, &info);
		g_assert_cmpint(res, ==, info.path_len <= ALTO_WIRE_PATH_MAX ? 0 : -EMSGSIZE);
		if (res == 0)
			g_free(path);
		token[n] = 'T';
	}
	g_free(token);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/wire/gzip-decision-boundary", test_gzip_decision_boundary);
	g_test_add_func("/wire/incompressible-refused", test_incompressible_refused);
	g_test_add_func("/wire/offer-sections", test_offer_sections);
	g_test_add_func("/wire/legacy", test_legacy);
	return g_test_run();
}
