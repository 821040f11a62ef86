/* test_store_labels.c — the contract of store.h's labels (migration 014):
 * an organization's labels (names unique ignoring case, colors, the budget),
 * the labels set on a chat (the chat's organization only, at most
 * CH_LABELS_PER_CHAT_MAX, no repeats), the labels of many chats in one call,
 * the chat list's label filter, and what deleting a label or a chat takes
 * with it. Written only against store.h, so every backend runs it.
 */
#include <criterion/criterion.h>
#include <pthread.h>
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
	fx_begin(g_dir, sizeof g_dir, "ch-labels-test");
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

TestSuite(labels, .init = setup, .fini = teardown, .timeout = 120);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);
static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

/* A company with two organizations and a chat in each. */
typedef struct world {
	const char *login;
	unsigned n;
	int64_t company, org, org2, chat, chat2, chat3; /* chat, chat3 in org; chat2 in org2 */
} world;

static ch_err new_chat(ch_store_tx *tx, int64_t company, int64_t org, int64_t *id)
{
	ch_client_row cl;
	ch_chat_row *c = malloc(sizeof *c);
	ch_err e = ch_store_client_upsert(tx, company, org, CH_SOURCE_WIDGET, NULL, "Client", NULL, NULL, &cl);
	if (!e)
		e = ch_store_chat_create(tx, company, org, cl.id, CH_SOURCE_WIDGET, "Hello", c);
	*id = c->id;
	free(c);
	return e;
}

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
	if (!e)
		e = new_chat(tx, w->company, w->org, &w->chat);
	if (!e)
		e = new_chat(tx, w->company, w->org2, &w->chat2);
	if (!e)
		e = new_chat(tx, w->company, w->org, &w->chat3);
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
	int64_t company, org, id;
	const char *name, *color;
	ch_label_row row;
	int64_t ids[64];
	size_t n;
	/* results */
	ch_label_row rows[MAXN];
	int64_t chats[MAXN];
	size_t got;
} args;

static ch_err job_create(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_label_create(tx, a->company, a->org, a->name, a->color, &a->row);
}

static ch_err create_in(ch_store *s, int64_t company, int64_t org, const char *name, const char *color,
                        ch_label_row *row)
{
	args *a = calloc(1, sizeof *a);
	*a = (args){.company = company, .org = org, .name = name, .color = color};
	ch_err e = ch_store_write_sync(s, job_create, a);
	if (row)
		*row = a->row;
	free(a);
	return e;
}

static ch_err create(int64_t company, int64_t org, const char *name, const char *color, ch_label_row *row)
{
	return create_in(g_store, company, org, name, color, row);
}

static void collect(void *ctx, const ch_label_row *r)
{
	args *a = ctx;
	cr_assert_lt(a->got, MAXN);
	a->rows[a->got++] = *r;
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	args *a = p;
	a->got = 0;
	return ch_store_label_list(tx, a->company, a->org, collect, a);
}

static ch_err job_get(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_label_get(tx, a->company, a->id, &a->row);
}

static ch_err job_delete(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_label_delete(tx, a->company, a->id);
}

static ch_err job_set(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_chat_labels_set(tx, a->company, a->id, a->ids, a->n);
}

static void collect_of(void *ctx, int64_t chat_id, const ch_label_row *r)
{
	args *a = ctx;
	cr_assert_lt(a->got, MAXN);
	a->chats[a->got] = chat_id;
	a->rows[a->got++] = *r;
}

static ch_err job_of(ch_store_tx *tx, void *p)
{
	args *a = p;
	a->got = 0;
	return ch_store_chat_labels(tx, a->company, a->ids, a->n, collect_of, a);
}

static ch_err set_labels(int64_t company, int64_t chat, const int64_t *ids, size_t n)
{
	args *a = calloc(1, sizeof *a);
	*a = (args){.company = company, .id = chat, .n = n};
	if (n)
		memcpy(a->ids, ids, n * sizeof *ids);
	ch_err e = W(job_set, a);
	free(a);
	return e;
}

/* The labels of the chats, in one call; the caller frees. */
static args *labels_of(int64_t company, const int64_t *chats, size_t n)
{
	args *a = calloc(1, sizeof *a);
	*a = (args){.company = company, .n = n};
	memcpy(a->ids, chats, n * sizeof *chats);
	cr_assert_eq(R(job_of, a), CH_OK);
	return a;
}

typedef struct list_args {
	ch_chat_filter f;
	int64_t total;
	int64_t ids[8];
	size_t n;
} list_args;

