/* erasure.c — client erasure and retention in the SQLite backend (store.h,
 * "erasure and retention", migration 023): a chat's messages become
 * tombstones and its media rows go, a client's profile is cleared, and the
 * search indexes are merged so that no old segment keeps an erased word.
 * The writer connection runs with secure_delete (conn.c), so what these
 * statements free is zeroed in the database file.
 *
 * Threading: these functions run inside a job, on the writer thread that
 * owns tx; they keep no state of their own.
 */
#include <stdint.h>

#include "store/sqlite/sqlite_int.h"

#define NO_ARG INT64_MIN /* change() without a third parameter */

/* Runs a change statement bound with (company_id, id[, v3]); *changed gets
 * the rows it changed. */
static ch_err change(ch_store_tx *tx, ch_stmt_id id, int64_t company_id, int64_t row_id, int64_t v3,
                     const char *what, int64_t *changed)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, row_id, what);
	if (err == CH_OK && v3 != NO_ARG)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, v3), what);
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, what);
	if (err == CH_OK && changed)
		*changed = sqlite3_changes(tx->db);
	return err;
}

ch_err ch_store_sqlite_chat_erase(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                                  ch_erase_counts *out)
{
	int64_t messages = 0, media = 0, csat = 0;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_ERASE_CHAT_OWNED, company_id, chat_id, "chat erase");
	/* messages first: their media_id is the media rows' last reference */
	if (err == CH_OK)
		err = change(tx, CH_STMT_ERASE_MESSAGES, company_id, chat_id, now_ms, "chat erase messages", &messages);
	if (err == CH_OK)
		err = change(tx, CH_STMT_ERASE_MEDIA, company_id, chat_id, NO_ARG, "chat erase media", &media);
	if (err == CH_OK)
		err = change(tx, CH_STMT_ERASE_CSAT_COMMENT, company_id, chat_id, NO_ARG, "chat erase rating", &csat);
	if (err == CH_OK)
		err = change(tx, CH_STMT_ERASE_CHAT_TEXTS, company_id, chat_id, now_ms, "chat erase preview", NULL);
	if (err == CH_OK && out) {
		out->chats += messages || media || csat;
		out->messages += messages;
		out->media += media;
		out->csat_comments += csat;
	}
	return err;
}

ch_err ch_store_sqlite_client_erase(ch_store_tx *tx, int64_t company_id, int64_t client_id, int64_t now_ms,
                                    int64_t *erased_at_out)
{
	sqlite3_stmt *st;
	int64_t at = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ERASE_CLIENT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, client_id, "client erase");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, now_ms), "client erase");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "client erase", &at);
	if (err == CH_OK)
		tx->principals_changed = 1; /* its visitor tokens' check reads erased_at */
	if (err == CH_OK && erased_at_out)
		*erased_at_out = at;
	return err;
}

/* 'optimize' rewrites each index as one segment: the segments that still
 * held the erased words (FTS5 keeps a deleted term in old segments, masked,
 * until a merge) are dropped, and secure_delete zeroes their pages. */
ch_err ch_store_sqlite_search_compact(ch_store_tx *tx)
{
	return ch_store_sqlite_exec(tx,
	                            "INSERT INTO messages_fts (messages_fts) VALUES ('optimize'); "
	                            "INSERT INTO clients_fts (clients_fts) VALUES ('optimize');",
	                            "search compact");
}

ch_err ch_store_sqlite_org_set_retention(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t days)
{
	if (days < 0 || days > CH_RETENTION_DAYS_MAX)
		return CH_ERR_OUT_OF_RANGE;
	int64_t changed = 0;
	ch_err err =
	    change(tx, CH_STMT_ORG_SET_RETENTION, company_id, org_id, days, "organization retention", &changed);
	return err == CH_OK && !changed ? CH_ERR_NOT_FOUND : err;
}

ch_err ch_store_sqlite_chat_retention_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                                          void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_RETENTION_DUE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, ch_store_sqlite_limit(limit), "chats past retention");
	return err == CH_OK ? ch_store_sqlite_chat_each(tx, st, each, ctx) : err;
}
