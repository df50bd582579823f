/* Unit tests of rtc/transport/sdp: parse real-shaped LiveKit (pion), werift and libwebrtc
 * descriptions, build them back and parse again, refuse malformed text. argv[1]: data dir. */
#include "rtc/transport/sdp.h"
#include "test.h"

#include <errno.h>
#include <stdbool.h>

static const char *data_dir;

static struct alto_sdp *parse_file(const char *name)
{
	size_t len;
	char *text = test_read_file(data_dir, name, &len);
	struct alto_sdp *sdp = NULL;
	int line = 0, res = alto_sdp_parse(text, len, &sdp, &line);
	if (res < 0)
		fprintf(stderr, "%s: parse error %d at line %d\n", name, res, line);
	CHECK_INT(res, 0);
	free(text);
	return sdp;
}

static bool str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Every field a build then parse must keep. */
static void check_same(const struct alto_sdp *a, const struct alto_sdp *b)
{
	CHECK(a->session_id == b->session_id);
	CHECK(a->session_version == b->session_version);
	CHECK(a->ice_lite == b->ice_lite);
	CHECK(a->ice_trickle == b->ice_trickle);
	CHECK_INT(a->n_bundle, b->n_bundle);
	for (size_t i = 0; i < a->n_bundle; i++)
		CHECK_STR(a->bundle[i], b->bundle[i]);
	CHECK_INT(a->n_media, b->n_media);
	for (size_t i = 0; i < a->n_media; i++) {
		const struct alto_sdp_media *x = &a->media[i], *y = &b->media[i];
		CHECK_STR(x->kind, y->kind);
		CHECK_INT(x->port, y->port);
		CHECK_STR(x->proto, y->proto);
		/* a hand-built section has no format list: the builder writes its codecs */
		if (x->n_formats > 0)
			CHECK_INT(x->n_formats, y->n_formats);
		for (size_t j = 0; j < x->n_formats; j++)
			CHECK_STR(x->formats[j], y->formats[j]);
		CHECK(str_eq(x->mid, y->mid));
		CHECK_INT(x->direction, y->direction);
		CHECK(str_eq(x->ice_ufrag, y->ice_ufrag));
		CHECK(str_eq(x->ice_pwd, y->ice_pwd));
		CHECK(x->fingerprint.len == y->fingerprint.len);
		CHECK(memcmp(x->fingerprint.value, y->fingerprint.value, x->fingerprint.len) == 0);
		CHECK_STR(x->fingerprint.algorithm, y->fingerprint.algorithm);
		CHECK_INT(x->setup, y->setup);
		CHECK(x->rtcp_mux == y->rtcp_mux);
		CHECK(x->rtcp_rsize == y->rtcp_rsize);
		CHECK(x->end_of_candidates == y->end_of_candidates);
		CHECK_INT(x->n_candidates, y->n_candidates);
		for (size_t j = 0; j < x->n_candidates; j++)
			CHECK_STR(x->candidates[j], y->candidates[j]);
		CHECK_INT(x->n_codecs, y->n_codecs);
		for (size_t j = 0; j < x->n_codecs; j++) {
			const struct alto_sdp_codec *c = &x->codecs[j], *d = &y->codecs[j];
			CHECK_INT(c->pt, d->pt);
			CHECK_STR(c->name, d->name);
			CHECK_INT(c->clock_rate, d->clock_rate);
			CHECK_INT(c->channels, d->channels);
			CHECK(str_eq(c->fmtp, d->fmtp));
			CHECK_INT(c->n_rtcp_fb, d->n_rtcp_fb);
			for (size_t k = 0; k < c->n_rtcp_fb; k++)
				CHECK_STR(c->rtcp_fb[k], d->rtcp_fb[k]);
		}
		CHECK_INT(x->n_rtcp_fb_all, y->n_rtcp_fb_all);
		for (size_t j = 0; j < x->n_rtcp_fb_all; j++)
			CHECK_STR(x->rtcp_fb_all[j], y->rtcp_fb_all[j]);
		CHECK_INT(x->n_extmaps, y->n_extmaps);
		for (size_t j = 0; j < x->n_extmaps; j++) {
			CHECK_INT(x->extmaps[j].id, y->extmaps[j].id);
			CHECK_INT(x->extmaps[j].direction, y->extmaps[j].direction);
			CHECK_STR(x->extmaps[j].uri, y->extmaps[j].uri);
		}
		CHECK(str_eq(x->msid_stream, y->msid_stream));
		CHECK(str_eq(x->msid_track, y->msid_track));
		CHECK_INT(x->n_ssrcs, y->n_ssrcs);
		for (size_t j = 0; j < x->n_ssrcs; j++) {
			CHECK(x->ssrcs[j].ssrc == y->ssrcs[j].ssrc);
			CHECK(str_eq(x->ssrcs[j].cname, y->ssrcs[j].cname));
			CHECK(str_eq(x->ssrcs[j].msid_stream, y->ssrcs[j].msid_stream));
			CHECK(str_eq(x->ssrcs[j].msid_track, y->ssrcs[j].msid_track));
		}
		CHECK_INT(x->sctp_port, y->sctp_port);
		CHECK_INT(x->max_message_size, y->max_message_size);
	}
}

