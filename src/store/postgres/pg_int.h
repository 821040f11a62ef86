/* pg_int.h — private to the PostgreSQL backend of store.h (src/store/postgres/).
 *
 * A ch_store_tx is one libpq connection plus which statements it has
 * prepared: the writer thread owns one, and every thread that reads owns one
 * of its own. A connection is only ever used by one thread at a time.
 *
 * Errors inside a transaction: PostgreSQL aborts the whole transaction on any
 * SQL error, so the first one marks the tx failed (with whether it was a
 * deadlock, lock timeout or serialisation failure, worth a retry, and whether
 * the connection is gone); every later statement of that transaction fails at
 * once without being sent, and the writer rolls the batch back (writer.c).
 */
#ifndef CH_STORE_PG_INT_H
#define CH_STORE_PG_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/backend.h"
#include "store/check.h"
#include "store/events.h"
#include "store/fill.h"
#include "store/writeq.h"
#include "store/postgres/pg_sql.h"
#include "store/store.h"

CH_STORE_OPS_DECLARE(pg)
extern const ch_store_ops ch_store_pg_ops;

typedef enum ch_pg_stmt {
#define CH_PG_ENUM(id, sql) CH_PG_##id,
	CH_PG_STMTS(CH_PG_ENUM)
#undef CH_PG_ENUM
	CH_PG__COUNT
} ch_pg_stmt;

struct ch_store_tx {
	const ch_store_ops *ops; /* first: store.c dispatches on it */
	ch_store *s;
	PGconn *conn;
	int in_tx;               /* inside ch_store_read / a write batch */
	int failed;              /* an SQL error aborted the transaction */
	int retry;               /* ... a deadlock, lock timeout or serialisation failure */
	int broken;              /* ... or the connection was lost */
	ch_err fail_err;         /* what the first failure maps to */
	int wrote;               /* writer: the running job changed a row */
	int principals_changed;  /* writer: this batch wrote what token checks read */
	ch_buf events;           /* writer: the running batch's outbox bytes */
	ch_oev_list oevs;        /* writer: the running batch's organization events */
	struct ch_store_tx *next; /* reader registry link (guarded by s->readers_mu) */
	unsigned char prepared[CH_PG__COUNT];
};


struct ch_store {
	ch_store_common c; /* first: store.c dispatches on c.ops and queues on c.wq */
	char *url;
	char *node_id;           /* NULL: no bus_log rows */
	int schema_version;      /* as of open */

	/* Writer (its queue, stats and batch sink are c.wq). */
	ch_store_tx *writer_conn;
	uint64_t bseq;           /* writer: the last payload batch committed */
	_Atomic uint64_t principals_gen;
	_Atomic int64_t revocations_seen;

	pthread_key_t reader_key;
	pthread_mutex_t readers_mu;
	ch_store_tx *readers;
};

/* Parameters of one statement: text (NUL-terminated, or binary with a length)
 * and integers, formatted into the struct itself. */
#define CH_PG_MAX_PARAMS 16
typedef struct ch_pg_params {
	int n;
	const char *values[CH_PG_MAX_PARAMS];
	int lengths[CH_PG_MAX_PARAMS];
	int formats[CH_PG_MAX_PARAMS];
	char nums[CH_PG_MAX_PARAMS][24];
} ch_pg_params;

void ch_pg_int(ch_pg_params *p, int64_t v);
/* NULL binds SQL NULL; the string is borrowed until the statement ran. */
void ch_pg_text(ch_pg_params *p, const char *s);
/* n bytes of text that need not end in NUL (sent in binary format). */
void ch_pg_textn(ch_pg_params *p, const char *s, size_t n);
/* bytea, sent in binary format. */
void ch_pg_bytes(ch_pg_params *p, const void *data, size_t n);
void ch_pg_null(ch_pg_params *p);

/* conn.c */
/* Opens a connection (application_name chathub/<node>/<role>, lock_timeout,
 * keepalives). */
ch_err ch_pg_conn_open(ch_store *s, const char *role, ch_store_tx **out);
void ch_pg_conn_close(ch_store_tx *c);
/* Reconnects a connection that was lost; its statements are prepared again
 * on their next use. CH_OK when it is usable. */
