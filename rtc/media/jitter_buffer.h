/* Jitter buffer of one remote Opus audio track: RTP packets in on the
 * network thread, exactly n_frames of 48 kHz float audio out on the
 * PipeWire data (real-time) thread.
 *
 * Threads and the hand-off:
 *  - alto_jitter_buffer_push() runs on the network thread (the ONE
 *    producer). It parses and checks the RTP packet (Opus or RED payload
 *    type) and copies its payload into a single-producer/single-consumer
 *    ring of fixed slots (C11 atomics, no lock). Ring full: the packet is
 *    dropped and counted (overflow).
 *  - alto_jitter_buffer_pull() runs on the real-time thread (the ONE
 *    consumer), e.g. in a pw_stream process(). It drains the ring into its
 *    reorder store, then decodes, conceals (PLC), recovers (in-band FEC,
 *    RED) or plays silence until n_frames are written. It never allocates,
 *    locks, blocks or logs.
 *  - alto_jitter_buffer_get_delay() and alto_jitter_buffer_get_playout()
 *    run on the real-time thread after a pull (consumer state, no lock).
 *  - alto_jitter_buffer_get_metrics() runs on any thread (atomic loads).
 *  create/destroy: any thread, while neither push nor pull can run.
 *
 * Delay: measured right after a pull (decoded audio not yet played plus the
 * packets ahead). The target starts at start_delay_ms and then follows the
 * 97th percentile of the packets' arrival delay variation (a histogram that
 * forgets over ~28 s, as WebRTC NetEq does), plus one packet and 5 ms,
 * bounded by [min_delay_ms, max_delay_ms] (one network stall does not count:
 * delay_estimator.h, peaks). Silence (DTX) gaps move the delay to the
 * target for free; above 2 × target + 80 ms packets are dropped down to the
 * target (a resync). Playout starts at the target: what a burst brought
 * beyond it is dropped, to the frame, when playout starts (not counted as
 * dropped). The target goes up at once but down only by 0.025 % of the audio
 * played (1 ms in 4 s), which the drift control follows without moving the
 * pitch audibly; a step down of more than 15 ms (a stall's delays forgotten)
 * goes to 10 ms above the new goal at once.
 *
 * Excess (a burst after a stall, a target that came down): the level (the
 * fill after each pull, smoothed over 0.5 s) more than 15 ms above the
 * target, its floor (lowest over the last 0.25-0.5 s) above it too, and
 * decoded packets are time-compressed ("accelerate", as WebRTC NetEq): a
 * whole pitch period cut where the audio repeats (correlation ≥ 0.9: voiced
 * speech, tones — no audible change but the duration), anything quiet
 * (< -50 dBFS), and after 100 ms without either (music, noise) the best
 * matching stretch anyway; up to half a packet, until the level is within
 * 5 ms of the target. After a burst that followed a dry buffer, for 1.5 s
 * the level is followed faster and trimmed to the target once settled.
 * Clumpy arrivals (a congested path) are jitter, not excess: the floor
 * dips, nothing is cut. Drift control does not see an excess being taken
 * away (get_delay). Counted in metrics accelerated / accelerated_frames.
 *
 * Drift: the sender's clock and the sound card's differ (±200 ppm is
 * common). The buffer does not resample: after each pull,
 * alto_jitter_buffer_get_delay() gives the delay and the target, and the
 * caller runs rate_control.h (a spa_dll) on them and pulls corr × the
 * nominal frames per cycle (in PipeWire: set the stream's rate-match IO
 * rate to 1/corr so the adapter resamples, as module-rtp-source does).
 *
 * Returns: 0 or a negative errno. */
#ifndef ALTO_RTC_MEDIA_JITTER_BUFFER_H
#define ALTO_RTC_MEDIA_JITTER_BUFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct alto_jitter_buffer;

struct alto_jitter_buffer_config {
	uint32_t channels;		/* output channels: 1 or 2 (interleaved) */
	uint8_t opus_pt;		/* Opus payload type, 111 with LiveKit */
	uint8_t red_pt;			/* RED payload type, 63; 0: no RED */
	uint32_t start_delay_ms;	/* target until the jitter is measured */
	uint32_t min_delay_ms;		/* bounds of the adaptive target */
	uint32_t max_delay_ms;
};

