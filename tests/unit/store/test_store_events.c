/* test_store_events.c — the contract of store.h's organization events
 * (migration 019), written only against that header so every backend runs it:
 * a write job's events are numbered 1, 2, 3… per organization when its batch
 * commits, in the order they were added; a job that fails takes its events
 * with it; organizations are numbered apart; the log reads back in order,
 * paged, and only for the owning company; two stores (two processes) writing
 * one organization's events at once leave no gap and no duplicate; the trim
 * deletes only the oldest run of old events and says how far it went.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static char g_path[600];
static ch_store *g_store;

static void setup(void)
{
	fx_begin(g_dir, sizeof g_dir, "ch-events-test");
	snprintf(g_path, sizeof g_path, "%s/chathub.db", g_dir);
	ch_store_opts o = fx_opts(g_path);
	cr_assert_eq(ch_store_open(&o, &g_store, NULL), CH_OK);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(events, .init = setup, .fini = teardown, .timeout = 180);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);

static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

typedef struct world {
	const char *login;
	unsigned n;
	int64_t company, org, org2;
} world;

static ch_err job_seed(ch_store_tx *tx, void *p)
{
	world *w = p;
	char guid[CH_GUID_LEN + 1];
	ch_err e = ch_store_company_create(tx, w->login, "Acme", "hash", &w->company);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 1u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", guid, &w->org);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 2u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", guid, &w->org2);
	return e;
}

static world seed(const char *login, unsigned n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_seed, &w), CH_OK);
	return w;
}

/* A job adding events: org[i] gets an event of type "test.event" whose chat
 * id is tag + i (so the order can be told), at the given time; fail: the job
 * then returns CH_ERR_CONFLICT after adding them. */
typedef struct add_args {
	int64_t company;
	int64_t orgs[16];
	size_t n;
	int64_t tag, at;
	int fail;
} add_args;

static ch_err job_add(ch_store_tx *tx, void *p)
{
	add_args *a = p;
	for (size_t i = 0; i < a->n; i++) {
		ch_org_event_new ev = {.company_id = a->company, .organization_id = a->orgs[i], .chat_id = a->tag + (int64_t)i,
		                       .message_id = 7, .client_id = 9, .at = a->at ? a->at : 1000, .type = "test.event",
		                       .data = "{\"k\":1}"};
		ch_store_tx_add_org_event(tx, &ev);
	}
	return a->fail ? CH_ERR_CONFLICT : CH_OK;
}

typedef struct list_args {
	int64_t company, org, after, limit;
	ch_org_event_row rows[600];
	size_t n;
	int64_t last, trimmed;
	ch_err head_err;
} list_args;

static void collect(void *ctx, const ch_org_event_row *r)
{
	list_args *a = ctx;
	cr_assert_lt(a->n, 600);
	a->rows[a->n++] = *r;
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	list_args *a = p;
	a->n = 0;
	a->head_err = ch_store_event_head(tx, a->company, a->org, &a->last, &a->trimmed);
	return ch_store_event_list(tx, a->company, a->org, a->after, a->limit ? a->limit : 600, collect, a);
}

static list_args *list(int64_t company, int64_t org, int64_t after, int64_t limit)
{
	list_args *a = calloc(1, sizeof *a);
	a->company = company;
	a->org = org;
	a->after = after;
	a->limit = limit;
	cr_assert_eq(R(job_list, a), CH_OK);
	return a;
}

static void assert_gap_free(const list_args *a, int64_t from)
{
	for (size_t i = 0; i < a->n; i++)
		cr_assert_eq(a->rows[i].seq, from + (int64_t)i, "seq %zu: %lld", i, (long long)a->rows[i].seq);
}

