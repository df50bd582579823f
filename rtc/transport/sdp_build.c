/* alto rtc/transport: write a struct alto_sdp as SDP text.
 *
 * Writes what the struct holds and nothing it does not: the peer connection decides what a
 * section carries (see peer_connection_sdp.c). Sections always get "c=IN IP4 0.0.0.0" and, for
 * RTP, "a=rtcp:9 IN IP4 0.0.0.0" (JSEP's dummy values; the addresses travel as candidates).
 * Thread: any.
 */
#include "sdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
	char *data;
	size_t len;
	size_t size;
	int error;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->error)
		return;
	for (;;) {
		size_t room = t->size - t->len;
		va_start(ap, fmt);
		n = vsnprintf(t->data ? t->data + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->error = -EINVAL;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t size = t->size ? t->size * 2 : 2048;
		while (size - t->len <= (size_t)n)
			size *= 2;
		char *grown = realloc(t->data, size);
		if (grown == NULL) {
			t->error = -ENOMEM;
			return;
		}
		t->data = grown;
		t->size = size;
	}
}

static bool is_rtp(const struct alto_sdp_media *m)
{
	return strstr(m->proto, "RTP") != NULL;
}

static void write_fingerprint(struct text *t, const struct alto_sdp_fingerprint *fp)
{
	char buf[16 + ALTO_SDP_FINGERPRINT_MAX * 3 + 2];

	if (fp->len > 0 && alto_sdp_fingerprint_format(fp, buf, sizeof(buf)) > 0)
		text_printf(t, "a=fingerprint:%s\r\n", buf);
}

static void write_media(struct text *t, const struct alto_sdp *sdp, const struct alto_sdp_media *m)
{
	bool rtp = is_rtp(m);

	text_printf(t, "m=%s %u %s", m->kind, m->port, m->proto);
	if (m->n_formats > 0) {
		for (size_t i = 0; i < m->n_formats; i++)
			text_printf(t, " %s", m->formats[i]);
	} else if (m->n_codecs > 0 && rtp) {
		for (size_t i = 0; i < m->n_codecs; i++)
			text_printf(t, " %u", m->codecs[i].pt);
	} else {
		text_printf(t, " %s", rtp ? "0" : "webrtc-datachannel");
	}
	text_printf(t, "\r\nc=IN IP4 0.0.0.0\r\n");
	if (rtp && m->port != 0)
		text_printf(t, "a=rtcp:9 IN IP4 0.0.0.0\r\n");
	for (size_t i = 0; i < m->n_candidates; i++)
		text_printf(t, "a=%s\r\n", m->candidates[i]);
	if (m->end_of_candidates)
		text_printf(t, "a=end-of-candidates\r\n");
	if (m->ice_ufrag)
		text_printf(t, "a=ice-ufrag:%s\r\n", m->ice_ufrag);
	if (m->ice_pwd)
		text_printf(t, "a=ice-pwd:%s\r\n", m->ice_pwd);
	if (sdp->ice_trickle && m->ice_ufrag)
		text_printf(t, "a=ice-options:trickle\r\n");
	write_fingerprint(t, &m->fingerprint);
	if (m->setup != ALTO_SDP_SETUP_NONE)
		text_printf(t, "a=setup:%s\r\n", alto_sdp_setup_name(m->setup));
	if (m->mid)
		text_printf(t, "a=mid:%s\r\n", m->mid);
	for (size_t i = 0; i < m->n_extmaps; i++) {
		const struct alto_sdp_extmap *e = &m->extmaps[i];
		if (e->direction != ALTO_SDP_DIRECTION_NONE)
			text_printf(t, "a=extmap:%u/%s %s\r\n", e->id,
					alto_sdp_direction_name(e->direction), e->uri);
		else
			text_printf(t, "a=extmap:%u %s\r\n", e->id, e->uri);
	}
	if (m->direction != ALTO_SDP_DIRECTION_NONE)
		text_printf(t, "a=%s\r\n", alto_sdp_direction_name(m->direction));
	if (m->msid_stream)
		text_printf(t, "a=msid:%s%s%s\r\n", m->msid_stream, m->msid_track ? " " : "",
				m->msid_track ? m->msid_track : "");
	if (m->rtcp_mux)
		text_printf(t, "a=rtcp-mux\r\n");
	if (m->rtcp_rsize)
		text_printf(t, "a=rtcp-rsize\r\n");
	for (size_t i = 0; i < m->n_rtcp_fb_all; i++)
		text_printf(t, "a=rtcp-fb:* %s\r\n", m->rtcp_fb_all[i]);
	for (size_t i = 0; i < m->n_codecs; i++) {
		const struct alto_sdp_codec *c = &m->codecs[i];
		if (c->channels)
			text_printf(t, "a=rtpmap:%u %s/%" PRIu32 "/%" PRIu32 "\r\n", c->pt, c->name,
					c->clock_rate, c->channels);
		else
			text_printf(t, "a=rtpmap:%u %s/%" PRIu32 "\r\n", c->pt, c->name,
					c->clock_rate);
		for (size_t j = 0; j < c->n_rtcp_fb; j++)
			text_printf(t, "a=rtcp-fb:%u %s\r\n", c->pt, c->rtcp_fb[j]);
		if (c->fmtp)
			text_printf(t, "a=fmtp:%u %s\r\n", c->pt, c->fmtp);
	}
	for (size_t i = 0; i < m->n_ssrcs; i++) {
		const struct alto_sdp_ssrc *s = &m->ssrcs[i];
		if (s->cname)
			text_printf(t, "a=ssrc:%" PRIu32 " cname:%s\r\n", s->ssrc, s->cname);
		if (s->msid_stream)
			text_printf(t, "a=ssrc:%" PRIu32 " msid:%s%s%s\r\n", s->ssrc, s->msid_stream,
					s->msid_track ? " " : "", s->msid_track ? s->msid_track : "");
	}
	if (m->sctp_port)
		text_printf(t, "a=sctp-port:%u\r\n", m->sctp_port);
	if (m->max_message_size)
		text_printf(t, "a=max-message-size:%" PRIu32 "\r\n", m->max_message_size);
}

