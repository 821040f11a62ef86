/* message.c — messages in the SQLite backend (store.h, "messages"): append
 * with per-chat sequence numbers and client_message_id idempotency, pages of
 * a chat's history, and read receipts.
 *
 * seq is the chat's last_seq + 1, read and written inside the caller's job:
 * the single writer runs jobs one after the other, so two appends never see
 * the same last_seq, and UNIQUE (chat_id, seq) would refuse it if they did.
 * Every function is scoped to a company: a chat, message, media or operator of
 * another company answers CH_ERR_NOT_FOUND.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. A message row is
 * 17 KB, so rows live on the heap, never in a loop's stack frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "store/sqlite/sqlite_int.h"

static ch_err message_fill(sqlite3_stmt *st, ch_message_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->chat_id = sqlite3_column_int64(st, 1);
	out->company_id = sqlite3_column_int64(st, 2);
	out->seq = sqlite3_column_int64(st, 3);
	out->author = sqlite3_column_int(st, 4);
	out->operator_id = sqlite3_column_int64(st, 5);
	out->status = sqlite3_column_int(st, 8);
	out->has_media = sqlite3_column_type(st, 9) != SQLITE_NULL;
	memset(&out->media, 0, sizeof out->media);
	out->has_client_message_id = sqlite3_column_type(st, 14) != SQLITE_NULL;
	out->created_at = sqlite3_column_int64(st, 15);
	out->redacted_at = sqlite3_column_int64(st, 17);
	out->redacted_by = sqlite3_column_int64(st, 18);
	ch_err err = ch_store_sqlite_col_text(st, 6, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 19, out->redacted_by_name, sizeof out->redacted_by_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 16, out->operator_photo, sizeof out->operator_photo);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 7, out->text, sizeof out->text);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 14, out->client_message_id,
		                               sizeof out->client_message_id);
	if (err != CH_OK || !out->has_media)
		return err;
	out->media.id = sqlite3_column_int64(st, 9);
	out->media.company_id = out->company_id;
	out->media.chat_id = out->chat_id;
	out->media.type = sqlite3_column_int(st, 12);
	out->media.size = sqlite3_column_int64(st, 13);
	err = ch_store_sqlite_col_text(st, 10, out->media.name, sizeof out->media.name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 11, out->media.format, sizeof out->media.format);
	return err;
}

/* Steps a bound single-row query into *out, then resets the statement. */
static ch_err message_fetch(ch_store_tx *tx, sqlite3_stmt *st, ch_message_row *out)
{
	int rc = sqlite3_step(st);
	ch_err err = CH_OK;
	if (rc == SQLITE_ROW)
		err = message_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "message read");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err message_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_message_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "message get");
	if (err == CH_OK)
		err = message_fetch(tx, st, out);
	return err;
}

ch_err ch_store_sqlite_message_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_message_row *out)
{
	return message_get(tx, company_id, id, out);
}

typedef struct chat_state {
	int64_t org_id, last_seq, operator_read_seq, client_read_seq;
} chat_state;

static ch_err chat_state_get(ch_store_tx *tx, int64_t company_id, int64_t chat_id, chat_state *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_STATE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "chat state");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->org_id = sqlite3_column_int64(st, 0);
		out->last_seq = sqlite3_column_int64(st, 1);
		out->operator_read_seq = sqlite3_column_int64(st, 2);
		out->client_read_seq = sqlite3_column_int64(st, 3);
	} else if (rc == SQLITE_DONE) {
		err = CH_ERR_NOT_FOUND;
	} else {
		err = ch_store_sqlite_fail(tx, rc, "chat state");
	}
	ch_store_sqlite_reset(st);
	return err;
}

/* The stored message of the chat with that client_message_id, or NOT_FOUND. */
static ch_err find_by_client_id(ch_store_tx *tx, int64_t chat_id, const char *cmid,
                                ch_message_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_BY_CLIENT_ID, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, chat_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, cmid);
	err = ch_store_sqlite_bound(tx, st, rc, "message by client id");
	if (err == CH_OK)
		err = message_fetch(tx, st, out);
	return err;
}

/* The chat's media m->media_id into row->media; NOT_FOUND unless it is that
 * chat's and company's. */
