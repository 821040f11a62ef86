/* test_store_cluster.c — the contract of the calls of store.h that exist for
 * several processes on one database: the bus outbox (payload present if and
 * only if its batch committed, bseq without gaps, a replayed batch carrying
 * its bytes once), settings, the lock calls, delivery claims, and two stores
 * appending to one chat at once. Written only against store.h; built for
 * both backends (fixture.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static char g_path[600];
static ch_store *g_store;

static ch_store *open_store(const char *node)
{
	ch_store_opts o = fx_opts(g_path);
	o.node_id = node;
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, NULL), CH_OK);
	return s;
}

static void setup(void)
{
	fx_begin(g_dir, sizeof g_dir, "ch-cluster-test");
	snprintf(g_path, sizeof g_path, "%s/chathub.db", g_dir);
	g_store = open_store("node-a");
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(cluster, .init = setup, .fini = teardown, .timeout = 120);

static int is_pg(void) { return !strcmp(ch_store_backend(g_store), "postgres"); }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a world: company, org, two operators, a client, a chat ------------ */

typedef struct world {
	int64_t company, org, other_org, op, other_op, client, chat;
} world;

static ch_err job_world(ch_store_tx *tx, void *p)
{
	world *w = p;
	ch_operator_row op;
	ch_client_row cl;
	ch_chat_row c;
	ch_err e = ch_store_company_create(tx, "acme", "Acme", "hash", &w->company);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", "00000001-0000-4000-8000-000000000007", &w->org);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", "00000002-0000-4000-8000-000000000007", &w->other_org);
	if (!e && !(e = ch_store_operator_upsert(tx, w->company, w->org, "Olga", NULL, &op, NULL)))
		w->op = op.id;
	if (!e && !(e = ch_store_operator_upsert(tx, w->company, w->other_org, "Max", NULL, &op, NULL)))
		w->other_op = op.id;
	if (!e && !(e = ch_store_client_upsert(tx, w->company, w->org, CH_SOURCE_WIDGET, "sub:v", "V", NULL, NULL, &cl)))
		w->client = cl.id;
	if (!e && !(e = ch_store_chat_create(tx, w->company, w->org, w->client, CH_SOURCE_WIDGET, "", &c)))
		w->chat = c.id;
	return e;
}

static world make_world(void)
{
	world w = {0};
	cr_assert_eq(ch_store_write_sync(g_store, job_world, &w), CH_OK);
	return w;
}

/* ---- the outbox --------------------------------------------------------- */

#define MAX_BATCHES 16
typedef struct sink_log {
	int n;
	uint64_t bseq[MAX_BATCHES];
	char payload[MAX_BATCHES][64];
} sink_log;

static void sink(void *ctx, uint64_t bseq, const void *payload, size_t len)
{
	sink_log *l = ctx;
	cr_assert_lt(l->n, MAX_BATCHES);
	l->bseq[l->n] = bseq;
	snprintf(l->payload[l->n], sizeof l->payload[0], "%.*s", (int)len, (const char *)payload);
	l->n++;
}

/* A job: optionally creates a company, adds its events, then answers err. */
typedef struct ev_job {
	const char *login; /* NULL: writes nothing */
	const char *events;
	ch_err err;
	ch_err got;
} ev_job;

static ch_err job_events(ch_store_tx *tx, void *p)
{
	ev_job *j = p;
	if (j->login) {
		ch_err e = ch_store_company_create(tx, j->login, "Ev", "hash", NULL);
		if (e)
			return e;
	}
	ch_store_tx_add_events(tx, j->events, strlen(j->events));
	return j->err;
}

static void done_events(void *p, ch_err err)
{
	ev_job *j = p;
	j->got = err;
}

typedef struct gate {
	sem_t entered, release;
} gate;

static ch_err job_gate(ch_store_tx *tx, void *p)
{
	gate *g = p;
	sem_post(&g->entered);
	while (sem_wait(&g->release) != 0 && errno == EINTR)
		;
	return CH_OK;
}

static ch_err job_ping(ch_store_tx *tx, void *p) { return ch_store_ping(tx); }

/* Runs the jobs as one batch: a gate holds the writer while they are queued. */
static void one_batch(ev_job *jobs, int n)
{
	gate g;
	sem_init(&g.entered, 0, 0);
	sem_init(&g.release, 0, 0);
	ch_store_write(g_store, job_gate, &g, NULL);
	while (sem_wait(&g.entered) != 0 && errno == EINTR)
		;
	for (int i = 0; i < n; i++)
		ch_store_write(g_store, job_events, &jobs[i], done_events);
	sem_post(&g.release);
	/* write_sync queues behind them: when it returns, their batch is done */
	cr_assert_eq(ch_store_write_sync(g_store, job_ping, NULL), CH_OK);
	sem_destroy(&g.entered);
	sem_destroy(&g.release);
}

