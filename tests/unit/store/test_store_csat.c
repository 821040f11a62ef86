/* test_store_csat.c — the contract of store.h's CSAT calls: an
 * organization's csat_enabled (on by default), and a rating of a chat: only
 * while it is Closed, once per close (a chat reopened and closed again may be
 * rated again, replacing the rating), bounds, another company's chat, and
 * every chat row carrying the rating (get, list). Written only against
 * store.h; built for both backends (fixture.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static char g_path[600];
static ch_store *g_store;

static ch_store *open_store(void)
{
	ch_store_opts o = fx_opts(g_path);
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, NULL), CH_OK);
	return s;
}

static void setup(void)
{
	fx_begin(g_dir, sizeof g_dir, "ch-csat-test");
	snprintf(g_path, sizeof g_path, "%s/chathub.db", g_dir);
	g_store = open_store();
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(csat, .init = setup, .fini = teardown, .timeout = 120);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);
static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns once the millisecond clock has moved past the current one. */
static int64_t tick(void)
{
	int64_t t = now_ms();
	while (now_ms() <= t)
		;
	return now_ms();
}

/* ---- a company: an organization, an operator ------------------------------ */

typedef struct world {
	const char *login;
	int n;
	int64_t company, org, op, op2;
} world;

static ch_err job_world(ch_store_tx *tx, void *p)
{
	world *w = p;
	char guid[CH_GUID_LEN + 1];
	ch_operator_row op;
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-000000000021", (unsigned)w->n);
	ch_err e = ch_store_company_create(tx, w->login, "Acme", "hash", &w->company);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", guid, &w->org);
	if (!e && !(e = ch_store_operator_upsert(tx, w->company, w->org, "Olga", NULL, &op, NULL)))
		w->op = op.id;
	if (!e && !(e = ch_store_operator_upsert(tx, w->company, w->org, "Pavel", NULL, &op, NULL)))
		w->op2 = op.id;
	return e;
}

static world seed(const char *login, int n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_world, &w), CH_OK);
	return w;
}

typedef struct chat_args {
	world *w;
	int status;
	int64_t op, id;
	ch_chat_row row;
} chat_args;

static ch_err job_new_chat(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	ch_client_row cl;
	ch_err e = ch_store_client_upsert(tx, a->w->company, a->w->org, CH_SOURCE_WIDGET, NULL, "Client", NULL,
	                                  NULL, &cl);
	if (!e)
		e = ch_store_chat_create(tx, a->w->company, a->w->org, cl.id, CH_SOURCE_WIDGET, "t", &a->row);
	return e;
}

static ch_err job_update(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	return ch_store_chat_update(tx, a->w->company, a->id, a->status, a->op, &a->row);
}

static ch_err job_get(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	return ch_store_chat_get(tx, a->w->company, a->id, &a->row);
}

/* A new chat of w's org put in status (assigned to op, 0 = nobody). */
static int64_t new_chat(world *w, int status, int64_t op)
{
	chat_args a = {.w = w};
	cr_assert_eq(W(job_new_chat, &a), CH_OK);
	a.id = a.row.id;
	if (status != CH_CHAT_NEW) {
		a.status = status;
		a.op = op;
		cr_assert_eq(W(job_update, &a), CH_OK);
	}
	return a.id;
}

static void set_status(world *w, int64_t id, int status, int64_t op)
{
	chat_args a = {.w = w, .id = id, .status = status, .op = op};
	cr_assert_eq(W(job_update, &a), CH_OK);
}

static ch_chat_row chat_get(world *w, int64_t id)
{
	chat_args a = {.w = w, .id = id};
	cr_assert_eq(R(job_get, &a), CH_OK);
	return a.row;
}

/* ---- the calls under test --------------------------------------------------- */

typedef struct org_args {
	int64_t company, org;
	int on;
	ch_org_row row;
} org_args;

static ch_err job_set_csat(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_set_csat(tx, a->company, a->org, a->on);
}

static ch_err job_org(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_get(tx, a->company, a->org, &a->row);
}

