/* Mixing kernels of alto.mixer: plain C and SIMD variants of the same two
 * operations, chosen once at init from the CPU flags.
 *
 * Contract shared by every variant (tests/spa-plugin/test-mix-kernels.c holds
 * them to it): for each sample i,
 *     dst[i] = ((g[0]*src[0][i] + g[1]*src[1][i]) + g[2]*src[2][i]) + ...
 * summed in source order with one rounding per multiply and per add (no fused
 * multiply-add; a first gain of exactly 1 copies), so every variant gives
 * bit-identical results. No clipping: inside the PipeWire graph float samples
 * may exceed [-1, 1]; whoever converts to integers (the sink, audioconvert)
 * clamps. n_src == 0 writes silence. When peaks is not NULL, peaks[k] is set
 * to max |src[k][i]| over the n samples (NaN ignored): metering fused into
 * the mixing pass, so each source is read once. Pointers need float alignment
 * only; dst must not overlap a source.
 *
 * Threads: the functions are pure and run on the data loop inside process().
 */
#ifndef ALTO_MIX_KERNELS_H
#define ALTO_MIX_KERNELS_H

#include <stdint.h>

typedef void (*alto_mix_func_t)(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks);
/** Largest |src[i]|; NaN samples are ignored. 0 when n_samples is 0. */
typedef float (*alto_peak_func_t)(const float *src, uint32_t n_samples);

struct alto_mix_kernel {
	const char *name;
	uint32_t cpu_flags;		/**< SPA_CPU_FLAG_* the variant needs */
	alto_mix_func_t mix;
	alto_peak_func_t peak;
};

void alto_mix_f32_c(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks);
float alto_peak_f32_c(const float *src, uint32_t n_samples);

#if defined(__x86_64__)
void alto_mix_f32_sse2(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks);
float alto_peak_f32_sse2(const float *src, uint32_t n_samples);
void alto_mix_f32_avx2(float * __restrict dst, const float * const *src,
		const float *gain, uint32_t n_src, uint32_t n_samples, float *peaks);
float alto_peak_f32_avx2(const float *src, uint32_t n_samples);
#endif

/** The best variant whose flags are all in cpu_flags (the C one at worst). */
const struct alto_mix_kernel *alto_mix_kernel_select(uint32_t cpu_flags);
/** The variant with this name ("c", "sse2", "avx2"), NULL if unknown or not built. */
const struct alto_mix_kernel *alto_mix_kernel_find(const char *name);
/** Every variant built in, best first, terminated by a NULL name. */
extern const struct alto_mix_kernel alto_mix_kernels[];

#endif /* ALTO_MIX_KERNELS_H */
