/* test_store_presence.c — the contract of the cluster calls of store.h:
 * nodes and their leases, operator connections and presence, the grace
 * sweep (the routing lock and the conditional assignment are
 * test_store_cluster.c's). Written only against store.h; built for both
 * backends (fixture.h).
 *
 * Each test opens a fresh store in its own mkdtemp directory. Lease expiry
 * is waited for with a short lease and a sleep of a few milliseconds.
 */
#include <time.h>

#include "fixture.h"

static char g_dir[512];
static ch_store *g_store;

static void setup(void)
{
	char path[600];
	fx_begin(g_dir, sizeof g_dir, "ch-presence-test");
	snprintf(path, sizeof path, "%s/chathub.db", g_dir);
	ch_store_opts o = fx_opts(path);
	cr_assert_eq(ch_store_open(&o, &g_store, NULL), CH_OK);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(presence, .init = setup, .fini = teardown, .timeout = 60);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);
static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- the world and the calls as jobs ------------------------------------ */

typedef struct world {
	int64_t company, org, org2, op1, op2, op3; /* op1, op2 in org; op3 in org2 */
} world;

static world W0;

static ch_err job_seed(ch_store_tx *tx, void *p)
{
	world *w = p;
	ch_operator_row op;
	ch_err e = ch_store_company_create(tx, "presco", "Acme", "hash", &w->company);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", "00000001-0000-4000-8000-000000000001", &w->org);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", "00000001-0000-4000-8000-000000000002", &w->org2);
	if (!e)
		e = ch_store_operator_upsert(tx, w->company, w->org, "Anna", NULL, &op, NULL);
	w->op1 = op.id;
	if (!e)
		e = ch_store_operator_upsert(tx, w->company, w->org, "Boris", NULL, &op, NULL);
	w->op2 = op.id;
	if (!e)
		e = ch_store_operator_upsert(tx, w->company, w->org2, "Clara", NULL, &op, NULL);
	w->op3 = op.id;
	return e;
}

static void seed(void) { cr_assert_eq(W(job_seed, &W0), CH_OK); }

typedef struct call {
	const char *node;
	int64_t lease, op, org, n, grace;
	int away, flag, count;
	ch_presence_row row, seen[16];
} call;

static void collect(void *ctx, const ch_presence_row *r)
{
	call *c = ctx;
	if (c->count < 16)
		c->seen[c->count] = *r;
	c->count++;
}

static ch_err job_register(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_node_register(tx, c->node, c->lease, collect, c);
}
static ch_err job_renew(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_node_renew(tx, c->node, c->lease, &c->flag);
}
static ch_err job_reap(ch_store_tx *tx, void *p) { return ch_store_nodes_reap(tx, collect, p); }
static ch_err job_conn(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_presence_conn(tx, c->node, W0.company, c->org ? c->org : W0.org, c->op, c->n, &c->row, &c->flag);
}
static ch_err job_away(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_presence_set_away(tx, c->op, c->away, &c->row, &c->flag);
}
static ch_err job_touch(ch_store_tx *tx, void *p) { return ch_store_presence_touch(tx, ((call *)p)->op); }
static ch_err job_get(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_presence_get(tx, c->op, &c->row);
}
static ch_err job_online(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_presence_online(tx, c->org ? c->org : W0.org, collect, c);
}
static ch_err job_due(ch_store_tx *tx, void *p)
{
	call *c = p;
	return ch_store_presence_due(tx, c->grace, 50, collect, c);
}

static void reg(const char *node, int64_t lease) { cr_assert_eq(W(job_register, &(call){.node = node, .lease = lease}), CH_OK); }

static call conn(const char *node, int64_t op, int64_t n)
{
	call c = {.node = node, .op = op, .n = n};
	cr_assert_eq(W(job_conn, &c), CH_OK);
	return c;
}

static ch_presence_row get(int64_t op)
{
	call c = {.op = op};
	cr_assert_eq(R(job_get, &c), CH_OK);
	return c.row;
}

static call online(int64_t org)
{
	call c = {.org = org};
	cr_assert_eq(R(job_online, &c), CH_OK);
	return c;
}

static call due(int64_t grace)
{
	call c = {.grace = grace};
	cr_assert_eq(W(job_due, &c), CH_OK);
	return c;
}