static void round_trip(const char *name)
{
	struct alto_sdp *a = parse_file(name), *b = NULL;
	char *text = NULL;
	int line;

	CHECK_INT(alto_sdp_build(a, &text), 0);
	CHECK_INT(alto_sdp_parse(text, strlen(text), &b, &line), 0);
	check_same(a, b);
	/* and the text is stable from then on */
	char *again = NULL;
	CHECK_INT(alto_sdp_build(b, &again), 0);
	CHECK_STR(text, again);
	free(again);
	free(text);
	alto_sdp_free(a);
	alto_sdp_free(b);
}

static void test_livekit_answer(void)
{
	struct alto_sdp *sdp = parse_file("livekit-answer-single-pc.sdp");
	const struct alto_sdp_media *m;
	const struct alto_sdp_codec *c;

	CHECK(sdp->ice_lite);
	CHECK(sdp->session_id == 4215775240449105457ull);
	CHECK_INT(sdp->n_bundle, 4);
	CHECK_STR(sdp->bundle[0], "0");
	CHECK_INT(sdp->n_media, 4);

	m = &sdp->media[0];
	CHECK_STR(m->kind, "audio");
	CHECK_STR(m->mid, "0");
	CHECK_INT(m->direction, ALTO_SDP_DIRECTION_SENDONLY);
	CHECK_INT(m->setup, ALTO_SDP_SETUP_ACTIVE);
	CHECK_STR(m->ice_ufrag, "HkPsWnqGdbQWlyxN");
	CHECK_STR(m->ice_pwd, "QyYEkLIRqWhIBjPzVQfjEokHMMxqTbxy");
	/* the session-level fingerprint is copied into each section */
	CHECK_INT(m->fingerprint.len, 32);
	CHECK_STR(m->fingerprint.algorithm, "sha-256");
	CHECK_INT(m->fingerprint.value[0], 0x3b);
	CHECK_INT(m->fingerprint.value[31], 0xcc);
	CHECK(m->rtcp_mux);
	CHECK(m->rtcp_rsize);
	CHECK_INT(m->n_codecs, 2);
	c = alto_sdp_media_find_codec(m, "opus", 48000);
	CHECK(c != NULL);
	CHECK_INT(c->pt, 111);
	CHECK_INT(c->channels, 2);
	CHECK_STR(c->fmtp, "minptime=10;useinbandfec=1;usedtx=1");
	CHECK_INT(c->n_rtcp_fb, 2);
	CHECK_STR(c->rtcp_fb[1], "transport-cc");
	c = alto_sdp_media_find_codec(m, "RED", 0);
	CHECK(c != NULL);
	CHECK_INT(c->pt, 63);
	CHECK_STR(c->fmtp, "111/111");
	CHECK_INT(alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_ABS_CAPTURE_TIME), 7);
	CHECK_INT(alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_SDES_MID), 0);
	CHECK_STR(m->msid_stream, "PA_Xyz8kQ2nW|TR_AMbq7Tz4Ps");
	CHECK_STR(m->msid_track, "TR_AMbq7Tz4Ps");
	CHECK_INT(m->n_ssrcs, 1);
	CHECK(m->ssrcs[0].ssrc == 1904731234u);
	CHECK_STR(m->ssrcs[0].cname, "PA_Xyz8kQ2nW|TR_AMbq7Tz4Ps");
	CHECK_STR(m->ssrcs[0].msid_track, "TR_AMbq7Tz4Ps");
	CHECK_INT(m->n_candidates, 4);
	CHECK_STR(m->candidates[0], "candidate:1984527210 1 udp 2130706431 192.0.2.2 50123 typ host");
	CHECK(m->end_of_candidates);

	char participant[64];
	CHECK_INT(alto_sdp_msid_participant(m->msid_stream, participant, sizeof(participant)), 12);
	CHECK_STR(participant, "PA_Xyz8kQ2nW");
	CHECK_INT(alto_sdp_msid_participant("PA_x", participant, sizeof(participant)), -EINVAL);
	CHECK_INT(alto_sdp_msid_participant(m->msid_stream, participant, 5), -ENOSPC);

	m = alto_sdp_find_media(sdp, "2");
	CHECK(m == &sdp->media[2]);
	CHECK_INT(m->direction, ALTO_SDP_DIRECTION_INACTIVE);
	CHECK(!alto_sdp_media_is_active(m));
	CHECK(alto_sdp_media_is_active(&sdp->media[0]));

	m = &sdp->media[3];
	CHECK_STR(m->kind, "application");
	CHECK_STR(m->proto, "UDP/DTLS/SCTP");
	CHECK_INT(m->n_formats, 1);
	CHECK_STR(m->formats[0], "webrtc-datachannel");
	CHECK_INT(m->sctp_port, 5000);
	CHECK(alto_sdp_is_bundled(sdp, "3"));
	CHECK(!alto_sdp_is_bundled(sdp, "4"));
	alto_sdp_free(sdp);
}

