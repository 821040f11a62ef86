/* events.c — organization events (docs/api.md "Events"): recorded inside a
 * write job next to the change they describe (the store numbers them in the
 * batch's transaction), read back in eventSeq order with their objects as
 * they are now, and trimmed after the retention period.
 *
 * An event row holds ids and a small JSON object; the chat, message and client
 * are read when the event is, so a redacted message reads as its tombstone
 * and an erased client as erased in every later replay or delivery, and no
 * copy of user-typed text outlives its object in the log.
 * Threading: svc_org_event* inside a job (writer thread); the reads on the
 * caller's thread inside its read transaction; the trim is a write job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "svc/internal.h"

#define TRIM_BATCH 10000 /* events one trim job deletes at most */

static void record(ch_store_tx *tx, ch_org_event_new *ev, json_t *data)
{
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	ev->at = ch_now_ms();
	ev->data = text;
	ch_store_tx_add_org_event(tx, ev);
	free(text);
}

/* A chat-scoped event whose data the caller wrote (borrowed JSON text). */
static void record_text(ch_store_tx *tx, const char *type, const ch_chat_row *c, int64_t message_id,
                        const char *data)
{
	ch_org_event_new ev = {.company_id = c->company_id, .organization_id = c->organization_id,
	                       .chat_id = c->id, .message_id = message_id, .client_id = c->client_id, .type = type,
	                       .at = ch_now_ms(), .data = data};
	ch_store_tx_add_org_event(tx, &ev);
}

void svc_org_event(ch_store_tx *tx, const char *type, const ch_chat_row *c, int64_t message_id,
                   json_t *data)
{
	ch_org_event_new ev = {.company_id = c->company_id, .organization_id = c->organization_id,
	                       .chat_id = c->id, .message_id = message_id, .client_id = c->client_id, .type = type};
	record(tx, &ev, data);
}

void svc_org_event_client(ch_store_tx *tx, const char *type, int64_t company_id, int64_t org_id,
                          int64_t client_id, json_t *data)
{
	ch_org_event_new ev = {.company_id = company_id, .organization_id = org_id, .client_id = client_id,
	                       .type = type};
	record(tx, &ev, data);
}

/* The events of every message and status change are written without jansson:
 * they run on the store writer for each message, where each allocation counts
 * (a few integers need no JSON library). */
static void operator_id_text(int64_t id, char out[24])
{
	if (id)
		snprintf(out, 24, "%lld", (long long)id);
	else
		snprintf(out, 24, "null");
}

void svc_org_chat_status(ch_store_tx *tx, const ch_chat_row *c, int old_status)
{
	char op[24], data[128];
	operator_id_text(c->operator_id, op);
	snprintf(data, sizeof data, "{\"status\":%d,\"previousStatus\":%d,\"operatorId\":%s}", c->status, old_status, op);
	record_text(tx, c->status == CH_CHAT_CLOSED ? "chat.closed" : "chat.status_changed", c, 0, data);
}

void svc_org_chat(ch_store_tx *tx, const char *type, const ch_chat_row *c)
{
	char op[24], data[96];
	operator_id_text(c->operator_id, op);
	snprintf(data, sizeof data, "{\"status\":%d,\"operatorId\":%s}", c->status, op);
	record_text(tx, type, c, 0, data);
}

