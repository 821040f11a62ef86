/* conn.c — libpq connections of the PostgreSQL backend: opening one with the
 * session settings every connection needs, statements prepared once per
 * connection (again after a reconnect), parameters, column readers, and the
 * one mapping of SQLSTATEs to ch_err.
 *
 * Threading: a connection belongs to one thread at a time (the writer thread,
 * or the reader thread it was opened for); nothing in this file is shared, so
 * nothing here locks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/postgres/pg_int.h"

static const char *const stmt_sql[CH_PG__COUNT] = {
#define CH_PG_SQL(id, sql) [CH_PG_##id] = sql,
	CH_PG_STMTS(CH_PG_SQL)
#undef CH_PG_SQL
};

void ch_pg_int(ch_pg_params *p, int64_t v)
{
	int i = p->n++;
	snprintf(p->nums[i], sizeof p->nums[i], "%" PRId64, v);
	p->values[i] = p->nums[i];
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void ch_pg_text(ch_pg_params *p, const char *s)
{
	int i = p->n++;
	p->values[i] = s;
	p->lengths[i] = 0;
	p->formats[i] = 0;
}

void ch_pg_textn(ch_pg_params *p, const char *s, size_t n)
{
	int i = p->n++;
	p->values[i] = s ? s : "";
	p->lengths[i] = (int)n;
	p->formats[i] = 1; /* binary text: the bytes as they are, no NUL needed */
}

void ch_pg_bytes(ch_pg_params *p, const void *data, size_t n)
{
	int i = p->n++;
	p->values[i] = n ? data : "";
	p->lengths[i] = (int)n;
	p->formats[i] = 1;
}

void ch_pg_null(ch_pg_params *p) { ch_pg_text(p, NULL); }

/* SQLSTATE → ch_err, and whether a retry of the batch may succeed. */
static ch_err map_state(const char *state, int *retry)
{
	*retry = 0;
	if (!state)
		return CH_ERR_STORE;
	if (!strcmp(state, "40P01") || !strcmp(state, "55P03") || !strcmp(state, "40001")) {
		*retry = 1;
		return CH_ERR_STORE;
	}
	if (!strcmp(state, "23505"))
		return CH_ERR_CONFLICT;
	if (!strncmp(state, "22", 2))
		return CH_ERR_OUT_OF_RANGE; /* data exception: a value the column refuses */
	if (!strncmp(state, "08", 2) || !strncmp(state, "53", 2) || !strncmp(state, "57", 2) ||
	    !strncmp(state, "58", 2))
		return CH_ERR_STORE; /* connection, resources, operator intervention, system */
	return CH_ERR_INTERNAL;
}

/* Records the failure of a statement on tx and returns its mapped error. */
static ch_err fail(ch_store_tx *tx, PGresult *res, const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int retry = 0;
	ch_err err = map_state(state, &retry);
	if (PQstatus(tx->conn) != CONNECTION_OK) {
		tx->broken = 1;
		err = CH_ERR_STORE;
	}
	/* Messages name constraints and columns; parameters are not logged. */
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(tx->conn);
	if (err == CH_ERR_CONFLICT || retry)
		CH_DEBUG("store: %s: %s", what, msg);
	else
		CH_ERROR("store: %s: %s", what, msg);
	if (!tx->failed) {
		tx->failed = 1;
		tx->retry = retry;
		tx->fail_err = err;
	}
	return err;
}

static ch_err prepare(ch_store_tx *tx, ch_pg_stmt id)
{
	char name[16];
	snprintf(name, sizeof name, "c%d", (int)id);
	PGresult *res = PQprepare(tx->conn, name, stmt_sql[id], 0, NULL);
	ch_err err = CH_OK;
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
		err = fail(tx, res, stmt_sql[id]);
	else
		tx->prepared[id] = 1;
	PQclear(res);
	return err;
}

static int is_write(const char *tag)
{
	return !strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6);
}

ch_err ch_pg_exec(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, PGresult **out)
{
	if (out)
		*out = NULL;
	if (tx->failed) /* the transaction is aborted: nothing more can run in it */
		return tx->fail_err;
	ch_err err = tx->prepared[id] ? CH_OK : prepare(tx, id);
	if (err != CH_OK)
		return err;
	char name[16];
	snprintf(name, sizeof name, "c%d", (int)id);
	PGresult *res = PQexecPrepared(tx->conn, name, p ? p->n : 0, p ? p->values : NULL,
	                               p ? p->lengths : NULL, p ? p->formats : NULL, 0);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		err = fail(tx, res, stmt_sql[id]);
		PQclear(res);
		return err;
	}
	if (is_write(PQcmdStatus(res)) && ch_pg_changed(res) > 0)
		tx->wrote = 1;
	if (out)
		*out = res;
	else
		PQclear(res);
	return CH_OK;
}

ch_err ch_pg_begin(ch_store_tx *c, ch_pg_stmt id)
{
	c->failed = c->retry = c->broken = 0;
	ch_err err = ch_pg_exec(c, id, NULL, NULL);
	if (err != CH_OK && c->broken && ch_pg_conn_check(c) == CH_OK) {
		c->failed = c->retry = 0;
		err = ch_pg_exec(c, id, NULL, NULL);
	}
	return err;
}

