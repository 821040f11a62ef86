/* presence.c — the SQLite side of cluster nodes and operator presence
 * (store.h: ch_store_node_*, ch_store_nodes_reap, ch_store_presence_*).
 *
 * The tables are the PostgreSQL ones (migration 009) so that one svc/ code
 * path runs on both: a SQLite database has one process, one node at a time,
 * and a restart's new node reaps the rows of the one before. The clock is
 * this host's real one plus clock_offset (ch_lease_ms, never the test
 * clock: leases follow real time, as PostgreSQL's clock_timestamp).
 * Threading: inside a job or read function, on the thread that owns tx.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

/* ---- statements with the (text, int, int) shapes used here -------------- */

static ch_err run_node(ch_store_tx *tx, ch_stmt_id id, const char *node_id, int64_t a, int64_t b, int nargs,
                       const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err)
		return err;
	int rc = ch_store_sqlite_bind_text(st, 1, node_id);
	if (rc == SQLITE_OK && nargs > 0)
		rc = sqlite3_bind_int64(st, 2, a);
	if (rc == SQLITE_OK && nargs > 1)
		rc = sqlite3_bind_int64(st, 3, b);
	err = ch_store_sqlite_bound(tx, st, rc, what);
	return err ? err : ch_store_sqlite_step_done(tx, st, what);
}

static ch_err run_ids(ch_store_tx *tx, ch_stmt_id id, int64_t a, int64_t b, int nargs, const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(st, 1, a);
	if (rc == SQLITE_OK && nargs > 1)
		rc = sqlite3_bind_int64(st, 2, b);
	err = ch_store_sqlite_bound(tx, st, rc, what);
	return err ? err : ch_store_sqlite_step_done(tx, st, what);
}

static void read_row(sqlite3_stmt *st, ch_presence_row *r)
{
	r->operator_id = sqlite3_column_int64(st, 0);
	r->company_id = sqlite3_column_int64(st, 1);
	r->org_id = sqlite3_column_int64(st, 2);
	int away = sqlite3_column_int(st, 3);
	r->idle_since = sqlite3_column_int64(st, 4);
	r->offline_since = sqlite3_column_int64(st, 5);
	r->connections = sqlite3_column_int64(st, 6);
	r->state = r->connections == 0 ? CH_PRESENCE_ROW_OFFLINE : away ? CH_PRESENCE_ROW_AWAY : CH_PRESENCE_ROW_ONLINE;
}

/* Steps a bound CH_SQL_PRESENCE_FROM query: each row to each (or the first
 * into *one), then resets it. */
static ch_err presence_rows(ch_store_tx *tx, sqlite3_stmt *st, ch_presence_each_fn each, void *ctx,
                            ch_presence_row *one, const char *what)
{
	int rc;
	ch_err err = CH_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ch_presence_row r;
		read_row(st, &r);
		if (one) {
			*one = r;
			rc = SQLITE_DONE;
			break;
		}
		each(ctx, &r);
	}
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, what);
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_presence_get(ch_store_tx *tx, int64_t operator_id, ch_presence_row *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	out->operator_id = operator_id;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_PRESENCE_GET, &st);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(st, 1, operator_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, ch_lease_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "presence get");
	return err ? err : presence_rows(tx, st, NULL, NULL, out, "presence get");
}

ch_err ch_store_sqlite_presence_online(ch_store_tx *tx, int64_t org_id, ch_presence_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_PRESENCE_ONLINE, &st);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, ch_lease_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "presence online");
	return err ? err : presence_rows(tx, st, each, ctx, NULL, "presence online");
}

/* After the operator's connections changed: offline_since follows whether it
 * has any left anywhere. *out gets the row after. */
