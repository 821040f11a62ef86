/* test_store_chats.c — the contract of the second half of store.h (org
 * secrets, clients, chats, the chat list, operator load, messages, read
 * receipts, media, channel dedupe, deliveries), written only against that
 * header so every backend runs it.
 *
 * Each test opens a fresh store in its own mkdtemp directory. Where an order
 * depends on a timestamp, tick() waits until the millisecond clock has moved,
 * so the next write is strictly later than the previous one (no sleeps).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static ch_store *g_store;
static int g_applied;

/* ---- fixture ---------------------------------------------------------- */

static void setup(void)
{
	char path[600];
	fx_begin(g_dir, sizeof g_dir, "ch-chats-test");
	snprintf(path, sizeof path, "%s/chathub.db", g_dir);
	ch_store_opts o = fx_opts(path);
	cr_assert_eq(ch_store_open(&o, &g_store, &g_applied), CH_OK);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(chats, .init = setup, .fini = teardown, .timeout = 120);

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

static void sem_wait_all(sem_t *s)
{
	while (sem_wait(s) != 0 && errno == EINTR)
		;
}

/* ---- a company: two organizations, operators ---------------------------- */

typedef struct world {
	const char *login;
	unsigned n;
	int64_t company, org, org2;
	int64_t op1, op2, op3; /* op1, op2 in org; op3 in org2 */
} world;

static ch_err job_seed(ch_store_tx *tx, void *p)
{
	world *w = p;
	char guid[CH_GUID_LEN + 1];
	ch_operator_row op;
	ch_err e = ch_store_company_create(tx, w->login, "Acme", "hash", &w->company);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 1u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", guid, &w->org);
	snprintf(guid, sizeof guid, "%08x-0000-4000-8000-%012x", w->n, 2u);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Sales", guid, &w->org2);
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

static world seed(const char *login, unsigned n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_seed, &w), CH_OK);
	return w;
}

typedef struct op_args {
	int64_t company, id, org;
	int status;
	const char *name;
} op_args;

static ch_err job_op_status(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_set_status(tx, a->company, a->id, a->status, NULL);
}

static void op_set_status(int64_t company, int64_t id, int status)
{
	op_args a = {.company = company, .id = id, .status = status};
	cr_assert_eq(W(job_op_status, &a), CH_OK);
}

static ch_err job_op_add(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	ch_operator_row row;
	ch_err e = ch_store_operator_upsert(tx, a->company, a->org, a->name, NULL, &row, NULL);
	a->id = row.id;
	return e;
}

static int64_t op_add(int64_t company, int64_t org, const char *name)
{
	op_args a = {.company = company, .org = org, .name = name};
	cr_assert_eq(W(job_op_add, &a), CH_OK);
	return a.id;
}

/* ---- org secrets ------------------------------------------------------- */

typedef struct secrets_args {
	int64_t company, org;
	const char *identity, *channel, *url;
	int prechat;
	ch_org_secrets sec;
} secrets_args;

static ch_err job_secrets_set(ch_store_tx *tx, void *p)
{
	secrets_args *a = p;
	return ch_store_org_secrets_set(tx, a->company, a->org, a->identity, a->channel, a->url,
	                                a->prechat);
}

static ch_err job_secrets_get(ch_store_tx *tx, void *p)
{
	secrets_args *a = p;
	return ch_store_org_secrets_get(tx, a->company, a->org, &a->sec);
}

static ch_err secrets_set(int64_t company, int64_t org, const char *identity, const char *channel,
                          const char *url, int prechat)
{
	secrets_args a = {.company = company, .org = org, .identity = identity, .channel = channel,
	                  .url = url, .prechat = prechat};
	return W(job_secrets_set, &a);
}

static ch_err secrets_get(int64_t company, int64_t org, ch_org_secrets *out)
{
	secrets_args a = {.company = company, .org = org};
	ch_err e = R(job_secrets_get, &a);
	*out = a.sec;
	return e;
}

/* ---- clients ----------------------------------------------------------- */

typedef struct client_args {
	int64_t company, org, id;
	int source;
	const char *key, *name, *phone, *email;
	ch_client_row row;
} client_args;

static ch_err job_client_upsert(ch_store_tx *tx, void *p)
{
	client_args *a = p;
	return ch_store_client_upsert(tx, a->company, a->org, a->source, a->key, a->name, a->phone,
	                              a->email, &a->row);
}

static ch_err client_upsert(int64_t company, int64_t org, int source, const char *key,
                            const char *name, const char *phone, const char *email,
                            ch_client_row *row)
{
	client_args a = {.company = company, .org = org, .source = source, .key = key,
	                 .name = name, .phone = phone, .email = email};
	ch_err e = W(job_client_upsert, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err job_client_get(ch_store_tx *tx, void *p)
{
	client_args *a = p;
	return ch_store_client_get(tx, a->company, a->id, &a->row);
}

static ch_err client_get(int64_t company, int64_t id, ch_client_row *row)
{
	client_args a = {.company = company, .id = id};
	ch_err e = R(job_client_get, &a);
	*row = a.row;
	return e;
}

static int64_t new_client(int64_t company, int64_t org, const char *name, const char *phone)
{
	ch_client_row c;
	cr_assert_eq(client_upsert(company, org, CH_SOURCE_WIDGET, NULL, name, phone, NULL, &c),
	             CH_OK);
	return c.id;
}

/* ---- chats ------------------------------------------------------------- */

enum { CHAT_CREATE, CHAT_GET, CHAT_OPEN, CHAT_UPDATE, CHAT_THEME, CHAT_DELETE };

typedef struct chat_args {
	int what;
	int64_t company, org, client, id, op;
	int source, status;
	const char *theme;
	ch_chat_row row;
} chat_args;

static ch_err job_chat(ch_store_tx *tx, void *p)
{
	chat_args *a = p;
	switch (a->what) {
	case CHAT_CREATE:
		return ch_store_chat_create(tx, a->company, a->org, a->client, a->source, a->theme,
		                            &a->row);
	case CHAT_GET:
		return ch_store_chat_get(tx, a->company, a->id, &a->row);
	case CHAT_OPEN:
		return ch_store_chat_open_for_client(tx, a->company, a->client, &a->row);
	case CHAT_UPDATE:
		return ch_store_chat_update(tx, a->company, a->id, a->status, a->op, &a->row);
	case CHAT_THEME:
		return ch_store_chat_set_theme(tx, a->company, a->id, a->theme);
	default:
		return ch_store_chat_delete(tx, a->company, a->id);
	}
}

static ch_err chat_create(int64_t company, int64_t org, int64_t client, int source,
                          const char *theme, ch_chat_row *row)
{
	chat_args a = {.what = CHAT_CREATE, .company = company, .org = org, .client = client,
	               .source = source, .theme = theme};
	ch_err e = W(job_chat, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err chat_get(int64_t company, int64_t id, ch_chat_row *row)
{
	chat_args a = {.what = CHAT_GET, .company = company, .id = id};
	ch_err e = R(job_chat, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err chat_open(int64_t company, int64_t client, ch_chat_row *row)
{
	chat_args a = {.what = CHAT_OPEN, .company = company, .client = client};
	ch_err e = R(job_chat, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err chat_update(int64_t company, int64_t id, int status, int64_t op, ch_chat_row *row)
{
	chat_args a = {.what = CHAT_UPDATE, .company = company, .id = id, .status = status, .op = op};
	ch_err e = W(job_chat, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err chat_theme(int64_t company, int64_t id, const char *theme)
{
	chat_args a = {.what = CHAT_THEME, .company = company, .id = id, .theme = theme};
	return W(job_chat, &a);
}

static ch_err chat_delete(int64_t company, int64_t id)
{
	chat_args a = {.what = CHAT_DELETE, .company = company, .id = id};
	return W(job_chat, &a);
}

/* A new client of the org and its chat (source Widget); returns the chat id. */
static int64_t new_chat(int64_t company, int64_t org, const char *name, const char *phone)
{
	ch_chat_row c;
	int64_t client = new_client(company, org, name, phone);
	cr_assert_eq(chat_create(company, org, client, CH_SOURCE_WIDGET, name, &c), CH_OK);
	return c.id;
}

/* ---- chat list --------------------------------------------------------- */

#define LIST_MAX 64

typedef struct list_args {
	ch_chat_filter f;
	int want_total;
	int64_t total;
	int64_t ids[LIST_MAX];
	ch_chat_row rows[LIST_MAX];
	size_t n;
} list_args;

static void collect_chat(void *ctx, const ch_chat_row *row)
{
	list_args *a = ctx;
	cr_assert_lt(a->n, LIST_MAX);
	a->rows[a->n] = *row;
	a->ids[a->n++] = row->id;
}

static ch_err job_chat_list(ch_store_tx *tx, void *p)
{
	list_args *a = p;
	return ch_store_chat_list(tx, &a->f, a->want_total ? &a->total : NULL, collect_chat, a);
}

/* A filter that matches every chat of the company. */
static ch_chat_filter all_of(int64_t company)
{
	return (ch_chat_filter){.company_id = company, .status = -1, .source = -1};
}

/* Lists into a (heap: rows are big); the caller frees. */
/* What every search does first (svc/search.c): the index catches up with
 * every message committed (in chunks of 7 here, to walk several). */
static ch_err job_catch_up(ch_store_tx *tx, void *p)
{
	int64_t *total = p, n;
	ch_err e;
	do {
		e = ch_store_search_catch_up(tx, 7, &n);
		*total += n;
	} while (!e && n == 7);
	return e;
}

static int64_t catch_up(void)
{
	int64_t total = 0;
	cr_assert_eq(W(job_catch_up, &total), CH_OK);
	return total;
}

static list_args *chat_list(const ch_chat_filter *f)
{
	if (f->search)
		catch_up();
	list_args *a = calloc(1, sizeof *a);
	a->f = *f;
	a->want_total = 1;
	a->total = -1;
	cr_assert_eq(R(job_chat_list, a), CH_OK);
	return a;
}

/* Asserts the list of f is exactly ids (in that order) and total is n. */
static void expect_list(const ch_chat_filter *f, const int64_t *ids, size_t n)
{
	list_args *a = chat_list(f);
	cr_assert_eq(a->n, n, "%zu rows, expected %zu", a->n, n);
	cr_assert_eq(a->total, (int64_t)n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(a->ids[i], ids[i], "row %zu is chat %lld, expected %lld", i,
		             (long long)a->ids[i], (long long)ids[i]);
	free(a);
}

/* ---- operator load ----------------------------------------------------- */

typedef struct load_args {
	int64_t company, org;
	int64_t ops[16], counts[16];
	size_t n;
} load_args;

static void collect_load(void *ctx, int64_t op, int64_t n)
{
	load_args *a = ctx;
	cr_assert_lt(a->n, 16);
	a->ops[a->n] = op;
	a->counts[a->n++] = n;
}

static ch_err job_load(ch_store_tx *tx, void *p)
{
	load_args *a = p;
	return ch_store_operator_load(tx, a->company, a->org, collect_load, a);
}

static ch_err operator_load(int64_t company, int64_t org, load_args *out)
{
	*out = (load_args){.company = company, .org = org};
	return R(job_load, out);
}

/* ---- messages ---------------------------------------------------------- */

typedef struct append_args {
	ch_message_new m;
	ch_message_row *row;
	int dup;
} append_args;

static ch_err job_append(ch_store_tx *tx, void *p)
{
	append_args *a = p;
	return ch_store_message_append(tx, &a->m, NULL, a->row, &a->dup);
}

/* Appends m; *row (may be NULL) and *dup (may be NULL) get the outcome. */
static ch_err append(const ch_message_new *m, ch_message_row *row, int *dup)
{
	append_args a = {.m = *m, .row = row ? row : malloc(sizeof *row), .dup = -1};
	ch_err e = W(job_append, &a);
	if (dup)
		*dup = a.dup;
	if (!row)
		free(a.row);
	return e;
}

/* A message without media; returns its seq (asserts success). */
static int64_t say(int64_t company, int64_t chat, int author, int64_t op, const char *text)
{
	ch_message_row *row = malloc(sizeof *row);
	ch_message_new m = {.company_id = company, .chat_id = chat, .author = author,
	                    .operator_id = op, .text = text, .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&m, row, NULL), CH_OK);
	int64_t seq = row->seq;
	free(row);
	return seq;
}

#define MSG_MAX 64

typedef struct msgs_args {
	int64_t company, chat, after, before, limit;
	int reader;
	int64_t upto;
	int64_t seqs[MSG_MAX];
	int64_t ids[MSG_MAX];
	int statuses[MSG_MAX];
	size_t n;
	int use_store_in_callback;
	ch_store_tx *tx;
	ch_err inner;
} msgs_args;

static void collect_msg(void *ctx, const ch_message_row *row)
{
	msgs_args *a = ctx;
	cr_assert_lt(a->n, MSG_MAX);
	a->seqs[a->n] = row->seq;
	a->ids[a->n] = row->id;
	a->statuses[a->n++] = row->status;
	if (a->use_store_in_callback) {
		ch_chat_row c;
		a->inner = ch_store_chat_get(a->tx, a->company, a->chat, &c);
	}
}

static ch_err job_msg_list(ch_store_tx *tx, void *p)
{
	msgs_args *a = p;
	return ch_store_message_list(tx, a->company, a->chat, a->after, a->before, a->limit,
	                             collect_msg, a);
}

/* Lists seqs into out (ascending order as returned); returns the error. */
static ch_err msg_list(int64_t company, int64_t chat, int64_t after, int64_t before, int64_t limit,
                       msgs_args *out)
{
	*out = (msgs_args){.company = company, .chat = chat, .after = after, .before = before,
	                   .limit = limit};
	return R(job_msg_list, out);
}

static void expect_seqs(const msgs_args *a, int64_t first, int64_t last)
{
	cr_assert_eq(a->n, (size_t)(last - first + 1), "%zu messages, expected %lld..%lld", a->n,
	             (long long)first, (long long)last);
	for (size_t i = 0; i < a->n; i++)
		cr_assert_eq(a->seqs[i], first + (int64_t)i);
}

static ch_err job_mark_read(ch_store_tx *tx, void *p)
{
	msgs_args *a = p;
	a->tx = tx;
	return ch_store_chat_mark_read(tx, a->company, a->chat, a->reader, a->upto, collect_msg, a);
}

static ch_err mark_read(int64_t company, int64_t chat, int reader, int64_t upto, msgs_args *out)
{
	*out = (msgs_args){.company = company, .chat = chat, .reader = reader, .upto = upto,
	                   .use_store_in_callback = 1};
	return W(job_mark_read, out);
}

/* Status of the chat's first n messages, by seq (index seq - 1). */
static void statuses(int64_t company, int64_t chat, int *out, size_t n)
{
	msgs_args a;
	cr_assert_eq(msg_list(company, chat, 0, (int64_t)n + 1, 0, &a), CH_OK);
	cr_assert_eq(a.n, n);
	for (size_t i = 0; i < n; i++)
		out[i] = a.statuses[i];
}

/* ---- media ------------------------------------------------------------- */

typedef struct media_args {
	int64_t company, chat, id;
	const char *name, *format;
	int type;
	const void *data;
	size_t len;
	ch_media_row row;
	void *got;
} media_args;

static ch_err job_media_put(ch_store_tx *tx, void *p)
{
	media_args *a = p;
	return ch_store_media_put(tx, a->company, a->chat, a->name, a->format, a->type, a->data,
	                          a->len, &a->row);
}

static ch_err media_put(int64_t company, int64_t chat, const char *name, const void *data,
                        size_t len, ch_media_row *row)
{
	media_args a = {.company = company, .chat = chat, .name = name, .format = "image/png",
	                .type = CH_MEDIA_PHOTO, .data = data, .len = len};
	ch_err e = W(job_media_put, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err job_media_get(ch_store_tx *tx, void *p)
{
	media_args *a = p;
	return ch_store_media_get(tx, a->company, a->id, &a->row, &a->got);
}

/* *data (when the call succeeds) is the caller's to free. */
static ch_err media_get(int64_t company, int64_t id, ch_media_row *row, void **data)
{
	media_args a = {.company = company, .id = id};
	ch_err e = R(job_media_get, &a);
	if (row)
		*row = a.row;
	if (data)
		*data = a.got;
	else
		free(a.got);
	return e;
}

/* ---- channels and deliveries ------------------------------------------ */

typedef struct channel_args {
	int64_t company, org, message, first, id, now, limit;
	const char *ext;
	int status, attempts;
	int64_t next;
	const char *error;
	ch_delivery_row rows[16];
	size_t n;
} channel_args;

static ch_err job_dedupe(ch_store_tx *tx, void *p)
{
	channel_args *a = p;
	return ch_store_channel_dedupe(tx, a->org, a->ext, a->message, &a->first);
}

static ch_err dedupe(int64_t org, const char *ext, int64_t message, int64_t *first)
{
	channel_args a = {.org = org, .ext = ext, .message = message, .first = -1};
	ch_err e = W(job_dedupe, &a);
	if (first)
		*first = a.first;
	return e;
}

static ch_err job_channel_find(ch_store_tx *tx, void *p)
{
	channel_args *a = p;
	return ch_store_channel_find(tx, a->org, a->ext, &a->first);
}

/* ch_store_channel_find: *first gets the message (0 when it was deleted). */
static ch_err channel_find(int64_t org, const char *ext, int64_t *first)
{
	channel_args a = {.org = org, .ext = ext, .first = -1};
	ch_err e = W(job_channel_find, &a);
	if (first)
		*first = a.first;
	return e;
}

static ch_err job_delivery_add(ch_store_tx *tx, void *p)
{
	channel_args *a = p;
	return ch_store_delivery_add(tx, a->company, a->org, a->message, a->ext, &a->id);
}

static ch_err delivery_add(int64_t company, int64_t org, int64_t message, const char *event,
                           int64_t *id)
{
	channel_args a = {.company = company, .org = org, .message = message, .ext = event};
	ch_err e = W(job_delivery_add, &a);
	if (id)
		*id = a.id;
	return e;
}

static void collect_delivery(void *ctx, const ch_delivery_row *row)
{
	channel_args *a = ctx;
	cr_assert_lt(a->n, 16);
	a->rows[a->n++] = *row;
}

static ch_err job_delivery_due(ch_store_tx *tx, void *p)
{
	channel_args *a = p;
	return ch_store_delivery_due(tx, a->now, a->limit, collect_delivery, a);
}

static channel_args *delivery_due(int64_t now, int64_t limit)
{
	channel_args *a = calloc(1, sizeof *a);
	a->now = now;
	a->limit = limit;
	cr_assert_eq(R(job_delivery_due, a), CH_OK);
	return a;
}

static ch_err job_delivery_update(ch_store_tx *tx, void *p)
{
	channel_args *a = p;
	return ch_store_delivery_update(tx, a->id, a->status, a->attempts, a->next, a->error, NULL);
}

static ch_err delivery_update(int64_t id, int status, int attempts, int64_t next, const char *error)
{
	channel_args a = {.id = id, .status = status, .attempts = attempts, .next = next,
	                  .error = error};
	return W(job_delivery_update, &a);
}

/* The id of the message with that seq (asserts it exists). */
static int64_t message_id(int64_t company, int64_t chat, int64_t seq)
{
	msgs_args a;
	cr_assert_eq(msg_list(company, chat, seq - 1, seq + 1, 0, &a), CH_OK);
	cr_assert_eq(a.n, 1);
	return a.ids[0];
}

/* ---- schema ------------------------------------------------------------ */

Test(chats, migration_002_is_applied)
{
	cr_assert_geq(g_applied, 2);
	cr_assert_geq(ch_store_schema_version(g_store), 2);
}

/* ---- org secrets ------------------------------------------------------- */

Test(chats, org_secrets_default_partial_update_and_scope)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_org_secrets s;
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, "");
	cr_assert_str_eq(s.channel_secret, "");
	cr_assert_str_eq(s.outbound_url, "");
	cr_assert_eq(s.prechat_form, 0);

	cr_assert_eq(secrets_set(a.company, a.org, "id-secret", "ch-secret", "https://x.example/in", 1),
	             CH_OK);
	cr_assert_eq(secrets_set(a.company, a.org, NULL, "ch-2", NULL, -1), CH_OK);
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, "id-secret", "NULL leaves it");
	cr_assert_str_eq(s.channel_secret, "ch-2");
	cr_assert_str_eq(s.outbound_url, "https://x.example/in");
	cr_assert_eq(s.prechat_form, 1, "negative leaves it");
	cr_assert_eq(secrets_set(a.company, a.org, "", NULL, "", 0), CH_OK);
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, "", "an empty string clears");
	cr_assert_str_eq(s.outbound_url, "");
	cr_assert_eq(s.prechat_form, 0);

	/* Maximum lengths round-trip, one more byte is refused. */
	char secret[65], url[1025];
	memset(secret, 's', 64);
	secret[64] = '\0';
	memset(url, 'u', 1024);
	url[1024] = '\0';
	cr_assert_eq(secrets_set(a.company, a.org, secret, secret, url, -1), CH_OK);
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, secret);
	cr_assert_str_eq(s.outbound_url, url);
	char long_secret[66];
	memset(long_secret, 's', 65);
	long_secret[65] = '\0';
	cr_assert_eq(secrets_set(a.company, a.org, long_secret, NULL, NULL, -1), CH_ERR_OUT_OF_RANGE);

	/* Another company's organization reads as missing, and is left alone. */
	cr_assert_eq(secrets_get(b.company, a.org, &s), CH_ERR_NOT_FOUND);
	cr_assert_eq(secrets_set(b.company, a.org, "evil", "evil", "https://evil", 0),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(secrets_get(a.company, a.org + 1000, &s), CH_ERR_NOT_FOUND);
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, secret);
	cr_assert_eq(secrets_get(a.company, a.org2, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, "", "the other org is untouched");
}

/* ---- clients ----------------------------------------------------------- */

Test(chats, client_upsert_by_key_and_anonymous)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_client_row c1, c2, got;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-1", "Ivan", "+100", NULL,
	                           &c1),
	             CH_OK);
	cr_assert_eq(c1.company_id, a.company);
	cr_assert_eq(c1.organization_id, a.org);
	cr_assert_eq(c1.source, CH_SOURCE_TELEGRAM);
	cr_assert_str_eq(c1.name, "Ivan");
	cr_assert_str_eq(c1.phone, "+100");
	cr_assert_str_eq(c1.email, "");
	cr_assert(c1.has_external_key);
	cr_assert_str_eq(c1.external_key, "tg-1");
	cr_assert_gt(c1.created_at, 0);

	/* Same (org, source, key): the same client; non-empty fields update,
	 * NULL and empty ones are kept. */
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-1", "", NULL,
	                           "ivan@example.com", &c2),
	             CH_OK);
	cr_assert_eq(c2.id, c1.id);
	cr_assert_str_eq(c2.name, "Ivan");
	cr_assert_str_eq(c2.phone, "+100");
	cr_assert_str_eq(c2.email, "ivan@example.com");
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-1", "Ivan P", "+200",
	                           NULL, &c2),
	             CH_OK);
	cr_assert_eq(c2.id, c1.id);
	cr_assert_str_eq(c2.name, "Ivan P");
	cr_assert_str_eq(c2.phone, "+200");
	cr_assert_str_eq(c2.email, "ivan@example.com");
	cr_assert_eq(client_get(a.company, c1.id, &got), CH_OK);
	cr_assert_str_eq(got.name, "Ivan P");

	/* The key is per source and per organization. */
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_VIBER, "tg-1", "V", NULL, NULL, &c2),
	             CH_OK);
	cr_assert_neq(c2.id, c1.id);
	cr_assert_eq(client_upsert(a.company, a.org2, CH_SOURCE_TELEGRAM, "tg-1", "O", NULL, NULL,
	                           &c2),
	             CH_OK);
	cr_assert_neq(c2.id, c1.id);
	cr_assert_eq(c2.organization_id, a.org2);

	/* Without a key, every call creates. */
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, NULL, "Anon", NULL, NULL, &c1),
	             CH_OK);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, NULL, "Anon", NULL, NULL, &c2),
	             CH_OK);
	cr_assert_neq(c1.id, c2.id);
	cr_assert_not(c1.has_external_key);
	cr_assert_str_eq(c1.external_key, "");

	/* Scope and validation. */
	cr_assert_eq(client_get(b.company, c1.id, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(client_get(a.company, c2.id + 1000, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(client_upsert(b.company, a.org, CH_SOURCE_TELEGRAM, "tg-1", "Evil", "666", NULL,
	                           &got),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(client_upsert(a.company, a.org, 0, "k", "X", NULL, NULL, &got),
	             CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(client_upsert(a.company, a.org, 5, "k", "X", NULL, NULL, &got),
	             CH_ERR_OUT_OF_RANGE);
	char phone[CH_PHONE_MAX + 2];
	memset(phone, '1', CH_PHONE_MAX + 1);
	phone[CH_PHONE_MAX + 1] = '\0';
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_API, NULL, "X", phone, NULL, &got),
	             CH_ERR_OUT_OF_RANGE);
	phone[CH_PHONE_MAX] = '\0';
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_API, NULL, "X", phone, NULL, &got),
	             CH_OK);
	cr_assert_str_eq(got.phone, phone);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-1", NULL, NULL, NULL,
	                           &got),
	             CH_OK);
	cr_assert_str_eq(got.name, "Ivan P", "B's attempt changed nothing");
	cr_assert_str_eq(got.phone, "+200");
}

