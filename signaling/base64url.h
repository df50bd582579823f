/* base64url (RFC 4648 §5) for JWTs and the /rtc/v1 join_request parameter.
 *
 * Thread: any; pure functions. Internal to signaling/ (tests include it too). */
#ifndef ALTO_SIGNALING_BASE64URL_H
#define ALTO_SIGNALING_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes into a newly allocated NUL-terminated string (free()).
 * pad: append '=' padding (the join_request parameter wants it, JWTs do not).
 * Returns NULL only when out of memory. */
char *alto_base64url_encode(const uint8_t *data, size_t len, bool pad);

/* Decodes base64url text of text_len bytes, with or without '=' padding.
 * Standard base64 ('+', '/') is refused: JWT segments never use it.
 * On success *out is a newly allocated buffer (free(); one spare NUL byte
 * after the data) and *out_len its length. Returns 0 or -EINVAL, -ENOMEM. */
int alto_base64url_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len);

#endif