static ch_err settle(ch_store_tx *tx, int64_t operator_id, int64_t offline_at, ch_presence_row *out)
{
	ch_err err = ch_store_sqlite_presence_get(tx, operator_id, out);
	if (err == CH_OK && out->connections > 0 && out->offline_since)
		err = run_ids(tx, CH_STMT_PRESENCE_CONNECTED, operator_id, 0, 1, "presence connected");
	else if (err == CH_OK && out->connections == 0 && !out->offline_since)
		err = run_ids(tx, CH_STMT_PRESENCE_OFFLINE, operator_id, offline_at, 2, "presence offline");
	return err ? err : ch_store_sqlite_presence_get(tx, operator_id, out);
}

ch_err ch_store_sqlite_presence_conn(ch_store_tx *tx, const char *node_id, int64_t company_id, int64_t org_id,
                              int64_t operator_id, int64_t connections, ch_presence_row *out, int *changed)
{
	sqlite3_stmt *st;
	int64_t now = ch_lease_ms(), renewed;
	ch_presence_row before, after;
	if (connections < 0 || operator_id <= 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_NODE_RENEWED_AT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, node_id), "node get");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "node get", &renewed);
	if (err == CH_OK)
		err = ch_store_sqlite_presence_get(tx, operator_id, &before);
	if (err == CH_OK && (err = ch_store_sqlite_prep(tx, CH_STMT_PRESENCE_ENSURE, &st)) == CH_OK) {
		int rc = sqlite3_bind_int64(st, 1, operator_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, company_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 3, org_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 4, now);
		err = ch_store_sqlite_bound(tx, st, rc, "presence ensure");
		if (err == CH_OK)
			err = ch_store_sqlite_step_done(tx, st, "presence ensure");
	}
	if (err == CH_OK && connections > 0)
		err = run_node(tx, CH_STMT_CONN_SET, node_id, operator_id, connections, 2, "connections set");
	else if (err == CH_OK)
		err = run_node(tx, CH_STMT_CONN_DELETE, node_id, operator_id, 0, 1, "connections delete");
	if (err == CH_OK)
		err = settle(tx, operator_id, now, &after);
	if (err == CH_OK && out)
		*out = after;
	if (err == CH_OK && changed)
		*changed = before.state != after.state;
	return err;
}

ch_err ch_store_sqlite_presence_set_away(ch_store_tx *tx, int64_t operator_id, int away, ch_presence_row *out,
                                  int *changed)
{
	ch_presence_row before, after;
	ch_err err = ch_store_sqlite_presence_get(tx, operator_id, &before);
	if (err == CH_OK && before.connections > 0)
		err = run_ids(tx, CH_STMT_PRESENCE_AWAY, operator_id, away ? 1 : 0, 2, "presence away");
	if (err == CH_OK)
		err = ch_store_sqlite_presence_get(tx, operator_id, &after);
	if (err == CH_OK && out)
		*out = after;
	if (err == CH_OK && changed)
		*changed = before.state != after.state;
	return err;
}

ch_err ch_store_sqlite_presence_touch(ch_store_tx *tx, int64_t operator_id)
{
	return run_ids(tx, CH_STMT_PRESENCE_TOUCH, operator_id, ch_lease_ms(), 2, "presence touch");
}

/* ---- nodes --------------------------------------------------------------- */

typedef struct id_list {
	int64_t *v;
	size_t n, cap;
} id_list;

static void id_push(id_list *l, int64_t id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = ch_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = id;
}

/* Drops a node and its connections; its operators left with none become
 * offline as of its last renewal. A missing node is no error. */
