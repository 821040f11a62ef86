/* note.c — operators' private notes on a chat in the SQLite backend
 * (store.h, "private notes"). A note is a row of its own table: writing one
 * never touches the chat's row (seq, preview, unread count, activity).
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static ch_err note_fill(sqlite3_stmt *st, ch_note_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->chat_id = sqlite3_column_int64(st, 3);
	out->operator_id = sqlite3_column_int64(st, 4);
	ch_err err = ch_store_sqlite_col_text(st, 5, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 6, out->operator_photo, sizeof out->operator_photo);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 7, out->text, sizeof out->text);
	ch_store_fill_note_mentions(out, (const char *)sqlite3_column_text(st, 8));
	out->after_seq = sqlite3_column_int64(st, 9);
	out->created_at = sqlite3_column_int64(st, 10);
	return err;
}

static ch_err note_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_note_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_NOTE_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "note get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = note_fill(st, out);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "note get");
	ch_store_sqlite_reset(st);
	return err;
}

/* The chat (scoped), its budget, and the author in its organization. */
static ch_err note_allowed(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t operator_id,
                           ch_chat_row *chat)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	ch_err err = ch_store_sqlite_chat_lock(tx, company_id, chat_id, chat);
	if (err == CH_OK && operator_id)
		err = ch_store_sqlite_operator_in_org(tx, company_id, chat->organization_id, operator_id);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_NOTE_COUNT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, chat_id), "note count");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "note count", &n);
	return err == CH_OK && n >= CH_NOTES_PER_CHAT_MAX ? CH_ERR_CONFLICT : err;
}

ch_err ch_store_sqlite_note_create(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t operator_id,
                                   const char *text, const int64_t *mentions, size_t n_mentions,
                                   ch_note_row *out)
{
	ch_chat_row *chat = ch_xmalloc(sizeof *chat);
	char ids[CH_NOTE_MENTIONS_TEXT];
	sqlite3_stmt *st;
	int64_t now = ch_now_ms();
	ch_err err = ch_store_check_note(text, n_mentions);
	if (err == CH_OK)
		err = note_allowed(tx, company_id, chat_id, operator_id, chat);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_NOTE_INSERT, &st);
	if (err == CH_OK) {
		ch_store_fill_mentions_text(mentions, n_mentions, ids);
		int rc = sqlite3_bind_int64(st, 1, company_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, chat->organization_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 3, chat_id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 4, operator_id);
		if (rc == SQLITE_OK)
			rc = ch_store_sqlite_bind_text(st, 5, text);
		if (rc == SQLITE_OK)
			rc = ch_store_sqlite_bind_text(st, 6, ids);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 7, chat->last_seq);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 8, now);
		err = ch_store_sqlite_bound(tx, st, rc, "note create");
	}
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "note create");
	if (err == CH_OK && out)
		err = note_get(tx, company_id, sqlite3_last_insert_rowid(tx->db), out);
	free(chat);
	return err;
}

ch_err ch_store_sqlite_note_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t before_id,
                                 int64_t limit, ch_note_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_NOTE_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "note list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, before_id > 0 ? before_id : INT64_MAX),
		                            "note list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 4, limit), "note list");
	if (err != CH_OK)
		return err;
	ch_note_row *row = ch_xmalloc(sizeof *row);
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = note_fill(st, row)) == CH_OK)
			each(ctx, row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "note list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}
