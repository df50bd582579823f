/* RTP packets (RFC 3550 §5.1) with RFC 8285 header extensions.
 *
 * alto_rtp_parse() reads a packet that came off the network (after SRTP
 * unprotect) without copying: the payload and extension pointers point into
 * the caller's buffer. alto_rtp_build() writes one (the send path), with any
 * header extensions, e.g. sdes:mid and ssrc-audio-level (RFC 6464).
 * Sequence numbers and timestamps wrap: compare them only with the helpers.
 *
 * Thread: any; pure functions, no allocation, no global state.
 * Returns: 0 or a negative errno: -EINVAL (bad argument), -EBADMSG
 * (malformed packet), -ENOSPC (output buffer too small), -ENOENT. */
#ifndef ALTO_RTC_MEDIA_RTP_H
#define ALTO_RTC_MEDIA_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALTO_RTP_VERSION		2
#define ALTO_RTP_HEADER_SIZE		12
#define ALTO_RTP_MAX_CSRC		15
/* Extension elements kept by parse; further valid ones are skipped. */
#define ALTO_RTP_MAX_EXTENSIONS		16

/* RFC 8285 header extension profiles. */
#define ALTO_RTP_EXT_PROFILE_ONE_BYTE	0xBEDE
#define ALTO_RTP_EXT_PROFILE_TWO_BYTE	0x1000	/* low 4 bits: appbits */

struct alto_rtp_extension {
	uint8_t id;		/* 1..14 (one-byte) or 1..255 (two-byte) */
	uint8_t len;		/* bytes of data: 1..16 (one-byte) or 0..255 (two-byte) */
	const uint8_t *data;
};

struct alto_rtp_packet {
	bool padding;			/* P bit (parse); build pads when padding_len > 0 */
	bool marker;
	uint8_t payload_type;		/* 0..127 */
	uint16_t seq;
	uint32_t timestamp;
	uint32_t ssrc;
	uint8_t csrc_count;
	uint32_t csrc[ALTO_RTP_MAX_CSRC];

	/* X bit: ext_profile and the raw extension block (ext_len bytes,
	 * a multiple of 4). For the RFC 8285 profiles the elements are
	 * also split into extensions[]. */
	bool extension;
	uint16_t ext_profile;
	const uint8_t *ext_data;
	size_t ext_len;
	uint8_t n_extensions;
	struct alto_rtp_extension extensions[ALTO_RTP_MAX_EXTENSIONS];

	const uint8_t *payload;
	size_t payload_len;
	uint8_t padding_len;		/* includes the count byte itself */
};

/* Parses len bytes at buf into *pkt. Rejects (-EBADMSG) a version other
 * than 2, a CSRC list, extension block or padding that does not fit, a
 * padding count of 0, and RFC 8285 elements running past their block. */
int alto_rtp_parse(const uint8_t *buf, size_t len, struct alto_rtp_packet *pkt);

/* Finds extension element id of a parsed packet. -ENOENT when absent. */
int alto_rtp_find_extension(const struct alto_rtp_packet *pkt, uint8_t id,
		const uint8_t **data, size_t *len);

/* Writes pkt (header fields, csrc, extensions[], payload, padding_len) into
 * buf. ext_profile/ext_data are ignored: the one-byte profile is used when
 * every element fits it (id 1..14, len 1..16), else the two-byte one.
 * *out_len gets the packet size. -ENOSPC when cap is too small. */
int alto_rtp_build(const struct alto_rtp_packet *pkt, uint8_t *buf, size_t cap, size_t *out_len);

/* ssrc-audio-level (RFC 6464) element byte: V flag and level in -dBov
 * (0 = loudest, 127 = silence; values above 127 are clamped). */
uint8_t alto_rtp_audio_level_byte(bool voice_activity, uint8_t level_dbov);

/* Reads ssrc-audio-level element id of a parsed packet. -ENOENT, -EBADMSG. */
int alto_rtp_get_audio_level(const struct alto_rtp_packet *pkt, uint8_t id,
		bool *voice_activity, uint8_t *level_dbov);

/* Audio level in -dBov (0..127) of float samples in [-1, 1]: their RMS
 * relative to 1.0 (the overload point, RFC 6464 §3), rounded. */
uint8_t alto_rtp_audio_level_dbov(const float *samples, size_t n);

/* RFC 5761 §4 demultiplexing: true when the second byte is an RTCP packet
 * type (192..223), i.e. the packet is RTCP sharing the RTP port. */
bool alto_rtp_is_rtcp(const uint8_t *buf, size_t len);

/* Signed distance a - b of sequence numbers (mod 2^16): > 0 when a is newer. */
static inline int32_t alto_rtp_seq_diff(uint16_t a, uint16_t b)
{
	return (int16_t)(uint16_t)(a - b);
}

/* Signed distance a - b of RTP timestamps (mod 2^32). */
static inline int64_t alto_rtp_ts_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(uint32_t)(a - b);
}

/* Extends a 16-bit sequence number to 64 bits next to a previously
 * extended one: the value of the form k·2^16 + seq nearest to last. */
static inline uint64_t alto_rtp_seq_unwrap(uint64_t last, uint16_t seq)
{
	int64_t v = (int64_t)last + alto_rtp_seq_diff(seq, (uint16_t)last);
	return v < 0 ? seq : (uint64_t)v;
}

/* Same for 32-bit timestamps. */
static inline uint64_t alto_rtp_ts_unwrap(uint64_t last, uint32_t ts)
{
	int64_t v = (int64_t)last + alto_rtp_ts_diff(ts, (uint32_t)last);
	return v < 0 ? ts : (uint64_t)v;
}

#endif
