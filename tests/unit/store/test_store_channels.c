/* test_store_channels.c — the contract of store.h's channel connections
 * (migration 025): an organization's bots (add, list, get, by key, delete,
 * health; at most CH_CHANNELS_PER_ORG_MAX per organization; scoped to the
 * company but the lookup by key, which checks the type), the connection a
 * chat came through, deliveries' chat and platform message id, and the
 * per-chat order of delivery claims; and that the migration fills the chat
 * of the deliveries that existed before it. Written only against store.h
 * (the migration test drops what 025 made with each backend's own client);
 * built for both backends (fixture.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "fixture.h"

#ifndef CH_TEST_PG
#include <sqlite3.h>
#endif

static char g_dir[512], g_path[600];
static ch_store *g_store;

static ch_store *open_store(const char *node, int *applied)
{
	ch_store_opts o = fx_opts(g_path);
	o.node_id = node;
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, applied), CH_OK);
	return s;
}

static void setup(void)
{
	fx_begin(g_dir, sizeof g_dir, "ch-channels-test");
	snprintf(g_path, sizeof g_path, "%s/chathub.db", g_dir);
	g_store = open_store("node-a", NULL);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(channels, .init = setup, .fini = teardown, .timeout = 120);

typedef ch_err (*job_fn)(ch_store_tx *tx, void *arg);
static ch_err W(job_fn fn, void *arg) { return ch_store_write_sync(g_store, fn, arg); }
static ch_err R(job_fn fn, void *arg) { return ch_store_read(g_store, fn, arg); }

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a world: a company with two organizations, a client and two chats -- */

typedef struct world {
	const char *login;
	unsigned n;
	int64_t company, org, org2, client, chat, chat2, chat_org2;
} world;

static ch_err new_chat(ch_store_tx *tx, world *w, int64_t org, const char *key, int64_t *chat)
{
	ch_client_row cl;
	ch_chat_row c;
	ch_err e = ch_store_client_upsert(tx, w->company, org, CH_SOURCE_TELEGRAM, key, "V", NULL, NULL, &cl);
	if (!e)
		e = ch_store_chat_create(tx, w->company, org, cl.id, CH_SOURCE_TELEGRAM, "", &c);
	if (!e)
		*chat = c.id;
	return e;
}

static ch_err job_world(ch_store_tx *tx, void *p)
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
		e = new_chat(tx, w, w->org, "1001", &w->chat);
	if (!e)
		e = new_chat(tx, w, w->org, "1002", &w->chat2);
	if (!e)
		e = new_chat(tx, w, w->org2, "1003", &w->chat_org2);
	return e;
}

static world make_world(const char *login, unsigned n)
{
	world w = {.login = login, .n = n};
	cr_assert_eq(W(job_world, &w), CH_OK);
	return w;
}

/* ---- connections --------------------------------------------------------- */

/* A connection of w's org: key number k (its public key is k in 32 hex). */
static ch_channel_conn_row conn_of(const world *w, int64_t org, int type, const char *name, unsigned k)
{
	ch_channel_conn_row r;
	memset(&r, 0, sizeof r);
	r.company_id = w->company;
	r.organization_id = org;
	r.type = type;
	snprintf(r.name, sizeof r.name, "%s", name);
	snprintf(r.public_key, sizeof r.public_key, "%032x", k);
	r.token_enc_len = 40;
	for (size_t i = 0; i < r.token_enc_len; i++)
		r.token_enc[i] = (unsigned char)(i * 7 + k); /* NUL bytes included: opaque bytes */
	snprintf(r.token_hint, sizeof r.token_hint, "AB%02u", k % 100);
	if (type == CH_CHANNEL_TELEGRAM)
		for (int i = 0; i < 64; i++)
			r.secret[i] = "0123456789abcdef"[(i + (int)k) % 16];
	return r;
}

typedef struct conn_args {
	ch_channel_conn_row in, out;
	int64_t company, org, id;
	int type;
	const char *key;
	int64_t webhook_at, inbound_at, now;
	const char *error;
	int n;
	int64_t ids[CH_CHANNELS_PER_ORG_MAX + 2];
	ch_channel_conn_row first;
} conn_args;

static ch_err job_add(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	return ch_store_channel_conn_add(tx, &a->in, &a->out);
}

