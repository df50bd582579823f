/* SSE2 mixing kernel (x86_64 baseline). Same contract as the C kernel in
 * mix-kernels.h: sources are summed in order, multiply then add, so the
 * result is bit-identical to alto_mix_f32_c().
 *
 * Sources are taken four at a time over the whole buffer: dst stays in L1
 * while each source streams through once, which the hardware prefetcher
 * likes better than walking hundreds of sources per 16-sample block. */
#include <string.h>

#include <emmintrin.h>

#include "mix-kernels.h"

#define GROUP	4	/* sources per pass over dst */
#define BLOCK	16	/* samples per loop iteration: four registers */

static inline __m128 first_term(const float *s, __m128 g, float gs)
{
	return gs == 1.0f ? _mm_loadu_ps(s) : _mm_mul_ps(g, _mm_loadu_ps(s));
}

/* dst = (init ? g0*s0 : dst + g0*s0) + g1*s1 + ... for m <= GROUP sources */
static void mix_group(float * __restrict dst, const float * const *s, const float *g,
		uint32_t m, uint32_t n, int init)
{
	__m128 gv[GROUP];
	uint32_t i = 0, j;

	for (j = 0; j < m; j++)
		gv[j] = _mm_set1_ps(g[j]);

	for (; i + BLOCK <= n; i += BLOCK) {
		__m128 a0, a1, a2, a3;
		if (init) {
			a0 = first_term(s[0] + i + 0, gv[0], g[0]);
			a1 = first_term(s[0] + i + 4, gv[0], g[0]);
			a2 = first_term(s[0] + i + 8, gv[0], g[0]);
			a3 = first_term(s[0] + i + 12, gv[0], g[0]);
		} else {
			a0 = _mm_add_ps(_mm_loadu_ps(dst + i + 0), _mm_mul_ps(gv[0], _mm_loadu_ps(s[0] + i + 0)));
			a1 = _mm_add_ps(_mm_loadu_ps(dst + i + 4), _mm_mul_ps(gv[0], _mm_loadu_ps(s[0] + i + 4)));
			a2 = _mm_add_ps(_mm_loadu_ps(dst + i + 8), _mm_mul_ps(gv[0], _mm_loadu_ps(s[0] + i + 8)));
			a3 = _mm_add_ps(_mm_loadu_ps(dst + i + 12), _mm_mul_ps(gv[0], _mm_loadu_ps(s[0] + i + 12)));
		}
		for (j = 1; j < m; j++) {
			const float *sj = s[j] + i;
			a0 = _mm_add_ps(a0, _mm_mul_ps(gv[j], _mm_loadu_ps(sj + 0)));
			a1 = _mm_add_ps(a1, _mm_mul_ps(gv[j], _mm_loadu_ps(sj + 4)));
			a2 = _mm_add_ps(a2, _mm_mul_ps(gv[j], _mm_loadu_ps(sj + 8)));
			a3 = _mm_add_ps(a3, _mm_mul_ps(gv[j], _mm_loadu_ps(sj + 12)));
		}
		_mm_storeu_ps(dst + i + 0, a0);
		_mm_storeu_ps(dst + i + 4, a1);
		_mm_storeu_ps(dst + i + 8, a2);
		_mm_storeu_ps(dst + i + 12, a3);
	}
	for (; i < n; i++) {
		float a;
		if (init)
			a = g[0] == 1.0f ? s[0][i] : g[0] * s[0][i];
		else
			a = dst[i] + g[0] * s[0][i];
		for (j = 1; j < m; j++)
			a = a + g[j] * s[j][i];
		dst[i] = a;
	}
}

void alto_mix_f32_sse2(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples)
{
	uint32_t k;

	if (n_src == 0) {
		memset(dst, 0, n_samples * sizeof(float));
		return;
	}
	for (k = 0; k < n_src; k += GROUP) {
		uint32_t m = n_src - k < GROUP ? n_src - k : GROUP;
		mix_group(dst, &src[k], &gain[k], m, n_samples, k == 0);
	}
}

float alto_peak_f32_sse2(const float *src, uint32_t n_samples)
{
	const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	__m128 m0 = _mm_setzero_ps(), m1 = _mm_setzero_ps();
	float lanes[4], peak;
	uint32_t i = 0;

	/* max(x, m) returns m when x is NaN: NaN samples are skipped */
	for (; i + 8 <= n_samples; i += 8) {
		m0 = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(src + i), abs_mask), m0);
		m1 = _mm_max_ps(_mm_and_ps(_mm_loadu_ps(src + i + 4), abs_mask), m1);
	}
	m0 = _mm_max_ps(m0, m1);
	_mm_storeu_ps(lanes, m0);
	peak = lanes[0];
	for (int l = 1; l < 4; l++)
		peak = lanes[l] > peak ? lanes[l] : peak;
	for (; i < n_samples; i++) {
		float a = src[i] < 0.0f ? -src[i] : src[i];
		peak = a > peak ? a : peak;
	}
	return peak;
}
