/* RTCP: a hand-assembled compound packet, builder round trips, malformed
 * compounds (rejected whole, no event delivered), NTP and RTT helpers. */
#include <errno.h>
#include <stdint.h>

#include "rtcp.h"
#include "test_util.h"

struct seen {
	int sr, rr, sdes, bye, nack;
	struct alto_rtcp_sr last_sr;
	struct alto_rtcp_rr last_rr;
	uint32_t sdes_ssrc;
	uint8_t sdes_type;
	char sdes_text[256];
	uint32_t bye_ssrc;
	char bye_reason[256];
	uint32_t nack_sender, nack_media;
	uint16_t nack_seqs[1200];
	size_t n_nack;
};

static void on_sr(void *data, const struct alto_rtcp_sr *sr)
{
	struct seen *s = data;
	s->sr++;
	s->last_sr = *sr;
}

static void on_rr(void *data, const struct alto_rtcp_rr *rr)
{
	struct seen *s = data;
	s->rr++;
	s->last_rr = *rr;
}

static void on_sdes(void *data, uint32_t ssrc, uint8_t type, const uint8_t *text, uint8_t len)
{
	struct seen *s = data;
	s->sdes++;
	s->sdes_ssrc = ssrc;
	s->sdes_type = type;
	memcpy(s->sdes_text, text, len);
	s->sdes_text[len] = '\0';
}

static void on_bye(void *data, const struct alto_rtcp_bye *bye)
{
	struct seen *s = data;
	s->bye++;
	s->bye_ssrc = bye->n_ssrc > 0 ? bye->ssrc[0] : 0;
	if (bye->reason) {
		memcpy(s->bye_reason, bye->reason, bye->reason_len);
		s->bye_reason[bye->reason_len] = '\0';
	}
}

static void on_nack(void *data, uint32_t sender, uint32_t media, const uint16_t *seqs, size_t n)
{
	struct seen *s = data;
	s->nack++;
	s->nack_sender = sender;
	s->nack_media = media;
	for (size_t i = 0; i < n && s->n_nack < 1200; i++)
		s->nack_seqs[s->n_nack++] = seqs[i];
}

static const struct alto_rtcp_events events = {
	.sender_report = on_sr,
	.receiver_report = on_rr,
	.sdes_item = on_sdes,
	.bye = on_bye,
	.nack = on_nack,
};

static const uint8_t compound[] = {
	/* SR, 1 report block: 52 bytes */
	0x81, 200, 0x00, 0x0c,
	0x11, 0x22, 0x33, 0x44,
	0xe1, 0xa2, 0xb3, 0xc4, 0x80, 0x00, 0x00, 0x00,		/* NTP */
	0x00, 0x01, 0x00, 0x00,					/* RTP ts */
	0x00, 0x00, 0x00, 0x64,					/* packets 100 */
	0x00, 0x00, 0x3e, 0x80,					/* octets 16000 */
	0x55, 0x66, 0x77, 0x88,
	0x40, 0xff, 0xff, 0xfe,					/* 25 %, -2 */
	0x00, 0x01, 0x12, 0x34,
	0x00, 0x00, 0x00, 0x20,
	0xb3, 0xc4, 0x80, 0x00,
	0x00, 0x01, 0x00, 0x00,
	/* SDES CNAME "alice": 16 bytes */
	0x81, 202, 0x00, 0x03,
	0x11, 0x22, 0x33, 0x44, 0x01, 0x05, 'a', 'l', 'i', 'c', 'e', 0x00,
	/* BYE with reason "ok": 12 bytes */
	0x81, 203, 0x00, 0x02,
	0x11, 0x22, 0x33, 0x44, 0x02, 'o', 'k', 0x00,
	/* generic NACK: PID 100, BLP 0x8001 -> 100, 101, 116 */
	0x81, 205, 0x00, 0x03,
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x00, 0x64, 0x80, 0x01,
	/* PLI: skipped */
	0x81, 206, 0x00, 0x02,
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	/* XR (207), not handled: skipped */
	0x80, 207, 0x00, 0x01,
	0x11, 0x22, 0x33, 0x44,
};

