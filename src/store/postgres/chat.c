/* chat.c — chats in the PostgreSQL backend (store.h, "chats"): create, read,
 * lock, status/assignment, theme, delete, the filtered list and the routing
 * load of an organization's operators.
 *
 * A chat row is always read through CH_PG_CHAT_COLS, so every row carries its
 * operator's and client's names. Every function is scoped to a company.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/postgres/pg_int.h"

ch_err ch_pg_chat_fill(const PGresult *r, int i, ch_chat_row *out)
{
	out->match.field = CH_MATCH_NONE;
	out->match.seq = 0;
	out->match.snippet[0] = '\0';
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	out->organization_id = ch_pg_i64(r, i, 2);
	out->client_id = ch_pg_i64(r, i, 3);
	out->operator_id = ch_pg_i64(r, i, 4);
	out->source = (int)ch_pg_i64(r, i, 5);
	out->status = (int)ch_pg_i64(r, i, 6);
	out->last_seq = ch_pg_i64(r, i, 8);
	out->operator_read_seq = ch_pg_i64(r, i, 9);
	out->client_read_seq = ch_pg_i64(r, i, 10);
	out->count_unread = ch_pg_i64(r, i, 11);
	out->created_at = ch_pg_i64(r, i, 12);
	out->last_message_at = ch_pg_i64(r, i, 13);
	out->queued_at = ch_pg_i64(r, i, 14);
	ch_err err = ch_pg_str(r, i, 7, out->theme, sizeof out->theme);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 15, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 16, out->client_name, sizeof out->client_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 17, out->client_phone, sizeof out->client_phone);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 18, out->last_message, sizeof out->last_message);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 19, out->operator_photo, sizeof out->operator_photo);
	out->csat_rating = (int)ch_pg_i64(r, i, 20);
	out->csat_at = ch_pg_i64(r, i, 22);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 21, out->csat_comment, sizeof out->csat_comment);
	return err;
}

static ch_err chat_fetch(ch_store_tx *tx, ch_pg_stmt id, int64_t a, int64_t b, ch_chat_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, a);
	ch_pg_int(&p, b);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, &p, &r);
	if (err == CH_OK)
		err = ch_pg_chat_fill(r, 0, out);
	PQclear(r);
	return err;
}

static ch_err chat_each(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, ch_chat_each_fn each,
                        void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	ch_chat_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = ch_pg_chat_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_chat_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t client_id,
                               int source, const char *theme, ch_chat_row *out)
{
	ch_err err = ch_store_check_chat_create(source, theme);
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, client_id);
	/* Another company's client must read as a missing one, not as the
	 * foreign key's internal error. */
	PGresult *r = NULL;
	if (err == CH_OK)
		err = ch_pg_one(tx, CH_PG_CLIENT_IN_ORG, &p, &r);
	PQclear(r);
	if (err != CH_OK)
		return err;
	ch_pg_int(&p, source);
	ch_pg_text(&p, theme ? theme : "");
	ch_pg_int(&p, ch_now_ms());
	int64_t id = 0;
	err = ch_pg_one_int64(tx, CH_PG_CHAT_INSERT, &p, &id);
	if (err == CH_OK && out)
		err = ch_store_pg_chat_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_pg_chat_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_chat_row *out)
{
	return chat_fetch(tx, CH_PG_CHAT_GET, company_id, id, out);
}

ch_err ch_store_pg_chat_lock(ch_store_tx *tx, int64_t company_id, int64_t chat_id, ch_chat_row *out)
{
	return chat_fetch(tx, CH_PG_CHAT_LOCK, company_id, chat_id, out);
}

ch_err ch_store_pg_chat_open_for_client(ch_store_tx *tx, int64_t company_id, int64_t client_id,
                                        ch_chat_row *out)
{
	return chat_fetch(tx, CH_PG_CHAT_OPEN_FOR_CLIENT, company_id, client_id, out);
}

