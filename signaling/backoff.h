/* Reconnect delays: a table of base delays (like lws_retry_bo_t's
 * retry_ms_table), the last entry repeating forever, each delay spread by a
 * random jitter so that many clients cut off by one server restart do not
 * come back in lock step.
 *
 * Thread: any; pure functions. Internal to signaling/. */
#ifndef ALTO_SIGNALING_BACKOFF_H
#define ALTO_SIGNALING_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

struct alto_backoff_policy {
	const uint32_t *delays_ms;     /* base delay before attempt 1, 2, ... */
	size_t n_delays;               /* > 0 */
	uint32_t jitter_percent;       /* delay varies by +- this percentage */
};

/* The default table: a first retry at once, then 250 ms, 500 ms, and 1 s
 * for every later attempt, +-20 %. A server that comes back is found again
 * within about 1.2 s, while a dead one costs at most a failed connect a second. */
extern const struct alto_backoff_policy alto_backoff_default;

/* The delay before reconnect attempt `attempt` (1 = the first retry after a
 * loss). random is any uniformly distributed 32-bit value (g_random_int()),
 * passed in so that tests are deterministic. */
uint32_t alto_backoff_delay_ms(const struct alto_backoff_policy *policy, unsigned attempt,
			       uint32_t random);

#endif
