/* alto.mixer real-time path: process() and reuse_buffer().
 *
 * Runs on the data loop only. It reads the list published by mixer_publish()
 * (mixer.c) and nothing else of the main thread's state except the gains
 * (relaxed atomics); it writes the per-port metrics (relaxed atomics), the
 * io areas and the output buffer queue. No allocation, no lock, no syscall,
 * no log above trace level.
 *
 * One cycle, per output channel whose consumer took the last buffer:
 * - the number of frames is the graph quantum (position io), or without one
 *   the longest input chunk;
 * - an input counts when its io says HAVE_DATA with a valid buffer and a
 *   non-EMPTY chunk; otherwise it is silence and +1 underrun ("lazy mixing":
 *   a participant who has nothing yet never holds the room back);
 * - a chunk shorter than the quantum (or malformed) is mixed for what it has,
 *   silence after that, and counted in short_buffers;
 * - sum of input * port gain * master gain through the chosen kernel, no
 *   clipping; with no input data the output is zeros flagged EMPTY;
 * - with metering on (default), each input's peak comes out of the same pass.
 */
#include <errno.h>
#include <string.h>

#include "mixer.h"

#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT log_topic
static struct spa_log_topic *log_topic = &SPA_LOG_TOPIC(0, "alto.mixer.process");

void mixer_process_log_init(struct spa_log *log)
{
	spa_log_topic_init(log, log_topic);
}

static inline void queue_buffer(struct port *port, struct buffer *b)
{
	if (b->flags & BUFFER_FLAG_QUEUED)
		return;
	spa_list_append(&port->queue, &b->link);
	b->flags |= BUFFER_FLAG_QUEUED;
}

static inline struct buffer *dequeue_buffer(struct port *port)
{
	struct buffer *b;

	if (spa_list_is_empty(&port->queue))
		return NULL;
	b = spa_list_first(&port->queue, struct buffer, link);
	spa_list_remove(&b->link);
	b->flags &= ~BUFFER_FLAG_QUEUED;
	return b;
}

enum input_state {
	INPUT_NONE,	/* no data this cycle: underrun */
	INPUT_BAD,	/* a chunk we cannot read: counted as short */
	INPUT_DATA,
};

/* What an input port holds this cycle: samples and their number. */
static inline enum input_state input_data(struct port *p, const float **src, uint32_t *frames)
{
	struct spa_io_buffers *io = p->io;
	struct spa_buffer *b;
	struct spa_data *d;
	uint32_t offs, size;

	if (io->status != SPA_STATUS_HAVE_DATA || io->buffer_id >= p->n_buffers)
		return INPUT_NONE;
	b = p->buffers[io->buffer_id].buf;
	/* the port mixer in front of us may swap the buffer's data each cycle
	 * (DYNAMIC_DATA), so check it every time */
	if (SPA_UNLIKELY(b->n_datas < 1 || b->datas[0].chunk == NULL))
		return INPUT_BAD;
	d = &b->datas[0];
	if (d->chunk->flags & SPA_CHUNK_FLAG_EMPTY)
		return INPUT_NONE;
	offs = d->chunk->offset;
	size = d->chunk->size;
	if (SPA_UNLIKELY(d->data == NULL || offs > d->maxsize ||
			(offs % sizeof(float)) != 0 ||
			!SPA_IS_ALIGNED(d->data, sizeof(float))))
		return INPUT_BAD;
	size = SPA_MIN(size, d->maxsize - offs);
	*src = SPA_PTROFF(d->data, offs, const float);
	*frames = size / sizeof(float);
	return (size % sizeof(float)) == 0 ? INPUT_DATA : INPUT_BAD;
}

static inline void add_u64(uint64_t *counter, uint64_t n)
{
	store_u64(counter, load_u64(counter) + n);
}

static uint32_t fallback_frames(struct mix_list *l, uint32_t c)
{
	uint32_t i, n = 0;

	for (i = l->chan_start[c]; i < l->chan_start[c + 1]; i++) {
		const float *src;
		uint32_t frames;
		if (input_data(l->inputs[i], &src, &frames) == INPUT_DATA)
			n = SPA_MAX(n, frames);
	}
	return n;
}

static void mix_channel(struct impl *this, struct mix_list *l, uint32_t c, uint32_t quantum,
		struct buffer *outb)
{
	struct spa_data *d = &outb->buf->datas[0];
	const struct alto_mix_kernel *k = this->kernel;
	const float master = load_float(&this->master_gain[c]);
	const bool metering = __atomic_load_n(&this->metering, __ATOMIC_RELAXED);
	uint32_t n = quantum, i, j, n_full = 0, n_short = 0, n_data = 0;
	float *dst = d->data;

	if (n == 0 && (n = fallback_frames(l, c)) == 0)
		n = SPA_MIN(this->quantum_limit, d->maxsize / (uint32_t)sizeof(float));
	n = SPA_MIN(n, d->maxsize / (uint32_t)sizeof(float));