static ch_err drop_node(ch_store_tx *tx, const char *node_id, ch_presence_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	int64_t renewed;
	id_list ops = {0};
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_NODE_RENEWED_AT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, node_id), "node get");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "node get", &renewed);
	if (err)
		return err == CH_ERR_NOT_FOUND ? CH_OK : err;
	if ((err = ch_store_sqlite_prep(tx, CH_STMT_NODE_OPERATORS, &st)) == CH_OK &&
	    (err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, node_id), "node operators")) == CH_OK) {
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			id_push(&ops, sqlite3_column_int64(st, 0));
		if (rc != SQLITE_DONE)
			err = ch_store_sqlite_fail(tx, rc, "node operators");
		ch_store_sqlite_reset(st);
	}
	if (err == CH_OK)
		err = run_node(tx, CH_STMT_NODE_CONNS_DELETE, node_id, 0, 0, 0, "node connections delete");
	if (err == CH_OK)
		err = run_node(tx, CH_STMT_NODE_DELETE, node_id, 0, 0, 0, "node delete");
	for (size_t i = 0; err == CH_OK && i < ops.n; i++) {
		ch_presence_row before, after;
		err = ch_store_sqlite_presence_get(tx, ops.v[i], &before);
		if (err == CH_OK)
			err = settle(tx, ops.v[i], renewed, &after);
		/* reported when it went offline here (its live count may have
		 * dropped to 0 already when the lease ran out) */
		if (err == CH_OK && each && !before.offline_since && after.offline_since)
			each(ctx, &after);
	}
	free(ops.v);
	return err;
}

ch_err ch_store_sqlite_node_register(ch_store_tx *tx, const char *node_id, int64_t lease_ms,
                              ch_presence_each_fn each, void *ctx)
{
	ch_err err = ch_store_check_node(node_id, lease_ms);
	if (err == CH_OK)
		err = drop_node(tx, node_id, each, ctx);
	return err ? err : run_node(tx, CH_STMT_NODE_INSERT, node_id, ch_lease_ms(), lease_ms, 2, "node register");
}

ch_err ch_store_sqlite_node_renew(ch_store_tx *tx, const char *node_id, int64_t lease_ms, int *reaped)
{
	*reaped = 0;
	ch_err err = run_node(tx, CH_STMT_NODE_RENEW, node_id, ch_lease_ms(), lease_ms, 2, "node renew");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		*reaped = 1;
	return err;
}

ch_err ch_store_sqlite_nodes_reap(ch_store_tx *tx, ch_presence_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	char (*ids)[CH_NODE_ID_MAX + 1] = ch_xcalloc(64, sizeof *ids);
	size_t n = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_NODE_EXPIRED, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, ch_lease_ms()), "nodes expired");
	if (err == CH_OK) {
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 64)
			if (ch_store_sqlite_col_text(st, 0, ids[n], sizeof ids[n]) == CH_OK)
				n++;
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			err = ch_store_sqlite_fail(tx, rc, "nodes expired");
		ch_store_sqlite_reset(st);
	}
	for (size_t i = 0; err == CH_OK && i < n; i++)
		err = drop_node(tx, ids[i], each, ctx);
	free(ids);
	return err;
}

ch_err ch_store_sqlite_presence_due(ch_store_tx *tx, int64_t grace_ms, int64_t limit, ch_presence_each_fn each,
                             void *ctx)
{
	sqlite3_stmt *st;
	ch_presence_row *rows = NULL;
	size_t n = 0, cap = 0;
	int64_t now = ch_lease_ms();
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_PRESENCE_DUE, &st);
	if (err)
		return err;
	int rc = sqlite3_bind_int64(st, 1, now - grace_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, ch_store_sqlite_limit(limit));
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, now);
	if ((err = ch_store_sqlite_bound(tx, st, rc, "presence due")))
		return err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = ch_xrealloc(rows, cap * sizeof *rows);
		}
		read_row(st, &rows[n++]);
	}
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "presence due");
	ch_store_sqlite_reset(st);
	for (size_t i = 0; err == CH_OK && i < n; i++) {
		err = run_ids(tx, CH_STMT_PRESENCE_REQUEUED, rows[i].operator_id, 0, 1, "presence requeued");
		if (err == CH_OK && rows[i].connections == 0) /* offline_since is only set with none */
			each(ctx, &rows[i]);
	}
	free(rows);
	return err;
}
