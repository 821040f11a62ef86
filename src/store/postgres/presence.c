/* presence.c — the PostgreSQL side of cluster nodes and operator presence
 * (store.h: ch_store_node_*, ch_store_nodes_reap, ch_store_presence_*).
 *
 * Several processes write these rows at once, so: one operator's changes are
 * ordered by its operator_presence row (upserted, hence locked, before its
 * connections are counted); a node is reaped under FOR UPDATE of its row, so
 * of two reapers the second finds it gone and reports nothing; the grace
 * sweep claims operators FOR UPDATE SKIP LOCKED and marks them in the same
 * transaction, so each offline period is reported once. Every time is the
 * database's clock (clock_timestamp), so the hosts' clocks do not matter.
 * Threading: inside a job or read function, on the thread that owns tx.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/postgres/pg_int.h"

static void read_row(const PGresult *res, int i, ch_presence_row *r)
{
	r->operator_id = ch_pg_i64(res, i, 0);
	r->company_id = ch_pg_i64(res, i, 1);
	r->org_id = ch_pg_i64(res, i, 2);
	int64_t away = ch_pg_i64(res, i, 3);
	r->idle_since = ch_pg_i64(res, i, 4);
	r->offline_since = ch_pg_i64(res, i, 5);
	r->connections = ch_pg_i64(res, i, 6);
	r->state = r->connections == 0 ? CH_PRESENCE_ROW_OFFLINE : away ? CH_PRESENCE_ROW_AWAY : CH_PRESENCE_ROW_ONLINE;
}

static ch_err run_id(ch_store_tx *tx, ch_pg_stmt id, int64_t a)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, a);
	return ch_pg_exec(tx, id, &p, NULL);
}

ch_err ch_store_pg_presence_get(ch_store_tx *tx, int64_t operator_id, ch_presence_row *out)
{
	PGresult *res;
	ch_pg_params p = {0};
	memset(out, 0, sizeof *out);
	out->operator_id = operator_id;
	ch_pg_int(&p, operator_id);
	ch_err err = ch_pg_exec(tx, CH_PG_PRESENCE_GET, &p, &res);
	if (err)
		return err;
	if (PQntuples(res) > 0)
		read_row(res, 0, out);
	PQclear(res);
	return CH_OK;
}

ch_err ch_store_pg_presence_online(ch_store_tx *tx, int64_t org_id, ch_presence_each_fn each, void *ctx)
{
	PGresult *res;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_err err = ch_pg_exec(tx, CH_PG_PRESENCE_ONLINE, &p, &res);
	if (err)
		return err;
	for (int i = 0; i < PQntuples(res); i++) {
		ch_presence_row r;
		read_row(res, i, &r);
		each(ctx, &r);
	}
	PQclear(res);
	return CH_OK;
}

/* After the operator's connections changed: offline_since follows whether it
 * has any left anywhere (offline_at 0 = now). *out gets the row after. */
static ch_err settle(ch_store_tx *tx, int64_t operator_id, int64_t offline_at, ch_presence_row *out)
{
	ch_err err = ch_store_pg_presence_get(tx, operator_id, out);
	if (err == CH_OK && out->connections > 0 && out->offline_since)
		err = run_id(tx, CH_PG_PRESENCE_CONNECTED, operator_id);
	else if (err == CH_OK && out->connections == 0 && !out->offline_since) {
		ch_pg_params p = {0};
		ch_pg_int(&p, operator_id);
		if (offline_at)
			ch_pg_int(&p, offline_at);
		else
			ch_pg_null(&p);
		err = ch_pg_exec(tx, CH_PG_PRESENCE_OFFLINE, &p, NULL);
	}
	return err ? err : ch_store_pg_presence_get(tx, operator_id, out);
}

