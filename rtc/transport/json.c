/* alto rtc/transport: a validating reader for the members of one JSON object.
 *
 * A recursive-descent scanner with a depth limit; it never allocates. Strings are unescaped
 * only when asked for (\uXXXX, surrogate pairs included, become UTF-8).
 * Thread: any.
 */
#include "json.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct scanner {
	const char *p;
	const char *end;
};

static void skip_ws(struct scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	if (end - p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

static size_t utf8_put(unsigned cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		buf[0] = (char)(0xc0 | cp >> 6);
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | cp >> 12);
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | cp >> 18);
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Scan a string at s->p (the opening quote). With @out, unescape into it: *out_len is the
 * length, -ENOSPC if it does not fit (scanning still validates the rest). */
static int scan_string(struct scanner *s, char *out, size_t size, size_t *out_len)
{
	size_t n = 0;
	bool overflow = false, has_nul = false;

	if (s->p >= s->end || *s->p != '"')
		return -EINVAL;
	s->p++;
	while (s->p < s->end) {
		char c = *s->p++;
		char buf[4];
		size_t len = 1;

		if (c == '"') {
			if (out) {
				if (overflow || n >= size)
					return -ENOSPC;
				out[n] = '\0';
				*out_len = n;
			}
			return has_nul ? -EINVAL : 0;
		}
		if ((unsigned char)c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			buf[0] = c;
		} else {
			if (s->p >= s->end)
				return -EINVAL;
			c = *s->p++;
			switch (c) {
			case '"': case '\\': case '/':
				buf[0] = c;
				break;
			case 'b': buf[0] = '\b'; break;
			case 'f': buf[0] = '\f'; break;
			case 'n': buf[0] = '\n'; break;
			case 'r': buf[0] = '\r'; break;
			case 't': buf[0] = '\t'; break;
			case 'u': {
				unsigned cp, low;
				if (hex4(s->p, s->end, &cp) < 0)
					return -EINVAL;
				s->p += 4;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
					    hex4(s->p + 2, s->end, &low) < 0 ||
					    low < 0xdc00 || low > 0xdfff)
						return -EINVAL;
					s->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return -EINVAL;
				}
				if (cp == 0)
					has_nul = true;
				len = utf8_put(cp, buf);
				break;
			}
			default:
				return -EINVAL;
			}
		}
		if (out && !overflow) {
			if (n + len >= size)
				overflow = true;
			else {
				memcpy(out + n, buf, len);
				n += len;
			}
		}
	}
	return -EINVAL;
}

static int scan_number(struct scanner *s)
{
	const char *start = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return -EINVAL;
	if (*s->p == '0') {
		s->p++;
	} else if (*s->p >= '1' && *s->p <= '9') {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	} else {
		return -EINVAL;
	}
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return -EINVAL;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return -EINVAL;
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return s->p > start ? 0 : -EINVAL;
}

static int scan_literal(struct scanner *s, const char *word)
{
	size_t len = strlen(word);
	if ((size_t)(s->end - s->p) < len || memcmp(s->p, word, len) != 0)
		return -EINVAL;
	s->p += len;
	return 0;
}

static int scan_value(struct scanner *s, int depth)
{
	int res;

	if (depth > ALTO_RTC_JSON_MAX_DEPTH)
		return -EINVAL;
	skip_ws(s);
	if (s->p >= s->end)
		return -EINVAL;
	switch (*s->p) {
	case '"':
		return scan_string(s, NULL, 0, NULL);
	case '{':
	case '[': {
		char close = *s->p == '{' ? '}' : ']';
		bool object = close == '}';
		s->p++;
		skip_ws(s);
		if (s->p < s->end && *s->p == close) {
			s->p++;
			return 0;
		}
		for (;;) {
			if (object) {
				skip_ws(s);
				if ((res = scan_string(s, NULL, 0, NULL)) < 0)
					return res;
				skip_ws(s);
				if (s->p >= s->end || *s->p != ':')
					return -EINVAL;
				s->p++;
			}
			if ((res = scan_value(s, depth + 1)) < 0)
				return res;
			skip_ws(s);
			if (s->p >= s->end)
				return -EINVAL;
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p == close) {
				s->p++;
				return 0;
			}
			return -EINVAL;
		}
	}
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		return scan_number(s);
	}
}