static void test_known_compound(void)
{
	struct seen s = { 0 };

	CHECK_EQ(alto_rtcp_parse(compound, sizeof(compound), &events, &s), 6);
	CHECK_EQ(s.sr, 1);
	CHECK_EQ(s.last_sr.ssrc, 0x11223344);
	CHECK(s.last_sr.ntp == 0xe1a2b3c480000000ull);
	CHECK_EQ(s.last_sr.rtp_ts, 0x10000);
	CHECK_EQ(s.last_sr.packet_count, 100);
	CHECK_EQ(s.last_sr.octet_count, 16000);
	CHECK_EQ(s.last_sr.n_reports, 1);
	CHECK_EQ(s.last_sr.reports[0].ssrc, 0x55667788);
	CHECK_EQ(s.last_sr.reports[0].fraction_lost, 0x40);
	CHECK_EQ(s.last_sr.reports[0].cumulative_lost, -2);
	CHECK_EQ(s.last_sr.reports[0].ext_highest_seq, 0x11234);
	CHECK_EQ(s.last_sr.reports[0].jitter, 0x20);
	CHECK_EQ(s.last_sr.reports[0].lsr, 0xb3c48000);
	CHECK_EQ(s.last_sr.reports[0].dlsr, 0x10000);
	CHECK_EQ(s.sdes, 1);
	CHECK_EQ(s.sdes_ssrc, 0x11223344);
	CHECK_EQ(s.sdes_type, ALTO_RTCP_SDES_CNAME);
	CHECK(strcmp(s.sdes_text, "alice") == 0);
	CHECK_EQ(s.bye, 1);
	CHECK_EQ(s.bye_ssrc, 0x11223344);
	CHECK(strcmp(s.bye_reason, "ok") == 0);
	CHECK_EQ(s.nack, 1);
	CHECK_EQ(s.nack_sender, 0x11223344);
	CHECK_EQ(s.nack_media, 0x55667788);
	CHECK_EQ(s.n_nack, 3);
	CHECK_EQ(s.nack_seqs[0], 100);
	CHECK_EQ(s.nack_seqs[1], 101);
	CHECK_EQ(s.nack_seqs[2], 116);

	/* no events table: still validates and counts */
	CHECK_EQ(alto_rtcp_parse(compound, sizeof(compound), NULL, NULL), 6);
}

/* Copies the compound, applies one corruption, expects rejection and no
 * event at all (validation happens before dispatch). */
static void expect_malformed(const uint8_t *buf, size_t len)
{
	struct seen s = { 0 };
	CHECK_EQ(alto_rtcp_parse(buf, len, &events, &s), -EBADMSG);
	CHECK_EQ(s.sr + s.rr + s.sdes + s.bye + s.nack, 0);
}

static void test_malformed(void)
{
	uint8_t b[sizeof(compound) + 16];
	const size_t n = sizeof(compound);

	expect_malformed(compound, 0);
	expect_malformed(compound, n - 1);			/* last packet cut */
	expect_malformed(compound, 3);				/* header cut */

	memcpy(b, compound, n);
	b[52] = 0x41;						/* SDES version 1 */
	expect_malformed(b, n);

	memcpy(b, compound, n);
	b[3] = 0x0d;						/* SR longer than the buffer holds */
	expect_malformed(b, 52);

	memcpy(b, compound, n);
	b[0] = 0xa1;						/* padding on the first packet */
	expect_malformed(b, n);

	memcpy(b, compound, n);
	b[0] = 0x82;						/* RC 2, room for 1 */
	expect_malformed(b, n);

	memcpy(b, compound, n);
	b[61] = 0x09;						/* SDES item runs past its packet */
	expect_malformed(b, n);

	memcpy(b, compound, n);
	b[76] = 0x04;						/* BYE reason longer than its packet */
	expect_malformed(b, n);

	/* NACK with padding that leaves a partial FCI */
	static const uint8_t nack_pad[] = {
		0xa1, 205, 0x00, 0x04,
		0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	};
	expect_malformed(nack_pad, sizeof(nack_pad));
	/* feedback shorter than its two SSRCs */
	static const uint8_t fb_short[] = { 0x81, 205, 0x00, 0x01, 0, 0, 0, 1 };
	expect_malformed(fb_short, sizeof(fb_short));
	static const uint8_t psfb_short[] = { 0x81, 206, 0x00, 0x01, 0, 0, 0, 1 };
	expect_malformed(psfb_short, sizeof(psfb_short));
	/* padding count 0, and larger than the packet */
	static const uint8_t pad0[] = { 0xa0, 201, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0 };
	expect_malformed(pad0, sizeof(pad0));
	static const uint8_t pad_big[] = { 0xa0, 201, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 9 };
	expect_malformed(pad_big, sizeof(pad_big));
	/* SDES chunk without END item */
	static const uint8_t sdes_noend[] = { 0x81, 202, 0x00, 0x02, 0, 0, 0, 1, 0x01, 0x02, 'a', 'b' };
	expect_malformed(sdes_noend, sizeof(sdes_noend));

	/* padding in the last packet is fine */
	static const uint8_t rr_pad[] = { 0xa0, 201, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 4 };
	struct seen s = { 0 };
	CHECK_EQ(alto_rtcp_parse(rr_pad, sizeof(rr_pad), &events, &s), 1);
	CHECK_EQ(s.rr, 1);
	CHECK_EQ(s.last_rr.ssrc, 1);
	CHECK_EQ(s.last_rr.n_reports, 0);
}

