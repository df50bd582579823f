/* The send stream → send encoder hand-off. See send-ring.h.
 *
 * Two spa_ringbuffers, both single producer (data loop) / single consumer
 * (network thread): the samples, and one (end index, capture time) entry
 * per write, so that the consumer knows when the last sample of a frame
 * was captured (for the capture → wire latency). Indexes are free-running
 * uint32_t sample counts; differences are taken modulo 2^32. */
#include "send-ring.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <spa/utils/defs.h>
#include <spa/utils/ringbuffer.h>

#define DEFAULT_CAPACITY	16384u
#define MIN_CAPACITY		1024u
#define MAX_CAPACITY		(1u << 22)
#define N_STAMPS		64u	/* writes remembered; a quantum of 256 → 300 ms */

struct stamp {
	uint32_t end;		/* sample index just past the write */
	uint64_t ns;
};

struct alto_send_ring {
	struct spa_ringbuffer rb;
	float *samples;
	uint32_t size;		/* power of two */
	uint32_t mask;
	uint32_t frame_size;

	struct spa_ringbuffer stamp_rb;
	struct stamp stamps[N_STAMPS];
	uint64_t last_stamp_ns;	/* consumer: the latest capture time seen */

	int doorbell;		/* eventfd */
	atomic_bool armed;	/* the consumer waits for the doorbell */
	atomic_bool muted;

	/* one writer each, relaxed */
	_Atomic uint64_t written;
	_Atomic uint64_t overflow;
	_Atomic uint64_t read;
	_Atomic uint64_t doorbells;
};

static uint32_t round_up_pow2(uint32_t v)
{
	uint32_t p = MIN_CAPACITY;

	while (p < v && p < MAX_CAPACITY)
		p <<= 1;
	return p;
}

struct alto_send_ring *alto_send_ring_new(uint32_t capacity_frames, uint32_t frame_size)
{
	struct alto_send_ring *r;

