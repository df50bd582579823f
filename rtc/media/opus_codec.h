/* A thin wrapper over libopus 1.3.1 for the receive path (decode, packet
 * loss concealment, in-band FEC) and the send path (VOIP encoder with
 * in-band FEC and DTX), always at 48 kHz, float samples interleaved.
 *
 * Thread: a decoder or encoder belongs to one thread at a time. Decoding
 * runs on the PipeWire data thread: libopus decodes on the stack and does
 * not allocate, lock or log; only create/destroy allocate.
 * Returns: a count (frames or bytes, >= 0) or a negative errno: -EINVAL
 * (bad argument), -EBADMSG (invalid packet), -ENOSPC (buffer too small),
 * -ENOMEM, -EIO (any other libopus error). */
#ifndef ALTO_RTC_MEDIA_OPUS_CODEC_H
#define ALTO_RTC_MEDIA_OPUS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALTO_OPUS_RATE		48000
/* Longest Opus packet: 120 ms at 48 kHz. */
#define ALTO_OPUS_MAX_FRAMES	5760
/* Frame granularity: 2.5 ms. PLC and FEC durations are multiples of it. */
#define ALTO_OPUS_MIN_FRAMES	120

struct alto_opus_decoder;
struct alto_opus_encoder;

/* channels: 1 or 2 output channels (mono packets are upmixed, stereo ones
 * downmixed as needed). */
int alto_opus_decoder_create(struct alto_opus_decoder **dec, int channels);
void alto_opus_decoder_destroy(struct alto_opus_decoder *dec);
/* Forgets the stream: the next packet decodes as the first one. */
int alto_opus_decoder_reset(struct alto_opus_decoder *dec);
int alto_opus_decoder_channels(const struct alto_opus_decoder *dec);

/* Decoded samples are soft-clipped into [-1, 1] (as libopus's int16 path
 * does; its float path does not clip, and a corrupt packet can decode to
 * anything). */

/* Decodes one packet into pcm (room for max_frames frames). Returns frames. */
int alto_opus_decode(struct alto_opus_decoder *dec, const uint8_t *data, size_t len,
		float *pcm, int max_frames);
/* Conceals frames lost frames (a multiple of 120, at most 5760). */
int alto_opus_decode_plc(struct alto_opus_decoder *dec, float *pcm, int frames);
/* Rebuilds the frames lost frames that precede packet next from next's
 * in-band FEC (LBRR) data; where next has none, libopus conceals instead. */
int alto_opus_decode_fec(struct alto_opus_decoder *dec, const uint8_t *next, size_t len,
		float *pcm, int frames);

/* Duration of a packet in frames at 48 kHz, or -EBADMSG. */
int alto_opus_packet_duration(const uint8_t *data, size_t len);
/* 1 when the packet carries in-band FEC (LBRR) data for the one before it,
 * 0 when not (CELT-only packets never do), -EBADMSG when invalid. Reads the
 * LBRR flag of the first SILK frame (RFC 6716 §4.2.3: the VAD and LBRR
 * flags are coded with uniform probability first, so they are the top bits
 * of the frame's first byte). */
int alto_opus_packet_has_fec(const uint8_t *data, size_t len);

struct alto_opus_encoder_config {
	int channels;		/* 1 or 2 */
	int frame_size;		/* frames per packet at 48 kHz: 480, 960 (20 ms), 1920, 2880 */
	int bitrate;		/* bit/s, e.g. 32000 */
	int complexity;		/* 0..10 */
	bool inband_fec;	/* LBRR: needs packet_loss_perc > 0 to be produced */
	int packet_loss_perc;	/* expected loss, 0..100 */
	bool dtx;		/* discontinuous transmission in silence */
};

/* VOIP application, 20 ms, 32 kb/s, complexity 10, FEC on with 10 % loss,
 * DTX on: what LiveKit negotiates (useinbandfec=1, usedtx=1). */
void alto_opus_encoder_config_default(struct alto_opus_encoder_config *cfg);
int alto_opus_encoder_create(struct alto_opus_encoder **enc, const struct alto_opus_encoder_config *cfg);
void alto_opus_encoder_destroy(struct alto_opus_encoder *enc);
/* Encodes frame_size frames of pcm into out. Returns bytes written; with DTX
 * in silence this is 1 or 2 (a packet the sender need not transmit). */
int alto_opus_encode(struct alto_opus_encoder *enc, const float *pcm, uint8_t *out, size_t cap);
int alto_opus_encoder_set_bitrate(struct alto_opus_encoder *enc, int bitrate);
int alto_opus_encoder_set_packet_loss(struct alto_opus_encoder *enc, int percent);
int alto_opus_encoder_frame_size(const struct alto_opus_encoder *enc);
int alto_opus_encoder_channels(const struct alto_opus_encoder *enc);

#endif
