/* The table of mixing kernels and the run-time choice between them.
 * Runs on the main thread at init; the chosen function pointers are then
 * only read by process(). */
#include <stddef.h>
#include <string.h>

#include <spa/support/cpu.h>

#include "mix-kernels.h"

const struct alto_mix_kernel alto_mix_kernels[] = {
#if defined(__x86_64__)
	{ "avx2", SPA_CPU_FLAG_AVX | SPA_CPU_FLAG_AVX2, alto_mix_f32_avx2, alto_peak_f32_avx2 },
	{ "sse2", SPA_CPU_FLAG_SSE2, alto_mix_f32_sse2, alto_peak_f32_sse2 },
#endif
	{ "c", 0, alto_mix_f32_c, alto_peak_f32_c },
	{ NULL, 0, NULL, NULL },
};

const struct alto_mix_kernel *alto_mix_kernel_select(uint32_t cpu_flags)
{
	const struct alto_mix_kernel *k;

	for (k = alto_mix_kernels; k->name != NULL; k++)
		if ((k->cpu_flags & cpu_flags) == k->cpu_flags)
			return k;
	/* not reached: the C kernel needs no flag */
	return &alto_mix_kernels[0];
}

const struct alto_mix_kernel *alto_mix_kernel_find(const char *name)
{
	const struct alto_mix_kernel *k;

	if (name == NULL)
		return NULL;
	for (k = alto_mix_kernels; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}
