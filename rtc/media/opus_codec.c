/* libopus 1.3.1 wrapper. See opus_codec.h. Thread: the owner of each
 * decoder/encoder; decode paths are real-time safe (no allocation). */
#include "opus_codec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <opus.h>

static int errno_from_opus(int err);

struct alto_opus_decoder {
	OpusDecoder *dec;
	int channels;
	float softclip_mem[2];
};

/* libopus's float decoder does not clip: a corrupt (or hostile) packet can
 * decode far outside [-1, 1]. Soft-clip like its int16 path does. */
static int finish(struct alto_opus_decoder *d, float *pcm, int res)
{
	if (res < 0)
		return errno_from_opus(res);
	opus_pcm_soft_clip(pcm, res, d->channels, d->softclip_mem);
	return res;
}

struct alto_opus_encoder {
	OpusEncoder *enc;
	int channels;
	int frame_size;
};

static int errno_from_opus(int err)
{
	switch (err) {
	case OPUS_BAD_ARG:
		return -EINVAL;
	case OPUS_BUFFER_TOO_SMALL:
		return -ENOSPC;
	case OPUS_INVALID_PACKET:
		return -EBADMSG;
	case OPUS_ALLOC_FAIL:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

int alto_opus_decoder_create(struct alto_opus_decoder **out, int channels)
{
	struct alto_opus_decoder *d;
	int err;

	if (out == NULL || (channels != 1 && channels != 2))
		return -EINVAL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	d->channels = channels;
	d->dec = opus_decoder_create(ALTO_OPUS_RATE, channels, &err);
	if (d->dec == NULL) {
		free(d);
		return errno_from_opus(err);
	}
	*out = d;
	return 0;
}

void alto_opus_decoder_destroy(struct alto_opus_decoder *d)
{
	if (d == NULL)
		return;
	opus_decoder_destroy(d->dec);
	free(d);
}

int alto_opus_decoder_reset(struct alto_opus_decoder *d)
{
	if (d == NULL)
		return -EINVAL;
	d->softclip_mem[0] = d->softclip_mem[1] = 0.0f;
	return opus_decoder_ctl(d->dec, OPUS_RESET_STATE) == OPUS_OK ? 0 : -EIO;
}

int alto_opus_decoder_channels(const struct alto_opus_decoder *d)
{
	return d ? d->channels : -EINVAL;
}

int alto_opus_decode(struct alto_opus_decoder *d, const uint8_t *data, size_t len,
		float *pcm, int max_frames)
{
	int res;

	if (d == NULL || data == NULL || len == 0 || len > INT32_MAX || pcm == NULL || max_frames <= 0)
		return -EINVAL;
	res = opus_decode_float(d->dec, data, (opus_int32)len, pcm, max_frames, 0);
	return finish(d, pcm, res);
}

static bool valid_concealment(int frames)
{
	return frames >= ALTO_OPUS_MIN_FRAMES && frames <= ALTO_OPUS_MAX_FRAMES &&
		frames % ALTO_OPUS_MIN_FRAMES == 0;
}

int alto_opus_decode_plc(struct alto_opus_decoder *d, float *pcm, int frames)
{
	int res;

	if (d == NULL || pcm == NULL || !valid_concealment(frames))
		return -EINVAL;
	res = opus_decode_float(d->dec, NULL, 0, pcm, frames, 0);
	return finish(d, pcm, res);
}

int alto_opus_decode_fec(struct alto_opus_decoder *d, const uint8_t *next, size_t len,
		float *pcm, int frames)
{
	int res;

	if (d == NULL || next == NULL || len == 0 || len > INT32_MAX || pcm == NULL ||
	    !valid_concealment(frames))
		return -EINVAL;
	res = opus_decode_float(d->dec, next, (opus_int32)len, pcm, frames, 1);
	return finish(d, pcm, res);
}

int alto_opus_packet_duration(const uint8_t *data, size_t len)
{
	int res;

	if (data == NULL || len == 0 || len > INT32_MAX)
		return -EBADMSG;
	res = opus_packet_get_nb_samples(data, (opus_int32)len, ALTO_OPUS_RATE);
	if (res <= 0 || res > ALTO_OPUS_MAX_FRAMES)
		return -EBADMSG;
	return res;
}

int alto_opus_packet_has_fec(const uint8_t *data, size_t len)
{
	const unsigned char *frames[48];
	opus_int16 sizes[48];
	int config, n_silk, res;
	bool lbrr;

	if (data == NULL || len == 0 || len > INT32_MAX)
		return -EBADMSG;
	res = opus_packet_parse(data, (opus_int32)len, NULL, frames, sizes, NULL);
	if (res <= 0)
		return -EBADMSG;
	config = data[0] >> 3;
	if (config >= 16)		/* CELT-only: no SILK layer, no LBRR */
		return 0;
	if (sizes[0] == 0)		/* DTX frame */
		return 0;
	/* SILK frames per Opus frame: 10 and 20 ms -> 1, 40 ms -> 2, 60 ms -> 3 */
	n_silk = opus_packet_get_samples_per_frame(data, ALTO_OPUS_RATE) / 960;
	if (n_silk < 1)
		n_silk = 1;
	/* mid channel: n_silk VAD bits then the LBRR bit; side channel likewise */
	lbrr = (frames[0][0] >> (7 - n_silk)) & 1;
	if (!lbrr && opus_packet_get_nb_channels(data) == 2)
		lbrr = (frames[0][0] >> (6 - 2 * n_silk)) & 1;
	return lbrr ? 1 : 0;
}

void alto_opus_encoder_config_default(struct alto_opus_encoder_config *cfg)
{
	*cfg = (struct alto_opus_encoder_config) {
		.channels = 1,
		.frame_size = 960,
		.bitrate = 32000,
		.complexity = 10,
		.inband_fec = true,
		.packet_loss_perc = 10,
		.dtx = true,
	};
}

int alto_opus_encoder_create(struct alto_opus_encoder **out, const struct alto_opus_encoder_config *cfg)
{
	struct alto_opus_encoder *e;
	int err;

	if (out == NULL || cfg == NULL || (cfg->channels != 1 && cfg->channels != 2) ||
	    (cfg->frame_size != 120 && cfg->frame_size != 240 && cfg->frame_size != 480 &&
	     cfg->frame_size != 960 && cfg->frame_size != 1920 && cfg->frame_size != 2880) ||
	    cfg->complexity < 0 || cfg->complexity > 10 ||
	    cfg->packet_loss_perc < 0 || cfg->packet_loss_perc > 100)
		return -EINVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -ENOMEM;
	e->channels = cfg->channels;
	e->frame_size = cfg->frame_size;
	e->enc = opus_encoder_create(ALTO_OPUS_RATE, cfg->channels, OPUS_APPLICATION_VOIP, &err);
	if (e->enc == NULL) {
		free(e);
		return errno_from_opus(err);
	}
	if (opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(cfg->bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(cfg->complexity)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(cfg->inband_fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(cfg->packet_loss_perc)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_DTX(cfg->dtx ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE)) != OPUS_OK) {
		opus_encoder_destroy(e->enc);
		free(e);
		return -EINVAL;
	}
	*out = e;
	return 0;
}

void alto_opus_encoder_destroy(struct alto_opus_encoder *e)
{
	if (e == NULL)
		return;
	opus_encoder_destroy(e->enc);
	free(e);
}

int alto_opus_encode(struct alto_opus_encoder *e, const float *pcm, uint8_t *out, size_t cap)
{
	int res;

	if (e == NULL || pcm == NULL || out == NULL || cap == 0)
		return -EINVAL;
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	res = opus_encode_float(e->enc, pcm, e->frame_size, out, (opus_int32)cap);
	return res < 0 ? errno_from_opus(res) : res;
}

int alto_opus_encoder_set_bitrate(struct alto_opus_encoder *e, int bitrate)
{
	if (e == NULL)
		return -EINVAL;
	return opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(bitrate)) == OPUS_OK ? 0 : -EINVAL;
}

int alto_opus_encoder_set_packet_loss(struct alto_opus_encoder *e, int percent)
{
	if (e == NULL || percent < 0 || percent > 100)
		return -EINVAL;
	return opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(percent)) == OPUS_OK ? 0 : -EINVAL;
}

int alto_opus_encoder_frame_size(const struct alto_opus_encoder *e)
{
	return e ? e->frame_size : -EINVAL;
}

int alto_opus_encoder_channels(const struct alto_opus_encoder *e)
{
	return e ? e->channels : -EINVAL;
}
