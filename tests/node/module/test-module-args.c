/* Unit tests: the module's SPA-JSON argument check (node/module/module-args.c).
 *
 * What it accepts must be read by PipeWire's own parser as meant (checked
 * with pw_properties_new_string); what it refuses is exactly what that
 * parser would quietly read as something else, and the reason names the
 * place. */
#include <errno.h>
#include <string.h>

#include <glib.h>
#include <pipewire/pipewire.h>

#include "module-args.h"

static void assert_ok(const char *text)
{
	char why[256];
	int res = alto_module_args_check(text, why, sizeof(why));

	if (res != 0)
		g_error("refused %s: %s", text, why);
	g_assert_cmpstr(why, ==, "");
}

/* Refused, with a reason that contains `expect`. */
static void assert_refused(const char *text, const char *expect)
{
	char why[256];
	int res = alto_module_args_check(text, why, sizeof(why));

	if (res != -EINVAL)
		g_error("accepted %s", text);
	if (strstr(why, expect) == NULL)
		g_error("reason for %s is \"%s\", expected it to contain \"%s\"", text, why, expect);
}

static void test_accepts_conf_syntax(void)
{
	assert_ok(NULL);
	assert_ok("");
	assert_ok("   ");
	assert_ok("{}");
	assert_ok("{ }");
	assert_ok("room=standup identity=alice");
	assert_ok("{ room = standup identity = alice }");
	assert_ok("{ \"room\": \"standup\", \"identity\": \"alice\" }");
	assert_ok("{ url = \"wss://lk.example.org:7880\" room = \"a b\" }");
	assert_ok("{ stream.props = { node.description = \"LiveKit: x\" } participant.props = { } }");
	assert_ok("{ a = [ 1 2 3 ] b = [ { c = d } [ e ] ] }");
	assert_ok("{ room = r # a comment with } and \" in it\n identity = i }");
	assert_ok("# leading comment\n{ room = r }\n# trailing comment");
	assert_ok("{ name = \"Zoë \\\"Z\\\" \\u00e9\" }");
	assert_ok("{ name = \"日本\" }");
	assert_ok("{ latency.msec = 40 publish = false }");
}

static void test_refuses_what_pipewire_would_misread(void)
{
	assert_refused("{ room = standup", "'{' at offset 0 is never closed");
	assert_refused("{ room = standup identity = alice", "never closed");
	assert_refused("room = standup }", "'}' at offset 15 closes nothing");
	assert_refused("{ room = \"standup }", "offset 9 has no closing '\"'");
	assert_refused("{ room = standup } identity = alice", "text after the closing '}'");
	assert_refused("{ room = standup identity }", "the key 'identity' at offset 17 has no value");
	assert_refused("{ room }", "the key 'room' at offset 2 has no value");
	assert_refused("{ \"room\" }", "the key 'room' at offset 2 has no value");
	assert_refused("{ room = standup ]", "']' at offset 17 closes nothing");
	assert_refused("{ a = [ 1 2 }", "'}' at offset 12 closes nothing (an array is closed with ']')");
	assert_refused("{ a = [ 1 2 ", "'[' at offset 6 is never closed");
	assert_refused("{ { a = b } }", "expected a key at offset 2");
	assert_refused("{ room=stand{up }", "unexpected '{' inside the word 'stand{'");
	assert_refused("{ room=\"a\\qb\" }", "bad escape '\\q'");
	assert_refused("{ room=\"a\\u12\" }", "bad \\u escape");
	assert_refused("{ room=\"a\nb\" }", "control character in the string at offset 7");
	assert_refused("{ room=\"\xff\" }", "invalid UTF-8");
	assert_refused("{ room=\"\xc3\" }", "invalid UTF-8");
}

static void test_depth_is_bounded(void)
{
	GString *s = g_string_new("{ a = ");
	char why[256];

	for (int i = 0; i < 100; i++)
		g_string_append(s, "[ ");
	for (int i = 0; i < 100; i++)
		g_string_append(s, "] ");
	g_string_append(s, "}");
	g_assert_cmpint(alto_module_args_check(s->str, why, sizeof(why)), ==, -EINVAL);
	g_assert_nonnull(strstr(why, "nested deeper than"));
	g_string_free(s, TRUE);

	/* a reason never overflows a small buffer */
	g_assert_cmpint(alto_module_args_check("{ room", why, 8), ==, -EINVAL);
	g_assert_cmpuint(strlen(why), ==, 7);
}

/* What the check accepts, PipeWire reads key by key as written. */
static void test_pipewire_reads_accepted_args(void)
{
	const char *args = "{ url = \"ws://127.0.0.1:7880\" room = standup identity = \"alice\" "
			   "# comment\n stream.props = { node.description = \"LiveKit: x\" } publish = false }";
	struct pw_properties *p;

	assert_ok(args);
	p = pw_properties_new_string(args);
	g_assert_nonnull(p);
	g_assert_cmpstr(pw_properties_get(p, "url"), ==, "ws://127.0.0.1:7880");
	g_assert_cmpstr(pw_properties_get(p, "room"), ==, "standup");
	g_assert_cmpstr(pw_properties_get(p, "identity"), ==, "alice");
	g_assert_cmpstr(pw_properties_get(p, "publish"), ==, "false");
	g_assert_nonnull(strstr(pw_properties_get(p, "stream.props"), "node.description"));
	g_assert_cmpuint(p->dict.n_items, ==, 5);
	pw_properties_free(p);

	/* and the case that made the check necessary: PipeWire reads an
	 * unterminated object without complaint, losing what follows */
	p = pw_properties_new_string("{ room = \"standup identity = alice }");
	g_assert_null(pw_properties_get(p, "identity"));
	pw_properties_free(p);
}

static void test_bool_and_int(void)
{
	bool b = false;
	long v = 0;

	g_assert_cmpint(alto_module_args_parse_bool("true", &b), ==, 0);
	g_assert_true(b);
	g_assert_cmpint(alto_module_args_parse_bool("0", &b), ==, 0);
	g_assert_false(b);
	g_assert_cmpint(alto_module_args_parse_bool("yes", &b), ==, -EINVAL);
	g_assert_cmpint(alto_module_args_parse_bool("", &b), ==, -EINVAL);
	g_assert_cmpint(alto_module_args_parse_int("40", 0, 2000, &v), ==, 0);
	g_assert_cmpint(v, ==, 40);
	g_assert_cmpint(alto_module_args_parse_int("-1", -1, 10, &v), ==, 0);
	g_assert_cmpint(v, ==, -1);
	g_assert_cmpint(alto_module_args_parse_int("2001", 0, 2000, &v), ==, -ERANGE);
	g_assert_cmpint(alto_module_args_parse_int("40ms", 0, 2000, &v), ==, -EINVAL);
	g_assert_cmpint(alto_module_args_parse_int("", 0, 2000, &v), ==, -EINVAL);
	g_assert_cmpint(alto_module_args_parse_int("99999999999999999999", 0, 2000, &v), ==, -ERANGE);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	pw_init(NULL, NULL);
	g_test_add_func("/module-args/accepts-conf-syntax", test_accepts_conf_syntax);
	g_test_add_func("/module-args/refuses-misreadings", test_refuses_what_pipewire_would_misread);
	g_test_add_func("/module-args/depth-bounded", test_depth_is_bounded);
	g_test_add_func("/module-args/pipewire-reads-accepted", test_pipewire_reads_accepted_args);
	g_test_add_func("/module-args/bool-int", test_bool_and_int);
	return g_test_run();
}