typedef struct rate_args {
	int64_t company, chat, now;
	int rating;
	const char *comment;
	ch_chat_row *out;
} rate_args;

static ch_err job_rate(ch_store_tx *tx, void *p)
{
	rate_args *a = p;
	return ch_store_chat_rate(tx, a->company, a->chat, a->rating, a->comment, a->now, a->out);
}

static ch_err rate(world *w, int64_t chat, int rating, const char *comment, int64_t now, ch_chat_row *out)
{
	rate_args a = {.company = w->company, .chat = chat, .rating = rating, .comment = comment, .now = now, .out = out};
	return W(job_rate, &a);
}

Test(csat, organization_setting_on_by_default)
{
	world w = seed("csat-org", 1), other = seed("csat-org-2", 2);
	org_args a = {.company = w.company, .org = w.org};
	cr_assert_eq(R(job_org, &a), CH_OK);
	cr_assert_eq(a.row.csat_enabled, 1, "on by default");
	a.on = 0;
	cr_assert_eq(W(job_set_csat, &a), CH_OK);
	cr_assert_eq(R(job_org, &a), CH_OK);
	cr_assert_eq(a.row.csat_enabled, 0);
	a.on = 1;
	cr_assert_eq(W(job_set_csat, &a), CH_OK);
	cr_assert_eq(R(job_org, &a), CH_OK);
	cr_assert_eq(a.row.csat_enabled, 1);
	org_args b = {.company = other.company, .org = w.org, .on = 0};
	cr_assert_eq(W(job_set_csat, &b), CH_ERR_NOT_FOUND, "another company's organization");
	cr_assert_eq(R(job_org, &a), CH_OK);
	cr_assert_eq(a.row.csat_enabled, 1, "left as it was");
}

