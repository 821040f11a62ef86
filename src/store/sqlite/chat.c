/* chat.c — chats in the SQLite backend (store.h, "chats"): create, read,
 * status/assignment, theme, delete, and the routing load of an
 * organization's operators. The filtered list is chat_list.c.
 *
 * A chat row is always read through CH_SQL_CHAT_FROM, so every row the store
 * returns carries its operator's and client's names and a freshly computed
 * count_unread. Every function is scoped to a company: a chat, client,
 * operator or organization of another company answers CH_ERR_NOT_FOUND.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_chat_fill(sqlite3_stmt *st, ch_chat_row *out)
{
	out->match.field = CH_MATCH_NONE;
	out->match.seq = 0;
	out->match.snippet[0] = '\0';
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->client_id = sqlite3_column_int64(st, 3);
	out->operator_id = sqlite3_column_int64(st, 4);
	out->source = sqlite3_column_int(st, 5);
	out->status = sqlite3_column_int(st, 6);
	out->last_seq = sqlite3_column_int64(st, 8);
	out->operator_read_seq = sqlite3_column_int64(st, 9);
	out->client_read_seq = sqlite3_column_int64(st, 10);
	out->count_unread = sqlite3_column_int64(st, 11);
	out->created_at = sqlite3_column_int64(st, 12);
	out->last_message_at = sqlite3_column_int64(st, 13);
	out->queued_at = sqlite3_column_int64(st, 14);
	ch_err err = ch_store_sqlite_col_text(st, 7, out->theme, sizeof out->theme);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 15, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 16, out->client_name, sizeof out->client_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 17, out->client_phone, sizeof out->client_phone);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 18, out->last_message, sizeof out->last_message);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 19, out->operator_photo, sizeof out->operator_photo);
	out->csat_rating = sqlite3_column_int(st, 20);
	out->csat_at = sqlite3_column_int64(st, 22);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 21, out->csat_comment, sizeof out->csat_comment);
	return err;
}

ch_err ch_store_sqlite_chat_fetch(ch_store_tx *c, sqlite3_stmt *st, ch_chat_row *out)
{
	int rc = sqlite3_step(st);
	ch_err err = CH_OK;
	if (rc == SQLITE_ROW)
		err = ch_store_sqlite_chat_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(c, rc, "chat read");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_chat_each(ch_store_tx *c, sqlite3_stmt *st, ch_chat_each_fn each,
                                 void *ctx)
{
	ch_chat_row row;
	ch_err err = CH_OK;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = ch_store_sqlite_chat_fill(st, &row);
		if (err == CH_OK)
			each(ctx, &row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(c, rc, "chat list");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err client_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                            int64_t client_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_IN_ORG, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "client check");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, client_id),
		                            "client check");
	if (err == CH_OK)
		err = ch_store_sqlite_exists(tx, st, "client check");
	return err;
}

ch_err ch_store_sqlite_chat_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t client_id,
                            int source, const char *theme, ch_chat_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_chat_create(source, theme);
	/* The foreign key would refuse a foreign client too, but as an internal
	 * error: another company's ids must read as missing ones. */
	if (err == CH_OK)
		err = client_in_org(tx, company_id, org_id, client_id);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, client_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, source);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, theme ? theme : "");
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "chat create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat create");
	if (err == CH_OK && out)
		err = ch_store_sqlite_chat_get(tx, company_id, sqlite3_last_insert_rowid(tx->db), out);
	return err;
}

ch_err ch_store_sqlite_chat_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_chat_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "chat get");
	if (err == CH_OK)
		err = ch_store_sqlite_chat_fetch(tx, st, out);
	return err;
}

ch_err ch_store_sqlite_chat_open_for_client(ch_store_tx *tx, int64_t company_id, int64_t client_id,
                                     ch_chat_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_OPEN_FOR_CLIENT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, client_id, "chat of client");
	if (err == CH_OK)
		err = ch_store_sqlite_chat_fetch(tx, st, out);
	return err;
}

/* The chat's organization, so that an operator can be checked against it. */
static ch_err chat_org(ch_store_tx *tx, int64_t company_id, int64_t id, int64_t *org_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_STATE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "chat state");
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_one_int64(tx, st, "chat state", org_out);
}

/* CH_OK when operator_id is one of the organization's operators (any status:
 * the caller decides who may be assigned). */
ch_err ch_store_sqlite_operator_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                       int64_t operator_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_IN_ORG, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "operator check");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, operator_id),
		                            "operator check");
	if (err == CH_OK)
		err = ch_store_sqlite_exists(tx, st, "operator check");
	return err;
}

static ch_err chat_set(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                       int64_t operator_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_UPDATE, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, operator_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "chat update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat update");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_update(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                            int64_t operator_id, ch_chat_row *out)
{
	int64_t org_id = 0;
	ch_err err = ch_store_check_chat_update(status, operator_id);
	if (err == CH_OK)
		err = chat_org(tx, company_id, id, &org_id);
	/* An operator must be one of the chat's organization (the schema's
	 * foreign key says so too, but would answer an internal error). */
	if (err == CH_OK && operator_id)
		err = ch_store_sqlite_operator_in_org(tx, company_id, org_id, operator_id);
	if (err == CH_OK)
		err = chat_set(tx, company_id, id, status, operator_id);
	if (err == CH_OK && out)
		err = ch_store_sqlite_chat_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_sqlite_chat_set_theme(ch_store_tx *tx, int64_t company_id, int64_t id, const char *theme)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_len(theme, CH_NAME_MAX, 0, "chat theme");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_SET_THEME, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "chat set theme");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 3, theme),
		                            "chat set theme");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat set theme");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	sqlite3_stmt *st;
	/* Messages, media, channel records and deliveries follow by cascade. */
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_DELETE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "chat delete");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat delete");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_operator_load(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                              ch_load_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	/* An org without operators and another company's org answer differently. */
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id,
	                                   "organization check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_LOAD, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "operator load");
	if (err != CH_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		each(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "operator load");
	ch_store_sqlite_reset(st);
	return err;
}
