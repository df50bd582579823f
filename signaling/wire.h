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

/* JoinRequests larger than this are gzip-compressed in the v1 URL. */
#define ALTO_WIRE_GZIP_ABOVE 2048

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

/* The request path (with query) to connect with; *log_path (may be NULL)
 * receives the same path with the token and join request elided, for logs.
 * Both newly allocated (g_free). NULL when out of memory. */
char *alto_wire_join_path(const struct alto_join_params *params, char **log_path);

/* The serialised JoinRequest a v1 path carries (for tests); g_bytes_unref. */
GBytes *alto_wire_join_request(const struct alto_join_params *params);

/* A serialised SignalRequest. */
GBytes *alto_wire_pack_request(const Livekit__SignalRequest *req);

/* gzip (RFC 1952) of data; NULL on failure. */
GBytes *alto_wire_gzip(const uint8_t *data, size_t len);

#endif
