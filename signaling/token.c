/* Minting, decoding and verifying LiveKit access tokens (JWT, HS256). */
#include "alto-token.h"
#include "alto-text.h"
#include "base64url.h"
#include "json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SHA256_LEN 32

static int hs256(const char *secret, const char *data, size_t len, uint8_t mac[SHA256_LEN])
{
	unsigned int mac_len = 0;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)data, len,
		 mac, &mac_len) == NULL || mac_len != SHA256_LEN)
		return -EIO;
	return 0;
}

static void append_member_string(GString *s, const char *key, const char *value)
{
	if (s->str[s->len - 1] != '{')
		g_string_append_c(s, ',');
	alto_text_append_json_string(s, key, (size_t)-1);
	g_string_append_c(s, ':');
	alto_text_append_json_string(s, value, (size_t)-1);
}

static void append_member_raw(GString *s, const char *key, const char *raw)
{
	if (s->str[s->len - 1] != '{')
		g_string_append_c(s, ',');
	alto_text_append_json_string(s, key, (size_t)-1);
	g_string_append_c(s, ':');
	g_string_append(s, raw);
}

int alto_token_mint(const char *api_key, const char *api_secret,
		    const struct alto_token_grants *g, int64_t now,
		    int64_t valid_for, char **token)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	GString *payload, *video, *out;
	char num[32], *h64 = NULL, *p64 = NULL, *s64 = NULL;
	uint8_t mac[SHA256_LEN];
	int res;

	if (api_key == NULL || *api_key == '\0' || api_secret == NULL || *api_secret == '\0' ||
	    g == NULL || g->identity == NULL || *g->identity == '\0' || token == NULL ||
	    valid_for <= 0 || now < 0 || now > INT64_MAX - valid_for)
		return -EINVAL;

	video = g_string_new("{");
	if (g->room)
		append_member_string(video, "room", g->room);
	append_member_raw(video, "roomJoin", g->room_join ? "true" : "false");
	append_member_raw(video, "canPublish", g->can_publish ? "true" : "false");
	append_member_raw(video, "canSubscribe", g->can_subscribe ? "true" : "false");
	append_member_raw(video, "canPublishData", g->can_publish_data ? "true" : "false");
	if (g->hidden)
		append_member_raw(video, "hidden", "true");
	g_string_append_c(video, '}');

	payload = g_string_new("{");
	snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, now + valid_for);
	append_member_raw(payload, "exp", num);
	append_member_string(payload, "iss", api_key);
	snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, now);
	append_member_raw(payload, "nbf", num);
	append_member_raw(payload, "iat", num);
	append_member_string(payload, "sub", g->identity);
	append_member_string(payload, "jti", g->identity);
	if (g->name)
		append_member_string(payload, "name", g->name);
	if (g->metadata)
		append_member_string(payload, "metadata", g->metadata);
	append_member_raw(payload, "video", video->str);
	g_string_append_c(payload, '}');

	res = -ENOMEM;
	h64 = alto_base64url_encode((const uint8_t *)header, strlen(header), false);
	p64 = alto_base64url_encode((const uint8_t *)payload->str, payload->len, false);
	if (h64 == NULL || p64 == NULL)
		goto out;
	out = g_string_new(h64);
	g_string_append_c(out, '.');
	g_string_append(out, p64);
	res = hs256(api_secret, out->str, out->len, mac);
	if (res == 0) {
		res = -ENOMEM;
		s64 = alto_base64url_encode(mac, sizeof(mac), false);
		if (s64) {
			g_string_append_c(out, '.');
			g_string_append(out, s64);
			*token = strdup(out->str);
			res = *token ? 0 : -ENOMEM;
		}
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	g_string_free(out, TRUE);
out:
	free(h64);
	free(p64);
	free(s64);
	g_string_free(payload, TRUE);
	g_string_free(video, TRUE);
	return res;
}

void alto_token_claims_clear(struct alto_token_claims *c)
{
	if (c == NULL)
		return;
	free(c->api_key);
	free(c->identity);
	free(c->name);
	free(c->metadata);
	free(c->room);
	memset(c, 0, sizeof(*c));
}

static char *dup_string(const struct alto_json *obj, const char *key)
{
	const char *s = alto_json_get_string(obj, key);
	return s ? strdup(s) : NULL;
}

static int64_t get_time(const struct alto_json *obj, const char *key)
{
	const struct alto_json *v = alto_json_get(obj, key);

	if (v == NULL || v->type != ALTO_JSON_NUMBER || !isfinite(v->number) ||
	    v->number < 0 || v->number > 1e15)
		return 0;
	return (int64_t)v->number;
}

/* An absent or null grant means allowed; anything but true otherwise denies. */
static bool get_grant(const struct alto_json *video, const char *key, bool absent)
{
	const struct alto_json *v = alto_json_get(video, key);

	if (v == NULL || v->type == ALTO_JSON_NULL)
		return absent;
	return v->type == ALTO_JSON_BOOL && v->boolean;
}

/* Splits a compact JWT into its three segments. */
static int split(const char *token, const char **dot1, const char **dot2)
{
	if (token == NULL)
		return -EBADMSG;
	*dot1 = strchr(token, '.');
	if (*dot1 == NULL)
		return -EBADMSG;
	*dot2 = strchr(*dot1 + 1, '.');
	if (*dot2 == NULL || strchr(*dot2 + 1, '.') != NULL)
		return -EBADMSG;
	return 0;
}

