/* writer.c — the store's single writer thread and its group commit.
 *
 * ch_store_sqlite_write appends a job to a bounded queue (full: the job is refused
 * with CH_ERR_BUSY on the caller's thread); the writer takes every queued job
 * at once, runs them in one BEGIN IMMEDIATE transaction, each inside its own
 * savepoint so a failing job is undone alone, commits once, and only then
 * calls the jobs' done callbacks: one fsync acknowledges the whole batch.
 *
 * Threading: the queue and the stats are guarded by q_mu, which is never held
 * while SQL runs or a callback is called. The writer connection is used by the
 * writer thread only. done callbacks run on the writer thread; they may queue
 * more writes, but ch_store_sqlite_write_sync from that thread would wait on itself
 * and is refused.
 */
#include <stdlib.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

struct ch_store_job {
	ch_store_fn fn;
	void *arg;
	ch_store_done_fn done;
	ch_err err;
	ch_store_job *next;
};

/* Waits for work; returns the whole queue (NULL once stopping and drained). */
static ch_store_job *take_batch(ch_store *s, size_t *n_out)
{
	pthread_mutex_lock(&s->q_mu);
	while (!s->q_head && !s->stopping)
		pthread_cond_wait(&s->q_cv, &s->q_mu);
	ch_store_job *batch = s->q_head;
	*n_out = (size_t)s->q_len;
	s->q_head = s->q_tail = NULL;
	s->q_len = 0;
	pthread_mutex_unlock(&s->q_mu);
	return batch;
}

/* Runs one job in its savepoint. Returns 0 when the enclosing transaction is
 * gone (SQLite rolls back everything on some I/O errors), 1 otherwise. */
static int run_job(ch_store_tx *c, ch_store_job *j)
{
	if (ch_store_sqlite_run(c, CH_STMT_SAVEPOINT) != CH_OK) {
		j->err = CH_ERR_STORE;
		return !sqlite3_get_autocommit(c->db);
	}
	size_t events_mark = c->events.len; /* a failed job's events go with its writes */
	j->err = j->fn(c, j->arg);
	if (j->err != CH_OK)
		c->events.len = events_mark;
	if (sqlite3_get_autocommit(c->db))
		return 0;
	if (j->err != CH_OK && ch_store_sqlite_run(c, CH_STMT_ROLLBACK_TO) != CH_OK)
		return 0; /* the failed job's changes could not be undone: fail all */
	return ch_store_sqlite_run(c, CH_STMT_RELEASE) == CH_OK;
}

/* Returns 1 when the batch committed; else every job's err is CH_ERR_STORE. */
static int run_batch(ch_store_tx *c, ch_store_job *batch)
{
	int ok = ch_store_sqlite_run(c, CH_STMT_BEGIN_IMMEDIATE) == CH_OK;
	c->in_tx = ok;
	for (ch_store_job *j = batch; ok && j; j = j->next)
		ok = run_job(c, j);
	c->in_tx = 0;
	/* the counter other processes' caches poll (ch_store_sqlite_revocations_poll) */
	if (ok && c->principals_changed)
		ok = ch_store_sqlite_run(c, CH_STMT_REVOCATIONS_BUMP) == CH_OK;
	if (ok)
		ok = ch_store_sqlite_run(c, CH_STMT_COMMIT) == CH_OK;
	if (ok)
		return 1;
	if (!sqlite3_get_autocommit(c->db))
		ch_store_sqlite_run(c, CH_STMT_ROLLBACK);
	ch_buf_reset(&c->events);
	for (ch_store_job *j = batch; j; j = j->next)
		j->err = CH_ERR_STORE;
	return 0;
}

static void record_stats(ch_store *s, size_t n, int committed)
{
	static const size_t bounds[7] = {1, 2, 4, 8, 16, 32, 64};
	pthread_mutex_lock(&s->q_mu);
	s->stats.jobs += n;
	if (committed) {
		s->stats.commits++;
		/* Cumulative buckets, as a Prometheus histogram: batch_le[7] == commits. */
		for (int i = 0; i < 8; i++)
			if (i == 7 || n <= bounds[i])
				s->stats.batch_le[i]++;
	} else {
		s->stats.failed_commits++;
	}
	pthread_mutex_unlock(&s->q_mu);
}

/* Hands the committed batch's events to the sink (only this process reads
 * them: SQLite has no other process to replay for). */
static void publish_events(ch_store *s)
{
	ch_buf *ev = &s->writer_conn->events;
	pthread_mutex_lock(&s->q_mu);
	ch_store_batch_sink sink = s->sink;
	void *ctx = s->sink_ctx;
	pthread_mutex_unlock(&s->q_mu);
	if (ev->len && sink)
		sink(ctx, ++s->bseq, ev->data, ev->len);
	ch_buf_reset(ev);
}

void ch_store_sqlite_set_batch_sink(ch_store *s, ch_store_batch_sink fn, void *ctx)
{
	pthread_mutex_lock(&s->q_mu);
	s->sink = fn;
	s->sink_ctx = ctx;
	pthread_mutex_unlock(&s->q_mu);
}

void ch_store_sqlite_tx_add_events(ch_store_tx *tx, const void *bytes, size_t len)
{
	if (tx == tx->s->writer_conn && len)
		ch_buf_append(&tx->events, bytes, len);
}

