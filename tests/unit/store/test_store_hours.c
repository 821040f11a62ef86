/* test_store_hours.c — the contract of store.h's business-hours calls: the
 * schedule text per organization (none by default, another company's
 * organization not found, bounded), the pending drain (the earliest
 * request wins, due and next, cleared only while unchanged, cleared by a new
 * schedule), and the once-per-chat mark of the away auto-reply. Written
 * only against store.h; built for both backends (fixture.h). */
#include <criterion/criterion.h>
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
	fx_begin(g_dir, sizeof g_dir, "ch-hours-test");
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

TestSuite(hours, .init = setup, .fini = teardown, .timeout = 120);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);
static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

typedef struct world {
	const char *login;
	int n;
	int64_t company, org, org2, chat;
} world;

static ch_err job_world(ch_store_tx *tx, void *p)
{
	world *w = p;
	char guid[CH_GUID_LEN + 1];
	ch_client_row cl;
	ch_chat_row c;
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-000000000022", (unsigned)w->n);
	ch_err e = ch_store_company_create(tx, w->login, "Acme", "hash", &w->company);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", guid, &w->org);
	guid[0] = 'a';
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", guid, &w->org2);
	if (!e)
		e = ch_store_client_upsert(tx, w->company, w->org, CH_SOURCE_WIDGET, NULL, "Client", NULL, NULL, &cl);
	if (!e)
		e = ch_store_chat_create(tx, w->company, w->org, cl.id, CH_SOURCE_WIDGET, "t", &c);
	w->chat = c.id;
	return e;
}

static world seed(const char *login, int n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_world, &w), CH_OK);
	return w;
}

typedef struct hargs {
	int64_t company, org, at, now, next;
	const char *config;
	char got[CH_HOURS_CONFIG_MAX];
	int64_t drain_at;
	int64_t due[8][3];
	int n_due, first;
} hargs;

static ch_err job_get(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	return ch_store_hours_get(tx, a->company, a->org, a->got, &a->drain_at);
}
static ch_err job_set(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	return ch_store_hours_set(tx, a->company, a->org, a->config);
}
static ch_err job_drain_at(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	return ch_store_hours_drain_at(tx, a->org, a->at);
}
static ch_err job_drained(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	return ch_store_hours_drained(tx, a->org, a->at);
}
static void add_due(void *ctx, int64_t company_id, int64_t org_id, int64_t drain_at)
{
	hargs *a = ctx;
	if (a->n_due < 8) {
		a->due[a->n_due][0] = company_id;
		a->due[a->n_due][1] = org_id;
		a->due[a->n_due++][2] = drain_at;
	}
}
static ch_err job_due(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	a->n_due = 0;
	return ch_store_hours_due(tx, a->now, 10, add_due, a, &a->next);
}
static ch_err job_replied(ch_store_tx *tx, void *p)
{
	hargs *a = p;
	return ch_store_chat_away_replied(tx, a->company, a->at, &a->first);
}

Test(hours, schedule_per_organization)
{
	world w = seed("hours-a", 1), v = seed("hours-b", 2);
	hargs a = {.company = w.company, .org = w.org};
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_str_eq(a.got, "", "none by default");
	cr_assert_eq(a.drain_at, 0);
	a.config = "{\"enabled\":true}";
	cr_assert_eq(W(job_set, &a), CH_OK);
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_str_eq(a.got, "{\"enabled\":true}");
	a.config = "{\"enabled\":false}";
	cr_assert_eq(W(job_set, &a), CH_OK, "a second write replaces it");
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_str_eq(a.got, "{\"enabled\":false}");
	hargs other = {.company = v.company, .org = w.org, .config = "{}"};
	cr_assert_eq(R(job_get, &other), CH_ERR_NOT_FOUND, "another company's organization");
	cr_assert_eq(W(job_set, &other), CH_ERR_NOT_FOUND);
	hargs sib = {.company = w.company, .org = w.org2};
	cr_assert_eq(R(job_get, &sib), CH_OK);
	cr_assert_str_eq(sib.got, "", "the other organization has none");
	char *big = malloc(CH_HOURS_CONFIG_MAX + 1);
	memset(big, 'x', CH_HOURS_CONFIG_MAX);
	big[CH_HOURS_CONFIG_MAX] = '\0';
	a.config = big;
	cr_assert_eq(W(job_set, &a), CH_ERR_OUT_OF_RANGE);
	free(big);
}

Test(hours, pending_drain)
{
	world w = seed("hours-c", 3);
	hargs a = {.company = w.company, .org = w.org, .at = 5000};
	cr_assert_eq(W(job_drain_at, &a), CH_OK, "no schedule: nothing to do");
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_eq(a.drain_at, 0);
	a.config = "{}";
	cr_assert_eq(W(job_set, &a), CH_OK);
	hargs b = {.company = w.company, .org = w.org2, .config = "{}", .at = 9000};
	cr_assert_eq(W(job_set, &b), CH_OK);
	cr_assert_eq(W(job_drain_at, &b), CH_OK);
	cr_assert_eq(W(job_drain_at, &a), CH_OK);
	a.at = 7000;
	cr_assert_eq(W(job_drain_at, &a), CH_OK, "a later request leaves the earlier");
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_eq(a.drain_at, 5000);
	a.at = 4000;
	cr_assert_eq(W(job_drain_at, &a), CH_OK, "an earlier one wins");
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_eq(a.drain_at, 4000);
	a.now = 3999;
	cr_assert_eq(R(job_due, &a), CH_OK);
	cr_assert_eq(a.n_due, 0);
	cr_assert_eq(a.next, 4000);
	a.now = 4000;
	cr_assert_eq(R(job_due, &a), CH_OK);
	cr_assert_eq(a.n_due, 1);
	cr_assert(a.due[0][0] == w.company && a.due[0][1] == w.org && a.due[0][2] == 4000);
	cr_assert_eq(a.next, 9000);
	a.now = 10000;
	cr_assert_eq(R(job_due, &a), CH_OK);
	cr_assert_eq(a.n_due, 2, "both, by organization");
	cr_assert_eq(a.due[1][1], w.org2);
	cr_assert_eq(a.next, 0);
	a.at = 3000;
	cr_assert_eq(W(job_drained, &a), CH_OK, "another value: left alone");
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_eq(a.drain_at, 4000);
	a.at = 4000;
	cr_assert_eq(W(job_drained, &a), CH_OK);
	cr_assert_eq(R(job_get, &a), CH_OK);
	cr_assert_eq(a.drain_at, 0);
	cr_assert_eq(W(job_set, &b), CH_OK, "a new schedule clears the pending drain");
	cr_assert_eq(R(job_get, &b), CH_OK);
	cr_assert_eq(b.drain_at, 0);
}

Test(hours, away_reply_once_per_chat)
{
	world w = seed("hours-d", 4), v = seed("hours-e", 5);
	hargs a = {.company = w.company, .at = w.chat};
	cr_assert_eq(W(job_replied, &a), CH_OK);
	cr_assert_eq(a.first, 1);
	cr_assert_eq(W(job_replied, &a), CH_OK);
	cr_assert_eq(a.first, 0, "once");
	hargs o = {.company = v.company, .at = w.chat};
	cr_assert_eq(W(job_replied, &o), CH_ERR_NOT_FOUND, "another company's chat");
	hargs m = {.company = v.company, .at = v.chat};
	cr_assert_eq(W(job_replied, &m), CH_OK);
	cr_assert_eq(m.first, 1, "every chat has its own");
}
