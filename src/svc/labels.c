/* labels.c — labels as REST and the hub see them: an organization's labels
 * (read, created and deleted by the company), the labels set on a chat (by
 * the company or the chat's organization's operators), the "labels" of staff
 * chat objects, and the ChatLabelsChanged event.
 *
 * Chat objects carry their labels only on the operator side: ch_svc_json_chat
 * (which visitors get too) never has them; ch_svc_chats_labels adds them to a
 * page of staff chat objects with one store read, whatever the page's size,
 * so the chat list and Sync pay one query, not one per chat.
 *
 * Threading: reads on the calling worker inside its read transaction; the
 * jobs run on the store writer, the *_wait functions block (worker threads). */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "svc/internal.h"

json_t *ch_svc_json_label(const ch_label_row *r)
{
	return json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)r->id, "organizationId",
	                 (json_int_t)r->organization_id, "name", r->name, "color", r->color);
}

/* ---- the labels of chat objects ------------------------------------------ */

typedef struct by_chat {
	int64_t id;
	json_t *labels; /* borrowed from its chat object */
} by_chat;

typedef struct attach {
	by_chat *v;
	size_t n;
	int bad; /* a label could not be encoded */
} attach;

static int cmp_chat(const void *a, const void *b)
{
	int64_t x = ((const by_chat *)a)->id, y = ((const by_chat *)b)->id;
	return x < y ? -1 : x > y;
}

static void add_label(void *ctx, int64_t chat_id, const ch_label_row *row)
{
	attach *a = ctx;
	by_chat key = {.id = chat_id};
	by_chat *hit = bsearch(&key, a->v, a->n, sizeof *a->v, cmp_chat);
	json_t *l = ch_svc_json_label(row);
	if (!l)
		a->bad = 1;
	else if (hit)
		json_array_append_new(hit->labels, l);
	else
		json_decref(l);
}

ch_err ch_svc_chats_labels(ch_svc_tx *tx, int64_t company_id, json_t *chats)
{
	size_t n = json_is_array(chats) ? json_array_size(chats) : json_is_object(chats) ? 1 : 0;
	if (!n)
		return CH_OK;
	attach a = {.v = ch_xcalloc(n, sizeof *a.v)};
	int64_t *ids = ch_xcalloc(n, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_is_array(chats) ? json_array_get(chats, i) : chats;
		json_t *id = json_object_get(c, "id");
		if (!json_is_object(c) || !json_is_integer(id))
			continue; /* a chat that could not be encoded (null): nothing to add */
		a.v[a.n].id = ids[a.n] = json_integer_value(id);
		a.v[a.n].labels = json_array();
		json_object_set_new(c, "labels", a.v[a.n].labels);
		a.n++;
	}
	qsort(a.v, a.n, sizeof *a.v, cmp_chat);
	ch_err e = ch_store_chat_labels(tx, company_id, ids, a.n, add_label, &a);
	if (e == CH_OK && a.bad)
		e = CH_ERR_INTERNAL;
	free(ids);
	free(a.v);
	return e;
}

json_t *svc_json_chat_staff(ch_store_tx *tx, svc_job *j, const ch_chat_row *c)
{
	json_t *o = ch_svc_json_chat(c);
	if (o && ch_svc_chats_labels(tx, c->company_id, o) != CH_OK) {
		CH_ERROR("chat %lld: its labels could not be read; the operation fails", (long long)c->id);
		json_decref(o);
		o = NULL;
	}
	if (!o)
		j->unencodable = 1;
	return o;
}

json_t *svc_json_chat_for(ch_store_tx *tx, svc_job *j, const ch_chat_row *c)
{
	if (j->p.kind == CH_TOKEN_COMPANY || j->p.kind == CH_TOKEN_OPERATOR)
		return svc_json_chat_staff(tx, j, c);
	return ch_svc_json_chat(c);
}

/* ---- reads ---------------------------------------------------------------- */

