/* The reference mixing kernel: plain C, the behaviour every SIMD variant must
 * reproduce bit for bit (see mix-kernels.h). Built with -ffp-contract=off so
 * the compiler never fuses a multiply and an add into one rounding. */
#include <string.h>

#include "mix-kernels.h"

void alto_mix_f32_c(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples)
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
}

float alto_peak_f32_c(const float *src, uint32_t n_samples)
{
	float peak = 0.0f;
	uint32_t i;

	for (i = 0; i < n_samples; i++) {
		float a = src[i] < 0.0f ? -src[i] : src[i];
		/* a NaN never compares greater: it is skipped, like the SIMD max */
		peak = a > peak ? a : peak;
	}
	return peak;
}
