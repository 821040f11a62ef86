/* test_store_autoclose.c — the contract of store.h's auto-close calls: an
 * organization's minutes per status (defaults, bounds, partial updates), the
 * chats due at a time (silent since the later of their newest message and
 * their last status change), the conditional close (once, and never after a
 * message or a status change), and the routing load that leaves OnPause
 * chats out. Time is passed to the calls, so "a day later" is a number, not
 * a wait. Written only against store.h; built for both backends (fixture.h).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "fixture.h"

#define MIN 60000LL /* a minute in ms */

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
	fx_begin(g_dir, sizeof g_dir, "ch-autoclose-test");
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

TestSuite(autoclose, .init = setup, .fini = teardown, .timeout = 120);

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
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-000000000015", (unsigned)w->n);
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

typedef struct say_args {
	world *w;
	int64_t chat;
	int author;
} say_args;

static ch_err job_say(ch_store_tx *tx, void *p)
{
	say_args *a = p;
	ch_message_row *m = malloc(sizeof *m);
	ch_message_new n = {.company_id = a->w->company, .chat_id = a->chat, .author = a->author,
	                    .text = "hello", .status = CH_MSG_SUCCESS};
	ch_err e = ch_store_message_append(tx, &n, NULL, m, NULL);
	free(m);
	return e;
}

static void say(world *w, int64_t chat, int author)
{
	say_args a = {.w = w, .chat = chat, .author = author};
	cr_assert_eq(W(job_say, &a), CH_OK);
}

/* ---- the calls under test --------------------------------------------------- */

typedef struct org_args {
	int64_t company, org, waiting, open, on_pause;
	ch_org_row row;
} org_args;

static ch_err job_set(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_set_auto_close(tx, a->company, a->org, a->waiting, a->open, a->on_pause);
}

static ch_err job_org(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_get(tx, a->company, a->org, &a->row);
}

static ch_err set_minutes(int64_t company, int64_t org, int64_t waiting, int64_t open, int64_t on_pause)
{
	org_args a = {.company = company, .org = org, .waiting = waiting, .open = open, .on_pause = on_pause};
	return W(job_set, &a);
}

static ch_org_row org_get(int64_t company, int64_t org)
{
	org_args a = {.company = company, .org = org};
	cr_assert_eq(R(job_org, &a), CH_OK);
	return a.row;
}

#define DUE_MAX 32
typedef struct due_args {
	int64_t at, limit;
	int64_t ids[DUE_MAX];
	int64_t companies[DUE_MAX];
	int statuses[DUE_MAX];
	size_t n;
} due_args;

static void collect_due(void *ctx, const ch_chat_row *row)
{
	due_args *a = ctx;
	cr_assert_lt(a->n, DUE_MAX);
	a->companies[a->n] = row->company_id;
	a->statuses[a->n] = row->status;
	a->ids[a->n++] = row->id;
}

static ch_err job_due(ch_store_tx *tx, void *p)
{
	due_args *a = p;
	return ch_store_chat_idle_due(tx, a->at, a->limit, collect_due, a);
}

/* The chats due at `at` (a read), in *out. */
static due_args due_at(int64_t at, int64_t limit)
{
	due_args a = {.at = at, .limit = limit};
	cr_assert_eq(R(job_due, &a), CH_OK);
	return a;
}

static int is_due(int64_t at, int64_t id)
{
	due_args a = due_at(at, 0);
	for (size_t i = 0; i < a.n; i++)
		if (a.ids[i] == id)
			return 1;
	return 0;
}

typedef struct close_args {
	int64_t company, chat, at;
	ch_chat_row row;
} close_args;

static ch_err job_close(ch_store_tx *tx, void *p)
{
	close_args *a = p;
	return ch_store_chat_close_if_idle(tx, a->company, a->chat, a->at, &a->row);
}

static ch_err close_if_idle(int64_t company, int64_t chat, int64_t at, ch_chat_row *row)
{
	close_args a = {.company = company, .chat = chat, .at = at};
	ch_err e = W(job_close, &a);
	if (row)
		*row = a.row;
	return e;
}

/* ---- organization settings --------------------------------------------------- */

