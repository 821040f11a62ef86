/* api_key.c — company API keys in the SQLite backend (store.h, "company API
 * keys"). Only a key's SHA-256 is stored.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

/* Columns CH_SQL_API_KEY_COLS, then (API_KEY_ALL) the hash. */
static ch_err key_fill(sqlite3_stmt *st, ch_api_key_row *out, int with_hash)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	ch_err err = ch_store_sqlite_col_text(st, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 3, out->prefix, sizeof out->prefix);
	out->created_at = sqlite3_column_int64(st, 4);
	if (err == CH_OK && with_hash) {
		if (sqlite3_column_bytes(st, 5) != CH_API_KEY_HASH)
			return CH_ERR_STORE;
		memcpy(out->hash, sqlite3_column_blob(st, 5), CH_API_KEY_HASH);
	}
	return err;
}

static ch_err key_each(ch_store_tx *tx, sqlite3_stmt *st, int with_hash, ch_api_key_each_fn each, void *ctx)
{
	ch_api_key_row row;
	ch_err err = CH_OK;
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = key_fill(st, &row, with_hash)) == CH_OK)
			each(ctx, &row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "api key list");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_api_key_create(ch_store_tx *tx, int64_t company_id, const char *name,
                               const unsigned char hash[CH_API_KEY_HASH], const char *prefix, ch_api_key_row *out)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	ch_err err = ch_store_check_api_key(name, prefix);
	if (err == CH_OK && (err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_COUNT, &st)) == CH_OK &&
	    (err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, company_id), "api key count")) == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "api key count", &n);
	if (err == CH_OK && n >= CH_API_KEYS_MAX)
		return CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_INSERT, &st);
	if (err != CH_OK)
		return err;
	int64_t now = ch_now_ms();
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 3, hash, CH_API_KEY_HASH, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, prefix);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, now);
	err = ch_store_sqlite_bound(tx, st, rc, "api key create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "api key create");
	if (err == CH_OK)
		tx->principals_changed = 1; /* other processes' key tables load it (the revocation counter moves) */
	if (err == CH_OK && out)
		ch_store_fill_api_key(out, sqlite3_last_insert_rowid(tx->db), company_id, name, prefix, hash,
		                      now);
	return err;
}

ch_err ch_store_sqlite_api_key_list(ch_store_tx *tx, int64_t company_id, ch_api_key_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, company_id), "api key list");
	return err ? err : key_each(tx, st, 0, each, ctx);
}

ch_err ch_store_sqlite_api_key_all(ch_store_tx *tx, ch_api_key_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_ALL, &st);
	return err ? err : key_each(tx, st, 1, each, ctx);
}

ch_err ch_store_sqlite_api_key_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_api_key_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "api key get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = key_fill(st, out, 0);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "api key get");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_api_key_revoke(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_API_KEY_DELETE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "api key revoke");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "api key revoke");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK)
		tx->principals_changed = 1; /* caches of valid credentials must look again */
	return err;
}
