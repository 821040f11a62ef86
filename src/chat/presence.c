/* presence.c — the process-wide table of operator presence.
 *
 * Records are allocated once per operator (stable pointers) and found through
 * an open-addressing hash map keyed by operator id; a second map keeps, per
 * organization, its operators sorted by id so ch_presence_online is one
 * ordered walk over that organization only. Operators that went offline and
 * were not yet reported by ch_presence_expired sit on a doubly linked
 * "pending" list, so the grace-period sweep only looks at those.
 * Records are never removed (an operator reconnects with its history) except
 * by ch_presence_reset.
 * idle_since_ms starts at the operator's first connection and then only moves
 * on ch_presence_touch: reconnecting is not activity, so a short network blip
 * does not cost an operator its place in the "longest idle" order.
 * Threading: one global mutex guards everything; every function takes it, so
 * any thread may call any function. No function calls another public one.
 */
#include "chat/presence.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/idmap.h"

typedef struct pres_rec {
	ch_presence_entry e;
	int pending;                  /* on the pending list (offline, not reported yet) */
	struct pres_rec *prev, *next; /* pending list links */
} pres_rec;

typedef struct pres_org {
	pres_rec **members; /* sorted by operator id, every state */
	size_t n, cap;
} pres_org;

static struct {
	pthread_mutex_t mu;
	ch_idmap ops;  /* operator id → pres_rec */
	ch_idmap orgs; /* org id → pres_org */
	pres_rec *pending_head, *pending_tail;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- per-organization index --------------------------------------------- */

/* Position of operator_id in o->members, or where it would be inserted. */
static size_t ch_org_lower_bound(const pres_org *o, int64_t operator_id)
{
	size_t lo = 0, hi = o->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->members[mid]->e.operator_id < operator_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void ch_org_add(int64_t org_id, pres_rec *r)
{
	pres_org *o = ch_idmap_get(&g.orgs, org_id);
	if (!o) {
		o = ch_xcalloc(1, sizeof *o);
		ch_idmap_put(&g.orgs, org_id, o);
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 8;
		o->members = ch_xrealloc(o->members, o->cap * sizeof *o->members);
	}
	size_t at = ch_org_lower_bound(o, r->e.operator_id);
	memmove(o->members + at + 1, o->members + at, (o->n - at) * sizeof *o->members);
	o->members[at] = r;
	o->n++;
}

static void ch_org_remove(int64_t org_id, pres_rec *r)
{
	pres_org *o = ch_idmap_get(&g.orgs, org_id);
	if (!o)
		return;
	size_t at = ch_org_lower_bound(o, r->e.operator_id);
	if (at == o->n || o->members[at] != r)
		return;
	memmove(o->members + at, o->members + at + 1, (o->n - at - 1) * sizeof *o->members);
	o->n--;
}

/* ---- pending (offline, unreported) list ---------------------------------- */

static void ch_pending_push(pres_rec *r)
{
	r->prev = g.pending_tail;
	r->next = NULL;
	if (g.pending_tail)
		g.pending_tail->next = r;
	else
		g.pending_head = r;
	g.pending_tail = r;
	r->pending = 1;
}

static void ch_pending_unlink(pres_rec *r)
{
	if (!r->pending)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		g.pending_head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		g.pending_tail = r->prev;
	r->prev = r->next = NULL;
	r->pending = 0;
}

/* ---- public API ---------------------------------------------------------- */

static pres_rec *ch_presence_find_or_add(int64_t operator_id, int64_t org_id, int64_t now_ms)
{
	pres_rec *r = ch_idmap_get(&g.ops, operator_id);
	if (r) {
		if (r->e.org_id != org_id) { /* the operator moved to another organization */
			ch_org_remove(r->e.org_id, r);
			r->e.org_id = org_id;
			ch_org_add(org_id, r);
		}
		return r;
	}
	r = ch_xcalloc(1, sizeof *r);
	r->e.operator_id = operator_id;
	r->e.org_id = org_id;
	r->e.state = CH_PRESENCE_OFFLINE;
	r->e.idle_since_ms = now_ms;
	ch_idmap_put(&g.ops, operator_id, r);
	ch_org_add(org_id, r);
	return r;
}

ch_presence_state ch_presence_connect(int64_t operator_id, int64_t org_id, int64_t now_ms)
{
	pthread_mutex_lock(&g.mu);
	pres_rec *r = ch_presence_find_or_add(operator_id, org_id, now_ms);
	if (r->e.connections == 0) { /* back from offline: a new online period, "away" is forgotten */
		r->e.state = CH_PRESENCE_ONLINE;
		r->e.offline_since_ms = 0;
		ch_pending_unlink(r);
	}
	r->e.connections++;
	ch_presence_state st = r->e.state;
	pthread_mutex_unlock(&g.mu);
	return st;
}

ch_presence_state ch_presence_disconnect(int64_t operator_id, int64_t now_ms)
{
	pthread_mutex_lock(&g.mu);
	ch_presence_state st = CH_PRESENCE_OFFLINE;
	pres_rec *r = ch_idmap_get(&g.ops, operator_id);
	if (r && r->e.connections > 0) { /* a stray close (never counted) changes nothing */
		if (--r->e.connections == 0) {
			r->e.state = CH_PRESENCE_OFFLINE;
			r->e.offline_since_ms = now_ms;
			ch_pending_push(r);
		}
		st = r->e.state;
	}
	pthread_mutex_unlock(&g.mu);
	return st;
}

ch_presence_state ch_presence_set(int64_t operator_id, ch_presence_state state, int64_t now_ms)
{
	pthread_mutex_lock(&g.mu);
	ch_presence_state st = CH_PRESENCE_OFFLINE;
	pres_rec *r = ch_idmap_get(&g.ops, operator_id);
	if (r && r->e.connections > 0) {
		if (state == CH_PRESENCE_ONLINE || state == CH_PRESENCE_AWAY)
			r->e.state = state; /* OFFLINE is not something a client can say */
		st = r->e.state;
	}
	pthread_mutex_unlock(&g.mu);
	return st;
}

void ch_presence_touch(int64_t operator_id, int64_t now_ms)
{
	pthread_mutex_lock(&g.mu);
	pres_rec *r = ch_idmap_get(&g.ops, operator_id);
	if (r)
		r->e.idle_since_ms = now_ms;
	pthread_mutex_unlock(&g.mu);
}

int ch_presence_get(int64_t operator_id, ch_presence_entry *out)
{
	pthread_mutex_lock(&g.mu);
	pres_rec *r = ch_idmap_get(&g.ops, operator_id);
	if (r && out)
		*out = r->e;
	pthread_mutex_unlock(&g.mu);
	return r ? 0 : -1;
}

size_t ch_presence_online(int64_t org_id, ch_presence_entry *out, size_t max)
{
	size_t total = 0;
	pthread_mutex_lock(&g.mu);
	const pres_org *o = ch_idmap_get(&g.orgs, org_id);
	for (size_t i = 0; o && i < o->n; i++) {
		if (o->members[i]->e.state != CH_PRESENCE_ONLINE)
			continue;
		if (out && total < max)
			out[total] = o->members[i]->e;
		total++;
	}
	pthread_mutex_unlock(&g.mu);
	return total;
}

size_t ch_presence_expired(int64_t before_ms, ch_presence_entry *out, size_t max)
{
	size_t written = 0;
	pthread_mutex_lock(&g.mu);
	pres_rec *r = g.pending_head;
	while (r && out && written < max) {
		pres_rec *next = r->next;
		if (r->e.offline_since_ms <= before_ms) {
			out[written++] = r->e;
			ch_pending_unlink(r); /* reported once per offline period */
		}
		r = next;
	}
	pthread_mutex_unlock(&g.mu);
	return written;
}

static void free_org(void *o)
{
	free(((pres_org *)o)->members);
	free(o);
}

void ch_presence_reset(void)
{
	pthread_mutex_lock(&g.mu);
	ch_idmap_free(&g.ops, free);
	ch_idmap_free(&g.orgs, free_org);
	g.pending_head = g.pending_tail = NULL;
	pthread_mutex_unlock(&g.mu);
}