Test(autoclose, org_minutes_default_bounds_and_partial_update)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_org_row o = org_get(a.company, a.org);
	cr_assert_eq(o.auto_close_waiting, 1440, "Waiting: a day by default");
	cr_assert_eq(o.auto_close_open, 0, "Open: never by default");
	cr_assert_eq(o.auto_close_on_pause, 0, "OnPause: never by default");
	cr_assert_eq(set_minutes(a.company, a.org, -1, 30, -1), CH_OK);
	o = org_get(a.company, a.org);
	cr_assert_eq(o.auto_close_waiting, 1440, "a negative value leaves it unchanged");
	cr_assert_eq(o.auto_close_open, 30);
	cr_assert_eq(o.auto_close_on_pause, 0);
	cr_assert_eq(set_minutes(a.company, a.org, 0, -1, CH_AUTO_CLOSE_MINUTES_MAX), CH_OK);
	o = org_get(a.company, a.org);
	cr_assert_eq(o.auto_close_waiting, 0);
	cr_assert_eq(o.auto_close_open, 30);
	cr_assert_eq(o.auto_close_on_pause, CH_AUTO_CLOSE_MINUTES_MAX);
	cr_assert_eq(set_minutes(a.company, a.org, CH_AUTO_CLOSE_MINUTES_MAX + 1, 1, 1), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set_minutes(a.company, a.org, 1, 1, CH_AUTO_CLOSE_MINUTES_MAX + 1), CH_ERR_OUT_OF_RANGE);
	o = org_get(a.company, a.org);
	cr_assert_eq(o.auto_close_open, 30, "a refused update writes nothing");
	cr_assert_eq(set_minutes(b.company, a.org, 5, 5, 5), CH_ERR_NOT_FOUND, "another company's organization");
	cr_assert_eq(set_minutes(a.company, a.org + 1000, 5, 5, 5), CH_ERR_NOT_FOUND);
	o = org_get(b.company, b.org);
	cr_assert_eq(o.auto_close_waiting, 1440, "the other organization is untouched");
}

/* ---- the chats due ------------------------------------------------------------ */

/* A sweep closes them in this order, taking each organization's routing lock:
 * one order for every process. */
Test(autoclose, due_chats_come_grouped_by_organization)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t a1 = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t b1 = new_chat(&b, CH_CHAT_WAITING, b.op);
	int64_t a2 = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t b2 = new_chat(&b, CH_CHAT_WAITING, b.op);
	int64_t t1 = tick();
	due_args d = due_at(t1 + 1440 * MIN, 0);
	cr_assert_eq(d.n, 4);
	int64_t want[] = {a1, a2, b1, b2};
	if (b.org < a.org) {
		want[0] = b1, want[1] = b2, want[2] = a1, want[3] = a2;
	}
	for (int i = 0; i < 4; i++)
		cr_assert_eq(d.ids[i], want[i], "#%d", i);
}

Test(autoclose, only_statuses_with_minutes_are_due_after_their_silence)
{
	world a = seed("a", 1);
	int64_t t0 = now_ms();
	int64_t waiting = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t open = new_chat(&a, CH_CHAT_OPEN, a.op);
	int64_t paused = new_chat(&a, CH_CHAT_ON_PAUSE, a.op);
	int64_t fresh = new_chat(&a, CH_CHAT_NEW, 0);
	int64_t closed = new_chat(&a, CH_CHAT_CLOSED, a.op);
	int64_t unassigned = new_chat(&a, CH_CHAT_WAITING, 0);
	int64_t t1 = tick();
	cr_assert_eq(due_at(t0 + 1440 * MIN - 1, 0).n, 0, "nothing is due before a day of silence");
	due_args d = due_at(t1 + 1440 * MIN, 0);
	cr_assert_eq(d.n, 2, "Waiting chats only, by default");
	cr_assert_eq(d.ids[0], waiting);
	cr_assert_eq(d.ids[1], unassigned, "ascending by id; an unassigned Waiting chat too");
	cr_assert_eq(d.statuses[0], CH_CHAT_WAITING);
	cr_assert_eq(d.companies[0], a.company);
	cr_assert_eq(set_minutes(a.company, a.org, 0, 10, 20), CH_OK);
	cr_assert_eq(due_at(t1 + 1440 * MIN, 0).n, 2, "Open after 10 minutes, OnPause after 20; Waiting never");
	d = due_at(t1 + 15 * MIN, 0);
	cr_assert_eq(d.n, 1);
	cr_assert_eq(d.ids[0], open);
	d = due_at(t1 + 20 * MIN, 0);
	cr_assert_eq(d.n, 2);
	cr_assert_eq(d.ids[0], open);
	cr_assert_eq(d.ids[1], paused);
	d = due_at(t1 + 20 * MIN, 1);
	cr_assert_eq(d.n, 1, "at most limit");
	cr_assert_eq(d.ids[0], open);
	cr_assert(!is_due(INT64_MAX / 4, fresh), "New is never due");
	cr_assert(!is_due(INT64_MAX / 4, closed), "Closed is never due");
}

