/* Calls from any thread onto a pw_loop: a mutex-protected list plus an
 * eventfd source. See handoff.h. */
#include "handoff.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include <spa/utils/list.h>
#include <pipewire/log.h>

PW_LOG_TOPIC_STATIC(handoff_topic, "alto.handoff");
#define PW_LOG_TOPIC_DEFAULT handoff_topic

struct call {
	struct spa_list link;
	alto_handoff_func_t func;
	alto_handoff_free_t free_item;
	void *item;
};

struct alto_handoff {
	struct pw_loop *loop;
	struct spa_source *source;
	void *owner;
	pthread_mutex_t lock;
	struct spa_list calls;		/* under lock */
	bool closed;			/* under lock */
};

static void free_call(struct call *c)
{
	if (c->free_item)
		c->free_item(c->item);
	free(c);
}

void alto_handoff_flush(struct alto_handoff *h)
{
	struct spa_list todo;
	struct call *c;

	spa_list_init(&todo);
	pthread_mutex_lock(&h->lock);
	spa_list_insert_list(&todo, &h->calls);
	spa_list_init(&h->calls);
	pthread_mutex_unlock(&h->lock);

	spa_list_consume(c, &todo, link) {
		spa_list_remove(&c->link);
		c->func(h->owner, c->item);
		free_call(c);
	}
}

static void on_event(void *data, uint64_t count)
{
	alto_handoff_flush(data);
}

struct alto_handoff *alto_handoff_new(struct pw_loop *loop, void *owner)
{
	struct alto_handoff *h;

	PW_LOG_TOPIC_INIT(handoff_topic);
	if (loop == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->loop = loop;
	h->owner = owner;
	pthread_mutex_init(&h->lock, NULL);
	spa_list_init(&h->calls);
	h->source = pw_loop_add_event(loop, on_event, h);
	if (h->source == NULL) {
		int res = errno ? errno : EIO;
		pthread_mutex_destroy(&h->lock);
		free(h);
		errno = res;
		return NULL;
	}
	return h;
}

void alto_handoff_destroy(struct alto_handoff *h)
{
	struct call *c;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->closed = true;
	pthread_mutex_unlock(&h->lock);
	pw_loop_destroy_source(h->loop, h->source);
	/* nobody can add any more: drop what is left without running it */
	spa_list_consume(c, &h->calls, link) {
		spa_list_remove(&c->link);
		free_call(c);
	}
	pthread_mutex_destroy(&h->lock);
	free(h);
}

int alto_handoff_post(struct alto_handoff *h, alto_handoff_func_t func, void *item,
		alto_handoff_free_t free_item)
{
	struct call *c;
	bool closed;

	if (h == NULL || func == NULL) {
		if (free_item)
			free_item(item);
		return -EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (free_item)
			free_item(item);
		return -ENOMEM;
	}
	c->func = func;
	c->item = item;
	c->free_item = free_item;

	pthread_mutex_lock(&h->lock);
	closed = h->closed;
	if (!closed)
		spa_list_append(&h->calls, &c->link);
	if (!closed)
		pw_loop_signal_event(h->loop, h->source);
	pthread_mutex_unlock(&h->lock);

	if (closed) {
		free_call(c);
		return -ESHUTDOWN;
	}
	return 0;
}
