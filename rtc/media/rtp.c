/* RTP header parse/build (RFC 3550 §5.1, RFC 8285 header extensions).
 * See rtp.h. Thread: any. */
#include "rtp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

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

static void add_extension(struct alto_rtp_packet *pkt, uint8_t id, uint8_t len, const uint8_t *data)
{
	if (pkt->n_extensions >= ALTO_RTP_MAX_EXTENSIONS)
		return;
	pkt->extensions[pkt->n_extensions++] = (struct alto_rtp_extension) {
		.id = id, .len = len, .data = data,
	};
}

/* RFC 8285 §4.2: one-byte header elements. */
static int parse_one_byte(struct alto_rtp_packet *pkt, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t id = p[i] >> 4, l = (p[i] & 0x0f) + 1;

		if (id == 0) {		/* padding byte between elements */
			i++;
			continue;
		}
		if (id == 15)		/* reserved: stop, keep what came before */
			break;
		if (i + 1 + l > len)
			return -EBADMSG;
		add_extension(pkt, id, l, p + i + 1);
		i += 1 + l;
	}
	return 0;
}

/* RFC 8285 §4.3: two-byte header elements. */
static int parse_two_byte(struct alto_rtp_packet *pkt, const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t id = p[i];

		if (id == 0) {
			i++;
			continue;
		}
		if (i + 2 > len)
			return -EBADMSG;
		uint8_t l = p[i + 1];
		if (i + 2 + l > len)
			return -EBADMSG;
		add_extension(pkt, id, l, p + i + 2);
		i += 2 + l;
	}
	return 0;
}

int alto_rtp_parse(const uint8_t *buf, size_t len, struct alto_rtp_packet *pkt)
{
	size_t off, end;
	int res;

	if (buf == NULL || pkt == NULL)
		return -EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	if (len < ALTO_RTP_HEADER_SIZE || (buf[0] >> 6) != ALTO_RTP_VERSION)
		return -EBADMSG;

	pkt->padding = buf[0] & 0x20;
	pkt->extension = buf[0] & 0x10;
	pkt->csrc_count = buf[0] & 0x0f;
	pkt->marker = buf[1] & 0x80;
	pkt->payload_type = buf[1] & 0x7f;
	pkt->seq = rd16(buf + 2);
	pkt->timestamp = rd32(buf + 4);
	pkt->ssrc = rd32(buf + 8);

	off = ALTO_RTP_HEADER_SIZE;
	if (len - off < (size_t)pkt->csrc_count * 4)
		return -EBADMSG;
	for (uint8_t i = 0; i < pkt->csrc_count; i++, off += 4)
		pkt->csrc[i] = rd32(buf + off);

	end = len;
	if (pkt->padding) {
		/* the count includes itself, so 0 is not a valid padding */
		pkt->padding_len = buf[len - 1];
		if (pkt->padding_len == 0 || pkt->padding_len > len - off)
			return -EBADMSG;
		end = len - pkt->padding_len;
	}

	if (pkt->extension) {
		if (end - off < 4)
			return -EBADMSG;
		pkt->ext_profile = rd16(buf + off);
		pkt->ext_len = (size_t)rd16(buf + off + 2) * 4;
		off += 4;
		if (end - off < pkt->ext_len)
			return -EBADMSG;
		pkt->ext_data = buf + off;
		if (pkt->ext_profile == ALTO_RTP_EXT_PROFILE_ONE_BYTE)
			res = parse_one_byte(pkt, pkt->ext_data, pkt->ext_len);
		else if ((pkt->ext_profile & 0xfff0) == ALTO_RTP_EXT_PROFILE_TWO_BYTE)
			res = parse_two_byte(pkt, pkt->ext_data, pkt->ext_len);
		else
			res = 0;	/* another profile: kept raw */
		if (res < 0)
			return res;
		off += pkt->ext_len;
	}

	pkt->payload = buf + off;
	pkt->payload_len = end - off;
	return 0;
}

int alto_rtp_find_extension(const struct alto_rtp_packet *pkt, uint8_t id,
		const uint8_t **data, size_t *len)
{
	if (pkt == NULL || id == 0)
		return -EINVAL;
	for (uint8_t i = 0; i < pkt->n_extensions; i++) {
		if (pkt->extensions[i].id != id)
			continue;
		if (data)
			*data = pkt->extensions[i].data;
		if (len)
			*len = pkt->extensions[i].len;
		return 0;
	}
	return -ENOENT;
}

