/* presence.c — operator presence and this process's node, as write jobs.
 *
 * Presence lives in the store (store.h: nodes, operator connections,
 * operator presence) so that every process routes on the same view. The hub
 * publishes how many connections an operator holds here (an absolute count)
 * and SetPresence; each job takes the organization's routing lock, changes
 * presence, emits OperatorPresence (the org's operators get the operator's
 * state, its visitors whether anyone is online) and drains the queue when
 * the operator is online. Once a second the hub runs the tick: renew this
 * node's lease (register again when another process reaped it: the hub then
 * publishes its connections again), reap expired nodes, and return to the
 * queue the chats of operators offline for longer than the grace period.
 * Presence jobs carry no principal: they must run even for an operator whose
 * token was just revoked (its connections closing).
 * Threading: ch_svc_* from any thread; the job functions on the store writer
 * (the tick's state below is the writer's alone).
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "svc/internal.h"

#define DUE_BATCH 50

static char node_id[CH_NODE_ID_MAX + 1];
static int64_t lease_ms = 10000;
/* writer thread: since when this node has renewed without a gap (0 = not),
 * and its last renewal (monotonic ms) */
static int64_t renewing_since, last_renewal;

void svc_presence_init(const char *id, int64_t lease)
{
	if (id && *id)
		snprintf(node_id, sizeof node_id, "%s", id);
	else {
		char guid[CH_GUID_LEN + 1];
		ch_random_guid(guid);
		snprintf(node_id, sizeof node_id, "%s", guid);
	}
	if (lease > 0)
		lease_ms = lease;
}

const char *ch_svc_node_id(void) { return node_id; }

static const char *state_name(int st)
{
	return st == CH_PRESENCE_ROW_ONLINE ? "online" : st == CH_PRESENCE_ROW_AWAY ? "away" : "offline";
}

static void count_one(void *ctx, const ch_presence_row *r)
{
	(void)r;
	++*(int64_t *)ctx;
}

/* OperatorPresence for r's organization: the state to its operators, whether
 * anyone is online to its visitors. */
static ch_err emit_presence(ch_store_tx *tx, svc_job *j, const ch_presence_row *r)
{
	int64_t online = 0;
	ch_err e = ch_store_presence_online(tx, r->org_id, count_one, &online);
	if (e)
		return e;
	json_t *args = json_pack("[I, s]", (json_int_t)r->operator_id, state_name(r->state));
	json_t *vargs = json_pack("[i, s]", 0, online ? "online" : "offline");
	if (!args || !vargs) {
		json_decref(args);
		json_decref(vargs);
		j->unencodable = 1;
		return CH_OK;
	}
	ch_event *ev = ch_event_new(CH_EV_INVOKE, CH_AUD_ORG_OPERATORS, "OperatorPresence", args);
	ch_event *vis = ch_event_new(CH_EV_INVOKE, CH_AUD_ORG_VISITORS, "OperatorPresence", vargs);
	ev->company_id = vis->company_id = r->company_id;
	ev->org_id = vis->org_id = r->org_id;
	ch_event_append(&j->events, ev);
	ch_event_append(&j->events, vis);
	return CH_OK;
}

/* After a presence change under the org's routing lock: the events, and
 * the queue when the operator can take chats. */
static ch_err announce(ch_store_tx *tx, svc_job *j, const ch_presence_row *r)
{
	ch_err e = emit_presence(tx, j, r);
	if (!e && r->state == CH_PRESENCE_ROW_ONLINE)
		e = svc_drain_org(tx, j, r->company_id, r->org_id);
	return e;
}

/* ---- connections and SetPresence ---------------------------------------- */

/* j: company_id, org_id, operator_id; seq = connections here; status = 1
 * when a connection was added (announced even without a state change). */
static ch_err conn_fn(ch_store_tx *tx, svc_job *j)
{
	ch_presence_row r;
	int changed = 0;
	ch_err e = ch_store_routing_lock(tx, j->org_id);
	if (!e)
		e = ch_store_presence_conn(tx, node_id, j->company_id, j->org_id, j->operator_id, j->seq, &r, &changed);
	if (e == CH_ERR_NOT_FOUND)
		return CH_OK; /* this node was reaped: the tick registers it again and the hub publishes again */
	if (e || !(changed || j->status))
		return e;
	/* a new connection is not ready for events yet: its hub drains once it is */
	return j->status ? emit_presence(tx, j, &r) : announce(tx, j, &r);
}

void ch_svc_presence_conn(int64_t company_id, int64_t org_id, int64_t operator_id, int64_t connections,
                          int added, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(conn_fn, NULL, done, arg);
	j->company_id = company_id;
	j->org_id = org_id;
	j->operator_id = operator_id;
	j->seq = connections;
	j->status = added;
	svc_submit(j);
}

