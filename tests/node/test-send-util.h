/* Helpers for the send-path unit tests (tests/node/test-send-*.c): checks
 * that report file:line and exit non-zero, tone measurement, and an
 * allocation counter for "the real-time side never allocates" (ASan's
 * malloc hooks; without ASan that check is skipped and says so). */
#ifndef ALTO_TESTS_NODE_TEST_SEND_UTIL_H
#define ALTO_TESTS_NODE_TEST_SEND_UTIL_H

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The checks (CHECK, CHECK_EQ, CHECK_NEAR, RUN), goertzel_amplitude() and
 * to_db() are the rtc/media tests' own: one copy serves both. */
#include "../rtc/media/test_util.h"

/* Amplitude of the freq component of mono x[0..n) at 48 kHz. */
static inline double tone_amplitude(const float *x, size_t n, double freq)
{
	return goertzel_amplitude(x, n, 1, freq, 48000.0);
}

/* ---- allocation counter for one thread's marked section ---- */

static _Thread_local bool alloc_watch;
static atomic_ulong alloc_count;

#if defined(__SANITIZE_ADDRESS__)
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
		void (*free_hook)(const volatile void *));

static void count_malloc(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	if (alloc_watch)
		atomic_fetch_add(&alloc_count, 1);
}

static void count_free(const volatile void *ptr)
{
	(void)ptr;
	if (alloc_watch)
		atomic_fetch_add(&alloc_count, 1);
}

/* Installs the hooks and proves they see an allocation (a check that
 * cannot fail is no check). */
static inline bool alloc_counter_install(void)
{
	void *volatile p;

	if (__sanitizer_install_malloc_and_free_hooks(count_malloc, count_free) == 0)
		return false;
	atomic_store(&alloc_count, 0);
	alloc_watch = true;
	p = malloc(16);
	free(p);
	alloc_watch = false;
	if (atomic_load(&alloc_count) != 2) {
		fprintf(stderr, "allocation counter does not count\n");
		exit(1);
	}
	atomic_store(&alloc_count, 0);
	return true;
}
#else
static inline bool alloc_counter_install(void)
{
	fprintf(stderr, "(no ASan: allocation check skipped)\n");
	return false;
}
#endif

#endif
