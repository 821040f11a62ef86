/* conn.c — SQLite connections of the store: opening one with the pragmas every
 * connection needs, its cache of prepared statements, small step/bind/column
 * helpers, and the one mapping of SQLite result codes to ch_err.
 *
 * Threading: a connection belongs to one thread at a time (the writer thread,
 * or the reader thread it was opened for); nothing in this file is shared, so
 * nothing here locks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

static const char *const stmt_sql[CH_STMT__COUNT] = {
#define CH_STMT_SQL(id, sql) [CH_STMT_##id] = sql,
	CH_SQLITE_STMTS(CH_STMT_SQL)
#undef CH_STMT_SQL
};

static ch_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
		               ? CH_ERR_CONFLICT
		               : CH_ERR_INTERNAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return CH_ERR_STORE;
	default:
		return CH_ERR_INTERNAL;
	}
}

ch_err ch_store_sqlite_fail(ch_store_tx *c, int rc, const char *what)
{
	ch_err err = map_rc(rc);
	/* SQLite messages name columns, never bound values, so no secret leaks.
	 * A duplicate is an expected answer (CONFLICT), not a server fault. */
	const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
	if (err == CH_ERR_CONFLICT)
		CH_DEBUG("store: %s: %s (sqlite %d)", what, msg, rc);
	else
		CH_ERROR("store: %s: %s (sqlite %d)", what, msg, rc);
	return err;
}

ch_err ch_store_sqlite_exec(ch_store_tx *c, const char *sql, const char *what)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? CH_OK : ch_store_sqlite_fail(c, rc, what);
}

/* Every connection: foreign keys, and temp_store = MEMORY, which keeps the
 * statement journal of the writer's per-job savepoints in memory (on disk it
 * was two writes per page a job touched, more system calls than the commit
 * itself). Readers are query_only. The writer (and the checkpoint
 * connection) get a 64 MiB page cache, as a group commit touches the pages
 * of many chats, and journal_size_limit, which truncates the WAL back to
 * 64 MiB when it starts over. They also get secure_delete: what a write
 * frees or overwrites (an erased client's text, a redacted message, an old
 * search segment) is zeroed, not left in free space for the file to keep
 * (docs/privacy.md; measured on the chat bench, docs/security.md). */
static ch_err conn_pragmas(ch_store_tx *c, int reader)
{
	static const char *const reader_sql = " PRAGMA query_only = ON;";
	static const char *const writer_sql = " PRAGMA cache_size = -65536; PRAGMA journal_size_limit = 67108864;"
	                                        " PRAGMA secure_delete = ON;";
	char sql[256];
	snprintf(sql, sizeof sql,
	         "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA synchronous = %s;%s",
	         c->s->synchronous_full ? "FULL" : "NORMAL", reader ? reader_sql : writer_sql);
	return ch_store_sqlite_exec(c, sql, "connection pragmas");
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static const char *global_vfs;

/* Process-wide, before SQLite initialises: no allocation statistics (they
 * put a global mutex around every SQLite malloc, and nothing reads them),
 * and the "chathub" VFS. */
static void global_init(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* MISUSE if already initialised: harmless */
	global_vfs = ch_store_sqlite_vfs_register() == SQLITE_OK ? CH_STORE_SQLITE_VFS : NULL;
}

ch_err ch_store_sqlite_conn_open(ch_store *s, int reader, ch_store_tx **out)
{
	pthread_once(&global_once, global_init);
	ch_store_tx *c = ch_xcalloc(1, sizeof *c);
	c->ops = &ch_store_sqlite_ops;
	c->s = s;
	ch_err err = CH_OK;
	int rc = sqlite3_open_v2(s->path, &c->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                         global_vfs);
	if (rc != SQLITE_OK) {
		char what[64 + 512];
		snprintf(what, sizeof what, "open %.512s", s->path);
		err = ch_store_sqlite_fail(c, rc, what);
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, s->busy_timeout_ms);
	err = conn_pragmas(c, reader);
out:
	if (err != CH_OK) {
		ch_store_sqlite_conn_close(c);
		c = NULL;
	}
	*out = c;
	return err;
}

void ch_store_sqlite_conn_close(ch_store_tx *c)
{
	if (!c)
		return;
	for (int i = 0; i < CH_STMT__COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	ch_buf_free(&c->events);
	ch_oev_free(&c->oevs);
	int rc = sqlite3_close(c->db);
	if (rc != SQLITE_OK)
		ch_store_sqlite_fail(c, rc, "close");
	free(c);
}

ch_err ch_store_sqlite_prep(ch_store_tx *c, ch_stmt_id id, sqlite3_stmt **out)
{
	sqlite3_stmt *st = c->stmts[id];
	if (!st) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
		                            NULL);
		if (rc != SQLITE_OK)
			return ch_store_sqlite_fail(c, rc, stmt_sql[id]);
		c->stmts[id] = st;
	} else if (sqlite3_stmt_busy(st)) {
		/* A list callback calling back into the same statement would reset
		 * the outer loop under its feet: refuse rather than corrupt it. */
		CH_ERROR("store: statement re-entered while still running: %s", stmt_sql[id]);
		return CH_ERR_INTERNAL;
	}
	*out = st;
	return CH_OK;
}

void ch_store_sqlite_reset(sqlite3_stmt *st)
{
	/* reset repeats the last step's error, already reported by the caller. */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

ch_err ch_store_sqlite_step_done(ch_store_tx *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	ch_err err = rc == SQLITE_DONE ? CH_OK : ch_store_sqlite_fail(c, rc, what);
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_run(ch_store_tx *c, ch_stmt_id id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(c, id, &st);
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_step_done(c, st, stmt_sql[id]);
}

ch_err ch_store_sqlite_bound(ch_store_tx *c, sqlite3_stmt *st, int rc, const char *what)
{
	if (rc == SQLITE_OK)
		return CH_OK;
	ch_err err = ch_store_sqlite_fail(c, rc, what);
	ch_store_sqlite_reset(st);
	return err;
}

int ch_store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	/* STATIC: the caller's string outlives the statement's use (reset clears). */
	return v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

ch_err ch_store_sqlite_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (!t && sqlite3_column_type(st, col) != SQLITE_NULL) {
		CH_ERROR("store: cannot read column %s", sqlite3_column_name(st, col));
		return CH_ERR_INTERNAL;
	}
	if (n < 0 || (size_t)n >= cap) {
		CH_ERROR("store: column %s holds %d bytes, more than its %zu-byte field",
		         sqlite3_column_name(st, col), n, cap - 1);
		return CH_ERR_INTERNAL;
	}
	if (n > 0)
		memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return CH_OK;
}

ch_err ch_store_sqlite_one_int64(ch_store_tx *tx, sqlite3_stmt *st, const char *what, int64_t *out)
{
	ch_err err = CH_OK;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, what);
	ch_store_sqlite_reset(st);
	return err;
}
