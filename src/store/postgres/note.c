/* note.c — operators' private notes on a chat in the PostgreSQL backend
 * (store.h, "private notes"). A note is a row of its own table: writing one
 * never changes the chat's row (seq, preview, unread count, activity); the
 * row is only locked, so that two processes never both write the last note
 * the chat's budget allows.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/postgres/pg_int.h"

static ch_err note_fill(const PGresult *r, int i, ch_note_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	out->organization_id = ch_pg_i64(r, i, 2);
	out->chat_id = ch_pg_i64(r, i, 3);
	out->operator_id = ch_pg_i64(r, i, 4);
	ch_err err = ch_pg_str(r, i, 5, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 6, out->operator_photo, sizeof out->operator_photo);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 7, out->text, sizeof out->text);
	ch_store_fill_note_mentions(out, PQgetvalue(r, i, 8));
	out->after_seq = ch_pg_i64(r, i, 9);
	out->created_at = ch_pg_i64(r, i, 10);
	return err;
}

static ch_err note_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_note_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_NOTE_GET, &p, &r);
	if (err == CH_OK)
		err = note_fill(r, 0, out);
	PQclear(r);
	return err;
}

/* The chat (scoped, locked), its budget, and the author in its organization. */
static ch_err note_allowed(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t operator_id,
                           ch_chat_row *chat)
{
	int64_t n = 0;
	ch_err err = ch_store_pg_chat_lock(tx, company_id, chat_id, chat);
	if (err == CH_OK && operator_id)
		err = ch_pg_operator_in_org(tx, company_id, chat->organization_id, operator_id);
	ch_pg_params c = {0};
	ch_pg_int(&c, chat_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_NOTE_COUNT, &c, &n);
	return err == CH_OK && n >= CH_NOTES_PER_CHAT_MAX ? CH_ERR_CONFLICT : err;
}

ch_err ch_store_pg_note_create(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t operator_id,
                               const char *text, const int64_t *mentions, size_t n_mentions, ch_note_row *out)
{
	ch_chat_row *chat = ch_xmalloc(sizeof *chat);
	char ids[CH_NOTE_MENTIONS_TEXT];
	int64_t id = 0;
	ch_err err = ch_store_check_note(text, n_mentions);
	if (err == CH_OK)
		err = note_allowed(tx, company_id, chat_id, operator_id, chat);
	if (err == CH_OK) {
		ch_store_fill_mentions_text(mentions, n_mentions, ids);
		ch_pg_params p = {0};
		ch_pg_int(&p, company_id);
		ch_pg_int(&p, chat->organization_id);
		ch_pg_int(&p, chat_id);
		ch_pg_int(&p, operator_id);
		ch_pg_text(&p, text);
		ch_pg_text(&p, ids);
		ch_pg_int(&p, chat->last_seq);
		ch_pg_int(&p, ch_now_ms());
		err = ch_pg_one_int64(tx, CH_PG_NOTE_INSERT, &p, &id);
	}
	if (err == CH_OK && out)
		err = note_get(tx, company_id, id, out);
	free(chat);
	return err;
}

ch_err ch_store_pg_note_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t before_id,
                             int64_t limit, ch_note_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	ch_pg_int(&p, before_id > 0 ? before_id : INT64_MAX);
	ch_pg_int(&p, limit);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_NOTE_LIST, &p, &r);
	ch_note_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = note_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}