/* Counters since creation (delay fields: the latest value). */
struct alto_jitter_buffer_metrics {
	uint64_t packets;		/* RTP packets accepted by push */
	uint64_t invalid;		/* refused by push: malformed, unknown PT, bad Opus */
	uint64_t overflow;		/* refused by push: hand-off ring full */
	uint64_t lost;			/* packets missing at their play-out time: */
	uint64_t concealed;		/*   of these, covered by PLC (or silence) */
	uint64_t fec_recovered;		/*   of these, rebuilt from the next one's FEC */
	uint64_t red_recovered;		/* packets played from RED redundancy */
	uint64_t late;			/* arrived after their play-out time: dropped */
	uint64_t duplicate;
	uint64_t dropped;		/* discarded to bring the delay back to target */
	uint64_t underruns;		/* ran dry while audio played, and the awaited
					 * packet came late or not within 60 ms */
	uint64_t resyncs;		/* restarts: new SSRC, big jumps, overflow */
	uint64_t decode_errors;
	uint64_t frames;		/* frames pulled */
	uint64_t accelerated;		/* packets time-compressed to bring an excess down */
	uint64_t accelerated_frames;	/*   frames they lost so */
	uint32_t level_ms;		/* buffered audio after the last pull */
	uint32_t target_ms;		/* current target delay */
};

/* 1 channel, PT 111 (Opus) / 63 (RED), start 40 ms, bounds 20..400 ms. */
void alto_jitter_buffer_config_default(struct alto_jitter_buffer_config *cfg);

int alto_jitter_buffer_create(struct alto_jitter_buffer **jb, const struct alto_jitter_buffer_config *cfg);
void alto_jitter_buffer_destroy(struct alto_jitter_buffer *jb);

/* Network thread. packet: a whole RTP packet (after SRTP unprotect);
 * arrival_ns: its arrival time on a monotonic clock (0: unknown, no jitter
 * measurement). Returns 0, -EBADMSG (malformed RTP/RED/Opus), -ENOTSUP
 * (payload type neither Opus nor RED), -ENOBUFS (ring full). */
int alto_jitter_buffer_push(struct alto_jitter_buffer *jb, const uint8_t *packet, size_t len,
		uint64_t arrival_ns);

/* Real-time thread. Writes exactly n_frames frames (n_frames × channels
 * floats) to out, every call. */
int alto_jitter_buffer_pull(struct alto_jitter_buffer *jb, float *out, uint32_t n_frames);

/* Real-time thread, after a pull: the buffered audio and the target, in
 * frames, for drift control: while time compression takes an excess away
 * (and for 1.5 s after a burst) the delay is given without that excess,
 * which the buffer handles itself. Returns 0 when delay is a meaningful
 * input for drift control, -EAGAIN while buffering, starved or in a silence
 * gap (keep the last rate). The buffered audio itself: metrics level_ms. */
int alto_jitter_buffer_get_delay(struct alto_jitter_buffer *jb, double *delay_frames,
		double *target_frames);

/* Real-time thread, after a pull (it only reads the consumer's state: no
 * lock, no allocation): the audio of the last pull that came from a received
 * packet, for latency measurements ("RTP arrival to sample out"). Of the last
 * such frame written by that pull: *arrival_ns, the arrival_ns given to push
 * for the first packet that brought it (a RED packet carrying it as
 * redundancy, or the next packet whose in-band FEC rebuilt it, counts), and
 * *rtp_ts, its RTP timestamp (the packet's timestamp plus the frame's offset
 * in it). Either pointer may be NULL. Returns 0, -ENODATA when the last pull
 * wrote no packet audio (buffering, concealment, silence, or no pull yet),
 * -EINVAL. */
int alto_jitter_buffer_get_playout(const struct alto_jitter_buffer *jb, uint64_t *arrival_ns,
		uint32_t *rtp_ts);

/* Any thread. */
void alto_jitter_buffer_get_metrics(const struct alto_jitter_buffer *jb,
		struct alto_jitter_buffer_metrics *m);

#endif
