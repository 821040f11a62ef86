/* hours.c — business hours (docs/api.md "Business hours"): whether an
 * organization is open now (its schedule, chat/hours.c, in its zone,
 * core/tz.c, at the server's wall clock ch_now_ms, which clock_offset
 * moves), the away auto-reply, the schedule's writes, and the drain at
 * opening time.
 *
 * Routing (route.c) asks svc_hours_closed under the organization's routing
 * lock: a closed organization gets no assignment, and the store records the
 * next opening as the organization's pending drain. The sweep assigns the
 * queued chats of every organization whose pending drain is due, each under
 * its routing lock (svc_drain_org), so processes sweeping together never
 * assign a chat twice. This process runs the sweep at the second a drain it
 * asked for is due (the hint below) and every business_hours_interval_seconds
 * for the drains other processes asked for.
 * Threading: the jobs run on the store writer thread; the read runs on the
 * caller's worker thread; the hint is atomic (any thread). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/hours.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "svc/internal.h"

#define SWEEP_BATCH 50

/* The earliest drain this process asked for or learnt of (Unix ms; 0 none). */
static _Atomic int64_t hint;

static void hint_at(int64_t at)
{
	int64_t cur = atomic_load(&hint);
	while (at > 0 && (cur == 0 || at < cur) && !atomic_compare_exchange_weak(&hint, &cur, at))
		;
}

int ch_svc_hours_due(int64_t now_ms)
{
	int64_t cur = atomic_load(&hint);
	return cur && cur <= now_ms && atomic_compare_exchange_strong(&hint, &cur, 0);
}

/* The organization's schedule (NULL: none, or unusable — always open). */
static ch_err load(ch_store_tx *tx, int64_t company_id, int64_t org_id, ch_hours **out, const ch_tz **zone)
{
	char *text = ch_xmalloc(CH_HOURS_CONFIG_MAX);
	int64_t drain_at;
	*out = NULL;
	*zone = NULL;
	ch_err e = ch_store_hours_get(tx, company_id, org_id, text, &drain_at);
	json_t *v = !e && text[0] ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!v)
		return e;
	ch_hours *h = ch_xmalloc(sizeof *h);
	char why[160] = "";
	if (ch_hours_parse(v, h, why, sizeof why) == 0 && !(*zone = ch_tz_get(h->zone)))
		snprintf(why, sizeof why, "no zone file for its time zone");
	if (*zone) {
		*out = h;
	} else {
		CH_WARN("business hours of organization %lld unusable (%s): always open", (long long)org_id, why);
		free(h);
	}
	json_decref(v);
	return CH_OK;
}

ch_err svc_hours_closed(ch_store_tx *tx, int64_t company_id, int64_t org_id, int *closed)
{
	ch_hours *h;
	const ch_tz *z;
	int open = 1;
	int64_t next = 0;
	ch_err e = load(tx, company_id, org_id, &h, &z);
	if (h)
		ch_hours_state(h, z, ch_now_ms(), &open, &next);
	free(h);
	*closed = !open;
	if (!e && next) {
		e = ch_store_hours_drain_at(tx, org_id, next);
		hint_at(next);
	}
	return e;
}

/* The auto-reply as a system message to both sides. */
static ch_err post_reply(ch_store_tx *tx, svc_job *j, ch_chat_row *c, const char *text)
{
	ch_message_new m = {.company_id = c->company_id, .chat_id = c->id, .author = CH_AUTHOR_SYSTEM,
	                    .text = text, .status = CH_MSG_SUCCESS};
	ch_message_row *msg = ch_xmalloc(sizeof *msg);
	ch_err e = ch_store_message_append(tx, &m, c, msg, NULL);
	if (!e) {
		ch_event *ev = svc_emit(j, SVC_BOTH_SIDES, c, "ReceiveMessage", json_pack("[o]", ch_svc_json_message(msg, c)));
		if (ev)
			ev->seq = msg->seq;
		svc_org_message(tx, "message.created", c, msg);
	}
	free(msg);
	return e;
}

ch_err svc_hours_away(ch_store_tx *tx, svc_job *j, ch_chat_row *c)
{
	if (c->status != CH_CHAT_NEW || c->operator_id)
		return CH_OK;
	ch_hours *h;
	const ch_tz *z;
	ch_err e = load(tx, c->company_id, c->organization_id, &h, &z);
	int open = 1, first = 0;
	int64_t next;
	if (h)
		ch_hours_state(h, z, ch_now_ms(), &open, &next);
	if (!e && h && !open && h->auto_reply && !(e = ch_store_chat_away_replied(tx, c->company_id, c->id, &first)) &&
	    first)
		e = post_reply(tx, j, c, h->away[0] ? h->away : CH_HOURS_DEFAULT_REPLY);
	free(h);
	return e;
}

