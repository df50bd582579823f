/* Encoding SignalRequests and the connect path. */
#include "wire.h"
#include "base64url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

GBytes *alto_wire_pack_request(const Livekit__SignalRequest *req)
{
	size_t len = livekit__signal_request__get_packed_size(req);
	uint8_t *buf = g_malloc(len ? len : 1);

	livekit__signal_request__pack(req, buf);
	return g_bytes_new_take(buf, len);
}

GBytes *alto_wire_gzip(const uint8_t *data, size_t len)
{
	z_stream z;
	uLong bound;
	uint8_t *out;
	int res;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's */
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&z, (uLong)len) + 32;
	out = g_malloc(bound);
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)bound;
	res = deflate(&z, Z_FINISH);
	if (res != Z_STREAM_END) {
		deflateEnd(&z);
		g_free(out);
		return NULL;
	}
	len = z.total_out;
	deflateEnd(&z);
	return g_bytes_new_take(out, len);
}

GBytes *alto_wire_join_request(const struct alto_join_params *p)
{
	Livekit__ClientInfo ci = LIVEKIT__CLIENT_INFO__INIT;
	Livekit__ConnectionSettings cs = LIVEKIT__CONNECTION_SETTINGS__INIT;
	Livekit__JoinRequest jr = LIVEKIT__JOIN_REQUEST__INIT;
	Livekit__SessionDescription offer = LIVEKIT__SESSION_DESCRIPTION__INIT;
	size_t len;
	uint8_t *buf;

	ci.sdk = LIVEKIT__CLIENT_INFO__SDK__UNKNOWN;
	ci.version = (char *)ALTO_SIGNALING_VERSION;
	ci.protocol = ALTO_CLIENT_PROTOCOL;
	ci.os = (char *)"linux";
	ci.os_version = (char *)(p->os_version ? p->os_version : "");
	cs.auto_subscribe = p->auto_subscribe;
	jr.client_info = &ci;
	jr.connection_settings = &cs;
	if (p->metadata)
		jr.metadata = (char *)p->metadata;
	if (p->reconnect) {
		jr.reconnect = true;
		jr.reconnect_reason = (Livekit__ReconnectReason)p->reconnect_reason;
		jr.participant_sid = (char *)(p->participant_sid ? p->participant_sid : "");
	} else if (p->offer_sdp) {
		offer.type = (char *)"offer";
		offer.sdp = (char *)p->offer_sdp;
		offer.id = p->offer_id;
		jr.publisher_offer = &offer;
	}
	len = livekit__join_request__get_packed_size(&jr);
	buf = g_malloc(len ? len : 1);
	livekit__join_request__pack(&jr, buf);
	return g_bytes_new_take(buf, len);
}

/* Percent-encodes everything outside RFC 3986's unreserved set. */
static void append_encoded(GString *s, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *c = (const unsigned char *)v; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    *c == '-' || *c == '_' || *c == '.' || *c == '~') {
			g_string_append_c(s, (char)*c);
		} else {
			g_string_append_c(s, '%');
			g_string_append_c(s, hex[*c >> 4]);
			g_string_append_c(s, hex[*c & 15]);
		}
	}
}

static void append_param(GString *path, GString *log, const char *key, const char *value, const char *log_value)
{
	char sep = strchr(path->str, '?') ? '&' : '?';

	g_string_append_printf(path, "%c%s=", sep, key);
	append_encoded(path, value);
	if (log) {
		g_string_append_printf(log, "%c%s=", sep, key);
		if (log_value)
			g_string_append(log, log_value);
		else
			append_encoded(log, value);
	}
}

/* The padded base64url of WrappedJoinRequest{compression, join_request}; free(). NULL when
 * out of memory. */
static char *wrapped_base64(Livekit__WrappedJoinRequest__Compression compression,
			    const uint8_t *data, size_t len)
{
	Livekit__WrappedJoinRequest w = LIVEKIT__WRAPPED_JOIN_REQUEST__INIT;
	size_t w_len;
	uint8_t *wbuf;
	char *b64;

	w.compression = compression;
	w.join_request.data = (uint8_t *)data;
	w.join_request.len = len;
	w_len = livekit__wrapped_join_request__get_packed_size(&w);
	wbuf = g_malloc(w_len ? w_len : 1);
	livekit__wrapped_join_request__pack(&w, wbuf);
	b64 = alto_base64url_encode(wbuf, w_len, true);
	g_free(wbuf);
	return b64;
}

/* {prefix}/rtc/v1?join_request=<b64, '=' as %3D>; with @log_path also the log form, where
 * the join request reads @note. */