typedef struct bus_rows {
	int n;
	uint64_t bseq[MAX_BATCHES];
	char payload[MAX_BATCHES][64];
	char node[MAX_BATCHES][32];
} bus_rows;

static void collect_bus(void *ctx, const char *node_id, uint64_t bseq, const void *payload, size_t len)
{
	bus_rows *r = ctx;
	cr_assert_lt(r->n, MAX_BATCHES);
	snprintf(r->node[r->n], sizeof r->node[0], "%s", node_id);
	r->bseq[r->n] = bseq;
	snprintf(r->payload[r->n], sizeof r->payload[0], "%.*s", (int)len, payload ? (const char *)payload : "");
	r->n++;
}

static ch_err job_bus_read(ch_store_tx *tx, void *p)
{
	return ch_store_bus_log_read(tx, "node-a", 0, 0, 0, collect_bus, p);
}

static ch_err job_bus_heads(ch_store_tx *tx, void *p) { return ch_store_bus_log_heads(tx, collect_bus, p); }

Test(cluster, outbox_holds_the_events_of_committed_jobs_once_with_gap_free_bseq)
{
	sink_log log = {0};
	ch_store_set_batch_sink(g_store, sink, &log);
	ev_job b1[4] = {
	    {.login = "one", .events = "a;"},
	    {.events = "refused;", .err = CH_ERR_CONFLICT}, /* failed, wrote nothing */
	    {.login = "two", .events = "undone;", .err = CH_ERR_NOT_FOUND}, /* wrote, then failed */
	    {.events = "d;"},
	};
	one_batch(b1, 4);
	cr_assert_eq(b1[0].got, CH_OK);
	cr_assert_eq(b1[1].got, CH_ERR_CONFLICT);
	cr_assert_eq(b1[2].got, CH_ERR_NOT_FOUND);
	cr_assert_eq(b1[3].got, CH_OK);
	cr_assert_eq(log.n, 1, "one commit carried payload");
	cr_assert_eq(log.bseq[0], 1);
	cr_assert_str_eq(log.payload[0], "a;d;", "the committed jobs' bytes, once, in job order");
	/* a batch without events reaches no sink and takes no bseq */
	cr_assert_eq(ch_store_write_sync(g_store, job_ping, NULL), CH_OK);
	ev_job b2[2] = {{.events = "e;"}, {.login = "one", .events = "dup;"}};
	one_batch(b2, 2);
	cr_assert_eq(b2[1].got, CH_ERR_CONFLICT);
	cr_assert_eq(log.n, 2);
	cr_assert_eq(log.bseq[1], 2, "no gap");
	cr_assert_str_eq(log.payload[1], "e;");
	bus_rows rows = {0}, heads = {0};
	cr_assert_eq(ch_store_read(g_store, job_bus_read, &rows), CH_OK);
	cr_assert_eq(ch_store_read(g_store, job_bus_heads, &heads), CH_OK);
	if (!is_pg()) { /* SQLite keeps the bytes in memory only */
		cr_assert_eq(rows.n, 0);
		cr_assert_eq(heads.n, 0);
		return;
	}
	cr_assert_eq(rows.n, 2);
	cr_assert_eq(rows.bseq[0], 1);
	cr_assert_str_eq(rows.payload[0], "a;d;");
	cr_assert_eq(rows.bseq[1], 2);
	cr_assert_str_eq(rows.payload[1], "e;");
	cr_assert_eq(heads.n, 1);
	cr_assert_str_eq(heads.node[0], "node-a");
	cr_assert_eq(heads.bseq[0], 2);
}

static ch_err job_trim(ch_store_tx *tx, void *p) { return ch_store_bus_log_trim(tx, *(int64_t *)p, NULL); }

