/* writer.c — the PostgreSQL backend's writer thread and its group commit.
 *
 * The queue is writeq.c's, shared with the SQLite writer (bounded; a full
 * queue refuses with CH_ERR_BUSY on the caller's thread). A batch runs in one READ COMMITTED
 * transaction WITHOUT savepoints (each would be a subtransaction, and many
 * of them with row locks slow the whole server down):
 *  - a job that returns an error having written nothing keeps its error and
 *    the batch goes on (the common case: checks come before writes);
 *  - a job that wrote and then failed, or any SQL error, rolls the batch
 *    back, and the batch runs again without that job; a deadlock, lock
 *    timeout or serialisation failure (40P01, 55P03, 40001) runs it again
 *    with the job, at most CH_PG_TRIES times;
 *  - the batch's organization events are numbered and inserted (events.c),
 *    and its outbox bytes become one bus_log row (node_id, bseq), just
 *    before COMMIT, so they exist if and only if the batch committed;
 *  - when the connection is lost during COMMIT the outcome is unknown: the
 *    writer reconnects, ends the old backend, and looks for the batch's
 *    bus_log row; without one to look for, the jobs answer CH_ERR_STORE
 *    (never a false OK).
 * After COMMIT: stats, the principals generation, the batch sink, then every
 * job's done callback, on the writer thread.
 *
 * Threading: the queue, the stats and the sink are writeq.c's. The writer
 * connection is used by the writer thread only.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/postgres/pg_int.h"

#define CH_PG_TRIES 5 /* runs of a job whose batch hit a lock conflict */

static void tx_reset(ch_store_tx *c)
{
	c->failed = c->retry = 0;
	c->fail_err = CH_OK;
	c->wrote = 0;
	c->principals_changed = 0;
	ch_buf_reset(&c->events);
	ch_oev_truncate(&c->oevs, 0);
}

static void rollback(ch_store_tx *c)
{
	c->failed = 0; /* ROLLBACK is the one statement an aborted transaction takes */
	if (!c->broken)
		ch_pg_exec(c, CH_PG_ROLLBACK, NULL, NULL);
	c->in_tx = 0;
}

typedef enum { RUN_COMMIT, RUN_REPLAY, RUN_FAIL } run_result;

/* Runs one job; RUN_REPLAY when the batch must be rolled back and run again. */
static run_result run_job(ch_store_tx *c, ch_store_job *j)
{
	size_t mark = c->events.len, oevs_mark = c->oevs.n;
	c->wrote = 0;
	ch_err err = j->fn(c, j->arg);
	if (c->failed) {
		if (c->broken)
			return RUN_FAIL;
		if (c->retry && ++j->tries < CH_PG_TRIES)
			return RUN_REPLAY; /* runs again, with the job */
		j->err = c->retry ? CH_ERR_STORE : err != CH_OK ? err : c->fail_err;
		j->settled = 1;
		return RUN_REPLAY;
	}
	j->err = err;
	if (err == CH_OK)
		return RUN_COMMIT;
	c->events.len = mark;
	ch_oev_truncate(&c->oevs, oevs_mark);
	j->settled = 1;
	return c->wrote ? RUN_REPLAY : RUN_COMMIT;
}

/* The batch's last statements: its organization events (each organization's
 * head row locked from here to COMMIT only), the revocation counter and the
 * outbox row. */
static ch_err finish_batch(ch_store *s, ch_store_tx *c)
{
	ch_err err = c->oevs.n ? ch_pg_events_flush(c) : CH_OK;
	if (err == CH_OK && c->principals_changed)
		err = ch_pg_exec(c, CH_PG_REVOCATIONS_BUMP, NULL, NULL);
	if (err == CH_OK && c->events.len && s->node_id) {
		ch_pg_params p = {0};
		ch_pg_text(&p, s->node_id);
		ch_pg_int(&p, (int64_t)s->bseq + 1);
		ch_pg_bytes(&p, c->events.data, c->events.len);
		err = ch_pg_exec(c, CH_PG_BUS_LOG_INSERT, &p, NULL);
	}
	return err;
}

/* The connection dropped during COMMIT: did the batch commit? Only a bus_log
 * row tells; the old backend is ended first so that it cannot commit later. */