int alto_rtc_json_validate(const char *json, size_t len)
{
	struct scanner s = { json, json + len };
	int res;

	if (json == NULL)
		return -EINVAL;
	if ((res = scan_value(&s, 0)) < 0)
		return res;
	skip_ws(&s);
	return s.p == s.end ? 0 : -EINVAL;
}

/* Find member @key of the top-level object; s->p is left at its value. */
static int find_member(const char *json, size_t len, const char *key, struct scanner *found)
{
	struct scanner s = { json, json + len };
	char name[128];
	size_t name_len;
	int res, result = -ENOENT;

	if (json == NULL || key == NULL)
		return -EINVAL;
	if (alto_rtc_json_validate(json, len) < 0)
		return -EINVAL;
	skip_ws(&s);
	if (*s.p != '{')
		return -EINVAL;
	s.p++;
	skip_ws(&s);
	if (*s.p == '}')
		return -ENOENT;
	for (;;) {
		skip_ws(&s);
		res = scan_string(&s, name, sizeof(name), &name_len);
		if (res < 0 && res != -ENOSPC)
			return -EINVAL;
		skip_ws(&s);
		s.p++;				/* ':' (validated above) */
		skip_ws(&s);
		/* the last duplicate wins, as in JavaScript */
		if (res == 0 && strlen(key) == name_len && memcmp(name, key, name_len) == 0) {
			*found = s;
			result = 0;
		}
		if (scan_value(&s, 1) < 0)
			return -EINVAL;
		skip_ws(&s);
		if (*s.p == ',') {
			s.p++;
			continue;
		}
		return result;
	}
}

int alto_rtc_json_member_type(const char *json, size_t len, const char *key)
{
	struct scanner s;
	int res;

	if ((res = find_member(json, len, key, &s)) < 0)
		return res;
	switch (*s.p) {
	case 'n': return ALTO_RTC_JSON_NULL;
	case 't': case 'f': return ALTO_RTC_JSON_BOOL;
	case '"': return ALTO_RTC_JSON_STRING;
	case '[': return ALTO_RTC_JSON_ARRAY;
	case '{': return ALTO_RTC_JSON_OBJECT;
	default: return ALTO_RTC_JSON_NUMBER;
	}
}

int alto_rtc_json_get_string(const char *json, size_t len, const char *key, char *out, size_t size)
{
	struct scanner s;
	size_t n = 0;
	int res;

	if (out == NULL || size == 0)
		return -EINVAL;
	if ((res = find_member(json, len, key, &s)) < 0)
		return res;
	if (*s.p != '"')
		return -EINVAL;
	if ((res = scan_string(&s, out, size, &n)) < 0)
		return res;
	return (int)n;
}

int alto_rtc_json_get_int(const char *json, size_t len, const char *key, int64_t *out)
{
	struct scanner s;
	int64_t v = 0;
	bool negative = false;
	int res;

	if (out == NULL)
		return -EINVAL;
	if ((res = find_member(json, len, key, &s)) < 0)
		return res;
	if (*s.p == '-') {
		negative = true;
		s.p++;
	}
	if (s.p >= s.end || *s.p < '0' || *s.p > '9')
		return -EINVAL;
	while (s.p < s.end && *s.p >= '0' && *s.p <= '9') {
		int d = *s.p++ - '0';
		if (v > (INT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (s.p < s.end && (*s.p == '.' || *s.p == 'e' || *s.p == 'E'))
		return -EINVAL;
	*out = negative ? -v : v;
	return 0;
}

int alto_rtc_json_quote(const char *str, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (str == NULL || out == NULL)
		return -EINVAL;
#define PUT(c) do { if (n + 1 >= size) return -ENOSPC; out[n++] = (c); } while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		switch (*p) {
		case '"': PUT('\\'); PUT('"'); break;
		case '\\': PUT('\\'); PUT('\\'); break;
		case '\n': PUT('\\'); PUT('n'); break;
		case '\r': PUT('\\'); PUT('r'); break;
		case '\t': PUT('\\'); PUT('t'); break;
		default:
			if (*p < 0x20) {
				PUT('\\'); PUT('u'); PUT('0'); PUT('0');
				PUT(hex[*p >> 4]); PUT(hex[*p & 0xf]);
			} else {
				PUT((char)*p);
			}
		}
	}
	PUT('"');
#undef PUT
	out[n] = '\0';
	return (int)n;
}