static void test_build_reports(void)
{
	uint8_t buf[1500];
	size_t len, off = 0;
	struct alto_rtcp_rr rr = {
		.ssrc = 0xabcdef01, .n_reports = 2,
		.reports = {
			{ .ssrc = 1, .fraction_lost = 12, .cumulative_lost = -5, .ext_highest_seq = 70000,
			  .jitter = 123, .lsr = 0x12345678, .dlsr = 65536 },
			{ .ssrc = 2, .fraction_lost = 255, .cumulative_lost = 10000000 },
		},
	};
	struct alto_rtcp_sr sr = {
		.ssrc = 7, .ntp = 0x0102030405060708ull, .rtp_ts = 960, .packet_count = 3,
		.octet_count = 300, .n_reports = 0,
	};
	struct seen s = { 0 };

	CHECK_EQ(alto_rtcp_build_rr(buf, sizeof(buf), &rr, &len), 0);
	CHECK_EQ(len, 8 + 48);
	CHECK_EQ(buf[0], 0x82);
	CHECK_EQ(buf[1], 201);
	CHECK_EQ(buf[3], 13);
	off += len;
	CHECK_EQ(alto_rtcp_build_sdes_cname(buf + off, sizeof(buf) - off, 0xabcdef01, "alto-cname", &len), 0);
	CHECK_EQ(len % 4, 0);
	off += len;
	CHECK_EQ(alto_rtcp_build_sr(buf + off, sizeof(buf) - off, &sr, &len), 0);
	CHECK_EQ(len, 28);
	off += len;
	uint32_t byes[2] = { 7, 8 };
	CHECK_EQ(alto_rtcp_build_bye(buf + off, sizeof(buf) - off, byes, 2, &len), 0);
	off += len;

	CHECK_EQ(alto_rtcp_parse(buf, off, &events, &s), 4);
	CHECK_EQ(s.rr, 1);
	CHECK_EQ(s.last_rr.ssrc, 0xabcdef01);
	CHECK_EQ(s.last_rr.n_reports, 2);
	CHECK_EQ(s.last_rr.reports[0].fraction_lost, 12);
	CHECK_EQ(s.last_rr.reports[0].cumulative_lost, -5);
	CHECK_EQ(s.last_rr.reports[0].ext_highest_seq, 70000);
	CHECK_EQ(s.last_rr.reports[0].jitter, 123);
	CHECK_EQ(s.last_rr.reports[0].lsr, 0x12345678);
	CHECK_EQ(s.last_rr.reports[0].dlsr, 65536);
	CHECK_EQ(s.last_rr.reports[1].fraction_lost, 255);
	CHECK_EQ(s.last_rr.reports[1].cumulative_lost, 0x7fffff);	/* clamped to 24 bits */
	CHECK_EQ(s.sdes, 1);
	CHECK(strcmp(s.sdes_text, "alto-cname") == 0);
	CHECK_EQ(s.sr, 1);
	CHECK(s.last_sr.ntp == 0x0102030405060708ull);
	CHECK_EQ(s.last_sr.octet_count, 300);
	CHECK_EQ(s.bye, 1);
	CHECK_EQ(s.bye_ssrc, 7);

	/* every CNAME length pads to 32 bits and keeps an END octet */
	for (int l = 1; l <= 9; l++) {
		char name[16];
		memset(name, 'n', (size_t)l);
		name[l] = '\0';
		memset(&s, 0, sizeof(s));
		CHECK_EQ(alto_rtcp_build_sdes_cname(buf, sizeof(buf), 5, name, &len), 0);
		CHECK_EQ(len % 4, 0);
		CHECK_EQ(alto_rtcp_parse(buf, len, &events, &s), 1);
		CHECK(strcmp(s.sdes_text, name) == 0);
	}

	CHECK_EQ(alto_rtcp_build_rr(buf, 20, &rr, &len), -ENOSPC);
	CHECK_EQ(alto_rtcp_build_sdes_cname(buf, sizeof(buf), 5, "", &len), -EINVAL);
	rr.n_reports = 32;
	CHECK_EQ(alto_rtcp_build_rr(buf, sizeof(buf), &rr, &len), -EINVAL);
}