static char *v1_path_with(const struct alto_join_params *p, const char *b64, const char *note,
			  char **log_path)
{
	GString *path = g_string_new(p->prefix ? p->prefix : ""), *log;

	g_string_append(path, "/rtc/v1");
	log = log_path ? g_string_new(path->str) : NULL;
	append_param(path, log, "join_request", b64, note);
	if (log_path)
		*log_path = g_string_free(log, FALSE);
	return g_string_free(path, FALSE);
}

static int v1_path(const struct alto_join_params *p, char **out, char **log_path,
		   struct alto_wire_path_info *info)
{
	GBytes *jr = alto_wire_join_request(p), *gz = NULL;
	const uint8_t *data;
	size_t len;
	char *b64, *path = NULL, note[64];
	int res = 0;

	data = g_bytes_get_data(jr, &len);
	info->join_request_len = len;
	/* what counts is the encoded length: base64 grows it by a third, padding by "%3D"s */
	if ((b64 = wrapped_base64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE, data, len)) == NULL)
		goto nomem;
	path = v1_path_with(p, b64, NULL, NULL);
	info->plain_path_len = info->path_len = strlen(path);
	if (info->plain_path_len > ALTO_WIRE_PATH_MAX) {
		g_free(path);
		path = NULL;
		free(b64);
		b64 = NULL;
		info->gzip = true;
		if ((gz = alto_wire_gzip(data, len)) == NULL)
			goto nomem;
		data = g_bytes_get_data(gz, &len);
		if ((b64 = wrapped_base64(LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP, data, len)) == NULL)
			goto nomem;
		path = v1_path_with(p, b64, NULL, NULL);
		info->path_len = strlen(path);
		if (info->path_len > ALTO_WIRE_PATH_MAX) {
			res = -EMSGSIZE;
			goto done;
		}
	}
	snprintf(note, sizeof(note), "[%zu bytes%s]", info->join_request_len, info->gzip ? ", gzip" : "");
	if (log_path) {
		g_free(path);
		path = v1_path_with(p, b64, note, log_path);
	}
	*out = path;
	path = NULL;
	goto done;

nomem:
	res = -ENOMEM;
done:
	g_free(path);
	free(b64);
	if (gz)
		g_bytes_unref(gz);
	g_bytes_unref(jr);
	return res;
}

static char *legacy_path(const struct alto_join_params *p, char **log_path)
{
	GString *path = g_string_new(p->prefix ? p->prefix : ""), *log;
	char num[16];

	g_string_append(path, "/rtc");
	log = log_path ? g_string_new(path->str) : NULL;
	append_param(path, log, "access_token", p->token ? p->token : "", "[redacted]");
	append_param(path, log, "auto_subscribe", p->auto_subscribe ? "1" : "0", NULL);
	append_param(path, log, "adaptive_stream", "0", NULL);
	snprintf(num, sizeof(num), "%d", ALTO_CLIENT_PROTOCOL);
	append_param(path, log, "protocol", num, NULL);
	append_param(path, log, "version", ALTO_SIGNALING_VERSION, NULL);
	append_param(path, log, "os", "linux", NULL);
	if (p->os_version)
		append_param(path, log, "os_version", p->os_version, NULL);
	if (p->reconnect) {
		append_param(path, log, "reconnect", "1", NULL);
		append_param(path, log, "sid", p->participant_sid ? p->participant_sid : "", NULL);
		snprintf(num, sizeof(num), "%d", p->reconnect_reason);
		append_param(path, log, "reconnect_reason", num, NULL);
	}
	if (log_path)
		*log_path = g_string_free(log, FALSE);
	return g_string_free(path, FALSE);
}

int alto_wire_join_path(const struct alto_join_params *p, char **path, char **log_path,
			struct alto_wire_path_info *info)
{
	struct alto_wire_path_info scratch;
	char *legacy;

	if (info == NULL)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	*path = NULL;
	if (log_path)
		*log_path = NULL;
	if (p->v1)
		return v1_path(p, path, log_path, info);

	/* legacy: the access token is in the query, nothing can be compressed */
	legacy = legacy_path(p, log_path);
	info->plain_path_len = info->path_len = strlen(legacy);
	if (info->path_len > ALTO_WIRE_PATH_MAX) {
		memset(legacy, 0, info->path_len);   /* it holds the token */
		g_free(legacy);
		if (log_path) {
			g_free(*log_path);
			*log_path = NULL;
		}
		return -EMSGSIZE;
	}
	*path = legacy;
	return 0;
}
