/* alto rtc/transport: SRTP/SRTCP protection of one peer connection (libsrtp2).
 *
 * One session each way: outbound keyed with the local master key (any SSRC we send), inbound
 * with the remote one (any SSRC the peer sends). Profile SRTP_AES128_CM_HMAC_SHA1_80 only:
 * Debian's libsrtp2 is built against NSS and refuses the AES-GCM policies.
 * Thread: an alto_srtp is used by one thread at a time (alto: the network thread);
 * libsrtp's global init is done once, thread-safely.
 */
#ifndef ALTO_RTC_TRANSPORT_SRTP_H
#define ALTO_RTC_TRANSPORT_SRTP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALTO_SRTP_MASTER_KEY_LEN	16
#define ALTO_SRTP_MASTER_SALT_LEN	14
#define ALTO_SRTP_MASTER_LEN		(ALTO_SRTP_MASTER_KEY_LEN + ALTO_SRTP_MASTER_SALT_LEN)
/* Room protect needs after the packet in its buffer (libsrtp2 writes up to this much). */
#define ALTO_SRTP_PROTECT_ROOM		(16 + 128 + 4)

struct alto_srtp;

/* @local, @remote: master key || master salt (ALTO_SRTP_MASTER_LEN bytes each).
 * Returns 0 or -EINVAL, -ENOMEM, -EIO (libsrtp refused). */
int alto_srtp_new(const uint8_t *local, const uint8_t *remote, struct alto_srtp **result);
void alto_srtp_free(struct alto_srtp *srtp);

/* Protect in place: @buf holds @len bytes of RTP (RTCP) and has room for @size. Returns the
 * new length, -ENOSPC (@size < @len + ALTO_SRTP_PROTECT_ROOM), -EINVAL (not a packet), -EIO. */
int alto_srtp_protect_rtp(struct alto_srtp *srtp, uint8_t *buf, size_t len, size_t size);
int alto_srtp_protect_rtcp(struct alto_srtp *srtp, uint8_t *buf, size_t len, size_t size);

/* Verify and decrypt in place. Returns the new length, -EBADMSG (authentication failed),
 * -EALREADY (a replayed or too old packet), -EINVAL (not a packet), -EIO. */
int alto_srtp_unprotect_rtp(struct alto_srtp *srtp, uint8_t *buf, size_t len);
int alto_srtp_unprotect_rtcp(struct alto_srtp *srtp, uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_SRTP_H */
