/* JSON string escaping and terminal-safe rendering of untrusted strings. */
#include "alto-text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

int alto_text_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	int n, i;

	if (len == 0)
		return -1;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return -1;
	}
	if ((size_t)n > len)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return -1;
	*cp = c;
	return n;
}

static size_t effective_len(const char *s, size_t len)
{
	return len == (size_t)-1 ? strlen(s) : len;
}

void alto_text_append_json_string(GString *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	g_string_append_c(out, '"');
	if (s == NULL) {
		g_string_append_c(out, '"');
		return;
	}
	len = effective_len(s, len);
	while (i < len) {
		uint32_t cp;
		int n = alto_text_utf8_next(p + i, len - i, &cp);

		if (n < 0) {
			g_string_append(out, "\\ufffd");
			i++;
			continue;
		}
		switch (cp) {
		case '"': g_string_append(out, "\\\""); break;
		case '\\': g_string_append(out, "\\\\"); break;
		case '\b': g_string_append(out, "\\b"); break;
		case '\f': g_string_append(out, "\\f"); break;
		case '\n': g_string_append(out, "\\n"); break;
		case '\r': g_string_append(out, "\\r"); break;
		case '\t': g_string_append(out, "\\t"); break;
		default:
			if (cp < 0x20 || cp == 0x7f || cp == 0x2028 || cp == 0x2029)
				g_string_append_printf(out, "\\u%04x", (unsigned)cp);
			else
				g_string_append_len(out, (const char *)p + i, n);
		}
		i += (size_t)n;
	}
	g_string_append_c(out, '"');
}

static bool needs_escape_for_terminal(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	       cp == 0x2028 || cp == 0x2029 ||             /* line / paragraph separators */
	       (cp >= 0x202a && cp <= 0x202e) ||           /* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069) ||           /* bidi isolates */
	       cp == 0x200e || cp == 0x200f || cp == 0x061c || /* direction marks */
	       cp == 0xfeff;                               /* zero-width no-break space / BOM */
}

void alto_text_append_printable(GString *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (s == NULL)
		return;
	len = effective_len(s, len);
	while (i < len) {
		uint32_t cp;
		int n = alto_text_utf8_next(p + i, len - i, &cp);

		if (n < 0) {
			g_string_append_printf(out, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\\')
			g_string_append(out, "\\\\");
		else if (cp == '\n')
			g_string_append(out, "\\n");
		else if (cp == '\r')
			g_string_append(out, "\\r");
		else if (cp == '\t')
			g_string_append(out, "\\t");
		else if (cp < 0x80 && needs_escape_for_terminal(cp))
			g_string_append_printf(out, "\\x%02x", (unsigned)cp);
		else if (needs_escape_for_terminal(cp))
			g_string_append_printf(out, "\\u%04x", (unsigned)cp);
		else
			g_string_append_len(out, (const char *)p + i, n);
		i += (size_t)n;
	}
}