Test(cluster, bus_log_bseq_goes_on_after_reopen_and_trim_removes_old_rows)
{
	sink_log log = {0};
	ev_job j[1] = {{.events = "x;"}};
	one_batch(j, 1);
	ch_store_close(g_store);
	g_store = open_store("node-a");
	ch_store_set_batch_sink(g_store, sink, &log);
	ev_job k[1] = {{.events = "y;"}};
	one_batch(k, 1);
	cr_assert_eq(log.n, 1);
	cr_assert_eq(log.bseq[0], is_pg() ? 2 : 1, "PostgreSQL continues the node's sequence");
	int64_t keep = 3600 * 1000;
	cr_assert_eq(ch_store_write_sync(g_store, job_trim, &keep), CH_OK);
	bus_rows rows = {0};
	cr_assert_eq(ch_store_read(g_store, job_bus_read, &rows), CH_OK);
	cr_assert_eq(rows.n, is_pg() ? 2 : 0, "rows younger than an hour stay");
	keep = -1000; /* everything is older than a second in the future */
	cr_assert_eq(ch_store_write_sync(g_store, job_trim, &keep), CH_OK);
	rows.n = 0;
	cr_assert_eq(ch_store_read(g_store, job_bus_read, &rows), CH_OK);
	cr_assert_eq(rows.n, 0);
}

/* ---- settings ------------------------------------------------------------ */

typedef struct setting_args {
	const char *key, *value;
	char out[128];
	size_t outlen;
} setting_args;

static ch_err job_setting(ch_store_tx *tx, void *p)
{
	setting_args *a = p;
	return ch_store_setting_ensure(tx, a->key, a->value, a->out, a->outlen ? a->outlen : sizeof a->out);
}

Test(cluster, setting_ensure_keeps_the_first_value_for_every_process)
{
	setting_args a = {.key = "jwt_secret", .value = "first"};
	cr_assert_eq(ch_store_write_sync(g_store, job_setting, &a), CH_OK);
	cr_assert_str_eq(a.out, "first");
	ch_store *other = open_store("node-b");
	setting_args b = {.key = "jwt_secret", .value = "second"};
	cr_assert_eq(ch_store_write_sync(other, job_setting, &b), CH_OK);
	cr_assert_str_eq(b.out, "first");
	ch_store_close(other);
	setting_args small = {.key = "jwt_secret", .value = "x", .outlen = 3};
	cr_assert_eq(ch_store_write_sync(g_store, job_setting, &small), CH_ERR_OUT_OF_RANGE);
	setting_args c = {.key = "other", .value = "v"};
	cr_assert_eq(ch_store_write_sync(g_store, job_setting, &c), CH_OK);
	cr_assert_str_eq(c.out, "v");
}

typedef struct setting_get_args {
	const char *key;
	char out[128];
	size_t outlen;
} setting_get_args;

static ch_err job_setting_get(ch_store_tx *tx, void *p)
{
	setting_get_args *a = p;
	return ch_store_setting_get(tx, a->key, a->out, a->outlen ? a->outlen : sizeof a->out);
}

Test(cluster, setting_get_reads_what_ensure_stored)
{
	setting_get_args g = {.key = "absent"};
	cr_assert_eq(ch_store_read(g_store, job_setting_get, &g), CH_ERR_NOT_FOUND);
	setting_args a = {.key = "present", .value = "12345"};
	cr_assert_eq(ch_store_write_sync(g_store, job_setting, &a), CH_OK);
	setting_get_args h = {.key = "present"};
	cr_assert_eq(ch_store_read(g_store, job_setting_get, &h), CH_OK);
	cr_assert_str_eq(h.out, "12345");
	setting_get_args small = {.key = "present", .outlen = 3};
	cr_assert_eq(ch_store_read(g_store, job_setting_get, &small), CH_ERR_OUT_OF_RANGE);
}

/* ---- locks ------------------------------------------------------------------ */

typedef struct lock_args {
	world *w;
	int64_t company, chat, client, operator_id;
	ch_chat_row row, plain;
} lock_args;

static ch_err job_chat_lock(ch_store_tx *tx, void *p)
{
	lock_args *a = p;
	ch_err e = ch_store_chat_lock(tx, a->company, a->chat, &a->row);
	ch_err g = ch_store_chat_get(tx, a->company, a->chat, &a->plain);
	return e != g ? CH_ERR_INTERNAL : e;
}

static ch_err job_client_lock(ch_store_tx *tx, void *p)
{
	lock_args *a = p;
	ch_err e = ch_store_client_lock(tx, a->company, a->client);
	return e ? e : ch_store_routing_lock(tx, a->w->org);
}

static ch_err job_assign(ch_store_tx *tx, void *p)
{
	lock_args *a = p;
	return ch_store_chat_assign_if_queued(tx, a->company, a->chat, a->operator_id, &a->row);
}

