/* sqlite_int.h — private to the SQLite backend of store.h (src/store/sqlite/).
 *
 * A ch_store_tx is one SQLite connection plus its cache of prepared
 * statements: the writer thread owns one, and every thread that reads owns one
 * of its own. A connection is only ever used by one thread at a time, which is
 * why connections are opened with SQLITE_OPEN_NOMUTEX.
 */
#ifndef CH_STORE_SQLITE_INT_H
#define CH_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/backend.h"
#include "store/check.h"
#include "store/events.h"
#include "store/fill.h"
#include "store/writeq.h"
#include "store/sqlite/sqlite_sql.h"
#include "store/store.h"

CH_STORE_OPS_DECLARE(sqlite)
extern const ch_store_ops ch_store_sqlite_ops;

typedef enum ch_stmt_id {
#define CH_STMT_ENUM(id, sql) CH_STMT_##id,
	CH_SQLITE_STMTS(CH_STMT_ENUM)
#undef CH_STMT_ENUM
	CH_STMT__COUNT
} ch_stmt_id;

struct ch_store_tx {
	const ch_store_ops *ops;    /* first: store.c dispatches on it */
	ch_store *s;
	sqlite3 *db;
	int in_tx;                  /* inside ch_store_sqlite_read / a write batch */
	int principals_changed;     /* writer: this batch wrote what token checks read */
	struct ch_store_tx *next;   /* reader registry link (guarded by s->readers_mu) */
	ch_buf events;              /* writer: the running batch's outbox bytes */
	ch_oev_list oevs;           /* writer: the running batch's organization events */
	sqlite3_stmt *stmts[CH_STMT__COUNT];
};


struct ch_store {
	ch_store_common c; /* first: store.c dispatches on c.ops and queues on c.wq */
	char *path;
	int synchronous_full;
	int busy_timeout_ms;
	int schema_version; /* as of open */

	/* Writer (its queue, stats and batch sink are c.wq). */
	ch_store_tx *writer_conn;
	_Atomic uint64_t principals_gen; /* see ch_store_sqlite_principals_gen() */
	_Atomic int64_t revocations_seen; /* the database's counter at the last poll */
	uint64_t bseq;                    /* writer: payload batches handed to the sink */

	/* Checkpointer (checkpoint.c): its own connection and thread, woken by
	 * the writer's WAL hook; ckpt_mu guards the flags. */
	ch_store_tx *ckpt_conn;
	pthread_t ckpt_thread;
	int ckpt_started;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	int ckpt_wanted, ckpt_running, ckpt_stopping;
	int ckpt_asked_at; /* the WAL's size in frames when the last round was asked for */

	/* Readers: one connection per thread, found through reader_key and
	 * listed in readers so close can close them all. */
	pthread_key_t reader_key;
	pthread_mutex_t readers_mu;
	ch_store_tx *readers;
};

/* walbuf.c */
#define CH_STORE_SQLITE_VFS "chathub"
/* Registers the "chathub" VFS (WAL frames written once per commit); call
 * once. SQLITE_OK, else connections open with SQLite's default VFS. */
int ch_store_sqlite_vfs_register(void);

/* checkpoint.c */
/* Opens the checkpoint connection, starts its thread, and takes automatic
 * checkpoints off the writer connection. */
ch_err ch_store_sqlite_checkpointer_start(ch_store *s);
/* Stops and joins the thread (the connection is closed with the store). */
void ch_store_sqlite_checkpointer_stop(ch_store *s);

/* conn.c */
/* Opens a connection with the per-connection pragmas; a reader connection is
 * query_only so that no write can bypass the writer thread. */
ch_err ch_store_sqlite_conn_open(ch_store *s, int reader, ch_store_tx **out);
/* Finalizes the cached statements and closes; NULL is a no-op. */
void ch_store_sqlite_conn_close(ch_store_tx *c);
/* Logs an SQLite failure (what: a short label, never a value) and maps it. */
ch_err ch_store_sqlite_fail(ch_store_tx *c, int rc, const char *what);
/* Runs SQL text once (pragmas, migrations); not for request-rate statements. */
ch_err ch_store_sqlite_exec(ch_store_tx *c, const char *sql, const char *what);
/* The connection's prepared statement for id, prepared on first use. */
ch_err ch_store_sqlite_prep(ch_store_tx *c, ch_stmt_id id, sqlite3_stmt **out);
/* Resets a statement and clears its bindings so borrowed strings are let go. */
void ch_store_sqlite_reset(sqlite3_stmt *st);
/* Steps a bound statement whose answer is one integer: *out gets the first
 * row's column 0, CH_ERR_NOT_FOUND when there is no row. Resets st. */