static void test_livekit_subscriber_offers(void)
{
	struct alto_sdp *sdp = parse_file("livekit-subscriber-offer-datachannel.sdp");
	CHECK(sdp->ice_lite);
	CHECK_INT(sdp->n_media, 1);
	CHECK_STR(sdp->media[0].kind, "application");
	CHECK_INT(sdp->media[0].setup, ALTO_SDP_SETUP_ACTPASS);
	CHECK_INT(sdp->media[0].n_candidates, 2);
	CHECK_INT(sdp->media[0].direction, ALTO_SDP_DIRECTION_SENDRECV);
	alto_sdp_free(sdp);

	sdp = parse_file("livekit-subscriber-offer-audio.sdp");
	CHECK_INT(sdp->n_media, 3);
	const struct alto_sdp_media *m = alto_sdp_find_media(sdp, "1");
	CHECK(m != NULL);
	/* RED listed first: the order of the m= line is kept */
	CHECK_INT(m->n_codecs, 2);
	CHECK_INT(m->codecs[0].pt, 63);
	CHECK_STR(m->formats[0], "63");
	CHECK_INT(m->direction, ALTO_SDP_DIRECTION_SENDONLY);
	CHECK_STR(m->msid_track, "TR_AMkk3Jd9Qe");
	m = alto_sdp_find_media(sdp, "2");
	CHECK_STR(m->kind, "video");
	CHECK_INT(m->n_ssrcs, 2);
	CHECK_INT(m->n_codecs, 2);
	CHECK_INT(m->codecs[0].n_rtcp_fb, 4);
	CHECK_STR(m->codecs[0].rtcp_fb[1], "ccm fir");
	alto_sdp_free(sdp);
}