ch_err ch_pg_one(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, PGresult **res)
{
	ch_err err = ch_pg_exec(tx, id, p, res);
	if (err == CH_OK && PQntuples(*res) == 0) {
		PQclear(*res);
		*res = NULL;
		err = CH_ERR_NOT_FOUND;
	}
	return err;
}

ch_err ch_pg_one_int64(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, int64_t *out)
{
	PGresult *res;
	ch_err err = ch_pg_one(tx, id, p, &res);
	if (err == CH_OK) {
		*out = ch_pg_i64(res, 0, 0);
		PQclear(res);
	}
	return err;
}

ch_err ch_pg_change(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p)
{
	PGresult *res;
	ch_err err = ch_pg_exec(tx, id, p, &res);
	if (err == CH_OK && ch_pg_changed(res) == 0)
		err = CH_ERR_NOT_FOUND;
	PQclear(res);
	return err;
}

ch_err ch_pg_exec_text(ch_store_tx *tx, const char *sql, const char *what)
{
	PGresult *res = PQexec(tx->conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	ch_err err = CH_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
		err = fail(tx, res, what);
	PQclear(res);
	return err;
}

int64_t ch_pg_changed(PGresult *res)
{
	const char *n = PQcmdTuples(res);
	return n && *n ? strtoll(n, NULL, 10) : 0;
}

int64_t ch_pg_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const char *v = PQgetvalue(r, row, col);
	if (v[0] == 't' || v[0] == 'f') /* a boolean column */
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

int ch_pg_isnull(const PGresult *r, int row, int col) { return PQgetisnull(r, row, col); }

ch_err ch_pg_str(const PGresult *r, int row, int col, char *dst, size_t cap)
{
	size_t n = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
	if (n >= cap) {
		CH_ERROR("store: column %s holds %zu bytes, more than its %zu-byte field", PQfname(r, col),
		         n, cap - 1);
		return CH_ERR_INTERNAL;
	}
	memcpy(dst, PQgetvalue(r, row, col), n);
	dst[n] = '\0';
	return CH_OK;
}

ch_err ch_pg_bytea(const PGresult *r, int row, int col, unsigned char **out, size_t *n)
{
	size_t len = 0;
	unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &len);
	if (!raw) {
		CH_ERROR("store: cannot decode column %s", PQfname(r, col));
		return CH_ERR_INTERNAL;
	}
	*out = ch_xmalloc(len ? len : 1);
	memcpy(*out, raw, len);
	PQfreemem(raw);
	*n = len;
	return CH_OK;
}

ch_err ch_pg_owned(ch_store_tx *tx, ch_pg_stmt id, int64_t a, int64_t b)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, a);
	ch_pg_int(&p, b);
	PGresult *res;
	ch_err err = ch_pg_one(tx, id, &p, &res);
	PQclear(res);
	return err;
}

/* Session settings: a lock wait longer than lock_timeout fails the batch with
 * 55P03, which the writer retries, rather than stalling every job queued
 * behind it; an idle transaction left open is ended by the server. Notices
 * stay on the server: a search of no word (to_tsquery says so) is not worth
 * a line on stderr. */
#define CH_PG_OPTIONS \
	"-c lock_timeout=500ms -c idle_in_transaction_session_timeout=60s -c client_min_messages=warning"

static PGconn *connect_url(ch_store *s, const char *role)
{
	char app[128];
	snprintf(app, sizeof app, "chathub/%.64s/%s", s->node_id ? s->node_id : "-", role);
	const char *keys[] = {"dbname", "application_name", "options", "connect_timeout",
	                      "keepalives", "keepalives_idle", NULL};
	const char *vals[] = {s->url, app, CH_PG_OPTIONS, "10", "1", "30", NULL};
	return PQconnectdbParams(keys, vals, 1);
}

ch_err ch_pg_conn_open(ch_store *s, const char *role, ch_store_tx **out)
{
	ch_store_tx *c = ch_xcalloc(1, sizeof *c);
	c->ops = &ch_store_pg_ops;
	c->s = s;
	c->conn = connect_url(s, role);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		/* libpq's message names host and database, never the password. */
		CH_ERROR("store: cannot connect to PostgreSQL: %s",
		         c->conn ? PQerrorMessage(c->conn) : "out of memory");
		ch_pg_conn_close(c);
		*out = NULL;
		return CH_ERR_STORE;
	}
	*out = c;
	return CH_OK;
}

void ch_pg_conn_close(ch_store_tx *c)
{
	if (!c)
		return;
	ch_buf_free(&c->events);
	ch_oev_free(&c->oevs);
	PQfinish(c->conn);
	free(c);
}

ch_err ch_pg_conn_check(ch_store_tx *c)
{
	if (PQstatus(c->conn) == CONNECTION_OK && !c->broken)
		return CH_OK;
	PQreset(c->conn);
	memset(c->prepared, 0, sizeof c->prepared);
	c->broken = 0;
	if (PQstatus(c->conn) != CONNECTION_OK) {
		CH_ERROR("store: PostgreSQL connection lost, reconnecting failed: %s", PQerrorMessage(c->conn));
		c->broken = 1;
		return CH_ERR_STORE;
	}
	CH_INFO("store: reconnected to PostgreSQL");
	return CH_OK;
}
