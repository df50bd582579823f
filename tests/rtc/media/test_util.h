/* Tiny test helpers for rtc/media unit tests: checks that report file:line
 * and exit non-zero, and the audio measurements the tests need. */
#ifndef ALTO_TESTS_RTC_MEDIA_TEST_UTIL_H
#define ALTO_TESTS_RTC_MEDIA_TEST_UTIL_H

#include <math.h>
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

/* Amplitude of the freq component of x[0..n) (sampled at rate), by the
 * Goertzel algorithm: exact for a sine with a whole number of periods in
 * the window. stride: distance between samples (channels). */
static inline double goertzel_amplitude(const float *x, size_t n, size_t stride, double freq, double rate)
{
	double coeff = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0.0, s2 = 0.0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i * stride] + coeff * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return 2.0 * sqrt(fmax(s1 * s1 + s2 * s2 - coeff * s1 * s2, 0.0)) / (double)n;
}

static inline double rms(const float *x, size_t n, size_t stride)
{
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += (double)x[i * stride] * x[i * stride];
	return n ? sqrt(sum / (double)n) : 0.0;
}

static inline double to_db(double v)
{
	return 20.0 * log10(fmax(v, 1e-12));
}

/* A voice-like test signal: 12 harmonics of a pitch gliding around 140 Hz,
 * loudness swinging at a syllable rate. Unlike a steady tone, Opus's SILK
 * voice activity detector keeps calling it speech, so the encoder codes
 * in-band FEC (LBRR) for it. */
struct voice_gen {
	double phase;
	uint64_t n;
};

static inline float voice_next(struct voice_gen *g)
{
	double t = (double)g->n++ / 48000.0, f0 = 140.0 + 30.0 * sin(2 * M_PI * 0.7 * t);
	double env = 0.6 + 0.4 * sin(2 * M_PI * 3.0 * t), s = 0.0;

	g->phase += 2 * M_PI * f0 / 48000.0;
	for (int h = 1; h <= 12; h++)
		s += sin(h * g->phase) / h * (h == 3 || h == 4 ? 2.0 : 1.0);
	return (float)(0.15 * env * s);
}

/* Deterministic pseudo-random numbers (xorshift32), so failures replay. */
static inline unsigned int test_rand(unsigned int *state)
{
	unsigned int x = *state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

static inline double test_rand_unit(unsigned int *state)
{
	return (test_rand(state) & 0xffffff) / (double)0x1000000;
}

#endif
