/* Encoding what the client sends: SignalRequest frames and the connect path
 * (/rtc/v1?join_request=... or legacy /rtc?access_token=...).
 *
 * Thread: any; pure functions. Internal to signaling/. */
#ifndef ALTO_SIGNALING_WIRE_H
#define ALTO_SIGNALING_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "livekit.pb-c.h"

#define ALTO_CLIENT_PROTOCOL 17
#define ALTO_SIGNALING_VERSION "0.1.0"

/* The longest request path (with query) that gets through. libwebsockets 4.1.6 writes the
 * client's request line with lws_snprintf(p, 2048, "%s %s HTTP/1.1\r\n", "GET", path)
 * (client-handshake.c): 2047 characters at most, so a path over 2047 - 4 - 11 = 2032 is cut,
 * the request has no line end, the server never answers it and lws reports "read failed".
 * The v1 join request is gzip-compressed when the plain one would be longer than this; a path
 * that is still longer is refused (-EMSGSIZE), never sent. */
#define ALTO_WIRE_PATH_MAX (2047 - 4 - 11)

struct alto_join_params {
	const char *prefix;          /* URL path prefix, "" for none */
	bool v1;                     /* /rtc/v1 with a WrappedJoinRequest, else legacy /rtc */
	const char *token;           /* legacy: goes into access_token (v1: header only) */
	bool auto_subscribe;
	const char *metadata;        /* NULL: none */
	bool reconnect;              /* a resume */
	const char *participant_sid; /* with reconnect */
	int reconnect_reason;
	const char *offer_sdp;       /* v1 full join: JoinRequest.publisher_offer, NULL: none */
	uint32_t offer_id;
	const char *os_version;      /* NULL: none */
};

/* What alto_wire_join_path() measured (for logs, error messages and tests). */
struct alto_wire_path_info {
	size_t join_request_len;     /* v1: the serialised JoinRequest, bytes */
	size_t plain_path_len;       /* the path with the JoinRequest uncompressed (legacy: the path) */
	size_t path_len;             /* the path chosen: plain, or with the JoinRequest gzipped */
	bool gzip;                   /* v1: the JoinRequest is gzip-compressed */
};

/* The request path (with query) to connect with, in *path; *log_path (may be NULL) receives
 * the same path with the token and join request elided, for logs. Both newly allocated
 * (g_free). *info (may be NULL) says what was measured, also on -EMSGSIZE.
 * v1: the WrappedJoinRequest is gzip-compressed exactly when the plain path would be longer
 * than ALTO_WIRE_PATH_MAX (the encoded length counts, not the raw one).
 * Returns 0, -EMSGSIZE (the path would still be longer than ALTO_WIRE_PATH_MAX: nothing
 * is allocated) or -ENOMEM. */
int alto_wire_join_path(const struct alto_join_params *params, char **path, char **log_path,
			struct alto_wire_path_info *info);

/* The serialised JoinRequest a v1 path carries (for tests); g_bytes_unref. */
GBytes *alto_wire_join_request(const struct alto_join_params *params);

/* A serialised SignalRequest. */
GBytes *alto_wire_pack_request(const Livekit__SignalRequest *req);

/* gzip (RFC 1952) of data; NULL on failure. */
GBytes *alto_wire_gzip(const uint8_t *data, size_t len);

#endif
