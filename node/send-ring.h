/* The hand-off between the send stream's process() (PipeWire data loop)
 * and the send encoder (network thread): mono F32 samples at 48 kHz in a
 * single-producer/single-consumer lock-free ring (spa_ringbuffer), the
 * capture time of each write, the local mute flag, and a doorbell.
 *
 * The producer (process()) never allocates, locks or blocks: it copies
 * what fits and counts what does not (overflow: the consumer stalled).
 * When the consumer asked for it (alto_send_ring_arm()) and a whole frame
 * is waiting, the producer rings the doorbell: one non-blocking write(2) to
 * an eventfd, as pw_loop_signal_event() does from real-time threads. The
 * consumer watches alto_send_ring_fd() in its main context, so it encodes a
 * frame as soon as it is complete instead of on a timer's phase.
 *
 * The mute flag is written by the PipeWire main loop (the stream's Props
 * changed) and read by the consumer; setting it also rings the doorbell.
 *
 * Threads: new/destroy by the owner while neither side runs; write from
 * exactly one thread (the data loop), read/skip/arm/timestamps from exactly
 * one other (the network thread); mute and metrics from any thread.
 * Returns: counts, or 0 / negative errno. */
#ifndef ALTO_NODE_SEND_RING_H
#define ALTO_NODE_SEND_RING_H

#include <stdbool.h>
#include <stdint.h>

struct alto_send_ring;

/* capacity_frames: rounded up to a power of two (at least 1024); 0: 16384
 * (341 ms). frame_size: the consumer's frame (960: 20 ms), the doorbell
 * threshold. NULL with errno set. */
struct alto_send_ring *alto_send_ring_new(uint32_t capacity_frames, uint32_t frame_size);
void alto_send_ring_destroy(struct alto_send_ring *ring);

/* ---- producer: the data loop ---- */

/* Copies n samples captured at capture_ns (CLOCK_MONOTONIC of the graph
 * cycle that delivered them). Returns the number copied; the rest is
 * counted as overflow. */
uint32_t alto_send_ring_write(struct alto_send_ring *ring, const float *samples, uint32_t n,
		uint64_t capture_ns);

/* ---- consumer: the network thread ---- */

/* Samples waiting. */
uint32_t alto_send_ring_available(struct alto_send_ring *ring);
/* Copies exactly n samples when that many are waiting: returns n, else 0.
 * *capture_ns (may be NULL) gets the capture time of the last of them. */
uint32_t alto_send_ring_read(struct alto_send_ring *ring, float *samples, uint32_t n,
		uint64_t *capture_ns);
/* Drops up to n samples (a backlog, or audio nobody sends). Returns how many. */
uint32_t alto_send_ring_skip(struct alto_send_ring *ring, uint32_t n);
/* The doorbell: readable when the consumer should look. */
int alto_send_ring_fd(const struct alto_send_ring *ring);
/* Empties the doorbell and asks the producer to ring it when a frame is
 * complete. Call before looking at the ring, so nothing is missed. */
void alto_send_ring_arm(struct alto_send_ring *ring);

/* ---- mute: main loop writes, consumer reads ---- */

void alto_send_ring_set_muted(struct alto_send_ring *ring, bool muted);
bool alto_send_ring_get_muted(const struct alto_send_ring *ring);

/* ---- metrics: any thread ---- */

struct alto_send_ring_metrics {
	uint64_t written;	/* samples accepted */
	uint64_t overflow;	/* samples refused: ring full */
	uint64_t read;		/* samples consumed (read or skipped) */
	uint64_t doorbells;	/* times the producer rang */
	uint32_t level;		/* samples waiting now */
};
void alto_send_ring_get_metrics(const struct alto_send_ring *ring, struct alto_send_ring_metrics *m);

#endif
