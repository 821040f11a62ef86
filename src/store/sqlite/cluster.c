/* cluster.c — the calls of store.h that exist for several processes on one
 * database, as the SQLite backend answers them: settings, the bus outbox log
 * (empty: no other process replays it), and the locks, which are plain reads
 * or no-ops because one writer thread runs every job in turn.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_setting_ensure(ch_store_tx *tx, const char *key, const char *value_if_absent,
                                      char *out, size_t outlen)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_setting(key, value_if_absent);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_SETTING_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = ch_store_sqlite_bind_text(st, 1, key);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, value_if_absent);
	err = ch_store_sqlite_bound(tx, st, rc, "setting ensure");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "setting ensure");
	return err == CH_OK ? ch_store_sqlite_setting_get(tx, key, out, outlen) : err;
}

ch_err ch_store_sqlite_setting_get(ch_store_tx *tx, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_setting(key, "");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_SETTING_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, key), "setting get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = ch_store_sqlite_col_text(st, 0, out, outlen) == CH_OK ? CH_OK : CH_ERR_OUT_OF_RANGE;
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "setting get");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_bus_log_read(ch_store_tx *tx, const char *node_id, uint64_t after, uint64_t upto,
                                    int64_t limit, ch_bus_log_each_fn each, void *ctx)
{
	return limit < 0 ? CH_ERR_OUT_OF_RANGE : CH_OK;
}

ch_err ch_store_sqlite_bus_log_heads(ch_store_tx *tx, ch_bus_log_each_fn each, void *ctx) { return CH_OK; }

ch_err ch_store_sqlite_bus_log_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t *deleted)
{
	if (deleted)
		*deleted = 0;
	return CH_OK;
}

ch_err ch_store_sqlite_chat_lock(ch_store_tx *tx, int64_t company_id, int64_t chat_id, ch_chat_row *out)
{
	return ch_store_sqlite_chat_get(tx, company_id, chat_id, out);
}

ch_err ch_store_sqlite_client_lock(ch_store_tx *tx, int64_t company_id, int64_t client_id)
{
	return ch_store_sqlite_owned(tx, CH_STMT_CLIENT_OWNED, company_id, client_id, "client check");
}

ch_err ch_store_sqlite_routing_lock(ch_store_tx *tx, int64_t org_id) { return CH_OK; }

/* ?3 the operator, ?4 now: when the chat's status (Open) began. */
static int bind_assign(sqlite3_stmt *st, int64_t operator_id)
{
	int rc = sqlite3_bind_int64(st, 3, operator_id);
	return rc == SQLITE_OK ? sqlite3_bind_int64(st, 4, ch_now_ms()) : rc;
}

ch_err ch_store_sqlite_chat_assign_if_queued(ch_store_tx *tx, int64_t company_id, int64_t chat_id,
                                             int64_t operator_id, ch_chat_row *out)
{
	ch_chat_row *row = ch_xmalloc(sizeof *row);
	sqlite3_stmt *st;
	ch_err err = operator_id > 0 ? ch_store_sqlite_chat_get(tx, company_id, chat_id, row)
	                             : CH_ERR_OUT_OF_RANGE;
	if (err == CH_OK)
		err = ch_store_sqlite_operator_in_org(tx, company_id, row->organization_id, operator_id);
	if (err == CH_OK && (row->status != CH_CHAT_NEW || row->operator_id))
		err = CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_ASSIGN_QUEUED, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "chat assign");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, bind_assign(st, operator_id), "chat assign");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat assign");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_CONFLICT;
	if (err == CH_OK && out)
		err = ch_store_sqlite_chat_get(tx, company_id, chat_id, out);
	free(row);
	return err;
}