void svc_org_message(ch_store_tx *tx, const char *type, const ch_chat_row *c, const ch_message_row *m)
{
	char data[64];
	snprintf(data, sizeof data, "{\"seq\":%lld,\"author\":%d}", (long long)m->seq, m->author);
	record_text(tx, type, c, m->id, data);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct page {
	ch_store_tx *tx;
	json_t *events;
	ch_chat_row chat; /* the last chat read: a page is mostly a few chats' events */
	int has_chat;
	ch_err err;
} page;

static json_t *iso(int64_t ms)
{
	char ts[25];
	ch_iso8601_format(ms, ts);
	return json_string(ts);
}

/* The chat as it is now; NULL (JSON null) when it was deleted since. */
static const ch_chat_row *chat_now(page *pg, const ch_org_event_row *r)
{
	if (pg->has_chat && pg->chat.id == r->chat_id)
		return &pg->chat;
	pg->has_chat = 0;
	ch_err e = ch_store_chat_get(pg->tx, r->company_id, r->chat_id, &pg->chat);
	if (e && e != CH_ERR_NOT_FOUND)
		pg->err = e;
	pg->has_chat = !e;
	return pg->has_chat ? &pg->chat : NULL;
}

static json_t *message_now(page *pg, const ch_org_event_row *r, const ch_chat_row *c)
{
	ch_message_row *m = ch_xmalloc(sizeof *m);
	json_t *out = json_null();
	ch_err e = ch_store_message_get(pg->tx, r->company_id, r->message_id, m);
	if (!e && c) {
		json_decref(out);
		out = ch_svc_json_message(m, c);
	} else if (e && e != CH_ERR_NOT_FOUND) {
		pg->err = e;
	}
	free(m);
	return out ? out : json_null();
}

static json_t *client_now(page *pg, const ch_org_event_row *r)
{
	ch_client_row *cl = ch_xmalloc(sizeof *cl);
	json_t *out = json_null();
	ch_err e = ch_store_client_get(pg->tx, r->company_id, r->client_id, cl);
	if (!e) {
		json_decref(out);
		out = ch_svc_json_client(cl);
	} else if (e != CH_ERR_NOT_FOUND) {
		pg->err = e;
	}
	free(cl);
	return out ? out : json_null();
}

static void add_event(void *ctx, const ch_org_event_row *r)
{
	page *pg = ctx;
	if (pg->err)
		return;
	char id[64];
	snprintf(id, sizeof id, "evt_%lld_%lld", (long long)r->organization_id, (long long)r->seq);
	json_t *data = json_loads(r->data, 0, NULL);
	json_t *ev = json_pack("{s:s, s:I, s:s, s:o, s:I, s:o}", "eventId", id, "eventSeq", (json_int_t)r->seq, "type",
	                       r->type, "at", iso(r->at), "organizationId", (json_int_t)r->organization_id, "data",
	                       json_is_object(data) ? data : json_object());
	if (data && !json_is_object(data))
		json_decref(data);
	const ch_chat_row *c = r->chat_id ? chat_now(pg, r) : NULL;
	if (ev && r->chat_id)
		json_object_set_new(ev, "chat", c ? ch_svc_json_chat(c) : json_null());
	if (ev && r->message_id)
		json_object_set_new(ev, "message", message_now(pg, r, c));
	if (ev && r->client_id)
		json_object_set_new(ev, "client", client_now(pg, r));
	if (!ev) {
		CH_ERROR("event %s cannot be encoded", id);
		pg->err = CH_ERR_INTERNAL;
		return;
	}
	json_array_append_new(pg->events, ev);
}

ch_err ch_svc_events_page(ch_svc_tx *tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,
                          json_t **events_out, int64_t *last_seq_out, int64_t *trimmed_out)
{
	int64_t last = 0, trimmed = 0;
	*events_out = NULL;
	ch_err e = ch_store_event_head(tx, company_id, org_id, &last, &trimmed);
	if (e)
		return e;
	*last_seq_out = last;
	if (trimmed_out)
		*trimmed_out = trimmed;
	if (after < trimmed)
		return CH_ERR_GONE;
	if (after > last)
		return CH_ERR_OUT_OF_RANGE;
	page pg = {.tx = tx, .events = json_array()};
	e = ch_store_event_list(tx, company_id, org_id, after, limit, add_event, &pg);
	if (!e)
		e = pg.err;
	if (e)
		json_decref(pg.events);
	else
		*events_out = pg.events;
	return e;
}

/* ---- retention ---------------------------------------------------------- */

static ch_err trim_fn(ch_store_tx *tx, svc_job *j)
{
	int64_t deleted = 0;
	ch_err e = ch_store_event_trim(tx, ch_now_ms() - j->seq, TRIM_BATCH, &deleted);
	if (!e)
		svc_result(j, json_pack("{s:I, s:b}", "deleted", (json_int_t)deleted, "more", deleted >= TRIM_BATCH));
	return e;
}

void ch_svc_events_trim(int64_t retention_ms, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(trim_fn, NULL, done, arg);
	j->seq = retention_ms;
	svc_submit(j);
}