Test(cluster, lock_calls_answer_like_the_reads_they_replace)
{
	world w = make_world();
	lock_args a = {.w = &w, .company = w.company, .chat = w.chat, .client = w.client};
	cr_assert_eq(ch_store_write_sync(g_store, job_chat_lock, &a), CH_OK);
	cr_assert_eq(a.row.id, w.chat);
	cr_assert_eq(memcmp(&a.row, &a.plain, sizeof a.row), 0, "the same row as chat_get");
	a.company = w.company + 1000;
	cr_assert_eq(ch_store_write_sync(g_store, job_chat_lock, &a), CH_ERR_NOT_FOUND, "another company's");
	a.company = w.company;
	cr_assert_eq(ch_store_write_sync(g_store, job_client_lock, &a), CH_OK);
	a.company = w.company + 1000;
	cr_assert_eq(ch_store_write_sync(g_store, job_client_lock, &a), CH_ERR_NOT_FOUND);
}

Test(cluster, assign_if_queued_takes_a_queued_chat_once)
{
	world w = make_world();
	lock_args a = {.w = &w, .company = w.company, .chat = w.chat, .operator_id = w.other_op};
	cr_assert_eq(ch_store_write_sync(g_store, job_assign, &a), CH_ERR_NOT_FOUND, "an operator of another org");
	a.chat = w.chat + 1000;
	a.operator_id = w.op;
	cr_assert_eq(ch_store_write_sync(g_store, job_assign, &a), CH_ERR_NOT_FOUND, "a missing chat");
	a.chat = w.chat;
	cr_assert_eq(ch_store_write_sync(g_store, job_assign, &a), CH_OK);
	cr_assert_eq(a.row.status, CH_CHAT_OPEN);
	cr_assert_eq(a.row.operator_id, w.op);
	cr_assert_str_eq(a.row.operator_name, "Olga");
	cr_assert_eq(ch_store_write_sync(g_store, job_assign, &a), CH_ERR_CONFLICT, "no longer queued");
}

/* ---- delivery claims ----------------------------------------------------- */

typedef struct claim_args {
	world *w;
	int64_t now, lease, delivery;
	int n;
	int64_t ids[8];
} claim_args;

static ch_err job_delivery(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	ch_message_new m = {.company_id = a->w->company, .chat_id = a->w->chat, .author = CH_AUTHOR_OPERATOR,
	                    .operator_id = a->w->op, .text = "hi", .status = CH_MSG_SUCCESS};
	ch_message_row *row = malloc(sizeof *row);
	ch_err e = ch_store_message_append(tx, &m, NULL, row, NULL);
	if (!e)
		e = ch_store_delivery_add(tx, a->w->company, a->w->org, row->id, "11111111-2222-4333-8444-555555555555",
		                          &a->delivery);
	free(row);
	return e;
}

static void collect_claim(void *ctx, const ch_delivery_row *row)
{
	claim_args *a = ctx;
	a->ids[a->n++] = row->id;
}

static ch_err job_claim(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	a->n = 0;
	return ch_store_delivery_claim(tx, a->now, 8, a->lease, collect_claim, a);
}

static ch_err job_delivered(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	return ch_store_delivery_update(tx, a->delivery, 0, 1, a->now, "retry", NULL);
}

Test(cluster, a_claimed_delivery_is_not_claimed_again_until_its_lease_ends)
{
	world w = make_world();
	claim_args a = {.w = &w, .lease = 60000};
	cr_assert_eq(ch_store_write_sync(g_store, job_delivery, &a), CH_OK);
	a.now = now_ms() + 1;
	cr_assert_eq(ch_store_write_sync(g_store, job_claim, &a), CH_OK);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(a.ids[0], a.delivery);
	ch_store *other = open_store("node-b");
	cr_assert_eq(ch_store_write_sync(other, job_claim, &a), CH_OK);
	cr_assert_eq(a.n, 0, "leased: not another sender's");
	a.now += 60001;
	cr_assert_eq(ch_store_write_sync(other, job_claim, &a), CH_OK);
	cr_assert_eq(a.n, 1, "the lease ran out");
	ch_store_close(other);
	/* an attempt recorded for later ends the lease; due again at next_attempt_at */
	cr_assert_eq(ch_store_write_sync(g_store, job_delivered, &a), CH_OK);
	cr_assert_eq(ch_store_write_sync(g_store, job_claim, &a), CH_OK);
	cr_assert_eq(a.n, 1);
}

/* ---- two stores (processes) appending to one chat --------------------------- */

#define SENDS 40

typedef struct sender {
	ch_store *s;
	world *w;
	const char *own;
	int failures;
} sender;

typedef struct send_args {
	world *w;
	const char *cmid;
	int64_t seq;
	int dup;
} send_args;

