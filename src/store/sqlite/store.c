/* store.c — the SQLite backend's lifecycle and read path: ch_store_sqlite_open
 * (WAL, migrations, checkpointer and writer threads), ch_store_sqlite_close, ch_store_sqlite_read.
 *
 * Threading: open and close run on one thread while no other thread uses the
 * store. ch_store_sqlite_read runs on the calling thread with that thread's own
 * connection, opened on its first read and found again through a pthread key;
 * every reader connection is also listed in a registry (readers_mu) so close
 * can close them all. A reader connection lives until ch_store_sqlite_close: readers
 * are expected to be long-lived worker threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

static int wal_try(ch_store_tx *c, char *mode, size_t cap)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(mode, cap, "%s", t ? (const char *)t : "");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static ch_err enable_wal(ch_store_tx *c)
{
	/* Switching a new file to WAL needs a lock a concurrent opener may hold,
	 * and SQLite may answer BUSY here without waiting: retry until timeout. */
	char mode[16] = "";
	int64_t deadline = ch_mono_ms() + c->s->busy_timeout_ms;
	int rc;
	while (((rc = wal_try(c, mode, sizeof mode)) & 0xff) == SQLITE_BUSY &&
	       ch_mono_ms() < deadline)
		sqlite3_sleep(5);
	if (rc != SQLITE_OK)
		return ch_store_sqlite_fail(c, rc, "journal_mode = WAL");
	if (strcmp(mode, "wal") != 0) {
		/* Readers on their own connections need WAL (e.g. ":memory:" cannot). */
		CH_ERROR("store: %s cannot use WAL (journal mode %s)", c->s->path, mode);
		return CH_ERR_STORE;
	}
	return CH_OK;
}

static void store_free(ch_store *s)
{
	ch_store_sqlite_conn_close(s->ckpt_conn);
	ch_store_sqlite_conn_close(s->writer_conn);
	ch_store_tx *next;
	for (ch_store_tx *c = s->readers; c; c = next) {
		next = c->next;
		ch_store_sqlite_conn_close(c);
	}
	pthread_key_delete(s->reader_key);
	pthread_mutex_destroy(&s->readers_mu);
	ch_writeq_destroy(&s->c.wq);
	pthread_mutex_destroy(&s->ckpt_mu);
	pthread_cond_destroy(&s->ckpt_cv);
	free(s->path);
	free(s);
}

const ch_store_ops ch_store_sqlite_ops = {.name = "sqlite", CH_STORE_OPS_INIT(sqlite)};

static ch_err store_new(const ch_store_opts *opts, const char *path, ch_store **out)
{
	*out = NULL;
	if (!opts || !path || !path[0] || opts->busy_timeout_ms < 0) {
		CH_ERROR("store: invalid options");
		return CH_ERR_INTERNAL;
	}
	if (!sqlite3_threadsafe()) {
		CH_ERROR("store: the SQLite library was built without thread support");
		return CH_ERR_INTERNAL;
	}
	ch_store *s = ch_xcalloc(1, sizeof *s);
	if (pthread_key_create(&s->reader_key, NULL) != 0) {
		CH_ERROR("store: no thread-local key left");
		free(s);
		return CH_ERR_INTERNAL;
	}
	s->c.ops = &ch_store_sqlite_ops;
	s->path = ch_xstrdup(path);
	s->synchronous_full = opts->synchronous_full != 0;
	s->busy_timeout_ms = opts->busy_timeout_ms;
	ch_writeq_init(&s->c.wq, s, opts->queue_max);
	pthread_mutex_init(&s->readers_mu, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	*out = s;
	return CH_OK;
}

/* WAL mode and the pending migrations, on a connection of their own: a
 * migration may change a table's definition in place (024), and the writer's
 * connection must read the schema as it is afterwards. */
static ch_err migrate(ch_store *s, int *applied)
{
	ch_store_tx *c;
	ch_err err = ch_store_sqlite_conn_open(s, 0, &c);
	if (err != CH_OK)
		return err;
	err = enable_wal(c);
	if (err == CH_OK)
		err = ch_store_sqlite_migrate(c, applied, &s->schema_version);
	ch_store_sqlite_conn_close(c);
	return err;
}

ch_err ch_store_sqlite_open(const ch_store_opts *opts, const char *path, ch_store **out,
                            int *applied_out)
{
	ch_store *s;
	int applied = 0;
	*out = NULL;
	ch_err err = store_new(opts, path, &s);
	if (err != CH_OK)
		return err;
	err = migrate(s, &applied);
	if (err == CH_OK)
		err = ch_store_sqlite_conn_open(s, 0, &s->writer_conn);
	if (err == CH_OK)
		err = ch_store_sqlite_checkpointer_start(s);
	if (err == CH_OK)
		err = ch_store_sqlite_writer_start(s);
	int changed;
	if (err == CH_OK) /* the first poll compares with what is there now */
		err = ch_store_sqlite_revocations_poll(s, &changed);
	if (err != CH_OK)
		goto out;
	*out = s;
	if (applied_out)
		*applied_out = applied;
out:
	if (err != CH_OK) {
		ch_store_sqlite_writer_stop(s);
		ch_store_sqlite_checkpointer_stop(s);
		store_free(s);
	}
	return err;
}

void ch_store_sqlite_close(ch_store *s)
{
	if (!s)
		return;
	ch_store_sqlite_writer_stop(s);
	ch_store_sqlite_checkpointer_stop(s);
	store_free(s);
}

int ch_store_sqlite_schema_version(ch_store *s) { return s->schema_version; }

static ch_err reader_conn(ch_store *s, ch_store_tx **out)
{
	ch_store_tx *c = pthread_getspecific(s->reader_key);
	if (c) {
		*out = c;
		return CH_OK;
	}
	ch_err err = ch_store_sqlite_conn_open(s, 1, &c);
	if (err != CH_OK)
		return err;
	pthread_mutex_lock(&s->readers_mu);
	c->next = s->readers;
	s->readers = c;
	pthread_mutex_unlock(&s->readers_mu);
	/* On failure the connection stays registered and is closed by close. */
	if (pthread_setspecific(s->reader_key, c) != 0) {
		CH_ERROR("store: cannot remember this thread's read connection");
		return CH_ERR_INTERNAL;
	}
	*out = c;
	return CH_OK;
}

ch_err ch_store_sqlite_read(ch_store *s, ch_store_fn fn, void *arg)
{
	ch_store_tx *c;
	ch_err err = reader_conn(s, &c);
	if (err != CH_OK)
		return err;
	/* A read nested in a read on this thread joins the outer snapshot. */
	if (c->in_tx)
		return fn(c, arg);
	err = ch_store_sqlite_run(c, CH_STMT_BEGIN);
	if (err != CH_OK)
		return err;
	c->in_tx = 1;
	err = fn(c, arg);
	c->in_tx = 0;
	ch_err end = ch_store_sqlite_run(c, CH_STMT_COMMIT);
	/* Never keep a snapshot open: it would pin the WAL against checkpoints. */
	if (end != CH_OK && !sqlite3_get_autocommit(c->db))
		ch_store_sqlite_run(c, CH_STMT_ROLLBACK);
	return err != CH_OK ? err : end;
}

ch_err ch_store_sqlite_ping(ch_store_tx *tx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_PING, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	err = rc == SQLITE_ROW ? CH_OK : ch_store_sqlite_fail(tx, rc, "ping");
	ch_store_sqlite_reset(st);
	return err;
}