Test(chats, client_upsert_refuses_text_that_is_not_utf8)
{
	world a = seed("a", 1);
	ch_client_row c, got;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-9", "Zoë", "+1", "z@example.com", &c),
	             CH_OK);
	/* a character cut in half, a lone continuation byte, an overlong '/' */
	static const char *const bad[] = {"a\xc3", "\x80x", "\xc0\xaf"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-9", bad[i], NULL, NULL, &got),
		             CH_ERR_BAD_JSON, "name %zu", i);
		cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-9", NULL, bad[i], NULL, &got),
		             CH_ERR_BAD_JSON, "phone %zu", i);
		cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "tg-9", NULL, NULL, bad[i], &got),
		             CH_ERR_BAD_JSON, "email %zu", i);
		cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, NULL, bad[i], NULL, NULL, &got),
		             CH_ERR_BAD_JSON, "new client %zu", i);
	}
	cr_assert_eq(client_get(a.company, c.id, &got), CH_OK);
	cr_assert_str_eq(got.name, "Zoë", "nothing was stored");
	cr_assert_str_eq(got.phone, "+1");
	cr_assert_str_eq(got.email, "z@example.com");
	cr_assert_eq(client_get(a.company, c.id + 1, &got), CH_ERR_NOT_FOUND, "no new client either");
}

/* ---- a client's profile (migration 013) -------------------------------- */

typedef struct client_change_args {
	int64_t company, id;
	ch_client_change ch;
	ch_client_row row;
} client_change_args;

static ch_err job_client_change(ch_store_tx *tx, void *p)
{
	client_change_args *a = p;
	return ch_store_client_update(tx, a->company, a->id, &a->ch, &a->row);
}

/* ch applied to the client; *row (may be NULL) gets the row the write answered. */
static ch_err client_change(int64_t company, int64_t id, ch_client_change ch, ch_client_row *row)
{
	client_change_args *a = calloc(1, sizeof *a);
	*a = (client_change_args){.company = company, .id = id, .ch = ch};
	ch_err e = W(job_client_change, a);
	if (row)
		*row = a->row;
	free(a);
	return e;
}

static void wait_next_ms(void)
{
	int64_t t = now_ms();
	while (now_ms() == t)
		;
}

Test(chats, client_profile_fields_round_trip_and_scope)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_client_row *c = calloc(1, sizeof *c), *got = calloc(1, sizeof *got);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, NULL, "Zoë", NULL, NULL, c), CH_OK);
	cr_assert_str_eq(c->attributes, "{}", "no attributes yet");
	cr_assert_str_eq(c->verified_keys, "[]");
	cr_assert_str_eq(c->page_url, "");
	cr_assert_eq(c->updated_at, c->created_at, "first seen = last change at first");
	cr_assert_eq(c->chats_count, 0);
	wait_next_ms();

	ch_client_change ch = {.page_url = "https://shop.example/cart?x=1", .referrer = "https://search.example/",
	                       .language = "uk-UA", .user_agent = "Mozilla/5.0 (X11) Тест",
	                       .attributes = "{\"plan\":\"pro\",\"seats\":5,\"vip\":true}",
	                       .verified_keys = "[\"plan\"]", .email = "zoe@example.com", .phone = "+380"};
	cr_assert_eq(client_change(a.company, c->id, ch, got), CH_OK);
	cr_assert_str_eq(got->page_url, "https://shop.example/cart?x=1");
	cr_assert_str_eq(got->referrer, "https://search.example/");
	cr_assert_str_eq(got->language, "uk-UA");
	cr_assert_str_eq(got->user_agent, "Mozilla/5.0 (X11) Тест");
	cr_assert_str_eq(got->attributes, "{\"plan\":\"pro\",\"seats\":5,\"vip\":true}");
	cr_assert_str_eq(got->verified_keys, "[\"plan\"]");
	cr_assert_str_eq(got->name, "Zoë", "NULL keeps a field");
	cr_assert_str_eq(got->email, "zoe@example.com");
	cr_assert_str_eq(got->phone, "+380");
	cr_assert_gt(got->updated_at, got->created_at, "the change moved updated_at");
	cr_assert_eq(got->created_at, c->created_at, "first seen stays");

	cr_assert_eq(client_get(a.company, c->id, c), CH_OK);
	cr_assert_str_eq(c->page_url, got->page_url, "a read returns what the write answered");
	cr_assert_str_eq(c->attributes, got->attributes);
	cr_assert_eq(c->updated_at, got->updated_at);

	/* "" clears a text field; the rest is kept */
	cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.email = "", .referrer = ""}, got), CH_OK);
	cr_assert_str_eq(got->email, "");
	cr_assert_str_eq(got->referrer, "");
	cr_assert_str_eq(got->page_url, "https://shop.example/cart?x=1");

	/* chats_count counts every chat of the client, of any status */
	cr_assert_eq(chat_create(a.company, a.org, c->id, CH_SOURCE_WIDGET, "one", NULL), CH_OK);
	ch_chat_row chat;
	cr_assert_eq(chat_create(a.company, a.org, c->id, CH_SOURCE_WIDGET, "two", &chat), CH_OK);
	cr_assert_eq(chat_update(a.company, chat.id, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	new_chat(a.company, a.org, "Other", NULL);
	cr_assert_eq(client_get(a.company, c->id, got), CH_OK);
	cr_assert_eq(got->chats_count, 2);

	/* another company's client is not found, and nothing changes */
	cr_assert_eq(client_change(b.company, c->id, (ch_client_change){.name = "Eve"}, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(client_change(a.company, c->id + 1000, (ch_client_change){.name = "Eve"}, NULL),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(client_get(a.company, c->id, got), CH_OK);
	cr_assert_str_eq(got->name, "Zoë");
	free(c);
	free(got);
}

Test(chats, client_profile_bounds_and_refusals)
{
	world a = seed("a", 1);
	ch_client_row *c = calloc(1, sizeof *c), *got = calloc(1, sizeof *got);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, NULL, "Ann", NULL, NULL, c), CH_OK);
	char *big = malloc(CH_ATTRS_JSON_MAX + 8);

	/* every field at its bound round-trips; one byte more is refused */
	struct {
		size_t max;
		const char **field;
	} f[4];
	ch_client_change ch = {0};
	f[0].max = CH_URL_MAX, f[0].field = &ch.page_url;
	f[1].max = CH_URL_MAX, f[1].field = &ch.referrer;
	f[2].max = CH_LANGUAGE_MAX, f[2].field = &ch.language;
	f[3].max = CH_USER_AGENT_MAX, f[3].field = &ch.user_agent;
	for (int i = 0; i < 4; i++) {
		memset(big, 'u', f[i].max + 1);
		big[f[i].max + 1] = '\0';
		ch = (ch_client_change){0};
		*f[i].field = big;
		cr_assert_eq(client_change(a.company, c->id, ch, NULL), CH_ERR_OUT_OF_RANGE, "field %d over", i);
		big[f[i].max] = '\0';
		cr_assert_eq(client_change(a.company, c->id, ch, got), CH_OK, "field %d at its bound", i);
	}
	cr_assert_eq(strlen(got->user_agent), CH_USER_AGENT_MAX);
	cr_assert_eq(strlen(got->page_url), CH_URL_MAX);

	/* attributes: a JSON object of at most CH_ATTRS_JSON_MAX bytes */
	memset(big, 'v', CH_ATTRS_JSON_MAX);
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + CH_ATTRS_JSON_MAX - 2, "\"}", 3);
	cr_assert_eq(strlen(big), CH_ATTRS_JSON_MAX);
	cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.attributes = big}, got), CH_OK);
	cr_assert_eq(strlen(got->attributes), CH_ATTRS_JSON_MAX, "the largest object round-trips");
	cr_assert_eq(client_get(a.company, c->id, got), CH_OK);
	cr_assert_eq(strcmp(got->attributes, big), 0);
	static const char *const not_object[] = {"[1]", "\"x\"", "{", "", "{\"a\":1,\"a\":2}"};
	for (size_t i = 0; i < sizeof not_object / sizeof not_object[0]; i++)
		cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.attributes = not_object[i]}, NULL),
		             CH_ERR_OUT_OF_RANGE, "attributes %zu", i);
	static const char *const not_keys[] = {"{}", "[1]", "[\"a\",null]"};
	for (size_t i = 0; i < sizeof not_keys / sizeof not_keys[0]; i++)
		cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.verified_keys = not_keys[i]}, NULL),
		             CH_ERR_OUT_OF_RANGE, "verified keys %zu", i);

	/* text that is not UTF-8 is refused whole: nothing of the change is stored */
	cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.page_url = "https://ok/", .language = "a\xc3"},
	                           NULL),
	             CH_ERR_BAD_JSON);
	cr_assert_eq(client_change(a.company, c->id, (ch_client_change){.user_agent = "\xc0\xaf"}, NULL),
	             CH_ERR_BAD_JSON);
	cr_assert_eq(client_get(a.company, c->id, got), CH_OK);
	cr_assert_neq(strcmp(got->page_url, "https://ok/"), 0, "nothing was stored");
	free(big);
	free(c);
	free(got);
}