static void test_build_nack(void)
{
	static const uint16_t lost[] = { 65534, 65535, 0, 1, 17, 18, 300 };
	static const uint8_t fci[] = {
		0xff, 0xfe, 0x00, 0x07,		/* 65534 + 65535, 0, 1 */
		0x00, 0x11, 0x00, 0x01,		/* 17 + 18 */
		0x01, 0x2c, 0x00, 0x00,		/* 300 */
	};
	uint8_t buf[256];
	size_t len;
	struct seen s = { 0 };

	CHECK_EQ(alto_rtcp_build_nack(buf, sizeof(buf), 9, 10, lost, 7, &len), 0);
	CHECK_EQ(len, 12 + 12);
	CHECK_EQ(buf[0], 0x81);
	CHECK_EQ(buf[1], 205);
	CHECK(memcmp(buf + 12, fci, sizeof(fci)) == 0);
	CHECK_EQ(alto_rtcp_parse(buf, len, &events, &s), 1);
	CHECK_EQ(s.nack_sender, 9);
	CHECK_EQ(s.nack_media, 10);
	CHECK_EQ(s.n_nack, 7);
	for (int i = 0; i < 7; i++)
		CHECK_EQ(s.nack_seqs[i], lost[i]);

	/* many losses: delivered across several events, none missing */
	uint16_t many[1000];
	for (int i = 0; i < 1000; i++)
		many[i] = (uint16_t)(i * 3);
	uint8_t big[8192];
	memset(&s, 0, sizeof(s));
	CHECK_EQ(alto_rtcp_build_nack(big, sizeof(big), 1, 2, many, 1000, &len), 0);
	CHECK_EQ(alto_rtcp_parse(big, len, &events, &s), 1);
	CHECK(s.nack > 1);
	CHECK_EQ(s.n_nack, 1000);
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(s.nack_seqs[i], many[i]);

	CHECK_EQ(alto_rtcp_build_nack(buf, 16, 9, 10, lost, 7, &len), -ENOSPC);
	CHECK_EQ(alto_rtcp_build_nack(buf, sizeof(buf), 9, 10, lost, 0, &len), -EINVAL);
}

static void test_ntp_and_rtt(void)
{
	uint64_t rtt;

	CHECK(alto_rtcp_ntp_from_unix_ns(0) == 2208988800ull << 32);
	CHECK(alto_rtcp_ntp_from_unix_ns(1500000000ull) == ((2208988801ull << 32) | 0x80000000ull));
	CHECK_EQ(alto_rtcp_ntp_mid32(0x0001000200030004ull), 0x00020003);

	/* SR sent at 1 s (mid32 0x10000), held 0.5 s by the peer, back at 2 s */
	CHECK_EQ(alto_rtcp_rtt_ns(0x20000, 0x10000, 0x8000, &rtt), 0);
	CHECK_EQ(rtt, 500000000);
	CHECK_EQ(alto_rtcp_rtt_ns(0x20000, 0, 0, &rtt), -EAGAIN);
	CHECK_EQ(alto_rtcp_rtt_ns(0x10000, 0x10000, 0x8000, &rtt), -EAGAIN);
}

int main(void)
{
	RUN(test_known_compound);
	RUN(test_malformed);
	RUN(test_build_reports);
	RUN(test_build_nack);
	RUN(test_ntp_and_rtt);
	return 0;
}
