/* autoclose.c — auto-close in the SQLite backend (store.h, "auto-close"):
 * an organization's minutes per status, the chats due, and the conditional
 * close. The due list walks chats_operator_open (the chats that are not
 * Closed); the close re-checks the same condition in its UPDATE, so a chat
 * that got a message or changed status since it was found is left alone.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "store/sqlite/sqlite_int.h"

/* Binds minutes (negative: NULL, unchanged) as parameter i. */
static int bind_minutes(sqlite3_stmt *st, int i, int64_t minutes)
{
	return minutes < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, minutes);
}

ch_err ch_store_sqlite_org_set_auto_close(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t waiting,
                                          int64_t open, int64_t on_pause)
{
	if (waiting > CH_AUTO_CLOSE_MINUTES_MAX || open > CH_AUTO_CLOSE_MINUTES_MAX ||
	    on_pause > CH_AUTO_CLOSE_MINUTES_MAX)
		return CH_ERR_OUT_OF_RANGE;
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_SET_AUTO_CLOSE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "organization auto-close");
	if (err != CH_OK)
		return err;
	int rc = bind_minutes(st, 3, waiting);
	if (rc == SQLITE_OK)
		rc = bind_minutes(st, 4, open);
	if (rc == SQLITE_OK)
		rc = bind_minutes(st, 5, on_pause);
	err = ch_store_sqlite_bound(tx, st, rc, "organization auto-close");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "organization auto-close");
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_chat_idle_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                                     void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_IDLE_DUE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, ch_store_sqlite_limit(limit), "chats due");
	return err == CH_OK ? ch_store_sqlite_chat_each(tx, st, each, ctx) : err;
}

ch_err ch_store_sqlite_chat_close_if_idle(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                                          ch_chat_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_CHAT_OWNED, company_id, chat_id, "chat check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_CLOSE_IF_IDLE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "chat auto-close");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, now_ms), "chat auto-close");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat auto-close");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_CONFLICT; /* no longer due: a message, a status change, a close */
	if (err == CH_OK && out)
		err = ch_store_sqlite_chat_get(tx, company_id, chat_id, out);
	return err;
}