Test(autoclose, a_message_or_a_status_change_restarts_the_silence)
{
	world a = seed("a", 1);
	int64_t c = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t t1 = tick();
	cr_assert(is_due(t1 + 1440 * MIN, c));
	tick();
	say(&a, c, CH_AUTHOR_OPERATOR); /* an operator's reminder: Waiting stays */
	cr_assert(!is_due(t1 + 1440 * MIN, c), "silent since the newest message, of any author");
	int64_t t2 = tick();
	cr_assert(is_due(t2 + 1440 * MIN, c));
	tick();
	set_status(&a, c, CH_CHAT_ON_PAUSE, a.op);
	set_status(&a, c, CH_CHAT_WAITING, a.op);
	cr_assert(!is_due(t2 + 1440 * MIN, c), "silent since the last status change");
	int64_t t3 = tick();
	cr_assert(is_due(t3 + 1440 * MIN, c));
	set_status(&a, c, CH_CHAT_WAITING, a.op);
	cr_assert(is_due(t3 + 1440 * MIN, c), "an update to the same status is no change");
}

Test(autoclose, several_companies_are_due_together)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t ca = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t cb = new_chat(&b, CH_CHAT_WAITING, b.op);
	cr_assert_eq(set_minutes(b.company, b.org, 60, -1, -1), CH_OK);
	int64_t t = tick();
	due_args d = due_at(t + 60 * MIN, 0);
	cr_assert_eq(d.n, 1, "each organization's own minutes");
	cr_assert_eq(d.ids[0], cb);
	cr_assert_eq(d.companies[0], b.company);
	d = due_at(t + 1440 * MIN, 0);
	cr_assert_eq(d.n, 2);
	cr_assert_eq(d.ids[0], ca);
	cr_assert_eq(d.companies[0], a.company);
}

/* ---- the conditional close ----------------------------------------------------- */

Test(autoclose, close_if_idle_closes_once_and_keeps_the_operator)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t t0 = now_ms();
	int64_t c = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t other = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t t = tick();
	ch_chat_row row;
	ch_err e0 = close_if_idle(a.company, c, t0 + 1440 * MIN - 1, &row);
	cr_assert_eq(e0, CH_ERR_CONFLICT, "not due yet: %d", e0);
	cr_assert_eq(chat_get(&a, c).status, CH_CHAT_WAITING, "nothing written");
	cr_assert_eq(close_if_idle(b.company, c, t + 1440 * MIN, &row), CH_ERR_NOT_FOUND, "another company's");
	cr_assert_eq(close_if_idle(a.company, c + 1000, t + 1440 * MIN, &row), CH_ERR_NOT_FOUND);
	cr_assert_eq(close_if_idle(a.company, c, t + 1440 * MIN, &row), CH_OK);
	cr_assert_eq(row.id, c);
	cr_assert_eq(row.status, CH_CHAT_CLOSED);
	cr_assert_eq(row.operator_id, a.op, "the operator stays on a closed chat");
	cr_assert_eq(close_if_idle(a.company, c, t + 1440 * MIN, &row), CH_ERR_CONFLICT, "closed once");
	cr_assert_eq(chat_get(&a, other).status, CH_CHAT_WAITING, "only that chat");
	cr_assert(!is_due(t + 1440 * MIN, c));
}