Test(events, numbered_per_organization_in_order_with_the_batch)
{
	world w = seed("a", 1);
	add_args a = {.company = w.company, .orgs = {w.org, w.org2, w.org, w.org}, .n = 4, .tag = 100};
	cr_assert_eq(W(job_add, &a), CH_OK);
	list_args *l = list(w.company, w.org, 0, 0);
	cr_assert_eq(l->n, 3);
	assert_gap_free(l, 1);
	cr_assert_eq(l->last, 3);
	cr_assert_eq(l->trimmed, 0);
	cr_assert_eq(l->rows[0].chat_id, 100);
	cr_assert_eq(l->rows[1].chat_id, 102);
	cr_assert_eq(l->rows[2].chat_id, 103);
	cr_assert_str_eq(l->rows[0].type, "test.event");
	cr_assert_str_eq(l->rows[0].data, "{\"k\":1}");
	cr_assert_eq(l->rows[0].message_id, 7);
	cr_assert_eq(l->rows[0].client_id, 9);
	cr_assert_eq(l->rows[0].at, 1000);
	cr_assert_eq(l->rows[0].company_id, w.company);
	cr_assert_eq(l->rows[0].organization_id, w.org);
	free(l);
	l = list(w.company, w.org2, 0, 0);
	cr_assert_eq(l->n, 1);
	cr_assert_eq(l->rows[0].seq, 1, "each organization numbers its own");
	cr_assert_eq(l->rows[0].chat_id, 101);
	free(l);
	/* paging */
	add_args b = {.company = w.company, .orgs = {w.org, w.org, w.org}, .n = 3, .tag = 200};
	cr_assert_eq(W(job_add, &b), CH_OK);
	l = list(w.company, w.org, 2, 2);
	cr_assert_eq(l->n, 2);
	assert_gap_free(l, 3);
	cr_assert_eq(l->rows[0].chat_id, 103);
	cr_assert_eq(l->rows[1].chat_id, 200);
	cr_assert_eq(l->last, 6);
	free(l);
}

/* Several jobs of one batch (queued together), one of which fails. */
typedef struct async_state {
	int done;
	ch_err errs[32];
} async_state;

static async_state g_async;

static void on_done(void *arg, ch_err err)
{
	add_args *a = arg;
	g_async.errs[a->tag / 1000] = err;
	__atomic_add_fetch(&g_async.done, 1, __ATOMIC_SEQ_CST);
}

Test(events, a_failed_job_takes_its_events_with_it)
{
	world w = seed("a", 1);
	add_args jobs[20];
	memset(&g_async, 0, sizeof g_async);
	ch_store_defer_wakeups(); /* one batch, as the network thread queues a loop turn's writes */
	for (int i = 0; i < 20; i++) {
		jobs[i] = (add_args){.company = w.company, .orgs = {w.org, w.org2}, .n = 2, .tag = i * 1000,
		                     .fail = i % 3 == 1};
		ch_store_write(g_store, job_add, &jobs[i], on_done);
	}
	ch_store_flush_wakeups();
	while (__atomic_load_n(&g_async.done, __ATOMIC_SEQ_CST) < 20)
		usleep(1000);
	int ok = 0;
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(g_async.errs[i], i % 3 == 1 ? CH_ERR_CONFLICT : CH_OK, "job %d", i);
		ok += i % 3 != 1;
	}
	for (int o = 0; o < 2; o++) {
		list_args *l = list(w.company, o ? w.org2 : w.org, 0, 0);
		cr_assert_eq(l->n, (size_t)ok, "only the jobs that committed");
		assert_gap_free(l, 1);
		int64_t prev = -1;
		for (size_t i = 0; i < l->n; i++) {
			int64_t job = l->rows[i].chat_id / 1000;
			cr_assert_neq(job % 3, 1, "a failed job's event");
			cr_assert_gt(job, prev, "in the order the jobs ran");
			prev = job;
		}
		free(l);
	}
}

Test(events, only_the_owning_company_reads_them)
{
	world a = seed("a", 1), b = seed("b", 2);
	add_args x = {.company = a.company, .orgs = {a.org}, .n = 1, .tag = 1};
	cr_assert_eq(W(job_add, &x), CH_OK);
	list_args *l = list(b.company, a.org, 0, 0);
	cr_assert_eq(l->n, 0);
	cr_assert_eq(l->head_err, CH_ERR_NOT_FOUND);
	free(l);
	l = list(b.company, b.org, 0, 0);
	cr_assert_eq(l->head_err, CH_OK);
	cr_assert_eq(l->last, 0, "an organization without events");
	cr_assert_eq(l->n, 0);
	free(l);
}

/* ---- two stores (two processes) on one organization ----------------------- */

typedef struct writer {
	ch_store *s;
	int64_t company, org, base;
	ch_err e;
} writer;

