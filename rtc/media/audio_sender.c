/* RTP packetization of an Opus track. See audio_sender.h. Thread: network. */
#include "audio_sender.h"

#include <errno.h>
#include <string.h>

#include "rtp.h"

#define MAX_PAYLOAD	1275	/* the longest Opus frame */

int alto_audio_sender_init(struct alto_audio_sender *s, const struct alto_audio_sender_config *cfg)
{
	size_t mid_len;

	if (s == NULL || cfg == NULL || cfg->payload_type > 127)
		return -EINVAL;
	mid_len = strnlen(cfg->mid, sizeof(cfg->mid));
	if (mid_len == sizeof(cfg->mid) ||			/* not terminated */
	    (cfg->mid_ext_id != 0 && mid_len == 0) ||
	    (cfg->mid_ext_id != 0 && cfg->mid_ext_id == cfg->audio_level_ext_id))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->seq = cfg->first_seq;
	s->ts = cfg->first_ts;
	s->send_marker = true;		/* the first packet starts a talk spurt */
	return 0;
}

int alto_audio_sender_packetize(struct alto_audio_sender *s, struct alto_opus_encoder *enc,
		const float *pcm, uint8_t *buf, size_t cap)
{
	struct alto_rtp_packet rtp = { 0 };
	uint8_t payload[MAX_PAYLOAD], level;
	int frames, channels, len, res;
	size_t out_len;
	bool dtx;

	if (s == NULL || enc == NULL || pcm == NULL || buf == NULL)
		return -EINVAL;
	frames = alto_opus_encoder_frame_size(enc);
	channels = alto_opus_encoder_channels(enc);
	if ((len = alto_opus_encode(enc, pcm, payload, sizeof(payload))) < 0)
		return len;

	rtp.timestamp = s->ts;
	s->last_ts = s->ts;
	s->ts += (uint32_t)frames;
	dtx = len <= 2;
	if (dtx && s->in_dtx)
		return 0;		/* the receiver knows: nothing to send */
	if (!dtx && s->in_dtx)
		s->send_marker = true;	/* talk spurt after silence */
	s->in_dtx = dtx;

	rtp.payload_type = s->cfg.payload_type;
	rtp.marker = s->send_marker;
	rtp.seq = s->seq;
	rtp.ssrc = s->cfg.ssrc;
	rtp.payload = payload;
	rtp.payload_len = (size_t)len;
	if (s->cfg.audio_level_ext_id != 0) {
		level = alto_rtp_audio_level_byte(!dtx,
				alto_rtp_audio_level_dbov(pcm, (size_t)frames * (size_t)channels));
		rtp.extensions[rtp.n_extensions++] = (struct alto_rtp_extension) {
			.id = s->cfg.audio_level_ext_id, .len = 1, .data = &level,
		};
	}
	if (s->cfg.mid_ext_id != 0) {
		rtp.extensions[rtp.n_extensions++] = (struct alto_rtp_extension) {
			.id = s->cfg.mid_ext_id, .len = (uint8_t)strlen(s->cfg.mid),
			.data = (const uint8_t *)s->cfg.mid,
		};
	}
	if ((res = alto_rtp_build(&rtp, buf, cap, &out_len)) < 0)
		return res;
	s->seq++;
	s->send_marker = false;
	s->packets++;
	s->octets += (uint32_t)len;
	return (int)out_len;
}

int alto_audio_sender_build_sr(const struct alto_audio_sender *s, uint64_t ntp, uint32_t rtp_ts,
		uint8_t *buf, size_t cap, size_t *out_len)
{
	struct alto_rtcp_sr sr = { 0 };

	if (s == NULL)
		return -EINVAL;
	sr.ssrc = s->cfg.ssrc;
	sr.ntp = ntp;
	sr.rtp_ts = rtp_ts;
	sr.packet_count = s->packets;
	sr.octet_count = s->octets;
	return alto_rtcp_build_sr(buf, cap, &sr, out_len);
}
