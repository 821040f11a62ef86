/* org.c — organizations in the SQLite backend (store.h, "organizations").
 * Every lookup but by_guid and list_all is scoped to a company: another
 * company's organization answers CH_ERR_NOT_FOUND like a missing one.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static ch_err org_fill(sqlite3_stmt *st, ch_org_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	ch_err err = ch_store_sqlite_col_text(st, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 3, out->guid, sizeof out->guid);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 4, out->allowed_origins,
		                               sizeof out->allowed_origins);
	out->max_chats_per_operator = sqlite3_column_int64(st, 5);
	out->created_at = sqlite3_column_int64(st, 6);
	out->auto_close_waiting = sqlite3_column_int64(st, 7);
	out->auto_close_open = sqlite3_column_int64(st, 8);
	out->auto_close_on_pause = sqlite3_column_int64(st, 9);
	out->csat_enabled = sqlite3_column_int(st, 10);
	out->retention_days = sqlite3_column_int64(st, 11);
	return err;
}

/* Steps a bound single-row query into *out, then resets the statement. */
static ch_err org_fetch(ch_store_tx *tx, sqlite3_stmt *st, ch_org_row *out)
{
	int rc = sqlite3_step(st);
	ch_err err = CH_OK;
	if (rc == SQLITE_ROW)
		err = org_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "organization read");
	ch_store_sqlite_reset(st);
	return err;
}

/* Calls each for every row of a bound query, then resets the statement. */
static ch_err org_each(ch_store_tx *tx, sqlite3_stmt *st, ch_org_each_fn each, void *ctx)
{
	ch_org_row row;
	ch_err err = CH_OK;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = org_fill(st, &row);
		if (err == CH_OK)
			each(ctx, &row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "organization list");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_org_create(ch_store_tx *tx, int64_t company_id, const char *name, const char *guid,
                           int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_org(name, guid);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_ORG_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, guid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "organization create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "organization create");
	int64_t id = sqlite3_last_insert_rowid(tx->db);
	if (err == CH_OK) /* the company's webhooks of all organizations take it too */
		err = ch_store_sqlite_webhook_cursors_new_org(tx, company_id, id);
	if (err == CH_OK && id_out)
		*id_out = id;
	return err;
}

ch_err ch_store_sqlite_org_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_org_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_GET, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, id);
	err = ch_store_sqlite_bound(tx, st, rc, "organization get");
	if (err == CH_OK)
		err = org_fetch(tx, st, out);
	return err;
}

ch_err ch_store_sqlite_org_by_guid(ch_store_tx *tx, const char *guid, ch_org_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_BY_GUID, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, guid),
		                            "organization by guid");
	if (err == CH_OK)
		err = org_fetch(tx, st, out);
	return err;
}

static int bind_update(sqlite3_stmt *st, int64_t company_id, int64_t id, const char *name,
                       const char *origins, int64_t max_chats)
{
	/* NULL parameters keep the column (COALESCE in the statement). */
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, origins);
	if (rc == SQLITE_OK)
		rc = max_chats < 0 ? sqlite3_bind_null(st, 5) : sqlite3_bind_int64(st, 5, max_chats);
	return rc;
}

ch_err ch_store_sqlite_org_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *name,
                           const char *allowed_origins_json, int64_t max_chats_per_operator)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_org_update(name, allowed_origins_json);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_ORG_UPDATE, &st);
	if (err != CH_OK)
		return err;
	int rc = bind_update(st, company_id, id, name, allowed_origins_json, max_chats_per_operator);
	err = ch_store_sqlite_bound(tx, st, rc, "organization update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "organization update");
	/* changes() counts the row matched even when nothing changed: a zero is
	 * a missing row or another company's. */
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	return err;
}

ch_err ch_store_sqlite_org_list(ch_store_tx *tx, int64_t company_id, ch_org_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, company_id),
		                            "organization list");
	if (err == CH_OK)
		err = org_each(tx, st, each, ctx);
	return err;
}

ch_err ch_store_sqlite_org_list_all(ch_store_tx *tx, ch_org_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_LIST_ALL, &st);
	if (err == CH_OK)
		err = org_each(tx, st, each, ctx);
	return err;
}
