/* RTCP compound parse and packet builders (RFC 3550 §6, RFC 4585 §6.2.1).
 * See rtcp.h. Thread: any.
 *
 * The parser runs twice over a compound packet: once to validate every
 * part, once to call the events. Each per-type function does both, so the
 * checks and the reads can never disagree. */
#include "rtcp.h"

#include <errno.h>
#include <string.h>

#define HEADER_SIZE		4
#define REPORT_BLOCK_SIZE	24
#define NACK_BATCH		(17 * 32)	/* seqs delivered per nack event */

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

/* One packet of a compound: body is what follows the 4-byte header, without
 * padding. */
struct part {
	uint8_t count;			/* RC / SC / FMT */
	uint8_t type;
	const uint8_t *body;
	size_t body_len;
};

static void read_report_block(const uint8_t *p, struct alto_rtcp_report_block *rb)
{
	uint32_t lost = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	rb->ssrc = rd32(p);
	rb->fraction_lost = p[4];
	/* sign-extend the 24-bit field */
	rb->cumulative_lost = (lost & 0x800000) ? (int32_t)(lost | 0xff000000u) : (int32_t)lost;
	rb->ext_highest_seq = rd32(p + 8);
	rb->jitter = rd32(p + 12);
	rb->lsr = rd32(p + 16);
	rb->dlsr = rd32(p + 20);
}

static int do_sr(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	struct alto_rtcp_sr sr;

	if (pt->body_len < 24 + (size_t)pt->count * REPORT_BLOCK_SIZE)
		return -EBADMSG;
	if (!emit || ev->sender_report == NULL)
		return 0;
	memset(&sr, 0, sizeof(sr));
	sr.ssrc = rd32(pt->body);
	sr.ntp = (uint64_t)rd32(pt->body + 4) << 32 | rd32(pt->body + 8);
	sr.rtp_ts = rd32(pt->body + 12);
	sr.packet_count = rd32(pt->body + 16);
	sr.octet_count = rd32(pt->body + 20);
	sr.n_reports = pt->count;
	for (uint8_t i = 0; i < pt->count; i++)
		read_report_block(pt->body + 24 + i * REPORT_BLOCK_SIZE, &sr.reports[i]);
	ev->sender_report(data, &sr);
	return 0;
}

static int do_rr(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	struct alto_rtcp_rr rr;

	if (pt->body_len < 4 + (size_t)pt->count * REPORT_BLOCK_SIZE)
		return -EBADMSG;
	if (!emit || ev->receiver_report == NULL)
		return 0;
	memset(&rr, 0, sizeof(rr));
	rr.ssrc = rd32(pt->body);
	rr.n_reports = pt->count;
	for (uint8_t i = 0; i < pt->count; i++)
		read_report_block(pt->body + 4 + i * REPORT_BLOCK_SIZE, &rr.reports[i]);
	ev->receiver_report(data, &rr);
	return 0;
}

/* RFC 3550 §6.5: SC chunks, each an SSRC, items (type, length, text) and an
 * END item, padded with zero octets to a 32-bit boundary. */
static int do_sdes(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	size_t off = 0, len = pt->body_len;
	const uint8_t *p = pt->body;

	for (uint8_t c = 0; c < pt->count; c++) {
		uint32_t ssrc;

		if (len - off < 4)
			return -EBADMSG;
		ssrc = rd32(p + off);
		off += 4;
		for (;;) {
			if (off >= len)
				return -EBADMSG;
			if (p[off] == ALTO_RTCP_SDES_END)
				break;
			if (len - off < 2 || len - off - 2 < p[off + 1])
				return -EBADMSG;
			if (emit && ev->sdes_item)
				ev->sdes_item(data, ssrc, p[off], p + off + 2, p[off + 1]);
			off += 2 + (size_t)p[off + 1];
		}
		/* END octet, then up to the next multiple of 4 (body starts 4-aligned) */
		off = (off + 4) & ~(size_t)3;
		if (off > len)
			return -EBADMSG;
	}
	return 0;
}

static int do_bye(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	struct alto_rtcp_bye bye;
	size_t off = (size_t)pt->count * 4;

	if (pt->body_len < off)
		return -EBADMSG;
	memset(&bye, 0, sizeof(bye));
	if (pt->body_len > off) {
		bye.reason_len = pt->body[off];
		if (pt->body_len - off - 1 < bye.reason_len)
			return -EBADMSG;
		bye.reason = pt->body + off + 1;
	}
	if (!emit || ev->bye == NULL)
		return 0;
	bye.n_ssrc = pt->count;
	for (uint8_t i = 0; i < pt->count; i++)
		bye.ssrc[i] = rd32(pt->body + i * 4);
	ev->bye(data, &bye);
	return 0;
}

