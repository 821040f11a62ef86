/* route.c — routing inside a write job: the candidates are the org's Active
 * operators (store) that are online (presence); src/chat/routing.c picks.
 * Running in the single writer's transaction is what makes concurrent
 * arrivals safe: no chat can be assigned twice.
 * Threading: the store writer thread. */
#include <stdlib.h>

#include "chat/presence.h"
#include "chat/routing.h"
#include "core/buf.h"
#include "core/clock.h"
#include "svc/internal.h"

#define MAX_ONLINE 4096
#define DRAIN_BATCH 200

typedef struct cands {
	ch_presence_entry *online;
	size_t n_online;
	ch_route_candidate *c;
	size_t n;
} cands;

static void add_loaded(void *ctx, int64_t operator_id, int64_t open_chats)
{
	cands *cs = ctx;
	for (size_t i = 0; i < cs->n_online; i++)
		if (cs->online[i].operator_id == operator_id)
			cs->c[cs->n++] = (ch_route_candidate){operator_id, open_chats, cs->online[i].idle_since_ms};
}

/* Active + online operators of the org with their load; *capacity from the org. */
static ch_err candidates(ch_store_tx *tx, int64_t company_id, int64_t org_id, cands *cs, int64_t *capacity)
{
	ch_org_row org;
	ch_err e = ch_store_org_get(tx, company_id, org_id, &org);
	if (e)
		return e;
	*capacity = org.max_chats_per_operator;
	cs->online = ch_xcalloc(MAX_ONLINE, sizeof *cs->online);
	size_t total = ch_presence_online(org_id, cs->online, MAX_ONLINE);
	cs->n_online = total < MAX_ONLINE ? total : MAX_ONLINE;
	cs->c = ch_xcalloc(cs->n_online ? cs->n_online : 1, sizeof *cs->c);
	cs->n = 0;
	return cs->n_online ? ch_store_operator_load(tx, company_id, org_id, add_loaded, cs) : CH_OK;
}

static void cands_free(cands *cs)
{
	free(cs->online);
	free(cs->c);
}

void svc_emit_assignment(svc_job *j, const ch_chat_row *c, int old_status)
{
	svc_emit(j, SVC_OPERATOR_SIDE, c, "ChatAssigned", json_pack("[o]", ch_svc_json_chat(c)));
	if (c->status != old_status)
		svc_emit(j, SVC_BOTH_SIDES, c, "ChatStatusChanged",
		         json_pack("[I, i]", (json_int_t)c->id, c->status));
}

static ch_err assign(ch_store_tx *tx, svc_job *j, ch_chat_row *chat, int64_t operator_id)
{
	int old = chat->status;
	ch_err e = ch_store_chat_update(tx, chat->company_id, chat->id, CH_CHAT_OPEN, operator_id, chat);
	if (e)
		return e;
	ch_presence_touch(operator_id, ch_now_ms());
	svc_emit_assignment(j, chat, old);
	return CH_OK;
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
		if (i >= 0)
			e = assign(tx, j, chat, cs.c[i].operator_id);
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
	ch_route_drain(cs.c, cs.n, capacity, q.n, ch_now_ms(), to);
	for (size_t i = 0; !e && i < q.n && to[i]; i++)
		e = assign(tx, j, &q.rows[i], to[i]);
	free(to);
out:
	free(q.rows);
	cands_free(&cs);
	return e;
}