static ch_err add(const ch_channel_conn_row *in, ch_channel_conn_row *out)
{
	conn_args *a = calloc(1, sizeof *a);
	a->in = *in;
	ch_err e = W(job_add, a);
	if (out)
		*out = a->out;
	free(a);
	return e;
}

static void collect(void *ctx, const ch_channel_conn_row *row)
{
	conn_args *a = ctx;
	cr_assert_lt(a->n, CH_CHANNELS_PER_ORG_MAX + 2);
	if (a->n == 0)
		a->first = *row;
	a->ids[a->n++] = row->id;
}

static ch_err job_list(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	a->n = 0;
	return ch_store_channel_conn_list(tx, a->company, a->org, collect, a);
}

/* The org's connections (a new struct: free()). */
static conn_args *list(int64_t company, int64_t org, ch_err expect)
{
	conn_args *a = calloc(1, sizeof *a);
	a->company = company;
	a->org = org;
	cr_assert_eq(R(job_list, a), expect);
	return a;
}

static ch_err job_get(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	return ch_store_channel_conn_get(tx, a->company, a->id, &a->out);
}

static ch_err get(int64_t company, int64_t id, ch_channel_conn_row *out)
{
	conn_args *a = calloc(1, sizeof *a);
	a->company = company;
	a->id = id;
	ch_err e = R(job_get, a);
	if (out)
		*out = a->out;
	free(a);
	return e;
}

static ch_err job_by_key(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	return ch_store_channel_conn_by_key(tx, a->type, a->key, &a->out);
}

static ch_err by_key(int type, const char *key, ch_channel_conn_row *out)
{
	conn_args *a = calloc(1, sizeof *a);
	a->type = type;
	a->key = key;
	ch_err e = R(job_by_key, a);
	if (out)
		*out = a->out;
	free(a);
	return e;
}

static ch_err job_delete(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	return ch_store_channel_conn_delete(tx, a->company, a->id);
}

static ch_err del(int64_t company, int64_t id)
{
	conn_args a = {.company = company, .id = id};
	return W(job_delete, &a);
}

static ch_err job_health(ch_store_tx *tx, void *p)
{
	conn_args *a = p;
	return ch_store_channel_conn_health(tx, a->id, a->webhook_at, a->inbound_at, a->error, a->now);
}

static ch_err health(int64_t id, int64_t webhook_at, int64_t inbound_at, const char *error, int64_t now)
{
	conn_args a = {.id = id, .webhook_at = webhook_at, .inbound_at = inbound_at, .error = error, .now = now};
	return W(job_health, &a);
}

static void expect_same(const ch_channel_conn_row *got, const ch_channel_conn_row *want)
{
	cr_assert_eq(got->id, want->id);
	cr_assert_eq(got->company_id, want->company_id);
	cr_assert_eq(got->organization_id, want->organization_id);
	cr_assert_eq(got->type, want->type);
	cr_assert_str_eq(got->name, want->name);
	cr_assert_str_eq(got->public_key, want->public_key);
	cr_assert_eq(got->token_enc_len, want->token_enc_len);
	cr_assert_arr_eq(got->token_enc, want->token_enc, want->token_enc_len);
	cr_assert_str_eq(got->token_hint, want->token_hint);
	cr_assert_str_eq(got->secret, want->secret);
	cr_assert_eq(got->created_at, want->created_at);
	cr_assert_eq(got->webhook_at, want->webhook_at);
	cr_assert_eq(got->last_inbound_at, want->last_inbound_at);
	cr_assert_str_eq(got->last_error, want->last_error);
	cr_assert_eq(got->last_error_at, want->last_error_at);
}

