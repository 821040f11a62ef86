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
		if (!e && cl.erased_at) /* erasure revokes its visitor tokens */
			return CH_ERR_TOKEN_REVOKED;
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
	if (!e && (p->kind == CH_TOKEN_COMPANY || p->kind == CH_TOKEN_OPERATOR))
		e = ch_svc_chats_labels(tx, p->company_id, chats.arr); /* the operator side only */
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

/* ---- the store as REST and the hub read it --------------------------------
 * Each function here is the one way the layers above svc/ reach a read of the
 * store, so that a backend's locks and a read's scope are decided in one place. */

ch_err ch_svc_read(ch_svc_read_fn fn, void *arg)
{
	ch_store *s = ch_svc_ctx()->store;
	return s ? ch_store_read(s, fn, arg) : CH_ERR_INTERNAL;
}

uint64_t ch_svc_principals_gen(void)
{
	ch_store *s = ch_svc_ctx()->store;
	return s ? ch_store_principals_gen(s) : 0;
}

void ch_svc_write_stats_get(ch_svc_write_stats *out)
{
	ch_store *s = ch_svc_ctx()->store;
	if (s)
		ch_store_stats_get(s, out);
	else
		memset(out, 0, sizeof *out);
}

ch_err ch_svc_ping(ch_svc_tx *tx) { return ch_store_ping(tx); }

ch_err ch_svc_last_backup_ms(ch_svc_tx *tx, int64_t *ms_out)
{
	char v[32];
	*ms_out = 0;
	ch_err e = ch_store_setting_get(tx, CH_SETTING_LAST_BACKUP, v, sizeof v);
	if (e == CH_OK)
		*ms_out = strtoll(v, NULL, 10);
	return e == CH_ERR_NOT_FOUND ? CH_OK : e;
}

ch_err ch_svc_company_of_login(ch_svc_tx *tx, const char *login, ch_company_row *out)
{
	return ch_store_company_by_login(tx, login, out);
}

ch_err ch_svc_company_get(ch_svc_tx *tx, int64_t company_id, ch_company_row *out)
{
	return ch_store_company_get(tx, company_id, out);
}

ch_err ch_svc_orgs(ch_svc_tx *tx, int64_t company_id, ch_org_each_fn each, void *ctx)
{
	return ch_store_org_list(tx, company_id, each, ctx);
}

ch_err ch_svc_org_get(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_org_row *out)
{
	return ch_store_org_get(tx, company_id, org_id, out);
}

ch_err ch_svc_org_of_guid(ch_svc_tx *tx, const char *guid, ch_org_row *out)
{
	return ch_store_org_by_guid(tx, guid, out);
}

ch_err ch_svc_org_settings(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_org_secrets *out)
{
	return ch_store_org_secrets_get(tx, company_id, org_id, out);
}

ch_err ch_svc_operators(ch_svc_tx *tx, int64_t company_id, int64_t org_id, int include_deleted,
                        ch_operator_each_fn each, void *ctx)
{
	return ch_store_operator_list(tx, company_id, org_id, include_deleted, each, ctx);
}

ch_err ch_svc_operator_get(ch_svc_tx *tx, int64_t company_id, int64_t operator_id, ch_operator_row *out)
{
	return ch_store_operator_get(tx, company_id, operator_id, out);
}

ch_err ch_svc_client_get(ch_svc_tx *tx, int64_t company_id, int64_t client_id, ch_client_row *out)
{
	return ch_store_client_get(tx, company_id, client_id, out);
}

ch_err ch_svc_client_open_chat(ch_svc_tx *tx, int64_t company_id, int64_t client_id, ch_chat_row *out)
{
	return ch_store_chat_open_for_client(tx, company_id, client_id, out);
}

ch_err ch_svc_search_check(const char *q) { return ch_store_search_check(q); }

ch_err ch_svc_chats_find(ch_svc_tx *tx, const ch_chat_filter *f, int64_t *total, ch_chat_each_fn each,
                         void *ctx)
{
	return ch_store_chat_list(tx, f, total, each, ctx);
}

ch_err ch_svc_media_get(ch_svc_tx *tx, int64_t company_id, int64_t media_id, ch_media_row *out, void **data)
{
	return ch_store_media_get(tx, company_id, media_id, out, data);
}

ch_err ch_svc_canned_list(ch_svc_tx *tx, const ch_principal *p, int64_t org_id, ch_canned_each_fn each,
                          void *ctx)
{
	ch_org_row org;
	if (p->kind == CH_TOKEN_OPERATOR && org_id != p->org_id)
		return CH_ERR_NOT_FOUND;
	ch_err e = ch_store_org_get(tx, p->company_id, org_id, &org);
	return e ? e : ch_store_canned_list(tx, p->company_id, org_id, p->kind == CH_TOKEN_OPERATOR ? p->operator_id : 0,
	                                    each, ctx);
}

ch_err ch_svc_api_keys(ch_svc_tx *tx, int64_t company_id, ch_api_key_each_fn each, void *ctx)
{
	return ch_store_api_key_list(tx, company_id, each, ctx);
}

ch_err ch_svc_api_key_get(ch_svc_tx *tx, int64_t company_id, int64_t key_id, ch_api_key_row *out)
{
	return ch_store_api_key_get(tx, company_id, key_id, out);
}

ch_err ch_svc_api_keys_all(ch_svc_tx *tx, ch_api_key_each_fn each, void *ctx)
{
	return ch_store_api_key_all(tx, each, ctx);
}

/* Typing is not stored: a read finds the chat's sides, and the event goes
 * straight to the bus (it need not wait for a commit, there is none). */
ch_err ch_svc_typing(ch_svc_tx *tx, const ch_principal *p, int64_t chat_id, uint64_t origin_conn)
{
	ch_chat_row chat;
	ch_err e = ch_svc_principal_valid(tx, p); /* like every other read and write */
	if (!e)
		e = ch_svc_chat_visible(tx, p, chat_id, &chat);
	if (e)
		return e;
	int author = ch_principal_author(p);
	ch_event *ev = ch_event_new(CH_EV_INVOKE,
	                            author == CH_AUTHOR_CLIENT ? SVC_OPERATOR_SIDE : CH_AUD_CLIENT, "Typing",
	                            json_pack("[I, i]", (json_int_t)chat.id, author));
	ev->company_id = chat.company_id;
	ev->org_id = chat.organization_id;
	ev->client_id = chat.client_id;
	ev->exclude_conn = origin_conn;
	ch_bus_publish_ephemeral(ev); /* not logged: at most once is enough for Typing */
	return CH_OK;
}
