/* Unit tests: base64url, access token minting/decoding/verifying, durations. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "alto-token.h"
#include "base64url.h"

/* Computed independently (Python hmac/hashlib over the same header and payload text). */
static const char python_vector[] =
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	"eyJleHAiOjE3MDAwMDM2MDAsImlzcyI6ImRldmtleSIsIm5iZiI6MTcwMDAwMDAwMCwiaWF0IjoxNzAwMDAwMDAw"
	"LCJzdWIiOiJhbGljZSIsImp0aSI6ImFsaWNlIiwibmFtZSI6IkFsaWNlIFwiQVwiIMOpIiwidmlkZW8iOnsicm9v"
	"bSI6InJvb20xIiwicm9vbUpvaW4iOnRydWUsImNhblB1Ymxpc2giOnRydWUsImNhblN1YnNjcmliZSI6dHJ1ZSwi"
	"Y2FuUHVibGlzaERhdGEiOmZhbHNlfX0."
	"97mCq962aj29aBBdkIRK7vlYMw95szrjmYD3r1HSArI";

/* Minted by jose (the dev server's JWT library): key APIkey, secret s3cr3t-s3cr3t-s3cr3t,
 * sub bob, name Bob, video {room r2, roomJoin true, canPublish false}, nbf/iat 1700000000,
 * exp 1700000600. */
static const char jose_vector[] =
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
	"eyJ2aWRlbyI6eyJyb29tIjoicjIiLCJyb29tSm9pbiI6dHJ1ZSwiY2FuUHVibGlzaCI6ZmFsc2V9LCJuYW1lIjoi"
	"Qm9iIiwiaXNzIjoiQVBJa2V5Iiwic3ViIjoiYm9iIiwibmJmIjoxNzAwMDAwMDAwLCJpYXQiOjE3MDAwMDAwMDAs"
	"ImV4cCI6MTcwMDAwMDYwMH0."
	"6hJ2zJtAuMCUtKu8ygQ-3C3dfkjSUfhggrAuHqgkqyk";

static void test_base64url_vectors(void)
{
	/* RFC 4648 §10 test vectors, in the URL-safe alphabet */
	static const struct { const char *in, *padded, *bare; } v[] = {
		{ "", "", "" },
		{ "f", "Zg==", "Zg" },
		{ "fo", "Zm8=", "Zm8" },
		{ "foo", "Zm9v", "Zm9v" },
		{ "foob", "Zm9vYg==", "Zm9vYg" },
		{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		char *p = alto_base64url_encode((const uint8_t *)v[i].in, strlen(v[i].in), true);
		char *b = alto_base64url_encode((const uint8_t *)v[i].in, strlen(v[i].in), false);
		uint8_t *d;
		size_t n;
		g_assert_cmpstr(p, ==, v[i].padded);
		g_assert_cmpstr(b, ==, v[i].bare);
		g_assert_cmpint(alto_base64url_decode(p, strlen(p), &d, &n), ==, 0);
		g_assert_cmpmem(d, n, v[i].in, strlen(v[i].in));
		free(d);
		g_assert_cmpint(alto_base64url_decode(b, strlen(b), &d, &n), ==, 0);
		g_assert_cmpmem(d, n, v[i].in, strlen(v[i].in));
		free(d);
		free(p);
		free(b);
	}
}

static void test_base64url_alphabet(void)
{
	static const uint8_t bytes[] = { 0xfb, 0xff, 0xbf };
	char *s = alto_base64url_encode(bytes, sizeof(bytes), false);
	uint8_t *d;
	size_t n;

	g_assert_cmpstr(s, ==, "-_-_");
	free(s);
	/* standard base64 characters, stray padding, impossible lengths, non-zero tail bits */
	g_assert_cmpint(alto_base64url_decode("+/+/", 4, &d, &n), ==, -EINVAL);
	g_assert_cmpint(alto_base64url_decode("Zg=", 3, &d, &n), ==, -EINVAL);
	g_assert_cmpint(alto_base64url_decode("Z", 1, &d, &n), ==, -EINVAL);
	g_assert_cmpint(alto_base64url_decode("Zh", 2, &d, &n), ==, -EINVAL);
	g_assert_cmpint(alto_base64url_decode("Zg===", 5, &d, &n), ==, -EINVAL);
	g_assert_cmpint(alto_base64url_decode("Z g", 3, &d, &n), ==, -EINVAL);
}

static void test_base64url_roundtrip(void)
{
	uint8_t buf[300];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof(buf); len += 13) {
		for (int pad = 0; pad < 2; pad++) {
			char *s = alto_base64url_encode(buf, len, pad);
			uint8_t *d;
			size_t n;
			g_assert_nonnull(s);
			g_assert_cmpint(alto_base64url_decode(s, strlen(s), &d, &n), ==, 0);
			g_assert_cmpmem(d, n, buf, len);
			free(d);
			free(s);
		}
	}
}

