/* alto rtc/transport: ICE for one peer connection (libnice, RFC 5245/8445 with trickle).
 *
 * One stream with one component: everything is BUNDLEd and RTCP is muxed. Host candidates
 * only on the given addresses (default: 127.0.0.1 and this machine's IPv4 interface
 * addresses), server-reflexive from the first STUN server, relayed from TURN servers
 * (turn: over UDP or TCP, turns: over TLS); force_relay keeps only relayed candidates. Server
 * host names are resolved asynchronously and gathering waits for them. Remote candidates that
 * come before the remote credentials are queued.
 *
 * Thread: the agent lives on the GMainContext passed in; call everything and get every event
 * on the thread iterating it. Events fire from that context's dispatch, or from inside
 * alto_ice_gather(); a handler must not destroy the alto_ice.
 */
#ifndef ALTO_RTC_TRANSPORT_ICE_H
#define ALTO_RTC_TRANSPORT_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#ifdef __cplusplus
extern "C" {
#endif

enum alto_ice_server_type {
	ALTO_ICE_SERVER_STUN,
	ALTO_ICE_SERVER_TURN_UDP,
	ALTO_ICE_SERVER_TURN_TCP,
	ALTO_ICE_SERVER_TURN_TLS,
};

struct alto_ice_server {
	enum alto_ice_server_type type;
	char host[256];			/* name or address literal (no brackets) */
	uint16_t port;
	char username[256];
	char credential[256];
};

/* "stun:host[:port]", "turn:host[:port][?transport=udp|tcp]", "turns:host[:port][?transport=tcp]"
 * (RFC 7064/7065; IPv6 literals in brackets). 0, -EINVAL, -ENOTSUP (another scheme/transport),
 * -ENOSPC (a field too long). */
int alto_ice_server_parse(const char *url, const char *username, const char *credential,
		struct alto_ice_server *server);

enum alto_ice_state {
	ALTO_ICE_STATE_NEW,
	ALTO_ICE_STATE_GATHERING,
	ALTO_ICE_STATE_CHECKING,
	ALTO_ICE_STATE_CONNECTED,
	ALTO_ICE_STATE_FAILED,
};

const char *alto_ice_state_name(enum alto_ice_state state);

struct alto_ice_config {
	const struct alto_ice_server *servers;
	size_t n_servers;
	bool force_relay;		/* relayed candidates only */
	bool ice_tcp;			/* also ICE-TCP host candidates (RFC 6544) */
	/* Host candidate addresses; NULL: 127.0.0.1 and every IPv4 interface address. */
	const char *const *local_addresses;
	size_t n_local_addresses;
};

struct alto_ice_events {
#define ALTO_ICE_EVENTS_VERSION 0
	uint32_t version;
	/* a new local candidate, "candidate:..." */
	void (*local_candidate)(void *data, const char *candidate);
	void (*gathering_done)(void *data);
	void (*state_changed)(void *data, enum alto_ice_state state);
	/* a datagram that is not STUN (DTLS, SRTP, SRTCP) */
	void (*receive)(void *data, const uint8_t *buf, size_t len);
};

struct alto_ice;

/* NULL on failure (errno set). */
struct alto_ice *alto_ice_new(GMainContext *context, const struct alto_ice_config *config,
		const struct alto_ice_events *events, void *data);
void alto_ice_destroy(struct alto_ice *ice);

int alto_ice_set_controlling(struct alto_ice *ice, bool controlling);
bool alto_ice_is_controlling(const struct alto_ice *ice);

/* Start gathering (once; later calls do nothing). 0 or -EIO. */
int alto_ice_gather(struct alto_ice *ice);
bool alto_ice_gathering_done(const struct alto_ice *ice);

/* Local credentials, valid until the next restart. */
const char *alto_ice_local_ufrag(const struct alto_ice *ice);
const char *alto_ice_local_pwd(const struct alto_ice *ice);
/* The local candidates gathered so far ("candidate:..."), for a description. */
size_t alto_ice_n_local_candidates(const struct alto_ice *ice);
const char *alto_ice_local_candidate(const struct alto_ice *ice, size_t index);

/* The peer's credentials; queued candidates are applied now. 0, -EINVAL, -EIO. */
int alto_ice_set_remote_credentials(struct alto_ice *ice, const char *ufrag, const char *pwd);
const char *alto_ice_remote_ufrag(const struct alto_ice *ice);
/* "candidate:..." or "a=candidate:...". 0, -EINVAL (unparsable, e.g. an mDNS name),
 * -ENOTSUP (not component 1, or TCP while ICE-TCP is off). */
int alto_ice_add_remote_candidate(struct alto_ice *ice, const char *candidate);
/* The peer said end-of-candidates: let checks conclude (and fail) without waiting. */
int alto_ice_remote_gathering_done(struct alto_ice *ice);

/* New local credentials, forget remote candidates and credentials (RFC 8445 9). The
 * selected pair keeps carrying media until the new checks conclude. 0 or -EIO. */
int alto_ice_restart(struct alto_ice *ice);

/* False from alto_ice_restart() until the new checks selected a pair. */
bool alto_ice_restart_checks_done(const struct alto_ice *ice);

/* Send one datagram on the selected pair. 0, -ENOTCONN, -EAGAIN. */
int alto_ice_send(struct alto_ice *ice, const uint8_t *buf, size_t len);

enum alto_ice_state alto_ice_get_state(const struct alto_ice *ice);

/* The selected pair as "local-address:port -> remote-address:port (type/type)", for logs. */
int alto_ice_describe_selected_pair(struct alto_ice *ice, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_ICE_H */
