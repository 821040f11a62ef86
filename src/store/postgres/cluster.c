/* cluster.c — the calls of store.h that exist for several processes on one
 * database: settings shared by all, the bus outbox log (bus_log) other
 * processes replay, and the locks that serialise what one writer thread
 * serialised alone: a client, an organization's routing, a queued chat's
 * assignment.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/postgres/pg_int.h"

ch_err ch_store_pg_setting_ensure(ch_store_tx *tx, const char *key, const char *value_if_absent,
                                  char *out, size_t outlen)
{
	ch_err err = ch_store_check_setting(key, value_if_absent);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_text(&p, key);
	ch_pg_text(&p, value_if_absent);
	PGresult *r = NULL;
	/* Inserted now, or there before: one of the two answers a row. */
	err = ch_pg_one(tx, CH_PG_SETTING_ENSURE, &p, &r);
	if (err == CH_OK && ch_pg_str(r, 0, 0, out, outlen) != CH_OK)
		err = CH_ERR_OUT_OF_RANGE;
	PQclear(r);
	return err;
}

ch_err ch_store_pg_setting_get(ch_store_tx *tx, const char *key, char *out, size_t outlen)
{
	ch_err err = ch_store_check_setting(key, "");
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_text(&p, key);
	PGresult *r = NULL;
	err = ch_pg_one(tx, CH_PG_SETTING_GET, &p, &r);
	if (err == CH_OK && ch_pg_str(r, 0, 0, out, outlen) != CH_OK)
		err = CH_ERR_OUT_OF_RANGE;
	PQclear(r);
	return err;
}

static ch_err bus_each(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, int with_payload,
                       ch_bus_log_each_fn each, void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	char node[256];
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++) {
		unsigned char *payload = NULL;
		size_t n = 0;
		err = ch_pg_str(r, i, 0, node, sizeof node);
		if (err == CH_OK && with_payload)
			err = ch_pg_bytea(r, i, 2, &payload, &n);
		if (err == CH_OK)
			each(ctx, node, (uint64_t)ch_pg_i64(r, i, 1), payload, n);
		free(payload);
	}
	PQclear(r);
	return err;
}

ch_err ch_store_pg_bus_log_read(ch_store_tx *tx, const char *node_id, uint64_t after, uint64_t upto,
                                int64_t limit, ch_bus_log_each_fn each, void *ctx)
{
	if (limit < 0 || !node_id || after > INT64_MAX || upto > INT64_MAX)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_text(&p, node_id);
	ch_pg_int(&p, (int64_t)after);
	ch_pg_int(&p, (int64_t)upto);
	if (limit > 0)
		ch_pg_int(&p, limit);
	else
		ch_pg_null(&p);
	return bus_each(tx, CH_PG_BUS_LOG_READ, &p, 1, each, ctx);
}

ch_err ch_store_pg_bus_log_heads(ch_store_tx *tx, ch_bus_log_each_fn each, void *ctx)
{
	return bus_each(tx, CH_PG_BUS_LOG_HEADS, NULL, 0, each, ctx);
}

ch_err ch_store_pg_bus_log_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t *deleted)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, older_than_ms);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_BUS_LOG_TRIM, &p, &r);
	if (deleted)
		*deleted = err == CH_OK ? ch_pg_changed(r) : 0;
	PQclear(r);
	return err;
}

ch_err ch_store_pg_client_lock(ch_store_tx *tx, int64_t company_id, int64_t client_id)
{
	return ch_pg_owned(tx, CH_PG_CLIENT_LOCK, company_id, client_id);
}

ch_err ch_store_pg_routing_lock(ch_store_tx *tx, int64_t org_id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	return ch_pg_exec(tx, CH_PG_ROUTING_LOCK, &p, NULL);
}

ch_err ch_pg_budget_lock(ch_store_tx *tx, ch_pg_budget kind, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, kind);
	ch_pg_int(&p, id);
	return ch_pg_exec(tx, CH_PG_BUDGET_LOCK, &p, NULL);
}

ch_err ch_store_pg_chat_assign_if_queued(ch_store_tx *tx, int64_t company_id, int64_t chat_id,
                                         int64_t operator_id, ch_chat_row *out)
{
	if (operator_id <= 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_chat_row *row = ch_xcalloc(1, sizeof *row);
	/* The lock waits for another process's assignment to commit, then reads
	 * the chat as it left it. */
	ch_err err = ch_store_pg_chat_lock(tx, company_id, chat_id, row);
	if (err == CH_OK)
		err = ch_pg_operator_in_org(tx, company_id, row->organization_id, operator_id);
	if (err == CH_OK && (row->status != CH_CHAT_NEW || row->operator_id))
		err = CH_ERR_CONFLICT;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	ch_pg_int(&p, operator_id);
	ch_pg_int(&p, ch_now_ms());
	if (err == CH_OK && (err = ch_pg_change(tx, CH_PG_CHAT_ASSIGN_QUEUED, &p)) == CH_ERR_NOT_FOUND)
		err = CH_ERR_CONFLICT; /* cannot happen under the row lock; kept as the guard */
	if (err == CH_OK && out)
		err = ch_store_pg_chat_get(tx, company_id, chat_id, out);
	free(row);
	return err;
}
