/* RFC 2198 RED payload parse/build. See red.h. Thread: any. */
#include "red.h"

#include <errno.h>
#include <string.h>

#define REDUNDANT_HEADER_SIZE	4
#define PRIMARY_HEADER_SIZE	1

int alto_red_parse(const uint8_t *payload, size_t len, uint32_t rtp_ts,
		struct alto_red_block *blocks, size_t max_blocks, size_t *n_blocks)
{
	size_t off = 0, n = 0, data_off;

	if (payload == NULL || blocks == NULL || n_blocks == NULL || max_blocks == 0)
		return -EINVAL;
	*n_blocks = 0;

	/* headers: F=1 means a 4-byte redundant header follows, F=0 ends them */
	for (;;) {
		if (off >= len || n >= max_blocks)
			return -EBADMSG;
		if ((payload[off] & 0x80) == 0) {
			blocks[n] = (struct alto_red_block) {
				.payload_type = payload[off] & 0x7f,
				.timestamp = rtp_ts,
				.primary = true,
			};
			off += PRIMARY_HEADER_SIZE;
			n++;
			break;
		}
		if (len - off < REDUNDANT_HEADER_SIZE)
			return -EBADMSG;
		uint32_t word = (uint32_t)payload[off + 1] << 16 | (uint32_t)payload[off + 2] << 8 |
			payload[off + 3];
		blocks[n] = (struct alto_red_block) {
			.payload_type = payload[off] & 0x7f,
			.timestamp = rtp_ts - (word >> 10),
			.len = word & 0x3ff,
		};
		off += REDUNDANT_HEADER_SIZE;
		n++;
	}

	data_off = off;
	for (size_t i = 0; i + 1 < n; i++) {
		if (len - data_off < blocks[i].len)
			return -EBADMSG;
		blocks[i].data = payload + data_off;
		data_off += blocks[i].len;
	}
	blocks[n - 1].data = payload + data_off;
	blocks[n - 1].len = len - data_off;
	*n_blocks = n;
	return 0;
}

int alto_red_build(const struct alto_red_block *blocks, size_t n_blocks, uint32_t rtp_ts,
		uint8_t *buf, size_t cap, size_t *out_len)
{
	size_t size = PRIMARY_HEADER_SIZE, off = 0;

	if (blocks == NULL || n_blocks == 0 || buf == NULL || out_len == NULL)
		return -EINVAL;
	for (size_t i = 0; i < n_blocks; i++) {
		const struct alto_red_block *b = &blocks[i];
		if (b->payload_type > 127 || (b->len > 0 && b->data == NULL))
			return -EINVAL;
		if (i + 1 < n_blocks) {
			uint32_t offset = rtp_ts - b->timestamp;
			if (offset > ALTO_RED_MAX_TS_OFFSET || b->len > ALTO_RED_MAX_BLOCK_LEN)
				return -EINVAL;
			size += REDUNDANT_HEADER_SIZE;
		}
		size += b->len;
	}
	if (size > cap)
		return -ENOSPC;

	for (size_t i = 0; i + 1 < n_blocks; i++) {
		const struct alto_red_block *b = &blocks[i];
		uint32_t word = (rtp_ts - b->timestamp) << 10 | (uint32_t)b->len;
		buf[off++] = 0x80 | b->payload_type;
		buf[off++] = (word >> 16) & 0xff;
		buf[off++] = (word >> 8) & 0xff;
		buf[off++] = word & 0xff;
	}
	buf[off++] = blocks[n_blocks - 1].payload_type;
	for (size_t i = 0; i < n_blocks; i++) {
		if (blocks[i].len > 0)
			memcpy(buf + off, blocks[i].data, blocks[i].len);
		off += blocks[i].len;
	}
	*out_len = off;
	return 0;
}