/* ---- the drain sweep ------------------------------------------------------ */

typedef struct due_org {
	int64_t company_id, org_id, at;
} due_org;

typedef struct due_list {
	due_org v[SWEEP_BATCH];
	size_t n;
} due_list;

static void add_due(void *ctx, int64_t company_id, int64_t org_id, int64_t at)
{
	due_list *l = ctx;
	if (l->n < SWEEP_BATCH)
		l->v[l->n++] = (due_org){company_id, org_id, at};
}

static ch_err sweep_fn(ch_store_tx *tx, svc_job *j)
{
	int64_t now = ch_now_ms(), next = 0;
	due_list *l = ch_xcalloc(1, sizeof *l);
	ch_err e = ch_store_hours_due(tx, now, SWEEP_BATCH, add_due, l, &next);
	/* in organization order, like every sweep taking routing locks */
	for (size_t i = 0; !e && i < l->n; i++)
		if (!(e = ch_store_hours_drained(tx, l->v[i].org_id, l->v[i].at)))
			e = svc_drain_org(tx, j, l->v[i].company_id, l->v[i].org_id); /* still closed: asks again */
	if (!e) {
		hint_at(l->n == SWEEP_BATCH ? now : next); /* a full batch: the rest at the next tick */
		svc_result(j, json_pack("{s:I, s:b}", "organizations", (json_int_t)l->n, "more", l->n == SWEEP_BATCH));
	}
	free(l);
	return e;
}

void ch_svc_hours_sweep(ch_svc_done done, void *arg)
{
	svc_submit(svc_job_new(sweep_fn, NULL, done, arg));
}

/* ---- the schedule (REST) -------------------------------------------------- */

typedef struct hours_set {
	int64_t org_id;
	const char *config;
} hours_set;

/* Writes the schedule, then assigns what waits when it is open now (when it
 * is closed, the routing check asks for the drain at its next opening). */
static ch_err set_fn(ch_store_tx *tx, svc_job *j)
{
	const hours_set *s = j->extra;
	ch_err e = ch_store_hours_set(tx, j->p.company_id, s->org_id, s->config);
	if (e == CH_ERR_NOT_FOUND)
		return svc_fail(j, e, "organization not found");
	if (!e)
		e = svc_drain_org(tx, j, j->p.company_id, s->org_id);
	if (!e)
		svc_result(j, json_true());
	return e;
}

ch_err ch_svc_hours_set_wait(const ch_principal *p, int64_t org_id, const char *config)
{
	hours_set s = {.org_id = org_id, .config = config};
	return svc_run_wait(set_fn, p, &s, NULL);
}

ch_err ch_svc_hours_get(ch_svc_tx *tx, int64_t company_id, int64_t org_id, json_t **out)
{
	char *text = ch_xmalloc(CH_HOURS_CONFIG_MAX);
	int64_t drain_at;
	ch_err e = ch_store_hours_get(tx, company_id, org_id, text, &drain_at);
	*out = NULL;
	if (!e && text[0])
		*out = json_loads(text, 0, NULL);
	if (!e && !*out) { /* none: the default, off */
		ch_hours h = {.enabled = 0};
		snprintf(h.zone, sizeof h.zone, "UTC");
		*out = ch_hours_json(&h);
	}
	free(text);
	return e;
}

ch_err ch_svc_hours_public(ch_svc_tx *tx, int64_t company_id, int64_t org_id, json_t **out)
{
	ch_hours *h;
	const ch_tz *z;
	int open = 1;
	int64_t next = 0;
	ch_err e = load(tx, company_id, org_id, &h, &z);
	if (h)
		ch_hours_state(h, z, ch_now_ms(), &open, &next);
	char iso[25];
	if (next)
		ch_iso8601_format(next, iso);
	*out = e ? NULL
	         : json_pack("{s:b, s:o, s:o}", "open", open, "nextOpenAt", next ? json_string(iso) : json_null(),
	                     "awayMessage", h && h->away[0] ? json_string(h->away) : json_null());
	free(h);
	return e;
}
