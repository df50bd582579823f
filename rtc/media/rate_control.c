/* DLL-based drift control. See rate_control.h. Thread: the owner. */
#include "rate_control.h"

#include <errno.h>
#include <string.h>

/* module-rtp-source clamps the error to 2 ms; the jitter buffer's delay
 * saw-tooths by a packet and a quantum, so allow a little more. */
#define MAX_ERROR_MS	5.0
#define MAX_DEVIATION	0.01

int alto_rate_control_init(struct alto_rate_control *rc, uint32_t rate)
{
	if (rc == NULL || rate == 0)
		return -EINVAL;
	memset(rc, 0, sizeof(*rc));
	spa_dll_init(&rc->dll);
	rc->rate = rate;
	rc->max_error = MAX_ERROR_MS * rate / 1000.0;
	rc->corr = 1.0;
	return 0;
}

double alto_rate_control_update(struct alto_rate_control *rc, double delay, double target,
		uint32_t quantum)
{
	double error;

	if (rc == NULL || quantum == 0)
		return 1.0;
	if (quantum != rc->quantum) {
		/* the DLL's bandwidth is per update: re-tune on a new quantum */
		spa_dll_set_bw(&rc->dll, SPA_DLL_BW_MIN, quantum, rc->rate);
		rc->quantum = quantum;
	}
	/* positive error: less buffered than wanted, consume slower */
	error = target - delay;
	if (error > rc->max_error)
		error = rc->max_error;
	if (error < -rc->max_error)
		error = -rc->max_error;
	rc->corr = spa_dll_update(&rc->dll, error);
	if (rc->corr > 1.0 + MAX_DEVIATION)
		rc->corr = 1.0 + MAX_DEVIATION;
	if (rc->corr < 1.0 - MAX_DEVIATION)
		rc->corr = 1.0 - MAX_DEVIATION;
	return rc->corr;
}
