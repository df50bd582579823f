/* alto rtc/transport: libsrtp2 sessions.
 * Thread: see srtp.h.
 */
#include "srtp.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <srtp2/srtp.h>

struct alto_srtp {
	srtp_t outbound;
	srtp_t inbound;
	uint8_t local[ALTO_SRTP_MASTER_LEN];
	uint8_t remote[ALTO_SRTP_MASTER_LEN];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status;

static void init_library(void)
{
	init_status = srtp_init();
}

static int status_to_errno(srtp_err_status_t status)
{
	switch (status) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return -EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return -EINVAL;
	case srtp_err_status_alloc_fail:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int create_session(srtp_t *session, uint8_t *key, bool outbound)
{
	srtp_policy_t policy;

	memset(&policy, 0, sizeof(policy));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	policy.key = key;
	/* audio at 50 packets/s: a window of 1024 forgives 20 s of reordering */
	policy.window_size = 1024;
	/* the media half may resend a packet (NACK); libsrtp would refuse it as a replay */
	policy.allow_repeat_tx = 1;
	policy.next = NULL;
	return status_to_errno(srtp_create(session, &policy));
}

int alto_srtp_new(const uint8_t *local, const uint8_t *remote, struct alto_srtp **result)
{
	struct alto_srtp *srtp;
	int res;

	if (local == NULL || remote == NULL || result == NULL)
		return -EINVAL;
	*result = NULL;
	pthread_once(&init_once, init_library);
	if (init_status != srtp_err_status_ok)
		return -EIO;

	srtp = calloc(1, sizeof(*srtp));
	if (srtp == NULL)
		return -ENOMEM;
	memcpy(srtp->local, local, ALTO_SRTP_MASTER_LEN);
	memcpy(srtp->remote, remote, ALTO_SRTP_MASTER_LEN);
	if ((res = create_session(&srtp->outbound, srtp->local, true)) < 0)
		goto error;
	if ((res = create_session(&srtp->inbound, srtp->remote, false)) < 0)
		goto error;
	*result = srtp;
	return 0;
error:
	alto_srtp_free(srtp);
	return res == -EINVAL ? -EIO : res;
}

void alto_srtp_free(struct alto_srtp *srtp)
{
	if (srtp == NULL)
		return;
	if (srtp->outbound)
		srtp_dealloc(srtp->outbound);
	if (srtp->inbound)
		srtp_dealloc(srtp->inbound);
	memset(srtp, 0, sizeof(*srtp));		/* no keys left in freed memory */
	free(srtp);
}

static int protect(struct alto_srtp *srtp, uint8_t *buf, size_t len, size_t size, bool rtcp)
{
	int n = (int)len;
	srtp_err_status_t status;

	if (srtp == NULL || buf == NULL)
		return -EINVAL;
	if (len < (rtcp ? 8u : 12u) || len > INT_MAX - ALTO_SRTP_PROTECT_ROOM)
		return -EINVAL;
	if (size < len + ALTO_SRTP_PROTECT_ROOM)
		return -ENOSPC;
	status = rtcp ? srtp_protect_rtcp(srtp->outbound, buf, &n) :
		srtp_protect(srtp->outbound, buf, &n);
	if (status != srtp_err_status_ok)
		return status_to_errno(status);
	return n;
}

static int unprotect(struct alto_srtp *srtp, uint8_t *buf, size_t len, bool rtcp)
{
	int n = (int)len;
	srtp_err_status_t status;

	if (srtp == NULL || buf == NULL)
		return -EINVAL;
	if (len < (rtcp ? 8u : 12u) || len > INT_MAX)
		return -EINVAL;
	status = rtcp ? srtp_unprotect_rtcp(srtp->inbound, buf, &n) :
		srtp_unprotect(srtp->inbound, buf, &n);
	if (status != srtp_err_status_ok)
		return status_to_errno(status);
	return n;
}

int alto_srtp_protect_rtp(struct alto_srtp *srtp, uint8_t *buf, size_t len, size_t size)
{
	return protect(srtp, buf, len, size, false);
}

int alto_srtp_protect_rtcp(struct alto_srtp *srtp, uint8_t *buf, size_t len, size_t size)
{
	return protect(srtp, buf, len, size, true);
}

int alto_srtp_unprotect_rtp(struct alto_srtp *srtp, uint8_t *buf, size_t len)
{
	return unprotect(srtp, buf, len, false);
}

int alto_srtp_unprotect_rtcp(struct alto_srtp *srtp, uint8_t *buf, size_t len)
{
	return unprotect(srtp, buf, len, true);
}