	for (i = l->chan_start[c]; i < l->chan_start[c + 1]; i++) {
		struct port *p = l->inputs[i];
		struct port_metrics *m = &p->metrics;
		enum input_state state;
		const float *src = NULL;
		uint32_t frames = 0;
		float gain;

		state = input_data(p, &src, &frames);
		/* consumed or not, ask upstream for the next cycle */
		p->io->status = SPA_STATUS_NEED_DATA;

		if (state == INPUT_NONE) {
			add_u64(&m->underruns, 1);
			store_float(&m->peak, 0.0f);
			continue;
		}
		if (state == INPUT_BAD || frames < n)
			add_u64(&m->short_buffers, 1);
		if (state == INPUT_BAD) {
			store_float(&m->peak, 0.0f);
			continue;
		}
		frames = SPA_MIN(frames, n);
		n_data++;
		add_u64(&m->frames_mixed, frames);

		gain = load_float(&p->gain) * master;
		if (gain != 0.0f && frames == n) {
			/* the common case: the kernel mixes it and meters it in one pass */
			this->rt_src[n_full] = src;
			this->rt_gain[n_full] = gain;
			this->rt_port[n_full++] = p;
			continue;
		}
		if (gain != 0.0f && frames > 0) {
			/* short ones from the top of the scratch arrays: the two
			 * ends never meet, there are at most MAX_PORTS inputs */
			n_short++;
			this->rt_src[MAX_PORTS - n_short] = src;
			this->rt_gain[MAX_PORTS - n_short] = gain;
			this->rt_frames[MAX_PORTS - n_short] = frames;
		}
		/* muted or short: metered on its own, muted inputs still show a level */
		store_float(&m->peak, metering ? k->peak(src, frames) : 0.0f);
	}

	k->mix(dst, this->rt_src, this->rt_gain, n_full, n, metering ? this->rt_peak : NULL);
	for (i = 0; i < n_full; i++)
		store_float(&this->rt_port[i]->metrics.peak, metering ? this->rt_peak[i] : 0.0f);
	for (i = 0; i < n_short; i++) {
		const float *src = this->rt_src[MAX_PORTS - 1 - i];
		const float g = this->rt_gain[MAX_PORTS - 1 - i];
		const uint32_t frames = this->rt_frames[MAX_PORTS - 1 - i];
		for (j = 0; j < frames; j++)
			dst[j] = dst[j] + g * src[j];
	}

	d->chunk->offset = 0;
	d->chunk->size = n * sizeof(float);
	d->chunk->stride = sizeof(float);
	d->chunk->flags = n_data == 0 ? SPA_CHUNK_FLAG_EMPTY : 0;

	spa_log_trace_fp(this->log, "%p: channel %u: %u frames, %u sources (%u short), %u with data",
			this, c, n, n_full, n_short, n_data);
}

int mixer_process(void *object)
{
	struct impl *this = object;
	struct mix_list *l;
	uint32_t c, quantum = 0;
	bool have_output = false, mixed = false;

	if (SPA_UNLIKELY(this == NULL))
		return -EINVAL;

	l = this->rt_list;
	if (l->position != NULL)
		quantum = (uint32_t)SPA_MIN(l->position->clock.duration, (uint64_t)this->quantum_limit);

	for (c = 0; c < this->n_channels; c++) {
		struct port *out = l->outputs[c];
		struct spa_io_buffers *io;
		struct buffer *outb;

		if (out == NULL)
			continue;
		have_output = true;
		io = out->io;
		/* the consumer has not taken the last mix yet */
		if (io->status == SPA_STATUS_HAVE_DATA)
			continue;
		if (io->buffer_id < out->n_buffers)
			queue_buffer(out, &out->buffers[io->buffer_id]);
		io->buffer_id = SPA_ID_INVALID;

		if (SPA_UNLIKELY((outb = dequeue_buffer(out)) == NULL)) {
			spa_log_trace(this->log, "%p: output %u: out of buffers", this, c);
			continue;
		}
		mix_channel(this, l, c, quantum, outb);
		io->buffer_id = outb->id;
		io->status = SPA_STATUS_HAVE_DATA;
		mixed = true;
	}
	if (!have_output)
		return -EIO;
	if (mixed)
		add_u64(&this->cycles, 1);
	return SPA_STATUS_HAVE_DATA | SPA_STATUS_NEED_DATA;
}

int mixer_reuse_buffer(void *object, uint32_t port_id, uint32_t buffer_id)
{
	struct impl *this = object;
	struct port *port;

	if (SPA_UNLIKELY(this == NULL || port_id >= this->n_channels))
		return -EINVAL;
	port = &this->out_ports[port_id];
	if (SPA_UNLIKELY(buffer_id >= port->n_buffers))
		return -EINVAL;
	queue_buffer(port, &port->buffers[buffer_id]);
	return 0;
}
