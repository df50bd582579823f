/* base64url encoding and decoding (RFC 4648 §5), strict on input. */
#include "base64url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *alto_base64url_encode(const uint8_t *data, size_t len, bool pad)
{
	size_t out_len = (len / 3) * 4 + 4 + 1, i;
	char *out, *p;

	if (len > (SIZE_MAX / 4) * 3 - 3)
		return NULL;
	out = p = malloc(out_len);
	if (out == NULL)
		return NULL;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
		*p++ = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		if (pad) {
			*p++ = '=';
			*p++ = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		*p++ = alphabet[(v >> 18) & 63];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
		if (pad)
			*p++ = '=';
	}
	*p = '\0';
	return out;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int alto_base64url_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
{
	size_t n = text_len, i, o = 0;
	uint8_t *buf;
	uint32_t acc = 0;
	int bits = 0;

	if (text == NULL || out == NULL || out_len == NULL)
		return -EINVAL;
	/* strip padding, which must then make the length a multiple of 4 */
	while (n > 0 && text[n - 1] == '=')
		n--;
	if (n < text_len && (text_len % 4 != 0 || text_len - n > 2))
		return -EINVAL;
	/* a lone trailing sextet cannot encode a whole byte */
	if (n % 4 == 1)
		return -EINVAL;

	buf = malloc(n / 4 * 3 + 3 + 1);
	if (buf == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		int v = sextet(text[i]);
		if (v < 0) {
			free(buf);
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* leftover bits must be zero (canonical encoding) */
	if (acc != 0) {
		free(buf);
		return -EINVAL;
	}
	buf[o] = 0;
	*out = buf;
	*out_len = o;
	return 0;
}
