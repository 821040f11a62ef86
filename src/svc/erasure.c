/* erasure.c — a client's erasure and export (docs/privacy.md, docs/api.md
 * "Erasure and export").
 *
 * An erasure is ONE write job: every chat of the client is erased (its
 * messages become tombstones at their seq, its media rows go, its preview,
 * theme and CSAT comment are cleared), then the client's profile is cleared
 * and its visitor tokens revoked, all in one transaction, so the receipt it
 * answers is what was committed. Then a second job merges the search indexes
 * (ch_store_search_compact), so that no index segment keeps an erased word,
 * before the receipt is answered.
 * Events, after the commit: MessageRedacted(message) to both sides for each
 * tombstone when there are at most ERASE_EVENTS_MAX of them, else one
 * ClientErased({clientId, chatIds}) to the operator side (a panel reloads
 * those chats); ClientUpdated(client) to the operator side; the organization
 * event client.erased {chats, messages, media, csatComments}; and the
 * client's visitor connections are closed ("token revoked"). An erasure that
 * finds nothing left to erase emits nothing.
 *
 * The export reads, in the caller's read transaction, the client's profile
 * and a page of its chats, each with its messages oldest first (at most
 * EXPORT_MESSAGES in one answer).
 *
 * Threading: the *_wait functions block (worker threads); the job functions
 * run on the store writer; the export on the caller's thread. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/buf.h"
#include "core/log.h"
#include "svc/internal.h"

#define ERASE_EVENTS_MAX 1000 /* tombstones announced one by one; beyond, one ClientErased */

typedef struct id_vec {
	int64_t *v;
	size_t n, cap;
} id_vec;

static void add_chat_id(void *ctx, const ch_chat_row *c)
{
	id_vec *k = ctx;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->v = ch_xrealloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = c->id;
}

/* The client's chats, every status, into *ids. */
static ch_err client_chat_ids(ch_store_tx *tx, const ch_client_row *cl, id_vec *ids)
{
	ch_chat_filter f = {.company_id = cl->company_id, .org_id = cl->organization_id, .client_id = cl->id,
	                    .status = -1, .source = -1};
	return ch_store_chat_list(tx, &f, NULL, add_chat_id, ids);
}

typedef struct erase_job {
	int64_t client_id;
	int64_t now;
	ch_client_row *row;
	id_vec chats;
	ch_erase_counts n;
	json_t *fields;
	int64_t erased_at;
	int changed; /* first erasure, or something was left to erase */
} erase_job;

/* The personal fields the client had ("name", "email", …): the receipt's. */
static json_t *filled_fields(const ch_client_row *r)
{
	struct {
		const char *name, *value, *empty;
	} f[] = {{"name", r->name, ""},
	         {"phone", r->phone, ""},
	         {"email", r->email, ""},
	         {"externalKey", r->has_external_key ? r->external_key : "", ""},
	         {"pageUrl", r->page_url, ""},
	         {"referrer", r->referrer, ""},
	         {"language", r->language, ""},
	         {"userAgent", r->user_agent, ""},
	         {"attributes", r->attributes, "{}"},
	         {"verifiedAttributes", r->verified_keys, "[]"}};
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (strcmp(f[i].value, f[i].empty))
			json_array_append_new(a, json_string(f[i].name));
	return a;
}

typedef struct tomb_ctx {
	svc_job *j;
	const ch_chat_row *chat;
	int64_t at;
} tomb_ctx;

/* The tombstones this erasure made (redacted now, by the company). */
static void emit_tomb(void *ctx, const ch_message_row *m)
{
	tomb_ctx *k = ctx;
	if (m->redacted_at == k->at && m->redacted_by == 0)
		svc_emit(k->j, SVC_BOTH_SIDES, k->chat, "MessageRedacted",
		         json_pack("[o]", ch_svc_json_message(m, k->chat)));
}

/* MessageRedacted for every tombstone of chat_id, in seq order (a chat's
 * seqs are 1…last_seq, so pages of seqs are pages of messages). */