static ch_err media_of(ch_store_tx *tx, const ch_message_new *m, ch_message_row *row)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MEDIA_IN_CHAT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, m->company_id, m->chat_id, "message media");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, m->media_id),
		                            "message media");
	if (err != CH_OK)
		return err;
	ch_media_row *d = &row->media;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		d->id = m->media_id;
		d->company_id = m->company_id;
		d->chat_id = m->chat_id;
		d->type = sqlite3_column_int(st, 2);
		d->size = sqlite3_column_int64(st, 3);
		err = ch_store_sqlite_col_text(st, 0, d->name, sizeof d->name);
		if (err == CH_OK)
			err = ch_store_sqlite_col_text(st, 1, d->format, sizeof d->format);
	} else if (rc == SQLITE_DONE) {
		err = CH_ERR_NOT_FOUND;
	} else {
		err = ch_store_sqlite_fail(tx, rc, "message media");
	}
	ch_store_sqlite_reset(st);
	return err;
}

/* The company's operator m->operator_id's name and photo into the row;
 * NOT_FOUND for another company's. */
static ch_err operator_of(ch_store_tx *tx, const ch_message_new *m, ch_message_row *row)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_NAME, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, m->company_id, m->operator_id, "message operator");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		err = ch_store_sqlite_col_text(st, 0, row->operator_name, sizeof row->operator_name);
		if (err == CH_OK)
			err = ch_store_sqlite_col_text(st, 1, row->operator_photo, sizeof row->operator_photo);
	} else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "message operator");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err message_insert(ch_store_tx *tx, const ch_message_new *m, int64_t seq, int64_t now,
                             int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, m->company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, m->chat_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, m->author);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, m->operator_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 6, m->text ? m->text : "");
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 7, m->status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, m->media_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 9, m->client_message_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 10, now);
	err = ch_store_sqlite_bound(tx, st, rc, "message append");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "message append");
	if (err == CH_OK)
		*id_out = sqlite3_last_insert_rowid(tx->db);
	return err;
}

/* Moves the chat's last_seq, last activity, preview (its first n bytes) and
 * unread count to the new message. */
static ch_err chat_appended(ch_store_tx *tx, int64_t chat_id, int64_t seq, int64_t now,
                            const char *preview, size_t n, int author)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_APPENDED, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, chat_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, now);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 4, preview, (int)n, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, author == CH_AUTHOR_CLIENT);
	err = ch_store_sqlite_bound(tx, st, rc, "chat last message");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat last message");
	return err;
}

/* Every check of an append that can refuse it, before anything is written;
 * fills the row's media and operator name from what they refer to. */
static ch_err check_refs(ch_store_tx *tx, const ch_message_new *m, ch_message_row *row)
{
	ch_err err = CH_OK;
	ch_store_fill_refs_clear(row, m);
	if (m->media_id)
		err = media_of(tx, m, row);
	if (err == CH_OK && m->operator_id)
		err = operator_of(tx, m, row);
	return err;
}

ch_err ch_store_sqlite_message_append(ch_store_tx *tx, const ch_message_new *m, ch_chat_row *chat,
                               ch_message_row *out, int *duplicate)
{
	chat_state cs;
	int64_t id = 0, now = ch_now_ms();
	if (duplicate)
		*duplicate = 0;
	if (chat && (chat->id != m->chat_id || chat->company_id != m->company_id))
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_message_new(m);
	if (err == CH_OK && chat) /* read in this job: current under the single writer */
		cs.last_seq = chat->last_seq;
	else if (err == CH_OK)
		err = chat_state_get(tx, m->company_id, m->chat_id, &cs);
	if (err != CH_OK)
		return err;
	/* out, or a scratch row when the caller passed none: a row is 17 KB */
	ch_message_row *row = out ? out : ch_xmalloc(sizeof *row);
	if (m->client_message_id) {
		/* A retry: answer the stored message, write nothing. */
		err = find_by_client_id(tx, m->chat_id, m->client_message_id, row);
		if (err == CH_OK && duplicate)
			*duplicate = 1;
		if (err != CH_ERR_NOT_FOUND)
			goto done;
	}
	err = check_refs(tx, m, row);
	if (err == CH_OK)
		err = message_insert(tx, m, cs.last_seq + 1, now, &id);
	/* the preview: the text, else the media's name, cut on a UTF-8 boundary */
	const char *text = m->text ? m->text : "";
	const char *preview = *text ? text : row->media.name;
	size_t plen = ch_utf8_prefix(preview, strlen(preview), CH_PREVIEW_MAX);
	if (err == CH_OK)
		err = chat_appended(tx, m->chat_id, cs.last_seq + 1, now, preview, plen, m->author);
	if (err == CH_OK) {
		ch_store_fill_appended(row, m, id, cs.last_seq + 1, now);
		if (chat)
			ch_store_fill_chat_appended(chat, row, preview, plen);
	}
done:
	if (row != out)
		free(row);
	return err;
}