/* ---- chats ------------------------------------------------------------- */

Test(chats, chat_create_get_and_scope)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t client = new_client(a.company, a.org, "Olga", "+7900");
	int64_t before = now_ms();
	ch_chat_row c, got;
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_TELEGRAM, "Refund", &c), CH_OK);
	cr_assert_gt(c.id, 0);
	cr_assert_eq(c.company_id, a.company);
	cr_assert_eq(c.organization_id, a.org);
	cr_assert_eq(c.client_id, client);
	cr_assert_eq(c.operator_id, 0);
	cr_assert_eq(c.source, CH_SOURCE_TELEGRAM);
	cr_assert_eq(c.status, CH_CHAT_NEW);
	cr_assert_str_eq(c.theme, "Refund");
	cr_assert_eq(c.last_seq, 0);
	cr_assert_eq(c.operator_read_seq, 0);
	cr_assert_eq(c.client_read_seq, 0);
	cr_assert_eq(c.count_unread, 0);
	cr_assert_geq(c.created_at, before);
	cr_assert_eq(c.last_message_at, 0);
	cr_assert_eq(c.queued_at, c.created_at, "a new chat is queued from its creation");
	cr_assert_str_eq(c.operator_name, "");
	cr_assert_str_eq(c.client_name, "Olga");
	cr_assert_str_eq(c.client_phone, "+7900");
	cr_assert_str_eq(c.last_message, "");
	cr_assert_eq(chat_get(a.company, c.id, &got), CH_OK);
	cr_assert_eq(got.id, c.id, "create returns what get reads");
	cr_assert_eq(got.created_at, c.created_at);
	cr_assert_eq(got.queued_at, c.queued_at);
	cr_assert_str_eq(got.theme, c.theme);
	cr_assert_str_eq(got.client_name, c.client_name);

	cr_assert_eq(chat_get(b.company, c.id, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_get(a.company, c.id + 100, &got), CH_ERR_NOT_FOUND);
	/* A client of another company, or of another org of the same company. */
	int64_t b_client = new_client(b.company, b.org, "B", NULL);
	cr_assert_eq(chat_create(a.company, a.org, b_client, CH_SOURCE_API, "x", &got),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_create(b.company, a.org, client, CH_SOURCE_API, "x", &got),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_create(a.company, a.org2, client, CH_SOURCE_API, "x", &got),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_create(a.company, a.org, client, 9, "x", &got), CH_ERR_OUT_OF_RANGE);

	/* Theme. */
	cr_assert_eq(chat_theme(a.company, c.id, "Refund, urgent"), CH_OK);
	cr_assert_eq(chat_theme(b.company, c.id, "hijacked"), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_get(a.company, c.id, &got), CH_OK);
	cr_assert_str_eq(got.theme, "Refund, urgent");
}

Test(chats, chat_update_status_operator_and_queue_time)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	ch_chat_row c, got;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	int64_t queued = c.queued_at;

	tick();
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, a.op1, &got), CH_OK);
	cr_assert_eq(got.status, CH_CHAT_OPEN);
	cr_assert_eq(got.operator_id, a.op1);
	cr_assert_str_eq(got.operator_name, "Anna");
	cr_assert_eq(got.queued_at, queued, "assignment keeps queued_at");

	/* Back to the queue: New and unassigned is queued again, now. */
	int64_t t = tick();
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_NEW, 0, &got), CH_OK);
	cr_assert_eq(got.operator_id, 0);
	cr_assert_str_eq(got.operator_name, "");
	cr_assert_geq(got.queued_at, t);
	queued = got.queued_at;
	/* Already queued: setting it again keeps its place in the queue. */
	tick();
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_NEW, 0, &got), CH_OK);
	cr_assert_eq(got.queued_at, queued);
	/* New but assigned, or unassigned but not New, is not queued. */
	tick();
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_NEW, a.op2, &got), CH_OK);
	cr_assert_eq(got.queued_at, queued);
	cr_assert_str_eq(got.operator_name, "Boris");
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_CLOSED, 0, &got), CH_OK);
	cr_assert_eq(got.queued_at, queued);
	cr_assert_eq(got.status, CH_CHAT_CLOSED);
	t = tick();
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_NEW, 0, &got), CH_OK);
	cr_assert_geq(got.queued_at, t, "a reopened chat is queued again");

	/* Refusals change nothing. */
	cr_assert_eq(chat_update(b.company, chat, CH_CHAT_OPEN, 0, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_update(a.company, chat + 100, CH_CHAT_OPEN, 0, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, b.op1, &got), CH_ERR_NOT_FOUND,
	             "another company's operator");
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, a.op3, &got), CH_ERR_NOT_FOUND,
	             "an operator of another organization");
	cr_assert_eq(chat_update(a.company, chat, 5, 0, &got), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(chat_update(a.company, chat, -1, 0, &got), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, -3, &got), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(chat_get(a.company, chat, &got), CH_OK);
	cr_assert_eq(got.status, CH_CHAT_NEW);
	cr_assert_eq(got.operator_id, 0);
}

Test(chats, open_for_client_is_the_newest_not_closed)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t client = new_client(a.company, a.org, "Olga", NULL);
	ch_chat_row c1, c2, c3, got;
	cr_assert_eq(chat_open(a.company, client, &got), CH_ERR_NOT_FOUND, "no chat yet");
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_WIDGET, "1", &c1), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_WIDGET, "2", &c2), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_WIDGET, "3", &c3), CH_OK);
	int64_t other = new_chat(a.company, a.org, "Someone else", NULL);
	cr_assert_eq(chat_open(a.company, client, &got), CH_OK);
	cr_assert_eq(got.id, c3.id);
	cr_assert_eq(chat_update(a.company, c3.id, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	cr_assert_eq(chat_open(a.company, client, &got), CH_OK);
	cr_assert_eq(got.id, c2.id, "the newest chat that is not Closed");
	cr_assert_eq(chat_update(a.company, c2.id, CH_CHAT_ON_PAUSE, a.op1, NULL), CH_OK);
	cr_assert_eq(chat_open(a.company, client, &got), CH_OK);
	cr_assert_eq(got.id, c2.id, "OnPause is not Closed");
	cr_assert_str_eq(got.operator_name, "Anna");
	cr_assert_eq(chat_update(a.company, c2.id, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	cr_assert_eq(chat_update(a.company, c1.id, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	cr_assert_eq(chat_open(a.company, client, &got), CH_ERR_NOT_FOUND, "all closed");
	cr_assert_eq(chat_update(a.company, c1.id, CH_CHAT_NEW, 0, NULL), CH_OK);
	cr_assert_eq(chat_open(a.company, client, &got), CH_OK);
	cr_assert_eq(got.id, c1.id);
	cr_assert_eq(chat_open(b.company, client, &got), CH_ERR_NOT_FOUND);
	(void)other;
}

/* ---- messages: append -------------------------------------------------- */

Test(chats, append_numbers_seq_and_moves_the_chat)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t other = new_chat(a.company, a.org, "Petr", NULL);
	ch_message_row *m = malloc(sizeof *m);
	ch_chat_row c;
	int dup = -1;
	int64_t before = now_ms();
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "hello", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, &dup), CH_OK);
	cr_assert_eq(dup, 0);
	cr_assert_gt(m->id, 0);
	cr_assert_eq(m->chat_id, chat);
	cr_assert_eq(m->company_id, a.company);
	cr_assert_eq(m->seq, 1);
	cr_assert_eq(m->author, CH_AUTHOR_CLIENT);
	cr_assert_eq(m->operator_id, 0);
	cr_assert_str_eq(m->operator_name, "");
	cr_assert_str_eq(m->text, "hello");
	cr_assert_eq(m->status, CH_MSG_SUCCESS);
	cr_assert_not(m->has_media);
	cr_assert_not(m->has_client_message_id);
	cr_assert_geq(m->created_at, before);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, 1);
	cr_assert_eq(c.last_message_at, m->created_at);
	cr_assert_str_eq(c.last_message, "hello");

	/* An operator's message: operator_name comes from the operator. */
	n = (ch_message_new){.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_OPERATOR,
	                     .operator_id = a.op1, .text = "hi, how can I help?",
	                     .status = CH_MSG_NEW};
	cr_assert_eq(append(&n, m, &dup), CH_OK);
	cr_assert_eq(m->seq, 2);
	cr_assert_eq(m->operator_id, a.op1);
	cr_assert_str_eq(m->operator_name, "Anna");
	cr_assert_eq(m->status, CH_MSG_NEW);
	/* NULL text is "", a system message has no operator. */
	n = (ch_message_new){.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_SYSTEM,
	                     .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, &dup), CH_OK);
	cr_assert_eq(m->seq, 3);
	cr_assert_str_eq(m->text, "");

	/* seq is per chat, with no gaps. */
	cr_assert_eq(say(a.company, other, CH_AUTHOR_CLIENT, 0, "other 1"), 1);
	for (int i = 4; i <= 20; i++)
		cr_assert_eq(say(a.company, chat, CH_AUTHOR_CLIENT, 0, "more"), i);
	cr_assert_eq(say(a.company, other, CH_AUTHOR_CLIENT, 0, "other 2"), 2);
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 20);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, 20);
	cr_assert_str_eq(c.last_message, "more");
	cr_assert_eq(chat_get(a.company, other, &c), CH_OK);
	cr_assert_eq(c.last_seq, 2);
	cr_assert_str_eq(c.last_message, "other 2");
	free(m);
}

Test(chats, append_refusals_write_nothing)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t b_chat = new_chat(b.company, b.org, "Bob", NULL);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "first");
	ch_message_row *m = malloc(sizeof *m);
	ch_message_new n = {.company_id = b.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "intruder", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, NULL), CH_ERR_NOT_FOUND, "another company's chat");
	n.company_id = a.company;
	n.chat_id = chat + 1000;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_NOT_FOUND, "a missing chat");
	n.chat_id = chat;
	n.author = CH_AUTHOR_OPERATOR;
	n.operator_id = b.op1;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_NOT_FOUND, "another company's operator");
	n.operator_id = 0;
	n.author = 3;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_OUT_OF_RANGE);
	n.author = CH_AUTHOR_CLIENT;
	n.status = 4;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_OUT_OF_RANGE);
	n.status = CH_MSG_SUCCESS;
	ch_media_row b_media;
	cr_assert_eq(media_put(b.company, b_chat, "b.png", "x", 1, &b_media), CH_OK);
	n.media_id = b_media.id;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_NOT_FOUND, "another company's media");

	/* Text: CH_TEXT_MAX_BYTES round-trips, one byte more is refused. */
	char *text = malloc(CH_TEXT_MAX_BYTES + 2);
	for (int i = 0; i < CH_TEXT_MAX_BYTES; i += 4)
		memcpy(text + i, "\xf0\x9f\x98\x80", 4); /* U+1F600, 4 bytes */
	text[CH_TEXT_MAX_BYTES] = 'x';
	text[CH_TEXT_MAX_BYTES + 1] = '\0';
	n.media_id = 0;
	n.text = text;
	cr_assert_eq(append(&n, m, NULL), CH_ERR_OUT_OF_RANGE);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, 1, "no refusal wrote a message");
	cr_assert_str_eq(c.last_message, "first");
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 1);

	text[CH_TEXT_MAX_BYTES] = '\0';
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	cr_assert_eq(m->seq, 2, "no gap after refusals");
	cr_assert_eq(strlen(m->text), (size_t)CH_TEXT_MAX_BYTES);
	cr_assert_eq(memcmp(m->text, text, CH_TEXT_MAX_BYTES), 0);
	free(text);
	free(m);
}

Test(chats, preview_is_cut_on_a_utf8_boundary)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	ch_chat_row c;
	/* "a" + 2-byte characters: byte 256 falls inside a character. */
	char text[600];
	text[0] = 'a';
	for (int i = 1; i < 599; i += 2)
		memcpy(text + i, "\xc3\xa9", 2);
	text[599] = '\0';
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, text);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(strlen(c.last_message), 255);
	cr_assert_eq(memcmp(c.last_message, text, 255), 0);
	/* "ab" + 4-byte characters: the cut moves back to 254. */
	text[1] = 'b';
	for (int i = 2; i + 4 <= 598; i += 4)
		memcpy(text + i, "\xf0\x9f\x98\x80", 4);
	text[598] = '\0';
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, text);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(strlen(c.last_message), 254);
	cr_assert_eq(memcmp(c.last_message, text, 254), 0);
	/* Exactly CH_PREVIEW_MAX bytes are kept whole, shorter ones as they are. */
	memset(text, 'z', CH_PREVIEW_MAX);
	text[CH_PREVIEW_MAX] = '\0';
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, text);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, text);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "\xc3\xa9t\xc3\xa9");
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "\xc3\xa9t\xc3\xa9");
	/* The message itself keeps its whole text. */
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 4);
}

Test(chats, media_message_fills_media_and_previews_its_name)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t other = new_chat(a.company, a.org, "Petr", NULL);
	ch_media_row md, other_md;
	cr_assert_eq(media_put(a.company, chat, "invoice.png", "\x89PNG", 4, &md), CH_OK);
	cr_assert_eq(media_put(a.company, other, "other.png", "\x89PNG", 4, &other_md), CH_OK);
	ch_message_row *m = malloc(sizeof *m);
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .media_id = other_md.id, .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, NULL), CH_ERR_NOT_FOUND, "media of another chat");
	n.media_id = md.id;
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	cr_assert_eq(m->seq, 1);
	cr_assert(m->has_media);
	cr_assert_eq(m->media.id, md.id);
	cr_assert_eq(m->media.chat_id, chat);
	cr_assert_eq(m->media.company_id, a.company);
	cr_assert_str_eq(m->media.name, "invoice.png");
	cr_assert_str_eq(m->media.format, "image/png");
	cr_assert_eq(m->media.type, CH_MEDIA_PHOTO);
	cr_assert_eq(m->media.size, 4);
	cr_assert_str_eq(m->text, "");
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "invoice.png", "a media-only message previews its name");
	/* With a caption the text is the preview; list rows carry the media too. */
	n.text = "see attached";
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "see attached");
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 2);
	free(m);
}

typedef struct wrong_row_args {
	ch_message_new m;
	ch_chat_row *chat;
	ch_message_row *out;
} wrong_row_args;

static ch_err job_append_wrong_row(ch_store_tx *tx, void *p)
{
	wrong_row_args *x = p;
	return ch_store_message_append(tx, &x->m, x->chat, x->out, NULL);
}

/* An append with the caller's chat row and message row gives both exactly
 * what reading them back in the same job gives. */
typedef struct append_vs_read {
	ch_message_new m;
	ch_message_row *out, *read;
	ch_chat_row moved, fresh;
} append_vs_read;

static ch_err job_append_vs_read(ch_store_tx *tx, void *p)
{
	append_vs_read *x = p;
	ch_err e = ch_store_chat_get(tx, x->m.company_id, x->m.chat_id, &x->moved);
	if (!e)
		e = ch_store_message_append(tx, &x->m, &x->moved, x->out, NULL);
	if (!e)
		e = ch_store_chat_get(tx, x->m.company_id, x->m.chat_id, &x->fresh);
	if (!e)
		e = ch_store_message_get(tx, x->m.company_id, x->out->id, x->read);
	return e;
}

static void expect_same_message(const ch_message_row *a, const ch_message_row *b)
{
	cr_assert_eq(a->id, b->id);
	cr_assert_eq(a->chat_id, b->chat_id);
	cr_assert_eq(a->company_id, b->company_id);
	cr_assert_eq(a->seq, b->seq);
	cr_assert_eq(a->author, b->author);
	cr_assert_eq(a->operator_id, b->operator_id);
	cr_assert_str_eq(a->operator_name, b->operator_name);
	cr_assert_str_eq(a->text, b->text);
	cr_assert_eq(a->status, b->status);
	cr_assert_eq(a->has_media, b->has_media);
	cr_assert_eq(a->media.id, b->media.id);
	cr_assert_eq(a->media.company_id, b->media.company_id);
	cr_assert_eq(a->media.chat_id, b->media.chat_id);
	cr_assert_str_eq(a->media.name, b->media.name);
	cr_assert_str_eq(a->media.format, b->media.format);
	cr_assert_eq(a->media.type, b->media.type);
	cr_assert_eq(a->media.size, b->media.size);
	cr_assert_eq(a->has_client_message_id, b->has_client_message_id);
	cr_assert_str_eq(a->client_message_id, b->client_message_id);
	cr_assert_eq(a->created_at, b->created_at);
}