static ch_err emit_chat_tombs(ch_store_tx *tx, svc_job *j, int64_t chat_id, int64_t at)
{
	ch_chat_row c;
	ch_err e = ch_store_chat_get(tx, j->p.company_id, chat_id, &c);
	tomb_ctx k = {.j = j, .chat = &c, .at = at};
	for (int64_t after = 0; !e && after < c.last_seq; after += CH_SVC_PAGE_MAX)
		e = ch_store_message_list(tx, c.company_id, c.id, after, after + CH_SVC_PAGE_MAX + 1, CH_SVC_PAGE_MAX,
		                          emit_tomb, &k);
	return e;
}

static ch_err emit_erased(ch_store_tx *tx, svc_job *j, erase_job *x)
{
	ch_err e = CH_OK;
	if (x->n.messages <= ERASE_EVENTS_MAX) {
		for (size_t i = 0; !e && x->n.messages && i < x->chats.n; i++)
			e = emit_chat_tombs(tx, j, x->chats.v[i], x->now);
	} else {
		json_t *ids = json_array();
		for (size_t i = 0; i < x->chats.n; i++)
			json_array_append_new(ids, json_integer(x->chats.v[i]));
		ch_event *ev = ch_event_new(CH_EV_INVOKE, SVC_OPERATOR_SIDE, "ClientErased",
		                            json_pack("[{s:I, s:o}]", "clientId", (json_int_t)x->client_id,
		                                      "chatIds", ids));
		ev->company_id = x->row->company_id;
		ev->org_id = x->row->organization_id;
		ch_event_append(&j->events, ev);
	}
	svc_org_event_client(tx, "client.erased", x->row->company_id, x->row->organization_id, x->client_id,
	                     json_pack("{s:I, s:I, s:I, s:I}", "chats", (json_int_t)x->n.chats, "messages",
	                               (json_int_t)x->n.messages, "media", (json_int_t)x->n.media, "csatComments",
	                               (json_int_t)x->n.csat_comments));
	json_t *cj = ch_svc_json_client(x->row);
	json_t *args = cj ? json_pack("[o]", cj) : NULL;
	if (!args)
		j->unencodable = 1;
	else {
		ch_event *ev = ch_event_new(CH_EV_INVOKE, SVC_OPERATOR_SIDE, "ClientUpdated", args);
		ev->company_id = x->row->company_id;
		ev->org_id = x->row->organization_id;
		ch_event_append(&j->events, ev);
	}
	ch_event *close = ch_event_new(CH_EV_CLOSE_CLIENT, CH_AUD_CLIENT, "token revoked", NULL);
	close->company_id = x->row->company_id;
	close->org_id = x->row->organization_id;
	close->client_id = x->client_id;
	ch_event_append(&j->events, close);
	return e;
}

static ch_err erase_fn(ch_store_tx *tx, svc_job *j)
{
	erase_job *x = (erase_job *)j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return svc_fail(j, CH_ERR_WRONG_KIND, "only the company can erase a client");
	x->chats.n = 0; /* a replayed batch runs the job again */
	x->n = (ch_erase_counts){0};
	json_decref(x->fields);
	x->fields = NULL;
	ch_err e = ch_store_client_lock(tx, j->p.company_id, x->client_id);
	if (!e)
		e = ch_store_client_get(tx, j->p.company_id, x->client_id, x->row);
	if (e)
		return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "client not found") : e;
	x->now = ch_now_ms();
	x->fields = filled_fields(x->row);
	int was_erased = x->row->erased_at != 0;
	e = client_chat_ids(tx, x->row, &x->chats);
	for (size_t i = 0; !e && i < x->chats.n; i++)
		e = ch_store_chat_erase(tx, j->p.company_id, x->chats.v[i], x->now, &x->n);
	if (!e)
		e = ch_store_client_erase(tx, j->p.company_id, x->client_id, x->now, &x->erased_at);
	if (!e)
		e = ch_store_client_get(tx, j->p.company_id, x->client_id, x->row);
	x->changed = !was_erased || x->n.chats || json_array_size(x->fields);
	if (!e && x->changed)
		e = emit_erased(tx, j, x);
	return e;
}