Test(autoclose, close_if_idle_after_a_message_writes_nothing)
{
	world a = seed("a", 1);
	int64_t c = new_chat(&a, CH_CHAT_WAITING, a.op);
	int64_t t = tick();
	cr_assert(is_due(t + 1440 * MIN, c), "found due");
	tick();
	say(&a, c, CH_AUTHOR_CLIENT); /* the client answers: Open now */
	set_status(&a, c, CH_CHAT_WAITING, a.op);
	cr_assert_eq(close_if_idle(a.company, c, t + 1440 * MIN, NULL), CH_ERR_CONFLICT,
	             "a message in between: not closed");
	ch_chat_row row = chat_get(&a, c);
	cr_assert_eq(row.status, CH_CHAT_WAITING);
	cr_assert_eq(row.last_seq, 1);
	/* the settings of the moment decide */
	cr_assert_eq(set_minutes(a.company, a.org, 0, -1, -1), CH_OK);
	cr_assert_eq(close_if_idle(a.company, c, INT64_MAX / 4, NULL), CH_ERR_CONFLICT, "Waiting: never");
}

typedef struct racer {
	ch_store *s;
	close_args a;
	ch_err e;
} racer;

static void *race_close(void *p)
{
	racer *r = p;
	r->e = ch_store_write_sync(r->s, job_close, &r->a);
	return NULL;
}

Test(autoclose, two_stores_closing_one_chat_close_it_once)
{
	world a = seed("a", 1);
	enum { N = 8 };
	int64_t chats[N];
	for (int i = 0; i < N; i++)
		chats[i] = new_chat(&a, CH_CHAT_ON_PAUSE, a.op);
	cr_assert_eq(set_minutes(a.company, a.org, -1, -1, 5), CH_OK);
	int64_t at = tick() + 5 * MIN;
	ch_store *other = open_store();
	for (int i = 0; i < N; i++) {
		racer r1 = {.s = g_store, .a = {.company = a.company, .chat = chats[i], .at = at}};
		racer r2 = {.s = other, .a = r1.a};
		pthread_t t1, t2;
		pthread_create(&t1, NULL, race_close, &r1);
		pthread_create(&t2, NULL, race_close, &r2);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		cr_assert((r1.e == CH_OK && r2.e == CH_ERR_CONFLICT) || (r1.e == CH_ERR_CONFLICT && r2.e == CH_OK),
		          "chat %d: one close (%d, %d)", i, r1.e, r2.e);
		cr_assert_eq(chat_get(&a, chats[i]).status, CH_CHAT_CLOSED);
	}
	ch_store_close(other);
}

/* ---- capacity: OnPause does not count ------------------------------------------ */

typedef struct load_args {
	int64_t company, org;
	int64_t ops[8], counts[8];
	size_t n;
} load_args;

static void collect_load(void *ctx, int64_t op, int64_t n)
{
	load_args *a = ctx;
	cr_assert_lt(a->n, 8);
	a->ops[a->n] = op;
	a->counts[a->n++] = n;
}

static ch_err job_load(ch_store_tx *tx, void *p)
{
	load_args *a = p;
	return ch_store_operator_load(tx, a->company, a->org, collect_load, a);
}

Test(autoclose, operator_load_leaves_on_pause_chats_out)
{
	world a = seed("a", 1);
	new_chat(&a, CH_CHAT_ON_PAUSE, a.op);
	new_chat(&a, CH_CHAT_ON_PAUSE, a.op);
	new_chat(&a, CH_CHAT_WAITING, a.op);
	new_chat(&a, CH_CHAT_OPEN, a.op2);
	int64_t parked = new_chat(&a, CH_CHAT_ON_PAUSE, a.op2);
	load_args l = {.company = a.company, .org = a.org};
	cr_assert_eq(R(job_load, &l), CH_OK);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.ops[0], a.op);
	cr_assert_eq(l.counts[0], 1, "two OnPause chats and one Waiting: one seat");
	cr_assert_eq(l.counts[1], 1);
	set_status(&a, parked, CH_CHAT_OPEN, a.op2);
	l = (load_args){.company = a.company, .org = a.org};
	cr_assert_eq(R(job_load, &l), CH_OK);
	cr_assert_eq(l.counts[1], 2, "taken off pause, it counts again");
}
