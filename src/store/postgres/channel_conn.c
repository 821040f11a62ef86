/* channel_conn.c — an organization's messaging-platform bots in the
 * PostgreSQL backend (store.h, "channel connections"), and the connection a
 * chat came through. The budget is counted under the organization's
 * channel budget lock (ch_pg_budget_lock), so two processes adding at once
 * cannot both pass the count; an organization's connections go with it by
 * cascade. The bot token is stored as the caller encrypted it: bytes the
 * store never reads.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/utf8.h"
#include "store/postgres/pg_int.h"

/* The token column (bytea) of row i into out. */
static ch_err fill_token(const PGresult *r, int i, ch_channel_conn_row *out)
{
	unsigned char *token = NULL;
	size_t n = 0;
	ch_err err = ch_pg_bytea(r, i, 6, &token, &n);
	if (err == CH_OK && n > sizeof out->token_enc)
		err = CH_ERR_INTERNAL;
	if (err == CH_OK) {
		memcpy(out->token_enc, token, n);
		out->token_enc_len = n;
	}
	free(token);
	return err;
}

/* Reads CH_PG_CHANNEL_CONN_COLS of row i. */
static ch_err fill(const PGresult *r, int i, ch_channel_conn_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	out->organization_id = ch_pg_i64(r, i, 2);
	out->type = (int)ch_pg_i64(r, i, 3);
	ch_err err = ch_pg_str(r, i, 4, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 5, out->public_key, sizeof out->public_key);
	if (err == CH_OK)
		err = fill_token(r, i, out);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 7, out->token_hint, sizeof out->token_hint);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 8, out->secret, sizeof out->secret);
	out->created_at = ch_pg_i64(r, i, 9);
	out->webhook_at = ch_pg_i64(r, i, 10);
	out->last_inbound_at = ch_pg_i64(r, i, 11);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 12, out->last_error, sizeof out->last_error);
	out->last_error_at = ch_pg_i64(r, i, 13);
	return err;
}

/* The insert; CH_ERR_CONFLICT when the public key is taken. */
static ch_err insert(ch_store_tx *tx, const ch_channel_conn_row *in, int64_t created_at, int64_t *id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, in->company_id);
	ch_pg_int(&p, in->organization_id);
	ch_pg_int(&p, in->type);
	ch_pg_text(&p, in->name);
	ch_pg_text(&p, in->public_key);
	ch_pg_bytes(&p, in->token_enc, in->token_enc_len);
	ch_pg_text(&p, in->token_hint);
	ch_pg_text(&p, in->secret);
	ch_pg_int(&p, created_at);
	ch_pg_int(&p, in->webhook_at);
	ch_pg_int(&p, in->last_inbound_at);
	ch_pg_text(&p, in->last_error);
	ch_pg_int(&p, in->last_error[0] ? in->last_error_at : 0);
	ch_err err = ch_pg_one_int64(tx, CH_PG_CHANNEL_CONN_INSERT, &p, id);
	return err == CH_ERR_NOT_FOUND ? CH_ERR_CONFLICT : err;
}

ch_err ch_store_pg_channel_conn_add(ch_store_tx *tx, const ch_channel_conn_row *in, ch_channel_conn_row *out)
{
	int64_t n = 0, id = 0, created_at = in->created_at ? in->created_at : ch_now_ms();
	ch_err err = ch_store_check_channel_conn(in);
	if (err == CH_OK)
		err = ch_pg_owned(tx, CH_PG_ORG_OWNED, in->company_id, in->organization_id);
	if (err == CH_OK)
		err = ch_pg_budget_lock(tx, CH_PG_BUDGET_CHANNEL_CONNS, in->organization_id);
	ch_pg_params c = {0};
	ch_pg_int(&c, in->organization_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_CHANNEL_CONN_COUNT, &c, &n);
	if (err == CH_OK && n >= CH_CHANNELS_PER_ORG_MAX)
		return CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = insert(tx, in, created_at, &id);
	if (err == CH_OK && out) {
		if (out != in)
			*out = *in;
		out->id = id;
		out->created_at = created_at;
		if (!out->last_error[0])
			out->last_error_at = 0;
	}
	return err;
}

ch_err ch_store_pg_channel_conn_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                     ch_channel_conn_each_fn each, void *ctx)
{
	ch_err err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	err = ch_pg_exec(tx, CH_PG_CHANNEL_CONN_LIST, &p, &r);
	ch_channel_conn_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = fill(r, i, row)) == CH_OK)
			each(ctx, row);
	PQclear(r);
	free(row);
	return err;
}

/* The one row of statement id over p, or CH_ERR_NOT_FOUND. */
static ch_err one_row(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, ch_channel_conn_row *out)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, p, &r);
	if (err == CH_OK)
		err = fill(r, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_channel_conn_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_channel_conn_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return one_row(tx, CH_PG_CHANNEL_CONN_GET, &p, out);
}

ch_err ch_store_pg_channel_conn_by_key(ch_store_tx *tx, int type, const char *public_key, ch_channel_conn_row *out)
{
	if (!ch_store_check_public_key(public_key)) /* nothing is stored under another shape */
		return CH_ERR_NOT_FOUND;
	ch_pg_params p = {0};
	ch_pg_int(&p, type);
	ch_pg_text(&p, public_key);
	return one_row(tx, CH_PG_CHANNEL_CONN_BY_KEY, &p, out);
}

ch_err ch_store_pg_channel_conn_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return ch_pg_change(tx, CH_PG_CHANNEL_CONN_DELETE, &p);
}

ch_err ch_store_pg_channel_conn_health(ch_store_tx *tx, int64_t id, int64_t webhook_at, int64_t last_inbound_at,
                                       const char *last_error, int64_t now_ms)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, id);
	ch_pg_int(&p, webhook_at);
	ch_pg_int(&p, last_inbound_at);
	/* A diagnostic (often a platform's words): cut on a UTF-8 boundary. */
	if (last_error)
		ch_pg_textn(&p, last_error, ch_utf8_prefix(last_error, strlen(last_error), CH_CHANNEL_ERROR_MAX));
	else
		ch_pg_null(&p);
	ch_pg_int(&p, now_ms);
	return ch_pg_change(tx, CH_PG_CHANNEL_CONN_HEALTH, &p);
}

ch_err ch_store_pg_chat_set_connection(ch_store_tx *tx, int64_t chat_id, int64_t connection_id)
{
	if (connection_id < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, chat_id);
	ch_pg_int(&p, connection_id);
	return ch_pg_change(tx, CH_PG_CHAT_SET_CONNECTION, &p);
}

ch_err ch_store_pg_chat_connection(ch_store_tx *tx, int64_t chat_id, int64_t *connection_id_out)
{
	int64_t id = 0;
	ch_pg_params p = {0};
	ch_pg_int(&p, chat_id);
	ch_err err = ch_pg_one_int64(tx, CH_PG_CHAT_CONNECTION, &p, &id);
	if (err == CH_OK && connection_id_out)
		*connection_id_out = id;
	return err;
}