static ch_err compact_fn(ch_store_tx *tx, svc_job *j)
{
	(void)j;
	return ch_store_search_compact(tx);
}

static json_t *iso(int64_t ms)
{
	char ts[25];
	ch_iso8601_format(ms, ts);
	return json_string(ts);
}

void ch_svc_client_erase_wait(const ch_principal *p, int64_t client_id, ch_svc_result *out)
{
	erase_job x = {.client_id = client_id, .row = ch_xmalloc(sizeof(ch_client_row))};
	svc_run_wait(erase_fn, p, &x, out);
	ch_err e;
	/* committed all the same when the merge fails: the receipt stays true, the next erasure merges */
	if (!out->err && x.changed && (e = svc_run_wait(compact_fn, NULL, NULL, NULL)))
		CH_WARN("erasure of client %lld: the search index merge failed: %s", (long long)client_id, ch_err_text(e));
	if (!out->err) {
		json_decref(out->result);
		out->result = json_pack("{s:I, s:o, s:I, s:I, s:I, s:I, s:O}", "clientId", (json_int_t)client_id,
		                        "erasedAt", iso(x.erased_at), "chats", (json_int_t)x.n.chats, "messages",
		                        (json_int_t)x.n.messages, "media", (json_int_t)x.n.media, "csatComments",
		                        (json_int_t)x.n.csat_comments, "fields", x.fields);
	}
	json_decref(x.fields);
	free(x.chats.v);
	free(x.row);
}

/* ---- export ---------------------------------------------------------------- */

/* Messages one export answer holds at most, over all its chats (a message
 * is up to 16 KiB of text): a chat past the budget says messagesTruncated,
 * and the rest is read with GET /api/chat/{id}/messages?afterSeq=. */
#define EXPORT_MESSAGES 2000

typedef struct chat_vec {
	ch_chat_row *v;
	size_t n, cap;
} chat_vec;

static void add_chat_row(void *ctx, const ch_chat_row *c)
{
	chat_vec *k = ctx;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 8;
		k->v = ch_xrealloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = *c;
}

typedef struct msg_ctx {
	json_t *arr;
	const ch_chat_row *chat;
} msg_ctx;

static void add_msg(void *ctx, const ch_message_row *m)
{
	msg_ctx *k = ctx;
	json_t *j = ch_svc_json_message(m, k->chat);
	if (j)
		json_array_append_new(k->arr, j);
}

/* The chat object with its first messages (at most *budget, which shrinks). */
static ch_err export_chat(ch_store_tx *tx, const ch_chat_row *c, int64_t *budget, json_t *chats)
{
	json_t *cj = ch_svc_json_chat(c);
	msg_ctx k = {.arr = json_array(), .chat = c};
	int64_t n = c->last_seq < *budget ? c->last_seq : *budget;
	ch_err e = CH_OK;
	for (int64_t after = 0; !e && after < n; after += CH_SVC_PAGE_MAX) {
		int64_t limit = n - after < CH_SVC_PAGE_MAX ? n - after : CH_SVC_PAGE_MAX;
		e = ch_store_message_list(tx, c->company_id, c->id, after, after + limit + 1, limit, add_msg, &k);
	}
	*budget -= n;
	if (e || !cj) {
		json_decref(cj);
		json_decref(k.arr);
		return e ? e : CH_ERR_INTERNAL;
	}
	json_object_set_new(cj, "messagesTruncated", json_boolean(n < c->last_seq));
	json_object_set_new(cj, "messages", k.arr);
	json_array_append_new(chats, cj);
	return CH_OK;
}