Test(chats, append_moves_the_callers_rows_as_a_read_would)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	ch_media_row md;
	cr_assert_eq(media_put(a.company, chat, "invoice.png", "\x89PNG", 4, &md), CH_OK);
	char long_text[CH_PREVIEW_MAX + 40];
	memset(long_text, 'x', sizeof long_text - 1);
	memcpy(long_text + CH_PREVIEW_MAX - 1, "\xd0\x96", 2); /* a 2-byte character across the cut */
	long_text[sizeof long_text - 1] = '\0';
	ch_message_new cases[] = {
		{.author = CH_AUTHOR_CLIENT, .text = "hello", .client_message_id = "c-1"},
		{.author = CH_AUTHOR_CLIENT, .text = "again"},
		{.author = CH_AUTHOR_OPERATOR, .operator_id = a.op1, .text = "hi"},
		{.author = CH_AUTHOR_SYSTEM},
		{.author = CH_AUTHOR_CLIENT, .media_id = md.id},
		{.author = CH_AUTHOR_OPERATOR, .operator_id = a.op1, .media_id = md.id, .text = "caption"},
		{.author = CH_AUTHOR_CLIENT, .text = long_text},
	};
	append_vs_read x = {.out = malloc(sizeof *x.out), .read = malloc(sizeof *x.read)};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		x.m = cases[i];
		x.m.company_id = a.company;
		x.m.chat_id = chat;
		x.m.status = CH_MSG_SUCCESS;
		cr_assert_eq(W(job_append_vs_read, &x), CH_OK, "case %zu", i);
		expect_same_message(x.out, x.read);
		cr_assert_eq(x.moved.last_seq, x.fresh.last_seq, "case %zu", i);
		cr_assert_eq(x.moved.last_seq, (int64_t)i + 1);
		cr_assert_eq(x.moved.last_message_at, x.fresh.last_message_at);
		cr_assert_str_eq(x.moved.last_message, x.fresh.last_message, "case %zu", i);
		cr_assert_eq(x.moved.count_unread, x.fresh.count_unread, "case %zu", i);
		cr_assert_eq(x.moved.status, x.fresh.status);
		cr_assert_eq(x.moved.operator_id, x.fresh.operator_id);
	}
	cr_assert_eq(x.fresh.count_unread, 4, "four client messages, none read");
	/* A row of another chat is refused, and nothing is written. */
	x.m = (ch_message_new){.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                       .text = "x", .status = CH_MSG_SUCCESS};
	ch_chat_row wrong = x.fresh;
	wrong.id = chat + 1000;
	cr_assert_eq(W(job_append_wrong_row, &(wrong_row_args){.m = x.m, .chat = &wrong, .out = x.out}),
	             CH_ERR_OUT_OF_RANGE);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, (int64_t)(sizeof cases / sizeof cases[0]));
	free(x.out);
	free(x.read);
}

Test(chats, client_message_id_makes_append_idempotent)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t other = new_chat(a.company, a.org, "Petr", NULL);
	ch_message_row *first = malloc(sizeof *first), *again = malloc(sizeof *again);
	int dup = -1;
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "pay me", .client_message_id = "cm-1",
	                    .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, first, &dup), CH_OK);
	cr_assert_eq(dup, 0);
	cr_assert(first->has_client_message_id);
	cr_assert_str_eq(first->client_message_id, "cm-1");
	say(a.company, chat, CH_AUTHOR_OPERATOR, a.op1, "ok");
	ch_chat_row before, after;
	cr_assert_eq(chat_get(a.company, chat, &before), CH_OK);

	/* The retry (even with other content) answers the stored message. */
	tick();
	n.text = "pay me twice";
	cr_assert_eq(append(&n, again, &dup), CH_OK);
	cr_assert_eq(dup, 1);
	cr_assert_eq(again->id, first->id);
	cr_assert_eq(again->seq, 1);
	cr_assert_str_eq(again->text, "pay me");
	cr_assert_eq(again->created_at, first->created_at);
	cr_assert_eq(chat_get(a.company, chat, &after), CH_OK);
	cr_assert_eq(after.last_seq, before.last_seq, "nothing written");
	cr_assert_eq(after.last_message_at, before.last_message_at);
	cr_assert_str_eq(after.last_message, "ok");
	/* A duplicate needs no output row. */
	append_args na = {.m = n, .row = NULL, .dup = -1};
	cr_assert_eq(W(job_append, &na), CH_OK);
	cr_assert_eq(na.dup, 1);

	/* The same id in another chat is another message. */
	n.chat_id = other;
	cr_assert_eq(append(&n, again, &dup), CH_OK);
	cr_assert_eq(dup, 0);
	cr_assert_neq(again->id, first->id);
	cr_assert_eq(again->seq, 1);
	/* Other ids, and no id, append. */
	n.chat_id = chat;
	n.client_message_id = "cm-2";
	cr_assert_eq(append(&n, again, &dup), CH_OK);
	cr_assert_eq(dup, 0);
	cr_assert_eq(again->seq, 3);
	n.client_message_id = NULL;
	cr_assert_eq(append(&n, again, &dup), CH_OK);
	cr_assert_eq(append(&n, again, &dup), CH_OK);
	cr_assert_eq(again->seq, 5);
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 5);
	free(first);
	free(again);
}

/* ---- concurrent appends in one group commit ---------------------------- */

typedef struct gate {
	sem_t entered, release;
} gate;

static ch_err job_gate(ch_store_tx *tx, void *p)
{
	(void)tx;
	gate *g = p;
	sem_post(&g->entered);
	sem_wait_all(&g->release);
	return CH_OK;
}

typedef struct async_append {
	append_args a;
	ch_err err;
	sem_t *done;
} async_append;

static ch_err job_async_append(ch_store_tx *tx, void *p)
{
	async_append *x = p;
	return ch_store_message_append(tx, &x->a.m, NULL, x->a.row, &x->a.dup);
}

static void done_async_append(void *p, ch_err err)
{
	async_append *x = p;
	x->err = err;
	sem_post(x->done);
}

#define BATCH 40

Test(chats, appends_queued_together_get_consecutive_seqs)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "before");
	gate g;
	sem_t done;
	sem_init(&g.entered, 0, 0);
	sem_init(&g.release, 0, 0);
	sem_init(&done, 0, 0);
	ch_store_write(g_store, job_gate, &g, NULL);
	sem_wait_all(&g.entered);
	async_append *x = calloc(BATCH, sizeof *x);
	char cmid[BATCH][16];
	for (int i = 0; i < BATCH; i++) {
		/* Every 5th job is a retry of the one before it, every 7th fails. */
		snprintf(cmid[i], sizeof cmid[i], "c-%d", i % 5 == 4 ? i - 1 : i);
		x[i].a.m = (ch_message_new){.company_id = a.company, .chat_id = chat,
		                            .author = CH_AUTHOR_CLIENT, .text = "batch",
		                            .client_message_id = cmid[i], .status = CH_MSG_SUCCESS};
		if (i % 7 == 6)
			x[i].a.m.author = 9;
		x[i].a.row = malloc(sizeof *x[i].a.row);
		x[i].done = &done;
		ch_store_write(g_store, job_async_append, &x[i], done_async_append);
	}
	sem_post(&g.release);
	for (int i = 0; i < BATCH; i++)
		sem_wait_all(&done);
	int64_t expect = 2;
	for (int i = 0; i < BATCH; i++) {
		if (i % 7 == 6) {
			cr_assert_eq(x[i].err, CH_ERR_OUT_OF_RANGE);
			continue;
		}
		cr_assert_eq(x[i].err, CH_OK);
		if (i % 5 == 4 && (i - 1) % 7 != 6) {
			cr_assert_eq(x[i].a.dup, 1);
			cr_assert_eq(x[i].a.row->id, x[i - 1].a.row->id);
			continue;
		}
		cr_assert_eq(x[i].a.dup, 0);
		cr_assert_eq(x[i].a.row->seq, expect, "job %d", i);
		expect++;
	}
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, expect - 1);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, expect - 1);
	for (int i = 0; i < BATCH; i++)
		free(x[i].a.row);
	free(x);
	sem_destroy(&g.entered);
	sem_destroy(&g.release);
	sem_destroy(&done);
}

/* ---- messages: list ---------------------------------------------------- */

Test(chats, message_list_pages)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t empty = new_chat(a.company, a.org, "Petr", NULL);
	for (int i = 1; i <= 30; i++)
		say(a.company, chat, i % 3 ? CH_AUTHOR_CLIENT : CH_AUTHOR_OPERATOR, 0, "m");
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 30);
	/* Neither bound: the newest `limit`, ascending. */
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 10, &l), CH_OK);
	expect_seqs(&l, 21, 30);
	/* Only before: the newest `limit` before it, ascending. */
	cr_assert_eq(msg_list(a.company, chat, 0, 21, 10, &l), CH_OK);
	expect_seqs(&l, 11, 20);
	cr_assert_eq(msg_list(a.company, chat, 0, 5, 10, &l), CH_OK);
	expect_seqs(&l, 1, 4);
	cr_assert_eq(msg_list(a.company, chat, 0, 1, 10, &l), CH_OK);
	expect_seqs(&l, 1, 0);
	/* Only after: the first `limit` after it. */
	cr_assert_eq(msg_list(a.company, chat, 10, 0, 5, &l), CH_OK);
	expect_seqs(&l, 11, 15);
	cr_assert_eq(msg_list(a.company, chat, 25, 0, 10, &l), CH_OK);
	expect_seqs(&l, 26, 30);
	cr_assert_eq(msg_list(a.company, chat, 30, 0, 10, &l), CH_OK);
	expect_seqs(&l, 1, 0);
	cr_assert_eq(msg_list(a.company, chat, 20, 0, 0, &l), CH_OK);
	expect_seqs(&l, 21, 30);
	/* Both: the range, its first `limit`. */
	cr_assert_eq(msg_list(a.company, chat, 5, 16, 0, &l), CH_OK);
	expect_seqs(&l, 6, 15);
	cr_assert_eq(msg_list(a.company, chat, 5, 16, 4, &l), CH_OK);
	expect_seqs(&l, 6, 9);
	cr_assert_eq(msg_list(a.company, chat, 5, 6, 4, &l), CH_OK);
	expect_seqs(&l, 1, 0);
	/* Empty chat, foreign chat, missing chat. */
	cr_assert_eq(msg_list(a.company, empty, 0, 0, 50, &l), CH_OK);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(msg_list(b.company, chat, 0, 0, 50, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(msg_list(a.company, chat + 100, 0, 0, 50, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(msg_list(a.company, chat, -1, 0, 50, &l), CH_ERR_OUT_OF_RANGE);
}

/* ---- unread counts and read receipts ----------------------------------- */

Test(chats, count_unread_is_in_every_chat_row)
{
	world a = seed("a", 1);
	int64_t client = new_client(a.company, a.org, "Olga", NULL);
	ch_chat_row c;
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_WIDGET, "t", &c), CH_OK);
	int64_t chat = c.id;
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "1");
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "2");
	say(a.company, chat, CH_AUTHOR_OPERATOR, a.op1, "3");
	say(a.company, chat, CH_AUTHOR_SYSTEM, 0, "4");
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "5");
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.count_unread, 3, "client messages only");
	cr_assert_eq(chat_open(a.company, client, &c), CH_OK);
	cr_assert_eq(c.count_unread, 3);
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, a.op1, &c), CH_OK);
	cr_assert_eq(c.count_unread, 3);
	ch_chat_filter f = all_of(a.company);
	list_args *l = chat_list(&f);
	cr_assert_eq(l->n, 1);
	cr_assert_eq(l->rows[0].count_unread, 3);
	free(l);
	msgs_args r;
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 2, &r), CH_OK);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.count_unread, 1, "only the client message after seq 2");
	cr_assert_eq(c.operator_read_seq, 2);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "6");
	l = chat_list(&f);
	cr_assert_eq(l->rows[0].count_unread, 2);
	free(l);
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 6, &r), CH_OK);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.count_unread, 0);
}

Test(chats, mark_read_by_the_operator_side)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	/* seq: 1 C, 2 C, 3 O, 4 S, 5 C, 6 C, 7 O */
	const int authors[] = {1, 1, 0, 2, 1, 1, 0};
	for (int i = 0; i < 7; i++)
		say(a.company, chat, authors[i], authors[i] == 0 ? a.op1 : 0, "m");
	msgs_args r;
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 5, &r), CH_OK);
	cr_assert_eq(r.n, 3, "client messages 1, 2 and 5 changed");
	cr_assert_eq(r.seqs[0], 1);
	cr_assert_eq(r.seqs[1], 2);
	cr_assert_eq(r.seqs[2], 5);
	for (size_t i = 0; i < r.n; i++)
		cr_assert_eq(r.statuses[i], CH_MSG_READ, "each gets the updated row");
	cr_assert_eq(r.inner, CH_OK, "each may use the store");
	int st[7];
	statuses(a.company, chat, st, 7);
	const int want[] = {3, 3, 1, 1, 3, 1, 1};
	for (int i = 0; i < 7; i++)
		cr_assert_eq(st[i], want[i], "seq %d", i + 1);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.operator_read_seq, 5);
	cr_assert_eq(c.client_read_seq, 0, "the other side is untouched");

	/* Again, or lower: nothing changes and read_seq never goes down. */
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 5, &r), CH_OK);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 3, &r), CH_OK);
	cr_assert_eq(r.n, 0);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.operator_read_seq, 5);
	/* Beyond last_seq is clamped to it. */
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 1000, &r), CH_OK);
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.seqs[0], 6);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.operator_read_seq, 7);
	int64_t s8 = say(a.company, chat, CH_AUTHOR_CLIENT, 0, "later");
	cr_assert_eq(s8, 8);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.count_unread, 1, "a message after the clamp is unread");
	statuses(a.company, chat, st, 7);
	cr_assert_eq(st[6], CH_MSG_SUCCESS, "operator message 7 was not the operator's to read");

	/* A Rejected message is not delivered, so it is never read; a New one is. */
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "rejected", .status = CH_MSG_REJECTED};
	cr_assert_eq(append(&n, NULL, NULL), CH_OK);
	n.status = CH_MSG_NEW;
	cr_assert_eq(append(&n, NULL, NULL), CH_OK);
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 0, &r), CH_OK);
	cr_assert_eq(r.n, 0, "upto 0 reads nothing");
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_OPERATOR, 10, &r), CH_OK);
	cr_assert_eq(r.n, 2);
	cr_assert_eq(r.seqs[0], 8);
	cr_assert_eq(r.seqs[1], 10);
	int st10[10];
	statuses(a.company, chat, st10, 10);
	cr_assert_eq(st10[8], CH_MSG_REJECTED);
	cr_assert_eq(st10[9], CH_MSG_READ);

	/* Scope and reader validation. */
	cr_assert_eq(mark_read(b.company, chat, CH_AUTHOR_OPERATOR, 8, &r), CH_ERR_NOT_FOUND);
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_SYSTEM, 8, &r), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.operator_read_seq, 10);
	cr_assert_eq(c.count_unread, 0);
}

static ch_err job_mark_read_null(ch_store_tx *tx, void *p)
{
	msgs_args *a = p;
	return ch_store_chat_mark_read(tx, a->company, a->chat, a->reader, a->upto, NULL, NULL);
}

Test(chats, mark_read_by_the_client)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	const int authors[] = {1, 0, 2, 1, 0, 0};
	for (int i = 0; i < 6; i++)
		say(a.company, chat, authors[i], authors[i] == 0 ? a.op1 : 0, "m");
	msgs_args r;
	cr_assert_eq(mark_read(a.company, chat, CH_AUTHOR_CLIENT, 5, &r), CH_OK);
	cr_assert_eq(r.n, 3, "operator and system messages 2, 3, 5");
	cr_assert_eq(r.seqs[0], 2);
	cr_assert_eq(r.seqs[1], 3);
	cr_assert_eq(r.seqs[2], 5);
	int st[6];
	statuses(a.company, chat, st, 6);
	const int want[] = {1, 3, 3, 1, 3, 1};
	for (int i = 0; i < 6; i++)
		cr_assert_eq(st[i], want[i], "seq %d", i + 1);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.client_read_seq, 5);
	cr_assert_eq(c.operator_read_seq, 0);
	cr_assert_eq(c.count_unread, 2, "the client reading changes no unread count");
	/* Without a callback. */
	msgs_args n = {.company = a.company, .chat = chat, .reader = CH_AUTHOR_CLIENT, .upto = 6};
	cr_assert_eq(W(job_mark_read_null, &n), CH_OK);
	statuses(a.company, chat, st, 6);
	cr_assert_eq(st[5], CH_MSG_READ);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.client_read_seq, 6);
}

/* ---- chat list --------------------------------------------------------- */

static void expect_page(const ch_chat_filter *f, const int64_t *ids, size_t n, int64_t total)
{
	list_args *a = chat_list(f);
	cr_assert_eq(a->n, n, "%zu rows, expected %zu", a->n, n);
	cr_assert_eq(a->total, total, "total %lld, expected %lld", (long long)a->total,
	             (long long)total);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(a->ids[i], ids[i], "row %zu", i);
	free(a);
}

