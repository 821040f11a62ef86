/* company.c — companies in the SQLite backend (store.h, "companies").
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static ch_err company_fill(sqlite3_stmt *st, ch_company_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	ch_err err = ch_store_sqlite_col_text(st, 1, out->login, sizeof out->login);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 3, out->password_hash, sizeof out->password_hash);
	out->created_at = sqlite3_column_int64(st, 4);
	out->token_epoch = sqlite3_column_int64(st, 5);
	return err;
}

/* Steps a bound single-row query into *out, then resets the statement. */
static ch_err company_fetch(ch_store_tx *tx, sqlite3_stmt *st, ch_company_row *out)
{
	int rc = sqlite3_step(st);
	ch_err err = CH_OK;
	if (rc == SQLITE_ROW)
		err = company_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "company read");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_company_create(ch_store_tx *tx, const char *login, const char *name,
                               const char *password_hash, int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_company(login, name, password_hash);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_COMPANY_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = ch_store_sqlite_bind_text(st, 1, login);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, password_hash);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "company create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "company create");
	if (err == CH_OK && id_out)
		*id_out = sqlite3_last_insert_rowid(tx->db);
	return err;
}

ch_err ch_store_sqlite_company_by_login(ch_store_tx *tx, const char *login, ch_company_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_COMPANY_BY_LOGIN, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 1, login),
		                            "company by login");
	if (err == CH_OK)
		err = company_fetch(tx, st, out);
	return err;
}

ch_err ch_store_sqlite_company_get(ch_store_tx *tx, int64_t id, ch_company_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_COMPANY_BY_ID, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, id), "company get");
	if (err == CH_OK)
		err = company_fetch(tx, st, out);
	return err;
}

ch_err ch_store_sqlite_company_set_password(ch_store_tx *tx, int64_t id, const char *password_hash)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_len(password_hash, CH_HASH_MAX, 0, "password hash");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_COMPANY_SET_PASSWORD, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, password_hash);
	err = ch_store_sqlite_bound(tx, st, rc, "company set password");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "company set password");
	/* changes() counts rows the WHERE matched, even when the hash is equal. */
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK)
		tx->principals_changed = 1; /* the company's tokens were revoked */
	return err;
}

ch_err ch_store_sqlite_company_revoke_tokens(ch_store_tx *tx, int64_t id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_COMPANY_REVOKE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, id), "company revoke");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "company revoke");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK)
		tx->principals_changed = 1;
	return err;
}
