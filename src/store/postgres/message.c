/* message.c — messages in the PostgreSQL backend (store.h, "messages"):
 * append with per-chat sequence numbers and client_message_id idempotency,
 * pages of a chat's history, and read receipts.
 *
 * seq is the chat's last_seq + 1 read under the chat's row lock (FOR NO KEY
 * UPDATE, held until the batch ends), so appends of several processes to one
 * chat are numbered one after the other, and a retry of a clientMessageId
 * that another process is storing waits for it, then finds it. last_seq only
 * moves together with an insert in the same transaction: a rollback never
 * leaves a gap, and UNIQUE (chat_id, seq) stays the safety net.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. A message row is
 * 17 KB, so rows live on the heap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "store/postgres/pg_int.h"

static ch_err message_fill(const PGresult *r, int i, ch_message_row *out)
{
	out->id = ch_pg_i64(r, i, 0);
	out->chat_id = ch_pg_i64(r, i, 1);
	out->company_id = ch_pg_i64(r, i, 2);
	out->seq = ch_pg_i64(r, i, 3);
	out->author = (int)ch_pg_i64(r, i, 4);
	out->operator_id = ch_pg_i64(r, i, 5);
	out->status = (int)ch_pg_i64(r, i, 8);
	out->has_media = !ch_pg_isnull(r, i, 9);
	memset(&out->media, 0, sizeof out->media);
	out->has_client_message_id = !ch_pg_isnull(r, i, 14);
	out->created_at = ch_pg_i64(r, i, 15);
	out->redacted_at = ch_pg_i64(r, i, 17);
	out->redacted_by = ch_pg_i64(r, i, 18);
	ch_err err = ch_pg_str(r, i, 6, out->operator_name, sizeof out->operator_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 19, out->redacted_by_name, sizeof out->redacted_by_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 16, out->operator_photo, sizeof out->operator_photo);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 7, out->text, sizeof out->text);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 14, out->client_message_id, sizeof out->client_message_id);
	if (err != CH_OK || !out->has_media)
		return err;
	out->media.id = ch_pg_i64(r, i, 9);
	out->media.company_id = out->company_id;
	out->media.chat_id = out->chat_id;
	out->media.type = (int)ch_pg_i64(r, i, 12);
	out->media.size = ch_pg_i64(r, i, 13);
	err = ch_pg_str(r, i, 10, out->media.name, sizeof out->media.name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 11, out->media.format, sizeof out->media.format);
	return err;
}

static ch_err message_fetch(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p, ch_message_row *out)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, p, &r);
	if (err == CH_OK)
		err = message_fill(r, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_message_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_message_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return message_fetch(tx, CH_PG_MESSAGE_GET, &p, out);
}

typedef struct chat_state {
	int64_t org_id, last_seq, operator_read_seq, client_read_seq;
} chat_state;

static ch_err chat_state_get(ch_store_tx *tx, ch_pg_stmt id, int64_t company_id, int64_t chat_id,
                             chat_state *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, &p, &r);
	if (err == CH_OK) {
		out->org_id = ch_pg_i64(r, 0, 0);
		out->last_seq = ch_pg_i64(r, 0, 1);
		out->operator_read_seq = ch_pg_i64(r, 0, 2);
		out->client_read_seq = ch_pg_i64(r, 0, 3);
	}
	PQclear(r);
	return err;
}

/* The chat's media m->media_id into row->media; NOT_FOUND unless it is that
 * chat's and company's. */
static ch_err media_of(ch_store_tx *tx, const ch_message_new *m, ch_message_row *row)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, m->company_id);
	ch_pg_int(&p, m->chat_id);
	ch_pg_int(&p, m->media_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_MEDIA_IN_CHAT, &p, &r);
	ch_media_row *d = &row->media;
	if (err == CH_OK) {
		d->id = m->media_id;
		d->company_id = m->company_id;
		d->chat_id = m->chat_id;
		d->type = (int)ch_pg_i64(r, 0, 2);
		d->size = ch_pg_i64(r, 0, 3);
		err = ch_pg_str(r, 0, 0, d->name, sizeof d->name);
		if (err == CH_OK)
			err = ch_pg_str(r, 0, 1, d->format, sizeof d->format);
	}
	PQclear(r);
	return err;
}