static int commit_outcome(ch_store *s, ch_store_tx *c, int old_pid, int had_row)
{
	if (!had_row || ch_pg_conn_check(c) != CH_OK)
		return 0;
	ch_pg_params p = {0};
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", old_pid);
	ch_pg_exec_text(c, sql, "end the old writer backend");
	snprintf(sql, sizeof sql, "SELECT 1 FROM pg_stat_activity WHERE pid = %d", old_pid);
	for (int i = 0; i < 100; i++) {
		PGresult *r = PQexec(c->conn, sql);
		int gone = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 0;
		PQclear(r);
		if (gone)
			break;
		usleep(50 * 1000);
	}
	ch_pg_text(&p, s->node_id);
	ch_pg_int(&p, (int64_t)s->bseq + 1);
	int64_t one = 0;
	c->failed = 0;
	return ch_pg_one_int64(c, CH_PG_BUS_LOG_HAS, &p, &one) == CH_OK;
}

/* One attempt at the batch. */
static run_result attempt(ch_store *s, ch_store_tx *c, ch_store_job *batch)
{
	tx_reset(c);
	if (ch_pg_conn_check(c) != CH_OK || ch_pg_begin(c, CH_PG_BEGIN) != CH_OK)
		return RUN_FAIL;
	c->in_tx = 1;
	for (ch_store_job *j = batch; j; j = j->next) {
		if (j->settled)
			continue;
		run_result r = run_job(c, j);
		if (r != RUN_COMMIT) {
			rollback(c);
			return r;
		}
	}
	if (finish_batch(s, c) != CH_OK) {
		rollback(c);
		return c->broken ? RUN_FAIL : RUN_REPLAY;
	}
	int pid = PQbackendPID(c->conn);
	int had_row = c->events.len && s->node_id;
	c->in_tx = 0;
	if (ch_pg_exec(c, CH_PG_COMMIT, NULL, NULL) == CH_OK)
		return RUN_COMMIT;
	if (c->broken && commit_outcome(s, c, pid, had_row)) {
		CH_WARN("store: the connection dropped during COMMIT; the batch had committed");
		return RUN_COMMIT;
	}
	return RUN_FAIL;
}

/* Returns 1 when the batch committed; else every unsettled job's err is CH_ERR_STORE. */
static int run_batch(ch_store *s, ch_store_tx *c, ch_store_job *batch, size_t n)
{
	/* every replay settles a job or spends one of its tries: bounded */
	for (size_t i = 0; i < n * (CH_PG_TRIES + 1) + 1; i++) {
		run_result r = attempt(s, c, batch);
		if (r == RUN_COMMIT)
			return 1;
		if (r == RUN_FAIL)
			break;
		ch_writeq_count_replay(&s->c.wq);
	}
	for (ch_store_job *j = batch; j; j = j->next)
		if (!j->settled)
			j->err = CH_ERR_STORE;
	ch_buf_reset(&c->events);
	ch_oev_truncate(&c->oevs, 0);
	c->principals_changed = 0;
	return 0;
}

static void publish_events(ch_store *s, ch_store_tx *c)
{
	void *ctx;
	ch_store_batch_sink sink = ch_writeq_sink(&s->c.wq, &ctx);
	if (c->events.len) {
		s->bseq++;
		if (sink)
			sink(ctx, s->bseq, c->events.data, c->events.len);
	}
	ch_buf_reset(&c->events);
}

static void *writer_main(void *arg)
{
	ch_store *s = arg;
	ch_store_tx *c = s->writer_conn;
	size_t n;
	ch_store_job *batch;
	while ((batch = ch_writeq_take(&s->c.wq, &n)) != NULL) {
		int committed = run_batch(s, c, batch, n);
		ch_writeq_record(&s->c.wq, batch, n, committed);
		if (committed && c->principals_changed)
			atomic_fetch_add(&s->principals_gen, 1);
		c->principals_changed = 0;
		if (committed)
			publish_events(s, c);
		ch_writeq_finish(batch);
	}
	return NULL;
}

ch_err ch_pg_writer_start(ch_store *s) { return ch_writeq_start(&s->c.wq, writer_main, s); }

void ch_pg_writer_stop(ch_store *s) { ch_writeq_stop(&s->c.wq); }

void ch_store_pg_tx_add_events(ch_store_tx *tx, const void *bytes, size_t len)
{
	if (tx == tx->s->writer_conn && len)
		ch_buf_append(&tx->events, bytes, len);
}
