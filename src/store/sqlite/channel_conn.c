/* channel_conn.c — an organization's messaging-platform bots in the SQLite
 * backend (store.h, "channel connections"), and the connection a chat came
 * through. The budget is counted in the write job (one writer runs every job
 * in turn, so the count stays true until the insert); an organization's
 * connections go with it by cascade. The bot token is stored as the caller
 * encrypted it: bytes the store never reads.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "store/sqlite/sqlite_int.h"

/* Reads CH_SQL_CHANNEL_CONN_COLS. */
static ch_err fill(sqlite3_stmt *st, ch_channel_conn_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->type = sqlite3_column_int(st, 3);
	ch_err err = ch_store_sqlite_col_text(st, 4, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 5, out->public_key, sizeof out->public_key);
	const void *token = sqlite3_column_blob(st, 6);
	int n = sqlite3_column_bytes(st, 6);
	if (err == CH_OK && (n < 0 || (size_t)n > sizeof out->token_enc))
		err = CH_ERR_INTERNAL;
	if (err == CH_OK && n > 0)
		memcpy(out->token_enc, token, (size_t)n);
	out->token_enc_len = err == CH_OK ? (size_t)n : 0;
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 7, out->token_hint, sizeof out->token_hint);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 8, out->secret, sizeof out->secret);
	out->created_at = sqlite3_column_int64(st, 9);
	out->webhook_at = sqlite3_column_int64(st, 10);
	out->last_inbound_at = sqlite3_column_int64(st, 11);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 12, out->last_error, sizeof out->last_error);
	out->last_error_at = sqlite3_column_int64(st, 13);
	return err;
}

static ch_err insert(ch_store_tx *tx, const ch_channel_conn_row *in, int64_t created_at)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, in->company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, in->organization_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, in->type);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, in->name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, in->public_key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 6, in->token_enc, (int)in->token_enc_len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 7, in->token_hint);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 8, in->secret);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, created_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 10, in->webhook_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 11, in->last_inbound_at);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 12, in->last_error);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 13, in->last_error[0] ? in->last_error_at : 0);
	err = ch_store_sqlite_bound(tx, st, rc, "channel connection add");
	return err ? err : ch_store_sqlite_step_done(tx, st, "channel connection add");
}

ch_err ch_store_sqlite_channel_conn_add(ch_store_tx *tx, const ch_channel_conn_row *in, ch_channel_conn_row *out)
{
	int64_t n = 0, created_at = in->created_at ? in->created_at : ch_now_ms();
	sqlite3_stmt *st;
	ch_err err = ch_store_check_channel_conn(in);
	if (err == CH_OK)
		err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, in->company_id, in->organization_id,
		                            "organization check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_COUNT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, in->organization_id),
		                            "channel connection count");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "channel connection count", &n);
	if (err == CH_OK && n >= CH_CHANNELS_PER_ORG_MAX)
		return CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = insert(tx, in, created_at); /* a public key taken: CONFLICT (UNIQUE) */
	if (err == CH_OK && out) {
		if (out != in)
			*out = *in;
		out->id = sqlite3_last_insert_rowid(tx->db);
		out->created_at = created_at;
		if (!out->last_error[0])
			out->last_error_at = 0;
	}
	return err;
}

/* Every row of the bound query st into each. */
static ch_err each_row(ch_store_tx *tx, sqlite3_stmt *st, ch_channel_conn_each_fn each, void *ctx)
{
	ch_channel_conn_row *row = ch_xmalloc(sizeof *row);
	ch_err err = CH_OK;
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = fill(st, row)) == CH_OK)
			each(ctx, row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "channel connection list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_channel_conn_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                         ch_channel_conn_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id, "organization check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "channel connection list");
	return err ? err : each_row(tx, st, each, ctx);
}

/* The one row of the bound query st, or CH_ERR_NOT_FOUND. */
static ch_err one_row(ch_store_tx *tx, sqlite3_stmt *st, ch_channel_conn_row *out)
{
	ch_err err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = fill(st, out);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "channel connection get");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_channel_conn_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_channel_conn_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "channel connection get");
	return err ? err : one_row(tx, st, out);
}

ch_err ch_store_sqlite_channel_conn_by_key(ch_store_tx *tx, int type, const char *public_key,
                                           ch_channel_conn_row *out)
{
	sqlite3_stmt *st;
	if (!ch_store_check_public_key(public_key)) /* nothing is stored under another shape */
		return CH_ERR_NOT_FOUND;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_BY_KEY, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int(st, 1, type);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, public_key);
	err = ch_store_sqlite_bound(tx, st, rc, "channel connection by key");
	return err ? err : one_row(tx, st, out);
}

ch_err ch_store_sqlite_channel_conn_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_DELETE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "channel connection delete");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "channel connection delete");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_channel_conn_health(ch_store_tx *tx, int64_t id, int64_t webhook_at,
                                           int64_t last_inbound_at, const char *last_error, int64_t now_ms)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_CONN_HEALTH, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, webhook_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, last_inbound_at);
	/* A diagnostic (often a platform's words): cut on a UTF-8 boundary
	 * rather than failing the record. */
	if (rc == SQLITE_OK && last_error) {
		size_t n = ch_utf8_prefix(last_error, strlen(last_error), CH_CHANNEL_ERROR_MAX);
		rc = sqlite3_bind_text(st, 4, last_error, (int)n, SQLITE_STATIC);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_bind_null(st, 4);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, now_ms);
	err = ch_store_sqlite_bound(tx, st, rc, "channel connection health");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "channel connection health");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_set_connection(ch_store_tx *tx, int64_t chat_id, int64_t connection_id)
{
	sqlite3_stmt *st;
	if (connection_id < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_SET_CONNECTION, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, chat_id, connection_id, "chat connection");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat connection");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_connection(ch_store_tx *tx, int64_t chat_id, int64_t *connection_id_out)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_CONNECTION, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, chat_id), "chat connection");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "chat connection", &id);
	if (err == CH_OK && connection_id_out)
		*connection_id_out = id;
	return err;
}
