/* Reconnect delay table with jitter. */
#include "backoff.h"

static const uint32_t default_delays[] = { 0, 250, 500, 1000 };

const struct alto_backoff_policy alto_backoff_default = {
	.delays_ms = default_delays,
	.n_delays = sizeof(default_delays) / sizeof(default_delays[0]),
	.jitter_percent = 20,
};

uint32_t alto_backoff_delay_ms(const struct alto_backoff_policy *policy, unsigned attempt,
			       uint32_t random)
{
	uint64_t base, span, offset;
	uint32_t pct;

	if (policy == NULL || policy->delays_ms == NULL || policy->n_delays == 0)
		policy = &alto_backoff_default;
	if (attempt == 0)
		attempt = 1;
	base = policy->delays_ms[attempt - 1 < policy->n_delays ? attempt - 1 : policy->n_delays - 1];
	pct = policy->jitter_percent > 100 ? 100 : policy->jitter_percent;
	/* uniform in [base - base*pct/100, base + base*pct/100] */
	span = base * pct / 100;
	if (span == 0)
		return (uint32_t)base;
	offset = (uint64_t)random % (2 * span + 1);
	base = base - span + offset;
	return base > UINT32_MAX ? UINT32_MAX : (uint32_t)base;
}