static int do_rtpfb(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	uint16_t seqs[NACK_BATCH];
	size_t n = 0;
	uint32_t sender, media;

	if (pt->body_len < 8)
		return -EBADMSG;
	if (pt->count != ALTO_RTCP_RTPFB_NACK)
		return 0;		/* other transport feedback: skipped */
	if ((pt->body_len - 8) % 4 != 0)
		return -EBADMSG;
	if (!emit || ev->nack == NULL)
		return 0;
	sender = rd32(pt->body);
	media = rd32(pt->body + 4);
	for (size_t off = 8; off < pt->body_len; off += 4) {
		uint16_t pid = rd16(pt->body + off), blp = rd16(pt->body + off + 2);

		if (n + 17 > NACK_BATCH) {
			ev->nack(data, sender, media, seqs, n);
			n = 0;
		}
		seqs[n++] = pid;
		for (int bit = 0; bit < 16; bit++)
			if (blp & (1u << bit))
				seqs[n++] = (uint16_t)(pid + bit + 1);
	}
	if (n > 0)
		ev->nack(data, sender, media, seqs, n);
	return 0;
}

static int do_part(const struct part *pt, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	switch (pt->type) {
	case ALTO_RTCP_SR:
		return do_sr(pt, ev, data, emit);
	case ALTO_RTCP_RR:
		return do_rr(pt, ev, data, emit);
	case ALTO_RTCP_SDES:
		return do_sdes(pt, ev, data, emit);
	case ALTO_RTCP_BYE:
		return do_bye(pt, ev, data, emit);
	case ALTO_RTCP_RTPFB:
		return do_rtpfb(pt, ev, data, emit);
	case ALTO_RTCP_PSFB:		/* PLI & co: video only, skipped */
		return pt->body_len < 8 ? -EBADMSG : 0;
	default:			/* unknown types: length checked, skipped */
		return 0;
	}
}

static int walk(const uint8_t *buf, size_t len, const struct alto_rtcp_events *ev, void *data, bool emit)
{
	size_t off = 0;
	int n = 0, res;

	while (off < len) {
		struct part pt;
		size_t size, pad = 0;

		if (len - off < HEADER_SIZE || (buf[off] >> 6) != 2)
			return -EBADMSG;
		size = ((size_t)rd16(buf + off + 2) + 1) * 4;
		if (size > len - off)
			return -EBADMSG;
		if (buf[off] & 0x20) {
			/* RFC 3550 A.2: only the last packet of a compound may pad */
			if (off + size != len)
				return -EBADMSG;
			pad = buf[off + size - 1];
			if (pad == 0 || pad > size - HEADER_SIZE)
				return -EBADMSG;
		}
		pt.count = buf[off] & 0x1f;
		pt.type = buf[off + 1];
		pt.body = buf + off + HEADER_SIZE;
		pt.body_len = size - HEADER_SIZE - pad;
		if ((res = do_part(&pt, ev, data, emit)) < 0)
			return res;
		off += size;
		n++;
	}
	return n;
}

int alto_rtcp_parse(const uint8_t *buf, size_t len,
		const struct alto_rtcp_events *events, void *data)
{
	static const struct alto_rtcp_events none;
	int res;

	if (buf == NULL)
		return -EINVAL;
	if (len == 0)
		return -EBADMSG;
	if (events == NULL)
		events = &none;
	if ((res = walk(buf, len, events, data, false)) < 0)
		return res;
	return walk(buf, len, events, data, true);
}

static void write_header(uint8_t *p, uint8_t count, uint8_t type, size_t size)
{
	p[0] = 2 << 6 | (count & 0x1f);
	p[1] = type;
	wr16(p + 2, (uint16_t)(size / 4 - 1));
}