static void test_mint_known_vector(void)
{
	struct alto_token_grants g = {
		.identity = "alice",
		.name = "Alice \"A\" \xc3\xa9",
		.room = "room1",
		.room_join = true,
		.can_publish = true,
		.can_subscribe = true,
		.can_publish_data = false,
	};
	char *token = NULL;

	g_assert_cmpint(alto_token_mint("devkey", "secret", &g, 1700000000, 3600, &token), ==, 0);
	g_assert_cmpstr(token, ==, python_vector);
	free(token);
}

static void test_verify_roundtrip(void)
{
	struct alto_token_grants g = {
		.identity = "id\n\"with\" \\ controls \x01",
		.name = "\xf0\x9f\x8e\xb5 name",
		.metadata = "{\"k\":1}",
		.room = "r",
		.room_join = true,
		.can_subscribe = true,
		.hidden = true,
	};
	struct alto_token_claims c;
	char *token = NULL;

	g_assert_cmpint(alto_token_mint("k", "sec", &g, 1000, 60, &token), ==, 0);
	g_assert_cmpint(alto_token_verify(token, "sec", 1030, &c), ==, 0);
	g_assert_cmpstr(c.api_key, ==, "k");
	g_assert_cmpstr(c.identity, ==, g.identity);
	g_assert_cmpstr(c.name, ==, g.name);
	g_assert_cmpstr(c.metadata, ==, g.metadata);
	g_assert_cmpstr(c.room, ==, "r");
	g_assert_cmpint(c.exp, ==, 1060);
	g_assert_cmpint(c.nbf, ==, 1000);
	g_assert_true(c.room_join);
	g_assert_false(c.can_publish);
	g_assert_true(c.can_subscribe);
	g_assert_false(c.can_publish_data);
	g_assert_true(c.hidden);
	alto_token_claims_clear(&c);

	/* time window with the 60 s leeway */
	g_assert_cmpint(alto_token_verify(token, "sec", 1060 + 60, NULL), ==, 0);
	g_assert_cmpint(alto_token_verify(token, "sec", 1060 + 61, NULL), ==, -EKEYEXPIRED);
	g_assert_cmpint(alto_token_verify(token, "sec", 1000 - 60, NULL), ==, 0);
	g_assert_cmpint(alto_token_verify(token, "sec", 1000 - 61, NULL), ==, -EKEYREJECTED);
	/* wrong secret, tampered payload */
	g_assert_cmpint(alto_token_verify(token, "sec2", 1030, NULL), ==, -EACCES);
	char *dot = strchr(token, '.');
	dot[3] = dot[3] == 'A' ? 'B' : 'A';
	g_assert_cmpint(alto_token_verify(token, "sec", 1030, NULL), <, 0);
	free(token);
}