static void test_werift_offer(void)
{
	struct alto_sdp *sdp = parse_file("werift-offer.sdp");
	CHECK(!sdp->ice_lite);
	CHECK(sdp->ice_trickle);
	CHECK_INT(sdp->n_media, 2);
	CHECK_INT(sdp->media[0].direction, ALTO_SDP_DIRECTION_SENDRECV);
	CHECK_INT(sdp->media[1].direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_STR(sdp->media[0].ice_ufrag, "41a3");
	CHECK_INT(sdp->media[0].n_ssrcs, 1);
	CHECK(sdp->media[0].ssrcs[0].msid_stream == NULL);
	CHECK(sdp->media[0].msid_stream == NULL);
	CHECK_STR(sdp->media[1].candidates[0], "candidate:32b1715da3b0ef8ba684454eb 1 udp "
			"2116026367 192.0.2.2 45170 typ host generation 0 ufrag 41a3");
	alto_sdp_free(sdp);
}

static void test_libwebrtc_offer(void)
{
	struct alto_sdp *sdp = parse_file("libwebrtc-offer.sdp");
	const struct alto_sdp_media *m = &sdp->media[0];
	CHECK_INT(sdp->n_media, 3);
	CHECK_INT(m->n_formats, 8);
	CHECK_INT(m->n_codecs, 8);
	CHECK_INT(alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_AUDIO_LEVEL), 1);
	CHECK_INT(alto_sdp_media_find_extmap(m, ALTO_SDP_EXT_SDES_MID), 4);
	CHECK(alto_sdp_media_find_pt(m, 0) != NULL);
	CHECK_STR(alto_sdp_media_find_pt(m, 0)->name, "PCMU");
	CHECK_INT(alto_sdp_media_find_pt(m, 0)->channels, 0);
	CHECK(alto_sdp_media_find_pt(m, 100) == NULL);
	CHECK_STR(m->ice_pwd, "n1vQ+8WvHf1hS7wJ0ZkQmY4f");
	CHECK_STR(sdp->media[1].kind, "video");
	CHECK_INT(sdp->media[1].direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_INT(sdp->media[2].max_message_size, 262144);
	alto_sdp_free(sdp);
}

static void test_round_trips(void)
{
	round_trip("livekit-answer-single-pc.sdp");
	round_trip("livekit-subscriber-offer-datachannel.sdp");
	round_trip("livekit-subscriber-offer-audio.sdp");
	round_trip("werift-offer.sdp");
	round_trip("libwebrtc-offer.sdp");
}

/* Every prefix of every sample either parses or is refused, never crashes (ASan watches). */
static void test_truncations(void)
{
	const char *names[] = { "livekit-answer-single-pc.sdp", "libwebrtc-offer.sdp" };
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		size_t len;
		char *text = test_read_file(data_dir, names[n], &len);
		for (size_t cut = 0; cut <= len; cut += 7) {
			/* a copy of exactly cut bytes, so reading past it is caught */
			char *part = malloc(cut ? cut : 1);
			struct alto_sdp *sdp = NULL;
			memcpy(part, text, cut);
			int res = alto_sdp_parse(part, cut, &sdp, NULL);
			CHECK(res == 0 || res == -EINVAL);
			CHECK((res == 0) == (sdp != NULL));
			alto_sdp_free(sdp);
			free(part);
		}
		free(text);
	}
}

static void expect_invalid(const char *text, int want_line)
{
	struct alto_sdp *sdp = (struct alto_sdp *)1;
	int line = -1, res = alto_sdp_parse(text, strlen(text), &sdp, &line);
	if (res != -EINVAL)
		fprintf(stderr, "accepted: %s\n", text);
	CHECK_INT(res, -EINVAL);
	CHECK(sdp == NULL);
	if (want_line)
		CHECK_INT(line, want_line);
}

#define HEAD "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"

