/* Unit test: several signaling clients in one process (two rooms in one
 * daemon, a module unloaded while another stays) free all they hold, in any
 * order. Run under ASan: LeakSanitizer at exit is the check. lws 4.1 takes a
 * new SSL_CTX ex_data index on every context made with TLS and frees a
 * context's client SSL_CTX only when it is found under the newest index, so
 * a TLS context made before another TLS one leaks ~700 KB (the CA store). */
#include <glib.h>

#include "alto-signal.h"

static struct alto_signal_client *client(GMainContext *ctx, const char *url)
{
	/* nothing listens there; no connection is made (the loop never runs) */
	struct alto_signal_config cfg = { .url = url, .token = "not-a-token" };
	struct alto_signal_client *c = alto_signal_client_new(ctx, &cfg, NULL, NULL);

	g_assert_nonnull(c);
	return c;
}

static void destroy_in_order(const char *first_url, const char *second_url)
{
	GMainContext *ctx = g_main_context_new();
	struct alto_signal_client *first = client(ctx, first_url);
	struct alto_signal_client *second = client(ctx, second_url);

	/* the older one goes first, as the module that failed before the other */
	alto_signal_client_destroy(first);
	alto_signal_client_destroy(second);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
}

static void test_two_ws(void)
{
	destroy_in_order("ws://127.0.0.1:9", "ws://127.0.0.1:9");
}

static void test_wss_then_ws(void)
{
	/* a ws:// client made later must not move the index under the wss:// one */
	destroy_in_order("wss://127.0.0.1:9", "ws://127.0.0.1:9");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/signaling/clients/two-ws", test_two_ws);
	g_test_add_func("/signaling/clients/wss-then-ws", test_wss_then_ws);
	return g_test_run();
}
