/* alto rtc/transport: DTLS 1.2 for DTLS-SRTP (RFC 5764) with OpenSSL 3.
 *
 * Datagrams come in through alto_dtls_receive() (the peer connection demultiplexes them from
 * ICE by their first byte, RFC 7983) and go out through the send event, one datagram per call.
 * Each session has a fresh ECDSA P-256 self-signed certificate (alto_dtls_identity); the
 * peer's certificate is accepted only if its digest equals the fingerprint of the remote SDP.
 * The handshake negotiates use_srtp SRTP_AES128_CM_SHA1_80 and exports the SRTP master keys
 * ("EXTRACTOR-dtls_srtp"). Retransmissions run on timers of the given GMainContext.
 *
 * Thread: everything, events included, on the thread iterating the GMainContext. Events fire
 * from inside alto_dtls_start()/alto_dtls_receive() and from timers; an event handler must not
 * destroy the alto_dtls.
 */
#ifndef ALTO_RTC_TRANSPORT_DTLS_H
#define ALTO_RTC_TRANSPORT_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "sdp.h"
#include "srtp.h"

#ifdef __cplusplus
extern "C" {
#endif

struct alto_dtls_identity;

/* A new key pair and self-signed certificate. 0, -ENOMEM or -EIO. */
int alto_dtls_identity_new(struct alto_dtls_identity **result);
void alto_dtls_identity_free(struct alto_dtls_identity *identity);
/* Its sha-256 fingerprint, for a=fingerprint. */
const struct alto_sdp_fingerprint *alto_dtls_identity_fingerprint(
		const struct alto_dtls_identity *identity);

enum alto_dtls_role {
	ALTO_DTLS_ROLE_CLIENT,		/* a=setup:active: we send the ClientHello */
	ALTO_DTLS_ROLE_SERVER,		/* a=setup:passive */
};

struct alto_dtls_keys {
	uint8_t local[ALTO_SRTP_MASTER_LEN];	/* key || salt we protect with */
	uint8_t remote[ALTO_SRTP_MASTER_LEN];	/* key || salt the peer protects with */
};

struct alto_dtls_events {
#define ALTO_DTLS_EVENTS_VERSION 0
	uint32_t version;
	/* one datagram for the peer */
	void (*send)(void *data, const uint8_t *buf, size_t len);
	/* handshake done, peer certificate matched the fingerprint */
	void (*connected)(void *data, const struct alto_dtls_keys *keys);
	/* the handshake failed (-ECONNREFUSED: the peer's certificate does not match the
	 * fingerprint; -ETIMEDOUT: no answer; -EPROTO: anything else): the session is dead */
	void (*failed)(void *data, int res, const char *reason);
	/* the peer closed (close_notify) */
	void (*closed)(void *data);
};

struct alto_dtls;

/* @identity must outlive the session. NULL on failure (errno set). */
struct alto_dtls *alto_dtls_new(GMainContext *context, const struct alto_dtls_identity *identity,
		const struct alto_dtls_events *events, void *data);
/* Send close_notify if connected, stop timers, free. */
void alto_dtls_destroy(struct alto_dtls *dtls);

/* The fingerprint the peer's certificate must have (from its SDP). 0 or -EINVAL. */
int alto_dtls_set_remote_fingerprint(struct alto_dtls *dtls, const struct alto_sdp_fingerprint *fp);

/* Begin the handshake in @role (once; the remote fingerprint must be set). Datagrams received
 * before this are kept (a few) and processed now. 0, -EALREADY, -EINVAL, -EIO. */
int alto_dtls_start(struct alto_dtls *dtls, enum alto_dtls_role role);

/* A datagram from the peer (first byte 20..63). 0, or -EINVAL for garbage. */
int alto_dtls_receive(struct alto_dtls *dtls, const uint8_t *buf, size_t len);

bool alto_dtls_is_connected(const struct alto_dtls *dtls);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_DTLS_H */