typedef struct fixture {
	world a, b;
	int64_t c1, c2, c3, c4, b1;
	int64_t client1;
	int64_t t1, t4, t5, t6, t7; /* activity times */
} fixture;

/* Four chats of company A with distinct activity times, newest first:
 * c2 (org, Telegram, Open by op1, "+7 900 222"), c1 (org, Widget, New,
 * "Olga Ivanova", "+7 900 111", says ORDER), c3 (org2, Api, Closed,
 * "100% Sure_Thing"), c4 (org, Widget, New, no message). B has one chat
 * that would match most searches. */
static void make_fixture(fixture *x)
{
	x->a = seed("a", 1);
	x->b = seed("b", 2);
	world *a = &x->a;
	ch_chat_row c;
	x->client1 = new_client(a->company, a->org, "Olga Ivanova", "+7 900 111");
	cr_assert_eq(chat_create(a->company, a->org, x->client1, CH_SOURCE_WIDGET, "1", &c), CH_OK);
	x->c1 = c.id;
	x->t1 = c.created_at;
	tick();
	int64_t cl2 = new_client(a->company, a->org, "Petr", "+7 900 222");
	cr_assert_eq(chat_create(a->company, a->org, cl2, CH_SOURCE_TELEGRAM, "2", &c), CH_OK);
	x->c2 = c.id;
	tick();
	int64_t cl3 = new_client(a->company, a->org2, "100% Sure_Thing", "555");
	cr_assert_eq(chat_create(a->company, a->org2, cl3, CH_SOURCE_API, "3", &c), CH_OK);
	x->c3 = c.id;
	tick();
	x->c4 = new_chat(a->company, a->org, "Zed", NULL);
	cr_assert_eq(chat_get(a->company, x->c4, &c), CH_OK);
	x->t4 = c.created_at;
	tick();
	say(a->company, x->c3, CH_AUTHOR_CLIENT, 0, "percent % and under_score");
	cr_assert_eq(chat_get(a->company, x->c3, &c), CH_OK);
	x->t5 = c.last_message_at;
	tick();
	say(a->company, x->c1, CH_AUTHOR_CLIENT, 0, "Where is my ORDER?");
	cr_assert_eq(chat_get(a->company, x->c1, &c), CH_OK);
	x->t6 = c.last_message_at;
	tick();
	say(a->company, x->c2, CH_AUTHOR_CLIENT, 0, "hello");
	cr_assert_eq(chat_get(a->company, x->c2, &c), CH_OK);
	x->t7 = c.last_message_at;
	cr_assert_eq(chat_update(a->company, x->c2, CH_CHAT_OPEN, a->op1, NULL), CH_OK);
	cr_assert_eq(chat_update(a->company, x->c3, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	x->b1 = new_chat(x->b.company, x->b.org, "Olga 900 Sure_Thing", "+7 900 111");
	say(x->b.company, x->b1, CH_AUTHOR_CLIENT, 0, "order 100% under_score");
	cr_assert(x->t1 < x->t4 && x->t4 < x->t5 && x->t5 < x->t6 && x->t6 < x->t7);
}

Test(chats, chat_list_order_and_each_filter)
{
	fixture x;
	make_fixture(&x);
	world *a = &x.a;
	ch_chat_filter f = all_of(a->company);
	expect_list(&f, (int64_t[]){x.c2, x.c1, x.c3, x.c4}, 4);
	list_args *l = chat_list(&f);
	cr_assert_str_eq(l->rows[0].operator_name, "Anna");
	cr_assert_str_eq(l->rows[0].client_name, "Petr");
	cr_assert_str_eq(l->rows[0].client_phone, "+7 900 222");
	cr_assert_str_eq(l->rows[0].last_message, "hello");
	cr_assert_eq(l->rows[0].count_unread, 1);
	free(l);
	f = all_of(x.b.company);
	expect_list(&f, (int64_t[]){x.b1}, 1);

	f = all_of(a->company);
	f.org_id = a->org;
	expect_list(&f, (int64_t[]){x.c2, x.c1, x.c4}, 3);
	f.org_id = a->org2;
	expect_list(&f, (int64_t[]){x.c3}, 1);
	f.org_id = x.b.org;
	expect_list(&f, NULL, 0);

	f = all_of(a->company);
	f.operator_id = a->op1;
	expect_list(&f, (int64_t[]){x.c2}, 1);
	f.operator_id = a->op2;
	expect_list(&f, NULL, 0);
	f.operator_id = -1;
	expect_list(&f, (int64_t[]){x.c1, x.c3, x.c4}, 3);

	f = all_of(a->company);
	f.client_id = x.client1;
	expect_list(&f, (int64_t[]){x.c1}, 1);

	f = all_of(a->company);
	f.status = CH_CHAT_NEW;
	expect_list(&f, (int64_t[]){x.c1, x.c4}, 2);
	f.status = CH_CHAT_CLOSED;
	expect_list(&f, (int64_t[]){x.c3}, 1);
	f.status = -1;
	f.not_closed = 1;
	expect_list(&f, (int64_t[]){x.c2, x.c1, x.c4}, 3);

	f = all_of(a->company);
	f.source = CH_SOURCE_TELEGRAM;
	expect_list(&f, (int64_t[]){x.c2}, 1);
	f.source = CH_SOURCE_API;
	expect_list(&f, (int64_t[]){x.c3}, 1);
	f.source = CH_SOURCE_VIBER;
	expect_list(&f, NULL, 0);

	f = all_of(a->company);
	f.phone = "+7 900 222";
	expect_list(&f, (int64_t[]){x.c2}, 1);
	f.phone = "+7 900";
	expect_list(&f, NULL, 0);

	/* Date range on last activity (last message, else creation), inclusive. */
	f = all_of(a->company);
	f.from_ms = x.t6;
	expect_list(&f, (int64_t[]){x.c2, x.c1}, 2);
	f.from_ms = 0;
	f.to_ms = x.t5;
	expect_list(&f, (int64_t[]){x.c3, x.c4}, 2);
	f.from_ms = x.t5;
	f.to_ms = x.t6;
	expect_list(&f, (int64_t[]){x.c1, x.c3}, 2);
	f.from_ms = x.t4;
	f.to_ms = x.t4;
	expect_list(&f, (int64_t[]){x.c4}, 1);
	f.from_ms = x.t1;
	f.to_ms = x.t4 - 1;
	expect_list(&f, NULL, 0); /* c1's creation is not its activity once it has a message */
}

/* The operator's photo travels with the chat and message rows that name it. */
static ch_err job_photo(ch_store_tx *tx, void *p)
{
	world *w = p;
	return ch_store_operator_set_photo(tx, w->company, w->op1, "https://cdn.example/anna.png", NULL);
}

static ch_err job_msg_get(ch_store_tx *tx, void *p)
{
	ch_message_row *m = p;
	return ch_store_message_get(tx, m->company_id, m->id, m);
}

Test(chats, operator_photo_in_chat_and_message_rows)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Zed", NULL);
	ch_chat_row c;
	cr_assert_eq(chat_update(a.company, chat, CH_CHAT_OPEN, a.op1, &c), CH_OK);
	cr_assert_str_eq(c.operator_photo, "");
	cr_assert_eq(W(job_photo, &a), CH_OK);
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.operator_name, "Anna");
	cr_assert_str_eq(c.operator_photo, "https://cdn.example/anna.png");
	ch_message_row *row = malloc(sizeof *row);
	ch_message_new m = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_OPERATOR,
	                    .operator_id = a.op1, .text = "hi", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&m, row, NULL), CH_OK);
	cr_assert_str_eq(row->operator_photo, "https://cdn.example/anna.png", "the appended row");
	int64_t id = row->id;
	memset(row, 0, sizeof *row);
	row->company_id = a.company;
	row->id = id;
	cr_assert_eq(R(job_msg_get, row), CH_OK);
	cr_assert_str_eq(row->operator_photo, "https://cdn.example/anna.png", "a message read back");
	free(row);
}

/* tg_user_id: the Telegram chats of the client with that channel user id,
 * never a chat of another source whose client happens to have the same key,
 * never another company's. */
Test(chats, chat_list_tg_user_id)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_client_row cl;
	ch_chat_row c;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "4242", "Tg", NULL, NULL, &cl), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_TELEGRAM, "1", &c), CH_OK);
	int64_t tg1 = c.id;
	tick();
	cr_assert_eq(chat_update(a.company, tg1, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_TELEGRAM, "1", &c), CH_OK);
	int64_t tg2 = c.id;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_TELEGRAM, "4243", "Other", NULL, NULL, &cl), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_TELEGRAM, "1", &c), CH_OK);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_VIBER, "4242", "Viber", NULL, NULL, &cl), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_VIBER, "1", &c), CH_OK);
	cr_assert_eq(client_upsert(b.company, b.org, CH_SOURCE_TELEGRAM, "4242", "B", NULL, NULL, &cl), CH_OK);
	cr_assert_eq(chat_create(b.company, b.org, cl.id, CH_SOURCE_TELEGRAM, "1", &c), CH_OK);
	ch_chat_filter f = all_of(a.company);
	f.tg_user_id = "4242";
	expect_page(&f, (int64_t[]){tg2, tg1}, 2, 2);
	f.tg_user_id = "424";
	expect_page(&f, NULL, 0, 0);
	f = all_of(b.company);
	f.tg_user_id = "4242";
	expect_page(&f, (int64_t[]){c.id}, 1, 1);
}

/* A search's error, not its rows. */
static ch_err search_err(int64_t company, const char *q)
{
	list_args *a = calloc(1, sizeof *a);
	a->f = all_of(company);
	a->f.search = q;
	ch_err e = R(job_chat_list, a);
	free(a);
	return e;
}

static list_args *search(int64_t company, const char *q)
{
	ch_chat_filter f = all_of(company);
	f.search = q;
	return chat_list(&f);
}

Test(chats, chat_list_search)
{
	fixture x;
	make_fixture(&x);
	ch_chat_filter f = all_of(x.a.company);
	f.search = "order";
	expect_list(&f, (int64_t[]){x.c1}, 1); /* message text, any case */
	list_args *l = chat_list(&f);
	cr_assert_eq(l->rows[0].match.field, CH_MATCH_MESSAGE);
	cr_assert_eq(l->rows[0].match.seq, 1);
	cr_assert_str_eq(l->rows[0].match.snippet, "Where is my \x02ORDER\x03?");
	free(l);
	f.search = "OLGA iv"; /* client name; a word is a prefix */
	expect_list(&f, (int64_t[]){x.c1}, 1);
	l = chat_list(&f);
	cr_assert_eq(l->rows[0].match.field, CH_MATCH_NAME);
	cr_assert_eq(l->rows[0].match.seq, 0);
	cr_assert_str_eq(l->rows[0].match.snippet, "\x02Olga\x03 \x02Ivanova\x03");
	free(l);
	f.search = "900"; /* client phone */
	expect_list(&f, (int64_t[]){x.c2, x.c1}, 2);
	l = chat_list(&f);
	cr_assert_eq(l->rows[0].match.field, CH_MATCH_PHONE);
	cr_assert_str_eq(l->rows[0].match.snippet, "\x02+7 900 222\x03");
	free(l);
	f.search = "hello";
	expect_list(&f, (int64_t[]){x.c2}, 1);
	f.search = "sure_thing"; /* punctuation separates words, in the text and in the search */
	expect_list(&f, (int64_t[]){x.c3}, 1);
	f.search = "Under-Score";
	expect_list(&f, (int64_t[]){x.c3}, 1);
	/* No word: nothing is found. */
	const char *none[] = {"%", "_", "\\", "-", "\"\"", "*", "()", "", "   ", "nobody", "order hello"};
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		f.search = none[i];
		expect_list(&f, NULL, 0);
	}
	/* With other filters, AND. */
	f.search = "900";
	f.status = CH_CHAT_NEW;
	expect_list(&f, (int64_t[]){x.c1}, 1);
	f.status = -1;
	f.operator_id = x.a.op1;
	expect_list(&f, (int64_t[]){x.c2}, 1);
	f.operator_id = 0;
	f.org_id = x.a.org2;
	f.search = "percent";
	expect_list(&f, (int64_t[]){x.c3}, 1);
	f.org_id = x.a.org;
	expect_list(&f, NULL, 0);
}

/* The words are data: query syntax of FTS5 or tsquery is text like any other,
 * and every answer is an answer, never a store error. */