static void test_malformed(void)
{
	expect_invalid("", 0);
	expect_invalid("hello", 1);
	expect_invalid("v=1\r\n", 1);
	expect_invalid("o=- 1 2 IN IP4 0.0.0.0\r\n", 1);
	expect_invalid("v=0\r\nv=0\r\n", 2);
	expect_invalid("v=0\r\no=- x 2 IN IP4 0.0.0.0\r\n", 2);
	expect_invalid("v=0\r\no=-\r\n", 2);
	expect_invalid("v=0\r\no=- 99999999999999999999999 1 IN IP4 0.0.0.0\r\n", 2);
	expect_invalid(HEAD "x\r\n", 5);
	expect_invalid(HEAD "=x\r\n", 5);
	expect_invalid(HEAD "A=x\r\n", 5);
	expect_invalid(HEAD "m=audio\r\n", 5);
	expect_invalid(HEAD "m=audio 9\r\n", 5);
	expect_invalid(HEAD "m=audio x UDP/TLS/RTP/SAVPF 111\r\n", 5);
	expect_invalid(HEAD "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", 5);
	expect_invalid(HEAD "m=audio 9/x UDP/TLS/RTP/SAVPF 111\r\n", 5);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:128 opus/48000\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus/x/2\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 /48000/2\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus/48000/2/1\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtpmap:111 opus/48000/2\r\n"
			"a=rtpmap:111 opus/48000/2\r\n", 7);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=fmtp:abc x=1\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=fmtp:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=rtcp-fb:111\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=extmap:0 urn:x\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=extmap:256 urn:x\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=extmap:1/sideways urn:x\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=extmap:1\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ssrc:x cname:y\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ssrc:4294967296 cname:y\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ssrc:1\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ssrc:1 msid:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=msid:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=mid:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=mid:a b\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=candidate:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=setup:sideways\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ice-ufrag:\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=ice-pwd:a b\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=sctp-port:99999\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=max-message-size:-1\r\n", 6);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=sctpmap:x webrtc-datachannel\r\n", 6);
	expect_invalid(HEAD "a=fingerprint:sha-256\r\n", 5);
	expect_invalid(HEAD "a=fingerprint:sha-256 AB:CD:\r\n", 5);
	expect_invalid(HEAD "a=fingerprint:sha-256 AB:CG\r\n", 5);
	expect_invalid(HEAD "a=fingerprint:sha-256 ABC\r\n", 5);
	expect_invalid(HEAD "a=fingerprint:sha_256 AB\r\n", 5);
	expect_invalid(HEAD "a=group:\r\n", 5);
	expect_invalid(HEAD "a=:x\r\n", 5);
	expect_invalid(HEAD "a=setup:\r\n", 5);
	/* control characters, an embedded NUL */
	expect_invalid(HEAD "s=a\x01" "b\r\n", 5);
	expect_invalid(HEAD "m=audio 9 RTP/AVP 0\r\na=mid:0\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n", 0);
	{
		const char text[] = "v=0\r\ns=\0x\r\n";
		struct alto_sdp *sdp = NULL;
		CHECK_INT(alto_sdp_parse(text, sizeof(text) - 1, &sdp, NULL), -EINVAL);
	}
	/* too big */
	{
		size_t len = ALTO_SDP_MAX_SIZE + 1;
		char *big = malloc(len);
		struct alto_sdp *sdp = NULL;
		memset(big, 'a', len);
		memcpy(big, "v=0\n", 4);
		CHECK_INT(alto_sdp_parse(big, len, &sdp, NULL), -E2BIG);
		free(big);
	}
	/* too many sections */
	{
		size_t size = 600 * 32 + 64, pos;
		char *many = malloc(size);
		struct alto_sdp *sdp = NULL;
		pos = (size_t)sprintf(many, "v=0\n");
		for (int i = 0; i < 600; i++)
			pos += (size_t)sprintf(many + pos, "m=audio 9 RTP/AVP 0\n");
		CHECK_INT(alto_sdp_parse(many, pos, &sdp, NULL), -E2BIG);
		free(many);
	}
	CHECK_INT(alto_sdp_parse(NULL, 3, &(struct alto_sdp *){ NULL }, NULL), -EINVAL);
}

