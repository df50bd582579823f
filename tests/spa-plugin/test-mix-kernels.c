/* The mixing kernels against each other and against a double-precision sum:
 * random numbers of sources, lengths and alignments, gains of 0, 1 and
 * anything between. Every SIMD variant this CPU can run must give the C
 * kernel's result bit for bit (mix-kernels.h), never write past n samples,
 * and the peak functions must agree too, NaN included. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/support/cpu.h>

#include "mix-kernels.h"

#define MAX_SRC		40
#define MAX_LEN		4099
#define PAD		16	/* floats of guard after each buffer and alignment slack */
#define GUARD		12345.0f
#define ROUNDS		1000	/* per variant; a few seconds under ASan */

static int failures;

#define CHECK(cond, ...) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);					\
		fprintf(stderr, "\n");						\
		failures++;							\
	}									\
} while (0)

/* xorshift: the same sequence everywhere, no libc rand() differences */
static uint32_t rng_state = 0x12345678;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}
static float rng_float(float lo, float hi)
{
	return lo + (hi - lo) * (float)(rng() & 0xffffff) / (float)0xffffff;
}

static uint32_t cpu_flags(void)
{
	uint32_t flags = 0;
#if defined(__x86_64__)
	__builtin_cpu_init();
	flags |= SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2;
	if (__builtin_cpu_supports("avx"))
		flags |= SPA_CPU_FLAG_AVX;
	if (__builtin_cpu_supports("avx2"))
		flags |= SPA_CPU_FLAG_AVX2;
#endif
	return flags;
}

static float *src_mem[MAX_SRC];
static const float *src[MAX_SRC];
static float gain[MAX_SRC];
static float *ref_mem, *out_mem;
static float ref_peaks[MAX_SRC], out_peaks[MAX_SRC];

static void fill_round(uint32_t n_src, uint32_t n)
{
	uint32_t k, i;

	for (k = 0; k < n_src; k++) {
		float *s = src_mem[k] + (rng() % 8);	/* any float alignment */
		for (i = 0; i < n; i++)
			s[i] = rng_float(-1.5f, 1.5f);
		src[k] = s;
		switch (rng() % 5) {
		case 0: gain[k] = 1.0f; break;
		case 1: gain[k] = 0.0f; break;
		default: gain[k] = rng_float(0.0f, 4.0f); break;
		}
	}
}

static void test_c_against_double(void)
{
	uint32_t round;

	for (round = 0; round < 300; round++) {
		uint32_t n_src = rng() % MAX_SRC, n = rng() % 1100, i, k;
		float *dst = out_mem + 3;
		fill_round(n_src, n);
		alto_mix_f32_c(dst, src, gain, n_src, n, NULL);
		for (i = 0; i < n; i++) {
			double want = 0, mag = 0;
			for (k = 0; k < n_src; k++) {
				want += (double)gain[k] * src[k][i];
				mag += fabs((double)gain[k] * src[k][i]);
			}
			if (fabs(dst[i] - want) > 1e-6 * (mag + 1.0)) {
				CHECK(0, "c: round %u sample %u: %.9g vs %.9g", round, i, dst[i], want);
				return;
			}
		}
	}
}