Test(chats, chat_search_hostile_words)
{
	fixture x;
	make_fixture(&x);
	const char *found[] = {"\"order\"", "order*", "ORDER)", "(order", "order -", "'order'", "order:",
	                       "{order}", "order^", "order\\", "+order", "order&", "order|!", "ord", "«order»"};
	for (size_t i = 0; i < sizeof found / sizeof *found; i++) {
		list_args *l = search(x.a.company, found[i]);
		cr_assert_eq(l->n, 1, "%s: %zu rows", found[i], l->n);
		cr_assert_eq(l->ids[0], x.c1, "%s", found[i]);
		free(l);
	}
	const char *nothing[] = {"order OR hello", "NEAR(order hello)", "order NOT hello", "text:order",
	                         "order AND", "^order hello", "order\" OR \"hello", "x' | 'hello", "!order"};
	for (size_t i = 0; i < sizeof nothing / sizeof *nothing; i++) {
		list_args *l = search(x.a.company, nothing[i]);
		cr_assert(l->n == 0 || (l->n == 1 && l->ids[0] == x.c1), "%s: %zu rows", nothing[i], l->n);
		cr_assert(l->n == 0 || strcmp(nothing[i], "order OR hello"), "%s: OR is a word", nothing[i]);
		free(l);
	}
	/* Bounds: bytes, words, UTF-8. */
	char big[CH_SEARCH_MAX_BYTES + 2];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(search_err(x.a.company, big), CH_ERR_OUT_OF_RANGE);
	big[CH_SEARCH_MAX_BYTES] = '\0';
	cr_assert_eq(search_err(x.a.company, big), CH_OK);
	cr_assert_eq(search_err(x.a.company, "a b c d e f g h i j k l m n o p"), CH_OK);
	cr_assert_eq(search_err(x.a.company, "a b c d e f g h i j k l m n o p q"), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(search_err(x.a.company, "caf\xc3"), CH_ERR_BAD_JSON);
	cr_assert_eq(search_err(x.a.company, "\xff\xfe"), CH_ERR_BAD_JSON);
	/* Many terms in few words (a-b-c-…), and a stray control character. */
	cr_assert_eq(search_err(x.a.company, "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-a-b-c-d-e-f-g-h-i-j"), CH_OK);
	cr_assert_eq(search_err(x.a.company, "order\x02hello\x03"), CH_OK);
	/* Both engines take the first CH_SEARCH_MAX_TERMS terms and drop the
	 * rest: 32 times "order" and then a word no chat has still finds c1. */
	char many[CH_SEARCH_MAX_BYTES + 1] = "";
	for (int i = 0; i < 32; i++)
		strcat(many, "order-");
	strcat(many, "zzzz");
	list_args *l = search(x.a.company, many);
	cr_assert_eq(l->n, 1, "terms past the 32nd are dropped: %zu rows", l->n);
	cr_assert_eq(l->ids[0], x.c1);
	free(l);
}

/* The acceptance of the search: Cyrillic and Latin words in any case and
 * without their diacritics, a phone however typed, an e-mail, a Closed chat of
 * last month; another company's chats never. */
Test(chats, chat_search_languages_phone_email_and_tenants)
{
	world a = seed("a", 1), b = seed("b", 2);
	ch_client_row cl;
	ch_chat_row c;
	/* A Closed chat of last month. */
	ch_clock_set_offset_ms(-35LL * 86400000);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, "sub:ivan", "Иван Петров",
	                           "+7 (912) 345-67-89", "ivan.petrov@example.org", &cl), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_WIDGET, "", &c), CH_OK);
	int64_t old = c.id;
	say(a.company, old, CH_AUTHOR_CLIENT, 0, "Где мой ЗАКАЗ? Номер 4711.");
	say(a.company, old, CH_AUTHOR_OPERATOR, a.op1, "Ваш заказ уже в пути, Crème brûlée included.");
	say(a.company, old, CH_AUTHOR_SYSTEM, 0, "Chat closed by zebra");
	cr_assert_eq(chat_update(a.company, old, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	ch_clock_set_offset_ms(0);
	int64_t now = new_chat(a.company, a.org, "Zoë Müller", "0049 30 1234567");
	say(a.company, now, CH_AUTHOR_CLIENT, 0, "My order of CRÈME BRÛLÉE never arrived");
	/* Company B has the same words, name, phone and e-mail. */
	cr_assert_eq(client_upsert(b.company, b.org, CH_SOURCE_WIDGET, "sub:ivan", "Иван Петров",
	                           "+7 (912) 345-67-89", "ivan.petrov@example.org", &cl), CH_OK);
	cr_assert_eq(chat_create(b.company, b.org, cl.id, CH_SOURCE_WIDGET, "", &c), CH_OK);
	int64_t other = c.id;
	say(b.company, other, CH_AUTHOR_CLIENT, 0, "Где мой заказ? Crème brûlée, zoe");

	struct { const char *q; int64_t id; int field; int64_t seq; } cases[] = {
	    {"заказ", old, CH_MATCH_MESSAGE, 2},  {"ЗАКАЗ", old, CH_MATCH_MESSAGE, 2},
	    {"где МОЙ", old, CH_MATCH_MESSAGE, 1}, {"иван", old, CH_MATCH_NAME, 0},
	    {"ПЕТРОВ", old, CH_MATCH_NAME, 0},     {"zoe", now, CH_MATCH_NAME, 0},
	    {"ZOË", now, CH_MATCH_NAME, 0},        {"muller", now, CH_MATCH_NAME, 0},
	    {"4711", old, CH_MATCH_MESSAGE, 1},    {"ivan.petrov@example.org", old, CH_MATCH_EMAIL, 0},
	    {"example.org", old, CH_MATCH_EMAIL, 0}, {"+7 912 345 67 89", old, CH_MATCH_PHONE, 0},
	    {"79123456789", old, CH_MATCH_PHONE, 0}, {"8 (912) 345-67-89", 0, 0, 0},
	    {"(912) 345-6789", old, CH_MATCH_PHONE, 0}, {"912-345", old, CH_MATCH_PHONE, 0},
	    {"3456789", old, CH_MATCH_PHONE, 0},   {"+49 30 1234567", now, CH_MATCH_PHONE, 0},
	    {"030 1234567", 0, 0, 0},              {"30 1234567", now, CH_MATCH_PHONE, 0},
	    {"zebra", 0, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		list_args *l = search(a.company, cases[i].q);
		if (!cases[i].id) {
			cr_assert_eq(l->n, 0, "%s: %zu rows", cases[i].q, l->n);
			free(l);
			continue;
		}
		cr_assert_eq(l->n, 1, "%s: %zu rows", cases[i].q, l->n);
		cr_assert_eq(l->ids[0], cases[i].id, "%s", cases[i].q);
		cr_assert_eq(l->rows[0].match.field, cases[i].field, "%s: field %d", cases[i].q, l->rows[0].match.field);
		cr_assert_eq(l->rows[0].match.seq, cases[i].seq, "%s: seq %lld", cases[i].q,
		             (long long)l->rows[0].match.seq);
		cr_assert(strchr(l->rows[0].match.snippet, '\x02') && strchr(l->rows[0].match.snippet, '\x03'),
		          "%s: %s", cases[i].q, l->rows[0].match.snippet);
		free(l);
	}
	/* Both chats, newest activity first; diacritics either way. */
	const char *both[] = {"creme brulee", "CRÈME", "brûlée"};
	for (size_t i = 0; i < 3; i++) {
		ch_chat_filter f = all_of(a.company);
		f.search = both[i];
		expect_list(&f, (int64_t[]){now, old}, 2);
	}
	list_args *l = search(a.company, "заказ");
	/* (each engine ends its snippet its own way) */
	const char *want = "Ваш \x02заказ\x03 уже в пути, Crème brûlée included";
	cr_assert(!strncmp(l->rows[0].match.snippet, want, strlen(want)), "%s", l->rows[0].match.snippet);
	cr_assert_eq(l->rows[0].status, CH_CHAT_CLOSED);
	free(l);
	/* Company B finds only its own. */
	ch_chat_filter f = all_of(b.company);
	f.search = "заказ";
	expect_list(&f, (int64_t[]){other}, 1);
	f.search = "+7 912 345 67 89";
	expect_list(&f, (int64_t[]){other}, 1);
	f.search = "muller";
	expect_list(&f, NULL, 0);
}

/* Paging: total counts every found chat, a page past the end is empty with
 * the same total; a deleted chat and a renamed client leave the index. */
/* The index catches up after the commits (SQLite) or as it goes
 * (PostgreSQL): after a catch-up every committed message is found, and a
 * message that takes again the id of a deleted newest one is indexed too. */
Test(chats, chat_search_catch_up_indexes_every_committed_message)
{
	world a = seed("a", 1);
	int64_t one = new_chat(a.company, a.org, "Client", NULL);
	int64_t two = new_chat(a.company, a.org, "Client", NULL);
	for (int i = 0; i < 30; i++)
		say(a.company, one, CH_AUTHOR_CLIENT, 0, i == 3 ? "kiwi" : "plain words");
	say(a.company, two, CH_AUTHOR_CLIENT, 0, "mango");
	say(a.company, two, CH_AUTHOR_CLIENT, 0, "papaya");
	ch_chat_filter f = all_of(a.company);
	f.search = "kiwi";
	expect_page(&f, (int64_t[]){one}, 1, 1); /* 32 messages: five chunks of 7 */
	cr_assert_eq(catch_up(), 0, "nothing left");
	f.search = "papaya";
	expect_page(&f, (int64_t[]){two}, 1, 1);
	/* the chat with the newest ids goes; the next message takes its id again */
	cr_assert_eq(chat_delete(a.company, two), CH_OK);
	expect_page(&f, NULL, 0, 0);
	int64_t three = new_chat(a.company, a.org, "Client", NULL);
	say(a.company, three, CH_AUTHOR_CLIENT, 0, "guava");
	f.search = "guava";
	expect_page(&f, (int64_t[]){three}, 1, 1);
	f.search = "mango";
	expect_page(&f, NULL, 0, 0);
}

Test(chats, chat_search_pages_and_index_follows_changes)
{
	world a = seed("a", 1);
	int64_t ids[5];
	for (int i = 0; i < 5; i++) {
		ids[i] = new_chat(a.company, a.org, "Client", NULL);
		say(a.company, ids[i], CH_AUTHOR_CLIENT, 0, "refund please");
		tick();
	}
	ch_chat_filter f = all_of(a.company);
	f.search = "refund";
	f.limit = 2;
	expect_page(&f, (int64_t[]){ids[4], ids[3]}, 2, 5);
	f.offset = 4;
	expect_page(&f, (int64_t[]){ids[0]}, 1, 5);
	f.offset = 10;
	expect_page(&f, NULL, 0, 5);
	cr_assert_eq(chat_delete(a.company, ids[4]), CH_OK);
	f.offset = 0;
	f.limit = 0;
	expect_page(&f, (int64_t[]){ids[3], ids[2], ids[1], ids[0]}, 4, 4);
	/* The client's new name is found, the old one no longer. */
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, ids[0], &c), CH_OK);
	ch_client_row cl;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, "sub:x", "Old Name", NULL, NULL, &cl), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_WIDGET, "", &c), CH_OK);
	f.search = "old name";
	expect_page(&f, (int64_t[]){c.id}, 1, 1);
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, "sub:x", "Newer Name", "+1 555 0100",
	                           NULL, &cl), CH_OK);
	expect_page(&f, NULL, 0, 0);
	f.search = "newer";
	expect_page(&f, (int64_t[]){c.id}, 1, 1);
	f.search = "555-0100";
	expect_page(&f, (int64_t[]){c.id}, 1, 1);
}

Test(chats, chat_list_pages_combined_filters_and_queue_order)
{
	fixture x;
	make_fixture(&x);
	world *a = &x.a;
	ch_chat_filter f = all_of(a->company);
	/* total ignores offset and limit. */
	f.limit = 2;
	expect_page(&f, (int64_t[]){x.c2, x.c1}, 2, 4);
	f.offset = 2;
	expect_page(&f, (int64_t[]){x.c3, x.c4}, 2, 4);
	f.offset = 3;
	f.limit = 10;
	expect_page(&f, (int64_t[]){x.c4}, 1, 4);
	f.offset = 10;
	expect_page(&f, NULL, 0, 4);
	f.offset = 1;
	f.limit = 0; /* no limit */
	expect_page(&f, (int64_t[]){x.c1, x.c3, x.c4}, 3, 4);
	/* total may be NULL. */
	list_args *l = calloc(1, sizeof *l);
	l->f = all_of(a->company);
	cr_assert_eq(R(job_chat_list, l), CH_OK);
	cr_assert_eq(l->n, 4);
	free(l);

	/* Several filters: AND. */
	f = all_of(a->company);
	f.org_id = a->org;
	f.not_closed = 1;
	f.search = "900";
	expect_list(&f, (int64_t[]){x.c2, x.c1}, 2);
	f.source = CH_SOURCE_WIDGET;
	expect_list(&f, (int64_t[]){x.c1}, 1);
	f.from_ms = x.t7;
	expect_list(&f, NULL, 0);

	/* The org's queue: New and unassigned; newest activity first by
	 * default, oldest queued first for routing. */
	f = all_of(a->company);
	f.org_id = a->org;
	f.operator_id = -1;
	f.status = CH_CHAT_NEW;
	expect_list(&f, (int64_t[]){x.c1, x.c4}, 2);
	f.oldest_queued_first = 1;
	expect_list(&f, (int64_t[]){x.c1, x.c4}, 2);
	tick();
	cr_assert_eq(chat_update(a->company, x.c2, CH_CHAT_NEW, 0, NULL), CH_OK);
	expect_list(&f, (int64_t[]){x.c1, x.c4, x.c2}, 3);
	f.limit = 2;
	expect_page(&f, (int64_t[]){x.c1, x.c4}, 2, 3);
	f.limit = 0;
	f.oldest_queued_first = 0;
	expect_list(&f, (int64_t[]){x.c2, x.c1, x.c4}, 3);
	/* Routing order outside the queue's shape. */
	f = all_of(a->company);
	f.oldest_queued_first = 1;
	expect_list(&f, (int64_t[]){x.c1, x.c3, x.c4, x.c2}, 4);
	f.status = CH_CHAT_NEW;
	f.operator_id = -1;
	expect_list(&f, (int64_t[]){x.c1, x.c4, x.c2}, 3);

	/* Foreign or nonsense scope. */
	f = all_of(x.b.company);
	f.org_id = a->org;
	expect_list(&f, NULL, 0);
	f = all_of(x.b.company);
	f.client_id = x.client1;
	expect_list(&f, NULL, 0);
	f = all_of(x.b.company);
	f.operator_id = a->op1;
	expect_list(&f, NULL, 0);
	f = all_of(a->company);
	f.operator_id = -2;
	l = calloc(1, sizeof *l);
	l->f = f;
	cr_assert_eq(R(job_chat_list, l), CH_ERR_OUT_OF_RANGE);
	free(l);
}

/* ---- operator load ----------------------------------------------------- */