static void write_report_block(uint8_t *p, const struct alto_rtcp_report_block *rb)
{
	int32_t lost = rb->cumulative_lost;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	wr32(p, rb->ssrc);
	p[4] = rb->fraction_lost;
	p[5] = ((uint32_t)lost >> 16) & 0xff;
	p[6] = ((uint32_t)lost >> 8) & 0xff;
	p[7] = (uint32_t)lost & 0xff;
	wr32(p + 8, rb->ext_highest_seq);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

int alto_rtcp_build_sr(uint8_t *buf, size_t cap, const struct alto_rtcp_sr *sr, size_t *out_len)
{
	size_t size;

	if (buf == NULL || sr == NULL || out_len == NULL || sr->n_reports > ALTO_RTCP_MAX_REPORTS)
		return -EINVAL;
	size = HEADER_SIZE + 24 + (size_t)sr->n_reports * REPORT_BLOCK_SIZE;
	if (size > cap)
		return -ENOSPC;
	write_header(buf, sr->n_reports, ALTO_RTCP_SR, size);
	wr32(buf + 4, sr->ssrc);
	wr32(buf + 8, (uint32_t)(sr->ntp >> 32));
	wr32(buf + 12, (uint32_t)sr->ntp);
	wr32(buf + 16, sr->rtp_ts);
	wr32(buf + 20, sr->packet_count);
	wr32(buf + 24, sr->octet_count);
	for (uint8_t i = 0; i < sr->n_reports; i++)
		write_report_block(buf + 28 + i * REPORT_BLOCK_SIZE, &sr->reports[i]);
	*out_len = size;
	return 0;
}

int alto_rtcp_build_rr(uint8_t *buf, size_t cap, const struct alto_rtcp_rr *rr, size_t *out_len)
{
	size_t size;

	if (buf == NULL || rr == NULL || out_len == NULL || rr->n_reports > ALTO_RTCP_MAX_REPORTS)
		return -EINVAL;
	size = HEADER_SIZE + 4 + (size_t)rr->n_reports * REPORT_BLOCK_SIZE;
	if (size > cap)
		return -ENOSPC;
	write_header(buf, rr->n_reports, ALTO_RTCP_RR, size);
	wr32(buf + 4, rr->ssrc);
	for (uint8_t i = 0; i < rr->n_reports; i++)
		write_report_block(buf + 8 + i * REPORT_BLOCK_SIZE, &rr->reports[i]);
	*out_len = size;
	return 0;
}

int alto_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc, const char *cname,
		size_t *out_len)
{
	size_t len, size;

	if (buf == NULL || cname == NULL || out_len == NULL)
		return -EINVAL;
	len = strlen(cname);
	if (len == 0 || len > 255)
		return -EINVAL;
	/* ssrc, CNAME item, END octet, zero padding to 32 bits */
	size = HEADER_SIZE + ((4 + 2 + len + 1 + 3) & ~(size_t)3);
	if (size > cap)
		return -ENOSPC;
	memset(buf, 0, size);
	write_header(buf, 1, ALTO_RTCP_SDES, size);
	wr32(buf + 4, ssrc);
	buf[8] = ALTO_RTCP_SDES_CNAME;
	buf[9] = (uint8_t)len;
	memcpy(buf + 10, cname, len);
	*out_len = size;
	return 0;
}

int alto_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, uint8_t n_ssrc,
		size_t *out_len)
{
	size_t size;

	if (buf == NULL || out_len == NULL || n_ssrc > ALTO_RTCP_MAX_SSRC ||
	    (n_ssrc > 0 && ssrcs == NULL))
		return -EINVAL;
	size = HEADER_SIZE + (size_t)n_ssrc * 4;
	if (size > cap)
		return -ENOSPC;
	write_header(buf, n_ssrc, ALTO_RTCP_BYE, size);
	for (uint8_t i = 0; i < n_ssrc; i++)
		wr32(buf + 4 + i * 4, ssrcs[i]);
	*out_len = size;
	return 0;
}

int alto_rtcp_build_nack(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
		const uint16_t *seqs, size_t n_seqs, size_t *out_len)
{
	size_t off = 12, fci = 0;

	if (buf == NULL || out_len == NULL || seqs == NULL || n_seqs == 0)
		return -EINVAL;
	if (cap < off)
		return -ENOSPC;
	for (size_t i = 0; i < n_seqs; i++) {
		if (fci > 0) {
			uint16_t pid = rd16(buf + fci);
			int32_t d = (int16_t)(uint16_t)(seqs[i] - pid);
			if (d == 0)
				continue;
			if (d >= 1 && d <= 16) {
				wr16(buf + fci + 2, rd16(buf + fci + 2) | (uint16_t)(1u << (d - 1)));
				continue;
			}
		}
		if (off + 4 > cap)
			return -ENOSPC;
		if (off / 4 > UINT16_MAX)
			return -EINVAL;
		fci = off;
		wr16(buf + off, seqs[i]);
		wr16(buf + off + 2, 0);
		off += 4;
	}
	write_header(buf, ALTO_RTCP_RTPFB_NACK, ALTO_RTCP_RTPFB, off);
	wr32(buf + 4, sender_ssrc);
	wr32(buf + 8, media_ssrc);
	*out_len = off;
	return 0;
}

uint64_t alto_rtcp_ntp_from_unix_ns(uint64_t unix_ns)
{
	/* 70 years (17 leap days) between the NTP era 0 and the Unix epoch */
	const uint64_t epoch_offset = 2208988800ull;
	uint64_t sec = unix_ns / 1000000000ull, ns = unix_ns % 1000000000ull;

	return (sec + epoch_offset) << 32 | ((ns << 32) / 1000000000ull);
}

int alto_rtcp_rtt_ns(uint32_t now_mid32, uint32_t lsr, uint32_t dlsr, uint64_t *rtt_ns)
{
	int64_t rtt;

	if (rtt_ns == NULL)
		return -EINVAL;
	if (lsr == 0)
		return -EAGAIN;
	rtt = (int32_t)(now_mid32 - lsr - dlsr);
	if (rtt < 0)
		return -EAGAIN;
	/* 16.16 fixed-point seconds */
	*rtt_ns = (uint64_t)rtt * 1000000000ull >> 16;
	return 0;
}