Test(channels, add_list_get_by_key_and_delete)
{
	world w = make_world("a", 1);
	int64_t before = now_ms();
	ch_channel_conn_row tg = conn_of(&w, w.org, CH_CHANNEL_TELEGRAM, "Support bot", 1), tg_out;
	tg.webhook_at = 1234;
	cr_assert_eq(add(&tg, &tg_out), CH_OK);
	cr_assert_gt(tg_out.id, 0);
	cr_assert_geq(tg_out.created_at, before, "created_at 0: now");
	cr_assert_eq(tg_out.webhook_at, 1234);
	cr_assert_eq(tg_out.last_error_at, 0);
	ch_channel_conn_row vb = conn_of(&w, w.org, CH_CHANNEL_VIBER, "Viber — поддержка", 2), vb_out;
	vb.created_at = 42;
	vb.token_enc_len = CH_CHANNEL_TOKEN_ENC_MAX;
	for (size_t i = 0; i < vb.token_enc_len; i++)
		vb.token_enc[i] = (unsigned char)(255 - i % 256);
	cr_assert_eq(add(&vb, &vb_out), CH_OK);
	cr_assert_gt(vb_out.id, tg_out.id);
	cr_assert_eq(vb_out.created_at, 42, "a given created_at is kept");

	ch_channel_conn_row got;
	cr_assert_eq(get(w.company, tg_out.id, &got), CH_OK);
	expect_same(&got, &tg_out);
	cr_assert_eq(get(w.company, vb_out.id, &got), CH_OK);
	expect_same(&got, &vb_out);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, tg.public_key, &got), CH_OK);
	expect_same(&got, &tg_out);
	cr_assert_eq(by_key(CH_CHANNEL_VIBER, vb.public_key, &got), CH_OK);
	expect_same(&got, &vb_out);

	conn_args *l = list(w.company, w.org, CH_OK);
	cr_assert_eq(l->n, 2);
	cr_assert_eq(l->ids[0], tg_out.id, "oldest first");
	cr_assert_eq(l->ids[1], vb_out.id);
	expect_same(&l->first, &tg_out);
	free(l);
	l = list(w.company, w.org2, CH_OK);
	cr_assert_eq(l->n, 0, "another organization's list");
	free(l);

	cr_assert_eq(del(w.company, tg_out.id), CH_OK);
	cr_assert_eq(del(w.company, tg_out.id), CH_ERR_NOT_FOUND, "deleted once");
	cr_assert_eq(get(w.company, tg_out.id, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, tg.public_key, &got), CH_ERR_NOT_FOUND);
	l = list(w.company, w.org, CH_OK);
	cr_assert_eq(l->n, 1);
	cr_assert_eq(l->ids[0], vb_out.id);
	free(l);
}

Test(channels, by_key_checks_the_type_and_the_shape_of_the_key)
{
	world w = make_world("a", 1);
	ch_channel_conn_row tg = conn_of(&w, w.org, CH_CHANNEL_TELEGRAM, "T", 7), got;
	cr_assert_eq(add(&tg, NULL), CH_OK);
	cr_assert_eq(by_key(CH_CHANNEL_VIBER, tg.public_key, &got), CH_ERR_NOT_FOUND, "the wrong type");
	cr_assert_eq(by_key(3, tg.public_key, &got), CH_ERR_NOT_FOUND);
	char upper[33];
	snprintf(upper, sizeof upper, "%032X", 0xabcu);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, upper, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, "", &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, "00000000000000000000000000000007x", &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, "' OR 1=1 --", &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, NULL, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, tg.public_key, &got), CH_OK);
}