Test(chats, operator_load_counts_assigned_open_chats)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t op4 = op_add(a.company, a.org, "Dora");
	int64_t op5 = op_add(a.company, a.org, "Egor");
	int64_t c[6];
	for (int i = 0; i < 6; i++)
		c[i] = new_chat(a.company, a.org, "Client", NULL);
	cr_assert_eq(chat_update(a.company, c[0], CH_CHAT_OPEN, a.op1, NULL), CH_OK);
	cr_assert_eq(chat_update(a.company, c[1], CH_CHAT_WAITING, a.op1, NULL), CH_OK);
	cr_assert_eq(chat_update(a.company, c[2], CH_CHAT_CLOSED, a.op1, NULL), CH_OK);
	cr_assert_eq(chat_update(a.company, c[3], CH_CHAT_ON_PAUSE, op5, NULL), CH_OK);
	cr_assert_eq(chat_update(a.company, c[4], CH_CHAT_OPEN, op4, NULL), CH_OK);
	/* c[5] stays unassigned. */
	op_set_status(a.company, op4, CH_OPERATOR_INACTIVE);
	load_args l;
	cr_assert_eq(operator_load(a.company, a.org, &l), CH_OK);
	cr_assert_eq(l.n, 3, "Active operators only");
	cr_assert_eq(l.ops[0], a.op1);
	cr_assert_eq(l.counts[0], 2, "Closed chats are not load");
	cr_assert_eq(l.ops[1], a.op2);
	cr_assert_eq(l.counts[1], 0, "an idle operator is listed with 0");
	cr_assert_eq(l.ops[2], op5);
	cr_assert_eq(l.counts[2], 0, "OnPause is not load");
	op_set_status(a.company, op5, CH_OPERATOR_DELETED);
	cr_assert_eq(operator_load(a.company, a.org, &l), CH_OK);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(operator_load(a.company, a.org2, &l), CH_OK);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(l.ops[0], a.op3);
	cr_assert_eq(l.counts[0], 0);
	cr_assert_eq(operator_load(b.company, a.org, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(l.n, 0);
	cr_assert_eq(operator_load(a.company, a.org + 1000, &l), CH_ERR_NOT_FOUND);
}

/* ---- media ------------------------------------------------------------- */

Test(chats, media_put_get_round_trip_and_scope)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	size_t len = 3u << 20;
	unsigned char *data = malloc(len);
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 11)); /* zeros included */
	ch_media_row put, got;
	cr_assert_eq(media_put(a.company, chat, "big.bin", data, len, &put), CH_OK);
	cr_assert_gt(put.id, 0);
	cr_assert_eq(put.company_id, a.company);
	cr_assert_eq(put.chat_id, chat);
	cr_assert_eq(put.size, (int64_t)len);
	cr_assert_str_eq(put.name, "big.bin");
	cr_assert_str_eq(put.format, "image/png");
	cr_assert_eq(put.type, CH_MEDIA_PHOTO);
	void *bytes = NULL;
	cr_assert_eq(media_get(a.company, put.id, &got, &bytes), CH_OK);
	cr_assert_eq(got.id, put.id);
	cr_assert_eq(got.chat_id, chat);
	cr_assert_eq(got.company_id, a.company);
	cr_assert_eq(got.size, (int64_t)len);
	cr_assert_str_eq(got.name, "big.bin");
	cr_assert_str_eq(got.format, "image/png");
	cr_assert_eq(got.type, CH_MEDIA_PHOTO);
	cr_assert_not_null(bytes);
	cr_assert_eq(memcmp(bytes, data, len), 0);
	free(bytes);
	/* An empty file is a zero-length file, still a buffer to free. */
	cr_assert_eq(media_put(a.company, chat, "empty.txt", NULL, 0, &put), CH_OK);
	cr_assert_eq(media_get(a.company, put.id, &got, &bytes), CH_OK);
	cr_assert_eq(got.size, 0);
	cr_assert_not_null(bytes);
	free(bytes);

	/* Scope: another company's media or chat reads as missing. */
	bytes = (void *)1;
	cr_assert_eq(media_get(b.company, put.id, &got, &bytes), CH_ERR_NOT_FOUND);
	cr_assert_null(bytes);
	cr_assert_eq(media_get(a.company, put.id + 100, &got, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(media_put(b.company, chat, "evil.png", "x", 1, &put), CH_ERR_NOT_FOUND);
	cr_assert_eq(media_put(a.company, chat + 100, "x.png", "x", 1, &put), CH_ERR_NOT_FOUND);
	/* Validation. */
	media_args m = {.company = a.company, .chat = chat, .name = "x", .format = "image/png",
	                .type = 5, .data = "x", .len = 1};
	cr_assert_eq(W(job_media_put, &m), CH_ERR_OUT_OF_RANGE);
	m.type = CH_MEDIA_FILE;
	m.format = NULL;
	cr_assert_eq(W(job_media_put, &m), CH_ERR_OUT_OF_RANGE);
	char name[CH_NAME_MAX + 2];
	memset(name, 'n', CH_NAME_MAX + 1);
	name[CH_NAME_MAX + 1] = '\0';
	m.format = "pdf";
	m.name = name;
	cr_assert_eq(W(job_media_put, &m), CH_ERR_OUT_OF_RANGE);
	name[CH_NAME_MAX] = '\0';
	cr_assert_eq(W(job_media_put, &m), CH_OK);
	cr_assert_str_eq(m.row.name, name);
	cr_assert_eq(media_get(a.company, m.row.id, &got, NULL), CH_OK);
	cr_assert_str_eq(got.name, name);
	cr_assert_str_eq(got.format, "pdf");
	cr_assert_eq(got.type, CH_MEDIA_FILE);
	free(data);
}

/* ---- channels ---------------------------------------------------------- */

Test(chats, channel_dedupe_answers_the_first_message)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t chat2 = new_chat(a.company, a.org2, "Petr", NULL);
	int64_t b_chat = new_chat(b.company, b.org, "Bob", NULL);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "one");
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "two");
	say(a.company, chat2, CH_AUTHOR_CLIENT, 0, "three");
	say(b.company, b_chat, CH_AUTHOR_CLIENT, 0, "four");
	int64_t m1 = message_id(a.company, chat, 1), m2 = message_id(a.company, chat, 2);
	int64_t m3 = message_id(a.company, chat2, 1), m4 = message_id(b.company, b_chat, 1);
	int64_t first = -1;
	cr_assert_eq(dedupe(a.org, "ext-1", m1, &first), CH_OK);
	cr_assert_eq(first, m1);
	first = -1;
	cr_assert_eq(dedupe(a.org, "ext-1", m2, &first), CH_ERR_CONFLICT);
	cr_assert_eq(first, m1, "the repeat learns the first message");
	cr_assert_eq(dedupe(a.org, "ext-1", m2, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(dedupe(a.org, "ext-2", m2, NULL), CH_OK);
	/* Per organization. */
	cr_assert_eq(dedupe(a.org2, "ext-1", m3, &first), CH_OK);
	cr_assert_eq(first, m3);
	cr_assert_eq(dedupe(b.org, "ext-1", m4, &first), CH_OK);
	/* The message must be one of the org's chats. */
	cr_assert_eq(dedupe(a.org, "ext-3", m3, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(dedupe(a.org, "ext-3", m4, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(dedupe(a.org, "ext-3", m4 + 100, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(dedupe(a.org, NULL, m1, NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(dedupe(a.org, "ext-3", m1, NULL), CH_OK, "refusals recorded nothing");
}

Test(chats, deliveries_add_due_update)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	for (int i = 0; i < 4; i++)
		say(a.company, chat, CH_AUTHOR_OPERATOR, a.op1, "reply");
	int64_t m[4];
	for (int i = 0; i < 4; i++)
		m[i] = message_id(a.company, chat, i + 1);
	int64_t before = now_ms();
	int64_t d1, d2, d3;
	cr_assert_eq(delivery_add(a.company, a.org, m[0], "00000000-0000-4000-8000-000000000001", &d1),
	             CH_OK);
	tick();
	cr_assert_eq(delivery_add(a.company, a.org, m[1], "00000000-0000-4000-8000-000000000002", &d2),
	             CH_OK);
	tick();
	cr_assert_eq(delivery_add(a.company, a.org, m[2], "00000000-0000-4000-8000-000000000003", &d3),
	             CH_OK);
	int64_t now = tick();
	channel_args *due = delivery_due(now, 10);
	cr_assert_eq(due->n, 3);
	cr_assert_eq(due->rows[0].id, d1, "oldest first");
	cr_assert_eq(due->rows[1].id, d2);
	cr_assert_eq(due->rows[2].id, d3);
	cr_assert_eq(due->rows[0].company_id, a.company);
	cr_assert_eq(due->rows[0].organization_id, a.org);
	cr_assert_eq(due->rows[0].message_id, m[0]);
	cr_assert_str_eq(due->rows[0].event_id, "00000000-0000-4000-8000-000000000001");
	cr_assert_eq(due->rows[0].attempts, 0);
	cr_assert_eq(due->rows[0].status, 0);
	cr_assert_geq(due->rows[0].next_attempt_at, before);
	cr_assert_leq(due->rows[0].next_attempt_at, now);
	free(due);
	due = delivery_due(now, 2);
	cr_assert_eq(due->n, 2, "at most limit");
	free(due);
	due = delivery_due(before - 1, 10);
	cr_assert_eq(due->n, 0, "none is due before it was added");
	free(due);

	/* A retry later, a success, a give-up. */
	char long_error[3000];
	memset(long_error, 'e', sizeof long_error - 1);
	long_error[sizeof long_error - 1] = '\0';
	cr_assert_eq(delivery_update(d1, 0, 1, now + 60000, long_error), CH_OK);
	cr_assert_eq(delivery_update(d2, 1, 1, now, NULL), CH_OK);
	due = delivery_due(now, 10);
	cr_assert_eq(due->n, 1);
	cr_assert_eq(due->rows[0].id, d3);
	free(due);
	cr_assert_eq(delivery_update(d3, 2, 5, now, "HTTP 500"), CH_OK);
	due = delivery_due(now + 60000, 10);
	cr_assert_eq(due->n, 1);
	cr_assert_eq(due->rows[0].id, d1);
	cr_assert_eq(due->rows[0].attempts, 1);
	cr_assert_eq(due->rows[0].next_attempt_at, now + 60000);
	free(due);
	cr_assert_eq(delivery_update(d3 + 100, 1, 1, now, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(delivery_update(d1, 3, 1, now, NULL), CH_ERR_OUT_OF_RANGE);

	/* Scope: the message must be the company's, in that org. */
	cr_assert_eq(delivery_add(b.company, a.org, m[3], "e", NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(delivery_add(b.company, b.org, m[3], "e", NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(delivery_add(a.company, a.org2, m[3], "e", NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(delivery_add(a.company, a.org, m[3] + 100, "e", NULL), CH_ERR_NOT_FOUND);
	due = delivery_due(now + 60000, 0);
	cr_assert_eq(due->n, 1, "limit 0 is no limit; refusals added nothing");
	free(due);
}

/* ---- delete ------------------------------------------------------------ */

Test(chats, chat_delete_takes_everything_of_the_chat)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t keep = new_chat(a.company, a.org, "Petr", NULL);
	ch_media_row md, keep_md;
	cr_assert_eq(media_put(a.company, chat, "a.png", "abc", 3, &md), CH_OK);
	cr_assert_eq(media_put(a.company, keep, "k.png", "abc", 3, &keep_md), CH_OK);
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .media_id = md.id, .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, NULL, NULL), CH_OK);
	say(a.company, chat, CH_AUTHOR_OPERATOR, a.op1, "reply");
	n.chat_id = keep;
	n.media_id = keep_md.id;
	cr_assert_eq(append(&n, NULL, NULL), CH_OK);
	say(a.company, keep, CH_AUTHOR_OPERATOR, a.op1, "reply");
	int64_t m1 = message_id(a.company, chat, 1), m2 = message_id(a.company, chat, 2);
	int64_t k1 = message_id(a.company, keep, 1), k2 = message_id(a.company, keep, 2);
	cr_assert_eq(dedupe(a.org, "ext-1", m1, NULL), CH_OK);
	cr_assert_eq(dedupe(a.org, "ext-k", k1, NULL), CH_OK);
	cr_assert_eq(delivery_add(a.company, a.org, m2, "ev-1", NULL), CH_OK);
	cr_assert_eq(delivery_add(a.company, a.org, k2, "ev-k", NULL), CH_OK);

	cr_assert_eq(chat_delete(b.company, chat), CH_ERR_NOT_FOUND, "another company's chat");
	cr_assert_eq(chat_get(a.company, chat, NULL), CH_OK, "still there");
	cr_assert_eq(chat_delete(a.company, chat), CH_OK);
	cr_assert_eq(chat_delete(a.company, chat), CH_ERR_NOT_FOUND, "already gone");
	cr_assert_eq(chat_get(a.company, chat, NULL), CH_ERR_NOT_FOUND);
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(media_get(a.company, md.id, NULL, NULL), CH_ERR_NOT_FOUND);
	/* Its dedupe record outlives it (a replayed external message stays a
	 * duplicate), now naming no message. */
	int64_t first = -1;
	cr_assert_eq(channel_find(a.org, "ext-1", &first), CH_OK);
	cr_assert_eq(first, 0, "the record stays, its message is gone");
	cr_assert_eq(dedupe(a.org, "ext-1", k2, &first), CH_ERR_CONFLICT);
	cr_assert_eq(dedupe(a.org, "ext-k", k2, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(channel_find(a.org, "ext-k", &first), CH_OK);
	cr_assert_eq(first, k1);
	cr_assert_eq(channel_find(a.org, "ext-none", NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(channel_find(b.org, "ext-k", NULL), CH_ERR_NOT_FOUND, "another organization's records");
	channel_args *due = delivery_due(now_ms() + 1000, 0);
	cr_assert_eq(due->n, 1, "its delivery went too");
	cr_assert_eq(due->rows[0].message_id, k2);
	free(due);
	/* The other chat is whole. */
	cr_assert_eq(msg_list(a.company, keep, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 2);
	cr_assert_eq(media_get(a.company, keep_md.id, NULL, NULL), CH_OK);
	ch_chat_filter f = all_of(a.company);
	expect_list(&f, (int64_t[]){keep}, 1);
	/* And the client remains, free to open a new chat. */
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, keep, &c), CH_OK);
	cr_assert_eq(chat_create(a.company, a.org, c.client_id, CH_SOURCE_WIDGET, "again", NULL),
	             CH_OK);
}

/* ---- tenant isolation, all at once -------------------------------------- */

Test(chats, tenant_isolation_for_every_scoped_function)
{
	world a = seed("a", 1), b = seed("b", 2);
	int64_t client = new_client(a.company, a.org, "Olga", "+1");
	ch_chat_row c;
	cr_assert_eq(chat_create(a.company, a.org, client, CH_SOURCE_WIDGET, "t", &c), CH_OK);
	int64_t chat = c.id;
	ch_media_row md;
	cr_assert_eq(media_put(a.company, chat, "a.png", "abc", 3, &md), CH_OK);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "secret text");
	int64_t mid = message_id(a.company, chat, 1);

	ch_org_secrets s;
	ch_client_row cl;
	msgs_args l;
	load_args ld;
	cr_assert_eq(secrets_get(b.company, a.org, &s), CH_ERR_NOT_FOUND);
	cr_assert_eq(secrets_set(b.company, a.org, "x", NULL, NULL, -1), CH_ERR_NOT_FOUND);
	cr_assert_eq(client_get(b.company, client, &cl), CH_ERR_NOT_FOUND);
	cr_assert_eq(client_upsert(b.company, a.org, CH_SOURCE_API, NULL, "x", NULL, NULL, &cl),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_create(b.company, a.org, client, CH_SOURCE_API, "x", NULL),
	             CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_get(b.company, chat, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_open(b.company, client, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_update(b.company, chat, CH_CHAT_CLOSED, 0, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_theme(b.company, chat, "x"), CH_ERR_NOT_FOUND);
	cr_assert_eq(chat_delete(b.company, chat), CH_ERR_NOT_FOUND);
	cr_assert_eq(operator_load(b.company, a.org, &ld), CH_ERR_NOT_FOUND);
	ch_message_new n = {.company_id = b.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "x", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, NULL, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(msg_list(b.company, chat, 0, 0, 0, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(mark_read(b.company, chat, CH_AUTHOR_OPERATOR, 1, &l), CH_ERR_NOT_FOUND);
	cr_assert_eq(media_put(b.company, chat, "x", "x", 1, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(media_get(b.company, md.id, NULL, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(delivery_add(b.company, a.org, mid, "e", NULL), CH_ERR_NOT_FOUND);
	ch_chat_filter f = all_of(b.company);
	f.search = "secret";
	expect_list(&f, NULL, 0);

	/* A is exactly as it was. */
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.status, CH_CHAT_NEW);
	cr_assert_str_eq(c.theme, "t");
	cr_assert_eq(c.last_seq, 1);
	cr_assert_eq(c.operator_read_seq, 0);
	cr_assert_eq(c.count_unread, 1);
	cr_assert_eq(secrets_get(a.company, a.org, &s), CH_OK);
	cr_assert_str_eq(s.identity_secret, "");
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 1);
	cr_assert_eq(l.statuses[0], CH_MSG_SUCCESS);
	f = all_of(a.company);
	expect_list(&f, (int64_t[]){chat}, 1);
	channel_args *due = delivery_due(now_ms() + 1000, 0);
	cr_assert_eq(due->n, 0);
	free(due);
}

/* ---- durability of the schema across reopen ---------------------------- */

static long file_size(const char *name)
{
	char p[700];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", g_dir, name);
	return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

/* Commits stay in the WAL until a checkpoint copies them into the database
 * file; the checkpoint thread does that while the store is open, without a
 * write asking for it. */
Test(chats, the_wal_is_checkpointed_while_the_store_is_open)
{
	FX_SQLITE_ONLY("the WAL and its checkpoints", teardown);
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	long before = file_size("chathub.db");
	char text[3000];
	memset(text, 'w', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	/* ~1,500 pages of messages, past the 1,000-frame threshold */
	for (int i = 0; i < 2000; i++)
		say(a.company, chat, CH_AUTHOR_CLIENT, 0, text);
	cr_assert_gt(file_size("chathub.db-wal"), 1000L * 4096, "the messages are in the WAL");
	long after = before;
	for (int i = 0; i < 500 && after < before + 1000L * 4096; i++) {
		usleep(10 * 1000);
		after = file_size("chathub.db");
	}
	cr_assert_geq(after, before + 1000L * 4096, "database file %ld -> %ld bytes", before, after);
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 1990, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1991, 2000);
}

/* Under steady writes the WAL starts over once it holds 16,384 frames (the
 * writer copies the checkpointer's tail itself): writing several times that
 * many leaves a WAL file of at most 16,384 frames (+ one commit), not one
 * that grows with everything written (400 MB here when it never starts over). */
Test(chats, the_wal_starts_over_under_steady_writes, .timeout = 300)
{
	FX_SQLITE_ONLY("the WAL and its checkpoints", teardown);
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	static char text[CH_TEXT_MAX_BYTES - 100];
	memset(text, 'w', sizeof text - 1);
	/* one commit per message, about a dozen frames each (overflow pages of the
	 * text, the keys, the chat row): ~100,000 frames in all */
	for (int i = 0; i < 8000; i++)
		say(a.company, chat, CH_AUTHOR_CLIENT, 0, text);
	long wal = file_size("chathub.db-wal");
	cr_assert_gt(wal, 0);
	cr_assert_leq(wal, (16384L + 64) * (4096 + 24) + 32, "WAL file of %ld bytes", wal);
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 7990, 0, 0, &l), CH_OK);
	expect_seqs(&l, 7991, 8000);
}

/* Exec sql on a connection of its own to the test's database: SQLite's code. */
static int raw_exec(const char *sql)
{
	char p[700];
	sqlite3 *db;
	snprintf(p, sizeof p, "%s/chathub.db", g_dir);
	cr_assert_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		rc = sqlite3_extended_errcode(db);
	sqlite3_close(db);
	return rc;
}

/* sqlite3_exec callback over EXPLAIN's rows: counts the OpenEphemeral opcodes. */
static int count_ephemeral(void *ctx, int n, char **v, char **names)
{
	(void)names;
	if (n > 1 && v[1] && strcmp(v[1], "OpenEphemeral") == 0)
		++*(int *)ctx;
	return 0;
}

/* Migration 024: messages' author and status CHECKs are ORs of equalities,
 * the same rule as the IN lists they replaced, without the temporary b-tree
 * SQLite builds for an IN list at every check. */
Test(chats, message_checks_refuse_what_they_did_without_a_temporary_table)
{
	FX_SQLITE_ONLY("SQLite's CHECK constraints", teardown);
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	char sql[512];
	const char *insert = "INSERT INTO messages (company_id, chat_id, seq, author, text, status, created_at) "
	                     "VALUES (%lld, %lld, %d, %d, 'x', %d, 1)";
	int cases[][3] = {{1000, 3, 0}, {1001, -1, 0}, {1002, 1, 4}, {1003, 1, -1}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(sql, sizeof sql, insert, (long long)a.company, (long long)chat, cases[i][0], cases[i][1],
		         cases[i][2]);
		cr_assert_eq(raw_exec(sql), SQLITE_CONSTRAINT_CHECK, "author %d status %d refused", cases[i][1],
		             cases[i][2]);
	}
	for (int author = 0; author <= 2; author++)
		for (int status = 0; status <= 3; status++) {
			snprintf(sql, sizeof sql, insert, (long long)a.company, (long long)chat, 2000 + author * 10 + status,
			         author, status);
			cr_assert_eq(raw_exec(sql), SQLITE_OK, "author %d status %d stored", author, status);
		}
	char p[700];
	sqlite3 *db;
	int ephemeral = 0;
	snprintf(p, sizeof p, "%s/chathub.db", g_dir);
	cr_assert_eq(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "EXPLAIN %s", insert);
	char ex[600];
	snprintf(ex, sizeof ex, sql, (long long)a.company, (long long)chat, 3000, 1, 0);
	cr_assert_eq(sqlite3_exec(db, ex, count_ephemeral, &ephemeral, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(ephemeral, 0, "no temporary b-tree per insert");
}

Test(chats, data_survives_reopen)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "persist me");
	char path[600];
	snprintf(path, sizeof path, "%s/chathub.db", g_dir);
	ch_store_close(g_store);
	ch_store_opts o = fx_opts(path);
	int applied = -1;
	g_store = NULL;
	cr_assert_eq(ch_store_open(&o, &g_store, &applied), CH_OK);
	cr_assert_eq(applied, 0);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "persist me");
	cr_assert_eq(say(a.company, chat, CH_AUTHOR_CLIENT, 0, "again"), 2);
}

/* ---- redaction --------------------------------------------------------- */

typedef struct redact_args {
	int64_t company, chat, id, op;
	ch_message_row *row;
} redact_args;

static ch_err job_redact(ch_store_tx *tx, void *p)
{
	redact_args *a = p;
	return ch_store_message_redact(tx, a->company, a->chat, a->id, a->op, a->row);
}

static ch_err redact(int64_t company, int64_t chat, int64_t id, int64_t op, ch_message_row *row)
{
	redact_args a = {company, chat, id, op, row};
	return W(job_redact, &a);
}

/* The appended row is whole: a caller's row that held anything before (a
 * reused buffer) says nothing of a tombstone. */
Test(chats, an_appended_message_row_is_no_tombstone)
{
	world a = seed("a", 1);
	int64_t chat = new_chat(a.company, a.org, "Client", NULL);
	ch_message_row *row = malloc(sizeof *row);
	memset(row, 0xab, sizeof *row);
	ch_message_new m = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "hello", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&m, row, NULL), CH_OK);
	cr_assert_eq(row->redacted_at, 0);
	cr_assert_eq(row->redacted_by, 0);
	cr_assert_str_eq(row->redacted_by_name, "");
	free(row);
}

Test(chats, redaction_keeps_the_place_and_drops_text_media_preview_and_index)
{
	world a = seed("a", 1);
	world b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Olga", NULL);
	int64_t other = new_chat(a.company, a.org, "Petr", NULL);
	ch_media_row md;
	cr_assert_eq(media_put(a.company, chat, "secret.png", "\x89PNG", 4, &md), CH_OK);
	ch_message_row *m = malloc(sizeof *m), *t = malloc(sizeof *t);
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
	                    .text = "my passport zebracode", .media_id = md.id, .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	say(a.company, chat, CH_AUTHOR_OPERATOR, a.op1, "thanks");
	int64_t last_id;
	{
		ch_message_new n2 = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_CLIENT,
		                     .text = "another lastword", .status = CH_MSG_SUCCESS};
		cr_assert_eq(append(&n2, t, NULL), CH_OK);
		last_id = t->id;
	}
	ch_chat_filter f = all_of(a.company);
	f.search = "zebracode";
	expect_list(&f, (int64_t[]){chat}, 1); /* indexed before it is redacted */
	/* Another company, another chat, an unknown id: not found. */
	cr_assert_eq(redact(b.company, chat, m->id, 0, t), CH_ERR_NOT_FOUND);
	cr_assert_eq(redact(a.company, other, m->id, 0, t), CH_ERR_NOT_FOUND);
	cr_assert_eq(redact(a.company, chat, m->id + 1000, 0, t), CH_ERR_NOT_FOUND);
	cr_assert_eq(redact(a.company, chat, m->id, a.op1, t), CH_OK);
	cr_assert_eq(t->id, m->id);
	cr_assert_eq(t->chat_id, chat);
	cr_assert_eq(t->seq, 1);
	cr_assert_eq(t->author, CH_AUTHOR_CLIENT);
	cr_assert_eq(t->status, m->status);
	cr_assert_eq(t->created_at, m->created_at);
	cr_assert_str_eq(t->text, "");
	cr_assert_not(t->has_media);
	cr_assert_gt(t->redacted_at, 0);
	cr_assert_eq(t->redacted_by, a.op1);
	cr_assert_str_neq(t->redacted_by_name, "");
	cr_assert_eq(media_get(a.company, md.id, NULL, NULL), CH_ERR_NOT_FOUND, "the bytes are gone");
	expect_list(&f, NULL, 0);
	/* Twice: nothing changes, the tombstone answers. */
	int64_t at = t->redacted_at;
	cr_assert_eq(redact(a.company, chat, m->id, 0, t), CH_OK);
	cr_assert_eq(t->redacted_at, at);
	cr_assert_eq(t->redacted_by, a.op1);
	/* History keeps it at its seq. */
	msgs_args l;
	cr_assert_eq(msg_list(a.company, chat, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 3);
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "another lastword", "not the chat's last: the preview stays");
	/* By the company, the chat's last message, not yet indexed. */
	say(a.company, chat, CH_AUTHOR_CLIENT, 0, "fresh quokkaword");
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_eq(c.last_seq, 4);
	cr_assert_eq(msg_list(a.company, chat, 3, 0, 0, &l), CH_OK);
	cr_assert_eq(l.n, 1);
	cr_assert_eq(redact(a.company, chat, l.ids[0], 0, t), CH_OK);
	cr_assert_eq(t->redacted_by, 0);
	cr_assert_str_eq(t->redacted_by_name, "");
	cr_assert_eq(chat_get(a.company, chat, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "");
	f.search = "quokkaword";
	expect_list(&f, NULL, 0);
	f.search = "lastword";
	expect_list(&f, (int64_t[]){chat}, 1);
	cr_assert_eq(redact(a.company, chat, last_id, 0, t), CH_OK);
	expect_list(&f, NULL, 0);
	free(m);
	free(t);
}

/* ---- erasure (migration 023) ------------------------------------------- */

typedef struct erase_args {
	int64_t company, id, now, at;
	ch_erase_counts n;
} erase_args;

static ch_err job_chat_erase(ch_store_tx *tx, void *p)
{
	erase_args *a = p;
	return ch_store_chat_erase(tx, a->company, a->id, a->now, &a->n);
}

static ch_err job_client_erase(ch_store_tx *tx, void *p)
{
	erase_args *a = p;
	return ch_store_client_erase(tx, a->company, a->id, a->now, &a->at);
}

static ch_err job_rate(ch_store_tx *tx, void *p)
{
	ch_chat_row *c = p;
	return ch_store_chat_rate(tx, c->company_id, c->id, 2, "slow, and my card was 4111", now_ms(), c);
}

static ch_err job_search_compact(ch_store_tx *tx, void *p)
{
	(void)p;
	return ch_store_search_compact(tx);
}

Test(chats, erasure_tombstones_every_message_drops_media_and_clears_the_client)
{
	world a = seed("a", 1);
	world b = seed("b", 2);
	ch_client_row cl;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, "sub:olga-42", "Olga Wombat", "+380 44 555 1234",
	                           "olga@example.org", &cl),
	             CH_OK);
	ch_chat_row c1, c2;
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_WIDGET, "Olga Wombat", &c1), CH_OK);
	int64_t keep = new_chat(a.company, a.org, "Petr", NULL);
	ch_media_row md;
	cr_assert_eq(media_put(a.company, c1.id, "passport.png", "\x89PNG", 4, &md), CH_OK);
	ch_message_row *m = malloc(sizeof *m);
	ch_message_new n = {.company_id = a.company, .chat_id = c1.id, .author = CH_AUTHOR_CLIENT,
	                    .text = "my passport numbat", .media_id = md.id, .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	say(a.company, c1.id, CH_AUTHOR_OPERATOR, a.op1, "you said numbat");
	int64_t redacted = say(a.company, c1.id, CH_AUTHOR_CLIENT, 0, "already gone");
	cr_assert_eq(redact(a.company, c1.id, redacted, a.op1, m), CH_OK);
	say(a.company, keep, CH_AUTHOR_CLIENT, 0, "numbat too");
	cr_assert_eq(chat_update(a.company, c1.id, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	ch_chat_row rated = {.company_id = a.company, .id = c1.id};
	cr_assert_eq(W(job_rate, &rated), CH_OK);
	cr_assert_str_neq(rated.csat_comment, "");
	cr_assert_eq(chat_create(a.company, a.org, cl.id, CH_SOURCE_WIDGET, "Olga Wombat", &c2), CH_OK);
	say(a.company, c2.id, CH_AUTHOR_CLIENT, 0, "second chat numbat");
	catch_up();
	ch_chat_filter f = all_of(a.company);
	f.search = "numbat";
	expect_list(&f, (int64_t[]){c2.id, keep, c1.id}, 3);
	f.search = "wombat"; /* the client's name */
	expect_list(&f, (int64_t[]){c2.id, c1.id}, 2);

	/* another company's chat or client: not found, nothing changes */
	erase_args e = {.company = b.company, .id = c1.id, .now = now_ms()};
	cr_assert_eq(W(job_chat_erase, &e), CH_ERR_NOT_FOUND);
	e.id = cl.id;
	cr_assert_eq(W(job_client_erase, &e), CH_ERR_NOT_FOUND);
	cr_assert_eq(e.n.messages, 0);

	int64_t now = now_ms();
	e = (erase_args){.company = a.company, .id = c1.id, .now = now};
	cr_assert_eq(W(job_chat_erase, &e), CH_OK);
	e.id = c2.id;
	cr_assert_eq(W(job_chat_erase, &e), CH_OK);
	cr_assert_eq(e.n.chats, 2);
	cr_assert_eq(e.n.messages, 3, "the one already redacted is not counted");
	cr_assert_eq(e.n.media, 1);
	cr_assert_eq(e.n.csat_comments, 1);
	e.id = cl.id;
	cr_assert_eq(W(job_client_erase, &e), CH_OK);
	cr_assert_eq(e.at, now);
	cr_assert_eq(W(job_search_compact, NULL), CH_OK);

	/* the messages: tombstones at their seqs, by the company */
	msgs_args l;
	cr_assert_eq(msg_list(a.company, c1.id, 0, 0, 0, &l), CH_OK);
	expect_seqs(&l, 1, 3);
	for (size_t i = 0; i < l.n; i++) {
		m->company_id = a.company;
		m->id = l.ids[i];
		cr_assert_eq(R(job_msg_get, m), CH_OK);
		cr_assert_str_eq(m->text, "");
		cr_assert_not(m->has_media);
		cr_assert_eq(m->redacted_at, i == 2 ? m->redacted_at : now);
		cr_assert_gt(m->redacted_at, 0);
		cr_assert_eq(m->redacted_by, i == 2 ? a.op1 : 0, "an earlier redaction keeps its author");
	}
	cr_assert_eq(media_get(a.company, md.id, NULL, NULL), CH_ERR_NOT_FOUND, "the bytes are gone");
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, c1.id, &c), CH_OK);
	cr_assert_str_eq(c.last_message, "");
	cr_assert_str_eq(c.theme, "");
	cr_assert_str_eq(c.csat_comment, "");
	cr_assert_eq(c.csat_rating, 2, "the rating stays");
	cr_assert_eq(c.last_seq, 3);
	/* the client */
	cr_assert_eq(client_get(a.company, cl.id, &cl), CH_OK);
	cr_assert_eq(cl.erased_at, now);
	cr_assert_str_eq(cl.name, "");
	cr_assert_str_eq(cl.phone, "");
	cr_assert_str_eq(cl.email, "");
	cr_assert_not(cl.has_external_key);
	cr_assert_str_eq(cl.attributes, "{}");
	cr_assert_str_eq(cl.verified_keys, "[]");
	cr_assert_eq(cl.chats_count, 2, "its chats stay");
	/* search: only the other client's chat */
	f.search = "numbat";
	expect_list(&f, (int64_t[]){keep}, 1);
	f.search = "wombat";
	expect_list(&f, NULL, 0);
	/* the key is free: the same userJWT subject is a new client */
	ch_client_row again;
	cr_assert_eq(client_upsert(a.company, a.org, CH_SOURCE_WIDGET, "sub:olga-42", "Olga", NULL, NULL, &again),
	             CH_OK);
	cr_assert_neq(again.id, cl.id);
	cr_assert_eq(again.erased_at, 0);

	/* again: nothing changes, erased_at stays the first */
	e = (erase_args){.company = a.company, .id = c1.id, .now = now + 5000};
	cr_assert_eq(W(job_chat_erase, &e), CH_OK);
	cr_assert_eq(e.n.chats + e.n.messages + e.n.media, 0);
	e.id = cl.id;
	cr_assert_eq(W(job_client_erase, &e), CH_OK);
	cr_assert_eq(e.at, now);
	/* the other chat is untouched */
	cr_assert_eq(msg_list(a.company, keep, 0, 0, 0, &l), CH_OK);
	m->id = l.ids[0];
	cr_assert_eq(R(job_msg_get, m), CH_OK);
	cr_assert_str_eq(m->text, "numbat too");
	free(m);
}

/* ---- retention (migration 023) ------------------------------------------ */

typedef struct retention_args {
	int64_t company, org, days, now;
	list_args *l;
} retention_args;

static ch_err job_set_retention(ch_store_tx *tx, void *p)
{
	retention_args *a = p;
	return ch_store_org_set_retention(tx, a->company, a->org, a->days);
}

static ch_err job_retention_due(ch_store_tx *tx, void *p)
{
	retention_args *a = p;
	return ch_store_chat_retention_due(tx, a->now, LIST_MAX, collect_chat, a->l);
}

static ch_err job_org_get(ch_store_tx *tx, void *p)
{
	ch_org_row *o = p;
	return ch_store_org_get(tx, o->company_id, o->id, o);
}

static void expect_due(int64_t now, const int64_t *ids, size_t n)
{
	list_args *l = calloc(1, sizeof *l);
	retention_args a = {.now = now, .l = l};
	cr_assert_eq(R(job_retention_due, &a), CH_OK);
	cr_assert_eq(l->n, n, "%zu chats due, expected %zu", l->n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(l->ids[i], ids[i]);
	free(l);
}

Test(chats, retention_finds_old_closed_chats_once_until_they_have_activity_again)
{
	const int64_t day = 86400000;
	world a = seed("a", 1);
	world b = seed("b", 2);
	retention_args r = {.company = a.company, .org = a.org, .days = 30};
	cr_assert_eq(W(job_set_retention, &r), CH_OK);
	ch_org_row o = {.company_id = a.company, .id = a.org};
	cr_assert_eq(R(job_org_get, &o), CH_OK);
	cr_assert_eq(o.retention_days, 30);
	r.days = CH_RETENTION_DAYS_MAX + 1;
	cr_assert_eq(W(job_set_retention, &r), CH_ERR_OUT_OF_RANGE);
	r.days = -1;
	cr_assert_eq(W(job_set_retention, &r), CH_ERR_OUT_OF_RANGE);
	r = (retention_args){.company = b.company, .org = a.org, .days = 1};
	cr_assert_eq(W(job_set_retention, &r), CH_ERR_NOT_FOUND, "another company's organization");

	int64_t closed = new_chat(a.company, a.org, "Old", NULL);
	say(a.company, closed, CH_AUTHOR_CLIENT, 0, "old words");
	cr_assert_eq(chat_update(a.company, closed, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	int64_t open = new_chat(a.company, a.org, "Open", NULL);
	say(a.company, open, CH_AUTHOR_CLIENT, 0, "still talking");
	int64_t keep = new_chat(a.company, a.org2, "Kept", NULL); /* org2 keeps forever */
	cr_assert_eq(chat_update(a.company, keep, CH_CHAT_CLOSED, 0, NULL), CH_OK);
	int64_t now = now_ms();
	expect_due(now, NULL, 0);
	expect_due(now + 29 * day, NULL, 0);
	expect_due(now + 31 * day, (int64_t[]){closed}, 1);
	/* erased: off the list */
	erase_args e = {.company = a.company, .id = closed, .now = tick()};
	cr_assert_eq(W(job_chat_erase, &e), CH_OK);
	cr_assert_eq(e.n.messages, 1);
	expect_due(now + 31 * day, NULL, 0);
	/* a new message after the erasure: due again once it is old too */
	tick();
	say(a.company, closed, CH_AUTHOR_OPERATOR, a.op1, "a late reply");
	ch_chat_row c;
	cr_assert_eq(chat_get(a.company, closed, &c), CH_OK);
	cr_assert_eq(c.status, CH_CHAT_CLOSED);
	expect_due(now + 29 * day, NULL, 0);
	expect_due(now + 31 * day, (int64_t[]){closed}, 1);
	r = (retention_args){.company = a.company, .org = a.org, .days = 0};
	cr_assert_eq(W(job_set_retention, &r), CH_OK);
	expect_due(now + 3650 * day, NULL, 0);
}

/* ---- a message's status set by a channel's verdict ----------------------- */

typedef struct status_args {
	int64_t company, id;
	int status;
	ch_message_row *row;
} status_args;

static ch_err job_set_status(ch_store_tx *tx, void *p)
{
	status_args *a = p;
	return ch_store_message_set_status(tx, a->company, a->id, a->status, a->row);
}

static ch_err set_status(int64_t company, int64_t id, int status, ch_message_row *row)
{
	status_args a = {company, id, status, row};
	return W(job_set_status, &a);
}

Test(chats, a_message_status_is_set_for_its_company_only)
{
	world a = seed("a", 1);
	world b = seed("b", 2);
	int64_t chat = new_chat(a.company, a.org, "Client", NULL);
	ch_message_row *m = malloc(sizeof *m), *t = malloc(sizeof *t);
	ch_message_new n = {.company_id = a.company, .chat_id = chat, .author = CH_AUTHOR_OPERATOR,
	                    .operator_id = a.op1, .text = "a reply", .status = CH_MSG_SUCCESS};
	cr_assert_eq(append(&n, m, NULL), CH_OK);
	cr_assert_eq(set_status(b.company, m->id, CH_MSG_REJECTED, t), CH_ERR_NOT_FOUND, "another company's message");
	cr_assert_eq(set_status(a.company, m->id + 1000, CH_MSG_REJECTED, t), CH_ERR_NOT_FOUND);
	cr_assert_eq(set_status(a.company, m->id, 4, t), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set_status(a.company, m->id, -1, t), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set_status(a.company, m->id, CH_MSG_REJECTED, t), CH_OK);
	cr_assert_eq(t->id, m->id);
	cr_assert_eq(t->status, CH_MSG_REJECTED);
	cr_assert_str_eq(t->text, "a reply");
	cr_assert_eq(set_status(a.company, m->id, CH_MSG_REJECTED, NULL), CH_OK, "again: nothing changes");
	t->company_id = a.company;
	t->id = m->id;
	t->status = 0;
	cr_assert_eq(R(job_msg_get, t), CH_OK);
	cr_assert_eq(t->status, CH_MSG_REJECTED, "stored");
	free(m);
	free(t);
}