int alto_rtp_build(const struct alto_rtp_packet *pkt, uint8_t *buf, size_t cap, size_t *out_len)
{
	bool one_byte = true;
	size_t ext_len = 0, total, off;

	if (pkt == NULL || buf == NULL || out_len == NULL ||
	    pkt->payload_type > 127 || pkt->csrc_count > ALTO_RTP_MAX_CSRC ||
	    pkt->n_extensions > ALTO_RTP_MAX_EXTENSIONS ||
	    (pkt->payload_len > 0 && pkt->payload == NULL))
		return -EINVAL;

	for (uint8_t i = 0; i < pkt->n_extensions; i++) {
		const struct alto_rtp_extension *e = &pkt->extensions[i];
		if (e->id == 0 || (e->len > 0 && e->data == NULL))
			return -EINVAL;
		if (e->id > 14 || e->len == 0 || e->len > 16)
			one_byte = false;
	}
	for (uint8_t i = 0; i < pkt->n_extensions; i++)
		ext_len += (one_byte ? 1 : 2) + pkt->extensions[i].len;
	ext_len = (ext_len + 3) & ~(size_t)3;

	total = ALTO_RTP_HEADER_SIZE + (size_t)pkt->csrc_count * 4 +
		(pkt->n_extensions > 0 ? 4 + ext_len : 0) +
		pkt->payload_len + pkt->padding_len;
	if (ext_len / 4 > UINT16_MAX)
		return -EINVAL;
	if (total > cap)
		return -ENOSPC;

	buf[0] = ALTO_RTP_VERSION << 6 | (pkt->padding_len > 0 ? 0x20 : 0) |
		(pkt->n_extensions > 0 ? 0x10 : 0) | pkt->csrc_count;
	buf[1] = (pkt->marker ? 0x80 : 0) | pkt->payload_type;
	wr16(buf + 2, pkt->seq);
	wr32(buf + 4, pkt->timestamp);
	wr32(buf + 8, pkt->ssrc);
	off = ALTO_RTP_HEADER_SIZE;
	for (uint8_t i = 0; i < pkt->csrc_count; i++, off += 4)
		wr32(buf + off, pkt->csrc[i]);

	if (pkt->n_extensions > 0) {
		size_t start;
		wr16(buf + off, one_byte ? ALTO_RTP_EXT_PROFILE_ONE_BYTE : ALTO_RTP_EXT_PROFILE_TWO_BYTE);
		wr16(buf + off + 2, (uint16_t)(ext_len / 4));
		off += 4;
		start = off;
		for (uint8_t i = 0; i < pkt->n_extensions; i++) {
			const struct alto_rtp_extension *e = &pkt->extensions[i];
			if (one_byte) {
				buf[off++] = (uint8_t)(e->id << 4 | (e->len - 1));
			} else {
				buf[off++] = e->id;
				buf[off++] = e->len;
			}
			if (e->len > 0)
				memcpy(buf + off, e->data, e->len);
			off += e->len;
		}
		memset(buf + off, 0, start + ext_len - off);
		off = start + ext_len;
	}

	if (pkt->payload_len > 0)
		memcpy(buf + off, pkt->payload, pkt->payload_len);
	off += pkt->payload_len;
	if (pkt->padding_len > 0) {
		memset(buf + off, 0, pkt->padding_len - 1);
		off += pkt->padding_len;
		buf[off - 1] = pkt->padding_len;
	}
	*out_len = off;
	return 0;
}

uint8_t alto_rtp_audio_level_byte(bool voice_activity, uint8_t level_dbov)
{
	if (level_dbov > 127)
		level_dbov = 127;
	return (voice_activity ? 0x80 : 0) | level_dbov;
}

int alto_rtp_get_audio_level(const struct alto_rtp_packet *pkt, uint8_t id,
		bool *voice_activity, uint8_t *level_dbov)
{
	const uint8_t *data;
	size_t len;
	int res;

	if ((res = alto_rtp_find_extension(pkt, id, &data, &len)) < 0)
		return res;
	if (len < 1)
		return -EBADMSG;
	if (voice_activity)
		*voice_activity = data[0] & 0x80;
	if (level_dbov)
		*level_dbov = data[0] & 0x7f;
	return 0;
}

uint8_t alto_rtp_audio_level_dbov(const float *samples, size_t n)
{
	double sum = 0.0, db;

	if (samples == NULL || n == 0)
		return 127;
	for (size_t i = 0; i < n; i++)
		sum += (double)samples[i] * samples[i];
	if (sum <= 0.0)
		return 127;
	db = 10.0 * log10(sum / (double)n);
	if (db >= 0.0)
		return 0;
	if (db <= -127.0)
		return 127;
	return (uint8_t)lround(-db);
}

bool alto_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return buf != NULL && len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}
