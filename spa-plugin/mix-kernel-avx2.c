/* AVX2 mixing kernel, chosen at init when the CPU (spa_cpu) reports AVX2.
 * Same contract as the C kernel in mix-kernels.h: sources are summed in
 * order, multiply then add (no FMA), so the result is bit-identical to
 * alto_mix_f32_c(). Same shape as the SSE2 kernel with 8-float registers. */
#include <string.h>

#include <immintrin.h>

#include "mix-kernels.h"

#define GROUP	4	/* sources per pass over dst */
#define BLOCK	32	/* samples per loop iteration: four registers */

static inline __m256 first_term(const float *s, __m256 g, float gs)
{
	return gs == 1.0f ? _mm256_loadu_ps(s) : _mm256_mul_ps(g, _mm256_loadu_ps(s));
}

static inline __m256 add_term(__m256 a, __m256 g, const float *s)
{
	return _mm256_add_ps(a, _mm256_mul_ps(g, _mm256_loadu_ps(s)));
}

/* dst = (init ? g0*s0 : dst + g0*s0) + g1*s1 + ... for m <= GROUP sources */
static void mix_group(float * __restrict dst, const float * const *s, const float *g,
		uint32_t m, uint32_t n, int init)
{
	__m256 gv[GROUP];
	uint32_t i = 0, j;

	for (j = 0; j < m; j++)
		gv[j] = _mm256_set1_ps(g[j]);

	for (; i + BLOCK <= n; i += BLOCK) {
		__m256 a0, a1, a2, a3;
		if (init) {
			a0 = first_term(s[0] + i + 0, gv[0], g[0]);
			a1 = first_term(s[0] + i + 8, gv[0], g[0]);
			a2 = first_term(s[0] + i + 16, gv[0], g[0]);
			a3 = first_term(s[0] + i + 24, gv[0], g[0]);
		} else {
			a0 = add_term(_mm256_loadu_ps(dst + i + 0), gv[0], s[0] + i + 0);
			a1 = add_term(_mm256_loadu_ps(dst + i + 8), gv[0], s[0] + i + 8);
			a2 = add_term(_mm256_loadu_ps(dst + i + 16), gv[0], s[0] + i + 16);
			a3 = add_term(_mm256_loadu_ps(dst + i + 24), gv[0], s[0] + i + 24);
		}
		for (j = 1; j < m; j++) {
			const float *sj = s[j] + i;
			a0 = add_term(a0, gv[j], sj + 0);
			a1 = add_term(a1, gv[j], sj + 8);
			a2 = add_term(a2, gv[j], sj + 16);
			a3 = add_term(a3, gv[j], sj + 24);
		}
		_mm256_storeu_ps(dst + i + 0, a0);
		_mm256_storeu_ps(dst + i + 8, a1);
		_mm256_storeu_ps(dst + i + 16, a2);
		_mm256_storeu_ps(dst + i + 24, a3);
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

void alto_mix_f32_avx2(float * __restrict dst, const float * const *src,
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

float alto_peak_f32_avx2(const float *src, uint32_t n_samples)
{
	const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	__m256 m0 = _mm256_setzero_ps(), m1 = _mm256_setzero_ps();
	float lanes[8], peak;
	uint32_t i = 0;

	/* max(x, m) returns m when x is NaN: NaN samples are skipped */
	for (; i + 16 <= n_samples; i += 16) {
		m0 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(src + i), abs_mask), m0);
		m1 = _mm256_max_ps(_mm256_and_ps(_mm256_loadu_ps(src + i + 8), abs_mask), m1);
	}
	m0 = _mm256_max_ps(m0, m1);
	_mm256_storeu_ps(lanes, m0);
	peak = lanes[0];
	for (int l = 1; l < 8; l++)
		peak = lanes[l] > peak ? lanes[l] : peak;
	for (; i < n_samples; i++) {
		float a = src[i] < 0.0f ? -src[i] : src[i];
		peak = a > peak ? a : peak;
	}
	return peak;
}