/* ---- tests ---------------------------------------------------------------- */

Test(presence, never_connected_is_offline_and_nobody_is_online)
{
	seed();
	ch_presence_row r = get(W0.op1);
	cr_assert_eq(r.state, CH_PRESENCE_ROW_OFFLINE);
	cr_assert_eq(r.connections, 0);
	cr_assert_eq(online(0).count, 0);
	cr_assert_eq(due(0).count, 0, "an operator that never connected has nothing to requeue");
}

Test(presence, connections_across_nodes_make_one_presence)
{
	seed();
	reg("node-a", 60000);
	reg("node-b", 60000);
	call c = conn("node-a", W0.op1, 1);
	cr_assert(c.flag, "offline -> online is a change");
	cr_assert_eq(c.row.state, CH_PRESENCE_ROW_ONLINE);
	cr_assert_eq(c.row.org_id, W0.org);
	cr_assert_eq(c.row.offline_since, 0);
	c = conn("node-b", W0.op1, 2);
	cr_assert_not(c.flag);
	cr_assert_eq(c.row.connections, 3);
	c = conn("node-a", W0.op1, 1); /* absolute: the same count again changes nothing */
	cr_assert_eq(c.row.connections, 3);
	c = conn("node-a", W0.op1, 0);
	cr_assert_eq(c.row.state, CH_PRESENCE_ROW_ONLINE, "still connected on node-b");
	cr_assert_not(c.flag);
	call o = online(0);
	cr_assert_eq(o.count, 1);
	cr_assert_eq(o.seen[0].operator_id, W0.op1);
	c = conn("node-b", W0.op1, 0);
	cr_assert(c.flag);
	cr_assert_eq(c.row.state, CH_PRESENCE_ROW_OFFLINE);
	cr_assert_gt(c.row.offline_since, 0);
	cr_assert_eq(online(0).count, 0);
}

Test(presence, away_is_kept_while_connected_and_forgotten_offline)
{
	seed();
	reg("n1", 60000);
	call a = {.op = W0.op1, .away = 1};
	cr_assert_eq(W(job_away, &a), CH_OK);
	cr_assert_eq(a.row.state, CH_PRESENCE_ROW_OFFLINE, "no connection: stays offline");
	cr_assert_not(a.flag);
	conn("n1", W0.op1, 1);
	conn("n1", W0.op2, 1);
	cr_assert_eq(W(job_away, &a), CH_OK);
	cr_assert(a.flag);
	cr_assert_eq(a.row.state, CH_PRESENCE_ROW_AWAY);
	call o = online(0);
	cr_assert_eq(o.count, 1, "away is not a candidate");
	cr_assert_eq(o.seen[0].operator_id, W0.op2);
	cr_assert_eq(conn("n1", W0.op1, 2).row.state, CH_PRESENCE_ROW_AWAY, "another connection keeps away");
	conn("n1", W0.op1, 0);
	cr_assert_eq(conn("n1", W0.op1, 1).row.state, CH_PRESENCE_ROW_ONLINE, "after offline, away is forgotten");
	a.away = 0;
	cr_assert_eq(W(job_away, &a), CH_OK);
	cr_assert_not(a.flag);
}

Test(presence, online_is_per_organization_and_ordered)
{
	seed();
	reg("n1", 60000);
	conn("n1", W0.op2, 1);
	conn("n1", W0.op1, 1);
	call c = {.node = "n1", .op = W0.op3, .n = 1, .org = W0.org2};
	cr_assert_eq(W(job_conn, &c), CH_OK);
	call o = online(0);
	cr_assert_eq(o.count, 2);
	cr_assert_eq(o.seen[0].operator_id, W0.op1);
	cr_assert_eq(o.seen[1].operator_id, W0.op2);
	o = online(W0.org2);
	cr_assert_eq(o.count, 1);
	cr_assert_eq(o.seen[0].operator_id, W0.op3);
}

