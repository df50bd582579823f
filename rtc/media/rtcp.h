/* RTCP (RFC 3550 §6, RFC 4585 §6.2.1 generic NACK): compound packet parse
 * and the packets the receive/send paths build: RR, SR, SDES CNAME, BYE,
 * generic NACK.
 *
 * alto_rtcp_parse() first checks the whole compound packet (versions,
 * lengths, padding only in the last packet, per-type sizes) and delivers
 * nothing when any part is malformed; then it calls the events for SR, RR,
 * SDES items, BYE and generic NACK (RTPFB FMT 1). PLI and every other packet
 * type are skipped. Reduced-size (RFC 5506) packets, e.g. a lone NACK, are
 * accepted: the first packet need not be SR/RR.
 *
 * Thread: any; pure functions, no allocation. Returns 0 or a negative errno:
 * -EINVAL (bad argument), -EBADMSG (malformed), -ENOSPC (buffer too small). */
#ifndef ALTO_RTC_MEDIA_RTCP_H
#define ALTO_RTC_MEDIA_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALTO_RTCP_SR		200
#define ALTO_RTCP_RR		201
#define ALTO_RTCP_SDES		202
#define ALTO_RTCP_BYE		203
#define ALTO_RTCP_APP		204
#define ALTO_RTCP_RTPFB		205
#define ALTO_RTCP_PSFB		206

#define ALTO_RTCP_RTPFB_NACK	1
#define ALTO_RTCP_PSFB_PLI	1
#define ALTO_RTCP_SDES_END	0
#define ALTO_RTCP_SDES_CNAME	1

#define ALTO_RTCP_MAX_REPORTS	31	/* the 5-bit count field */
#define ALTO_RTCP_MAX_SSRC	31

struct alto_rtcp_report_block {
	uint32_t ssrc;			/* the source this block reports on */
	uint8_t fraction_lost;		/* lost/expected since the last report, ×256 */
	int32_t cumulative_lost;	/* 24-bit signed on the wire */
	uint32_t ext_highest_seq;	/* cycles << 16 | highest seq */
	uint32_t jitter;		/* interarrival jitter, RTP timestamp units */
	uint32_t lsr;			/* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;			/* delay since that SR, 1/65536 s */
};

struct alto_rtcp_sr {
	uint32_t ssrc;
	uint64_t ntp;			/* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;
	uint32_t packet_count;
	uint32_t octet_count;
	uint8_t n_reports;
	struct alto_rtcp_report_block reports[ALTO_RTCP_MAX_REPORTS];
};

struct alto_rtcp_rr {
	uint32_t ssrc;
	uint8_t n_reports;
	struct alto_rtcp_report_block reports[ALTO_RTCP_MAX_REPORTS];
};

struct alto_rtcp_bye {
	uint8_t n_ssrc;
	uint32_t ssrc[ALTO_RTCP_MAX_SSRC];
	const uint8_t *reason;		/* not NUL-terminated; NULL when absent */
	uint8_t reason_len;
};

/* Every member may be NULL. Pointers are valid during the call only. */
struct alto_rtcp_events {
	void (*sender_report)(void *data, const struct alto_rtcp_sr *sr);
	void (*receiver_report)(void *data, const struct alto_rtcp_rr *rr);
	/* one call per SDES item; text is not NUL-terminated */
	void (*sdes_item)(void *data, uint32_t ssrc, uint8_t type, const uint8_t *text, uint8_t len);
	void (*bye)(void *data, const struct alto_rtcp_bye *bye);
	/* lost sequence numbers of media_ssrc, expanded from PID+BLP; a long
	 * NACK packet may be delivered in several calls */
	void (*nack)(void *data, uint32_t sender_ssrc, uint32_t media_ssrc,
			const uint16_t *seqs, size_t n_seqs);
};

/* Validates, then dispatches the compound packet buf (len bytes). Returns
 * the number of RTCP packets in it, or -EBADMSG (no event called). */
int alto_rtcp_parse(const uint8_t *buf, size_t len,
		const struct alto_rtcp_events *events, void *data);

/* Builders: each writes one RTCP packet at buf and sets *out_len. Build a
 * compound packet by calling them one after the other at buf + offset
 * (RFC 3550: RR or SR first, then SDES with a CNAME). */
int alto_rtcp_build_sr(uint8_t *buf, size_t cap, const struct alto_rtcp_sr *sr, size_t *out_len);
int alto_rtcp_build_rr(uint8_t *buf, size_t cap, const struct alto_rtcp_rr *rr, size_t *out_len);
/* cname: 1..255 bytes */
int alto_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
		size_t *out_len);
int alto_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, uint8_t n_ssrc,
		size_t *out_len);
/* Generic NACK for the n_seqs lost sequence numbers; in ascending (wrapping)
 * order they pack into the fewest PID+BLP entries. */
int alto_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		const uint16_t *seqs, size_t n_seqs, size_t *out_len);

/* NTP (32.32) time of a Unix time in nanoseconds (CLOCK_REALTIME). */
uint64_t alto_rtcp_ntp_from_unix_ns(uint64_t unix_ns);

/* Middle 32 bits of an NTP time: the LSR field and its clock. */
static inline uint32_t alto_rtcp_ntp_mid32(uint64_t ntp)
{
	return (uint32_t)(ntp >> 16);
}

/* Round-trip time from a report block we received (RFC 3550 §6.4.1):
 * now_mid32 - lsr - dlsr, in ns. -EAGAIN when the block carries no SR
 * reference (lsr == 0) or the result is negative. */
int alto_rtcp_rtt_ns(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr, uint64_t *rtt_ns);

#endif
