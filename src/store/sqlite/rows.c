/* rows.c — small helpers shared by the SQLite implementation of the second
 * half of store.h (clients, chats, messages, media, channels): scoped
 * existence checks, "did the update match a row", LIMIT values.
 *
 * Threading: pure functions of the connection they are given, which belongs
 * to the calling thread; no state of their own.
 */
#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_bind_ids(ch_store_tx *c, sqlite3_stmt *st, int64_t a, int64_t b,
                                const char *what)
{
	int rc = sqlite3_bind_int64(st, 1, a);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, b);
	return ch_store_sqlite_bound(c, st, rc, what);
}

ch_err ch_store_sqlite_exists(ch_store_tx *c, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	ch_err err = CH_OK;
	if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		err = ch_store_sqlite_fail(c, rc, what);
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_owned(ch_store_tx *c, ch_stmt_id id, int64_t a, int64_t b,
                             const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(c, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(c, st, a, b, what);
	if (err == CH_OK)
		err = ch_store_sqlite_exists(c, st, what);
	return err;
}

ch_err ch_store_sqlite_matched(ch_store_tx *c, ch_err err)
{
	/* changes() counts the rows the WHERE matched, even when no value
	 * changed, and never the rows a foreign-key cascade touched. */
	if (err == CH_OK && sqlite3_changes(c->db) == 0)
		return CH_ERR_NOT_FOUND;
	return err;
}

int64_t ch_store_sqlite_limit(int64_t limit) { return limit > 0 ? limit : -1; }