ch_err ch_svc_labels(ch_svc_tx *tx, const ch_principal *p, int64_t org_id, ch_label_each_fn each, void *ctx)
{
	if (p->kind == CH_TOKEN_OPERATOR && org_id != p->org_id)
		return CH_ERR_NOT_FOUND;
	if (p->kind != CH_TOKEN_OPERATOR && p->kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	return ch_store_label_list(tx, p->company_id, org_id, each, ctx);
}

/* ---- writes --------------------------------------------------------------- */

typedef struct label_job {
	int64_t org_id, id;
	const char *name, *color;
	const int64_t *ids;
	size_t n;
	ch_label_row *out;
} label_job;

static ch_err label_create_fn(ch_store_tx *tx, svc_job *j)
{
	const label_job *l = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	return ch_store_label_create(tx, j->p.company_id, l->org_id, l->name, l->color, l->out);
}

ch_err ch_svc_label_create_wait(const ch_principal *p, int64_t org_id, const char *name, const char *color,
                                ch_label_row *out)
{
	label_job l = {.org_id = org_id, .name = name, .color = color, .out = out};
	return svc_run_wait(label_create_fn, p, &l, NULL);
}

/* The labels of one chat as a JSON array (a new reference), NULL on error. */
static json_t *labels_of(ch_store_tx *tx, const ch_chat_row *c, ch_err *e)
{
	json_t *o = json_pack("{s:I}", "id", (json_int_t)c->id);
	*e = ch_svc_chats_labels(tx, c->company_id, o);
	json_t *labels = *e ? NULL : json_incref(json_object_get(o, "labels"));
	json_decref(o);
	return labels;
}

static void emit_changed(svc_job *j, const ch_chat_row *c, json_t *labels)
{
	svc_emit(j, SVC_OPERATOR_SIDE, c, "ChatLabelsChanged", labels ? json_pack("[I, O]", (json_int_t)c->id, labels) : NULL);
}

typedef struct chat_rows {
	ch_chat_row *rows;
	size_t n, cap;
} chat_rows;

static void add_row(void *ctx, const ch_chat_row *row)
{
	chat_rows *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->rows = ch_xrealloc(l->rows, l->cap * sizeof *l->rows);
	}
	l->rows[l->n++] = *row;
}

/* Deleting a label takes it off every chat; the chats not Closed (those in
 * operators' panels) get ChatLabelsChanged with what they keep, all read in
 * one query (the job runs on the store writer: a label on 10,000 open chats
 * must not cost 10,000 reads there). */
static ch_err label_delete_fn(ch_store_tx *tx, svc_job *j)
{
	const label_job *l = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	ch_label_row row;
	chat_rows open = {0};
	ch_chat_filter f = {.company_id = j->p.company_id, .status = -1, .source = -1, .not_closed = 1,
	                    .label_id = l->id};
	ch_err e = ch_store_label_get(tx, j->p.company_id, l->id, &row);
	if (!e)
		e = ch_store_chat_list(tx, &f, NULL, add_row, &open);
	if (!e)
		e = ch_store_label_delete(tx, j->p.company_id, l->id);
	json_t *kept = json_array();
	for (size_t i = 0; !e && i < open.n; i++)
		json_array_append_new(kept, json_pack("{s:I}", "id", (json_int_t)open.rows[i].id));
	if (!e)
		e = ch_svc_chats_labels(tx, j->p.company_id, kept);
	for (size_t i = 0; !e && i < open.n; i++)
		emit_changed(j, &open.rows[i], json_object_get(json_array_get(kept, i), "labels"));
	json_decref(kept);
	free(open.rows);
	return e;
}

ch_err ch_svc_label_delete_wait(const ch_principal *p, int64_t id)
{
	label_job l = {.id = id};
	return svc_run_wait(label_delete_fn, p, &l, NULL);
}

/* Whether two label arrays (both in the store's order) hold the same ids. */
static int same_labels(json_t *a, json_t *b)
{
	if (json_array_size(a) != json_array_size(b))
		return 0;
	for (size_t i = 0; i < json_array_size(a); i++)
		if (json_integer_value(json_object_get(json_array_get(a, i), "id")) !=
		    json_integer_value(json_object_get(json_array_get(b, i), "id")))
			return 0;
	return 1;
}

static ch_err labels_set_fn(ch_store_tx *tx, svc_job *j)
{
	const label_job *l = j->extra;
	ch_chat_row c;
	ch_err e = ch_svc_chat_visible(tx, &j->p, j->chat_id, &c);
	if (e == CH_ERR_NOT_FOUND)
		return svc_fail(j, e, "chat not found");
	if (!e && j->p.kind != CH_TOKEN_COMPANY && j->p.kind != CH_TOKEN_OPERATOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "only the company and operators label chats");
	json_t *before = e ? NULL : labels_of(tx, &c, &e);
	if (!e)
		e = ch_store_chat_labels_set(tx, c.company_id, c.id, l->ids, l->n);
	if (e == CH_ERR_NOT_FOUND)
		e = svc_fail(j, e, "label not found in the chat's organization");
	else if (e == CH_ERR_OUT_OF_RANGE)
		e = svc_fail(j, e, "labelIds: at most 20 labels, each once");
	json_t *chat = e ? NULL : svc_json_chat_staff(tx, j, &c);
	json_t *after = json_object_get(chat, "labels");
	if (chat && !same_labels(before, after))
		emit_changed(j, &c, after);
	if (chat)
		svc_result(j, chat);
	json_decref(before);
	return e;
}

void ch_svc_chat_labels_set_wait(const ch_principal *p, int64_t chat_id, const int64_t *label_ids, size_t n,
                                 ch_svc_result *out)
{
	label_job l = {.ids = label_ids, .n = n};
	ch_svc_waiter *w = ch_svc_waiter_new();
	svc_job *j = svc_job_new(labels_set_fn, p, ch_svc_waiter_done, w);
	j->chat_id = chat_id;
	j->extra = &l;
	svc_submit(j);
	ch_svc_waiter_wait(w, out);
}
