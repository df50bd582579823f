/* Unit tests: the reconnect delay table and its jitter. */
#include <glib.h>

#include "backoff.h"

static void test_default_table(void)
{
	const struct alto_backoff_policy *p = &alto_backoff_default;

	/* the first retry is immediate, whatever the random value */
	g_assert_cmpuint(alto_backoff_delay_ms(p, 1, 0), ==, 0);
	g_assert_cmpuint(alto_backoff_delay_ms(p, 1, 0xffffffff), ==, 0);
	/* later ones stay within +-20 % of 250, 500, 1000, 1000, ... */
	static const uint32_t base[] = { 0, 250, 500, 1000, 1000, 1000 };
	for (unsigned attempt = 2; attempt <= 6; attempt++) {
		uint32_t lo = UINT32_MAX, hi = 0;
		for (uint32_t r = 0; r < 5000; r++) {
			uint32_t d = alto_backoff_delay_ms(p, attempt, g_random_int());
			lo = MIN(lo, d);
			hi = MAX(hi, d);
		}
		g_assert_cmpuint(lo, >=, base[attempt - 1] * 8 / 10);
		g_assert_cmpuint(hi, <=, base[attempt - 1] * 12 / 10);
		/* jitter actually spreads the delays */
		g_assert_cmpuint(hi - lo, >, base[attempt - 1] / 5);
	}
	/* attempt 1000 is capped at the last entry */
	g_assert_cmpuint(alto_backoff_delay_ms(p, 1000, 0), ==, 800);
	g_assert_cmpuint(alto_backoff_delay_ms(p, 1000, 400), ==, 1200);
	/* the cap bounds how late a returning server is found */
	g_assert_cmpuint(alto_backoff_delay_ms(p, 1000, 0xffffffff), <=, 1200);
}

static void test_custom_table(void)
{
	static const uint32_t t[] = { 100, 3000 };
	struct alto_backoff_policy p = { .delays_ms = t, .n_delays = 2, .jitter_percent = 0 };

	g_assert_cmpuint(alto_backoff_delay_ms(&p, 0, 77), ==, 100);
	g_assert_cmpuint(alto_backoff_delay_ms(&p, 1, 77), ==, 100);
	g_assert_cmpuint(alto_backoff_delay_ms(&p, 2, 77), ==, 3000);
	g_assert_cmpuint(alto_backoff_delay_ms(&p, 9, 77), ==, 3000);
	p.jitter_percent = 500;  /* clamped to 100 %: never negative */
	for (uint32_t r = 0; r < 1000; r++)
		g_assert_cmpuint(alto_backoff_delay_ms(&p, 2, r * 7919), <=, 6000);
	/* no table: the default */
	g_assert_cmpuint(alto_backoff_delay_ms(NULL, 1, 5), ==, 0);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/backoff/default-table", test_default_table);
	g_test_add_func("/backoff/custom-table", test_custom_table);
	return g_test_run();
}
