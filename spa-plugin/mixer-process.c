/* alto.mixer real-time path: process() and reuse_buffer().
 *
 * Runs on the data loop only. It reads the list published by mixer_publish()
 * (mixer.c) and nothing else of the main thread's state except the gains
 * (relaxed atomics); it writes the per-port metrics (relaxed atomics), the
 * io areas and the output buffer queue. No allocation, no lock, no syscall,
 * no log above trace level.
 *
 * One cycle, per output channel:
 * - the number of frames is the graph quantum (position io), or without one
 *   the longest input chunk;
 * - when the output is not linked or its consumer has not taken the last
 *   mix, the channel's inputs are still taken, counted and metered (the
 *   metrics describe the inputs, not the consumers), nothing is written;
 * - an input counts when its io says HAVE_DATA with a valid buffer and a
 *   non-EMPTY chunk; otherwise it is silence and +1 underrun ("lazy mixing":
 *   a participant who has nothing yet never holds the room back);
 * - a chunk shorter than the quantum (or malformed) is mixed for what it has,
 *   silence after that, and counted in short_buffers;
 * - sum of input * port gain * master gain through the chosen kernel, no
 *   clipping; with no input data the output is zeros flagged EMPTY;
 * - a gain change (port volume, mute, master) glides linearly over ramp-ms
 *   (5 ms) instead of jumping, so it does not click: the kernel mixes an
 *   input on a ramp at its target, one plain C loop then adds the ramp's
 *   difference over the ramp's frames (short and fading-out inputs are
 *   mixed by that loop whole);
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

/* Length of a volume ramp in frames at the graph's rate (position io), or
 * at audio.rate without one. 0 when ramps are off. */
static uint32_t ramp_frames(struct impl *this, const struct mix_list *l)
{
	uint64_t rate = this->rate;

	if (l->position != NULL && l->position->clock.rate.num > 0 &&
	    l->position->clock.rate.denom > 0)
		rate = l->position->clock.rate.denom / l->position->clock.rate.num;
	return (uint32_t)SPA_MIN(rate * this->ramp_ms / 1000u, (uint64_t)UINT16_MAX);
}

/* Where the port's gain is during this cycle of n frames, heading to `want`
 * (port gain * master gain as set now), and the ramp moved on by n frames.
 * A change of `want` starts a new ramp from wherever the gain is, so a
 * change in the middle of a ramp does not jump either. The first cycle of a
 * port starts at `want`: a new input has nothing to glide from. */
static inline struct slow_input gain_advance(struct port *p, float want, uint32_t ramp_len,
		uint32_t n)
{
	struct slow_input g;

	if (SPA_LIKELY(want == p->ramp_target && p->ramp_left == 0 && p->ramp_valid)) {
		/* the common case: a steady gain */
		g.target = want;
		g.step = 0.0f;
		g.left = 0;
		return g;
	}
	if (!p->ramp_valid || ramp_len == 0) {
		p->ramp_target = want;
		p->ramp_left = 0;
		p->ramp_valid = true;
	} else if (want != p->ramp_target) {
		const float now = p->ramp_target - p->ramp_step * (float)p->ramp_left;
		p->ramp_target = want;
		p->ramp_step = (want - now) / (float)ramp_len;
		p->ramp_left = ramp_len;
	}
	g.target = p->ramp_target;
	g.step = p->ramp_step;
	g.left = p->ramp_left;
	p->ramp_left -= SPA_MIN(p->ramp_left, n);
	return g;
}

/* The part of the mix the kernel did not do, for an input that is short,
 * muted at the end of a ramp, or on a ramp. The gain k frames before the end
 * of the ramp is target - step * k (exactly the target at its last frame).
 * An input the kernel mixed at its target (in_kernel) only gets the ramp's
 * difference to the target added, over the ramp's frames; any other input is
 * added here whole, the ramp then the target; frames past its end stay as
 * they are (silence). Plain C whatever the kernel, so the kernels still agree
 * bit for bit. */
static void mix_slow(float * __restrict dst, const struct slow_input *s)
{
	const float target = s->target, step = s->step;
	const float * __restrict src = s->src;
	const int32_t last = (int32_t)s->left - 1;	/* ramps are < 2^16 frames */
	const uint32_t ramp = SPA_MIN(s->left, s->frames);
	uint32_t j;

	/* k = last - j converted per frame, not counted down in a float: no
	 * chain from one frame to the next, and exact */
	if (s->in_kernel) {
		for (j = 0; j < ramp; j++)
			dst[j] = dst[j] - (step * (float)(last - (int32_t)j)) * src[j];
		return;
	}
	for (j = 0; j < ramp; j++)
		dst[j] = dst[j] + (target - step * (float)(last - (int32_t)j)) * src[j];
	if (target != 0.0f)
		for (; j < s->frames; j++)
			dst[j] = dst[j] + target * src[j];
}

/* One channel of one cycle. With an output buffer (dst) the channel's
 * inputs are mixed into it; without one (the output is not linked, or its
 * consumer did not take the last mix) they are still taken, counted and
 * metered, so an input's metrics show what it sends whether or not anybody
 * listens to the mix, and upstream is asked for the next cycle. */
