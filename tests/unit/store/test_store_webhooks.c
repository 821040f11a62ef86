/* test_store_webhooks.c — the contract of store.h's webhooks (migration 020):
 * creation (the organization must be the company's, at most
 * CH_WEBHOOKS_PER_COMPANY_MAX per company), list, get and delete scoped to
 * the company, and enabling a webhook again. Written only against store.h,
 * so every backend runs it.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/store.h"
#include "fixture.h"

static char g_dir[512], g_path[600];
static ch_store *g_store;

static void setup(void)
{
	int applied;
	fx_begin(g_dir, sizeof g_dir, "ch-webhooks-test");
	snprintf(g_path, sizeof g_path, "%s/chathub.db", g_dir);
	ch_store_opts o = fx_opts(g_path);
	cr_assert_eq(ch_store_open(&o, &g_store, &applied), CH_OK);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(webhooks, .init = setup, .fini = teardown, .timeout = 120);

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

typedef struct org_args {
	int64_t company;
	unsigned n;
	int64_t *id;
} org_args;

static ch_err job_org(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	char guid[CH_GUID_LEN + 1];
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", a->n, 3u);
	return ch_store_org_create(tx, a->company, "Later", guid, a->id);
}

static world seed(const char *login, unsigned n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_seed, &w), CH_OK);
	return w;
}

#define MAXN 32

typedef struct args {
	int64_t company, id;
	ch_webhook_row in, row;
	ch_webhook_row rows[MAXN];
	size_t got;
} args;

static ch_err job_create(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_webhook_create(tx, &a->in, &a->row);
}

static ch_err create(int64_t company, int64_t org, const char *url, const char *events, ch_webhook_row *out)
{
	args *a = calloc(1, sizeof *a);
	a->in.company_id = company;
	a->in.organization_id = org;
	snprintf(a->in.url, sizeof a->in.url, "%s", url);
	snprintf(a->in.events, sizeof a->in.events, "%s", events);
	snprintf(a->in.secret, sizeof a->in.secret, "whsec_%lld", (long long)company);
	ch_err e = W(job_create, a);
	if (out)
		*out = a->row;
	free(a);
	return e;
}

static void collect(void *ctx, const ch_webhook_row *r)
{
	args *a = ctx;
	cr_assert_lt(a->got, MAXN);
	a->rows[a->got++] = *r;
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	args *a = p;
	a->got = 0;
	return ch_store_webhook_list(tx, a->company, collect, a);
}

static ch_err job_get(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_webhook_get(tx, a->company, a->id, &a->row);
}

static ch_err job_delete(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_webhook_delete(tx, a->company, a->id);
}

static ch_err job_enable(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_webhook_enable(tx, a->company, a->id, &a->row);
}

Test(webhooks, create_get_list_delete)
{
	world w = seed("acme", 1);
	ch_webhook_row r, r2;
	cr_assert_eq(create(w.company, 0, "https://example.com/hook", "", &r), CH_OK);
	cr_assert_gt(r.id, 0);
	cr_assert_eq(r.organization_id, 0);
	cr_assert_eq(r.status, CH_WEBHOOK_ACTIVE);
	cr_assert_gt(r.created_at, 0);
	cr_assert_eq(create(w.company, w.org2, "http://example.com/2", "chat.created,message.created", &r2), CH_OK);
	cr_assert_gt(r2.id, r.id);

	args *a = calloc(1, sizeof *a);
	a->company = w.company;
	a->id = r2.id;
	cr_assert_eq(R(job_get, a), CH_OK);
	cr_assert_eq(a->row.organization_id, w.org2);
	cr_assert_str_eq(a->row.url, "http://example.com/2");
	cr_assert_str_eq(a->row.events, "chat.created,message.created");
	cr_assert_str_eq(a->row.secret, r2.secret);
	cr_assert_eq(a->row.created_at, r2.created_at);
	cr_assert_eq(R(job_list, a), CH_OK);
	cr_assert_eq(a->got, 2);
	cr_assert_eq(a->rows[0].id, r.id);
	cr_assert_eq(a->rows[1].id, r2.id);

	cr_assert_eq(W(job_delete, a), CH_OK);
	cr_assert_eq(R(job_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(W(job_delete, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(R(job_list, a), CH_OK);
	cr_assert_eq(a->got, 1);
	free(a);
}

Test(webhooks, scoped_to_the_company)
{
	world w = seed("acme", 1), v = seed("other", 2);
	ch_webhook_row r;
	cr_assert_eq(create(w.company, 0, "https://example.com/a", "", &r), CH_OK);
	/* another company's organization */
	cr_assert_eq(create(w.company, v.org, "https://example.com/b", "", NULL), CH_ERR_NOT_FOUND);
	args *a = calloc(1, sizeof *a);
	a->company = v.company;
	a->id = r.id;
	cr_assert_eq(R(job_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(W(job_delete, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(W(job_enable, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(R(job_list, a), CH_OK);
	cr_assert_eq(a->got, 0);
	a->company = w.company;
	cr_assert_eq(R(job_get, a), CH_OK);
	free(a);
}

Test(webhooks, at_most_per_company)
{
	world w = seed("acme", 1), v = seed("other", 2);
	for (int i = 0; i < CH_WEBHOOKS_PER_COMPANY_MAX; i++)
		cr_assert_eq(create(w.company, i % 2 ? w.org : 0, "https://example.com/x", "", NULL), CH_OK);
	cr_assert_eq(create(w.company, 0, "https://example.com/x", "", NULL), CH_ERR_CONFLICT);
	cr_assert_eq(create(v.company, 0, "https://example.com/x", "", NULL), CH_OK); /* its own budget */
	args *a = calloc(1, sizeof *a);
	a->company = w.company;
	cr_assert_eq(R(job_list, a), CH_OK);
	a->id = a->rows[3].id;
	cr_assert_eq(W(job_delete, a), CH_OK);
	free(a);
	cr_assert_eq(create(w.company, 0, "https://example.com/x", "", NULL), CH_OK);
}

Test(webhooks, enable)
{
	world w = seed("acme", 1);
	ch_webhook_row r;
	cr_assert_eq(create(w.company, w.org, "https://example.com/a", "", &r), CH_OK);
	args *a = calloc(1, sizeof *a);
	a->company = w.company;
	a->id = r.id;
	cr_assert_eq(W(job_enable, a), CH_OK);
	cr_assert_eq(a->row.id, r.id);
	cr_assert_eq(a->row.status, CH_WEBHOOK_ACTIVE);
	cr_assert_eq(a->row.failing_since, 0);
	cr_assert_str_eq(a->row.last_error, "");
	a->id = r.id + 1000;
	cr_assert_eq(W(job_enable, a), CH_ERR_NOT_FOUND);
	free(a);
}

/* ---- delivery cursors --------------------------------------------------------- */

typedef struct ev_args {
	int64_t company, org;
	int n;
} ev_args;

static ch_err job_events(ch_store_tx *tx, void *p)
{
	ev_args *a = p;
	for (int i = 0; i < a->n; i++) {
		ch_org_event_new ev = {.company_id = a->company, .organization_id = a->org, .at = 1000,
		                       .type = "chat.created"};
		ch_store_tx_add_org_event(tx, &ev);
	}
	return CH_OK;
}

static void add_events(int64_t company, int64_t org, int n)
{
	ev_args a = {.company = company, .org = org, .n = n};
	cr_assert_eq(W(job_events, &a), CH_OK);
}

typedef struct claim_args {
	int64_t now, limit, lease, company, id;
	ch_webhook_cursor_row rows[MAXN];
	size_t n;
	ch_webhook_attempt at;
	int64_t count;
} claim_args;

static void collect_cursor(void *ctx, const ch_webhook_cursor_row *r)
{
	claim_args *a = ctx;
	cr_assert_lt(a->n, MAXN);
	a->rows[a->n++] = *r;
}

static ch_err job_claim(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	a->n = 0;
	return ch_store_webhook_cursor_claim(tx, a->now, a->limit, a->lease, collect_cursor, a);
}

static ch_err job_update(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	return ch_store_webhook_cursor_update(tx, &a->at);
}

static ch_err job_cursors(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	a->n = 0;
	return ch_store_webhook_cursors(tx, a->company, a->id, collect_cursor, a);
}

static ch_err job_failing(ch_store_tx *tx, void *p)
{
	claim_args *a = p;
	return ch_store_webhook_failing_count(tx, &a->count);
}

static size_t claim(claim_args *a, int64_t now)
{
	a->now = now;
	a->limit = a->limit ? a->limit : 10;
	a->lease = 30000;
	cr_assert_eq(W(job_claim, a), CH_OK);
	return a->n;
}

Test(webhooks, cursors_start_at_creation_and_follow_new_organizations)
{
	world w = seed("acme", 1);
	add_events(w.company, w.org, 3);
	ch_webhook_row all, one;
	cr_assert_eq(create(w.company, 0, "https://example.com/all", "", &all), CH_OK);
	cr_assert_eq(create(w.company, w.org, "https://example.com/one", "", &one), CH_OK);
	claim_args *a = calloc(1, sizeof *a);
	a->company = w.company;
	a->id = all.id;
	cr_assert_eq(R(job_cursors, a), CH_OK);
	cr_assert_eq(a->n, 2, "one cursor per organization");
	cr_assert_eq(a->rows[0].organization_id, w.org);
	cr_assert_eq(a->rows[0].last_seq, 3, "from the organization's latest event on");
	cr_assert_eq(a->rows[1].organization_id, w.org2);
	cr_assert_eq(a->rows[1].last_seq, 0);
	a->id = one.id;
	cr_assert_eq(R(job_cursors, a), CH_OK);
	cr_assert_eq(a->n, 1);
	cr_assert_eq(a->rows[0].organization_id, w.org);
	cr_assert_eq(claim(a, ch_now_ms()), 0, "nothing new");

	/* an organization created later: a cursor at 0 in the webhook of all organizations */
	int64_t org3 = 0;
	cr_assert_eq(W(job_org, &(org_args){.company = w.company, .n = 9, .id = &org3}), CH_OK);
	a->id = all.id;
	cr_assert_eq(R(job_cursors, a), CH_OK);
	cr_assert_eq(a->n, 3);
	cr_assert_eq(a->rows[2].organization_id, org3);
	cr_assert_eq(a->rows[2].last_seq, 0);
	a->id = one.id;
	cr_assert_eq(R(job_cursors, a), CH_OK);
	cr_assert_eq(a->n, 1);

	/* another company's webhook: 404 */
	world v = seed("other", 2);
	a->company = v.company;
	cr_assert_eq(R(job_cursors, a), CH_ERR_NOT_FOUND);
	free(a);
}

Test(webhooks, claim_lease_and_update)
{
	world w = seed("acme", 1);
	ch_webhook_row r;
	cr_assert_eq(create(w.company, w.org, "https://example.com/one", "chat.created", &r), CH_OK);
	add_events(w.company, w.org, 2);
	add_events(w.company, w.org2, 1); /* not its organization */
	claim_args *a = calloc(1, sizeof *a);
	int64_t now = ch_now_ms();
	cr_assert_eq(claim(a, now), 1);
	ch_webhook_cursor_row c = a->rows[0];
	cr_assert_eq(c.hook.id, r.id);
	cr_assert_str_eq(c.hook.secret, r.secret);
	cr_assert_str_eq(c.hook.url, r.url);
	cr_assert_str_eq(c.hook.events, "chat.created");
	cr_assert_eq(c.organization_id, w.org);
	cr_assert_eq(c.last_seq, 0);
	cr_assert_eq(c.lease_until, now + 30000);
	cr_assert_eq(claim(a, now + 1), 0, "leased: no second claim");

	/* a failed attempt: the cursor stays, retried later, the error recorded */
	a->at = (ch_webhook_attempt){.webhook_id = r.id, .organization_id = w.org, .lease_until = c.lease_until,
	                             .last_seq = 0, .attempts = 1, .first_failure_at = now, .next_attempt_at = now + 1000,
	                             .error = "HTTP 500", .now_ms = now};
	cr_assert_eq(W(job_update, a), CH_OK);
	cr_assert_eq(W(job_update, a), CH_ERR_CONFLICT, "the lease is over");
	cr_assert_eq(claim(a, now + 999), 0, "not due yet");
	cr_assert_eq(claim(a, now + 1000), 1);
	c = a->rows[0];
	cr_assert_eq(c.attempts, 1);
	cr_assert_eq(c.first_failure_at, now);
	args *g = calloc(1, sizeof *g);
	g->company = w.company;
	g->id = r.id;
	cr_assert_eq(R(job_get, g), CH_OK);
	cr_assert_str_eq(g->row.last_error, "HTTP 500");
	cr_assert_eq(g->row.last_success_at, 0);

	/* a stale lease cannot move the cursor */
	a->at = (ch_webhook_attempt){.webhook_id = r.id, .organization_id = w.org, .lease_until = c.lease_until - 1,
	                             .last_seq = 2, .now_ms = now};
	cr_assert_eq(W(job_update, a), CH_ERR_CONFLICT);
	/* delivered: the cursor moves, the error clears */
	a->at.lease_until = c.lease_until;
	a->at.last_seq = 1;
	a->at.delivered = 1;
	a->at.now_ms = now + 1000;
	cr_assert_eq(W(job_update, a), CH_OK);
	cr_assert_eq(R(job_get, g), CH_OK);
	cr_assert_str_eq(g->row.last_error, "");
	cr_assert_eq(g->row.last_success_at, now + 1000);
	cr_assert_eq(claim(a, now + 1000), 1, "one more event");
	cr_assert_eq(a->rows[0].last_seq, 1);
	cr_assert_eq(a->rows[0].attempts, 0);
	a->at = (ch_webhook_attempt){.webhook_id = r.id, .organization_id = w.org, .lease_until = a->rows[0].lease_until,
	                             .last_seq = 2, .delivered = 1, .now_ms = now + 1000};
	cr_assert_eq(W(job_update, a), CH_OK);
	cr_assert_eq(claim(a, now + 100000), 0, "caught up");
	add_events(w.company, w.org, 1);
	cr_assert_eq(claim(a, now + 100000), 1, "a new event");
	free(g);
	free(a);
}

Test(webhooks, failing_stops_claims_until_enabled)
{
	world w = seed("acme", 1);
	ch_webhook_row r;
	cr_assert_eq(create(w.company, 0, "https://example.com/one", "", &r), CH_OK);
	add_events(w.company, w.org, 1);
	claim_args *a = calloc(1, sizeof *a);
	cr_assert_eq(R(job_failing, a), CH_OK);
	cr_assert_eq(a->count, 0);
	int64_t now = ch_now_ms();
	cr_assert_eq(claim(a, now), 1);
	a->at = (ch_webhook_attempt){.webhook_id = r.id, .organization_id = w.org, .lease_until = a->rows[0].lease_until,
	                             .attempts = 9, .first_failure_at = now - 86400000, .next_attempt_at = now,
	                             .error = "connection refused", .failing = 1, .now_ms = now};
	cr_assert_eq(W(job_update, a), CH_OK);
	cr_assert_eq(R(job_failing, a), CH_OK);
	cr_assert_eq(a->count, 1);
	cr_assert_eq(claim(a, now + 600000), 0, "a failing webhook is not tried");
	args *g = calloc(1, sizeof *g);
	g->company = w.company;
	g->id = r.id;
	cr_assert_eq(R(job_get, g), CH_OK);
	cr_assert_eq(g->row.status, CH_WEBHOOK_FAILING);
	cr_assert_eq(g->row.failing_since, now);
	cr_assert_str_eq(g->row.last_error, "connection refused");
	cr_assert_eq(W(job_enable, g), CH_OK);
	cr_assert_eq(g->row.status, CH_WEBHOOK_ACTIVE);
	cr_assert_eq(g->row.failing_since, 0);
	cr_assert_eq(R(job_failing, a), CH_OK);
	cr_assert_eq(a->count, 0);
	cr_assert_eq(claim(a, now), 1, "due at once, from its cursor");
	cr_assert_eq(a->rows[0].last_seq, 0);
	cr_assert_eq(a->rows[0].attempts, 0);
	cr_assert_eq(a->rows[0].first_failure_at, 0);
	free(g);
	free(a);
}

typedef struct hammer {
	ch_store *s;
	int64_t now;
	size_t got;
} hammer;

static void count_cursor(void *ctx, const ch_webhook_cursor_row *r)
{
	(void)r;
	((hammer *)ctx)->got++;
}

static ch_err job_claim_count(ch_store_tx *tx, void *p)
{
	hammer *h = p;
	return ch_store_webhook_cursor_claim(tx, h->now, 50, 30000, count_cursor, h);
}

static void *claimer(void *p)
{
	hammer *h = p;
	cr_assert_eq(ch_store_write_sync(h->s, job_claim_count, h), CH_OK);
	return NULL;
}

/* Two stores on one database (two processes on PostgreSQL): every due cursor
 * is claimed once. */
Test(webhooks, two_claimers_share_nothing)
{
	world w = seed("acme", 1);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(create(w.company, 0, "https://example.com/x", "", NULL), CH_OK);
	add_events(w.company, w.org, 1);
	add_events(w.company, w.org2, 1);
	ch_store *s2 = NULL;
	int applied;
	ch_store_opts o = fx_opts(g_path);
	cr_assert_eq(ch_store_open(&o, &s2, &applied), CH_OK);
	hammer h1 = {.s = g_store, .now = ch_now_ms()}, h2 = {.s = s2, .now = h1.now};
	pthread_t t1, t2;
	pthread_create(&t1, NULL, claimer, &h1);
	pthread_create(&t2, NULL, claimer, &h2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	cr_assert_eq(h1.got + h2.got, 20, "%zu + %zu", h1.got, h2.got);
	ch_store_close(s2);
}

/* An organization and a webhook of all organizations created at once by two
 * stores (two processes): whichever commits second sees the other, so every
 * (webhook, organization) pair has its cursor. */
typedef struct racer {
	ch_store *s;
	int64_t company;
	unsigned n;
	int64_t id;
	int webhook;
	ch_err e;
} racer;

static ch_err job_race(ch_store_tx *tx, void *p)
{
	racer *r = p;
	if (!r->webhook) {
		org_args a = {.company = r->company, .n = r->n, .id = &r->id};
		return job_org(tx, &a);
	}
	ch_webhook_row in = {.company_id = r->company}, out;
	snprintf(in.url, sizeof in.url, "https://example.com/race/%u", r->n);
	snprintf(in.secret, sizeof in.secret, "whsec_race");
	ch_err e = ch_store_webhook_create(tx, &in, &out);
	r->id = out.id;
	return e;
}

static void *race(void *p)
{
	racer *r = p;
	r->e = ch_store_write_sync(r->s, job_race, r);
	return NULL;
}

Test(webhooks, an_organization_and_a_webhook_created_at_once_meet)
{
	world w = seed("acme", 1);
	ch_store *s2 = NULL;
	ch_store_opts o = fx_opts(g_path);
	cr_assert_eq(ch_store_open(&o, &s2, NULL), CH_OK);
	claim_args *a = calloc(1, sizeof *a);
	a->company = w.company;
	for (unsigned i = 0; i < 8; i++) {
		racer org = {.s = i % 2 ? g_store : s2, .company = w.company, .n = 100 + i};
		racer hook = {.s = i % 2 ? s2 : g_store, .company = w.company, .n = 100 + i, .webhook = 1};
		pthread_t t1, t2;
		pthread_create(&t1, NULL, race, &org);
		pthread_create(&t2, NULL, race, &hook);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		cr_assert_eq(org.e, CH_OK);
		cr_assert_eq(hook.e, CH_OK);
		a->id = hook.id;
		cr_assert_eq(R(job_cursors, a), CH_OK);
		int found = 0;
		for (size_t k = 0; k < a->n; k++)
			found |= a->rows[k].organization_id == org.id;
		cr_assert(found, "round %u: the new organization has a cursor in the new webhook", i);
	}
	free(a);
	ch_store_close(s2);
}
