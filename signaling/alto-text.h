/* Safe text output: JSON string escaping and terminal-safe rendering of
 * strings that come from the network (participant names, identities...).
 *
 * Thread: any; pure functions appending to a caller-owned GString. */
#ifndef ALTO_TEXT_H
#define ALTO_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* Appends s (len bytes, or up to NUL when len is (size_t)-1) as a quoted JSON
 * string: '"', '\\' and every control character are escaped, U+2028/U+2029
 * too (JavaScript line terminators); bytes that are not valid UTF-8 become
 * U+FFFD, so the output is always valid UTF-8 JSON. s == NULL appends "". */
void alto_text_append_json_string(GString *out, const char *s, size_t len);

/* Appends s for a terminal: valid UTF-8 passes through except control
 * characters (C0, DEL, C1), line/paragraph separators and bidirectional
 * overrides, which are written as visible escapes (\n, \t, \x1b, \u202e);
 * backslash is doubled and invalid bytes are written as \xNN. Nothing
 * written can move the cursor, change colours or reorder the line. */
void alto_text_append_printable(GString *out, const char *s, size_t len);

/* Decodes one UTF-8 sequence at s (len > 0 bytes available). Returns its
 * length (1..4) and the code point in *cp, or -1 when the bytes at s are not
 * a valid, shortest-form sequence of a Unicode scalar value. */
int alto_text_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

#endif