Test(channels, another_companys_ids_are_not_found)
{
	world a = make_world("a", 1), b = make_world("b", 2);
	ch_channel_conn_row in = conn_of(&a, a.org, CH_CHANNEL_TELEGRAM, "A's bot", 1), mine, got;
	cr_assert_eq(add(&in, &mine), CH_OK);
	cr_assert_eq(get(b.company, mine.id, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(del(b.company, mine.id), CH_ERR_NOT_FOUND);
	cr_assert_eq(get(a.company, mine.id, &got), CH_OK, "left alone");
	conn_args *l = list(b.company, a.org, CH_ERR_NOT_FOUND);
	free(l);
	l = list(a.company, a.org + 100000, CH_ERR_NOT_FOUND);
	free(l);
	/* b adding into a's organization */
	ch_channel_conn_row evil = conn_of(&b, a.org, CH_CHANNEL_VIBER, "evil", 2);
	cr_assert_eq(add(&evil, NULL), CH_ERR_NOT_FOUND);
	l = list(a.company, a.org, CH_OK);
	cr_assert_eq(l->n, 1);
	free(l);
	/* the public key is unique across companies */
	ch_channel_conn_row same_key = conn_of(&b, b.org, CH_CHANNEL_TELEGRAM, "B's bot", 1);
	cr_assert_eq(add(&same_key, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, in.public_key, &got), CH_OK);
	cr_assert_eq(got.company_id, a.company);
}

Test(channels, at_most_the_limit_per_organization)
{
	world w = make_world("a", 1);
	ch_channel_conn_row out;
	int64_t ids[CH_CHANNELS_PER_ORG_MAX];
	for (unsigned i = 0; i < CH_CHANNELS_PER_ORG_MAX; i++) {
		ch_channel_conn_row in = conn_of(&w, w.org, i % 2 ? CH_CHANNEL_VIBER : CH_CHANNEL_TELEGRAM, "bot", 100 + i);
		cr_assert_eq(add(&in, &out), CH_OK, "connection %u", i);
		ids[i] = out.id;
	}
	ch_channel_conn_row more = conn_of(&w, w.org, CH_CHANNEL_TELEGRAM, "one more", 999);
	cr_assert_eq(add(&more, NULL), CH_ERR_CONFLICT);
	ch_channel_conn_row got;
	cr_assert_eq(by_key(CH_CHANNEL_TELEGRAM, more.public_key, &got), CH_ERR_NOT_FOUND, "nothing stored");
	ch_channel_conn_row other = conn_of(&w, w.org2, CH_CHANNEL_TELEGRAM, "other org", 998);
	cr_assert_eq(add(&other, NULL), CH_OK, "the limit is per organization");
	cr_assert_eq(del(w.company, ids[3]), CH_OK);
	cr_assert_eq(add(&more, NULL), CH_OK, "room again after a removal");
	cr_assert_eq(add(&(ch_channel_conn_row){0}, NULL), CH_ERR_OUT_OF_RANGE);
	conn_args *l = list(w.company, w.org, CH_OK);
	cr_assert_eq(l->n, CH_CHANNELS_PER_ORG_MAX);
	free(l);
}

Test(channels, add_refuses_what_is_out_of_its_bounds)
{
	world w = make_world("a", 1);
	ch_channel_conn_row ok = conn_of(&w, w.org, CH_CHANNEL_TELEGRAM, "bot", 1), in;
	in = ok;
	in.type = 3;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "type");
	in = ok;
	in.name[0] = 0;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "empty name");
	in = ok;
	memset(in.name, 'n', sizeof in.name);
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "name without its end");
	in = ok;
	snprintf(in.name, sizeof in.name, "bad \xff\xfe");
	cr_assert_eq(add(&in, NULL), CH_ERR_BAD_JSON, "name not UTF-8");
	in = ok;
	in.public_key[5] = 'G';
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "key not lowercase hex");
	in = ok;
	in.public_key[31] = 0;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "key too short");
	in = ok;
	in.token_enc_len = 0;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "no token");
	in = ok;
	in.token_enc_len = CH_CHANNEL_TOKEN_ENC_MAX + 1;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "token too long");
	in = ok;
	in.secret[63] = 0;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "Telegram secret of 63 characters");
	in = ok;
	in.secret[0] = 0;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "Telegram without a secret");
	in = ok;
	in.type = CH_CHANNEL_VIBER;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "Viber with a secret");
	in = ok;
	in.webhook_at = -1;
	cr_assert_eq(add(&in, NULL), CH_ERR_OUT_OF_RANGE, "a negative time");
	conn_args *l = list(w.company, w.org, CH_OK);
	cr_assert_eq(l->n, 0, "nothing stored");
	free(l);
	cr_assert_eq(add(&ok, NULL), CH_OK);
}