static void test_variant(const struct alto_mix_kernel *k)
{
	uint32_t round, flags = cpu_flags();

	if ((k->cpu_flags & flags) != k->cpu_flags) {
		fprintf(stderr, "kernel %s: not supported by this CPU, skipped\n", k->name);
		return;
	}
	for (round = 0; round < ROUNDS; round++) {
		uint32_t n_src = rng() % MAX_SRC, i;
		uint32_t n = (round % 10 == 0) ? rng() % 8 : rng() % MAX_LEN;
		uint32_t align = rng() % 8;
		float *ref = ref_mem + align, *out = out_mem + ((align + rng() % 3) % 8);

		if (round % 50 == 0)
			n_src = rng() % 6;	/* the small cases, including none */
		fill_round(n_src, n);
		for (i = 0; i < n + PAD - 8; i++)
			ref[i] = out[i] = GUARD;

		/* half the rounds metered: the other shape of the SIMD kernels */
		bool metered = round % 2 == 1;
		if (metered && n_src > 0 && n > 0 && round % 6 == 1) {
			/* a NaN and a big negative in the metered sources */
			((float *)src[rng() % n_src])[rng() % n] = NAN;
			((float *)src[rng() % n_src])[rng() % n] = -3.5f;
		}
		for (i = 0; i < MAX_SRC; i++)
			ref_peaks[i] = out_peaks[i] = -1.0f;
		alto_mix_f32_c(ref, src, gain, n_src, n, metered ? ref_peaks : NULL);
		k->mix(out, src, gain, n_src, n, metered ? out_peaks : NULL);
		if (metered) {
			for (i = 0; i < n_src; i++)
				if (ref_peaks[i] != out_peaks[i] || isnan(out_peaks[i])) {
					CHECK(0, "%s: round %u source %u/%u n %u: peak %.9g vs c %.9g",
							k->name, round, i, n_src, n, out_peaks[i], ref_peaks[i]);
					return;
				}
			/* and the C peaks are right: against a plain loop */
			for (i = 0; i < n_src; i++) {
				float want = 0.0f;
				for (uint32_t j = 0; j < n; j++)
					if (fabsf(src[i][j]) > want)
						want = fabsf(src[i][j]);
				CHECK(want == ref_peaks[i], "c peak %.9g, want %.9g", ref_peaks[i], want);
			}
		}
		for (i = n_src; i < MAX_SRC; i++)
			if (out_peaks[i] != -1.0f) {
				CHECK(0, "%s: wrote peaks past n_src", k->name);
				return;
			}

		if (memcmp(ref, out, n * sizeof(float)) != 0) {
			for (i = 0; i < n && ref[i] == out[i]; i++);
			CHECK(0, "%s: round %u (n_src %u, n %u): sample %u %.9g vs c %.9g",
					k->name, round, n_src, n, i, out[i], ref[i]);
			return;
		}
		for (i = n; i < n + PAD - 8; i++)
			if (out[i] != GUARD) {
				CHECK(0, "%s: round %u wrote past n=%u at %u", k->name, round, n, i);
				return;
			}

		/* peak: the same value as the C one, over the first source */
		if (n_src > 0) {
			float *s = (float *)src[0];
			if (round % 7 == 0 && n > 0)
				s[rng() % n] = NAN;
			if (round % 11 == 0 && n > 0)
				s[rng() % n] = -2.75f;
			float pc = alto_peak_f32_c(s, n), pk = k->peak(s, n);
			CHECK(pc == pk, "%s: peak round %u n %u: %.9g vs c %.9g", k->name, round, n, pk, pc);
			if (round % 11 == 0 && n > 0)
				CHECK(pc >= 2.75f, "c peak %.9g, want at least 2.75", pc);
			CHECK(!isnan(pk), "%s: peak is NaN", k->name);
		}
	}
	fprintf(stderr, "kernel %s: %d random rounds equal to c\n", k->name, ROUNDS);
}

static void test_selection(void)
{
	const struct alto_mix_kernel *k = alto_mix_kernel_select(0);
	CHECK(strcmp(k->name, "c") == 0, "no flags picks %s", k->name);
#if defined(__x86_64__)
	k = alto_mix_kernel_select(SPA_CPU_FLAG_SSE | SPA_CPU_FLAG_SSE2);
	CHECK(strcmp(k->name, "sse2") == 0, "sse2 flags pick %s", k->name);
	/* AVX2 without the AVX flag is not enough (the OS may not save ymm) */
	k = alto_mix_kernel_select(SPA_CPU_FLAG_SSE2 | SPA_CPU_FLAG_AVX2);
	CHECK(strcmp(k->name, "sse2") == 0, "avx2 without avx picks %s", k->name);
	k = alto_mix_kernel_select(SPA_CPU_FLAG_SSE2 | SPA_CPU_FLAG_AVX | SPA_CPU_FLAG_AVX2);
	CHECK(strcmp(k->name, "avx2") == 0, "avx2 flags pick %s", k->name);
#endif
	CHECK(alto_mix_kernel_find("c") != NULL, "c not found");
	CHECK(alto_mix_kernel_find("nope") == NULL, "unknown kernel found");
	CHECK(alto_mix_kernel_find(NULL) == NULL, "NULL name found");
}

int main(void)
{
	const struct alto_mix_kernel *k;
	uint32_t i;

	for (i = 0; i < MAX_SRC; i++)
		src_mem[i] = calloc(MAX_LEN + PAD, sizeof(float));
	ref_mem = calloc(MAX_LEN + PAD, sizeof(float));
	out_mem = calloc(MAX_LEN + PAD, sizeof(float));

	test_selection();
	test_c_against_double();
	for (k = alto_mix_kernels; k->name != NULL; k++)
		if (strcmp(k->name, "c") != 0)
			test_variant(k);

	for (i = 0; i < MAX_SRC; i++)
		free(src_mem[i]);
	free(ref_mem);
	free(out_mem);

	if (failures) {
		fprintf(stderr, "test-mix-kernels: %d check(s) failed\n", failures);
		return 1;
	}
	fprintf(stderr, "test-mix-kernels: all checks passed\n");
	return 0;
}