Test(presence, touch_moves_the_idle_clock)
{
	seed();
	reg("n1", 60000);
	int64_t first = conn("n1", W0.op1, 1).row.idle_since;
	sleep_ms(5);
	cr_assert_eq(W(job_touch, &(call){.op = W0.op1}), CH_OK);
	cr_assert_gt(get(W0.op1).idle_since, first);
	cr_assert_eq(W(job_touch, &(call){.op = W0.op2}), CH_OK, "no row: nothing to do, no error");
	sleep_ms(5);
	conn("n1", W0.op1, 0);
	int64_t idle = get(W0.op1).idle_since;
	conn("n1", W0.op1, 1);
	cr_assert_eq(get(W0.op1).idle_since, idle, "reconnecting is not activity");
}

Test(presence, an_unregistered_node_publishes_nothing)
{
	seed();
	call c = {.node = "ghost", .op = W0.op1, .n = 1};
	cr_assert_eq(W(job_conn, &c), CH_ERR_NOT_FOUND);
	cr_assert_eq(get(W0.op1).state, CH_PRESENCE_ROW_OFFLINE);
	call r = {.node = "ghost", .lease = 1000};
	cr_assert_eq(W(job_renew, &r), CH_OK);
	cr_assert(r.flag, "renewing a node that is gone says so");
	reg("ghost", 1000);
	r.flag = 0;
	cr_assert_eq(W(job_renew, &r), CH_OK);
	cr_assert_not(r.flag);
}

Test(presence, expired_nodes_stop_counting_and_are_reaped_once)
{
	seed();
	reg("live", 60000);
	reg("dying", 30);
	conn("dying", W0.op1, 1);
	conn("dying", W0.op2, 1);
	conn("live", W0.op2, 1);
	cr_assert_eq(online(0).count, 2);
	sleep_ms(60);
	cr_assert_eq(online(0).count, 1, "a connection on an expired node does not count");
	call r = {0};
	cr_assert_eq(W(job_reap, &r), CH_OK);
	cr_assert_eq(r.count, 1, "op1 became offline; op2 is still on the live node");
	cr_assert_eq(r.seen[0].operator_id, W0.op1);
	cr_assert_eq(r.seen[0].state, CH_PRESENCE_ROW_OFFLINE);
	cr_assert_gt(r.seen[0].offline_since, 0);
	cr_assert_eq(r.seen[0].company_id, W0.company);
	cr_assert_eq(r.seen[0].org_id, W0.org);
	call again = {0};
	cr_assert_eq(W(job_reap, &again), CH_OK);
	cr_assert_eq(again.count, 0);
	call renew = {.node = "dying", .lease = 1000};
	cr_assert_eq(W(job_renew, &renew), CH_OK);
	cr_assert(renew.flag, "the reaped node learns it at its next renewal");
	cr_assert_eq(get(W0.op2).state, CH_PRESENCE_ROW_ONLINE);
}

Test(presence, registering_an_id_again_drops_its_old_connections)
{
	seed();
	reg("same", 60000);
	conn("same", W0.op1, 2);
	call c = {.node = "same", .lease = 60000};
	cr_assert_eq(W(job_register, &c), CH_OK);
	cr_assert_eq(c.count, 1);
	cr_assert_eq(c.seen[0].operator_id, W0.op1);
	cr_assert_eq(get(W0.op1).state, CH_PRESENCE_ROW_OFFLINE);
}

Test(presence, due_reports_each_offline_period_once_after_the_grace)
{
	seed();
	reg("n1", 60000);
	conn("n1", W0.op1, 1);
	cr_assert_eq(due(0).count, 0, "connected: nothing due");
	conn("n1", W0.op1, 0);
	cr_assert_eq(due(60000).count, 0, "within the grace period");
	sleep_ms(5);
	call d = due(1);
	cr_assert_eq(d.count, 1);
	cr_assert_eq(d.seen[0].operator_id, W0.op1);
	cr_assert_eq(d.seen[0].org_id, W0.org);
	cr_assert_eq(d.seen[0].company_id, W0.company);
	cr_assert_eq(due(0).count, 0, "reported once");
	conn("n1", W0.op1, 1);
	conn("n1", W0.op1, 0);
	sleep_ms(5);
	cr_assert_eq(due(1).count, 1, "a new offline period is due again");
	conn("n1", W0.op1, 1);
	conn("n1", W0.op1, 0);
	conn("n1", W0.op1, 1);
	sleep_ms(5);
	cr_assert_eq(due(1).count, 0, "back within the grace period: nothing due");
}
