/* RFC 2198 redundant audio (RED) payloads, as LiveKit sends them for Opus:
 * payload type 63 "red/48000/2" whose blocks carry payload type 111.
 *
 * A RED payload holds up to a few older encodings (redundant blocks, each
 * with a 14-bit timestamp offset and a 10-bit length) followed by the
 * primary encoding. Blocks come oldest first; the primary is last.
 * The receive path uses the redundant blocks to fill packets lost on the
 * way (jitter_buffer.c).
 *
 * Thread: any; pure functions, no allocation. Returns 0 or a negative
 * errno: -EINVAL, -EBADMSG (malformed), -ENOSPC. */
#ifndef ALTO_RTC_MEDIA_RED_H
#define ALTO_RTC_MEDIA_RED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Blocks a RED payload may hold here, the primary included. RFC 2198 puts
 * no limit; senders use 1-3 (libwebrtc: up to 2 redundant ones). */
#define ALTO_RED_MAX_BLOCKS		8
#define ALTO_RED_MAX_TS_OFFSET		0x3fff
#define ALTO_RED_MAX_BLOCK_LEN		0x3ff

struct alto_red_block {
	uint8_t payload_type;
	uint32_t timestamp;		/* RTP timestamp of this encoding */
	const uint8_t *data;		/* points into the parsed payload */
	size_t len;
	bool primary;
};

/* Splits a RED payload (of an RTP packet with timestamp rtp_ts) into
 * blocks[0..*n_blocks-1], oldest first, primary last. -EBADMSG when the
 * headers or lengths do not fit the payload or there are more than
 * max_blocks blocks. */
int alto_red_parse(const uint8_t *payload, size_t len, uint32_t rtp_ts,
		struct alto_red_block *blocks, size_t max_blocks, size_t *n_blocks);

/* Writes a RED payload from blocks[0..n_blocks-1] (the last is the primary,
 * the others redundant: timestamp at most 16383 before rtp_ts, len at most
 * 1023; otherwise -EINVAL). *out_len gets the payload size. */
int alto_red_build(const struct alto_red_block *blocks, size_t n_blocks, uint32_t rtp_ts,
		uint8_t *buf, size_t cap, size_t *out_len);

#endif
