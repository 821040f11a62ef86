/* note.c — operators' private notes on a chat (docs/api.md "Notes",
 * docs/hub.md AddNote / GetNotes), shared by REST and the hub.
 *
 * A note is for the operator side only: the write emits NoteAdded to the
 * chat's organization's operators and its company (never CH_AUD_CLIENT), and
 * Mentioned to each operator the note mentions; nothing here is part of a
 * message, so Sync, history, channel deliveries and the client's seq never
 * see one. Who is mentioned is decided in the write job, against the
 * organization's Active operators as they are in that transaction.
 * Threading: the job runs on the store writer; ch_svc_notes on the calling
 * worker inside its read transaction. */
#include <stdlib.h>
#include <string.h>

#include "chat/mention.h"
#include "core/buf.h"
#include "svc/internal.h"

typedef struct name_list {
	ch_mention_name *names;
	char (*text)[CH_NAME_MAX + 1];
	size_t n, cap;
} name_list;

static void add_name(void *ctx, const ch_operator_row *op)
{
	name_list *l = ctx;
	if (op->status != CH_OPERATOR_ACTIVE)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->names = ch_xrealloc(l->names, l->cap * sizeof *l->names);
		l->text = ch_xrealloc(l->text, l->cap * sizeof *l->text);
	}
	memcpy(l->text[l->n], op->name, sizeof l->text[l->n]);
	l->names[l->n].id = op->id;
	l->n++;
}

/* The Active operators of the chat's organization that text mentions. */
static ch_err resolve_mentions(ch_store_tx *tx, const ch_chat_row *c, const char *text, int64_t *ids, size_t *n)
{
	*n = 0;
	if (!strchr(text, '@'))
		return CH_OK;
	name_list l = {0};
	ch_err e = ch_store_operator_list(tx, c->company_id, c->organization_id, 0, add_name, &l);
	for (size_t i = 0; i < l.n; i++) /* text may have moved with each realloc: point at it now */
		l.names[i].name = l.text[i];
	if (!e)
		*n = ch_mentions_find(text, l.names, l.n, ids, CH_NOTE_MENTIONS_MAX);
	free(l.names);
	free(l.text);
	return e;
}

static ch_err note_failed(svc_job *j, ch_err e)
{
	switch (e) {
	case CH_ERR_NOT_FOUND: return svc_fail(j, e, "chat not found");
	case CH_ERR_CONFLICT: return svc_fail(j, e, "conflict: the chat has as many notes as it may (1000)");
	case CH_ERR_OUT_OF_RANGE: return svc_fail(j, e, "text must be 1 to 16384 bytes of UTF-8");
	case CH_ERR_BAD_JSON: return svc_fail(j, e, "text is not valid UTF-8");
	default: return e;
	}
}

static ch_err note_add_fn(ch_store_tx *tx, svc_job *j)
{
	if (j->p.kind != CH_TOKEN_COMPANY && j->p.kind != CH_TOKEN_OPERATOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "only operators and companies write notes");
	ch_chat_row c;
	int64_t ids[CH_NOTE_MENTIONS_MAX];
	size_t n = 0;
	ch_err e = ch_svc_chat_visible(tx, &j->p, j->chat_id, &c);
	if (!e)
		e = resolve_mentions(tx, &c, j->text, ids, &n);
	ch_note_row *note = ch_xmalloc(sizeof *note);
	if (!e)
		e = ch_store_note_create(tx, c.company_id, c.id, j->p.kind == CH_TOKEN_OPERATOR ? j->p.operator_id : 0,
		                         j->text, ids, n, note);
	if (e) {
		free(note);
		return note_failed(j, e);
	}
	json_t *nj = ch_svc_json_note(note);
	ch_event *ev = svc_emit(j, SVC_OPERATOR_SIDE, &c, "NoteAdded", nj ? json_pack("[O]", nj) : NULL);
	if (ev)
		ev->exclude_conn = j->origin_conn; /* the writer gets the completion instead */
	for (size_t i = 0; i < note->n_mentions && nj; i++) {
		ev = svc_emit(j, CH_AUD_OPERATOR, &c, "Mentioned", json_pack("[O]", nj));
		if (ev)
			ev->operator_id = note->mentions[i];
	}
	svc_result(j, nj ? json_deep_copy(nj) : NULL); /* the events and the caller use it on different threads */
	json_decref(nj);
	free(note);
	return CH_OK;
}

void ch_svc_note_add(const ch_principal *p, int64_t chat_id, const char *text, uint64_t origin_conn,
                     ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(note_add_fn, p, done, arg);
	j->chat_id = chat_id;
	j->text = text;
	j->origin_conn = origin_conn;
	svc_submit(j);
}

/* The store gives a page newest first; the answer is oldest first. */
static void add_note(void *ctx, const ch_note_row *n) { json_array_insert_new(ctx, 0, ch_svc_json_note(n)); }

ch_err ch_svc_notes(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, int64_t before_id, int64_t limit,
                    json_t **result)
{
	if (p->kind != CH_TOKEN_COMPANY && p->kind != CH_TOKEN_OPERATOR)
		return CH_ERR_WRONG_KIND;
	ch_chat_row c;
	ch_err e = ch_svc_principal_valid(tx, p);
	if (!e)
		e = ch_svc_chat_visible(tx, p, chat_id, &c);
	if (e)
		return e;
	json_t *arr = json_array();
	limit = limit < 1 ? 1 : limit > CH_SVC_PAGE_MAX ? CH_SVC_PAGE_MAX : limit;
	e = ch_store_note_list(tx, c.company_id, c.id, before_id, limit, add_note, arr);
	if (e)
		json_decref(arr);
	else
		*result = arr;
	return e;
}
