/* test_store_webhooks.c — the contract of store.h's webhooks (migration 020):
 * creation (the organization must be the company's, at most
 * CH_WEBHOOKS_PER_COMPANY_MAX per company), list, get and delete scoped to
 * the company, and enabling a webhook again. Written only against store.h,
 * so every backend runs it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
