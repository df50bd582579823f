/* Encoding SignalRequests and the connect path. */
#include "wire.h"
#include "base64url.h"

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

static char *v1_path(const struct alto_join_params *p, char **log_path)
{
	Livekit__WrappedJoinRequest w = LIVEKIT__WRAPPED_JOIN_REQUEST__INIT;
	GBytes *jr = alto_wire_join_request(p), *gz = NULL;
	GString *path, *log;
	size_t jr_len, w_len;
	uint8_t *wbuf;
	char *b64, note[64];

	jr_len = g_bytes_get_size(jr);
	w.compression = LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE;
	w.join_request.data = (uint8_t *)g_bytes_get_data(jr, NULL);
	w.join_request.len = jr_len;
	if (jr_len > ALTO_WIRE_GZIP_ABOVE && (gz = alto_wire_gzip(w.join_request.data, jr_len)) != NULL) {
		w.compression = LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP;
		w.join_request.data = (uint8_t *)g_bytes_get_data(gz, &w.join_request.len);
	}
	w_len = livekit__wrapped_join_request__get_packed_size(&w);
	wbuf = g_malloc(w_len ? w_len : 1);
	livekit__wrapped_join_request__pack(&w, wbuf);
	b64 = alto_base64url_encode(wbuf, w_len, true);
	g_free(wbuf);
	if (gz)
		g_bytes_unref(gz);
	g_bytes_unref(jr);
	if (b64 == NULL)
		return NULL;

	path = g_string_new(p->prefix ? p->prefix : "");
	g_string_append(path, "/rtc/v1");
	log = log_path ? g_string_new(path->str) : NULL;
	snprintf(note, sizeof(note), "[%zu bytes%s]", jr_len,
		 w.compression == LIVEKIT__WRAPPED_JOIN_REQUEST__COMPRESSION__GZIP ? ", gzip" : "");
	append_param(path, log, "join_request", b64, note);
	free(b64);
	if (log_path)
		*log_path = g_string_free(log, FALSE);
	return g_string_free(path, FALSE);
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

char *alto_wire_join_path(const struct alto_join_params *p, char **log_path)
{
	if (log_path)
		*log_path = NULL;
	return p->v1 ? v1_path(p, log_path) : legacy_path(p, log_path);
}
