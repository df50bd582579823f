/* Drift control between a remote sender's clock and the local sound card,
 * for a jitter buffer's consumer: a DLL (PipeWire's spa_dll) on the error
 * between the buffered delay and the target, giving the rate at which to
 * consume the buffer.
 *
 * Use, on the real-time thread, once per cycle after the pull:
 *	if (alto_jitter_buffer_get_delay(jb, &delay, &target) == 0)
 *		corr = alto_rate_control_update(&rc, delay, target, quantum);
 * then consume corr × quantum frames per cycle: in a pw_stream, set the
 * rate-match IO (SPA_IO_RateMatch, from io_changed) rate to 1.0 / corr
 * with SPA_IO_RATE_MATCH_FLAG_ACTIVE and pull buffer->requested frames, as
 * PipeWire's module-rtp-source does. corr > 1 when the sender is faster.
 *
 * Thread: the owner (real-time thread); plain data, no allocation. */
#ifndef ALTO_RTC_MEDIA_RATE_CONTROL_H
#define ALTO_RTC_MEDIA_RATE_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/utils/dll.h>

struct alto_rate_control {
	struct spa_dll dll;
	uint32_t rate;
	uint32_t quantum;
	double max_error;	/* frames the DLL sees at most */
	double hold_error;	/* beyond: the DLL holds its rate */
	bool have_delay;
	double error;		/* smoothed target - delay, frames */
	double drift;		/* the DLL's rate: the learnt clock ratio */
	double corr;
};

/* rate: the stream's sample rate (48000). */
int alto_rate_control_init(struct alto_rate_control *rc, uint32_t rate);

/* Feeds one cycle's delay and target (frames) and the cycle's size in
 * frames; returns the consumption rate (about 1.0, within ±1 %). */
double alto_rate_control_update(struct alto_rate_control *rc, double delay, double target,
		uint32_t quantum);

#endif