static void *writer_main(void *arg)
{
	ch_store *s = arg;
	size_t n;
	ch_store_job *batch;
	while ((batch = take_batch(s, &n)) != NULL) {
		int committed = run_batch(s->writer_conn, batch);
		/* Stats first, so a caller woken by done already sees its job counted;
		 * the generation too, so no cache serves a revoked token after done. */
		record_stats(s, n, committed);
		if (s->writer_conn->principals_changed) {
			s->writer_conn->principals_changed = 0;
			atomic_fetch_add(&s->principals_gen, 1);
		}
		publish_events(s);
		ch_store_job *next;
		for (ch_store_job *j = batch; j; j = next) {
			next = j->next;
			if (j->done)
				j->done(j->arg, j->err);
			free(j);
		}
	}
	return NULL;
}

ch_err ch_store_sqlite_writer_start(ch_store *s)
{
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
		CH_ERROR("store: cannot start the writer thread");
		return CH_ERR_INTERNAL;
	}
	pthread_setname_np(s->writer, "ch-store-writer");
	s->writer_started = 1;
	return CH_OK;
}

void ch_store_sqlite_writer_stop(ch_store *s)
{
	if (!s->writer_started)
		return;
	pthread_mutex_lock(&s->q_mu);
	s->stopping = 1;
	pthread_cond_signal(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
	/* The writer only exits once the queue is empty: every job completes. */
	pthread_join(s->writer, NULL);
	s->writer_started = 0;
}

/* Wakes the writer for writes queued with the wake-up deferred
 * (ch_store_defer_wakeups, store.c). */
void ch_store_sqlite_wake(ch_store *s)
{
	pthread_mutex_lock(&s->q_mu);
	pthread_cond_signal(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
}

/* Queues a job; when bounded and the queue is full, returns -1 and queues
 * nothing. */
static int enqueue(ch_store *s, ch_store_job *j, int bounded)
{
	pthread_mutex_lock(&s->q_mu);
	if (bounded && s->q_max && s->q_len >= s->q_max) {
		pthread_mutex_unlock(&s->q_mu);
		return -1;
	}
	if (s->q_tail)
		s->q_tail->next = j;
	else
		s->q_head = j;
	s->q_tail = j;
	s->q_len++;
	if (!ch_store_backend_defer_wake(s))
		pthread_cond_signal(&s->q_cv);
	pthread_mutex_unlock(&s->q_mu);
	return 0;
}

static ch_store_job *job_new(ch_store_fn fn, void *arg, ch_store_done_fn done)
{
	ch_store_job *j = ch_xcalloc(1, sizeof *j);
	j->fn = fn;
	j->arg = arg;
	j->done = done;
	return j;
}

void ch_store_sqlite_write(ch_store *s, ch_store_fn fn, void *arg, ch_store_done_fn done)
{
	ch_store_job *j = job_new(fn, arg, done);
	if (enqueue(s, j, 1) == 0)
		return;
	/* Full: the writer is hopelessly behind; queuing more would only grow
	 * memory and every caller's latency. */
	free(j);
	if (done)
		done(arg, CH_ERR_BUSY);
}

/* One ch_store_sqlite_write_sync call: the caller's fn and arg, and the condvar the
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

ch_err ch_store_sqlite_write_sync(ch_store *s, ch_store_fn fn, void *arg)
{
	if (s->writer_started && pthread_equal(pthread_self(), s->writer)) {
		CH_ERROR("store: ch_store_sqlite_write_sync called on the writer thread");
		return CH_ERR_INTERNAL;
	}
	sync_call call = {.fn = fn, .arg = arg};
	pthread_mutex_init(&call.mu, NULL);
	pthread_cond_init(&call.cv, NULL);
	enqueue(s, job_new(sync_run, &call, sync_done), 0); /* never refused: the caller waits */
	ch_store_flush_wakeups(); /* about to sleep on it */
	pthread_mutex_lock(&call.mu);
	while (!call.done)
		pthread_cond_wait(&call.cv, &call.mu);
	pthread_mutex_unlock(&call.mu);
	pthread_mutex_destroy(&call.mu);
	pthread_cond_destroy(&call.cv);
	return call.err;
}

void ch_store_sqlite_stats_get(ch_store *s, ch_store_stats *out)
{
	pthread_mutex_lock(&s->q_mu);
	*out = s->stats;
	out->queue_len = s->q_len;
	pthread_mutex_unlock(&s->q_mu);
}

static ch_err read_revocations(ch_store_tx *tx, void *arg)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_REVOCATIONS_GET, &st);
	return err ? err : ch_store_sqlite_one_int64(tx, st, "revocations read", arg);
}

ch_err ch_store_sqlite_revocations_poll(ch_store *s, int *changed)
{
	int64_t gen = 0;
	*changed = 0;
	ch_err err = ch_store_sqlite_read(s, read_revocations, &gen);
	if (err != CH_OK)
		return err;
	int64_t seen = atomic_exchange(&s->revocations_seen, gen);
	if (seen != gen) {
		/* also this process's own revocations, already counted: harmless, a cache refill */
		atomic_fetch_add(&s->principals_gen, 1);
		*changed = 1;
	}
	return CH_OK;
}

void ch_store_sqlite_principals_stale(ch_store *s) { atomic_fetch_add(&s->principals_gen, 1); }

uint64_t ch_store_sqlite_principals_gen(ch_store *s)
{
	return atomic_load(&s->principals_gen);
}
