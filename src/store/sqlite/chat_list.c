/* chat_list.c — the filtered chat list of the SQLite backend
 * (ch_store_sqlite_chat_list in store.h).
 *
 * Every field of ch_chat_filter is one parameter of one WHERE clause
 * (CH_SQL_CHAT_FILTER), combined with AND; a search goes to search.c, which
 * adds its own condition to the same clause. What varies is the driving
 * condition, so that the planner walks the narrowest index already in the
 * wanted order: a client's chats, an operator's, an organization's, the
 * organization's queue (New and unassigned, by queued_at), or the company's.
 * The statements are fixed text in sqlite_sql.h, prepared once per
 * connection like every other.
 *
 * Threading: runs inside a job or read function, on the thread that owns tx;
 * keeps no state of its own.
 */
#include "core/buf.h"
#include "store/sqlite/sqlite_int.h"

/* The list and count statements for a filter. */
static void pick(const ch_chat_filter *f, ch_stmt_id *list, ch_stmt_id *count)
{
	if (f->client_id > 0) {
		*list = CH_STMT_CHAT_LIST_CLIENT;
		*count = CH_STMT_CHAT_COUNT_CLIENT;
	} else if (f->operator_id > 0) {
		*list = CH_STMT_CHAT_LIST_OPERATOR;
		*count = CH_STMT_CHAT_COUNT_OPERATOR;
	} else if (f->org_id > 0 && f->operator_id == -1 && f->status == CH_CHAT_NEW) {
		*list = f->oldest_queued_first ? CH_STMT_CHAT_LIST_QUEUE : CH_STMT_CHAT_LIST_ORG;
		*count = CH_STMT_CHAT_COUNT_QUEUE;
		return;
	} else if (f->org_id > 0) {
		*list = CH_STMT_CHAT_LIST_ORG;
		*count = CH_STMT_CHAT_COUNT_ORG;
	} else {
		*list = CH_STMT_CHAT_LIST_COMPANY;
		*count = CH_STMT_CHAT_COUNT_COMPANY;
	}
	/* The routing order outside the queue's shape: rare, sorted. */
	if (f->oldest_queued_first)
		*list = CH_STMT_CHAT_LIST_QUEUED;
}

ch_err ch_store_sqlite_bind_chat_filter(ch_store_tx *tx, sqlite3_stmt *st, const ch_chat_filter *f)
{
	int rc = sqlite3_bind_int64(st, 1, f->company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, f->org_id > 0 ? f->org_id : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, f->operator_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, f->client_id > 0 ? f->client_id : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, f->status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 6, f->not_closed != 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 7, f->source);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 8, f->phone);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 9, f->from_ms > 0 ? f->from_ms : 0);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 10, f->to_ms > 0 ? f->to_ms : 0);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 11, f->tg_user_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 12, f->label_id > 0 ? f->label_id : 0);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(st) >= 14) {
		rc = sqlite3_bind_int64(st, 13, ch_store_sqlite_limit(f->limit));
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 14, f->offset);
	}
	return ch_store_sqlite_bound(tx, st, rc, "chat list");
}

static ch_err count_matches(ch_store_tx *tx, ch_stmt_id id, const ch_chat_filter *f, int64_t *total)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_chat_filter(tx, st, f);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*total = sqlite3_column_int64(st, 0);
	else
		err = ch_store_sqlite_fail(tx, rc, "chat count");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_chat_list(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total,
                          ch_chat_each_fn each, void *ctx)
{
	ch_err err = ch_store_check_chat_filter(f);
	if (err != CH_OK)
		return err;
	if (f->search)
		return ch_store_sqlite_chat_search(tx, f, total, each, ctx);
	ch_stmt_id list_id, count_id;
	pick(f, &list_id, &count_id);
	sqlite3_stmt *st;
	if (total)
		err = count_matches(tx, count_id, f, total);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, list_id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_chat_filter(tx, st, f);
	if (err == CH_OK)
		err = ch_store_sqlite_chat_each(tx, st, each, ctx);
	return err;
}