static void collect_chat(void *ctx, const ch_chat_row *row)
{
	list_args *l = ctx;
	cr_assert_lt(l->n, 8);
	l->ids[l->n++] = row->id;
}

static ch_err job_list_chats(ch_store_tx *tx, void *p)
{
	list_args *l = p;
	return ch_store_chat_list(tx, &l->f, &l->total, collect_chat, l);
}

/* The chats of f into ids (at most 8); their number, which total agrees with. */
static int64_t list_chats(const ch_chat_filter *f, int64_t ids[8])
{
	list_args l = {.f = *f, .total = -1};
	cr_assert_eq(R(job_list_chats, &l), CH_OK);
	cr_assert_eq(l.total, (int64_t)l.n);
	memcpy(ids, l.ids, sizeof l.ids);
	return (int64_t)l.n;
}

static ch_err job_chat_delete(ch_store_tx *tx, void *p)
{
	args *a = p;
	return ch_store_chat_delete(tx, a->company, a->id);
}

Test(labels, create_list_get_delete_scoped)
{
	world w = seed("acme", 1), b = seed("beta", 2);
	ch_label_row vip, bug, r;
	cr_assert_eq(create(w.company, w.org, "VIP", "#FF0000", &vip), CH_OK);
	cr_assert_str_eq(vip.color, "#ff0000", "stored in lower case");
	cr_assert_str_eq(vip.name, "VIP", "the name as written");
	cr_assert_eq(vip.organization_id, w.org);
	cr_assert_eq(create(w.company, w.org, "bug", NULL, &bug), CH_OK);
	cr_assert_eq(strlen(bug.color), 7, "the server chose a color");
	cr_assert_eq(bug.color[0], '#');
	cr_assert_eq(create(w.company, w.org, "vip", NULL, NULL), CH_ERR_CONFLICT, "ASCII case ignored");
	cr_assert_eq(create(w.company, w.org, "Срочно", NULL, NULL), CH_OK);
	cr_assert_eq(create(w.company, w.org, "СРОЧНО", NULL, NULL), CH_ERR_CONFLICT, "Cyrillic case ignored");
	cr_assert_eq(create(w.company, w.org, "Éte", NULL, NULL), CH_OK);
	cr_assert_eq(create(w.company, w.org, "éTE", NULL, NULL), CH_ERR_CONFLICT, "Latin-1 case ignored");
	cr_assert_eq(create(w.company, w.org, "ΣΟΦΙΑ", NULL, NULL), CH_OK);
	cr_assert_eq(create(w.company, w.org, "σοφια", NULL, NULL), CH_ERR_CONFLICT, "Greek case ignored");
	cr_assert_eq(create(w.company, w.org2, "VIP", NULL, NULL), CH_OK, "another organization may");
	cr_assert_eq(create(b.company, w.org, "x", NULL, NULL), CH_ERR_NOT_FOUND, "another company's org");
	/* bad input */
	cr_assert_eq(create(w.company, w.org, "", NULL, NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(create(w.company, w.org, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL),
	             CH_ERR_OUT_OF_RANGE, "65 bytes");
	cr_assert_eq(create(w.company, w.org, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL, NULL),
	             CH_OK, "64 bytes");
	cr_assert_eq(create(w.company, w.org, "\xff\xfe", NULL, NULL), CH_ERR_BAD_JSON, "not UTF-8");
	cr_assert_eq(create(w.company, w.org, "tab\there", NULL, NULL), CH_ERR_OUT_OF_RANGE, "a control character");
	cr_assert_eq(create(w.company, w.org, "c1", "red", NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(create(w.company, w.org, "c2", "#12345g", NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(create(w.company, w.org, "c3", "#1234567", NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(create(w.company, w.org, "c4", "123456", NULL), CH_ERR_OUT_OF_RANGE);

	args *a = calloc(1, sizeof *a);
	*a = (args){.company = w.company, .org = w.org};
	cr_assert_eq(R(job_list, a), CH_OK);
	cr_assert_eq(a->got, 6);
	cr_assert_str_eq(a->rows[0].name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "by folded name");
	cr_assert_str_eq(a->rows[1].name, "bug");
	cr_assert_str_eq(a->rows[2].name, "VIP");
	cr_assert_str_eq(a->rows[3].name, "Éte");
	a->company = b.company;
	cr_assert_eq(R(job_list, a), CH_ERR_NOT_FOUND, "another company's organization");
	a->org = b.org;
	cr_assert_eq(R(job_list, a), CH_OK);
	cr_assert_eq(a->got, 0);

	a->id = vip.id;
	cr_assert_eq(R(job_get, a), CH_ERR_NOT_FOUND, "another company's label");
	cr_assert_eq(W(job_delete, a), CH_ERR_NOT_FOUND);
	a->company = w.company;
	cr_assert_eq(R(job_get, a), CH_OK);
	cr_assert_str_eq(a->row.name, "VIP");
	cr_assert_str_eq(a->row.color, "#ff0000");
	cr_assert_eq(W(job_delete, a), CH_OK);
	cr_assert_eq(R(job_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(W(job_delete, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(create(w.company, w.org, "Vip", NULL, &r), CH_OK, "a deleted name is free");
	free(a);
}

Test(labels, budget_per_organization)
{
	world w = seed("acme", 1);
	char name[16];
	for (int i = 0; i < CH_LABELS_PER_ORG_MAX; i++) {
		snprintf(name, sizeof name, "l%d", i);
		cr_assert_eq(create(w.company, w.org, name, NULL, NULL), CH_OK, "%d", i);
	}
	cr_assert_eq(create(w.company, w.org, "over", NULL, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(create(w.company, w.org2, "fine", NULL, NULL), CH_OK, "the other organization's own budget");
}

typedef struct racer {
	ch_store *s;
	int64_t company, org;
	char prefix;
	int created, refused, other;
} racer;

static void *race_thread(void *p)
{
	racer *r = p;
	char name[16];
	for (int i = 0; i < CH_LABELS_PER_ORG_MAX; i++) {
		snprintf(name, sizeof name, "%c%d", r->prefix, i);
		ch_err e = create_in(r->s, r->company, r->org, name, NULL, NULL);
		if (e == CH_OK)
			r->created++;
		else if (e == CH_ERR_CONFLICT)
			r->refused++;
		else
			r->other++;
	}
	return NULL;
}

/* Two stores (two processes on PostgreSQL) filling one organization's
 * budget at once stop exactly at it. */
Test(labels, budget_holds_with_two_stores_creating_at_once)
{
	world w = seed("acme", 1);
	ch_store_opts o = fx_opts(g_path);
	ch_store *s2 = NULL;
	cr_assert_eq(ch_store_open(&o, &s2, NULL), CH_OK);
	racer a = {.s = g_store, .company = w.company, .org = w.org, .prefix = 'a'};
	racer b = {.s = s2, .company = w.company, .org = w.org, .prefix = 'b'};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, race_thread, &a);
	pthread_create(&tb, NULL, race_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ch_store_close(s2);
	cr_assert_eq(a.other + b.other, 0);
	cr_assert_eq(a.created + b.created, CH_LABELS_PER_ORG_MAX, "created %d + %d", a.created, b.created);
	cr_assert_eq(a.refused + b.refused, CH_LABELS_PER_ORG_MAX);
}

Test(labels, chat_labels_set_read_and_filter)
{
	world w = seed("acme", 1), b = seed("beta", 2);
	ch_label_row vip, bug, sales, other;
	cr_assert_eq(create(w.company, w.org, "VIP", NULL, &vip), CH_OK);
	cr_assert_eq(create(w.company, w.org, "bug", NULL, &bug), CH_OK);
	cr_assert_eq(create(w.company, w.org2, "lead", NULL, &sales), CH_OK);
	cr_assert_eq(create(b.company, b.org, "VIP", NULL, &other), CH_OK);

	int64_t both[] = {vip.id, bug.id};
	cr_assert_eq(set_labels(w.company, w.chat, both, 2), CH_OK);
	int64_t one[] = {vip.id};
	cr_assert_eq(set_labels(w.company, w.chat3, one, 1), CH_OK);
	int64_t s[] = {sales.id};
	cr_assert_eq(set_labels(w.company, w.chat2, s, 1), CH_OK);
	/* refused, and nothing changed */
	int64_t wrong_org[] = {vip.id, sales.id};
	cr_assert_eq(set_labels(w.company, w.chat, wrong_org, 2), CH_ERR_NOT_FOUND, "another organization's label");
	int64_t foreign[] = {other.id};
	cr_assert_eq(set_labels(w.company, w.chat, foreign, 1), CH_ERR_NOT_FOUND, "another company's label");
	int64_t missing[] = {999999};
	cr_assert_eq(set_labels(w.company, w.chat, missing, 1), CH_ERR_NOT_FOUND, "no such label");
	int64_t dup[] = {vip.id, vip.id};
	cr_assert_eq(set_labels(w.company, w.chat, dup, 2), CH_ERR_OUT_OF_RANGE, "an id twice");
	int64_t many[CH_LABELS_PER_CHAT_MAX + 1];
	for (int i = 0; i <= CH_LABELS_PER_CHAT_MAX; i++)
		many[i] = vip.id + 1000 + i;
	cr_assert_eq(set_labels(w.company, w.chat, many, CH_LABELS_PER_CHAT_MAX + 1), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set_labels(b.company, w.chat, one, 1), CH_ERR_NOT_FOUND, "another company's chat");

	int64_t chats[] = {w.chat, w.chat2, w.chat3, 424242};
	args *a = labels_of(w.company, chats, 4);
	cr_assert_eq(a->got, 4, "two, one and one");
	for (size_t i = 0; i < a->got; i++) {
		if (a->chats[i] == w.chat)
			cr_assert(a->rows[i].id == vip.id || a->rows[i].id == bug.id);
		else if (a->chats[i] == w.chat2)
			cr_assert_eq(a->rows[i].id, sales.id);
		else
			cr_assert_eq(a->chats[i], w.chat3);
		if (i)
			cr_assert_geq(a->chats[i], a->chats[i - 1], "by chat");
	}
	/* chat's two in name order: bug before VIP */
	size_t k = 0;
	while (a->chats[k] != w.chat)
		k++;
	cr_assert_str_eq(a->rows[k].name, "bug");
	cr_assert_str_eq(a->rows[k + 1].name, "VIP");
	cr_assert_str_eq(a->rows[k].color, bug.color);
	free(a);
	a = labels_of(b.company, chats, 4);
	cr_assert_eq(a->got, 0, "another company reads none of them");
	free(a);

	/* the chat list's filter, alone and with others */
	int64_t ids[8];
	ch_chat_filter f = {.company_id = w.company, .status = -1, .source = -1, .label_id = vip.id};
	cr_assert_eq(list_chats(&f, ids), 2);
	cr_assert((ids[0] == w.chat && ids[1] == w.chat3) || (ids[0] == w.chat3 && ids[1] == w.chat));
	f.label_id = bug.id;
	cr_assert_eq(list_chats(&f, ids), 1);
	cr_assert_eq(ids[0], w.chat);
	f.org_id = w.org2;
	cr_assert_eq(list_chats(&f, ids), 0, "with an organization filter");
	f.org_id = w.org;
	f.status = CH_CHAT_NEW;
	cr_assert_eq(list_chats(&f, ids), 1, "with a status filter");
	f.status = CH_CHAT_CLOSED;
	cr_assert_eq(list_chats(&f, ids), 0);
	f = (ch_chat_filter){.company_id = b.company, .status = -1, .source = -1, .label_id = vip.id};
	cr_assert_eq(list_chats(&f, ids), 0, "another company's label matches none of its chats");

	/* replacing, clearing; deleting a label or a chat takes their rows */
	cr_assert_eq(set_labels(w.company, w.chat, one, 1), CH_OK);
	a = labels_of(w.company, chats, 1);
	cr_assert_eq(a->got, 1);
	cr_assert_eq(a->rows[0].id, vip.id);
	free(a);
	cr_assert_eq(set_labels(w.company, w.chat, NULL, 0), CH_OK);
	a = labels_of(w.company, chats, 1);
	cr_assert_eq(a->got, 0, "cleared");
	free(a);
	a = calloc(1, sizeof *a);
	*a = (args){.company = w.company, .id = vip.id};
	cr_assert_eq(W(job_delete, a), CH_OK);
	free(a);
	a = labels_of(w.company, chats, 4);
	cr_assert_eq(a->got, 1, "only chat2's lead is left");
	cr_assert_eq(a->rows[0].id, sales.id);
	free(a);
	f = (ch_chat_filter){.company_id = w.company, .status = -1, .source = -1, .label_id = vip.id};
	cr_assert_eq(list_chats(&f, ids), 0);
	a = calloc(1, sizeof *a);
	*a = (args){.company = w.company, .id = w.chat2};
	cr_assert_eq(W(job_chat_delete, a), CH_OK);
	free(a);
	a = calloc(1, sizeof *a);
	*a = (args){.company = w.company, .id = sales.id};
	cr_assert_eq(W(job_delete, a), CH_OK, "a label whose chat was deleted");
	free(a);
}