static void test_verify_jose_vector(void)
{
	struct alto_token_claims c;

	g_assert_cmpint(alto_token_verify(jose_vector, "s3cr3t-s3cr3t-s3cr3t", 1700000100, &c), ==, 0);
	g_assert_cmpstr(c.api_key, ==, "APIkey");
	g_assert_cmpstr(c.identity, ==, "bob");
	g_assert_cmpstr(c.name, ==, "Bob");
	g_assert_cmpstr(c.room, ==, "r2");
	g_assert_null(c.metadata);
	g_assert_true(c.room_join);
	g_assert_false(c.can_publish);
	/* absent grants mean allowed */
	g_assert_true(c.can_subscribe);
	g_assert_true(c.can_publish_data);
	alto_token_claims_clear(&c);
	g_assert_cmpint(alto_token_verify(jose_vector, "secret", 1700000100, NULL), ==, -EACCES);

	/* decoding needs no secret */
	g_assert_cmpint(alto_token_decode(jose_vector, &c), ==, 0);
	g_assert_cmpstr(c.identity, ==, "bob");
	alto_token_claims_clear(&c);
}

static void test_malformed(void)
{
	static const char *bad[] = {
		"", "abc", "a.b", "a.b.c.d", "..", "e30.e30.", "e30.!!!.", "W10.e30.AAAA",
		/* {"alg":"none"} . {} . (empty signature) */
		"eyJhbGciOiJub25lIn0.e30.",
	};
	struct alto_token_claims c;

	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		int r = alto_token_verify(bad[i], "secret", 0, &c);
		g_assert_cmpint(r, <, 0);
	}
	g_assert_cmpint(alto_token_verify("eyJhbGciOiJub25lIn0.e30.", "secret", 0, NULL), ==, -EACCES);
	g_assert_cmpint(alto_token_decode("a.b", &c), ==, -EBADMSG);
	g_assert_cmpint(alto_token_decode(NULL, &c), ==, -EBADMSG);
}

static void test_mint_refuses(void)
{
	struct alto_token_grants g = { .identity = "" };
	char *t = NULL;

	g_assert_cmpint(alto_token_mint("k", "s", &g, 0, 60, &t), ==, -EINVAL);
	g.identity = "x";
	g_assert_cmpint(alto_token_mint("", "s", &g, 0, 60, &t), ==, -EINVAL);
	g_assert_cmpint(alto_token_mint("k", NULL, &g, 0, 60, &t), ==, -EINVAL);
	g_assert_cmpint(alto_token_mint("k", "s", &g, 0, 0, &t), ==, -EINVAL);
	g_assert_null(t);
}

static void test_redact(void)
{
	char *r = alto_token_redact(python_vector);
	g_assert_null(strstr(r, "eyJ"));
	g_assert_nonnull(strstr(r, "redacted"));
	free(r);
}

static void test_duration(void)
{
	int64_t s;

	g_assert_cmpint(alto_token_parse_duration("6h", &s), ==, 0);
	g_assert_cmpint(s, ==, 6 * 3600);
	g_assert_cmpint(alto_token_parse_duration("1h30m", &s), ==, 0);
	g_assert_cmpint(s, ==, 5400);
	g_assert_cmpint(alto_token_parse_duration("90s", &s), ==, 0);
	g_assert_cmpint(s, ==, 90);
	g_assert_cmpint(alto_token_parse_duration("2d", &s), ==, 0);
	g_assert_cmpint(s, ==, 172800);
	g_assert_cmpint(alto_token_parse_duration("600", &s), ==, 0);
	g_assert_cmpint(s, ==, 600);
	static const char *bad[] = { "", "h", "0s", "-5m", "5x", "1h30", "5 m", "99999999999999999999h" };
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_cmpint(alto_token_parse_duration(bad[i], &s), ==, -EINVAL);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/base64url/vectors", test_base64url_vectors);
	g_test_add_func("/base64url/alphabet", test_base64url_alphabet);
	g_test_add_func("/base64url/roundtrip", test_base64url_roundtrip);
	g_test_add_func("/token/mint-known-vector", test_mint_known_vector);
	g_test_add_func("/token/verify-roundtrip", test_verify_roundtrip);
	g_test_add_func("/token/verify-jose-vector", test_verify_jose_vector);
	g_test_add_func("/token/malformed", test_malformed);
	g_test_add_func("/token/mint-refuses", test_mint_refuses);
	g_test_add_func("/token/redact", test_redact);
	g_test_add_func("/token/duration", test_duration);
	return g_test_run();
}
