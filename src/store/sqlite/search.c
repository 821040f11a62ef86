/* search.c — a chat list with a search in the SQLite backend (store.h,
 * ch_chat_filter.search; migration 012's FTS5 indexes).
 *
 * The user's words never reach FTS5's query syntax as they are: they are cut
 * into tokens by the very tokenizer the index uses (unicode61 with
 * remove_diacritics 2, through the fts5_api), and each token becomes a quoted
 * string — a quote, OR, NEAR, a parenthesis or a star in the search is only
 * text that the tokenizer drops or folds like the indexed text. The tokens are
 * ANDed; tokens of two characters or more match as prefixes. The messages'
 * query is those terms; the clients' asks for them in the name and e-mail, or
 * (a search that looks like a phone) for the digits as a prefix of a phone key.
 *
 * One statement finds the page and the total (CHAT_SEARCH); then each row's
 * match is read from the index: the client's highlighted field, else the
 * snippet of the chat's newest matching message.
 *
 * Threading: runs inside a job or read function, on the thread that owns tx.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/search.h"
#include "store/sqlite/sqlite_int.h"

/* The connection's FTS5 API (SQLite's documented way: SELECT fts5(?1) with a
 * pointer binding); NULL when FTS5 is missing, which migration 012 refuses. */
static fts5_api *fts5_of(ch_store_tx *tx)
{
	sqlite3_stmt *st;
	fts5_api *api = NULL;
	if (ch_store_sqlite_prep(tx, CH_STMT_FTS5_API, &st) != CH_OK)
		return NULL;
	if (sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
		sqlite3_step(st);
	ch_store_sqlite_reset(st);
	return api;
}

typedef struct terms {
	ch_buf b;
	int n;
} terms;

static size_t utf8_chars(const char *s, int n)
{
	size_t c = 0;
	for (int i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* One token of the search: "tok" or "tok"* (a quote inside doubled). */
static int on_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
	terms *t = ctx;
	(void)start;
	(void)end;
	if ((flags & FTS5_TOKEN_COLOCATED) || n <= 0 || t->n >= CH_SEARCH_MAX_TERMS)
		return SQLITE_OK;
	ch_buf_puts(&t->b, t->n++ ? " AND \"" : "\"");
	for (int i = 0; i < n; i++) {
		if (tok[i] == '"')
			ch_buf_append(&t->b, "\"", 1);
		ch_buf_append(&t->b, tok + i, 1);
	}
	ch_buf_puts(&t->b, utf8_chars(tok, n) >= 2 ? "\"*" : "\"");
	return SQLITE_OK;
}

/* The terms of q as an FTS5 query into t (t->n = 0: q has no word). */
static ch_err tokenize(ch_store_tx *tx, const char *q, terms *t)
{
	fts5_api *api = fts5_of(tx);
	void *ud = NULL;
	fts5_tokenizer tk;
	Fts5Tokenizer *tok = NULL;
	const char *args[] = {"remove_diacritics", "2"};
	if (!api || api->xFindTokenizer(api, "unicode61", &ud, &tk) != SQLITE_OK ||
	    tk.xCreate(ud, args, 2, &tok) != SQLITE_OK) {
		CH_ERROR("store: search: the FTS5 unicode61 tokenizer is not available");
		return CH_ERR_STORE;
	}
	int rc = tk.xTokenize(tok, t, FTS5_TOKENIZE_QUERY, q, (int)strlen(q), on_token);
	tk.xDelete(tok);
	return rc == SQLITE_OK ? CH_OK : ch_store_sqlite_fail(tx, rc, "search tokenize");
}

typedef struct query {
	char *messages; /* FTS5 query of messages_fts */
	char *clients;  /* ... of clients_fts */
} query;

static ch_err build(ch_store_tx *tx, const char *search, query *q, int *empty)
{
	terms t = {0};
	ch_err err = tokenize(tx, search, &t);
	*empty = err == CH_OK && t.n == 0;
	if (err != CH_OK || *empty) {
		ch_buf_free(&t.b);
		return err;
	}
	char digits[CH_PHONE_MAX + 1];
	ch_buf c = {0};
	ch_buf_printf(&c, "{name email} : (%.*s)", (int)t.b.len, t.b.data);
	if (ch_store_search_digits(search, digits, sizeof digits))
		ch_buf_printf(&c, " OR phone : \"%s\"*", digits);
	q->clients = ch_buf_steal(&c, NULL);
	q->messages = ch_buf_steal(&t.b, NULL);
	return CH_OK;
}

static ch_err bind_marks(ch_store_tx *tx, sqlite3_stmt *st, int64_t id, const char *fts)
{
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, fts);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, CH_SEARCH_OPEN);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, CH_SEARCH_CLOSE);
	return ch_store_sqlite_bound(tx, st, rc, "search match");
}

/* The client's field that matched: name, else e-mail, else the phone (the
 * only other column the clients' query reads). CH_ERR_NOT_FOUND: none. */
