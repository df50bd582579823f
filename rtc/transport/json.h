/* alto rtc/transport: the little JSON the transport needs.
 *
 * Trickle candidates travel as JSON RTCIceCandidateInit strings inside LiveKit's protobuf
 * messages; that, and the line protocol of the interop test program, is all this is for: read
 * the string/number members of a top-level object (the whole text is validated, nested values
 * are skipped), and write escaped strings. Not a general JSON library.
 * Thread: any.
 */
#ifndef ALTO_RTC_TRANSPORT_JSON_H
#define ALTO_RTC_TRANSPORT_JSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ALTO_RTC_JSON_MAX_DEPTH	32

/* Check that @json (@len bytes) is one well-formed JSON value. 0 or -EINVAL. */
int alto_rtc_json_validate(const char *json, size_t len);

enum alto_rtc_json_type {
	ALTO_RTC_JSON_NULL,
	ALTO_RTC_JSON_BOOL,
	ALTO_RTC_JSON_NUMBER,
	ALTO_RTC_JSON_STRING,
	ALTO_RTC_JSON_ARRAY,
	ALTO_RTC_JSON_OBJECT,
};

/* The type of member @key of the top-level object: an enum alto_rtc_json_type, -ENOENT, -EINVAL. */
int alto_rtc_json_member_type(const char *json, size_t len, const char *key);

/* The string member @key of the top-level object, unescaped into @out (NUL-terminated).
 * Returns its length; -ENOENT (no such member), -EINVAL (malformed JSON, @key is no string,
 * or it holds \u0000), -ENOSPC (@size too small). */
int alto_rtc_json_get_string(const char *json, size_t len, const char *key, char *out, size_t size);

/* The integer member @key. -ENOENT, -EINVAL (malformed, not an integer, out of range). */
int alto_rtc_json_get_int(const char *json, size_t len, const char *key, int64_t *out);

/* Write @str as a quoted JSON string into @out. Returns the length written (without the NUL)
 * or -ENOSPC. */
int alto_rtc_json_quote(const char *str, char *out, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ALTO_RTC_TRANSPORT_JSON_H */