Test(channels, health_keeps_sets_and_clears)
{
	world w = make_world("a", 1);
	ch_channel_conn_row in = conn_of(&w, w.org, CH_CHANNEL_TELEGRAM, "bot", 1), c, got;
	cr_assert_eq(add(&in, &c), CH_OK);
	cr_assert_eq(health(c.id, 100, -1, NULL, 5000), CH_OK);
	cr_assert_eq(get(w.company, c.id, &got), CH_OK);
	cr_assert_eq(got.webhook_at, 100);
	cr_assert_eq(got.last_inbound_at, 0);
	cr_assert_str_eq(got.last_error, "");
	cr_assert_eq(got.last_error_at, 0);

	cr_assert_eq(health(c.id, -1, 200, "Unauthorized", 6000), CH_OK);
	cr_assert_eq(get(w.company, c.id, &got), CH_OK);
	cr_assert_eq(got.webhook_at, 100, "-1 keeps it");
	cr_assert_eq(got.last_inbound_at, 200);
	cr_assert_str_eq(got.last_error, "Unauthorized");
	cr_assert_eq(got.last_error_at, 6000);

	cr_assert_eq(health(c.id, -1, 300, NULL, 7000), CH_OK);
	cr_assert_eq(get(w.company, c.id, &got), CH_OK);
	cr_assert_eq(got.last_inbound_at, 300);
	cr_assert_str_eq(got.last_error, "Unauthorized", "NULL keeps it");
	cr_assert_eq(got.last_error_at, 6000);

	/* a long error is cut at CH_CHANNEL_ERROR_MAX bytes, on a UTF-8 boundary */
	static char long_error[3000];
	long_error[0] = 'x'; /* then é from byte 1 on: byte 1023 starts one, 1024 ends it */
	for (size_t i = 1; i + 2 < sizeof long_error; i += 2)
		memcpy(long_error + i, "\xc3\xa9", 2);
	cr_assert_eq(health(c.id, -1, -1, long_error, 8000), CH_OK);
	cr_assert_eq(get(w.company, c.id, &got), CH_OK);
	cr_assert_eq(strlen(got.last_error), CH_CHANNEL_ERROR_MAX - 1, "cut before the split é");
	cr_assert_eq(strncmp(got.last_error, long_error, CH_CHANNEL_ERROR_MAX - 1), 0);
	cr_assert_eq(got.last_error_at, 8000);

	cr_assert_eq(health(c.id, 0, -1, "", 9000), CH_OK);
	cr_assert_eq(get(w.company, c.id, &got), CH_OK);
	cr_assert_eq(got.webhook_at, 0, "0: not registered");
	cr_assert_eq(got.last_inbound_at, 300);
	cr_assert_str_eq(got.last_error, "", "\"\" clears it");
	cr_assert_eq(got.last_error_at, 0);

	cr_assert_eq(health(c.id + 1000, 1, 1, "x", 1), CH_ERR_NOT_FOUND);
	cr_assert_eq(del(w.company, c.id), CH_OK);
	cr_assert_eq(health(c.id, 1, 1, "x", 1), CH_ERR_NOT_FOUND, "a removed connection");
}

/* ---- a chat's connection --------------------------------------------------- */

typedef struct chat_conn_args {
	int64_t chat, conn, got;
} chat_conn_args;

static ch_err job_set_conn(ch_store_tx *tx, void *p)
{
	chat_conn_args *a = p;
	return ch_store_chat_set_connection(tx, a->chat, a->conn);
}

static ch_err job_conn_of(ch_store_tx *tx, void *p)
{
	chat_conn_args *a = p;
	a->got = -1;
	return ch_store_chat_connection(tx, a->chat, &a->got);
}

static ch_err set_conn(int64_t chat, int64_t conn)
{
	chat_conn_args a = {.chat = chat, .conn = conn};
	return W(job_set_conn, &a);
}

static int64_t conn_of_chat(int64_t chat, ch_err expect)
{
	chat_conn_args a = {.chat = chat};
	cr_assert_eq(R(job_conn_of, &a), expect);
	return a.got;
}

Test(channels, a_chat_keeps_the_connection_it_came_through)
{
	world a = make_world("a", 1), b = make_world("b", 2);
	ch_channel_conn_row c1, c2, cb, in;
	in = conn_of(&a, a.org, CH_CHANNEL_TELEGRAM, "one", 1);
	cr_assert_eq(add(&in, &c1), CH_OK);
	in = conn_of(&a, a.org, CH_CHANNEL_VIBER, "two", 2);
	cr_assert_eq(add(&in, &c2), CH_OK);
	in = conn_of(&b, b.org, CH_CHANNEL_TELEGRAM, "b", 3);
	cr_assert_eq(add(&in, &cb), CH_OK);

	cr_assert_eq(conn_of_chat(a.chat, CH_OK), 0, "none yet");
	cr_assert_eq(set_conn(a.chat, c1.id), CH_OK);
	cr_assert_eq(conn_of_chat(a.chat, CH_OK), c1.id);
	cr_assert_eq(conn_of_chat(a.chat2, CH_OK), 0, "another chat's");
	cr_assert_eq(set_conn(a.chat, c2.id), CH_OK);
	cr_assert_eq(conn_of_chat(a.chat, CH_OK), c2.id);
	cr_assert_eq(set_conn(a.chat, cb.id), CH_ERR_NOT_FOUND, "another company's connection");
	cr_assert_eq(set_conn(a.chat_org2, c1.id), CH_ERR_NOT_FOUND, "another organization's connection");
	cr_assert_eq(set_conn(a.chat, cb.id + 1000), CH_ERR_NOT_FOUND, "no such connection");
	cr_assert_eq(conn_of_chat(a.chat, CH_OK), c2.id, "left alone");
	cr_assert_eq(set_conn(a.chat + b.chat_org2 + 1000, c1.id), CH_ERR_NOT_FOUND, "no such chat");
	cr_assert_eq(conn_of_chat(a.chat + b.chat_org2 + 1000, CH_ERR_NOT_FOUND), -1);
	cr_assert_eq(set_conn(a.chat, -1), CH_ERR_OUT_OF_RANGE);

	/* a removed connection: the chat keeps its id, and no new connection
	 * ever gets that id again */
	cr_assert_eq(set_conn(a.chat2, c1.id), CH_OK);
	int64_t last = cb.id;
	cr_assert_eq(del(b.company, cb.id), CH_OK);
	cr_assert_eq(del(a.company, c2.id), CH_OK);
	cr_assert_eq(conn_of_chat(a.chat, CH_OK), c2.id);
	ch_channel_conn_row again;
	in = conn_of(&a, a.org, CH_CHANNEL_VIBER, "three", 4);
	cr_assert_eq(add(&in, &again), CH_OK);
	cr_assert_gt(again.id, last, "ids are not used again");
	cr_assert_eq(set_conn(a.chat, 0), CH_OK, "0 clears it");
	cr_assert_eq(conn_of_chat(a.chat, CH_OK), 0);
	cr_assert_eq(conn_of_chat(a.chat2, CH_OK), c1.id);
}

