/* SSE2 mixing kernel (the x86_64 baseline). Same contract as the C kernel
 * (mix-kernels.h): sources summed in order, multiply then add, so the result
 * is bit-identical to alto_mix_f32_c().
 *
 * Two shapes, because metering changes what is cheapest:
 * - no peaks: for each block of 16 samples, every source is added into four
 *   registers and the block is stored once (the inputs of one cycle sit in
 *   L1/L2, so walking all sources per block costs no more than streaming);
 * - peaks: sources four at a time over the whole buffer, the running |max|
 *   of each of the four kept in registers, so every source is read once for
 *   both jobs; dst goes through L1 once per group of four. */
#include <math.h>
#include <string.h>

#include <emmintrin.h>

#include "mix-kernels.h"

#define BLOCK	16	/* samples per iteration: four registers */
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
	const __m128 g0 = _mm_set1_ps(gain[0]);
	uint32_t i, k;

	for (i = 0; i + BLOCK <= n; i += BLOCK) {
		const float *s = src[0] + i;
		__m128 a0 = _mm_loadu_ps(s + 0), a1 = _mm_loadu_ps(s + 4);
		__m128 a2 = _mm_loadu_ps(s + 8), a3 = _mm_loadu_ps(s + 12);
		if (!copy0) {
			a0 = _mm_mul_ps(g0, a0);
			a1 = _mm_mul_ps(g0, a1);
			a2 = _mm_mul_ps(g0, a2);
			a3 = _mm_mul_ps(g0, a3);
		}
		for (k = 1; k < n_src; k++) {
			const __m128 g = _mm_load1_ps(&gain[k]);
			s = src[k] + i;
			a0 = _mm_add_ps(a0, _mm_mul_ps(g, _mm_loadu_ps(s + 0)));
			a1 = _mm_add_ps(a1, _mm_mul_ps(g, _mm_loadu_ps(s + 4)));
			a2 = _mm_add_ps(a2, _mm_mul_ps(g, _mm_loadu_ps(s + 8)));
			a3 = _mm_add_ps(a3, _mm_mul_ps(g, _mm_loadu_ps(s + 12)));
		}
		_mm_storeu_ps(dst + i + 0, a0);
		_mm_storeu_ps(dst + i + 4, a1);
		_mm_storeu_ps(dst + i + 8, a2);
		_mm_storeu_ps(dst + i + 12, a3);
	}
	mix_tail(dst, src, gain, n_src, i, n);
}

static inline __m128 abs_max(__m128 p, __m128 x0, __m128 x1, __m128 x2, __m128 x3, __m128 mask)
{
	/* max(a, b) returns b when either is NaN. x1 and x3 are cleaned first
	 * (max(|x|, 0): a NaN becomes 0), so each max of the tree gets its NaN,
	 * if any, as a and a clean b: NaN samples are skipped, and the result
	 * equals the C kernel's compare-and-select */
	const __m128 zero = _mm_setzero_ps();
	__m128 c1 = _mm_max_ps(_mm_and_ps(x1, mask), zero);
	__m128 c3 = _mm_max_ps(_mm_and_ps(x3, mask), zero);
	__m128 m01 = _mm_max_ps(_mm_and_ps(x0, mask), c1);
	__m128 m23 = _mm_max_ps(_mm_and_ps(x2, mask), c3);
	return _mm_max_ps(_mm_max_ps(m01, m23), p);
}

static float lanes_max(__m128 v)
{
	float l[4], m = 0.0f;
	_mm_storeu_ps(l, v);
	for (int i = 0; i < 4; i++)
		m = l[i] > m ? l[i] : m;
	return m;
}

/* adds source j of the group into a0..a3 and its |max| into p */
#define ADD_SOURCE(j, p)							\
	do {									\
		const float *q = s[j] + i;					\
		const __m128 g = _mm_load1_ps(&gain[j]);			\
		x0 = _mm_loadu_ps(q + 0); x1 = _mm_loadu_ps(q + 4);		\
		x2 = _mm_loadu_ps(q + 8); x3 = _mm_loadu_ps(q + 12);		\
		a0 = _mm_add_ps(a0, _mm_mul_ps(g, x0));				\
		a1 = _mm_add_ps(a1, _mm_mul_ps(g, x1));				\
		a2 = _mm_add_ps(a2, _mm_mul_ps(g, x2));				\
		a3 = _mm_add_ps(a3, _mm_mul_ps(g, x3));				\
		p = abs_max(p, x0, x1, x2, x3, mask);				\
	} while (0)

/* dst = (init ? first term : dst + g0*s0) + g1*s1 + ... for m <= GROUP
 * sources, and their peaks */
static void mix_group_metered(float * __restrict dst, const float * const *s, const float *gain,
		uint32_t m, uint32_t n, int init, float *peaks)
{
	const __m128 mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	__m128 p0 = _mm_setzero_ps(), p1 = p0, p2 = p0, p3 = p0;
	uint32_t i, j;

	for (i = 0; i + BLOCK <= n; i += BLOCK) {
		__m128 a0, a1, a2, a3, x0, x1, x2, x3;
		const float *q = s[0] + i;

		x0 = _mm_loadu_ps(q + 0); x1 = _mm_loadu_ps(q + 4);
		x2 = _mm_loadu_ps(q + 8); x3 = _mm_loadu_ps(q + 12);
		if (init) {
			if (gain[0] == 1.0f) {
				a0 = x0; a1 = x1; a2 = x2; a3 = x3;
			} else {
				const __m128 g = _mm_load1_ps(&gain[0]);
				a0 = _mm_mul_ps(g, x0); a1 = _mm_mul_ps(g, x1);
				a2 = _mm_mul_ps(g, x2); a3 = _mm_mul_ps(g, x3);
			}
		} else {
			const __m128 g = _mm_load1_ps(&gain[0]);
			a0 = _mm_add_ps(_mm_loadu_ps(dst + i + 0), _mm_mul_ps(g, x0));
			a1 = _mm_add_ps(_mm_loadu_ps(dst + i + 4), _mm_mul_ps(g, x1));
			a2 = _mm_add_ps(_mm_loadu_ps(dst + i + 8), _mm_mul_ps(g, x2));
			a3 = _mm_add_ps(_mm_loadu_ps(dst + i + 12), _mm_mul_ps(g, x3));
		}
		p0 = abs_max(p0, x0, x1, x2, x3, mask);
		if (m > 1)
			ADD_SOURCE(1, p1);
		if (m > 2)
			ADD_SOURCE(2, p2);
		if (m > 3)
			ADD_SOURCE(3, p3);
		_mm_storeu_ps(dst + i + 0, a0);
		_mm_storeu_ps(dst + i + 4, a1);
		_mm_storeu_ps(dst + i + 8, a2);
		_mm_storeu_ps(dst + i + 12, a3);
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

void alto_mix_f32_sse2(float * __restrict dst, const float * const *src,
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

float alto_peak_f32_sse2(const float *src, uint32_t n_samples)
{
	const __m128 mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	__m128 p = _mm_setzero_ps();
	float peak;
	uint32_t i = 0;

	for (; i + BLOCK <= n_samples; i += BLOCK)
		p = abs_max(p, _mm_loadu_ps(src + i), _mm_loadu_ps(src + i + 4),
				_mm_loadu_ps(src + i + 8), _mm_loadu_ps(src + i + 12), mask);
	peak = lanes_max(p);
	for (; i < n_samples; i++) {
		float a = fabsf(src[i]);
		peak = a > peak ? a : peak;
	}
	return peak;
}