/* What tolerance the parser has on purpose. */
static void test_lenient(void)
{
	const char *text = "\r\n" "v=0\n" "o=- 1 2 IN IP4 0.0.0.0\n" "s=-\n"
		"a=sendonly\n" "a=some-future-attribute:with value\n" "a=ice-ufrag:sess\n"
		"a=ice-pwd:sesspwd\n"
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
		"a=fmtp:111 minptime=10\n"			/* fmtp before rtpmap */
		"a=rtcp-fb:* nack\n"
		"a=fmtp:112 apt=111\n"				/* no rtpmap at all: dropped */
		"a=rtpmap:111 OPUS/48000/2\n"
		"a=fingerprint:sha-1 00:11\n"
		"a=fingerprint:SHA-256 aa:bb\n"			/* sha-256 preferred */
		"a=fingerprint:sha-512 cc:dd\n"
		"a=extmap:3/recvonly urn:ietf:params:rtp-hdrext:sdes:mid\n"
		"a=ssrc:5 mslabel:x\n"
		"a=msid:only-stream\n"
		"m=video 0 UDP/TLS/RTP/SAVPF\n"			/* no formats */
		"a=mid:v\n"
		"\n";
	struct alto_sdp *sdp = NULL;
	int line;

	CHECK_INT(alto_sdp_parse(text, strlen(text), &sdp, &line), 0);
	const struct alto_sdp_media *m = &sdp->media[0];
	CHECK_INT(m->direction, ALTO_SDP_DIRECTION_SENDONLY);
	CHECK_STR(m->ice_ufrag, "sess");
	CHECK_INT(m->n_codecs, 1);
	CHECK_STR(alto_sdp_media_find_codec(m, "opus", 48000)->fmtp, "minptime=10");
	CHECK_STR(m->fingerprint.algorithm, "sha-256");
	CHECK_INT(m->fingerprint.len, 2);
	CHECK_INT(m->extmaps[0].direction, ALTO_SDP_DIRECTION_RECVONLY);
	CHECK_INT(m->n_ssrcs, 1);
	CHECK(m->ssrcs[0].cname == NULL);
	CHECK_STR(m->msid_stream, "only-stream");
	CHECK(m->msid_track == NULL);
	CHECK(m->mid == NULL);
	/* a=rtcp-fb:* applies to every codec; words compared, not text */
	CHECK_INT(m->n_rtcp_fb_all, 1);
	CHECK_STR(m->rtcp_fb_all[0], "nack");
	CHECK(alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], "nack"));
	CHECK(alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], " NACK "));
	CHECK(!alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], "nack pli"));
	CHECK(!alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], "nac"));
	CHECK(!alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], ""));
	CHECK(!alto_sdp_codec_has_rtcp_fb(m, &m->codecs[0], NULL));
	CHECK(!alto_sdp_codec_has_rtcp_fb(&sdp->media[1], NULL, "nack"));
	CHECK_INT(sdp->media[1].port, 0);
	CHECK_INT(sdp->media[1].n_formats, 0);
	CHECK(!alto_sdp_media_is_active(&sdp->media[1]));
	alto_sdp_free(sdp);
}

static void test_fingerprint(void)
{
	struct alto_sdp_fingerprint fp;
	char buf[256];

	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 0A:1b:FF", &fp), 0);
	CHECK_INT(fp.len, 3);
	CHECK_INT(alto_sdp_fingerprint_format(&fp, buf, sizeof(buf)), 16);
	CHECK_STR(buf, "sha-256 0A:1B:FF");
	CHECK_INT(alto_sdp_fingerprint_format(&fp, buf, 16), -ENOSPC);
	CHECK_INT(alto_sdp_fingerprint_format(&fp, buf, 17), 16);
	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 ", &fp), -EINVAL);
	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 0A:1B ", &fp), 0);
	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 0A::1B", &fp), -EINVAL);
	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 0A 1B", &fp), -EINVAL);
	CHECK_INT(alto_sdp_fingerprint_parse("averyveryverylongname 0A", &fp), -EINVAL);
	/* 65 bytes: one too many */
	char longfp[8 + 65 * 3 + 1];
	strcpy(longfp, "sha-512 ");
	for (int i = 0; i < 65; i++)
		strcat(longfp, i ? ":AB" : "AB");
	CHECK_INT(alto_sdp_fingerprint_parse(longfp, &fp), -EINVAL);
}