ch_err ch_pg_operator_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, operator_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_OPERATOR_IN_ORG, &p, &r);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_chat_update(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                               int64_t operator_id, ch_chat_row *out)
{
	ch_err err = ch_store_check_chat_update(status, operator_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	int64_t org_id = 0;
	err = ch_pg_one_int64(tx, CH_PG_CHAT_STATE, &p, &org_id);
	/* An operator must be one of the chat's organization. */
	if (err == CH_OK && operator_id)
		err = ch_pg_operator_in_org(tx, company_id, org_id, operator_id);
	if (err != CH_OK)
		return err;
	ch_pg_int(&p, status);
	ch_pg_int(&p, operator_id);
	ch_pg_int(&p, ch_now_ms());
	err = ch_pg_change(tx, CH_PG_CHAT_UPDATE, &p);
	if (err == CH_OK && out)
		err = ch_store_pg_chat_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_pg_chat_set_theme(ch_store_tx *tx, int64_t company_id, int64_t id, const char *theme)
{
	ch_err err = ch_store_check_len(theme, CH_NAME_MAX, 0, "chat theme");
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_pg_text(&p, theme);
	return ch_pg_change(tx, CH_PG_CHAT_SET_THEME, &p);
}

ch_err ch_store_pg_chat_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	/* Messages, media and deliveries follow by cascade. */
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return ch_pg_change(tx, CH_PG_CHAT_DELETE, &p);
}

ch_err ch_store_pg_operator_load(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                 ch_load_each_fn each, void *ctx)
{
	ch_err err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	err = ch_pg_exec(tx, CH_PG_OPERATOR_LOAD, &p, &r);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		each(ctx, ch_pg_i64(r, i, 0), ch_pg_i64(r, i, 1));
	PQclear(r);
	return err;
}

/* ---- the filtered list: one fixed statement per driving index, as in SQLite */

static void pick(const ch_chat_filter *f, ch_pg_stmt *list, ch_pg_stmt *count)
{
	if (f->client_id > 0) {
		*list = CH_PG_CHAT_LIST_CLIENT;
		*count = CH_PG_CHAT_COUNT_CLIENT;
	} else if (f->operator_id > 0) {
		*list = CH_PG_CHAT_LIST_OPERATOR;
		*count = CH_PG_CHAT_COUNT_OPERATOR;
	} else if (f->org_id > 0 && f->operator_id == -1 && f->status == CH_CHAT_NEW) {
		*list = f->oldest_queued_first ? CH_PG_CHAT_LIST_QUEUE : CH_PG_CHAT_LIST_ORG;
		*count = CH_PG_CHAT_COUNT_QUEUE;
		return;
	} else if (f->org_id > 0) {
		*list = CH_PG_CHAT_LIST_ORG;
		*count = CH_PG_CHAT_COUNT_ORG;
	} else {
		*list = CH_PG_CHAT_LIST_COMPANY;
		*count = CH_PG_CHAT_COUNT_COMPANY;
	}
	if (f->oldest_queued_first)
		*list = CH_PG_CHAT_LIST_QUEUED;
}

void ch_pg_bind_chat_filter(ch_pg_params *p, const ch_chat_filter *f)
{
	ch_pg_int(p, f->company_id);
	ch_pg_int(p, f->org_id > 0 ? f->org_id : 0);
	ch_pg_int(p, f->operator_id);
	ch_pg_int(p, f->client_id > 0 ? f->client_id : 0);
	ch_pg_int(p, f->status);
	ch_pg_int(p, f->not_closed != 0);
	ch_pg_int(p, f->source);
	ch_pg_text(p, f->phone);
	ch_pg_int(p, f->from_ms > 0 ? f->from_ms : 0);
	ch_pg_int(p, f->to_ms > 0 ? f->to_ms : 0);
	ch_pg_text(p, f->tg_user_id);
	ch_pg_int(p, f->label_id > 0 ? f->label_id : 0);
}

ch_err ch_store_pg_chat_list(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total,
                             ch_chat_each_fn each, void *ctx)
{
	ch_err err = ch_store_check_chat_filter(f);
	if (err != CH_OK)
		return err;
	if (f->search)
		return ch_pg_chat_search(tx, f, total, each, ctx);
	ch_pg_stmt list_id, count_id;
	pick(f, &list_id, &count_id);
	ch_pg_params p = {0};
	ch_pg_bind_chat_filter(&p, f);
	if (total)
		err = ch_pg_one_int64(tx, count_id, &p, total);
	if (f->limit > 0)
		ch_pg_int(&p, f->limit);
	else
		ch_pg_null(&p); /* LIMIT NULL: no limit */
	ch_pg_int(&p, f->offset);
	if (err == CH_OK)
		err = chat_each(tx, list_id, &p, each, ctx);
	return err;
}
