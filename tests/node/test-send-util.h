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

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		exit(1);							\
	}									\
} while (0)

#define CHECK_EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b) {								\
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
			__FILE__, __LINE__, #a, _a, #b, _b);			\
		exit(1);							\
	}									\
} while (0)

#define CHECK_NEAR(a, b, tol) do {						\
	double _a = (double)(a), _b = (double)(b);				\
	if (!(fabs(_a - _b) <= (tol))) {					\
		fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s == %g, %s == %g (tol %g)\n", \
			__FILE__, __LINE__, #a, _a, #b, _b, (double)(tol));	\
		exit(1);							\
	}									\
} while (0)

#define RUN(test) do {								\
	fprintf(stderr, "== %s\n", #test);					\
	test();									\
} while (0)

/* Amplitude of the freq component of x[0..n) at 48 kHz (Goertzel; exact for
 * a whole number of periods). */
static inline double tone_amplitude(const float *x, size_t n, double freq)
{
	double coeff = 2.0 * cos(2.0 * M_PI * freq / 48000.0), s1 = 0.0, s2 = 0.0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return 2.0 * sqrt(fmax(s1 * s1 + s2 * s2 - coeff * s1 * s2, 0.0)) / (double)n;
}

static inline double to_db(double x)
{
	return 20.0 * log10(fmax(x, 1e-12));
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