/* ---- deliveries ------------------------------------------------------------ */

typedef struct dl_args {
	world *w;
	int64_t chat, message, id, org, now, lease, next;
	int status, attempts;
	const char *pmid;
	int n;
	ch_delivery_row rows[8];
} dl_args;

static ch_err job_delivery(ch_store_tx *tx, void *p)
{
	dl_args *a = p;
	ch_message_new m = {.company_id = a->w->company, .chat_id = a->chat, .author = CH_AUTHOR_OPERATOR,
	                    .text = "reply", .status = CH_MSG_SUCCESS};
	ch_message_row *row = malloc(sizeof *row);
	ch_err e = ch_store_message_append(tx, &m, NULL, row, NULL);
	if (!e)
		a->message = row->id;
	if (!e)
		e = ch_store_delivery_add(tx, a->w->company, a->org, row->id, "11111111-2222-4333-8444-555555555555",
		                          &a->id);
	free(row);
	return e;
}

/* A new reply in chat (of org) and its delivery: *message gets the message. */
static int64_t delivery(world *w, int64_t org, int64_t chat, int64_t *message)
{
	dl_args a = {.w = w, .org = org, .chat = chat};
	cr_assert_eq(W(job_delivery, &a), CH_OK);
	if (message)
		*message = a.message;
	return a.id;
}

static void collect_claim(void *ctx, const ch_delivery_row *row)
{
	dl_args *a = ctx;
	cr_assert_lt(a->n, 8);
	a->rows[a->n++] = *row;
}

static ch_err job_claim(ch_store_tx *tx, void *p)
{
	dl_args *a = p;
	a->n = 0;
	return ch_store_delivery_claim(tx, a->now, 8, a->lease, collect_claim, a);
}

static dl_args claim_on(ch_store *s, int64_t now)
{
	dl_args a = {.now = now, .lease = 60000};
	cr_assert_eq(ch_store_write_sync(s, job_claim, &a), CH_OK);
	return a;
}

static int claimed(const dl_args *a, int64_t id)
{
	for (int i = 0; i < a->n; i++)
		if (a->rows[i].id == id)
			return 1;
	return 0;
}

static const ch_delivery_row *row_of(const dl_args *a, int64_t id)
{
	for (int i = 0; i < a->n; i++)
		if (a->rows[i].id == id)
			return &a->rows[i];
	cr_assert_fail("delivery %lld not claimed", (long long)id);
	return NULL;
}

static ch_err job_update(ch_store_tx *tx, void *p)
{
	dl_args *a = p;
	return ch_store_delivery_update(tx, a->id, a->status, a->attempts, a->next, a->status == 1 ? "" : "retry",
	                                a->pmid);
}

static ch_err update(int64_t id, int status, int attempts, int64_t next, const char *pmid)
{
	dl_args a = {.id = id, .status = status, .attempts = attempts, .next = next, .pmid = pmid};
	return W(job_update, &a);
}

