/* canned.c — canned responses and the organization's policy for them in the
 * SQLite backend (store.h, "canned responses").
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static ch_err canned_fill(sqlite3_stmt *st, ch_canned_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->operator_id = sqlite3_column_int64(st, 3);
	ch_err err = ch_store_sqlite_col_text(st, 4, out->shortcut, sizeof out->shortcut);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 5, out->title, sizeof out->title);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 6, out->text, sizeof out->text);
	out->created_at = sqlite3_column_int64(st, 7);
	return err;
}

ch_err ch_store_sqlite_org_set_canned_policy(ch_store_tx *tx, int64_t company_id, int64_t org_id, int allow)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_CANNED_POLICY, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "canned policy");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int(st, 3, allow != 0), "canned policy");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "canned policy");
	return ch_store_sqlite_matched(tx, err);
}

/* How many responses the owner has (its budget). */
static ch_err canned_count(ch_store_tx *tx, int64_t org_id, int64_t operator_id, int64_t *n)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_COUNT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, org_id, operator_id, "canned count");
	return err ? err : ch_store_sqlite_one_int64(tx, st, "canned count", n);
}

static int bind_texts(sqlite3_stmt *st, int first, const char *shortcut, const char *title, const char *text)
{
	int rc = ch_store_sqlite_bind_text(st, first, shortcut);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, first + 1, title);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, first + 2, text);
	return rc;
}

ch_err ch_store_sqlite_canned_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                                     const char *shortcut, const char *title, const char *text,
                                     ch_canned_row *out)
{
	sqlite3_stmt *st;
	int64_t n = 0, now = ch_now_ms();
	ch_err err = ch_store_check_canned(shortcut, title, text);
	if (err == CH_OK)
		err = ch_store_check_canned_owner(tx, company_id, org_id, operator_id);
	if (err == CH_OK)
		err = canned_count(tx, org_id, operator_id, &n);
	if (err == CH_OK && n >= (operator_id ? CH_CANNED_PER_OPERATOR_MAX : CH_CANNED_PER_ORG_MAX))
		return CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, operator_id);
	if (rc == SQLITE_OK)
		rc = bind_texts(st, 4, shortcut, title, text);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, now);
	err = ch_store_sqlite_bound(tx, st, rc, "canned create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "canned create");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		return CH_ERR_CONFLICT; /* the owner has this shortcut */
	if (err == CH_OK && out)
		ch_store_fill_canned(out, sqlite3_last_insert_rowid(tx->db), company_id, org_id, operator_id,
		                     shortcut, title, text, now);
	return err;
}

ch_err ch_store_sqlite_canned_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                                   ch_canned_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "canned list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, operator_id > 0 ? operator_id : -1),
		                            "canned list");
	if (err != CH_OK)
		return err;
	ch_canned_row *row = ch_xmalloc(sizeof *row);
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = canned_fill(st, row)) == CH_OK)
			each(ctx, row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "canned list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_canned_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_canned_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "canned get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = canned_fill(st, out);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "canned get");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_canned_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *shortcut,
                                     const char *title, const char *text, ch_canned_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_canned(shortcut, title, text);
	if (err == CH_OK)
		err = ch_store_sqlite_canned_get(tx, company_id, id, out);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_UPDATE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "canned update");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, bind_texts(st, 3, shortcut, title, text), "canned update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "canned update");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		return CH_ERR_CONFLICT; /* the row exists: only the shortcut can have collided */
	if (err == CH_OK)
		ch_store_fill_canned(out, out->id, company_id, out->organization_id, out->operator_id, shortcut,
		                     title, text, out->created_at);
	return err;
}

ch_err ch_store_sqlite_canned_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CANNED_DELETE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "canned delete");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "canned delete");
	return ch_store_sqlite_matched(tx, err);
}