/* Calls each for every row of a bound message query, then resets it. */
static ch_err message_each(ch_store_tx *tx, sqlite3_stmt *st, ch_message_each_fn each, void *ctx)
{
	ch_message_row *row = ch_xmalloc(sizeof *row);
	ch_err err = CH_OK;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = message_fill(st, row);
		if (err == CH_OK)
			each(ctx, row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "message list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_message_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t after_seq,
                             int64_t before_seq, int64_t limit, ch_message_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	if (after_seq < 0 || before_seq < 0 || limit < 0)
		return CH_ERR_OUT_OF_RANGE;
	/* An empty page of an existing chat and a foreign chat answer apart. */
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_CHAT_OWNED, company_id, chat_id, "chat check");
	ch_stmt_id id = after_seq ? CH_STMT_MESSAGE_LIST_AFTER : CH_STMT_MESSAGE_LIST_BEFORE;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, chat_id, "message list");
	if (err != CH_OK)
		return err;
	/* Both bounds are always bound so that they are index ranges. */
	int rc = sqlite3_bind_int64(st, 3, after_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, before_seq ? before_seq : INT64_MAX);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, ch_store_sqlite_limit(limit));
	err = ch_store_sqlite_bound(tx, st, rc, "message list");
	if (err == CH_OK)
		err = message_each(tx, st, each, ctx);
	return err;
}

/* Binds the mark-read range: chat ?1, (?2, ?3] of the authors ?4, ?5. */
static ch_err bind_read_range(ch_store_tx *tx, sqlite3_stmt *st, int64_t chat_id, int64_t from,
                              int64_t upto, int reader)
{
	/* The operator side reads the client's messages; the client reads the
	 * operators' and the system's. */
	int a = reader == CH_AUTHOR_OPERATOR ? CH_AUTHOR_CLIENT : CH_AUTHOR_OPERATOR;
	int b = reader == CH_AUTHOR_OPERATOR ? CH_AUTHOR_CLIENT : CH_AUTHOR_SYSTEM;
	int rc = sqlite3_bind_int64(st, 1, chat_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, from);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, upto);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 4, a);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, b);
	return ch_store_sqlite_bound(tx, st, rc, "mark read");
}

typedef struct id_list {
	int64_t *v;
	size_t n, cap;
} id_list;

/* The ids of the messages a read of (from, upto] changes, ascending by seq. */
static ch_err unread_ids(ch_store_tx *tx, int64_t chat_id, int64_t from, int64_t upto,
                         int reader, id_list *ids)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_UNREAD_IDS, &st);
	if (err == CH_OK)
		err = bind_read_range(tx, st, chat_id, from, upto, reader);
	if (err != CH_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (ids->n == ids->cap) {
			ids->cap = ids->cap ? 2 * ids->cap : 16;
			ids->v = ch_xrealloc(ids->v, ids->cap * sizeof *ids->v);
		}
		ids->v[ids->n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "mark read");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err mark_range(ch_store_tx *tx, int64_t chat_id, int64_t from, int64_t upto, int reader)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_MARK_READ, &st);
	if (err == CH_OK)
		err = bind_read_range(tx, st, chat_id, from, upto, reader);
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "mark read");
	if (err != CH_OK)
		return err;
	ch_stmt_id id = reader == CH_AUTHOR_OPERATOR ? CH_STMT_CHAT_READ_OPERATOR
	                                             : CH_STMT_CHAT_READ_CLIENT;
	err = ch_store_sqlite_prep(tx, id, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, chat_id, upto, "mark read");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "mark read");
	return err;
}

