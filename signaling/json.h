/* A small JSON reader for the few JSON documents signaling/ reads: JWT
 * headers and payloads. Strict RFC 8259 syntax, depth-limited, no
 * allocation limits beyond the input size.
 *
 * Thread: any; pure functions. Internal to signaling/. */
#ifndef ALTO_SIGNALING_JSON_H
#define ALTO_SIGNALING_JSON_H

#include <stdbool.h>
#include <stddef.h>

enum alto_json_type {
	ALTO_JSON_NULL,
	ALTO_JSON_BOOL,
	ALTO_JSON_NUMBER,
	ALTO_JSON_STRING,
	ALTO_JSON_ARRAY,
	ALTO_JSON_OBJECT,
};

struct alto_json {
	enum alto_json_type type;
	bool boolean;
	double number;
	char *string;              /* NUL-terminated UTF-8, may contain NULs (string_len) */
	size_t string_len;
	size_t n_items;            /* array items or object members */
	struct alto_json **items;
	char **keys;               /* object member names, NUL-terminated */
};

#define ALTO_JSON_MAX_DEPTH 32

/* Parses exactly one JSON value (surrounding whitespace allowed). Returns
 * NULL on a syntax error, too deep nesting or out of memory. */
struct alto_json *alto_json_parse(const char *text, size_t len);
void alto_json_free(struct alto_json *value);

/* The last member called key of an object, or NULL (also when obj is NULL
 * or not an object). */
const struct alto_json *alto_json_get(const struct alto_json *obj, const char *key);
/* The string, or NULL when value is absent or not a string without NULs. */
const char *alto_json_get_string(const struct alto_json *obj, const char *key);

#endif