static ch_err operator_of(ch_store_tx *tx, const ch_message_new *m, ch_message_row *row)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, m->company_id);
	ch_pg_int(&p, m->operator_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_OPERATOR_NAME, &p, &r);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 0, row->operator_name, sizeof row->operator_name);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 1, row->operator_photo, sizeof row->operator_photo);
	PQclear(r);
	return err;
}

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

/* Inserts the message as seq, then moves the chat's last message to it. */
static ch_err insert(ch_store_tx *tx, const ch_message_new *m, int64_t seq, int64_t now,
                     const char *preview, size_t plen, int64_t *id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, m->company_id);
	ch_pg_int(&p, m->chat_id);
	ch_pg_int(&p, seq);
	ch_pg_int(&p, m->author);
	ch_pg_int(&p, m->operator_id);
	ch_pg_text(&p, m->text ? m->text : "");
	ch_pg_int(&p, m->status);
	ch_pg_int(&p, m->media_id);
	ch_pg_text(&p, m->client_message_id);
	ch_pg_int(&p, now);
	ch_err err = ch_pg_one_int64(tx, CH_PG_MESSAGE_INSERT, &p, id);
	if (err != CH_OK)
		return err == CH_ERR_NOT_FOUND ? CH_ERR_INTERNAL : err;
	ch_pg_params q = {0};
	ch_pg_int(&q, m->chat_id);
	ch_pg_int(&q, seq);
	ch_pg_int(&q, now);
	ch_pg_textn(&q, preview, plen);
	ch_pg_int(&q, m->author == CH_AUTHOR_CLIENT);
	return ch_pg_exec(tx, CH_PG_CHAT_APPENDED, &q, NULL);
}

