/* AVX2 mixing kernel, chosen at init when spa_cpu reports AVX and AVX2. The
 * SSE2 kernel (mix-kernel-sse2.c) with 8-float registers, blocks of 32
 * samples; same contract (mix-kernels.h): sources summed in order, multiply
 * then add (no FMA), bit-identical to alto_mix_f32_c(). See the SSE2 file for
 * why there are two shapes (with and without peaks). */
#include <math.h>
#include <string.h>

#include <immintrin.h>

#include "mix-kernels.h"

#define BLOCK	32	/* samples per iteration: four registers */
#define GROUP	4	/* sources per metered pass */

static void mix_tail(float * __restrict dst, const float * const *src, const float *gain,
		uint32_t n_src, uint32_t from, uint32_t n)
{
	uint32_t i, k;

	for (i = from; i < n; i++) {
		float a = gain[0] == 1.0f ? src[0][i] : gain[0] * src[0][i];
		for (k = 1; k < n_src; k++)
			a = a + gain[k] * src[k][i];
		dst[i] = a;
	}
}

static void mix_blocks(float * __restrict dst, const float * const *src, const float *gain,
		uint32_t n_src, uint32_t n)
{
	const int copy0 = gain[0] == 1.0f;
	const __m256 g0 = _mm256_set1_ps(gain[0]);
	uint32_t i, k;

	for (i = 0; i + BLOCK <= n; i += BLOCK) {
		const float *s = src[0] + i;
		__m256 a0 = _mm256_loadu_ps(s + 0), a1 = _mm256_loadu_ps(s + 8);
		__m256 a2 = _mm256_loadu_ps(s + 16), a3 = _mm256_loadu_ps(s + 24);
		if (!copy0) {
			a0 = _mm256_mul_ps(g0, a0);
			a1 = _mm256_mul_ps(g0, a1);
			a2 = _mm256_mul_ps(g0, a2);
			a3 = _mm256_mul_ps(g0, a3);
		}
		for (k = 1; k < n_src; k++) {
			const __m256 g = _mm256_broadcast_ss(&gain[k]);
			s = src[k] + i;
			a0 = _mm256_add_ps(a0, _mm256_mul_ps(g, _mm256_loadu_ps(s + 0)));
			a1 = _mm256_add_ps(a1, _mm256_mul_ps(g, _mm256_loadu_ps(s + 8)));
			a2 = _mm256_add_ps(a2, _mm256_mul_ps(g, _mm256_loadu_ps(s + 16)));
			a3 = _mm256_add_ps(a3, _mm256_mul_ps(g, _mm256_loadu_ps(s + 24)));
		}
		_mm256_storeu_ps(dst + i + 0, a0);
		_mm256_storeu_ps(dst + i + 8, a1);
		_mm256_storeu_ps(dst + i + 16, a2);
		_mm256_storeu_ps(dst + i + 24, a3);
	}
	mix_tail(dst, src, gain, n_src, i, n);
}

static inline __m256 abs_max(__m256 p, __m256 x0, __m256 x1, __m256 x2, __m256 x3, __m256 mask)
{
	/* max(a, b) returns b when either is NaN. x1 and x3 are cleaned first
	 * (max(|x|, 0): a NaN becomes 0), so each max of the tree gets its NaN,
	 * if any, as a and a clean b: NaN samples are skipped, and the result
	 * equals the C kernel's compare-and-select */
	const __m256 zero = _mm256_setzero_ps();
	__m256 c1 = _mm256_max_ps(_mm256_and_ps(x1, mask), zero);
	__m256 c3 = _mm256_max_ps(_mm256_and_ps(x3, mask), zero);
	__m256 m01 = _mm256_max_ps(_mm256_and_ps(x0, mask), c1);
	__m256 m23 = _mm256_max_ps(_mm256_and_ps(x2, mask), c3);
	return _mm256_max_ps(_mm256_max_ps(m01, m23), p);
}

static float lanes_max(__m256 v)
{
	float l[8], m = 0.0f;
	_mm256_storeu_ps(l, v);
	for (int i = 0; i < 8; i++)
		m = l[i] > m ? l[i] : m;
	return m;
}