/* Calls each with every changed message, read again after the update (no
 * statement is running then, so each may use the store). */
static ch_err emit_changed(ch_store_tx *tx, int64_t company_id, const id_list *ids,
                           ch_message_each_fn each, void *ctx)
{
	ch_message_row *row = ch_xmalloc(sizeof *row);
	ch_err err = CH_OK;
	for (size_t i = 0; err == CH_OK && i < ids->n; i++) {
		err = message_get(tx, company_id, ids->v[i], row);
		if (err == CH_OK)
			each(ctx, row);
	}
	free(row);
	return err;
}

ch_err ch_store_sqlite_chat_mark_read(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int reader_author,
                               int64_t upto_seq, ch_message_each_fn each, void *ctx)
{
	chat_state cs;
	id_list ids = {0};
	if (reader_author != CH_AUTHOR_OPERATOR && reader_author != CH_AUTHOR_CLIENT)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = chat_state_get(tx, company_id, chat_id, &cs);
	if (err != CH_OK)
		return err;
	int64_t upto = upto_seq < 0 ? 0 : upto_seq > cs.last_seq ? cs.last_seq : upto_seq;
	/* Everything at or below the side's read_seq was marked when it was
	 * read, and every later message has a greater seq: start above it. */
	int64_t from = reader_author == CH_AUTHOR_OPERATOR ? cs.operator_read_seq : cs.client_read_seq;
	if (upto <= from)
		return CH_OK;
	if (each)
		err = unread_ids(tx, chat_id, from, upto, reader_author, &ids);
	if (err == CH_OK)
		err = mark_range(tx, chat_id, from, upto, reader_author);
	if (err == CH_OK && each)
		err = emit_changed(tx, company_id, &ids, each, ctx);
	free(ids.v);
	return err;
}

/* Runs a prepared change statement with up to four integer parameters. */
static ch_err run_ints(ch_store_tx *tx, ch_stmt_id id, int n, const int64_t *v, const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err != CH_OK)
		return err;
	int rc = SQLITE_OK;
	for (int i = 0; i < n && rc == SQLITE_OK; i++)
		rc = sqlite3_bind_int64(st, i + 1, v[i]);
	err = ch_store_sqlite_bound(tx, st, rc, what);
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, what);
	return err;
}

ch_err ch_store_sqlite_message_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                          ch_message_row *out)
{
	if (status < CH_MSG_NEW || status > CH_MSG_READ)
		return CH_ERR_OUT_OF_RANGE;
	ch_message_row *m = ch_xmalloc(sizeof *m);
	ch_err err = message_get(tx, company_id, id, m);
	int64_t upd[3] = {company_id, id, status};
	if (err == CH_OK && m->status != status)
		err = run_ints(tx, CH_STMT_MESSAGE_SET_STATUS, 3, upd, "message status");
	if (err == CH_OK && out) {
		m->status = status;
		*out = *m;
	}
	free(m);
	return err;
}

ch_err ch_store_sqlite_message_redact(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t id,
                                      int64_t operator_id, ch_message_row *out)
{
	ch_message_row *m = ch_xmalloc(sizeof *m);
	ch_err err = message_get(tx, company_id, id, m);
	if (err == CH_OK && m->chat_id != chat_id)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK && !m->redacted_at) {
		int64_t upd[4] = {company_id, id, ch_now_ms(), operator_id};
		int64_t media[2] = {company_id, m->media.id};
		int64_t chat[3] = {company_id, chat_id, m->seq};
		err = run_ints(tx, CH_STMT_MESSAGE_REDACT, 4, upd, "message redact");
		if (err == CH_OK && m->has_media)
			err = run_ints(tx, CH_STMT_MEDIA_DELETE_UNUSED, 2, media, "media delete");
		if (err == CH_OK)
			err = run_ints(tx, CH_STMT_CHAT_PREVIEW_CLEAR, 3, chat, "chat preview");
		if (err == CH_OK)
			err = message_get(tx, company_id, id, m);
	}
	if (err == CH_OK && out)
		*out = *m;
	free(m);
	return err;
}
