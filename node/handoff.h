/* A queue of calls from any thread to the thread running a pw_loop (the
 * PipeWire main loop): the network thread hands participant streams,
 * property updates and session events to the main loop through it.
 *
 * alto_handoff_post() takes a mutex only around a list append and then
 * signals an eventfd source (pw_loop_signal_event, a write(2)); the loop
 * thread takes the whole list under the mutex and runs the calls outside
 * it, in the order they were posted (per poster). Why not pw_loop_invoke():
 * in PipeWire 0.3.65 its queue is a ring meant for one producer, and an
 * invoke from a foreign thread that finds it full fails; this queue is
 * unbounded and safe for any number of producers.
 *
 * Threads: alto_handoff_post() from any thread (never from a real-time
 * one: it allocates and locks). new/destroy and the calls themselves on the
 * loop's thread. A call posted after destroy started is freed, not run. */
#ifndef ALTO_NODE_HANDOFF_H
#define ALTO_NODE_HANDOFF_H

#include <pipewire/loop.h>

struct alto_handoff;

/* Runs on the loop thread. */
typedef void (*alto_handoff_func_t)(void *owner, void *item);
/* Frees an item (run after func, or instead of it when the call is dropped). */
typedef void (*alto_handoff_free_t)(void *item);

/* owner: passed to every call. NULL with errno set on failure. */
struct alto_handoff *alto_handoff_new(struct pw_loop *loop, void *owner);
/* Frees the calls not run yet (with their free function) and the source. */
void alto_handoff_destroy(struct alto_handoff *h);

/* Queues func(owner, item) on the loop; free_item(item) runs afterwards
 * (may be NULL). -EINVAL, -ESHUTDOWN (destroyed: item freed at once). */
int alto_handoff_post(struct alto_handoff *h, alto_handoff_func_t func, void *item,
		alto_handoff_free_t free_item);

/* Loop thread: runs what is queued now (also done by the loop on its own). */
void alto_handoff_flush(struct alto_handoff *h);

#endif