int alto_sdp_build(const struct alto_sdp *sdp, char **result)
{
	struct text t = { 0 };

	if (sdp == NULL || result == NULL)
		return -EINVAL;
	*result = NULL;
	for (size_t i = 0; i < sdp->n_media; i++)
		if (sdp->media[i].kind == NULL || sdp->media[i].proto == NULL)
			return -EINVAL;

	text_printf(&t, "v=0\r\no=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
			sdp->session_id, sdp->session_version);
	if (sdp->ice_lite)
		text_printf(&t, "a=ice-lite\r\n");
	if (sdp->n_bundle > 0) {
		text_printf(&t, "a=group:BUNDLE");
		for (size_t i = 0; i < sdp->n_bundle; i++)
			text_printf(&t, " %s", sdp->bundle[i]);
		text_printf(&t, "\r\n");
	}
	text_printf(&t, "a=msid-semantic: WMS *\r\n");
	/* session-level transport only when no section carries its own */
	if (sdp->n_media == 0) {
		if (sdp->ice_ufrag)
			text_printf(&t, "a=ice-ufrag:%s\r\n", sdp->ice_ufrag);
		if (sdp->ice_pwd)
			text_printf(&t, "a=ice-pwd:%s\r\n", sdp->ice_pwd);
		write_fingerprint(&t, &sdp->fingerprint);
		if (sdp->setup != ALTO_SDP_SETUP_NONE)
			text_printf(&t, "a=setup:%s\r\n", alto_sdp_setup_name(sdp->setup));
	}
	for (size_t i = 0; i < sdp->n_media; i++)
		write_media(&t, sdp, &sdp->media[i]);

	if (t.error) {
		free(t.data);
		return t.error;
	}
	*result = t.data;
	return 0;
}