static ch_err job_by_pmid(ch_store_tx *tx, void *p)
{
	dl_args *a = p;
	a->message = -1;
	return ch_store_delivery_by_platform_id(tx, a->org, a->pmid, &a->message);
}

static int64_t by_pmid(int64_t org, const char *pmid, ch_err expect)
{
	dl_args a = {.org = org, .pmid = pmid};
	cr_assert_eq(R(job_by_pmid, &a), expect, "platform id \"%s\"", pmid);
	return a.message;
}

Test(channels, a_chats_deliveries_are_claimed_in_order)
{
	world w = make_world("a", 1);
	int64_t d1 = delivery(&w, w.org, w.chat, NULL);
	int64_t d2 = delivery(&w, w.org, w.chat, NULL);
	int64_t d3 = delivery(&w, w.org, w.chat2, NULL);
	int64_t now = now_ms() + 1000;

	dl_args a = claim_on(g_store, now);
	cr_assert_eq(a.n, 2, "the first of each chat");
	cr_assert(claimed(&a, d1) && claimed(&a, d3));
	cr_assert_eq(row_of(&a, d1)->chat_id, w.chat);
	cr_assert_eq(row_of(&a, d3)->chat_id, w.chat2);
	cr_assert_str_eq(row_of(&a, d1)->platform_message_id, "");

	a = claim_on(g_store, now);
	cr_assert_eq(a.n, 0, "d1 and d3 leased; d2 waits for d1");
	ch_store *other = open_store("node-b", NULL);
	a = claim_on(other, now);
	cr_assert_eq(a.n, 0, "nor for another process: d1 is leased by this one");

	/* d1 waits for its retry, d2 is due earlier: d2 still waits for it */
	cr_assert_eq(update(d1, 0, 1, now + 60000, NULL), CH_OK);
	cr_assert_eq(update(d3, 1, 1, now, "3001"), CH_OK);
	a = claim_on(other, now + 30000);
	cr_assert_eq(a.n, 0, "d2 waits for d1's retry");
	a = claim_on(g_store, now + 60000);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(a.rows[0].id, d1, "d1 at its retry, d2 not with it");
	cr_assert_eq(a.rows[0].attempts, 1);
	a = claim_on(other, now + 60000);
	cr_assert_eq(a.n, 0, "d1 leased again by the first process");

	int64_t d4 = delivery(&w, w.org, w.chat2, NULL);
	a = claim_on(other, now + 60000);
	cr_assert_eq(a.n, 1, "d3 is done: the next of its chat goes");
	cr_assert_eq(a.rows[0].id, d4);

	cr_assert_eq(update(d1, 1, 2, now + 60000, "3002"), CH_OK);
	a = claim_on(other, now + 60000);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(a.rows[0].id, d2, "d1 delivered: d2 goes");
	cr_assert_eq(a.rows[0].chat_id, w.chat);
	ch_store_close(other);

	/* a delivery given up frees its chat too */
	int64_t d5 = delivery(&w, w.org, w.chat, NULL);
	cr_assert_eq(update(d2, 2, 5, now, NULL), CH_OK);
	a = claim_on(g_store, now + 60000);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(a.rows[0].id, d5);
}