static void *write_many(void *p)
{
	writer *wr = p;
	for (int i = 0; i < 40 && !wr->e; i++) {
		add_args a = {.company = wr->company, .orgs = {wr->org, wr->org}, .n = 2, .tag = wr->base + i * 2};
		wr->e = ch_store_write_sync(wr->s, job_add, &a);
	}
	return NULL;
}

Test(events, two_stores_number_one_organization_without_gaps)
{
	world w = seed("a", 1);
	ch_store *other;
	ch_store_opts o = fx_opts(g_path);
	cr_assert_eq(ch_store_open(&o, &other, NULL), CH_OK);
	writer w1 = {.s = g_store, .company = w.company, .org = w.org, .base = 100000};
	writer w2 = {.s = other, .company = w.company, .org = w.org, .base = 200000};
	pthread_t t1, t2;
	pthread_create(&t1, NULL, write_many, &w1);
	pthread_create(&t2, NULL, write_many, &w2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ch_store_close(other);
	cr_assert_eq(w1.e, CH_OK);
	cr_assert_eq(w2.e, CH_OK);
	list_args *l = list(w.company, w.org, 0, 0);
	cr_assert_eq(l->n, 160);
	assert_gap_free(l, 1);
	/* each writer's events in its own order, each exactly once */
	int64_t prev1 = 0, prev2 = 0;
	for (size_t i = 0; i < l->n; i++) {
		int64_t t = l->rows[i].chat_id;
		int64_t *prev = t >= 200000 ? &prev2 : &prev1;
		cr_assert_gt(t, *prev, "seq %lld", (long long)l->rows[i].seq);
		*prev = t;
	}
	free(l);
}

/* ---- retention ------------------------------------------------------------- */

typedef struct trim_args {
	int64_t older_than, limit, deleted;
} trim_args;

static ch_err job_trim(ch_store_tx *tx, void *p)
{
	trim_args *a = p;
	return ch_store_event_trim(tx, a->older_than, a->limit, &a->deleted);
}

Test(events, the_trim_deletes_the_oldest_run_and_says_how_far)
{
	world w = seed("a", 1);
	/* org: 5 at t=1000, 1 at t=5000, 2 at t=1000 (an old one after a new one stays) */
	add_args a = {.company = w.company, .orgs = {w.org, w.org, w.org, w.org, w.org}, .n = 5, .at = 1000, .tag = 10};
	add_args b = {.company = w.company, .orgs = {w.org}, .n = 1, .at = 5000, .tag = 20};
	add_args c = {.company = w.company, .orgs = {w.org, w.org, w.org2}, .n = 3, .at = 1000, .tag = 30};
	cr_assert_eq(W(job_add, &a), CH_OK);
	cr_assert_eq(W(job_add, &b), CH_OK);
	cr_assert_eq(W(job_add, &c), CH_OK);
	trim_args t = {.older_than = 2000, .limit = 3};
	cr_assert_eq(W(job_trim, &t), CH_OK);
	cr_assert_eq(t.deleted, 3, "at most the limit");
	list_args *l = list(w.company, w.org, 0, 0);
	cr_assert_eq(l->trimmed, 3);
	cr_assert_eq(l->rows[0].seq, 4);
	free(l);
	t = (trim_args){.older_than = 2000, .limit = 100};
	cr_assert_eq(W(job_trim, &t), CH_OK);
	cr_assert_eq(t.deleted, 3, "org: seq 4 and 5; org2: its one");
	l = list(w.company, w.org, 0, 0);
	cr_assert_eq(l->trimmed, 5);
	cr_assert_eq(l->last, 8);
	cr_assert_eq(l->n, 3);
	assert_gap_free(l, 6);
	free(l);
	l = list(w.company, w.org2, 0, 0);
	cr_assert_eq(l->trimmed, 1);
	cr_assert_eq(l->n, 0);
	free(l);
	t = (trim_args){.older_than = 2000, .limit = 100};
	cr_assert_eq(W(job_trim, &t), CH_OK);
	cr_assert_eq(t.deleted, 0, "nothing more: the next is newer");
	/* numbering goes on after a trim */
	add_args d = {.company = w.company, .orgs = {w.org2}, .n = 1, .tag = 40};
	cr_assert_eq(W(job_add, &d), CH_OK);
	l = list(w.company, w.org2, 0, 0);
	cr_assert_eq(l->rows[0].seq, 2);
	free(l);
}