ch_err ch_svc_client_export(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, int64_t offset,
                            int64_t limit, json_t **out)
{
	if (p->kind != CH_TOKEN_COMPANY || client_id <= 0)
		return CH_ERR_NOT_FOUND;
	ch_client_row *cl = ch_xmalloc(sizeof *cl);
	chat_vec v = {0};
	int64_t total = 0, budget = EXPORT_MESSAGES;
	ch_err e = ch_store_client_get(tx, p->company_id, client_id, cl);
	ch_chat_filter f = {.company_id = p->company_id, .org_id = e ? 0 : cl->organization_id,
	                    .client_id = client_id, .status = -1, .source = -1, .offset = offset, .limit = limit};
	if (!e)
		e = ch_store_chat_list(tx, &f, &total, add_chat_row, &v);
	json_t *chats = json_array();
	for (size_t i = 0; !e && i < v.n; i++)
		e = export_chat(tx, &v.v[i], &budget, chats);
	json_t *cj = e ? NULL : ch_svc_json_client(cl);
	if (!e && !cj)
		e = CH_ERR_INTERNAL;
	if (!e)
		*out = json_pack("{s:o, s:o, s:I, s:o}", "exportedAt", iso(ch_now_ms()), "client", cj, "total",
		                 (json_int_t)total, "chats", chats);
	else
		json_decref(chats);
	free(v.v);
	free(cl);
	return e;
}

/* ---- retention --------------------------------------------------------------- */

#define RETENTION_BATCH 20 /* chats per sweep job; a full batch sweeps again at once */

typedef struct due_chats {
	ch_chat_row *v;
	size_t n;
} due_chats;

static void add_due(void *ctx, const ch_chat_row *row)
{
	due_chats *l = ctx;
	if (l->n < RETENTION_BATCH)
		l->v[l->n++] = *row;
}

/* One due chat, re-checked under its row lock (another process may have
 * erased it, or a message reopened it, since it was found). */
static ch_err retain_one(ch_store_tx *tx, const ch_chat_row *due, int64_t now, ch_erase_counts *n)
{
	ch_org_row org;
	ch_chat_row *c = ch_xmalloc(sizeof *c);
	ch_err e = ch_store_org_get(tx, due->company_id, due->organization_id, &org);
	if (!e)
		e = ch_store_chat_lock(tx, due->company_id, due->id, c);
	if (!e) {
		int64_t activity = c->last_message_at ? c->last_message_at : c->created_at;
		if (c->status == CH_CHAT_CLOSED && org.retention_days > 0 &&
		    activity < now - org.retention_days * 86400000LL)
			e = ch_store_chat_erase(tx, c->company_id, c->id, now, n);
	}
	free(c);
	return e == CH_ERR_NOT_FOUND ? CH_OK : e; /* deleted meanwhile */
}

/* Tombstones made since the last index merge; the writer thread's only. */
static int64_t unmerged;

/* The sweep emits no hub or organization event: the chats are Closed and
 * old; a panel that shows one reads the tombstones with its next history.
 * The search index is merged once the sweep is through (not after each
 * full batch: a merge rewrites the whole index). */
static ch_err retention_fn(ch_store_tx *tx, svc_job *j)
{
	int64_t now = ch_now_ms();
	due_chats l = {.v = ch_xcalloc(RETENTION_BATCH, sizeof *l.v)};
	ch_erase_counts n = {0};
	ch_err e = ch_store_chat_retention_due(tx, now, RETENTION_BATCH, add_due, &l);
	for (size_t i = 0; !e && i < l.n; i++)
		e = retain_one(tx, &l.v[i], now, &n);
	unmerged += e ? 0 : n.messages + n.media;
	if (!e && unmerged && l.n < RETENTION_BATCH) {
		e = ch_store_search_compact(tx);
		unmerged = e ? unmerged : 0;
	}
	if (!e)
		svc_result(j, json_pack("{s:I, s:I, s:I, s:b}", "chats", (json_int_t)n.chats, "messages",
		                        (json_int_t)n.messages, "media", (json_int_t)n.media, "more",
		                        l.n == RETENTION_BATCH));
	if (!e && n.chats)
		CH_INFO("retention: erased %lld messages and %lld media files in %lld closed chats",
		        (long long)n.messages, (long long)n.media, (long long)n.chats);
	free(l.v);
	return e;
}

void ch_svc_retention_sweep(ch_svc_done done, void *arg)
{
	svc_submit(svc_job_new(retention_fn, NULL, done, arg));
}