static struct alto_json *decode_segment(const char *s, size_t len)
{
	struct alto_json *v;
	uint8_t *raw;
	size_t raw_len;

	if (alto_base64url_decode(s, len, &raw, &raw_len) < 0)
		return NULL;
	v = alto_json_parse((const char *)raw, raw_len);
	free(raw);
	if (v && v->type != ALTO_JSON_OBJECT) {
		alto_json_free(v);
		v = NULL;
	}
	return v;
}

static int decode(const char *token, struct alto_token_claims *c, bool *hs256_alg)
{
	const char *dot1, *dot2, *alg;
	struct alto_json *header, *payload;
	const struct alto_json *video;
	int res;

	if ((res = split(token, &dot1, &dot2)) < 0)
		return res;
	header = decode_segment(token, (size_t)(dot1 - token));
	if (header == NULL)
		return -EBADMSG;
	alg = alto_json_get_string(header, "alg");
	*hs256_alg = alg && strcmp(alg, "HS256") == 0;
	alto_json_free(header);

	payload = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (payload == NULL)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	c->api_key = dup_string(payload, "iss");
	c->identity = dup_string(payload, "sub");
	c->name = dup_string(payload, "name");
	c->metadata = dup_string(payload, "metadata");
	c->exp = get_time(payload, "exp");
	c->nbf = get_time(payload, "nbf");
	c->iat = get_time(payload, "iat");
	video = alto_json_get(payload, "video");
	if (video && video->type == ALTO_JSON_OBJECT) {
		const char *room = alto_json_get_string(video, "room");
		c->has_video = true;
		c->room = room && *room ? strdup(room) : NULL;
		c->room_join = get_grant(video, "roomJoin", false);
		c->can_publish = get_grant(video, "canPublish", true);
		c->can_subscribe = get_grant(video, "canSubscribe", true);
		c->can_publish_data = get_grant(video, "canPublishData", true);
		c->hidden = get_grant(video, "hidden", false);
	}
	alto_json_free(payload);
	return 0;
}

int alto_token_decode(const char *token, struct alto_token_claims *claims)
{
	bool hs;

	if (claims == NULL)
		return -EINVAL;
	return decode(token, claims, &hs);
}

int alto_token_verify(const char *token, const char *api_secret, int64_t now,
		      struct alto_token_claims *claims)
{
	struct alto_token_claims c;
	const char *dot1, *dot2;
	uint8_t mac[SHA256_LEN], *sig = NULL;
	size_t sig_len = 0;
	bool hs;
	int res;

	if (api_secret == NULL)
		return -EINVAL;
	if ((res = split(token, &dot1, &dot2)) < 0)
		return res;
	if ((res = decode(token, &c, &hs)) < 0)
		return res;
	res = -EACCES;
	if (!hs)
		goto out;
	if (alto_base64url_decode(dot2 + 1, strlen(dot2 + 1), &sig, &sig_len) < 0) {
		res = -EBADMSG;
		goto out;
	}
	if (hs256(api_secret, token, (size_t)(dot2 - token), mac) < 0 ||
	    sig_len != SHA256_LEN || CRYPTO_memcmp(mac, sig, SHA256_LEN) != 0)
		goto out;
	res = -EKEYEXPIRED;
	if (c.exp == 0 || c.exp + ALTO_TOKEN_LEEWAY_S < now)
		goto out;
	res = -EKEYREJECTED;
	if (c.nbf > now + ALTO_TOKEN_LEEWAY_S || c.iat > now + ALTO_TOKEN_LEEWAY_S)
		goto out;
	res = 0;
out:
	free(sig);
	OPENSSL_cleanse(mac, sizeof(mac));
	if (res == 0 && claims)
		*claims = c;
	else
		alto_token_claims_clear(&c);
	return res;
}

char *alto_token_redact(const char *token)
{
	char *s = NULL;

	if (asprintf(&s, "[token redacted, %zu bytes]", token ? strlen(token) : (size_t)0) < 0)
		return NULL;
	return s;
}

int alto_token_parse_duration(const char *text, int64_t *seconds)
{
	const char *p = text;
	int64_t total = 0;

	if (text == NULL || *text == '\0' || seconds == NULL)
		return -EINVAL;
	while (*p) {
		int64_t n = 0, unit;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		while (*p >= '0' && *p <= '9') {
			if (n > (INT64_MAX - 9) / 10)
				return -EINVAL;
			n = n * 10 + (*p++ - '0');
		}
		switch (*p) {
		case '\0':
			/* a bare number: seconds, but only as the whole text */
			if (p - text != (ptrdiff_t)strlen(text) || total != 0)
				return -EINVAL;
			unit = 1;
			break;
		case 's': unit = 1; p++; break;
		case 'm': unit = 60; p++; break;
		case 'h': unit = 3600; p++; break;
		case 'd': unit = 86400; p++; break;
		default:
			return -EINVAL;
		}
		if (n > (INT64_MAX - total) / unit)
			return -EINVAL;
		total += n * unit;
	}
	if (total <= 0)
		return -EINVAL;
	*seconds = total;
	return 0;
}