ch_err ch_store_pg_presence_conn(ch_store_tx *tx, const char *node_id, int64_t company_id, int64_t org_id,
                                 int64_t operator_id, int64_t connections, ch_presence_row *out, int *changed)
{
	ch_presence_row before, after;
	if (connections < 0 || operator_id <= 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_text(&p, node_id);
	PGresult *res;
	ch_err err = ch_pg_one(tx, CH_PG_NODE_EXISTS, &p, &res);
	if (err)
		return err;
	PQclear(res);
	p = (ch_pg_params){0};
	ch_pg_int(&p, operator_id);
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	/* a row that exists is locked before it is read: the state before is
	 * the one the previous change of this operator committed */
	err = run_id(tx, CH_PG_PRESENCE_LOCK, operator_id);
	if (err == CH_OK)
		err = ch_store_pg_presence_get(tx, operator_id, &before);
	if (err == CH_OK)
		err = ch_pg_exec(tx, CH_PG_PRESENCE_ENSURE, &p, NULL);
	p = (ch_pg_params){0};
	ch_pg_text(&p, node_id);
	ch_pg_int(&p, operator_id);
	if (connections > 0)
		ch_pg_int(&p, connections);
	if (err == CH_OK)
		err = ch_pg_exec(tx, connections > 0 ? CH_PG_CONN_SET : CH_PG_CONN_DELETE, &p, NULL);
	if (err == CH_OK)
		err = settle(tx, operator_id, 0, &after);
	if (err == CH_OK && out)
		*out = after;
	if (err == CH_OK && changed)
		*changed = before.state != after.state;
	return err;
}

ch_err ch_store_pg_presence_set_away(ch_store_tx *tx, int64_t operator_id, int away, ch_presence_row *out,
                                     int *changed)
{
	ch_presence_row before, after;
	ch_err err = run_id(tx, CH_PG_PRESENCE_LOCK, operator_id);
	if (err == CH_OK)
		err = ch_store_pg_presence_get(tx, operator_id, &before);
	if (err == CH_OK && before.connections > 0) {
		ch_pg_params p = {0};
		ch_pg_int(&p, operator_id);
		ch_pg_int(&p, away ? 1 : 0);
		err = ch_pg_exec(tx, CH_PG_PRESENCE_AWAY, &p, NULL);
	}
	if (err == CH_OK)
		err = ch_store_pg_presence_get(tx, operator_id, &after);
	if (err == CH_OK && out)
		*out = after;
	if (err == CH_OK && changed)
		*changed = before.state != after.state;
	return err;
}

ch_err ch_store_pg_presence_touch(ch_store_tx *tx, int64_t operator_id)
{
	return run_id(tx, CH_PG_PRESENCE_TOUCH, operator_id);
}

/* ---- nodes --------------------------------------------------------------- */

/* Drops a node and its connections under the lock of its row; its operators
 * left with none become offline as of its last renewal. A node already gone
 * (another reaper) is no error and reports nothing. */
static ch_err drop_node(ch_store_tx *tx, const char *node_id, ch_presence_each_fn each, void *ctx)
{
	PGresult *res;
	int64_t renewed;
	ch_pg_params p = {0};
	ch_pg_text(&p, node_id);
	ch_err err = ch_pg_one_int64(tx, CH_PG_NODE_LOCK, &p, &renewed);
	if (err)
		return err == CH_ERR_NOT_FOUND ? CH_OK : err;
	if ((err = ch_pg_exec(tx, CH_PG_NODE_OPERATORS, &p, &res)))
		return err;
	int n = PQntuples(res);
	int64_t *ops = ch_xcalloc(n ? (size_t)n : 1, sizeof *ops);
	for (int i = 0; i < n; i++)
		ops[i] = ch_pg_i64(res, i, 0);
	PQclear(res);
	err = ch_pg_exec(tx, CH_PG_NODE_DELETE, &p, NULL); /* its connections go with it */
	for (int i = 0; err == CH_OK && i < n; i++) {
		ch_presence_row before, after;
		err = run_id(tx, CH_PG_PRESENCE_LOCK, ops[i]);
		if (err == CH_OK)
			err = ch_store_pg_presence_get(tx, ops[i], &before);
		if (err == CH_OK)
			err = settle(tx, ops[i], renewed, &after);
		if (err == CH_OK && each && !before.offline_since && after.offline_since)
			each(ctx, &after);
	}
	free(ops);
	return err;
}

ch_err ch_store_pg_node_register(ch_store_tx *tx, const char *node_id, int64_t lease_ms,
                                 ch_presence_each_fn each, void *ctx)
{
	ch_err err = ch_store_check_node(node_id, lease_ms);
	if (err == CH_OK)
		err = drop_node(tx, node_id, each, ctx);
	if (err)
		return err;
	ch_pg_params p = {0};
	ch_pg_text(&p, node_id);
	ch_pg_int(&p, lease_ms);
	return ch_pg_exec(tx, CH_PG_NODE_INSERT, &p, NULL);
}

ch_err ch_store_pg_node_renew(ch_store_tx *tx, const char *node_id, int64_t lease_ms, int *reaped)
{
	ch_pg_params p = {0};
	ch_pg_text(&p, node_id);
	ch_pg_int(&p, lease_ms);
	*reaped = 0;
	ch_err err = ch_pg_change(tx, CH_PG_NODE_RENEW, &p);
	if (err == CH_ERR_NOT_FOUND) {
		*reaped = 1;
		err = CH_OK;
	}
	return err;
}

ch_err ch_store_pg_nodes_reap(ch_store_tx *tx, ch_presence_each_fn each, void *ctx)
{
	PGresult *res;
	ch_err err = ch_pg_exec(tx, CH_PG_NODE_EXPIRED, &(ch_pg_params){0}, &res);
	if (err)
		return err;
	int n = PQntuples(res);
	char (*ids)[CH_NODE_ID_MAX + 1] = ch_xcalloc(n ? (size_t)n : 1, sizeof *ids);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (ch_pg_str(res, i, 0, ids[k], sizeof ids[k]) == CH_OK)
			k++;
	PQclear(res);
	for (int i = 0; err == CH_OK && i < k; i++)
		err = drop_node(tx, ids[i], each, ctx);
	free(ids);
	return err;
}

ch_err ch_store_pg_presence_due(ch_store_tx *tx, int64_t grace_ms, int64_t limit, ch_presence_each_fn each,
                                void *ctx)
{
	PGresult *res;
	ch_pg_params p = {0};
	ch_pg_int(&p, grace_ms);
	ch_pg_int(&p, limit > 0 ? limit : 1000);
	ch_err err = ch_pg_exec(tx, CH_PG_PRESENCE_DUE, &p, &res);
	if (err)
		return err;
	int n = PQntuples(res);
	int64_t *ops = ch_xcalloc(n ? (size_t)n : 1, sizeof *ops);
	for (int i = 0; i < n; i++)
		ops[i] = ch_pg_i64(res, i, 0);
	PQclear(res);
	for (int i = 0; err == CH_OK && i < n; i++) {
		ch_presence_row r;
		err = run_id(tx, CH_PG_PRESENCE_REQUEUED, ops[i]);
		if (err == CH_OK)
			err = ch_store_pg_presence_get(tx, ops[i], &r);
		if (err == CH_OK && r.connections == 0) /* offline_since is only set with none */
			each(ctx, &r);
	}
	free(ops);
	return err;
}
