/* writer.c — the store's single writer thread and its group commit.
 *
 * The queue is writeq.c's (bounded; a full queue refuses with CH_ERR_BUSY on
 * the caller's thread); the writer takes every queued job at once, runs them
 * in one BEGIN IMMEDIATE transaction, each inside its own savepoint so a
 * failing job is undone alone (with the organization events it added), numbers
 * and inserts the batch's organization events (events.c), commits once, and
 * only then calls the jobs' done callbacks: one fsync acknowledges the whole
 * batch.
 *
 * Threading: the queue, the stats, the sink and the done callbacks are
 * writeq.c's. The writer connection is used by the writer thread only.
 */
#include <stdlib.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

/* Runs one job in its savepoint. Returns 0 when the enclosing transaction is
 * gone (SQLite rolls back everything on some I/O errors), 1 otherwise. */
static int run_job(ch_store_tx *c, ch_store_job *j)
{
	if (ch_store_sqlite_run(c, CH_STMT_SAVEPOINT) != CH_OK) {
		j->err = CH_ERR_STORE;
		return !sqlite3_get_autocommit(c->db);
	}
	size_t events_mark = c->events.len; /* a failed job's events go with its writes */
	size_t oevs_mark = c->oevs.n;
	j->err = j->fn(c, j->arg);
	if (j->err != CH_OK) {
		c->events.len = events_mark;
		ch_oev_truncate(&c->oevs, oevs_mark);
	}
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
	/* the batch's organization events, numbered in the same transaction */
	if (ok && c->oevs.n)
		ok = ch_store_sqlite_events_flush(c) == CH_OK;
	ch_oev_truncate(&c->oevs, 0);
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

/* Hands the committed batch's events to the sink (only this process reads
 * them: SQLite has no other process to replay for). */
static void publish_events(ch_store *s)
{
	ch_buf *ev = &s->writer_conn->events;
	void *ctx;
	ch_store_batch_sink sink = ch_writeq_sink(&s->c.wq, &ctx);
	if (ev->len && sink)
		sink(ctx, ++s->bseq, ev->data, ev->len);
	ch_buf_reset(ev);
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
	while ((batch = ch_writeq_take(&s->c.wq, &n)) != NULL) {
		int committed = run_batch(s->writer_conn, batch);
		/* Stats first, so a caller woken by done already sees its job counted;
		 * the generation too, so no cache serves a revoked token after done. */
		ch_writeq_record(&s->c.wq, batch, n, committed);
		if (s->writer_conn->principals_changed) {
			s->writer_conn->principals_changed = 0;
			atomic_fetch_add(&s->principals_gen, 1);
		}
		publish_events(s);
		ch_writeq_finish(batch);
	}
	return NULL;
}

ch_err ch_store_sqlite_writer_start(ch_store *s)
{
	return ch_writeq_start(&s->c.wq, writer_main, s);
}

void ch_store_sqlite_writer_stop(ch_store *s) { ch_writeq_stop(&s->c.wq); }

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