ch_err ch_pg_conn_check(ch_store_tx *c);
/* Starts a transaction with statement id (BEGIN, BEGIN_READ). A connection
 * found lost at that point (the server restarted since its last use) is
 * reconnected and the BEGIN sent once more: nothing had run on it yet. */
ch_err ch_pg_begin(ch_store_tx *c, ch_pg_stmt id);
/* Runs statement id; CH_OK with *res (PQclear it; res may be NULL to drop it)
 * when the statement succeeded, else the mapped error (tx marked failed). */
ch_err ch_pg_exec(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, PGresult **res);
/* ch_pg_exec, then CH_ERR_NOT_FOUND when no row came back (res cleared). */
ch_err ch_pg_one(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, PGresult **res);
/* ch_pg_exec of a statement answering one integer into *out (NOT_FOUND: no row). */
ch_err ch_pg_one_int64(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, int64_t *out);
/* ch_pg_exec of a statement that changes rows; CH_ERR_NOT_FOUND when it changed none. */
ch_err ch_pg_change(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p);
/* Runs SQL text once (migrations, the advisory lock); not for request rate. */
ch_err ch_pg_exec_text(ch_store_tx *tx, const char *sql, const char *what);
/* Rows changed by the statement of res. */
int64_t ch_pg_changed(PGresult *res);

/* Column readers: integers (NULL = 0), NULL test, text into a fixed buffer (a
 * value that would not fit is CH_ERR_INTERNAL, never a silent truncation). */
int64_t ch_pg_i64(const PGresult *r, int row, int col);
int ch_pg_isnull(const PGresult *r, int row, int col);
ch_err ch_pg_str(const PGresult *r, int row, int col, char *dst, size_t cap);
/* A bytea column as a new malloc'd buffer (free()); *n its length. */
ch_err ch_pg_bytea(const PGresult *r, int row, int col, unsigned char **out, size_t *n);

/* "is row b one of company a's": statement id with ($1 a, $2 b). */
ch_err ch_pg_owned(ch_store_tx *tx, ch_pg_stmt id, int64_t a, int64_t b);

/* chat.c: every chat row of res (CH_PG_CHAT_COLS) into each / one into out. */
ch_err ch_pg_chat_fill(const PGresult *r, int row, ch_chat_row *out);
ch_err ch_pg_operator_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id);
/* chat.c: ch_chat_filter but its search as $1..$11. */
void ch_pg_bind_chat_filter(ch_pg_params *p, const ch_chat_filter *f);
/* search.c: ch_store_pg_chat_list with f->search set. */
ch_err ch_pg_chat_search(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total, ch_chat_each_fn each,
                         void *ctx);

/* cluster.c: holds, until the transaction ends, the lock of one budget (a
 * count, then an insert): another process creating under the same budget
 * waits, then counts what this one committed. */
typedef enum { CH_PG_BUDGET_CANNED_ORG = 1, CH_PG_BUDGET_CANNED_OPERATOR = 2, CH_PG_BUDGET_LABELS = 3,
               CH_PG_BUDGET_WEBHOOKS = 4, CH_PG_BUDGET_CHANNEL_CONNS = 5 } ch_pg_budget;
ch_err ch_pg_budget_lock(ch_store_tx *tx, ch_pg_budget kind, int64_t id);

/* migrate.c: applies pending migrations under a session advisory lock. */
ch_err ch_pg_migrate(ch_store_tx *c, int *applied_out, int *version_out);

/* events.c: numbers and inserts the batch's organization events (writer). */
ch_err ch_pg_events_flush(ch_store_tx *tx);

/* writer.c */
ch_err ch_pg_writer_start(ch_store *s);
void ch_pg_writer_stop(ch_store *s);

/* webhook.c: cursors at 0 for a new organization in the company's webhooks of
 * all organizations (org_create). */
ch_err ch_pg_webhook_cursors_new_org(ch_store_tx *tx, int64_t company_id, int64_t org_id);

#endif
