/* loop.c — cross-thread completion queue into the libev loop (see loop.h). */
#include "net/loop.h"

#include <ev.h>
#include <pthread.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/wake.h"
#include "net/wsguard.h"

typedef struct item {
	ch_loop_fn fn;
	void *arg;
	struct item *next;
} item;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static item *head, *tail;
static struct ev_loop *loop_;
static ev_async wake;

static void drain(void)
{
	pthread_mutex_lock(&mu);
	item *list = head;
	head = tail = NULL;
	pthread_mutex_unlock(&mu);
	while (list) {
		item *next = list->next;
		list->fn(list->arg);
		free(list);
		list = next;
	}
}

static void on_wake(struct ev_loop *l, ev_async *w, int revents)
{
	(void)l, (void)w, (void)revents;
	drain();
}

void ch_loop_init(struct ev_loop *loop)
{
	loop_ = loop;
	ch_wsguard_bind_thread(); /* the thread that sets the loop up runs it */
	ev_async_init(&wake, on_wake);
	ev_async_start(loop, &wake);
}

/* A deferred wake-up (core/wake.h): the queue may have been drained since. */
static void wake_loop(void)
{
	if (loop_)
		ev_async_send(loop_, &wake);
}

void ch_loop_post(ch_loop_fn fn, void *arg)
{
	if (!loop_) { /* after shutdown: nobody is left to run it */
		CH_WARN("loop: a completion arrived after shutdown and was dropped");
		return;
	}
	item *it = ch_xmalloc(sizeof *it);
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&mu);
	if (tail)
		tail->next = it;
	else
		head = it;
	tail = it;
	pthread_mutex_unlock(&mu);
	if (!ch_wake_defer(wake_loop)) /* the store writer wakes us once per batch it answers */
		ev_async_send(loop_, &wake);
}

void ch_loop_fini(void)
{
	drain();
	if (loop_)
		ev_async_stop(loop_, &wake);
	loop_ = NULL;
}
