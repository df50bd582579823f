/* Checking libpipewire-module-alto's SPA-JSON arguments. See module-args.h.
 *
 * A recursive descent over the text that follows the tokenizer rules of
 * spa/utils/json.h (PipeWire 0.3.65): separators are whitespace, ':', '='
 * and ','; '#' at the start of a token comments out the rest of the line;
 * a bare word ends at a separator, ']' or '}'. Where that tokenizer would
 * quietly read something else than was meant (an unterminated string, a
 * bracket that closes nothing, a key without a value), this says so. */
#include "module-args.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const char *text;
	size_t len;
	size_t pos;
	char *why;
	size_t why_size;
};

static int fail(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->why && s->why_size > 0) {
		va_start(ap, fmt);
		vsnprintf(s->why, s->why_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':' || c == '=' || c == ',';
}

/* Skips separators and comments; the current character after it, or 0 at the end. */
static char skip(struct scan *s)
{
	while (s->pos < s->len) {
		char c = s->text[s->pos];
		if (is_separator(c)) {
			s->pos++;
		} else if (c == '#') {
			while (s->pos < s->len && s->text[s->pos] != '\n' && s->text[s->pos] != '\r')
				s->pos++;
		} else {
			return c;
		}
	}
	return 0;
}

/* A printable excerpt of a token for messages: at most 40 bytes, control
 * characters as '?'. */
static void excerpt(const char *start, size_t len, char *out, size_t size)
{
	size_t n = len < size - 1 ? len : size - 1;

	if (n > 40)
		n = 40;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)start[i] < 0x20 ? '?' : start[i];
	out[n] = '\0';
}

static int utf8_tail_length(unsigned char c)
{
	if (c >= 0xc0 && c <= 0xdf)
		return 1;
	if (c >= 0xe0 && c <= 0xef)
		return 2;
	if (c >= 0xf0 && c <= 0xf7)
		return 3;
	return -1;
}

static int scan_string(struct scan *s)
{
	size_t start = s->pos++;

	while (s->pos < s->len) {
		unsigned char c = (unsigned char)s->text[s->pos];
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c == '\\') {
			char e = s->pos + 1 < s->len ? s->text[s->pos + 1] : '\0';
			if (e == 'u') {
				for (int i = 2; i < 6; i++) {
					char h = s->pos + (size_t)i < s->len ? s->text[s->pos + (size_t)i] : '\0';
					if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
						return fail(s, "bad \\u escape in the string at offset %zu", start);
				}
				s->pos += 6;
				continue;
			}
			if (strchr("\"\\/bfnrt", e) == NULL || e == '\0')
				return fail(s, "bad escape '\\%c' in the string at offset %zu",
					    e >= 0x20 && e < 0x7f ? e : '?', start);
			s->pos += 2;
			continue;
		}
		/* spa_json takes only printable ASCII and UTF-8 inside quotes */
		if (c < 0x20 || c == 0x7f)
			return fail(s, "control character in the string at offset %zu (a newline inside quotes?)",
				    start);
		if (c >= 0x80) {
			int tail = utf8_tail_length(c);
			if (tail < 0 || s->pos + (size_t)tail >= s->len)
				return fail(s, "invalid UTF-8 in the string at offset %zu", start);
			for (int i = 1; i <= tail; i++) {
				unsigned char t = (unsigned char)s->text[s->pos + (size_t)i];
				if (t < 0x80 || t > 0xbf)
					return fail(s, "invalid UTF-8 in the string at offset %zu", start);
			}
			s->pos += (size_t)tail + 1;
			continue;
		}
		s->pos++;
	}
	return fail(s, "the string at offset %zu has no closing '\"'", start);
}

static int scan_word(struct scan *s)
{
	size_t start = s->pos;
	char word[48];

	while (s->pos < s->len) {
		char c = s->text[s->pos];
		if (is_separator(c) || c == '}' || c == ']')
			break;
		if (c == '{' || c == '[' || c == '"') {
			excerpt(s->text + start, s->pos - start + 1, word, sizeof(word));
			return fail(s, "unexpected '%c' inside the word '%s' at offset %zu (a missing space or '='?)",
				    c, word, start);
		}
		if ((unsigned char)c < 0x20)
			return fail(s, "control character at offset %zu", s->pos);
		s->pos++;
	}
	return 0;
}

static int scan_value(struct scan *s, int depth);

static int scan_members(struct scan *s, int depth, size_t open_at, bool braced)
{
	int res;

	for (;;) {
		size_t key_at;
		char c = skip(s), key[48];

		if (c == 0) {
			if (braced)
				return fail(s, "the '{' at offset %zu is never closed", open_at);
			return 0;
		}
		if (c == '}') {
			if (!braced)
				return fail(s, "the '}' at offset %zu closes nothing", s->pos);
			s->pos++;
			return 0;
		}
		if (c == ']')
			return fail(s, "the ']' at offset %zu closes nothing%s", s->pos,
				    braced ? " (an object is closed with '}')" : "");
		if (c == '{' || c == '[')
			return fail(s, "expected a key at offset %zu, found '%c'", s->pos, c);

		key_at = s->pos;
		if ((res = c == '"' ? scan_string(s) : scan_word(s)) < 0)
			return res;
		if (c == '"')	/* the name without its quotes */
			excerpt(s->text + key_at + 1, s->pos - key_at - 2, key, sizeof(key));
		else
			excerpt(s->text + key_at, s->pos - key_at, key, sizeof(key));

		c = skip(s);
		if (c == 0 || c == '}' || c == ']')
			return fail(s, "the key '%s' at offset %zu has no value", key, key_at);
		if ((res = scan_value(s, depth)) < 0)
			return res;
	}
}

static int scan_array(struct scan *s, int depth, size_t open_at)
{
	int res;

	for (;;) {
		char c = skip(s);

		if (c == 0)
			return fail(s, "the '[' at offset %zu is never closed", open_at);
		if (c == ']') {
			s->pos++;
			return 0;
		}
		if (c == '}')
			return fail(s, "the '}' at offset %zu closes nothing (an array is closed with ']')", s->pos);
		if ((res = scan_value(s, depth)) < 0)
			return res;
	}
}

static int scan_value(struct scan *s, int depth)
{
	char c = s->text[s->pos];
	size_t at = s->pos;

	if (c == '{' || c == '[') {
		if (depth + 1 > ALTO_MODULE_ARGS_MAX_DEPTH)
			return fail(s, "nested deeper than %d levels at offset %zu", ALTO_MODULE_ARGS_MAX_DEPTH, at);
		s->pos++;
		return c == '{' ? scan_members(s, depth + 1, at, true) : scan_array(s, depth + 1, at);
	}
	if (c == '"')
		return scan_string(s);
	return scan_word(s);
}

int alto_module_args_check(const char *text, char *why, size_t why_size)
{
	struct scan s = { .text = text ? text : "", .why = why, .why_size = why_size };
	int res;

	if (why && why_size > 0)
		why[0] = '\0';
	s.len = strlen(s.text);
	if (skip(&s) == '{') {
		size_t open_at = s.pos++;
		if ((res = scan_members(&s, 1, open_at, true)) < 0)
			return res;
		if (skip(&s) != 0)
			return fail(&s, "text after the closing '}' at offset %zu", s.pos);
		return 0;
	}
	return scan_members(&s, 0, 0, false);
}

int alto_module_args_parse_bool(const char *value, bool *out)
{
	if (value == NULL || out == NULL)
		return -EINVAL;
	if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

int alto_module_args_parse_int(const char *value, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	if (value == NULL || out == NULL || value[0] == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