ch_err ch_store_pg_message_append(ch_store_tx *tx, const ch_message_new *m, ch_chat_row *chat,
                                  ch_message_row *out, int *duplicate)
{
	chat_state cs;
	int64_t id = 0, now = ch_now_ms();
	if (duplicate)
		*duplicate = 0;
	if (chat && (chat->id != m->chat_id || chat->company_id != m->company_id))
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_message_new(m);
	/* Locked even when the caller read the chat: another process may have
	 * appended since, and the lock makes last_seq current. */
	if (err == CH_OK)
		err = chat_state_get(tx, CH_PG_CHAT_STATE_LOCK, m->company_id, m->chat_id, &cs);
	if (err != CH_OK)
		return err;
	ch_message_row *row = out ? out : ch_xmalloc(sizeof *row);
	if (m->client_message_id) {
		ch_pg_params p = {0};
		ch_pg_int(&p, m->chat_id);
		ch_pg_text(&p, m->client_message_id);
		err = message_fetch(tx, CH_PG_MESSAGE_BY_CLIENT_ID, &p, row);
		if (err == CH_OK && duplicate)
			*duplicate = 1;
		if (err != CH_ERR_NOT_FOUND)
			goto done;
	}
	err = check_refs(tx, m, row);
	const char *text = m->text ? m->text : "";
	const char *preview = *text ? text : row->media.name;
	size_t plen = ch_utf8_prefix(preview, strlen(preview), CH_PREVIEW_MAX);
	if (err == CH_OK)
		err = insert(tx, m, cs.last_seq + 1, now, preview, plen, &id);
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

static ch_err message_each(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p,
                           ch_message_each_fn each, void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	ch_message_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = message_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_message_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t after_seq,
                                int64_t before_seq, int64_t limit, ch_message_each_fn each, void *ctx)
{
	if (after_seq < 0 || before_seq < 0 || limit < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_pg_owned(tx, CH_PG_CHAT_OWNED, company_id, chat_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	ch_pg_int(&p, after_seq);
	ch_pg_int(&p, before_seq ? before_seq : INT64_MAX);
	if (limit > 0)
		ch_pg_int(&p, limit);
	else
		ch_pg_null(&p);
	return message_each(tx, after_seq ? CH_PG_MESSAGE_LIST_AFTER : CH_PG_MESSAGE_LIST_BEFORE, &p,
	                    each, ctx);
}

/* The mark-read range: chat $1, ($2, $3] of the authors $4, $5. */
static void bind_read_range(ch_pg_params *p, int64_t chat_id, int64_t from, int64_t upto, int reader)
{
	int a = reader == CH_AUTHOR_OPERATOR ? CH_AUTHOR_CLIENT : CH_AUTHOR_OPERATOR;
	int b = reader == CH_AUTHOR_OPERATOR ? CH_AUTHOR_CLIENT : CH_AUTHOR_SYSTEM;
	ch_pg_int(p, chat_id);
	ch_pg_int(p, from);
	ch_pg_int(p, upto);
	ch_pg_int(p, a);
	ch_pg_int(p, b);
}

ch_err ch_store_pg_chat_mark_read(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int reader_author,
                                  int64_t upto_seq, ch_message_each_fn each, void *ctx)
{
	chat_state cs;
	if (reader_author != CH_AUTHOR_OPERATOR && reader_author != CH_AUTHOR_CLIENT)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = chat_state_get(tx, CH_PG_CHAT_STATE_LOCK, company_id, chat_id, &cs);
	if (err != CH_OK)
		return err;
	int64_t upto = upto_seq < 0 ? 0 : upto_seq > cs.last_seq ? cs.last_seq : upto_seq;
	int64_t from = reader_author == CH_AUTHOR_OPERATOR ? cs.operator_read_seq : cs.client_read_seq;
	if (upto <= from)
		return CH_OK;
	ch_pg_params p = {0};
	bind_read_range(&p, chat_id, from, upto, reader_author);
	PGresult *ids = NULL;
	if (each)
		err = ch_pg_exec(tx, CH_PG_MESSAGE_UNREAD_IDS, &p, &ids);
	if (err == CH_OK)
		err = ch_pg_exec(tx, CH_PG_MESSAGE_MARK_READ, &p, NULL);
	ch_pg_params q = {0};
	ch_pg_int(&q, chat_id);
	ch_pg_int(&q, upto);
	if (err == CH_OK)
		err = ch_pg_exec(tx, reader_author == CH_AUTHOR_OPERATOR ? CH_PG_CHAT_READ_OPERATOR
		                                                         : CH_PG_CHAT_READ_CLIENT,
		                 &q, NULL);
	ch_message_row *row = each ? ch_xmalloc(sizeof *row) : NULL;
	for (int i = 0; err == CH_OK && ids && i < PQntuples(ids); i++) {
		err = ch_store_pg_message_get(tx, company_id, ch_pg_i64(ids, i, 0), row);
		if (err == CH_OK)
			each(ctx, row);
	}
	free(row);
	PQclear(ids);
	return err;
}

/* Runs a change statement with integer parameters; no row changed is fine. */
static ch_err run_ints(ch_store_tx *tx, ch_pg_stmt id, int n, const int64_t *v)
{
	ch_pg_params p = {0};
	for (int i = 0; i < n; i++)
		ch_pg_int(&p, v[i]);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, &p, &r);
	PQclear(r);
	return err;
}

/* Two processes redacting at once write once: the second UPDATE waits for
 * the first's row lock, then re-checks redacted_at = 0 and changes nothing. */
ch_err ch_store_pg_message_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                      ch_message_row *out)
{
	if (status < CH_MSG_NEW || status > CH_MSG_READ)
		return CH_ERR_OUT_OF_RANGE;
	ch_message_row *m = ch_xmalloc(sizeof *m);
	ch_err err = ch_store_pg_message_get(tx, company_id, id, m);
	int64_t upd[3] = {company_id, id, status};
	if (err == CH_OK && m->status != status)
		err = run_ints(tx, CH_PG_MESSAGE_SET_STATUS, 3, upd);
	if (err == CH_OK && out) {
		m->status = status;
		*out = *m;
	}
	free(m);
	return err;
}

ch_err ch_store_pg_message_redact(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t id,
                                  int64_t operator_id, ch_message_row *out)
{
	ch_message_row *m = ch_xmalloc(sizeof *m);
	ch_err err = ch_store_pg_message_get(tx, company_id, id, m);
	if (err == CH_OK && m->chat_id != chat_id)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK && !m->redacted_at) {
		int64_t upd[4] = {company_id, id, ch_now_ms(), operator_id};
		int64_t media[2] = {company_id, m->media.id};
		int64_t chat[3] = {company_id, chat_id, m->seq};
		err = run_ints(tx, CH_PG_MESSAGE_REDACT, 4, upd);
		if (err == CH_OK && m->has_media)
			err = run_ints(tx, CH_PG_MEDIA_DELETE_UNUSED, 2, media);
		if (err == CH_OK)
			err = run_ints(tx, CH_PG_CHAT_PREVIEW_CLEAR, 3, chat);
		if (err == CH_OK)
			err = ch_store_pg_message_get(tx, company_id, id, m);
	}
	if (err == CH_OK && out)
		*out = *m;
	free(m);
	return err;
}
