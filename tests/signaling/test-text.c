/* Unit tests: JSON string escaping, terminal-safe text, the JSON reader. */
#include <string.h>

#include <glib.h>

#include "alto-text.h"
#include "json.h"

static char *json_of(const char *s, size_t len)
{
	GString *out = g_string_new(NULL);
	alto_text_append_json_string(out, s, len);
	return g_string_free(out, FALSE);
}

static char *printable_of(const char *s, size_t len)
{
	GString *out = g_string_new(NULL);
	alto_text_append_printable(out, s, len);
	return g_string_free(out, FALSE);
}

static void check_json(const char *in, size_t len, const char *expect)
{
	char *s = json_of(in, len);
	g_assert_cmpstr(s, ==, expect);
	/* and it must read back through the JSON reader as valid JSON */
	struct alto_json *v = alto_json_parse(s, strlen(s));
	g_assert_nonnull(v);
	g_assert_cmpint(v->type, ==, ALTO_JSON_STRING);
	alto_json_free(v);
	g_free(s);
}

static void test_json_escape(void)
{
	check_json("plain", (size_t)-1, "\"plain\"");
	check_json(NULL, 0, "\"\"");
	check_json("a\"b\\c", (size_t)-1, "\"a\\\"b\\\\c\"");
	check_json("line\nbreak\r\t\b\f", (size_t)-1, "\"line\\nbreak\\r\\t\\b\\f\"");
	check_json("\x01\x1b[31m\x7f", (size_t)-1, "\"\\u0001\\u001b[31m\\u007f\"");
	check_json("nul\0inside", 10, "\"nul\\u0000inside\"");
	/* valid UTF-8 passes through, including astral code points */
	check_json("Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xb5", (size_t)-1,
		   "\"Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\xb5\"");
	/* JS line terminators are escaped */
	check_json("a\xe2\x80\xa8" "b", (size_t)-1, "\"a\\u2028b\"");
	/* invalid UTF-8: stray continuation, truncated sequence, overlong, surrogate, > U+10FFFF */
	check_json("\x80x\xc3", (size_t)-1, "\"\\ufffdx\\ufffd\"");
	check_json("\xc0\xaf", (size_t)-1, "\"\\ufffd\\ufffd\"");
	check_json("\xed\xa0\x80", (size_t)-1, "\"\\ufffd\\ufffd\\ufffd\"");
	check_json("\xf4\x90\x80\x80", (size_t)-1, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_printable(void)
{
	struct { const char *in; const char *out; } v[] = {
		{ "Alice", "Alice" },
		{ "Bob\nEvil", "Bob\\nEvil" },
		{ "\x1b[2J\x07", "\\x1b[2J\\x07" },
		{ "back\\slash", "back\\\\slash" },
		{ "\xc2\x9b" "31m", "\\u009b31m" },            /* C1 CSI */
		{ "abc\xe2\x80\xae" "cba", "abc\\u202ecba" },  /* right-to-left override */
		{ "\xff\xfe", "\\xff\\xfe" },
		{ "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80" },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(v); i++) {
		char *s = printable_of(v[i].in, (size_t)-1);
		g_assert_cmpstr(s, ==, v[i].out);
		for (const char *p = s; *p; p++)
			g_assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
		g_free(s);
	}
}

static void test_json_reader(void)
{
	const char *doc = " {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\ud83c\\udfb5\"],"
			  " \"o\": {\"k\": \"v\"}, \"a\": 7 } ";
	struct alto_json *v = alto_json_parse(doc, strlen(doc));
	const struct alto_json *a;

	g_assert_nonnull(v);
	a = alto_json_get(v, "a");   /* the last duplicate wins */
	g_assert_cmpint(a->type, ==, ALTO_JSON_NUMBER);
	g_assert_cmpfloat(a->number, ==, 7);
	g_assert_cmpstr(alto_json_get_string(alto_json_get(v, "o"), "k"), ==, "v");
	g_assert_cmpint(v->n_items, ==, 3);
	a = v->items[0];
	g_assert_cmpint(a->type, ==, ALTO_JSON_ARRAY);
	g_assert_cmpint(a->n_items, ==, 6);
	g_assert_cmpfloat(a->items[1]->number, ==, -2500);
	g_assert_true(a->items[2]->boolean);
	g_assert_false(a->items[3]->boolean);
	g_assert_cmpint(a->items[4]->type, ==, ALTO_JSON_NULL);
	g_assert_cmpstr(a->items[5]->string, ==, "x\xc3\xa9\xf0\x9f\x8e\xb5");
	alto_json_free(v);

	static const char *bad[] = {
		"", "{", "}", "{\"a\"}", "{\"a\":}", "[1,]", "[01]", "tru", "\"\\x\"", "\"\x01\"",
		"\"\\ud800\"", "\"\\udc00\"", "{} {}", "[1 2]", "\"\xff\"", "1.", "-", "1e",
		"{\"a\":1,}", "nul",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
		g_assert_null(alto_json_parse(bad[i], strlen(bad[i])));

	/* nesting is bounded */
	GString *deep = g_string_new(NULL);
	for (int i = 0; i < ALTO_JSON_MAX_DEPTH + 1; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < ALTO_JSON_MAX_DEPTH + 1; i++)
		g_string_append_c(deep, ']');
	g_assert_null(alto_json_parse(deep->str, deep->len));
	g_string_truncate(deep, 0);
	for (int i = 0; i < ALTO_JSON_MAX_DEPTH; i++)
		g_string_append_c(deep, '[');
	for (int i = 0; i < ALTO_JSON_MAX_DEPTH; i++)
		g_string_append_c(deep, ']');
	v = alto_json_parse(deep->str, deep->len);
	g_assert_nonnull(v);
	alto_json_free(v);
	g_string_free(deep, TRUE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/text/json-escape", test_json_escape);
	g_test_add_func("/text/printable", test_printable);
	g_test_add_func("/text/json-reader", test_json_reader);
	return g_test_run();
}
