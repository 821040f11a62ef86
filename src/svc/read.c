/* read.c — reads shared by REST and the hub: visibility, Sync, history.
 * Threading: the calling worker thread, inside its read transaction. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "svc/internal.h"

#define SYNC_MAX_MESSAGES 1000
#define SYNC_MAX_CHATS 1000

ch_err ch_svc_principal_valid(ch_store_tx *tx, const ch_principal *p)
{
	ch_err e;
	switch (p->kind) {
	case CH_TOKEN_COMPANY: {
		if (p->key_id) { /* an API key: valid while it is not revoked */
			ch_api_key_row k;
			e = ch_store_api_key_get(tx, p->company_id, p->key_id, &k);
			return e == CH_ERR_NOT_FOUND ? CH_ERR_TOKEN_REVOKED : e;
		}
		ch_company_row co;
		e = ch_store_company_get(tx, p->company_id, &co);
		return e == CH_ERR_NOT_FOUND || (!e && co.token_epoch != p->epoch) ? CH_ERR_TOKEN_REVOKED : e;
	}
	case CH_TOKEN_OPERATOR: {
		ch_operator_row op;
		e = ch_store_operator_get(tx, p->company_id, p->operator_id, &op);
		if (e == CH_ERR_NOT_FOUND || (!e && (op.status != CH_OPERATOR_ACTIVE || op.token_epoch != p->epoch)))
			return CH_ERR_TOKEN_REVOKED;
		return e;
	}
	case CH_TOKEN_VISITOR: {
		ch_client_row cl;
		e = ch_store_client_get(tx, p->company_id, p->client_id, &cl);
		return e == CH_ERR_NOT_FOUND ? CH_ERR_NO_TOKEN : e;
	}
	default: return CH_OK; /* the server's own jobs */
	}
}

ch_err ch_svc_chat_visible(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, ch_chat_row *out)
{
	if (chat_id <= 0)
		return CH_ERR_NOT_FOUND;
	ch_err e = ch_store_chat_get(tx, p->company_id, chat_id, out);
	if (e)
		return e;
	return ch_principal_sees_chat(p, out->company_id, out->organization_id, out->client_id) ? CH_OK
	                                                                                        : CH_ERR_NOT_FOUND;
}

typedef struct collect {
	json_t *arr;
	int64_t *ids; /* chat ids already in arr */
	size_t n, cap;
	int64_t budget;
	int truncated;
	const ch_chat_row *chat; /* messages: the chat they are read from */
} collect;

static void add_chat(void *ctx, const ch_chat_row *c)
{
	collect *k = ctx;
	for (size_t i = 0; i < k->n; i++)
		if (k->ids[i] == c->id)
			return;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->ids = ch_xrealloc(k->ids, k->cap * sizeof *k->ids);
	}
	k->ids[k->n++] = c->id;
	json_array_append_new(k->arr, ch_svc_json_chat(c));
}

static void add_message(void *ctx, const ch_message_row *m)
{
	collect *k = ctx;
	if (k->budget <= 0) {
		k->truncated = 1;
		return;
	}
	k->budget--;
	json_array_append_new(k->arr, ch_svc_json_message(m, k->chat));
}

static void scope_filter(const ch_principal *p, ch_chat_filter *f)
{
	memset(f, 0, sizeof *f);
	f->company_id = p->company_id;
	f->status = -1;
	f->source = -1;
	f->not_closed = 1;
	f->limit = SYNC_MAX_CHATS;
	if (p->kind == CH_TOKEN_OPERATOR)
		f->org_id = p->org_id;
	else if (p->kind == CH_TOKEN_VISITOR) {
		f->org_id = p->org_id;
		f->client_id = p->client_id;
	}
}

