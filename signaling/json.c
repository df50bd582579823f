/* A strict, depth-limited JSON reader (RFC 8259) for JWT segments. */
#include "json.h"
#include "alto-text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *p;
	const char *end;
	int depth;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static struct alto_json *new_value(enum alto_json_type type)
{
	struct alto_json *v = calloc(1, sizeof(*v));
	if (v)
		v->type = type;
	return v;
}

void alto_json_free(struct alto_json *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n_items; i++) {
		alto_json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Parses a string at ps->p (which is '"'); the result is newly allocated. */
static char *parse_string(struct parser *ps, size_t *out_len)
{
	const char *start = ++ps->p;
	char *buf, *o;

	/* worst case every input byte yields one output byte (\u escapes shrink) */
	buf = o = malloc((size_t)(ps->end - start) + 1);
	if (buf == NULL)
		return NULL;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;
		if (c == '"') {
			ps->p++;
			*o = '\0';
			*out_len = (size_t)(o - buf);
			return buf;
		}
		if (c < 0x20)
			break;
		if (c == '\\') {
			uint32_t cp;
			if (ps->end - ps->p < 2)
				break;
			ps->p++;
			switch (*ps->p) {
			case '"': *o++ = '"'; ps->p++; continue;
			case '\\': *o++ = '\\'; ps->p++; continue;
			case '/': *o++ = '/'; ps->p++; continue;
			case 'b': *o++ = '\b'; ps->p++; continue;
			case 'f': *o++ = '\f'; ps->p++; continue;
			case 'n': *o++ = '\n'; ps->p++; continue;
			case 'r': *o++ = '\r'; ps->p++; continue;
			case 't': *o++ = '\t'; ps->p++; continue;
			case 'u':
				if (ps->end - ps->p < 5 || hex4(ps->p + 1, &cp) < 0)
					goto fail;
				ps->p += 5;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					uint32_t lo;
					if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
					    hex4(ps->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						goto fail;
					ps->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					goto fail;
				}
				/* 6 input bytes always cover up to 4 output bytes */
				o += put_utf8(o, cp);
				continue;
			default:
				goto fail;
			}
		} else {
			uint32_t cp;
			int n = alto_text_utf8_next((const unsigned char *)ps->p,
						    (size_t)(ps->end - ps->p), &cp);
			if (n < 0)
				break;
			memcpy(o, ps->p, (size_t)n);
			o += n;
			ps->p += n;
		}
	}
fail:
	free(buf);
	return NULL;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	ps->p += n;
	return true;
}

static struct alto_json *parse_value(struct parser *ps);

static int append_item(struct alto_json *v, struct alto_json *item, char *key)
{
	struct alto_json **items;

	items = realloc(v->items, (v->n_items + 1) * sizeof(*items));
	if (items == NULL)
		return -ENOMEM;
	v->items = items;
	if (v->type == ALTO_JSON_OBJECT) {
		char **keys = realloc(v->keys, (v->n_items + 1) * sizeof(*keys));
		if (keys == NULL)
			return -ENOMEM;
		v->keys = keys;
		v->keys[v->n_items] = key;
	}
	v->items[v->n_items++] = item;
	return 0;
}

static struct alto_json *parse_container(struct parser *ps, bool object)
{
	struct alto_json *v = new_value(object ? ALTO_JSON_OBJECT : ALTO_JSON_ARRAY);
	char close = object ? '}' : ']';

	if (v == NULL)
		return NULL;
	if (++ps->depth > ALTO_JSON_MAX_DEPTH)
		goto fail;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return v;
	}
	for (;;) {
		struct alto_json *item;
		char *key = NULL;

		skip_ws(ps);
		if (object) {
			size_t key_len;
			if (ps->p >= ps->end || *ps->p != '"')
				goto fail;
			key = parse_string(ps, &key_len);
			if (key == NULL)
				goto fail;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				goto fail;
			}
			ps->p++;
		}
		item = parse_value(ps);
		if (item == NULL || append_item(v, item, key) < 0) {
			alto_json_free(item);
			free(key);
			goto fail;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			return v;
		}
		goto fail;
	}
fail:
	alto_json_free(v);
	return NULL;
}

static struct alto_json *parse_number(struct parser *ps)
{
	const char *s = ps->p;
	char tmp[64];
	struct alto_json *v;
	size_t n;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end)
		return NULL;
	if (*ps->p == '0') {
		ps->p++;
	} else if (*ps->p >= '1' && *ps->p <= '9') {
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	} else {
		return NULL;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return NULL;
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return NULL;
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	n = (size_t)(ps->p - s);
	if (n >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	v = new_value(ALTO_JSON_NUMBER);
	if (v)
		v->number = strtod(tmp, NULL);
	return v;
}

static struct alto_json *parse_value(struct parser *ps)
{
	struct alto_json *v;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return NULL;
	switch (*ps->p) {
	case '{':
		return parse_container(ps, true);
	case '[':
		return parse_container(ps, false);
	case '"':
		v = new_value(ALTO_JSON_STRING);
		if (v == NULL)
			return NULL;
		v->string = parse_string(ps, &v->string_len);
		if (v->string == NULL) {
			free(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f':
		if (!literal(ps, "true") && !literal(ps, "false"))
			return NULL;
		v = new_value(ALTO_JSON_BOOL);
		if (v)
			v->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
		return v;
	case 'n':
		if (!literal(ps, "null"))
			return NULL;
		return new_value(ALTO_JSON_NULL);
	default:
		return parse_number(ps);
	}
}

struct alto_json *alto_json_parse(const char *text, size_t len)
{
	struct parser ps = { .p = text, .end = text + len, .depth = 0 };
	struct alto_json *v;

	if (text == NULL)
		return NULL;
	v = parse_value(&ps);
	if (v == NULL)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		alto_json_free(v);
		return NULL;
	}
	return v;
}

const struct alto_json *alto_json_get(const struct alto_json *obj, const char *key)
{
	const struct alto_json *found = NULL;
	size_t i;

	if (obj == NULL || obj->type != ALTO_JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n_items; i++)
		if (strcmp(obj->keys[i], key) == 0)
			found = obj->items[i];
	return found;
}

const char *alto_json_get_string(const struct alto_json *obj, const char *key)
{
	const struct alto_json *v = alto_json_get(obj, key);

	if (v == NULL || v->type != ALTO_JSON_STRING || strlen(v->string) != v->string_len)
		return NULL;
	return v->string;
}
