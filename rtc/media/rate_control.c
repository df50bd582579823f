/* DLL-based drift control. See rate_control.h. Thread: the owner. */
#include "rate_control.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* module-rtp-source clamps the error to 2 ms; the jitter buffer's delay
 * saw-tooths by a packet and a quantum, so allow a little more. */
#ifndef MAX_ERROR_MS
#define MAX_ERROR_MS	3.0
#endif
#define MAX_DEVIATION	0.005
#define SMOOTHING_S	1.0
#define JUMP_MS		80.0
/* Beyond this (smoothed) error the DLL holds what it learnt: such an error
 * is not drift (a burst, a target that moved) and integrating even its
 * clamped part for seconds winds the DLL up by tenths of a per mille, which
 * then takes tens of seconds to unwind around the target. */
#ifndef HOLD_MS
#define HOLD_MS		10.0
#endif
/* rate change per second of error beyond max_error: 0.5 = 1 % for 20 ms */
#ifndef LARGE_GAIN
#define LARGE_GAIN	0.5
#endif

int alto_rate_control_init(struct alto_rate_control *rc, uint32_t rate)
{
	if (rc == NULL || rate == 0)
		return -EINVAL;
	memset(rc, 0, sizeof(*rc));
	spa_dll_init(&rc->dll);
	rc->rate = rate;
	rc->max_error = MAX_ERROR_MS * rate / 1000.0;
	rc->hold_error = HOLD_MS * rate / 1000.0;
	rc->corr = 1.0;
	rc->drift = 1.0;
	return 0;
}

double alto_rate_control_update(struct alto_rate_control *rc, double delay, double target,
		uint32_t quantum)
{
	double error, small, large;

	if (rc == NULL || quantum == 0)
		return 1.0;
	if (quantum != rc->quantum) {
		/* the DLL's bandwidth is per update: re-tune on a new quantum */
		spa_dll_set_bw(&rc->dll, SPA_DLL_BW_MIN, quantum, rc->rate);
		rc->quantum = quantum;
	}
	/* The delay saw-tooths by a packet and a quantum each cycle: follow the
	 * average (~1 s) of its error so the rate does not wobble with it (the
	 * error, not the delay: the target moves too). */
	error = target - delay;
	if (!rc->have_delay) {
		/* the buffer starts at its target (jitter_buffer.h): one reading
		 * is just a point of the saw-tooth, average from there */
		rc->error = 0.0;
		rc->have_delay = true;
	}
	if (fabs(error - rc->error) > JUMP_MS * rc->rate / 1000.0) {
		/* the buffer jumped (dropped to its target, restarted):
		 * averaging across that would steer on the past */
		rc->error = error;
	} else {
		double alpha = (double)quantum / (rc->rate * SMOOTHING_S);
		rc->error += (alpha > 1.0 ? 1.0 : alpha) * (error - rc->error);
	}
	/* positive error: less buffered than wanted, consume slower */
	error = rc->error;
	small = error > rc->max_error ? rc->max_error : error < -rc->max_error ? -rc->max_error : error;
	large = error - small;
	/* The DLL integrates only the small part, and only near the target: it
	 * learns the clock drift without winding up when the target moves by
	 * tens of ms or a burst comes; the rest is corrected proportionally,
	 * which cannot overshoot. */
	if (fabs(error) <= rc->hold_error)
		rc->drift = spa_dll_update(&rc->dll, small);
	rc->corr = rc->drift - large * LARGE_GAIN / rc->rate;
	if (rc->corr > 1.0 + MAX_DEVIATION)
		rc->corr = 1.0 + MAX_DEVIATION;
	if (rc->corr < 1.0 - MAX_DEVIATION)
		rc->corr = 1.0 - MAX_DEVIATION;
	return rc->corr;
}
