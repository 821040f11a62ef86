/* writeq.c — the writer queue of both store backends (writeq.h): the bounded
 * queue and its CH_ERR_BUSY answer, the deferred wake-up, the writer thread's
 * take-all and done callbacks, the batch stats and the sink.
 *
 * Threading: mu guards the queue, the stats and the sink and is never held
 * while a job or a callback runs. done callbacks run on the writer thread;
 * they may queue more writes, but ch_writeq_write_sync from that thread would
 * wait on itself and is refused.
 */
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/buf.h"
#include "core/wake.h"
#include "store/backend.h"
#include "store/writeq.h"

void ch_writeq_init(ch_writeq *q, ch_store *owner, uint64_t max)
{
	q->owner = owner;
	q->max = max;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

void ch_writeq_destroy(ch_writeq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

ch_err ch_writeq_start(ch_writeq *q, void *(*main)(void *), void *arg)
{
	if (pthread_create(&q->writer, NULL, main, arg) != 0) {
		CH_ERROR("store: cannot start the writer thread");
		return CH_ERR_INTERNAL;
	}
	pthread_setname_np(q->writer, "ch-store-writer");
	q->writer_started = 1;
	return CH_OK;
}

void ch_writeq_stop(ch_writeq *q)
{
	if (!q->writer_started)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	/* The writer only exits once the queue is empty: every job completes. */
	pthread_join(q->writer, NULL);
	q->writer_started = 0;
}

ch_store_job *ch_writeq_take(ch_writeq *q, size_t *n)
{
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->stopping)
		pthread_cond_wait(&q->cv, &q->mu);
	ch_store_job *batch = q->head;
	*n = (size_t)q->len;
	q->head = q->tail = NULL;
	q->len = 0;
	pthread_mutex_unlock(&q->mu);
	q->taken_us = ch_mono_us();
	return batch;
}

/* Counts a duration into cumulative buckets, as a Prometheus histogram. */
static void time_count(uint64_t le[CH_STORE_TIME_BUCKETS], uint64_t *sum, int64_t us)
{
	static const int64_t bounds[CH_STORE_TIME_BUCKETS] = CH_STORE_TIME_BOUNDS_US;
	if (us < 0)
		us = 0;
	*sum += (uint64_t)us;
	for (int i = 0; i < CH_STORE_TIME_BUCKETS; i++)
		if (us <= bounds[i])
			le[i]++;
}

void ch_writeq_record(ch_writeq *q, const ch_store_job *batch, size_t n, int committed)
{
	static const size_t bounds[7] = {1, 2, 4, 8, 16, 32, 64};
	int64_t now = ch_mono_us();
	pthread_mutex_lock(&q->mu);
	q->stats.jobs += n;
	if (committed) {
		q->stats.commits++;
		/* Cumulative buckets, as a Prometheus histogram: batch_le[7] == commits. */
		for (int i = 0; i < 8; i++)
			if (i == 7 || n <= bounds[i])
				q->stats.batch_le[i]++;
		time_count(q->stats.commit_le, &q->stats.commit_us_sum, now - q->taken_us);
		for (const ch_store_job *j = batch; j; j = j->next)
			time_count(q->stats.write_le, &q->stats.write_us_sum, now - j->queued_us);
	} else {
		q->stats.failed_commits++;
	}
	pthread_mutex_unlock(&q->mu);
}

void ch_writeq_count_replay(ch_writeq *q)
{
	pthread_mutex_lock(&q->mu);
	q->stats.replays++;
	pthread_mutex_unlock(&q->mu);
}

void ch_writeq_finish(ch_store_job *batch)
{
	ch_store_job *next;
	ch_wake_defer_begin(); /* the answers reach the network thread together (core/wake.h) */
	for (ch_store_job *j = batch; j; j = next) {
		next = j->next;
		if (j->done)
			j->done(j->arg, j->err);
		free(j);
	}
	ch_wake_defer_end();
}

ch_store_batch_sink ch_writeq_sink(ch_writeq *q, void **ctx)
{
	pthread_mutex_lock(&q->mu);
	ch_store_batch_sink sink = q->sink;
	*ctx = q->sink_ctx;
	pthread_mutex_unlock(&q->mu);
	return sink;
}

void ch_writeq_set_sink(ch_writeq *q, ch_store_batch_sink fn, void *ctx)
{
	pthread_mutex_lock(&q->mu);
	q->sink = fn;
	q->sink_ctx = ctx;
	pthread_mutex_unlock(&q->mu);
}

void ch_writeq_stats_get(ch_writeq *q, ch_store_stats *out)
{
	pthread_mutex_lock(&q->mu);
	*out = q->stats;
	out->queue_len = q->len;
	pthread_mutex_unlock(&q->mu);
}

void ch_writeq_wake(ch_writeq *q)
{
	pthread_mutex_lock(&q->mu);
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* Queues a job; when bounded and the queue is full, returns -1 and queues
 * nothing. */
static int enqueue(ch_writeq *q, ch_store_job *j, int bounded)
{
	pthread_mutex_lock(&q->mu);
	if (bounded && q->max && q->len >= q->max) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->len++;
	if (!ch_store_backend_defer_wake(q->owner))
		pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static ch_store_job *job_new(ch_store_fn fn, void *arg, ch_store_done_fn done)
{
	ch_store_job *j = ch_xcalloc(1, sizeof *j);
	j->fn = fn;
	j->arg = arg;
	j->done = done;
	j->queued_us = ch_mono_us();
	return j;
}

void ch_writeq_write(ch_writeq *q, ch_store_fn fn, void *arg, ch_store_done_fn done)
{
	ch_store_job *j = job_new(fn, arg, done);
	if (enqueue(q, j, 1) == 0)
		return;
	/* Full: the writer is hopelessly behind; queuing more would only grow
	 * memory and every caller's latency. */
	free(j);
	if (done)
		done(arg, CH_ERR_BUSY);
}

/* One ch_writeq_write_sync call: the caller's fn and arg, and the condvar the
 * caller sleeps on until the writer has committed and called done. */
typedef struct sync_call {
	ch_store_fn fn;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
	ch_err err;
} sync_call;

static void sync_done(void *arg, ch_err err)
{
	sync_call *call = arg;
	pthread_mutex_lock(&call->mu);
	call->err = err;
	call->done = 1;
	pthread_cond_signal(&call->cv);
	/* The caller may free call as soon as this unlock lets it run. */
	pthread_mutex_unlock(&call->mu);
}

static ch_err sync_run(ch_store_tx *tx, void *arg)
{
	sync_call *call = arg;
	return call->fn(tx, call->arg);
}

ch_err ch_writeq_write_sync(ch_writeq *q, ch_store_fn fn, void *arg)
{
	if (q->writer_started && pthread_equal(pthread_self(), q->writer)) {
		CH_ERROR("store: ch_store_write_sync called on the writer thread");
		return CH_ERR_INTERNAL;
	}
	sync_call call = {.fn = fn, .arg = arg};
	pthread_mutex_init(&call.mu, NULL);
	pthread_cond_init(&call.cv, NULL);
	enqueue(q, job_new(sync_run, &call, sync_done), 0); /* never refused: the caller waits */
	ch_store_flush_wakeups(); /* about to sleep on it */
	pthread_mutex_lock(&call.mu);
	while (!call.done)
		pthread_cond_wait(&call.cv, &call.mu);
	pthread_mutex_unlock(&call.mu);
	pthread_mutex_destroy(&call.mu);
	pthread_cond_destroy(&call.cv);
	return call.err;
}