/* Named chats: their state and the messages after each lastSeq. */
static ch_err sync_named(ch_store_tx *tx, const ch_principal *p, json_t *named, collect *chats, collect *msgs)
{
	const char *key;
	json_t *v;
	json_object_foreach(named, key, v)
	{
		char *end;
		long long id = strtoll(key, &end, 10);
		if (*end || id <= 0 || !json_is_integer(v) || json_integer_value(v) < 0)
			return CH_ERR_BAD_JSON;
		ch_chat_row c;
		ch_err e = ch_svc_chat_visible(tx, p, id, &c);
		if (e == CH_ERR_NOT_FOUND)
			continue; /* deleted, or never visible: nothing to send */
		if (e)
			return e;
		add_chat(chats, &c);
		int64_t after = json_integer_value(v);
		if (after >= c.last_seq)
			continue;
		int64_t want = c.last_seq - after;
		if (want > msgs->budget) {
			msgs->truncated = 1;
			want = msgs->budget;
		}
		msgs->chat = &c;
		if (want > 0 && (e = ch_store_message_list(tx, p->company_id, id, after, 0, want, add_message, msgs)))
			return e;
	}
	return CH_OK;
}

ch_err ch_svc_sync(ch_store_tx *tx, const ch_principal *p, json_t *arg, json_t **result)
{
	json_t *named = json_is_object(arg) ? json_object_get(arg, "chats") : NULL;
	if (arg && !json_is_null(arg) && (!json_is_object(arg) || (named && !json_is_object(named))))
		return CH_ERR_BAD_JSON;
	ch_err pe = ch_svc_principal_valid(tx, p);
	if (pe)
		return pe;
	collect chats = {.arr = json_array()}, msgs = {.arr = json_array(), .budget = SYNC_MAX_MESSAGES};
	ch_chat_filter f;
	scope_filter(p, &f);
	int64_t total = 0;
	ch_err e = ch_store_chat_list(tx, &f, &total, add_chat, &chats);
	if (!e && named)
		e = sync_named(tx, p, named, &chats, &msgs);
	if (!e) {
		*result = json_pack("{s:o, s:o, s:b}", "chats", chats.arr, "messages", msgs.arr, "truncated",
		                    msgs.truncated || total > SYNC_MAX_CHATS);
		if (p->kind == CH_TOKEN_OPERATOR) /* who the connection is, for a token the client cannot read */
			json_object_set_new(*result, "operatorId", json_integer(p->operator_id));
	} else {
		json_decref(chats.arr);
		json_decref(msgs.arr);
	}
	free(chats.ids);
	return e;
}

ch_err ch_svc_messages(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, int64_t after_seq,
                       int64_t before_seq, int64_t limit, json_t **result)
{
	ch_chat_row c;
	ch_err e = ch_svc_principal_valid(tx, p);
	if (!e)
		e = ch_svc_chat_visible(tx, p, chat_id, &c);
	if (e)
		return e;
	if (limit < 1)
		limit = 1;
	if (limit > CH_SVC_HISTORY_MAX + 1)
		limit = CH_SVC_HISTORY_MAX + 1;
	collect k = {.arr = json_array(), .budget = limit, .chat = &c};
	e = ch_store_message_list(tx, p->company_id, chat_id, after_seq, before_seq, limit, add_message, &k);
	if (e)
		json_decref(k.arr);
	else
		*result = k.arr;
	return e;
}

typedef struct origin_scan {
	const char *origin;
	int orgs, allowed;
} origin_scan;

static void scan_org(void *ctx, const ch_org_row *o)
{
	origin_scan *s = ctx;
	s->orgs++;
	json_t *list = json_loads(o->allowed_origins, 0, NULL);
	if (!json_is_array(list) || json_array_size(list) == 0)
		s->allowed = 1;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	if (json_is_string(v) && !strcasecmp(json_string_value(v), s->origin))
		s->allowed = 1;
	json_decref(list);
}

int ch_svc_origin_allowed(ch_store_tx *tx, const ch_principal *p, const char *origin)
{
	if (!origin || !*origin)
		return 1; /* not a browser: CORS does not apply */
	origin_scan s = {origin, 0, 0};
	ch_err e;
	if (p && p->kind == CH_TOKEN_COMPANY)
		e = ch_store_org_list(tx, p->company_id, scan_org, &s);
	else if (p && p->org_id > 0) {
		ch_org_row o;
		e = ch_store_org_get(tx, p->company_id, p->org_id, &o);
		if (!e)
			scan_org(&s, &o);
	} else
		e = ch_store_org_list_all(tx, scan_org, &s);
	if (e && e != CH_ERR_NOT_FOUND)
		return 0;
	return s.allowed || s.orgs == 0;
}
