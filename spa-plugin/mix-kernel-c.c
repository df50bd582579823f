/* The reference mixing kernel: plain C, the behaviour every SIMD variant must
 * reproduce bit for bit (see mix-kernels.h). Built with -ffp-contract=off so
 * the compiler never fuses a multiply and an add into one rounding. */
#include <math.h>
#include <string.h>

#include "mix-kernels.h"

void alto_mix_f32_c(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks)
{
	uint32_t i, k;

	if (n_src == 0) {
		memset(dst, 0, n_samples * sizeof(float));
		return;
	}
	/* the first source initialises dst, the rest accumulate in order */
	if (gain[0] == 1.0f) {
		memcpy(dst, src[0], n_samples * sizeof(float));
	} else {
		const float g = gain[0], *s = src[0];
		for (i = 0; i < n_samples; i++)
			dst[i] = g * s[i];
	}
	for (k = 1; k < n_src; k++) {
		const float g = gain[k], *s = src[k];
		for (i = 0; i < n_samples; i++)
			dst[i] = dst[i] + g * s[i];
	}
	if (peaks != NULL)
		for (k = 0; k < n_src; k++)
			peaks[k] = alto_peak_f32_c(src[k], n_samples);
}

float alto_peak_f32_c(const float *src, uint32_t n_samples)
{
	/* four running maxima: a max is order independent, and four chains
	 * hide the latency of each compare-and-select */
	float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f, a;
	uint32_t i = 0;

	/* fabsf and compare-select: no branch on the sign; a NaN never
	 * compares greater, so it is skipped, like the SIMD max */
	for (; i + 4 <= n_samples; i += 4) {
		a = fabsf(src[i + 0]);
		p0 = a > p0 ? a : p0;
		a = fabsf(src[i + 1]);
		p1 = a > p1 ? a : p1;
		a = fabsf(src[i + 2]);
		p2 = a > p2 ? a : p2;
		a = fabsf(src[i + 3]);
		p3 = a > p3 ? a : p3;
	}
	for (; i < n_samples; i++) {
		a = fabsf(src[i]);
		p0 = a > p0 ? a : p0;
	}
	p0 = p1 > p0 ? p1 : p0;
	p2 = p3 > p2 ? p3 : p2;
	return p2 > p0 ? p2 : p0;
}