Test(channels, a_platform_message_id_finds_its_message_in_its_organization)
{
	world w = make_world("a", 1), b = make_world("b", 2);
	int64_t m1, m2, mo, mb;
	int64_t d1 = delivery(&w, w.org, w.chat, &m1);
	int64_t d2 = delivery(&w, w.org, w.chat2, &m2);
	int64_t dother = delivery(&w, w.org2, w.chat_org2, &mo);
	int64_t db = delivery(&b, b.org, b.chat, &mb);
	int64_t now = now_ms() + 1000;
	cr_assert_eq(by_pmid(w.org, "5001", CH_ERR_NOT_FOUND), -1, "none recorded yet");
	cr_assert_eq(by_pmid(w.org, "", CH_ERR_NOT_FOUND), -1, "\"\" is no id");

	cr_assert_eq(update(d1, 1, 1, now, "5001"), CH_OK);
	cr_assert_eq(update(d2, 0, 1, now, "5002"), CH_OK);
	cr_assert_eq(update(dother, 1, 1, now, "5003"), CH_OK);
	cr_assert_eq(update(db, 1, 1, now, "5001"), CH_OK);
	cr_assert_eq(by_pmid(w.org, "5001", CH_OK), m1);
	cr_assert_eq(by_pmid(w.org, "5002", CH_OK), m2);
	cr_assert_eq(by_pmid(b.org, "5001", CH_OK), mb, "each organization its own");
	cr_assert_eq(by_pmid(w.org, "5003", CH_ERR_NOT_FOUND), -1, "another organization's");
	cr_assert_eq(by_pmid(w.org2, "5003", CH_OK), mo);
	cr_assert_eq(by_pmid(b.org, "5002", CH_ERR_NOT_FOUND), -1, "another company's");
	cr_assert_eq(by_pmid(w.org, "", CH_ERR_NOT_FOUND), -1);

	/* NULL keeps it; the claim hands it out */
	cr_assert_eq(update(d2, 0, 2, now, NULL), CH_OK);
	cr_assert_eq(by_pmid(w.org, "5002", CH_OK), m2);
	dl_args a = claim_on(g_store, now + 1000);
	cr_assert_str_eq(row_of(&a, d2)->platform_message_id, "5002");

	char longest[CH_PLATFORM_MESSAGE_ID_MAX + 2];
	memset(longest, '7', sizeof longest - 1);
	longest[sizeof longest - 1] = 0;
	cr_assert_eq(update(d2, 0, 3, now, longest), CH_ERR_OUT_OF_RANGE, "65 bytes");
	by_pmid(w.org, longest, CH_ERR_OUT_OF_RANGE);
	longest[CH_PLATFORM_MESSAGE_ID_MAX] = 0;
	cr_assert_eq(update(d2, 0, 3, now, longest), CH_OK, "64 bytes");
	cr_assert_eq(by_pmid(w.org, longest, CH_OK), m2);
	cr_assert_eq(by_pmid(w.org, "5002", CH_ERR_NOT_FOUND), -1, "replaced");
}

/* ---- migration 025 over deliveries that existed before it ------------------ */

/* Runs sql on a connection of the test's own to its database. */
static void raw_sql(const char *sql)
{
#ifdef CH_TEST_PG
	PGconn *c = PQconnectdb(fx_opts(g_path).url);
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
	          PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
#else
	sqlite3 *db;
	char *msg = NULL;
	cr_assert_eq(sqlite3_open_v2(g_path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_close(db);
#endif
}

/* Takes the database back to the schema before 025, with the deliveries it
 * holds (their new columns go), then opens it again: 025 runs over them. */
Test(channels, the_migration_gives_existing_deliveries_their_chat)
{
	world w = make_world("a", 1);
	int64_t d1 = delivery(&w, w.org, w.chat, NULL);
	int64_t d2 = delivery(&w, w.org, w.chat2, NULL);
	int64_t d3 = delivery(&w, w.org, w.chat, NULL);
	int version = ch_store_schema_version(g_store);
	cr_assert_geq(version, 25);
	ch_store_close(g_store);
	g_store = NULL;
	raw_sql("DROP INDEX deliveries_chat_pending; DROP INDEX deliveries_platform;"
	        "ALTER TABLE deliveries DROP COLUMN chat_id;"
	        "ALTER TABLE deliveries DROP COLUMN platform_message_id;"
	        "ALTER TABLE chats DROP COLUMN connection_id;"
	        "DROP TABLE channel_connections;"
	        "DELETE FROM schema_migrations WHERE version >= 25;");
	int applied = -1;
	g_store = open_store("node-a", &applied);
	cr_assert_eq(applied, version - 24, "025 and what came after it ran again");
	cr_assert_eq(ch_store_schema_version(g_store), version);

	dl_args a = claim_on(g_store, now_ms() + 1000);
	cr_assert_eq(a.n, 2, "d3 waits for d1: they are of one chat");
	cr_assert_eq(row_of(&a, d1)->chat_id, w.chat);
	cr_assert_eq(row_of(&a, d2)->chat_id, w.chat2);
	cr_assert_str_eq(row_of(&a, d1)->platform_message_id, "");
	cr_assert(!claimed(&a, d3));
	cr_assert_eq(update(d1, 1, 1, now_ms(), "x1"), CH_OK);
	a = claim_on(g_store, now_ms() + 1000);
	cr_assert_eq(a.n, 1);
	cr_assert_eq(row_of(&a, d3)->chat_id, w.chat);
	cr_assert_eq(by_pmid(w.org, "x1", CH_OK) > 0, 1);
}