	if (frame_size == 0 || frame_size > MAX_CAPACITY / 2) {
		errno = EINVAL;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->size = round_up_pow2(capacity_frames ? capacity_frames : DEFAULT_CAPACITY);
	if (r->size < 2 * frame_size)
		r->size = round_up_pow2(2 * frame_size);
	r->mask = r->size - 1;
	r->frame_size = frame_size;
	spa_ringbuffer_init(&r->rb);
	spa_ringbuffer_init(&r->stamp_rb);
	if ((r->samples = calloc(r->size, sizeof(float))) == NULL)
		goto error;
	if ((r->doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		goto error;
	return r;

error:
	{
		int res = errno;
		free(r->samples);
		free(r);
		errno = res;
		return NULL;
	}
}

void alto_send_ring_destroy(struct alto_send_ring *r)
{
	if (r == NULL)
		return;
	close(r->doorbell);
	free(r->samples);
	free(r);
}

static void ring_doorbell(struct alto_send_ring *r)
{
	uint64_t one = 1;

	/* EAGAIN (counter full) means it is ringing already */
	if (write(r->doorbell, &one, sizeof(one)) == sizeof(one))
		atomic_fetch_add_explicit(&r->doorbells, 1, memory_order_relaxed);
}

uint32_t alto_send_ring_write(struct alto_send_ring *r, const float *samples, uint32_t n,
		uint64_t capture_ns)
{
	uint32_t index, free_space, sindex;
	int32_t filled;

	if (SPA_UNLIKELY(r == NULL || samples == NULL || n == 0))
		return 0;
	filled = spa_ringbuffer_get_write_index(&r->rb, &index);
	free_space = r->size - (uint32_t)SPA_CLAMP(filled, 0, (int32_t)r->size);
	if (n > free_space) {
		atomic_fetch_add_explicit(&r->overflow, n - free_space, memory_order_relaxed);
		n = free_space;
	}
	if (n > 0) {
		spa_ringbuffer_write_data(&r->rb, r->samples, r->size * sizeof(float),
				(index & r->mask) * sizeof(float), samples, n * sizeof(float));
		/* the stamp first: the consumer finds it once it sees the samples */
		if (spa_ringbuffer_get_write_index(&r->stamp_rb, &sindex) < (int32_t)N_STAMPS) {
			r->stamps[sindex % N_STAMPS] = (struct stamp){ .end = index + n, .ns = capture_ns };
			spa_ringbuffer_write_update(&r->stamp_rb, sindex + 1);
		}
		spa_ringbuffer_write_update(&r->rb, index + n);
		atomic_fetch_add_explicit(&r->written, n, memory_order_relaxed);
		filled += (int32_t)n;
	}
	if (filled >= (int32_t)r->frame_size &&
	    atomic_exchange_explicit(&r->armed, false, memory_order_acq_rel))
		ring_doorbell(r);
	return n;
}

uint32_t alto_send_ring_available(struct alto_send_ring *r)
{
	uint32_t index;
	int32_t avail;

	if (r == NULL)
		return 0;
	avail = spa_ringbuffer_get_read_index(&r->rb, &index);
	return (uint32_t)SPA_CLAMP(avail, 0, (int32_t)r->size);
}

/* The capture time of sample index `last`: the first remembered write that
 * ends after it; older entries are dropped. */
static uint64_t capture_time_of(struct alto_send_ring *r, uint32_t last)
{
	uint32_t sindex;
	int32_t avail = spa_ringbuffer_get_read_index(&r->stamp_rb, &sindex);

	while (avail > 0) {
		const struct stamp *st = &r->stamps[sindex % N_STAMPS];
		r->last_stamp_ns = st->ns;
		if ((int32_t)(st->end - last) > 0)
			break;		/* covers `last`: keep it, it may cover the next frame too */
		sindex++;
		avail--;
		spa_ringbuffer_read_update(&r->stamp_rb, sindex);
	}
	return r->last_stamp_ns;
}

uint32_t alto_send_ring_read(struct alto_send_ring *r, float *samples, uint32_t n, uint64_t *capture_ns)
{
	uint32_t index;
	int32_t avail;

	if (r == NULL || samples == NULL || n == 0)
		return 0;
	avail = spa_ringbuffer_get_read_index(&r->rb, &index);
	if (avail < (int32_t)n)
		return 0;
	spa_ringbuffer_read_data(&r->rb, r->samples, r->size * sizeof(float),
			(index & r->mask) * sizeof(float), samples, n * sizeof(float));
	if (capture_ns)
		*capture_ns = capture_time_of(r, index + n - 1);
	spa_ringbuffer_read_update(&r->rb, index + n);
	atomic_fetch_add_explicit(&r->read, n, memory_order_relaxed);
	return n;
}

uint32_t alto_send_ring_skip(struct alto_send_ring *r, uint32_t n)
{
	uint32_t index;
	int32_t avail;

	if (r == NULL)
		return 0;
	avail = spa_ringbuffer_get_read_index(&r->rb, &index);
	n = SPA_MIN(n, (uint32_t)SPA_MAX(avail, 0));
	if (n == 0)
		return 0;
	capture_time_of(r, index + n - 1);
	spa_ringbuffer_read_update(&r->rb, index + n);
	atomic_fetch_add_explicit(&r->read, n, memory_order_relaxed);
	return n;
}

int alto_send_ring_fd(const struct alto_send_ring *r)
{
	return r ? r->doorbell : -EINVAL;
}

void alto_send_ring_arm(struct alto_send_ring *r)
{
	uint64_t v;

	if (r == NULL)
		return;
	while (read(r->doorbell, &v, sizeof(v)) == sizeof(v))
		;
	atomic_store_explicit(&r->armed, true, memory_order_release);
}

void alto_send_ring_set_muted(struct alto_send_ring *r, bool muted)
{
	if (r == NULL)
		return;
	if (atomic_exchange(&r->muted, muted) != muted)
		ring_doorbell(r);
}

bool alto_send_ring_get_muted(const struct alto_send_ring *r)
{
	return r ? atomic_load((atomic_bool *)&r->muted) : false;
}

void alto_send_ring_get_metrics(const struct alto_send_ring *r, struct alto_send_ring_metrics *m)
{
	struct alto_send_ring *rw = (struct alto_send_ring *)r;
	uint64_t written, read;

	if (r == NULL || m == NULL)
		return;
	written = atomic_load_explicit(&rw->written, memory_order_relaxed);
	read = atomic_load_explicit(&rw->read, memory_order_relaxed);
	m->written = written;
	m->overflow = atomic_load_explicit(&rw->overflow, memory_order_relaxed);
	m->read = read;
	m->doorbells = atomic_load_explicit(&rw->doorbells, memory_order_relaxed);
	m->level = written >= read ? (uint32_t)(written - read) : 0;
}