static void mix_channel(struct impl *this, struct mix_list *l, uint32_t c, uint32_t quantum,
		uint32_t ramp_len, struct spa_data *d)
{
	const struct alto_mix_kernel *k = this->kernel;
	const float master = load_float(&this->master_gain[c]);
	const bool metering = __atomic_load_n(&this->metering, __ATOMIC_RELAXED);
	uint32_t n = quantum, i, n_full = 0, n_slow = 0, n_data = 0;
	float *dst = d != NULL ? d->data : NULL;

	if (n == 0 && (n = fallback_frames(l, c)) == 0)
		n = this->quantum_limit;
	if (d != NULL)
		n = SPA_MIN(n, d->maxsize / (uint32_t)sizeof(float));

	for (i = l->chan_start[c]; i < l->chan_start[c + 1]; i++) {
		struct port *p = l->inputs[i];
		struct port_metrics *m = &p->metrics;
		enum input_state state;
		const float *src = NULL;
		uint32_t frames = 0;
		struct slow_input g;

		state = input_data(p, &src, &frames);
		/* consumed or not, ask upstream for the next cycle */
		p->io->status = SPA_STATUS_NEED_DATA;
		/* the ramp follows the clock, data or not */
		g = gain_advance(p, load_float(&p->gain) * master, ramp_len, n);

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

		if (dst != NULL && g.target != 0.0f && frames == n) {
			/* the common case: the kernel mixes it and meters it in
			 * one pass; on a ramp, the difference is added after */
			this->rt_src[n_full] = src;
			this->rt_gain[n_full] = g.target;
			this->rt_port[n_full++] = p;
			if (SPA_UNLIKELY(g.left > 0)) {
				g.src = src;
				g.frames = frames;
				g.in_kernel = true;
				this->rt_slow[n_slow++] = g;
			}
			continue;
		}
		if (dst != NULL && frames > 0 && (g.left > 0 || g.target != 0.0f)) {
			g.src = src;
			g.frames = frames;
			g.in_kernel = false;
			this->rt_slow[n_slow++] = g;
		}
		/* muted, short, ramping or nobody listening: metered on its own,
		 * muted inputs still show a level */
		store_float(&m->peak, metering ? k->peak(src, frames) : 0.0f);
	}
	if (dst == NULL)
		return;

	k->mix(dst, this->rt_src, this->rt_gain, n_full, n, metering ? this->rt_peak : NULL);
	for (i = 0; i < n_full; i++)
		store_float(&this->rt_port[i]->metrics.peak, metering ? this->rt_peak[i] : 0.0f);
	for (i = 0; i < n_slow; i++)
		mix_slow(dst, &this->rt_slow[i]);

	d->chunk->offset = 0;
	d->chunk->size = n * sizeof(float);
	d->chunk->stride = sizeof(float);
	d->chunk->flags = n_data == 0 ? SPA_CHUNK_FLAG_EMPTY : 0;

	spa_log_trace_fp(this->log, "%p: channel %u: %u frames, %u sources (%u slow), %u with data",
			this, c, n, n_full, n_slow, n_data);
}

int mixer_process(void *object)
{
	struct impl *this = object;
	struct mix_list *l;
	uint32_t c, quantum = 0, ramp_len;
	bool have_output = false, mixed = false;

	if (SPA_UNLIKELY(this == NULL))
		return -EINVAL;

	l = this->rt_list;
	if (l->position != NULL)
		quantum = (uint32_t)SPA_MIN(l->position->clock.duration, (uint64_t)this->quantum_limit);
	ramp_len = ramp_frames(this, l);

	for (c = 0; c < this->n_channels; c++) {
		struct port *out = l->outputs[c];
		struct spa_io_buffers *io;
		struct buffer *outb;

		if (out == NULL) {
			/* output not linked: the inputs are taken all the same */
			mix_channel(this, l, c, quantum, ramp_len, NULL);
			continue;
		}
		have_output = true;
		io = out->io;
		/* the consumer has not taken the last mix yet: that one stays */
		if (io->status == SPA_STATUS_HAVE_DATA) {
			mix_channel(this, l, c, quantum, ramp_len, NULL);
			continue;
		}
		if (io->buffer_id < out->n_buffers)
			queue_buffer(out, &out->buffers[io->buffer_id]);
		io->buffer_id = SPA_ID_INVALID;

		if (SPA_UNLIKELY((outb = dequeue_buffer(out)) == NULL)) {
			spa_log_trace(this->log, "%p: output %u: out of buffers", this, c);
			mix_channel(this, l, c, quantum, ramp_len, NULL);
			continue;
		}
		mix_channel(this, l, c, quantum, ramp_len, &outb->buf->datas[0]);
		io->buffer_id = outb->id;
		io->status = SPA_STATUS_HAVE_DATA;
		mixed = true;
	}
	if (mixed)
		add_u64(&this->cycles, 1);
	if (have_output)
		return SPA_STATUS_HAVE_DATA | SPA_STATUS_NEED_DATA;
	/* nothing to produce; inputs (if any) were taken */
	return l->n_inputs > 0 ? SPA_STATUS_NEED_DATA : -EIO;
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
