/* search.c — a chat list with a search in the PostgreSQL backend (store.h,
 * ch_chat_filter.search; migration 012's text search configuration and
 * indexes).
 *
 * The user's words travel as one text parameter and become a tsquery in SQL
 * (chathub_search_query): split on white space and punctuation as the
 * documents are, each word a quoted lexeme, so nothing of the search is ever
 * tsquery syntax. The phone form of a search is only digits, which this file
 * writes into the tsquery text itself.
 *
 * One statement finds the page and the total (CHAT_SEARCH); then each row's
 * match: the client's highlighted field, else the headline of the chat's
 * newest matching message (ts_headline).
 *
 * Threading: runs inside a job or read function, on the thread that owns tx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/search.h"
#include "store/postgres/pg_int.h"

static void bind_match(ch_pg_params *p, int64_t company_id, int64_t id, const char *search)
{
	ch_pg_int(p, company_id);
	ch_pg_int(p, id);
	ch_pg_text(p, search);
}

/* The client's field that matched: name, else e-mail, else the phone. */
static ch_err client_match(ch_store_tx *tx, const char *search, ch_chat_row *row)
{
	ch_pg_params p = {0};
	bind_match(&p, row->company_id, row->client_id, search);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_SEARCH_CLIENT_MATCH, &p, &r);
	if (err != CH_OK)
		return err;
	int col = PQgetvalue(r, 0, 2)[0] == 't' ? 0 : PQgetvalue(r, 0, 3)[0] == 't' ? 1 : -1;
	if (col >= 0) {
		const char *text = PQgetvalue(r, 0, col);
		row->match.field = col == 0 ? CH_MATCH_NAME : CH_MATCH_EMAIL;
		if (strstr(text, CH_SEARCH_OPEN))
			ch_store_search_snippet(&row->match, text);
		else /* the words are inside one token of the field's own parse */
			ch_store_search_whole(&row->match, text);
	} else {
		row->match.field = CH_MATCH_PHONE;
		ch_store_search_whole(&row->match, row->client_phone);
	}
	PQclear(r);
	return CH_OK;
}

static ch_err message_match(ch_store_tx *tx, const char *search, int64_t message_id, ch_chat_row *row)
{
	ch_pg_params p = {0};
	bind_match(&p, row->company_id, message_id, search);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_SEARCH_MESSAGE_MATCH, &p, &r);
	if (err != CH_OK)
		return err;
	row->match.field = CH_MATCH_MESSAGE;
	row->match.seq = ch_pg_i64(r, 0, 0);
	ch_store_search_snippet(&row->match, PQgetvalue(r, 0, 1));
	PQclear(r);
	return CH_OK;
}

/* Columns after the chat's: the newest matching message, whether the client
 * matched, the count of every found chat. */
enum { COL_MID = CH_PG_CHAT_NCOLS, COL_CLIENT_HIT, COL_TOTAL };

static ch_err each_found(ch_store_tx *tx, PGresult *r, const char *search, ch_chat_each_fn each, void *ctx)
{
	ch_chat_row *row = ch_xmalloc(sizeof *row);
	ch_err err = CH_OK;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++) {
		int64_t mid = ch_pg_i64(r, i, COL_MID);
		int client_hit = PQgetvalue(r, i, COL_CLIENT_HIT)[0] == 't';
		err = ch_pg_chat_fill(r, i, row);
		if (err == CH_OK && client_hit)
			err = client_match(tx, search, row);
		if (err == CH_OK && !client_hit && mid)
			err = message_match(tx, search, mid, row);
		if (err == CH_ERR_NOT_FOUND) /* deleted a moment ago: the row stays, unexplained */
			err = CH_OK;
		if (err == CH_OK)
			each(ctx, row);
	}
	free(row);
	return err;
}

ch_err ch_pg_chat_search(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total, ch_chat_each_fn each,
                         void *ctx)
{
	char digits[CH_PHONE_MAX + 1], phone[CH_PHONE_MAX + 8];
	int has_phone = ch_store_search_digits(f->search, digits, sizeof digits) > 0;
	snprintf(phone, sizeof phone, "'%s':*C", digits);
	ch_pg_params p = {0};
	ch_pg_bind_chat_filter(&p, f);
	int at_limit = p.n;
	if (f->limit > 0)
		ch_pg_int(&p, f->limit);
	else
		ch_pg_null(&p); /* LIMIT NULL: no limit */
	ch_pg_int(&p, f->offset);
	ch_pg_text(&p, f->search);
	ch_pg_text(&p, has_phone ? phone : NULL);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CHAT_SEARCH, &p, &r);
	if (total)
		*total = err == CH_OK && PQntuples(r) > 0 ? ch_pg_i64(r, 0, COL_TOTAL) : 0;
	if (err == CH_OK)
		err = each_found(tx, r, f->search, each, ctx);
	PQclear(r);
	/* A page past the end has no row to carry the count. */
	if (err == CH_OK && total && *total == 0 && f->offset > 0) {
		p.n = at_limit;
		ch_pg_null(&p);
		ch_pg_int(&p, 0);
		ch_pg_text(&p, f->search);
		ch_pg_text(&p, has_phone ? phone : NULL);
		err = ch_pg_one_int64(tx, CH_PG_CHAT_SEARCH_COUNT, &p, total);
	}
	return err;
}

/* GIN indexes messages as they are written (its pending list defers the
 * work): nothing waits for the index (migration 017). */
ch_err ch_store_pg_search_catch_up(ch_store_tx *tx, int64_t limit, int64_t *walked)
{
	(void)tx;
	(void)limit;
	*walked = 0;
	return CH_OK;
}