static ch_err job_send(ch_store_tx *tx, void *p)
{
	send_args *a = p;
	ch_chat_row *c = malloc(sizeof *c);
	ch_message_row *m = malloc(sizeof *m);
	ch_err e = ch_store_chat_lock(tx, a->w->company, a->w->chat, c);
	ch_message_new n = {.company_id = a->w->company, .chat_id = a->w->chat, .author = CH_AUTHOR_CLIENT,
	                    .text = a->cmid, .client_message_id = a->cmid, .status = CH_MSG_SUCCESS};
	if (!e)
		e = ch_store_message_append(tx, &n, c, m, &a->dup);
	if (!e)
		a->seq = m->seq;
	free(c);
	free(m);
	return e;
}

static void *send_thread(void *p)
{
	sender *s = p;
	char cmid[32];
	for (int i = 0; i < SENDS; i++) {
		/* this store's own message, then one both stores send (a retry on another process) */
		for (int k = 0; k < 2; k++) {
			if (k)
				snprintf(cmid, sizeof cmid, "both-%d", i);
			else
				snprintf(cmid, sizeof cmid, "%s-%d", s->own, i);
			send_args a = {.w = s->w, .cmid = cmid};
			if (ch_store_write_sync(s->s, job_send, &a) != CH_OK)
				s->failures++;
		}
	}
	return NULL;
}

typedef struct seqs {
	int n;
	int64_t seq[4 * SENDS];
	char cmid[4 * SENDS][32];
} seqs;

static void collect_msg(void *ctx, const ch_message_row *m)
{
	seqs *l = ctx;
	cr_assert_lt(l->n, 4 * SENDS);
	l->seq[l->n] = m->seq;
	snprintf(l->cmid[l->n], sizeof l->cmid[0], "%s", m->client_message_id);
	l->n++;
}

typedef struct list_args {
	world *w;
	seqs *l;
} list_args;

static ch_err job_list(ch_store_tx *tx, void *p)
{
	list_args *a = p;
	return ch_store_message_list(tx, a->w->company, a->w->chat, 0, 0, 0, collect_msg, a->l);
}

Test(cluster, two_stores_append_to_one_chat_without_gaps_or_duplicates)
{
	world w = make_world();
	ch_store *other = open_store("node-b");
	sender a = {.s = g_store, .w = &w, .own = "a"}, b = {.s = other, .w = &w, .own = "b"};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, send_thread, &a);
	pthread_create(&tb, NULL, send_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ch_store_close(other);
	cr_assert_eq(a.failures, 0);
	cr_assert_eq(b.failures, 0);
	seqs *l = calloc(1, sizeof *l);
	list_args la = {.w = &w, .l = l};
	cr_assert_eq(ch_store_read(g_store, job_list, &la), CH_OK);
	cr_assert_eq(l->n, 3 * SENDS, "each store's own messages, and the shared ones once");
	for (int i = 0; i < l->n; i++)
		cr_assert_eq(l->seq[i], i + 1, "seq %d at %d: gap-free and unique", (int)l->seq[i], i);
	for (int i = 0; i < l->n; i++)
		for (int j = i + 1; j < l->n; j++)
			cr_assert_str_neq(l->cmid[i], l->cmid[j], "clientMessageId stored once");
	free(l);
}

/* ---- a lost connection (PostgreSQL restarted) -------------------------------- */

#ifdef CH_TEST_PG
static void end_store_connections(void)
{
	PGconn *c = PQconnectdb(fx_location("chathub.db"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
	                        "WHERE datname = current_database() AND pid <> pg_backend_pid()");
	cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK);
	cr_assert_geq(PQntuples(r), 2, "the writer's and a reader's");
	PQclear(r);
	PQfinish(c);
}

static ch_err job_company(ch_store_tx *tx, void *p)
{
	return ch_store_company_create(tx, p, "After", "hash", NULL);
}

static ch_err job_company_get(ch_store_tx *tx, void *p)
{
	ch_company_row r;
	return ch_store_company_by_login(tx, p, &r);
}

Test(cluster, reads_and_writes_go_on_after_the_server_ended_the_connections)
{
	world w = make_world();
	cr_assert_eq(ch_store_read(g_store, job_company_get, "acme"), CH_OK);
	end_store_connections();
	/* nothing had run on the lost connections: they reconnect and go on */
	cr_assert_eq(ch_store_write_sync(g_store, job_company, "after"), CH_OK);
	cr_assert_eq(ch_store_read(g_store, job_company_get, "after"), CH_OK);
	end_store_connections();
	cr_assert_eq(ch_store_read(g_store, job_company_get, "acme"), CH_OK);
	cr_assert_eq(ch_store_write_sync(g_store, job_company, "again"), CH_OK);
	(void)w;
}
#endif