static ch_err client_match(ch_store_tx *tx, const query *q, ch_chat_row *row)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_CLIENT_MATCH, &st);
	if (err == CH_OK)
		err = bind_marks(tx, st, row->client_id, q->clients);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *email = (const char *)sqlite3_column_text(st, 1);
		if (name && strstr(name, CH_SEARCH_OPEN)) {
			row->match.field = CH_MATCH_NAME;
			ch_store_search_snippet(&row->match, name);
		} else if (email && strstr(email, CH_SEARCH_OPEN)) {
			row->match.field = CH_MATCH_EMAIL;
			ch_store_search_snippet(&row->match, email);
		} else {
			row->match.field = CH_MATCH_PHONE;
			ch_store_search_whole(&row->match, row->client_phone);
		}
	} else {
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "search client");
	}
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err message_match(ch_store_tx *tx, const query *q, int64_t message_id, ch_chat_row *row)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_MESSAGE_MATCH, &st);
	if (err == CH_OK)
		err = bind_marks(tx, st, message_id, q->messages);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row->match.field = CH_MATCH_MESSAGE;
		row->match.seq = sqlite3_column_int64(st, 0);
		ch_store_search_snippet(&row->match, (const char *)sqlite3_column_text(st, 1));
	} else {
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "search message");
	}
	ch_store_sqlite_reset(st);
	return err;
}

/* Steps the bound CHAT_SEARCH: each row with its match; *total from the
 * first row's window count (0 rows: left as it is). */
static ch_err each_found(ch_store_tx *tx, sqlite3_stmt *st, const query *q, int64_t *total,
                         ch_chat_each_fn each, void *ctx)
{
	ch_chat_row row;
	ch_err err = CH_OK;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = ch_store_sqlite_chat_fill(st, &row);
		int64_t mid = sqlite3_column_int64(st, CH_SQL_CHAT_NCOLS);
		int client_hit = sqlite3_column_int(st, CH_SQL_CHAT_NCOLS + 1);
		if (total)
			*total = sqlite3_column_int64(st, CH_SQL_CHAT_NCOLS + 2);
		if (err == CH_OK && client_hit)
			err = client_match(tx, q, &row);
		if (err == CH_ERR_NOT_FOUND || (err == CH_OK && !client_hit))
			err = mid ? message_match(tx, q, mid, &row) : CH_OK;
		if (err == CH_ERR_NOT_FOUND) /* matched a moment ago: the row stays, unexplained */
			err = CH_OK;
		if (err == CH_OK)
			each(ctx, &row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "chat search");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err bind_search(ch_store_tx *tx, sqlite3_stmt *st, const ch_chat_filter *f, const query *q)
{
	ch_err err = ch_store_sqlite_bind_chat_filter(tx, st, f);
	if (err != CH_OK)
		return err;
	int rc = ch_store_sqlite_bind_text(st, 15, q->messages);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 16, q->clients);
	return ch_store_sqlite_bound(tx, st, rc, "chat search");
}

ch_err ch_store_sqlite_chat_search(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total,
                                   ch_chat_each_fn each, void *ctx)
{
	query q = {0};
	int empty = 0;
	ch_err err = build(tx, f->search, &q, &empty);
	if (total)
		*total = 0;
	if (err != CH_OK || empty)
		return err;
	sqlite3_stmt *st;
	int64_t found = -1;
	err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_SEARCH, &st);
	if (err == CH_OK)
		err = bind_search(tx, st, f, &q);
	if (err == CH_OK)
		err = each_found(tx, st, &q, &found, each, ctx);
	/* A page past the end has no row to carry the count. */
	if (err == CH_OK && total && found < 0 && f->offset > 0) {
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_SEARCH_COUNT, &st);
		if (err == CH_OK)
			err = bind_search(tx, st, f, &q);
		if (err == CH_OK)
			err = ch_store_sqlite_one_int64(tx, st, "chat search count", &found);
	}
	if (err == CH_OK && total && found > 0)
		*total = found;
	free(q.messages);
	free(q.clients);
	return err;
}

/* ---- the index's catch-up (migration 017) ---------------------------------- */

static int bind2(sqlite3_stmt *st, int64_t a, int64_t b)
{
	int rc = sqlite3_bind_int64(st, 1, a);
	return rc == SQLITE_OK ? sqlite3_bind_int64(st, 2, b) : rc;
}

ch_err ch_store_sqlite_search_catch_up(ch_store_tx *tx, int64_t limit, int64_t *walked)
{
	sqlite3_stmt *st;
	int64_t upto = 0, next = 0, n = 0;
	*walked = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_UPTO, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "search progress", &upto);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_NEXT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, bind2(st, upto, limit), "search next");
	if (err == CH_OK) {
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			next = sqlite3_column_int64(st, 0);
			n = sqlite3_column_int64(st, 1);
		} else {
			err = ch_store_sqlite_fail(tx, rc, "search next");
		}
		ch_store_sqlite_reset(st);
	}
	if (err != CH_OK || n == 0)
		return err;
	err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_INDEX, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, bind2(st, upto, next), "search index");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "search index");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_SEARCH_SET_UPTO, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, next), "search progress");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "search progress");
	if (err == CH_OK)
		*walked = n;
	return err;
}