/* A local offer as the peer connection builds one: check the lines LiveKit relies on. */
static void test_build_offer(void)
{
	struct alto_sdp *sdp = alto_sdp_new(), *back = NULL;
	struct alto_sdp_media *m;
	struct alto_sdp_codec *opus;
	char *text = NULL;

	CHECK(sdp != NULL);
	sdp->session_id = 42;
	sdp->session_version = 1;
	sdp->ice_trickle = true;
	CHECK_INT(alto_sdp_add_bundle_mid(sdp, "0"), 0);
	CHECK_INT(alto_sdp_add_bundle_mid(sdp, "1"), 0);
	m = alto_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF");
	CHECK(m != NULL);
	m->mid = "0";
	m->direction = ALTO_SDP_DIRECTION_SENDONLY;
	m->ice_ufrag = "ufrag";
	m->ice_pwd = "passwordpasswordpassword";
	m->setup = ALTO_SDP_SETUP_ACTPASS;
	m->rtcp_mux = true;
	CHECK_INT(alto_sdp_fingerprint_parse("sha-256 01:02", &m->fingerprint), 0);
	opus = alto_sdp_media_add_codec(sdp, m, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
	CHECK(opus != NULL);
	CHECK_INT(alto_sdp_codec_add_rtcp_fb(sdp, opus, "nack"), 0);
	CHECK_INT(alto_sdp_media_add_extmap(sdp, m, 1, ALTO_SDP_EXT_AUDIO_LEVEL), 0);
	CHECK_INT(alto_sdp_media_add_extmap(sdp, m, 4, ALTO_SDP_EXT_SDES_MID), 0);
	CHECK_INT(alto_sdp_media_add_extmap(sdp, m, 0, "bad"), -EINVAL);
	m->msid_stream = "-";
	m->msid_track = "mic-cid";
	CHECK_INT(alto_sdp_media_add_ssrc(sdp, m, 1234, "cname", "-", "mic-cid"), 0);
	CHECK_INT(alto_sdp_media_add_candidate(sdp, m,
			"candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host"), 0);
	m = alto_sdp_add_media(sdp, "audio", 9, "UDP/TLS/RTP/SAVPF");
	m->mid = "1";
	m->direction = ALTO_SDP_DIRECTION_RECVONLY;
	alto_sdp_media_add_codec(sdp, m, 111, "opus", 48000, 2, "minptime=10;useinbandfec=1");
	alto_sdp_media_add_codec(sdp, m, 63, "red", 48000, 2, "111/111");
	CHECK_INT(alto_sdp_media_add_rtcp_fb_all(sdp, m, "nack"), 0);
	CHECK_INT(alto_sdp_media_add_rtcp_fb_all(NULL, m, "nack"), -EINVAL);

	CHECK_INT(alto_sdp_build(sdp, &text), 0);
	CHECK(strstr(text, "a=rtcp-fb:111 nack\r\n") != NULL);
	CHECK(strstr(text, "a=rtcp-fb:* nack\r\n") != NULL);
	CHECK(strstr(text, "a=group:BUNDLE 0 1\r\n") != NULL);
	CHECK(strstr(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n") != NULL);
	CHECK(strstr(text, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\n") != NULL);
	CHECK(strstr(text, "a=fmtp:111 minptime=10;useinbandfec=1\r\n") != NULL);
	CHECK(strstr(text, "a=fmtp:63 111/111\r\n") != NULL);
	CHECK(strstr(text, "a=msid:- mic-cid\r\n") != NULL);
	CHECK(strstr(text, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n") != NULL);
	CHECK(strstr(text, "a=setup:actpass\r\n") != NULL);
	CHECK(strstr(text, "a=fingerprint:sha-256 01:02\r\n") != NULL);
	CHECK(strstr(text, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(text, "a=ssrc:1234 cname:cname\r\n") != NULL);
	CHECK(strstr(text, "a=candidate:1 1 UDP 2015363327 127.0.0.1 40000 typ host\r\n") != NULL);
	CHECK(strstr(text, "a=ice-options:trickle\r\n") != NULL);
	CHECK_INT(alto_sdp_parse(text, strlen(text), &back, NULL), 0);
	check_same(sdp, back);
	free(text);
	alto_sdp_free(back);
	alto_sdp_free(sdp);

	/* a section without kind cannot be written */
	struct alto_sdp broken = { 0 };
	struct alto_sdp_media media = { 0 };
	broken.media = &media;
	broken.n_media = 1;
	CHECK_INT(alto_sdp_build(&broken, &text), -EINVAL);
	CHECK(alto_sdp_add_media(NULL, "audio", 9, "x") == NULL);
}

int main(int argc, char **argv)
{
	CHECK(argc > 1);
	data_dir = argv[1];
	RUN(test_livekit_answer);
	RUN(test_livekit_subscriber_offers);
	RUN(test_werift_offer);
	RUN(test_libwebrtc_offer);
	RUN(test_round_trips);
	RUN(test_truncations);
	RUN(test_malformed);
	RUN(test_lenient);
	RUN(test_fingerprint);
	RUN(test_build_offer);
	fprintf(stderr, "ok\n");
	return 0;
}
