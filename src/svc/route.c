/* route.c — routing inside a write job: the candidates are the org's Active
 * operators (store) that are online (store presence, every process's
 * connections); src/chat/routing.c picks. Every path takes the org's
 * routing lock before it counts load, and every assignment is conditional
 * (ch_store_chat_assign_if_queued): processes sharing one database never
 * assign a chat twice nor exceed an operator's capacity. Outside the
 * organization's business hours there are no candidates (hours.c).
 * Threading: the store writer thread. */
#include <stdlib.h>

#include "chat/routing.h"
#include "core/buf.h"
#include "core/clock.h"
#include "svc/internal.h"

#define DRAIN_BATCH 200

typedef struct cands {
	ch_presence_row *online;
	size_t n_online, cap_online;
	ch_route_candidate *c;
	size_t n;
} cands;

static void add_online(void *ctx, const ch_presence_row *r)
{
	cands *cs = ctx;
	if (cs->n_online == cs->cap_online) {
		cs->cap_online = cs->cap_online ? cs->cap_online * 2 : 16;
		cs->online = ch_xrealloc(cs->online, cs->cap_online * sizeof *cs->online);
	}
	cs->online[cs->n_online++] = *r;
}

static void add_loaded(void *ctx, int64_t operator_id, int64_t open_chats)
{
	cands *cs = ctx;
	for (size_t i = 0; i < cs->n_online; i++)
		if (cs->online[i].operator_id == operator_id)
			cs->c[cs->n++] = (ch_route_candidate){operator_id, open_chats, cs->online[i].idle_since};
}

/* Under the org's routing lock: Active + online operators of the org with
 * their load; *capacity from the org. */
static ch_err candidates(ch_store_tx *tx, int64_t company_id, int64_t org_id, cands *cs, int64_t *capacity)
{
	ch_org_row org;
	int closed = 0;
	ch_err e = ch_store_routing_lock(tx, org_id);
	if (!e)
		e = ch_store_org_get(tx, company_id, org_id, &org);
	if (!e) /* outside business hours nobody is a candidate (hours.c) */
		e = svc_hours_closed(tx, company_id, org_id, &closed);
	if (!e && !closed)
		e = ch_store_presence_online(tx, org_id, add_online, cs);
	if (e || closed)
		return e;
	*capacity = org.max_chats_per_operator;
	cs->c = ch_xcalloc(cs->n_online ? cs->n_online : 1, sizeof *cs->c);
	cs->n = 0;
	return cs->n_online ? ch_store_operator_load(tx, company_id, org_id, add_loaded, cs) : CH_OK;
}

static void cands_free(cands *cs)
{
	free(cs->online);
	free(cs->c);
}

void svc_emit_assignment(ch_store_tx *tx, svc_job *j, const ch_chat_row *c, int old_status)
{
	json_t *chat = svc_json_chat_staff(tx, j, c);
	svc_emit(j, SVC_OPERATOR_SIDE, c, "ChatAssigned", chat ? json_pack("[o]", chat) : NULL);
	svc_org_chat(tx, "chat.assigned", c);
	if (c->status != old_status) {
		svc_emit(j, SVC_BOTH_SIDES, c, "ChatStatusChanged",
		         json_pack("[I, i]", (json_int_t)c->id, c->status));
		svc_org_chat_status(tx, c, old_status);
	}
}

/* CH_ERR_CONFLICT (nothing changed) when the chat is no longer queued. */
static ch_err assign(ch_store_tx *tx, svc_job *j, ch_chat_row *chat, int64_t operator_id)
{
	int old = chat->status;
	ch_err e = ch_store_chat_assign_if_queued(tx, chat->company_id, chat->id, operator_id, chat);
	if (!e)
		e = ch_store_presence_touch(tx, operator_id);
	if (!e)
		svc_emit_assignment(tx, j, chat, old);
	return e;
}

ch_err svc_route_chat(ch_store_tx *tx, svc_job *j, ch_chat_row *chat)
{
	if (chat->status != CH_CHAT_NEW || chat->operator_id)
		return CH_OK;
	cands cs = {0};
	int64_t capacity;
	ch_err e = candidates(tx, chat->company_id, chat->organization_id, &cs, &capacity);
	if (!e) {
		int i = ch_route_pick(cs.c, cs.n, capacity);
		if (i >= 0 && (e = assign(tx, j, chat, cs.c[i].operator_id)) == CH_ERR_CONFLICT)
			e = CH_OK; /* routed meanwhile */
	}
	cands_free(&cs);
	return e;
}

typedef struct queue {
	ch_chat_row *rows;
	size_t n;
} queue;

static void add_queued(void *ctx, const ch_chat_row *row)
{
	queue *q = ctx;
	q->rows[q->n++] = *row;
}

ch_err svc_drain_org(ch_store_tx *tx, svc_job *j, int64_t company_id, int64_t org_id)
{
	cands cs = {0};
	int64_t capacity;
	ch_err e = candidates(tx, company_id, org_id, &cs, &capacity);
	queue q = {0};
	if (e || cs.n == 0)
		goto out;
	q.rows = ch_xcalloc(DRAIN_BATCH, sizeof *q.rows);
	ch_chat_filter f = {.company_id = company_id, .org_id = org_id, .operator_id = -1,
	                    .status = CH_CHAT_NEW, .source = -1, .limit = DRAIN_BATCH,
	                    .oldest_queued_first = 1};
	e = ch_store_chat_list(tx, &f, NULL, add_queued, &q);
	if (e || q.n == 0)
		goto out;
	int64_t *to = ch_xcalloc(q.n, sizeof *to);
	ch_route_drain(cs.c, cs.n, capacity, q.n, ch_lease_ms(), to); /* presence's clock */
	for (size_t i = 0; !e && i < q.n && to[i]; i++)
		if ((e = assign(tx, j, &q.rows[i], to[i])) == CH_ERR_CONFLICT)
			e = CH_OK; /* taken meanwhile: that seat stays free until the next drain */
	free(to);
out:
	free(q.rows);
	cands_free(&cs);
	return e;
}