ch_err ch_store_sqlite_one_int64(ch_store_tx *tx, sqlite3_stmt *st, const char *what, int64_t *out);
/* Steps a statement that returns no row to completion, then resets it. */
ch_err ch_store_sqlite_step_done(ch_store_tx *c, sqlite3_stmt *st, const char *what);
/* Prepares and runs a parameterless statement that returns no row. */
ch_err ch_store_sqlite_run(ch_store_tx *c, ch_stmt_id id);
/* Binds text, or NULL when v is NULL; borrowed until the statement is reset. */
int ch_store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *v);
/* rc is the result of the bind calls: CH_OK, or the statement is reset and
 * the failure logged and mapped. */
ch_err ch_store_sqlite_bound(ch_store_tx *c, sqlite3_stmt *st, int rc, const char *what);
/* Copies a text column into a fixed buffer of cap bytes (NUL included); a
 * value that would not fit is CH_ERR_INTERNAL, never a silent truncation. */
ch_err ch_store_sqlite_col_text(sqlite3_stmt *st, int col, char *dst, size_t cap);

/* rows.c: small helpers shared by the second half of store.h. */
/* Binds ?1 and ?2, the (company_id, id) shape of most scoped statements. */
ch_err ch_store_sqlite_bind_ids(ch_store_tx *c, sqlite3_stmt *st, int64_t a, int64_t b,
                                const char *what);
/* Steps a bound query: CH_OK when it yields a row, CH_ERR_NOT_FOUND when none;
 * then resets it. */
ch_err ch_store_sqlite_exists(ch_store_tx *c, sqlite3_stmt *st, const char *what);
/* Prepares id, binds (a, b) as ?1, ?2 and answers like ch_store_sqlite_exists:
 * "is row b one of company a's". */
ch_err ch_store_sqlite_owned(ch_store_tx *c, ch_stmt_id id, int64_t a, int64_t b,
                             const char *what);
/* CH_ERR_NOT_FOUND when the last UPDATE/DELETE matched no row. */
ch_err ch_store_sqlite_matched(ch_store_tx *c, ch_err err);
/* LIMIT value for a "0 = no limit" count (SQLite reads a negative as none). */
int64_t ch_store_sqlite_limit(int64_t limit);

/* chat.c: reads chat rows (CH_SQL_CHAT_FROM) from a bound statement, then
 * resets it. fetch: one row or CH_ERR_NOT_FOUND; each: every row. */
ch_err ch_store_sqlite_chat_fetch(ch_store_tx *c, sqlite3_stmt *st, ch_chat_row *out);
ch_err ch_store_sqlite_chat_each(ch_store_tx *c, sqlite3_stmt *st, ch_chat_each_fn each,
                                 void *ctx);

/* chat.c: fills out from the current row of a statement selecting
 * CH_SQL_CHAT_COLS first. */
ch_err ch_store_sqlite_chat_fill(sqlite3_stmt *st, ch_chat_row *out);

/* chat_list.c: binds ch_chat_filter but its search (?1..?12) and, when the
 * statement has them, ?13 limit and ?14 offset. */
ch_err ch_store_sqlite_bind_chat_filter(ch_store_tx *tx, sqlite3_stmt *st, const ch_chat_filter *f);

/* search.c: ch_store_sqlite_chat_list with f->search set. */
ch_err ch_store_sqlite_chat_search(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total,
                                   ch_chat_each_fn each, void *ctx);

/* CH_OK when operator_id is one of the organization's operators (any status),
 * else CH_ERR_NOT_FOUND. */
ch_err ch_store_sqlite_operator_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                       int64_t operator_id);

/* migrate.c: applies pending migrations on c, safe against another process
 * doing the same at the same moment. */
ch_err ch_store_sqlite_migrate(ch_store_tx *c, int *applied_out, int *version_out);

/* writer.c */
ch_err ch_store_sqlite_writer_start(ch_store *s);
/* events.c: numbers and inserts the batch's organization events (writer). */
ch_err ch_store_sqlite_events_flush(ch_store_tx *tx);
/* Lets the writer finish every queued job, then joins it. */
void ch_store_sqlite_writer_stop(ch_store *s);

/* webhook.c: cursors at 0 for a new organization in the company's webhooks of
 * all organizations (org_create). */
ch_err ch_store_sqlite_webhook_cursors_new_org(ch_store_tx *tx, int64_t company_id, int64_t org_id);

#endif
