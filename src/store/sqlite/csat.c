/* csat.c — CSAT in the SQLite backend (store.h, "CSAT"): an organization's
 * csat_enabled and a visitor's rating of a closed chat. The rating is one
 * conditional UPDATE (Closed, and not rated since the close), so a second
 * rating of the same close changes nothing and answers CH_ERR_CONFLICT.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_org_set_csat(ch_store_tx *tx, int64_t company_id, int64_t org_id, int enabled)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_SET_CSAT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "organization csat");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int(st, 3, enabled ? 1 : 0), "organization csat");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "organization csat");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_rate(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int rating,
                                 const char *comment, int64_t now_ms, ch_chat_row *out)
{
	const char *text = comment ? comment : "";
	if (rating < CH_CSAT_RATING_MIN || rating > CH_CSAT_RATING_MAX || strlen(text) > CH_CSAT_COMMENT_MAX)
		return CH_ERR_OUT_OF_RANGE;
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_CHAT_OWNED, company_id, chat_id, "chat check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_RATE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "chat rating");
	if (err == CH_OK) {
		int rc = sqlite3_bind_int(st, 3, rating);
		if (rc == SQLITE_OK)
			rc = ch_store_sqlite_bind_text(st, 4, text);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 5, now_ms);
		err = ch_store_sqlite_bound(tx, st, rc, "chat rating");
	}
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat rating");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_CONFLICT; /* not Closed, or rated since its close */
	if (err == CH_OK && out)
		err = ch_store_sqlite_chat_get(tx, company_id, chat_id, out);
	return err;
}