Test(csat, a_closed_chat_is_rated_once_per_close)
{
	world w = seed("csat-rate", 3);
	int64_t id = new_chat(&w, CH_CHAT_OPEN, w.op);
	ch_chat_row *r = malloc(sizeof *r);
	ch_chat_row c = chat_get(&w, id);
	cr_assert_eq(c.csat_rating, 0);
	cr_assert_eq(c.csat_at, 0);
	cr_assert_str_empty(c.csat_comment);
	cr_assert_eq(rate(&w, id, 5, "good", now_ms(), r), CH_ERR_CONFLICT, "an open chat");
	set_status(&w, id, CH_CHAT_CLOSED, w.op);
	int64_t closed_at = tick();
	char long_comment[CH_CSAT_COMMENT_MAX + 2];
	memset(long_comment, 'x', sizeof long_comment - 1);
	long_comment[sizeof long_comment - 1] = '\0';
	cr_assert_eq(rate(&w, id, 0, NULL, now_ms(), r), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(rate(&w, id, 6, NULL, now_ms(), r), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(rate(&w, id, 4, long_comment, now_ms(), r), CH_ERR_OUT_OF_RANGE, "1001 bytes");
	c = chat_get(&w, id);
	cr_assert_eq(c.csat_rating, 0, "nothing written");
	long_comment[CH_CSAT_COMMENT_MAX] = '\0'; /* 1000 bytes: fine */
	int64_t t = now_ms();
	cr_assert_eq(rate(&w, id, 4, long_comment, t, r), CH_OK);
	cr_assert_eq(r->csat_rating, 4);
	cr_assert_eq(r->csat_at, t);
	cr_assert_str_eq(r->csat_comment, long_comment);
	cr_assert_eq(r->status, CH_CHAT_CLOSED);
	c = chat_get(&w, id);
	cr_assert_eq(c.csat_rating, 4);
	cr_assert_str_eq(c.csat_comment, long_comment);
	/* twice for one close: nothing changes */
	cr_assert_eq(rate(&w, id, 1, "bad", tick(), r), CH_ERR_CONFLICT);
	c = chat_get(&w, id);
	cr_assert_eq(c.csat_rating, 4);
	cr_assert_eq(c.csat_at, t);
	/* reopened: not while open; closed again: rated again, replacing it */
	tick();
	set_status(&w, id, CH_CHAT_OPEN, w.op);
	cr_assert_eq(rate(&w, id, 2, NULL, tick(), r), CH_ERR_CONFLICT);
	set_status(&w, id, CH_CHAT_CLOSED, w.op);
	int64_t t2 = tick();
	cr_assert_eq(rate(&w, id, 2, NULL, t2, r), CH_OK);
	cr_assert_eq(r->csat_rating, 2);
	cr_assert_str_empty(r->csat_comment, "NULL: no comment");
	cr_assert_eq(r->csat_at, t2);
	cr_assert_gt(t2, closed_at);
	cr_assert_eq(rate(&w, id, 3, NULL, tick(), r), CH_ERR_CONFLICT);
	free(r);
}

Test(csat, a_rating_counts_for_its_close_even_with_a_clock_behind)
{
	world w = seed("csat-clock", 4);
	int64_t id = new_chat(&w, CH_CHAT_OPEN, w.op);
	set_status(&w, id, CH_CHAT_CLOSED, w.op);
	tick();
	ch_chat_row *r = malloc(sizeof *r);
	/* another process's clock a minute behind the close */
	cr_assert_eq(rate(&w, id, 5, "", now_ms() - 60000, r), CH_OK);
	cr_assert_geq(r->csat_at, now_ms() - 5000, "at least the close's time");
	cr_assert_eq(rate(&w, id, 1, "", now_ms() - 60000, r), CH_ERR_CONFLICT, "that close is rated");
	free(r);
}

Test(csat, another_companys_chat_is_not_found)
{
	world w = seed("csat-iso", 5), other = seed("csat-iso-2", 6);
	int64_t id = new_chat(&w, CH_CHAT_OPEN, w.op);
	set_status(&w, id, CH_CHAT_CLOSED, w.op);
	cr_assert_eq(rate(&other, id, 5, NULL, now_ms(), NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(rate(&w, id + 1000, 5, NULL, now_ms(), NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_get(&w, id).csat_rating, 0);
	cr_assert_eq(rate(&w, id, 5, NULL, now_ms(), NULL), CH_OK, "out may be NULL");
	cr_assert_eq(chat_get(&w, id).csat_rating, 5);
}

typedef struct list_args {
	world *w;
	int64_t id;
	int seen, rating;
	char comment[CH_CSAT_COMMENT_MAX + 1];
} list_args;

static void each_chat(void *ctx, const ch_chat_row *row)
{
	list_args *a = ctx;
	if (row->id != a->id)
		return;
	a->seen++;
	a->rating = row->csat_rating;
	memcpy(a->comment, row->csat_comment, sizeof a->comment);
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	list_args *a = p;
	ch_chat_filter f = {.company_id = a->w->company, .status = -1, .source = -1};
	return ch_store_chat_list(tx, &f, NULL, each_chat, a);
}

Test(csat, every_chat_row_carries_the_rating)
{
	world w = seed("csat-rows", 7);
	int64_t rated = new_chat(&w, CH_CHAT_OPEN, w.op), plain = new_chat(&w, CH_CHAT_OPEN, w.op);
	set_status(&w, rated, CH_CHAT_CLOSED, w.op);
	cr_assert_eq(rate(&w, rated, 3, "fine, thanks", now_ms(), NULL), CH_OK);
	list_args a = {.w = &w, .id = rated};
	cr_assert_eq(R(job_list, &a), CH_OK);
	cr_assert_eq(a.seen, 1);
	cr_assert_eq(a.rating, 3);
	cr_assert_str_eq(a.comment, "fine, thanks");
	/* a reused buffer full of other bytes: the row of an unrated chat says none */
	chat_args g = {.w = &w, .id = plain};
	memset(&g.row, 0xab, sizeof g.row);
	cr_assert_eq(R(job_get, &g), CH_OK);
	cr_assert_eq(g.row.csat_rating, 0);
	cr_assert_eq(g.row.csat_at, 0);
	cr_assert_str_empty(g.row.csat_comment);
}