static ch_err set_fn(ch_store_tx *tx, svc_job *j)
{
	ch_presence_row r;
	ch_err e = ch_store_routing_lock(tx, j->org_id);
	if (!e)
		e = ch_store_presence_set_away(tx, j->operator_id, j->status, &r, NULL);
	if (!e && !r.org_id) { /* never connected: its own org, offline */
		r.company_id = j->company_id;
		r.org_id = j->org_id;
	}
	return e ? e : announce(tx, j, &r);
}

void ch_svc_presence_set(int64_t company_id, int64_t org_id, int64_t operator_id, int away, ch_svc_done done,
                         void *arg)
{
	svc_job *j = svc_job_new(set_fn, NULL, done, arg);
	j->company_id = company_id;
	j->org_id = org_id;
	j->operator_id = operator_id;
	j->status = away ? 1 : 0;
	svc_submit(j);
}

/* ---- the node and the tick ------------------------------------------------ */

typedef struct rows {
	ch_presence_row *v;
	size_t n, cap;
} rows;

static void add_row(void *ctx, const ch_presence_row *r)
{
	rows *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = ch_xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = *r;
}

/* Operators that went offline (a reaped node): their events, each under
 * its organization's routing lock. */
static ch_err announce_all(ch_store_tx *tx, svc_job *j, const rows *l)
{
	ch_err e = CH_OK;
	for (size_t i = 0; !e && i < l->n; i++) {
		e = ch_store_routing_lock(tx, l->v[i].org_id);
		if (!e)
			e = emit_presence(tx, j, &l->v[i]);
	}
	return e;
}

static ch_err register_fn(ch_store_tx *tx, svc_job *j)
{
	rows gone = {0};
	ch_err e = ch_store_node_register(tx, node_id, lease_ms, add_row, &gone);
	if (!e)
		e = announce_all(tx, j, &gone);
	free(gone.v);
	if (!e)
		renewing_since = last_renewal = ch_mono_ms();
	return e;
}

ch_err ch_svc_node_start(void)
{
	ch_svc_result r;
	ch_svc_waiter *w = ch_svc_waiter_new();
	svc_submit(svc_job_new(register_fn, NULL, ch_svc_waiter_done, w));
	ch_svc_waiter_wait(w, &r);
	json_decref(r.result);
	if (!r.err)
		CH_INFO("node %s registered (lease %lld ms)", node_id, (long long)lease_ms);
	return r.err;
}

/* Renews the lease, registering again when the node was reaped; *republish
 * says so. A process reaps others only once it has renewed for a full lease
 * without a gap: just after an outage everybody else's lease has run out
 * too, and they have not had their chance to renew yet. */
static ch_err renew(ch_store_tx *tx, svc_job *j, int *republish, int *may_reap)
{
	int reaped = 0;
	int64_t now = ch_mono_ms();
	ch_err e = ch_store_node_renew(tx, node_id, lease_ms, &reaped);
	*republish = 0;
	if (!e && reaped) {
		CH_WARN("node %s: another process reaped it (no renewal for a lease); registering again", node_id);
		e = register_fn(tx, j);
		*republish = 1;
	}
	if (e)
		return e;
	if (!renewing_since || now - last_renewal > lease_ms / 2)
		renewing_since = now;
	last_renewal = now;
	*may_reap = now - renewing_since >= lease_ms;
	return CH_OK;
}

/* j->seq: the offline grace period in ms. */
static ch_err tick_fn(ch_store_tx *tx, svc_job *j)
{
	int republish, may_reap;
	rows gone = {0}, due = {0};
	ch_err e = renew(tx, j, &republish, &may_reap);
	if (!e && may_reap)
		e = ch_store_nodes_reap(tx, add_row, &gone);
	if (!e)
		e = announce_all(tx, j, &gone);
	if (!e)
		e = ch_store_presence_due(tx, j->seq, DUE_BATCH, add_row, &due);
	for (size_t i = 0; !e && i < due.n; i++)
		e = svc_requeue_operator(tx, j, due.v[i].company_id, due.v[i].org_id, due.v[i].operator_id);
	free(gone.v);
	free(due.v);
	if (!e && republish)
		j->res.result = json_pack("{s:b}", "republish", 1);
	return e;
}

void ch_svc_presence_tick(int64_t grace_ms, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(tick_fn, NULL, done, arg);
	j->seq = grace_ms;
	svc_submit(j);
}

/* ---- reads ---------------------------------------------------------------- */

ch_err ch_svc_presence_of(ch_svc_tx *tx, int64_t operator_id, const char **state)
{
	ch_presence_row r;
	ch_err e = ch_store_presence_get(tx, operator_id, &r);
	*state = state_name(e ? CH_PRESENCE_ROW_OFFLINE : r.state);
	return e;
}

ch_err ch_svc_org_online(ch_svc_tx *tx, int64_t org_id, int *online)
{
	int64_t n = 0;
	ch_err e = ch_store_presence_online(tx, org_id, count_one, &n);
	*online = n > 0;
	return e;
}
