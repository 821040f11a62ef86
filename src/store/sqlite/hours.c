/* hours.c — business hours in the SQLite backend (store.h, "business
 * hours"): the schedule text per organization, its pending drain, and the
 * once-per-chat mark of the away auto-reply.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_hours_get(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                 char config[CH_HOURS_CONFIG_MAX], int64_t *drain_at)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_HOURS_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "business hours");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		err = ch_store_sqlite_col_text(st, 0, config, CH_HOURS_CONFIG_MAX);
		*drain_at = sqlite3_column_int64(st, 1);
	} else {
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "business hours");
	}
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_hours_set(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *config)
{
	if (!config || strlen(config) >= CH_HOURS_CONFIG_MAX)
		return CH_ERR_OUT_OF_RANGE;
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id, "organization check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_HOURS_SET, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, config);
	err = ch_store_sqlite_bound(tx, st, rc, "business hours update");
	return err == CH_OK ? ch_store_sqlite_step_done(tx, st, "business hours update") : err;
}

/* Runs a statement of (org_id, at) that changes rows. */
static ch_err org_at(ch_store_tx *tx, ch_stmt_id id, int64_t org_id, int64_t at, const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, org_id, at, what);
	return err == CH_OK ? ch_store_sqlite_step_done(tx, st, what) : err;
}

ch_err ch_store_sqlite_hours_drain_at(ch_store_tx *tx, int64_t org_id, int64_t at)
{
	return org_at(tx, CH_STMT_HOURS_DRAIN_AT, org_id, at, "business hours drain");
}

ch_err ch_store_sqlite_hours_drained(ch_store_tx *tx, int64_t org_id, int64_t at)
{
	return org_at(tx, CH_STMT_HOURS_DRAINED, org_id, at, "business hours drained");
}

ch_err ch_store_sqlite_hours_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_hours_due_fn each, void *ctx,
                                 int64_t *next)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_HOURS_DUE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, ch_store_sqlite_limit(limit), "business hours due");
	if (err != CH_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		each(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "business hours due");
	ch_store_sqlite_reset(st);
	if (err != CH_OK || !next)
		return err;
	err = ch_store_sqlite_prep(tx, CH_STMT_HOURS_NEXT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, now_ms), "business hours next");
	return err == CH_OK ? ch_store_sqlite_one_int64(tx, st, "business hours next", next) : err;
}

ch_err ch_store_sqlite_chat_away_replied(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int *first)
{
	*first = 0;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_CHAT_OWNED, company_id, chat_id, "chat check");
	if (err == CH_OK)
		err = org_at(tx, CH_STMT_CHAT_AWAY_REPLIED, company_id, chat_id, "chat away reply");
	if (err == CH_OK)
		*first = sqlite3_changes(tx->db) > 0;
	return err;
}