/* adds source j of the group into a0..a3 and its |max| into p */
#define ADD_SOURCE(j, p)							\
	do {									\
		const float *q = s[j] + i;					\
		const __m256 g = _mm256_broadcast_ss(&gain[j]);			\
		x0 = _mm256_loadu_ps(q + 0); x1 = _mm256_loadu_ps(q + 8);		\
		x2 = _mm256_loadu_ps(q + 16); x3 = _mm256_loadu_ps(q + 24);		\
		a0 = _mm256_add_ps(a0, _mm256_mul_ps(g, x0));				\
		a1 = _mm256_add_ps(a1, _mm256_mul_ps(g, x1));				\
		a2 = _mm256_add_ps(a2, _mm256_mul_ps(g, x2));				\
		a3 = _mm256_add_ps(a3, _mm256_mul_ps(g, x3));				\
		p = abs_max(p, x0, x1, x2, x3, mask);				\
	} while (0)

/* dst = (init ? first term : dst + g0*s0) + g1*s1 + ... for m <= GROUP
 * sources, and their peaks */
static void mix_group_metered(float * __restrict dst, const float * const *s, const float *gain,
		uint32_t m, uint32_t n, int init, float *peaks)
{
	const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 p0 = _mm256_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
	uint32_t i, j;

	for (i = 0; i + BLOCK <= n; i += BLOCK) {
		__m256 a0, a1, a2, a3, x0, x1, x2, x3;
		const float *q = s[0] + i;

		x0 = _mm256_loadu_ps(q + 0); x1 = _mm256_loadu_ps(q + 8);
		x2 = _mm256_loadu_ps(q + 16); x3 = _mm256_loadu_ps(q + 24);
		if (init) {
			if (gain[0] == 1.0f) {
				a0 = x0; a1 = x1; a2 = x2; a3 = x3;
			} else {
				const __m256 g = _mm256_broadcast_ss(&gain[0]);
				a0 = _mm256_mul_ps(g, x0); a1 = _mm256_mul_ps(g, x1);
				a2 = _mm256_mul_ps(g, x2); a3 = _mm256_mul_ps(g, x3);
			}
		} else {
			const __m256 g = _mm256_broadcast_ss(&gain[0]);
			a0 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 0), _mm256_mul_ps(g, x0));
			a1 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 8), _mm256_mul_ps(g, x1));
			a2 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 16), _mm256_mul_ps(g, x2));
			a3 = _mm256_add_ps(_mm256_loadu_ps(dst + i + 24), _mm256_mul_ps(g, x3));
		}
		p0 = abs_max(p0, x0, x1, x2, x3, mask);
		if (m > 1)
			ADD_SOURCE(1, p1);
		if (m > 2)
			ADD_SOURCE(2, p2);
		if (m > 3)
			ADD_SOURCE(3, p3);
		_mm256_storeu_ps(dst + i + 0, a0);
		_mm256_storeu_ps(dst + i + 8, a1);
		_mm256_storeu_ps(dst + i + 16, a2);
		_mm256_storeu_ps(dst + i + 24, a3);
	}
	peaks[0] = lanes_max(p0);
	if (m > 1)
		peaks[1] = lanes_max(p1);
	if (m > 2)
		peaks[2] = lanes_max(p2);
	if (m > 3)
		peaks[3] = lanes_max(p3);

	for (; i < n; i++) {
		float a;
		if (init)
			a = gain[0] == 1.0f ? s[0][i] : gain[0] * s[0][i];
		else
			a = dst[i] + gain[0] * s[0][i];
		for (j = 1; j < m; j++)
			a = a + gain[j] * s[j][i];
		dst[i] = a;
		for (j = 0; j < m; j++) {
			float v = fabsf(s[j][i]);
			peaks[j] = v > peaks[j] ? v : peaks[j];
		}
	}
}

void alto_mix_f32_avx2(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks)
{
	uint32_t k;

	if (n_src == 0) {
		memset(dst, 0, n_samples * sizeof(float));
		return;
	}
	if (peaks == NULL) {
		mix_blocks(dst, src, gain, n_src, n_samples);
		return;
	}
	for (k = 0; k < n_src; k += GROUP) {
		uint32_t m = n_src - k < GROUP ? n_src - k : GROUP;
		mix_group_metered(dst, &src[k], &gain[k], m, n_samples, k == 0, &peaks[k]);
	}
}

float alto_peak_f32_avx2(const float *src, uint32_t n_samples)
{
	const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 p = _mm256_setzero_ps();
	float peak;
	uint32_t i = 0;

	for (; i + BLOCK <= n_samples; i += BLOCK)
		p = abs_max(p, _mm256_loadu_ps(src + i), _mm256_loadu_ps(src + i + 8),
				_mm256_loadu_ps(src + i + 16), _mm256_loadu_ps(src + i + 24), mask);
	peak = lanes_max(p);
	for (; i < n_samples; i++) {
		float a = fabsf(src[i]);
		peak = a > peak ? a : peak;
	}
	return peak;
}
