/* Unit test of node/handoff.c with PipeWire's real loop: several threads
 * post calls at once; the loop thread runs each exactly once, in the order
 * each thread posted them; calls still queued at destroy are freed, not
 * run; nothing leaks (ASan). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>

#include "handoff.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); exit(1); } } while (0)

#define PRODUCERS	4
#define CALLS		2000

struct item {
	int producer;
	int seq;
};

struct state {
	struct pw_loop *loop;
	struct alto_handoff *h;
	int next[PRODUCERS];		/* loop thread: the next seq expected per producer */
	int ran;
	bool in_order;
	atomic_int freed;
	void *owner_seen;
};

static struct state st;

static void run_item(void *owner, void *data)
{
	struct item *it = data;

	st.owner_seen = owner;
	if (it->seq != st.next[it->producer])
		st.in_order = false;
	st.next[it->producer] = it->seq + 1;
	st.ran++;
}

static void free_item(void *data)
{
	atomic_fetch_add(&st.freed, 1);
	free(data);
}

static void *producer(void *arg)
{
	int p = (int)(intptr_t)arg;

	for (int i = 0; i < CALLS; i++) {
		struct item *it = malloc(sizeof(*it));
		CHECK(it);
		it->producer = p;
		it->seq = i;
		CHECK(alto_handoff_post(st.h, run_item, it, free_item) == 0);
	}
	return NULL;
}

int main(void)
{
	pthread_t threads[PRODUCERS];

	pw_init(NULL, NULL);
	st.loop = pw_loop_new(NULL);
	CHECK(st.loop);
	st.in_order = true;
	st.h = alto_handoff_new(st.loop, &st);
	CHECK(st.h);

	/* bad arguments: the item is freed, nothing queued */
	struct item *bad = malloc(sizeof(*bad));
	CHECK(alto_handoff_post(st.h, NULL, bad, free_item) == -EINVAL);
	CHECK(atomic_load(&st.freed) == 1);
	atomic_store(&st.freed, 0);

	for (int p = 0; p < PRODUCERS; p++)
		CHECK(pthread_create(&threads[p], NULL, producer, (void *)(intptr_t)p) == 0);

	/* the loop runs while the producers post */
	pw_loop_enter(st.loop);
	while (st.ran < PRODUCERS * CALLS)
		pw_loop_iterate(st.loop, 1000);
	pw_loop_leave(st.loop);
	for (int p = 0; p < PRODUCERS; p++)
		pthread_join(threads[p], NULL);

	CHECK(st.ran == PRODUCERS * CALLS);
	CHECK(st.in_order);
	CHECK(st.owner_seen == &st);
	CHECK(atomic_load(&st.freed) == PRODUCERS * CALLS);

	/* queued but never run: freed by destroy */
	for (int i = 0; i < 10; i++) {
		struct item *it = malloc(sizeof(*it));
		it->producer = 0;
		it->seq = st.next[0] + i;
		CHECK(alto_handoff_post(st.h, run_item, it, free_item) == 0);
	}
	alto_handoff_destroy(st.h);
	CHECK(st.ran == PRODUCERS * CALLS);
	CHECK(atomic_load(&st.freed) == PRODUCERS * CALLS + 10);

	pw_loop_destroy(st.loop);
	pw_deinit();
	printf("ok\n");
	return 0;
}
