/* test_store_contract.c — the contract of store.h, written only against that
 * header so every backend (SQLite now, PostgreSQL later) runs the same suite.
 *
 * Each test opens a fresh store in its own mkdtemp directory. Nothing here
 * depends on timing: where a test needs several jobs in one group commit, a
 * "gate" job holds the writer until the others are queued.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "fixture.h"

static char g_dir[512];
static char g_path[600];
static ch_store *g_store;
static int g_applied;

/* ---- fixture --------------------------------------------------------- */

static ch_store *open_at(const char *path, int *applied)
{
	ch_store_opts o = fx_opts(path);
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, applied), CH_OK, "open %s", path);
	cr_assert_not_null(s);
	return s;
}

static void path_in_dir(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", g_dir, name);
}

static void setup(void)
{
	fx_begin(g_dir, sizeof g_dir, "ch-store-test");
	path_in_dir(g_path, sizeof g_path, "chathub.db");
	g_store = open_at(g_path, &g_applied);
}

static void teardown(void)
{
	if (g_store)
		ch_store_close(g_store);
	g_store = NULL;
	fx_end(g_dir);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void make_guid(char out[CH_GUID_LEN + 1], unsigned n)
{
	snprintf(out, CH_GUID_LEN + 1, "%08x-0000-4000-8000-%012x", n, n * 7u);
}

static void sem_wait_all(sem_t *s)
{
	while (sem_wait(s) != 0 && errno == EINTR)
		;
}

/* ---- companies -------------------------------------------------------- */

typedef struct company_args {
	const char *login, *name, *hash;
	int64_t id;
	ch_company_row row;
} company_args;

static ch_err job_company_create(ch_store_tx *tx, void *p)
{
	company_args *a = p;
	return ch_store_company_create(tx, a->login, a->name, a->hash, &a->id);
}

static ch_err company_create(ch_store *s, const char *login, int64_t *id)
{
	company_args a = {.login = login, .name = "Acme", .hash = "$argon2id$v=19$fake"};
	ch_err e = ch_store_write_sync(s, job_company_create, &a);
	if (id)
		*id = a.id;
	return e;
}

static ch_err job_company_read(ch_store_tx *tx, void *p)
{
	company_args *a = p;
	return a->login ? ch_store_company_by_login(tx, a->login, &a->row)
	                : ch_store_company_get(tx, a->id, &a->row);
}

static ch_err company_get(ch_store *s, int64_t id, ch_company_row *row)
{
	company_args a = {.id = id};
	ch_err e = ch_store_read(s, job_company_read, &a);
	*row = a.row;
	return e;
}

static ch_err company_by_login(ch_store *s, const char *login, ch_company_row *row)
{
	company_args a = {.login = login};
	ch_err e = ch_store_read(s, job_company_read, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err job_set_password(ch_store_tx *tx, void *p)
{
	company_args *a = p;
	return ch_store_company_set_password(tx, a->id, a->hash);
}

static ch_err set_password(ch_store *s, int64_t id, const char *hash)
{
	company_args a = {.id = id, .hash = hash};
	return ch_store_write_sync(s, job_set_password, &a);
}

/* ---- organizations ---------------------------------------------------- */

typedef struct org_args {
	int64_t company, id, max;
	const char *name, *guid, *origins;
	ch_org_row row;
	int all;
	ch_org_row *rows;
	size_t n;
} org_args;

static ch_err job_org_create(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_create(tx, a->company, a->name, a->guid, &a->id);
}

static ch_err org_create(ch_store *s, int64_t company, const char *name, const char *guid,
                         int64_t *id)
{
	org_args a = {.company = company, .name = name, .guid = guid};
	ch_err e = ch_store_write_sync(s, job_org_create, &a);
	if (id)
		*id = a.id;
	return e;
}

static ch_err job_org_get(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return a->guid ? ch_store_org_by_guid(tx, a->guid, &a->row)
	               : ch_store_org_get(tx, a->company, a->id, &a->row);
}

static ch_err org_get(ch_store *s, int64_t company, int64_t id, ch_org_row *row)
{
	org_args *a = calloc(1, sizeof *a);
	a->company = company;
	a->id = id;
	ch_err e = ch_store_read(s, job_org_get, a);
	*row = a->row;
	free(a);
	return e;
}

static ch_err org_by_guid(ch_store *s, const char *guid, ch_org_row *row)
{
	org_args *a = calloc(1, sizeof *a);
	a->guid = guid;
	ch_err e = ch_store_read(s, job_org_get, a);
	*row = a->row;
	free(a);
	return e;
}

static ch_err job_org_update(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return ch_store_org_update(tx, a->company, a->id, a->name, a->origins, a->max);
}

static ch_err org_update(ch_store *s, int64_t company, int64_t id, const char *name,
                         const char *origins, int64_t max)
{
	org_args a = {.company = company, .id = id, .name = name, .origins = origins, .max = max};
	return ch_store_write_sync(s, job_org_update, &a);
}

static void collect_org(void *ctx, const ch_org_row *row)
{
	org_args *a = ctx;
	a->rows = realloc(a->rows, (a->n + 1) * sizeof *a->rows);
	a->rows[a->n++] = *row;
}

static ch_err job_org_list(ch_store_tx *tx, void *p)
{
	org_args *a = p;
	return a->all ? ch_store_org_list_all(tx, collect_org, a)
	              : ch_store_org_list(tx, a->company, collect_org, a);
}

/* Returns the rows (free them) and their count in *n. */
static ch_org_row *org_list(ch_store *s, int64_t company, int all, size_t *n, ch_err *err)
{
	org_args a = {.company = company, .all = all};
	*err = ch_store_read(s, job_org_list, &a);
	*n = a.n;
	return a.rows;
}

/* ---- operators -------------------------------------------------------- */

typedef struct op_args {
	int64_t company, org, id;
	const char *name, *ext;
	int status, include_deleted, created, no_out;
	ch_operator_row row;
	ch_operator_row *rows;
	size_t n;
} op_args;

static ch_err job_op_upsert(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_upsert(tx, a->company, a->org, a->name, a->ext, &a->row,
	                                &a->created);
}

static ch_err op_upsert(ch_store *s, int64_t company, int64_t org, const char *name,
                        const char *ext, ch_operator_row *row, int *created)
{
	op_args a = {.company = company, .org = org, .name = name, .ext = ext, .created = -1};
	ch_err e = ch_store_write_sync(s, job_op_upsert, &a);
	if (row)
		*row = a.row;
	if (created)
		*created = a.created;
	return e;
}

static ch_err job_op_get(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_get(tx, a->company, a->id, &a->row);
}

static ch_err op_get(ch_store *s, int64_t company, int64_t id, ch_operator_row *row)
{
	op_args a = {.company = company, .id = id};
	ch_err e = ch_store_read(s, job_op_get, &a);
	*row = a.row;
	return e;
}

static ch_err job_op_status(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_set_status(tx, a->company, a->id, a->status,
	                                    a->no_out ? NULL : &a->row);
}

static ch_err op_set_status(ch_store *s, int64_t company, int64_t id, int status,
                            ch_operator_row *row)
{
	op_args a = {.company = company, .id = id, .status = status, .no_out = row == NULL};
	ch_err e = ch_store_write_sync(s, job_op_status, &a);
	if (row)
		*row = a.row;
	return e;
}

static ch_err job_op_photo(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_set_photo(tx, a->company, a->id, a->name, &a->row);
}

static void collect_op(void *ctx, const ch_operator_row *row)
{
	op_args *a = ctx;
	a->rows = realloc(a->rows, (a->n + 1) * sizeof *a->rows);
	a->rows[a->n++] = *row;
}

static ch_err job_op_list(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_list(tx, a->company, a->org, a->include_deleted, collect_op, a);
}

static ch_operator_row *op_list(ch_store *s, int64_t company, int64_t org, int include_deleted,
                                size_t *n, ch_err *err)
{
	op_args a = {.company = company, .org = org, .include_deleted = include_deleted};
	*err = ch_store_read(s, job_op_list, &a);
	*n = a.n;
	return a.rows;
}

static size_t op_count(ch_store *s, int64_t company, int64_t org, int include_deleted)
{
	size_t n;
	ch_err e;
	free(op_list(s, company, org, include_deleted, &n, &e));
	cr_assert_eq(e, CH_OK);
	return n;
}

/* A company with one organization. */
static void seed(ch_store *s, const char *login, unsigned guid_n, int64_t *company, int64_t *org)
{
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, guid_n);
	cr_assert_eq(company_create(s, login, company), CH_OK);
	cr_assert_eq(org_create(s, *company, "Support", guid, org), CH_OK);
}

/* ---- a gate: holds the writer so that later jobs queue up ------------- */

typedef struct gate {
	sem_t entered, release;
} gate;

static ch_err job_gate(ch_store_tx *tx, void *p)
{
	gate *g = p;
	sem_post(&g->entered);
	sem_wait_all(&g->release);
	return CH_OK;
}

/* Returns once the writer is inside the gate job, alone in its batch. */
static void gate_close(ch_store *s, gate *g)
{
	sem_init(&g->entered, 0, 0);
	sem_init(&g->release, 0, 0);
	ch_store_write(s, job_gate, g, NULL);
	sem_wait_all(&g->entered);
}

static void gate_open(gate *g) { sem_post(&g->release); }

static void gate_destroy(gate *g)
{
	sem_destroy(&g->entered);
	sem_destroy(&g->release);
}

/* An asynchronous job: creates a company, then fails with fail_with. */
typedef struct async_job {
	const char *login;
	ch_err fail_with;
	ch_err err;
	int done_calls;
	sem_t *done;
} async_job;

static ch_err job_async(ch_store_tx *tx, void *p)
{
	async_job *a = p;
	ch_err e = ch_store_company_create(tx, a->login, "Async", "hash", NULL);
	return e != CH_OK ? e : a->fail_with;
}

static void done_async(void *p, ch_err err)
{
	async_job *a = p;
	a->err = err;
	a->done_calls++;
	sem_post(a->done);
}

/* ---- schema and lifecycle --------------------------------------------- */

Test(store, open_applies_migrations_and_reopen_applies_none)
{
	cr_assert_geq(g_applied, 1);
	int version = ch_store_schema_version(g_store);
	cr_assert_geq(version, 1);
	ch_store_close(g_store);
	int applied = -1;
	g_store = open_at(g_path, &applied);
	cr_assert_eq(applied, 0);
	cr_assert_eq(ch_store_schema_version(g_store), version);
	ch_store_close(g_store);
	g_store = open_at(g_path, NULL); /* applied_out may be NULL */
}

typedef struct opener {
	ch_store_opts opts; /* made before the threads start: fx_opts is not thread-safe */
	pthread_barrier_t *start;
	ch_store *s;
	int applied;
	ch_err err;
} opener;

static void *open_thread(void *p)
{
	opener *o = p;
	pthread_barrier_wait(o->start);
	o->err = ch_store_open(&o->opts, &o->s, &o->applied);
	return NULL;
}

Test(store, two_openers_of_a_new_file_migrate_it_once)
{
	char path[700];
	path_in_dir(path, sizeof path, "race.db");
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, 2);
	opener a = {.opts = fx_opts(path), .start = &start}, b = {.opts = fx_opts(path), .start = &start};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, open_thread, &a);
	pthread_create(&tb, NULL, open_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&start);
	cr_assert_eq(a.err, CH_OK);
	cr_assert_eq(b.err, CH_OK);
	cr_assert_eq(a.applied + b.applied, g_applied, "each migration applied exactly once");
	cr_assert_eq(ch_store_schema_version(a.s), ch_store_schema_version(g_store));
	cr_assert_eq(ch_store_schema_version(b.s), ch_store_schema_version(g_store));
	cr_assert_eq(company_create(a.s, "alpha", NULL), CH_OK);
	cr_assert_eq(company_by_login(b.s, "alpha", NULL), CH_OK);
	ch_store_close(a.s);
	ch_store_close(b.s);
}

Test(store, data_survives_close_and_reopen)
{
	int64_t company, org;
	seed(g_store, "durable", 1, &company, &org);
	ch_operator_row op;
	cr_assert_eq(op_upsert(g_store, company, org, "Olga", "ext-1", &op, NULL), CH_OK);
	ch_store_close(g_store);
	g_store = open_at(g_path, NULL);
	ch_company_row c;
	cr_assert_eq(company_by_login(g_store, "durable", &c), CH_OK);
	cr_assert_eq(c.id, company);
	ch_org_row o;
	cr_assert_eq(org_get(g_store, company, org, &o), CH_OK);
	cr_assert_str_eq(o.name, "Support");
	ch_operator_row got;
	cr_assert_eq(op_get(g_store, company, op.id, &got), CH_OK);
	cr_assert_str_eq(got.name, "Olga");
	cr_assert_str_eq(got.external_id, "ext-1");
}

Test(store, synchronous_full_store_works)
{
	char path[700];
	path_in_dir(path, sizeof path, "full.db");
	ch_store_opts o = fx_opts(path);
	o.synchronous_full = 1;
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, NULL), CH_OK);
	cr_assert_eq(company_create(s, "full", NULL), CH_OK);
	cr_assert_eq(company_by_login(s, "full", NULL), CH_OK);
	ch_store_close(s);
}

Test(store, open_fails_cleanly_where_no_file_can_be)
{
	char path[700];
	path_in_dir(path, sizeof path, "missing-dir/x.db");
	ch_store_opts o = fx_opts(path);
	o.busy_timeout_ms = 1000;
	ch_store *s = NULL;
	cr_assert_neq(ch_store_open(&o, &s, NULL), CH_OK);
	cr_assert_null(s);
}

static ch_err job_ping(ch_store_tx *tx, void *p) { return ch_store_ping(tx); }

static ch_err job_fail(ch_store_tx *tx, void *p) { return *(ch_err *)p; }

Test(store, ping_and_errors_of_the_function_are_returned)
{
	cr_assert_eq(ch_store_read(g_store, job_ping, NULL), CH_OK);
	cr_assert_eq(ch_store_write_sync(g_store, job_ping, NULL), CH_OK);
	ch_err e = CH_ERR_RATE_LIMITED;
	cr_assert_eq(ch_store_read(g_store, job_fail, &e), CH_ERR_RATE_LIMITED);
	cr_assert_eq(ch_store_write_sync(g_store, job_fail, &e), CH_ERR_RATE_LIMITED);
	cr_assert_eq(ch_store_read(g_store, job_ping, NULL), CH_OK, "the connection is usable after");
}

/* ---- companies -------------------------------------------------------- */

Test(store, company_create_get_by_login)
{
	int64_t t0 = now_ms(), id = 0;
	cr_assert_eq(company_create(g_store, "acme", &id), CH_OK);
	int64_t t1 = now_ms();
	cr_assert_gt(id, 0);
	ch_company_row r;
	cr_assert_eq(company_get(g_store, id, &r), CH_OK);
	cr_assert_eq(r.id, id);
	cr_assert_str_eq(r.login, "acme");
	cr_assert_str_eq(r.name, "Acme");
	cr_assert_str_eq(r.password_hash, "$argon2id$v=19$fake");
	cr_assert(r.created_at >= t0 - 1000 && r.created_at <= t1 + 1000, "created_at is in ms");
	ch_company_row l;
	cr_assert_eq(company_by_login(g_store, "acme", &l), CH_OK);
	cr_assert_eq(l.id, id);
	cr_assert_eq(l.created_at, r.created_at);
	int64_t id2 = 0;
	cr_assert_eq(company_create(g_store, "other", &id2), CH_OK);
	cr_assert_neq(id2, id);
}

Test(store, company_missing_and_duplicate)
{
	ch_company_row r;
	cr_assert_eq(company_get(g_store, 12345, &r), CH_ERR_NOT_FOUND);
	cr_assert_eq(company_by_login(g_store, "nobody", &r), CH_ERR_NOT_FOUND);
	int64_t id;
	cr_assert_eq(company_create(g_store, "acme", &id), CH_OK);
	cr_assert_eq(company_create(g_store, "acme", NULL), CH_ERR_CONFLICT);
	cr_assert_eq(company_by_login(g_store, "acme", &r), CH_OK);
	cr_assert_eq(r.id, id);
	cr_assert_eq(company_create(g_store, "acme2", NULL), CH_OK, "the writer goes on");
}

Test(store, company_set_password)
{
	int64_t id;
	cr_assert_eq(company_create(g_store, "acme", &id), CH_OK);
	cr_assert_eq(set_password(g_store, id, "$argon2id$new"), CH_OK);
	ch_company_row r;
	cr_assert_eq(company_get(g_store, id, &r), CH_OK);
	cr_assert_str_eq(r.password_hash, "$argon2id$new");
	cr_assert_eq(set_password(g_store, id, "$argon2id$new"), CH_OK, "same value again");
	cr_assert_eq(set_password(g_store, id + 100, "x"), CH_ERR_NOT_FOUND);
}

static ch_err job_revoke_company(ch_store_tx *tx, void *p)
{
	return ch_store_company_revoke_tokens(tx, *(int64_t *)p);
}

Test(store, company_password_change_and_revocation_move_the_token_epoch)
{
	int64_t id, bad = 1 << 30;
	ch_company_row r;
	cr_assert_eq(company_create(g_store, "acme", &id), CH_OK);
	cr_assert_eq(company_get(g_store, id, &r), CH_OK);
	int64_t e0 = r.token_epoch;
	uint64_t g0 = ch_store_principals_gen(g_store);
	cr_assert_eq(set_password(g_store, id, "$argon2id$new"), CH_OK);
	cr_assert_eq(company_get(g_store, id, &r), CH_OK);
	cr_assert_eq(r.token_epoch, e0 + 1, "a new password revokes the company's tokens");
	cr_assert_neq(ch_store_principals_gen(g_store), g0, "caches of principals are told before done");
	cr_assert_eq(ch_store_write_sync(g_store, job_revoke_company, &id), CH_OK);
	cr_assert_eq(company_by_login(g_store, "acme", &r), CH_OK);
	cr_assert_eq(r.token_epoch, e0 + 2);
	cr_assert_eq(ch_store_write_sync(g_store, job_revoke_company, &bad), CH_ERR_NOT_FOUND);
}

/* A revocation committed through another store on the same database (the
 * admin CLI next to a running server) reaches this store's principals
 * generation through the poll, and only once. */
Test(store, revocations_of_another_process_are_seen_by_the_poll)
{
	int64_t id;
	int changed = -1;
	cr_assert_eq(company_create(g_store, "acme", &id), CH_OK);
	cr_assert_eq(ch_store_revocations_poll(g_store, &changed), CH_OK);
	cr_assert_eq(changed, 0, "creating revokes nothing");
	ch_store *cli = open_at(g_path, NULL);
	cr_assert_eq(ch_store_write_sync(cli, job_revoke_company, &id), CH_OK);
	ch_store_close(cli);
	uint64_t g0 = ch_store_principals_gen(g_store);
	cr_assert_eq(ch_store_revocations_poll(g_store, &changed), CH_OK);
	cr_assert_eq(changed, 1, "the other process's revocation is seen");
	cr_assert_neq(ch_store_principals_gen(g_store), g0);
	cr_assert_eq(ch_store_revocations_poll(g_store, &changed), CH_OK);
	cr_assert_eq(changed, 0, "once");
}

Test(store, values_of_maximum_length_round_trip)
{
	static char login[CH_LOGIN_MAX + 1], name[CH_NAME_MAX + 1], hash[CH_HASH_MAX + 1];
	static char origins[CH_ORIGINS_MAX + 1], ext[CH_EXTID_MAX + 1];
	memset(login, 'l', CH_LOGIN_MAX);
	for (int i = 0; i < CH_NAME_MAX; i += 2)
		memcpy(name + i, "\xc3\xa9", 2); /* é: multi-byte UTF-8 */
	memset(hash, 'h', CH_HASH_MAX);
	memset(origins, 'o', CH_ORIGINS_MAX);
	origins[0] = '[';
	origins[1] = '"';
	origins[CH_ORIGINS_MAX - 2] = '"';
	origins[CH_ORIGINS_MAX - 1] = ']';
	memset(ext, 'e', CH_EXTID_MAX);
	company_args c = {.login = login, .name = name, .hash = hash};
	cr_assert_eq(ch_store_write_sync(g_store, job_company_create, &c), CH_OK);
	ch_company_row cr;
	cr_assert_eq(company_get(g_store, c.id, &cr), CH_OK);
	cr_assert_str_eq(cr.login, login);
	cr_assert_str_eq(cr.name, name);
	cr_assert_str_eq(cr.password_hash, hash);
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, 9);
	int64_t org;
	cr_assert_eq(org_create(g_store, c.id, name, guid, &org), CH_OK);
	cr_assert_eq(org_update(g_store, c.id, org, NULL, origins, -1), CH_OK);
	ch_org_row *o = calloc(1, sizeof *o);
	cr_assert_eq(org_get(g_store, c.id, org, o), CH_OK);
	cr_assert_str_eq(o->allowed_origins, origins);
	cr_assert_str_eq(o->name, name);
	free(o);
	ch_operator_row op;
	cr_assert_eq(op_upsert(g_store, c.id, org, name, ext, &op, NULL), CH_OK);
	cr_assert_str_eq(op.external_id, ext);
	cr_assert_str_eq(op.name, name);
	cr_assert_str_eq(op.org_name, name);
}

/* ---- organizations ---------------------------------------------------- */

Test(store, org_create_get_by_guid)
{
	int64_t company, org;
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, 1);
	cr_assert_eq(company_create(g_store, "acme", &company), CH_OK);
	int64_t t0 = now_ms();
	cr_assert_eq(org_create(g_store, company, "Sales", guid, &org), CH_OK);
	int64_t t1 = now_ms();
	ch_org_row r;
	cr_assert_eq(org_get(g_store, company, org, &r), CH_OK);
	cr_assert_eq(r.id, org);
	cr_assert_eq(r.company_id, company);
	cr_assert_str_eq(r.name, "Sales");
	cr_assert_str_eq(r.guid, guid);
	cr_assert_str_eq(r.allowed_origins, "[]");
	cr_assert_eq(r.max_chats_per_operator, 5);
	cr_assert(r.created_at >= t0 - 1000 && r.created_at <= t1 + 1000);
	ch_org_row g;
	cr_assert_eq(org_by_guid(g_store, guid, &g), CH_OK);
	cr_assert_eq(g.id, org);
	cr_assert_eq(g.company_id, company);
	char other[CH_GUID_LEN + 1];
	make_guid(other, 2);
	cr_assert_eq(org_by_guid(g_store, other, &g), CH_ERR_NOT_FOUND);
	cr_assert_eq(org_get(g_store, company, org + 1, &g), CH_ERR_NOT_FOUND);
	cr_assert_eq(org_create(g_store, company, "Dup", guid, NULL), CH_ERR_CONFLICT);
}

Test(store, org_list_ascending_and_list_all)
{
	int64_t a, b, ids[3], bid;
	char guid[CH_GUID_LEN + 1];
	cr_assert_eq(company_create(g_store, "a", &a), CH_OK);
	cr_assert_eq(company_create(g_store, "b", &b), CH_OK);
	for (unsigned i = 0; i < 3; i++) {
		make_guid(guid, 10 + i);
		cr_assert_eq(org_create(g_store, a, i == 1 ? "B" : "A", guid, &ids[i]), CH_OK);
		if (i == 0) {
			make_guid(guid, 99);
			cr_assert_eq(org_create(g_store, b, "Other", guid, &bid), CH_OK);
		}
	}
	size_t n;
	ch_err e;
	ch_org_row *rows = org_list(g_store, a, 0, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(rows[i].id, ids[i], "ascending by id");
		cr_assert_eq(rows[i].company_id, a);
	}
	free(rows);
	rows = org_list(g_store, b, 0, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows[0].id, bid);
	free(rows);
	rows = org_list(g_store, a, 1, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 4, "every company's organizations");
	for (size_t i = 1; i < n; i++)
		cr_assert_lt(rows[i - 1].id, rows[i].id);
	free(rows);
	rows = org_list(g_store, 777, 0, &n, &e);
	cr_assert_eq(e, CH_OK, "a company without organizations lists nothing");
	cr_assert_eq(n, 0);
	free(rows);
}

Test(store, org_update_is_partial)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	ch_org_row r;
	cr_assert_eq(org_update(g_store, company, org, "Renamed", NULL, -1), CH_OK);
	cr_assert_eq(org_get(g_store, company, org, &r), CH_OK);
	cr_assert_str_eq(r.name, "Renamed");
	cr_assert_str_eq(r.allowed_origins, "[]");
	cr_assert_eq(r.max_chats_per_operator, 5);
	cr_assert_eq(org_update(g_store, company, org, NULL, "[\"https://a.example\"]", -1), CH_OK);
	cr_assert_eq(org_get(g_store, company, org, &r), CH_OK);
	cr_assert_str_eq(r.name, "Renamed");
	cr_assert_str_eq(r.allowed_origins, "[\"https://a.example\"]");
	cr_assert_eq(r.max_chats_per_operator, 5);
	cr_assert_eq(org_update(g_store, company, org, NULL, NULL, 0), CH_OK);
	cr_assert_eq(org_get(g_store, company, org, &r), CH_OK);
	cr_assert_eq(r.max_chats_per_operator, 0, "0 is a value, only negative means unchanged");
	cr_assert_eq(org_update(g_store, company, org, NULL, NULL, 12), CH_OK);
	cr_assert_eq(org_update(g_store, company, org, NULL, NULL, -1), CH_OK, "nothing to change");
	cr_assert_eq(org_get(g_store, company, org, &r), CH_OK);
	cr_assert_str_eq(r.name, "Renamed");
	cr_assert_str_eq(r.allowed_origins, "[\"https://a.example\"]");
	cr_assert_eq(r.max_chats_per_operator, 12);
	cr_assert_eq(org_update(g_store, company, org + 50, "X", NULL, -1), CH_ERR_NOT_FOUND);
}

/* ---- tenant isolation ------------------------------------------------- */

Test(store, tenant_isolation_for_every_scoped_function)
{
	int64_t a, a_org, b, b_org;
	seed(g_store, "company-a", 1, &a, &a_org);
	seed(g_store, "company-b", 2, &b, &b_org);
	ch_operator_row op;
	cr_assert_eq(op_upsert(g_store, a, a_org, "Anna", "ext-a", &op, NULL), CH_OK);
	ch_org_row org;
	cr_assert_eq(org_get(g_store, b, a_org, &org), CH_ERR_NOT_FOUND);
	cr_assert_eq(org_update(g_store, b, a_org, "Hijacked", "[\"evil\"]", 99), CH_ERR_NOT_FOUND);
	cr_assert_eq(org_get(g_store, a, a_org, &org), CH_OK);
	cr_assert_str_eq(org.name, "Support", "B's update left A's org alone");
	cr_assert_str_eq(org.allowed_origins, "[]");
	cr_assert_eq(org.max_chats_per_operator, 5);
	size_t n;
	ch_err e;
	ch_org_row *orgs = org_list(g_store, b, 0, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(orgs[0].id, b_org);
	free(orgs);
	free(op_list(g_store, b, a_org, 0, &n, &e));
	cr_assert_eq(e, CH_ERR_NOT_FOUND);
	free(op_list(g_store, b, a_org, 1, &n, &e));
	cr_assert_eq(e, CH_ERR_NOT_FOUND);
	ch_operator_row got;
	cr_assert_eq(op_get(g_store, b, op.id, &got), CH_ERR_NOT_FOUND);
	int created = -1;
	cr_assert_eq(op_upsert(g_store, b, a_org, "Intruder", NULL, &got, &created), CH_ERR_NOT_FOUND);
	cr_assert_eq(op_upsert(g_store, b, a_org, "Intruder", "ext-a", &got, NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(op_set_status(g_store, b, op.id, CH_OPERATOR_DELETED, &got), CH_ERR_NOT_FOUND);
	cr_assert_eq(op_get(g_store, a, op.id, &got), CH_OK);
	cr_assert_str_eq(got.name, "Anna");
	cr_assert_eq(got.status, CH_OPERATOR_ACTIVE);
	cr_assert_eq(got.token_epoch, op.token_epoch);
	cr_assert_eq(op_count(g_store, a, a_org, 1), 1, "nothing was created in A's org");
	cr_assert_eq(op_count(g_store, b, b_org, 1), 0);
}

/* ---- operators -------------------------------------------------------- */

Test(store, operator_create_without_external_id_always_creates)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	ch_operator_row r1, r2;
	int c1 = -1, c2 = -1;
	int64_t t0 = now_ms();
	cr_assert_eq(op_upsert(g_store, company, org, "Sam", NULL, &r1, &c1), CH_OK);
	cr_assert_eq(op_upsert(g_store, company, org, "Sam", NULL, &r2, &c2), CH_OK);
	int64_t t1 = now_ms();
	cr_assert_eq(c1, 1);
	cr_assert_eq(c2, 1);
	cr_assert_neq(r1.id, r2.id, "duplicate names are allowed");
	cr_assert_eq(r1.organization_id, org);
	cr_assert_eq(r1.company_id, company);
	cr_assert_str_eq(r1.name, "Sam");
	cr_assert_str_eq(r1.org_name, "Support");
	cr_assert_eq(r1.status, CH_OPERATOR_ACTIVE);
	cr_assert_eq(r1.has_external_id, 0);
	cr_assert(r1.created_at >= t0 - 1000 && r1.created_at <= t1 + 1000);
	ch_operator_row g;
	cr_assert_eq(op_get(g_store, company, r1.id, &g), CH_OK);
	cr_assert_eq(g.id, r1.id);
	cr_assert_str_eq(g.org_name, "Support");
	cr_assert_eq(g.token_epoch, r1.token_epoch);
	cr_assert_eq(op_get(g_store, company, r2.id + 10, &g), CH_ERR_NOT_FOUND);
	op_args a = {.company = company, .org = org, .name = "NoCreatedOut"};
	cr_assert_eq(ch_store_write_sync(g_store, job_op_upsert, &a), CH_OK);
	cr_assert_eq(op_count(g_store, company, org, 0), 3);
}

static ch_err job_upsert_null_created(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	return ch_store_operator_upsert(tx, a->company, a->org, a->name, a->ext, &a->row, NULL);
}

Test(store, operator_upsert_with_external_id_is_idempotent)
{
	int64_t company, org, org2;
	seed(g_store, "acme", 1, &company, &org);
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, 2);
	cr_assert_eq(org_create(g_store, company, "Second", guid, &org2), CH_OK);
	ch_operator_row r1, r2, r3;
	int c = -1;
	cr_assert_eq(op_upsert(g_store, company, org, "Kim", "crm-7", &r1, &c), CH_OK);
	cr_assert_eq(c, 1);
	cr_assert_eq(r1.has_external_id, 1);
	cr_assert_str_eq(r1.external_id, "crm-7");
	cr_assert_eq(op_upsert(g_store, company, org, "Kim", "crm-7", &r2, &c), CH_OK);
	cr_assert_eq(c, 0);
	cr_assert_eq(r2.id, r1.id);
	cr_assert_eq(op_upsert(g_store, company, org, "Kim Lee", "crm-7", &r2, &c), CH_OK);
	cr_assert_eq(c, 0);
	cr_assert_eq(r2.id, r1.id);
	cr_assert_str_eq(r2.name, "Kim Lee");
	cr_assert_eq(r2.created_at, r1.created_at);
	cr_assert_eq(op_count(g_store, company, org, 1), 1);
	cr_assert_eq(op_upsert(g_store, company, org2, "Kim", "crm-7", &r3, &c), CH_OK);
	cr_assert_eq(c, 1, "external ids are per organization");
	cr_assert_neq(r3.id, r1.id);
	cr_assert_str_eq(r3.org_name, "Second");
	op_args a = {.company = company, .org = org, .name = "Kim", .ext = "crm-7"};
	cr_assert_eq(ch_store_write_sync(g_store, job_upsert_null_created, &a), CH_OK);
	cr_assert_eq(a.row.id, r1.id, "created_out may be NULL");
}

Test(store, operator_upsert_reactivates_deleted_only)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	ch_operator_row r, d, i;
	int c = -1;
	cr_assert_eq(op_upsert(g_store, company, org, "Dee", "d", &d, NULL), CH_OK);
	cr_assert_eq(op_set_status(g_store, company, d.id, CH_OPERATOR_DELETED, NULL), CH_OK);
	cr_assert_eq(op_upsert(g_store, company, org, "Dee 2", "d", &r, &c), CH_OK);
	cr_assert_eq(c, 0);
	cr_assert_eq(r.id, d.id);
	cr_assert_eq(r.status, CH_OPERATOR_ACTIVE, "Deleted -> Active");
	cr_assert_str_eq(r.name, "Dee 2");
	cr_assert_eq(op_upsert(g_store, company, org, "Ivy", "i", &i, NULL), CH_OK);
	cr_assert_eq(op_set_status(g_store, company, i.id, CH_OPERATOR_INACTIVE, NULL), CH_OK);
	cr_assert_eq(op_upsert(g_store, company, org, "Ivy", "i", &r, &c), CH_OK);
	cr_assert_eq(c, 0);
	cr_assert_eq(r.status, CH_OPERATOR_INACTIVE, "Inactive stays Inactive");
}

Test(store, operator_list_ascending_and_include_deleted)
{
	int64_t company, org, empty_org;
	seed(g_store, "acme", 1, &company, &org);
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, 2);
	cr_assert_eq(org_create(g_store, company, "Empty", guid, &empty_org), CH_OK);
	ch_operator_row r[4];
	const char *names[4] = {"Zed", "Amy", "Bob", "Cat"};
	for (int k = 0; k < 4; k++)
		cr_assert_eq(op_upsert(g_store, company, org, names[k], NULL, &r[k], NULL), CH_OK);
	cr_assert_eq(op_set_status(g_store, company, r[1].id, CH_OPERATOR_DELETED, NULL), CH_OK);
	cr_assert_eq(op_set_status(g_store, company, r[2].id, CH_OPERATOR_INACTIVE, NULL), CH_OK);
	size_t n;
	ch_err e;
	ch_operator_row *rows = op_list(g_store, company, org, 0, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 3, "Deleted left out, Inactive kept");
	cr_assert_eq(rows[0].id, r[0].id);
	cr_assert_eq(rows[1].id, r[2].id);
	cr_assert_eq(rows[2].id, r[3].id);
	cr_assert_str_eq(rows[1].org_name, "Support");
	cr_assert_eq(rows[1].status, CH_OPERATOR_INACTIVE);
	free(rows);
	rows = op_list(g_store, company, org, 1, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, 4);
	for (int k = 0; k < 4; k++) {
		cr_assert_eq(rows[k].id, r[k].id, "ascending by id");
		cr_assert_str_eq(rows[k].name, names[k]);
		cr_assert_str_eq(rows[k].org_name, "Support");
		cr_assert_eq(rows[k].company_id, company);
	}
	cr_assert_eq(rows[1].status, CH_OPERATOR_DELETED);
	free(rows);
	rows = op_list(g_store, company, empty_org, 1, &n, &e);
	cr_assert_eq(e, CH_OK, "an own empty org is an empty list, not NOT_FOUND");
	cr_assert_eq(n, 0);
	free(rows);
	free(op_list(g_store, company, org + empty_org + 100, 0, &n, &e));
	cr_assert_eq(e, CH_ERR_NOT_FOUND);
}

Test(store, operator_set_status_bumps_epoch_on_revocation)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	ch_operator_row r, u, g;
	cr_assert_eq(op_upsert(g_store, company, org, "Eve", NULL, &r, NULL), CH_OK);
	int64_t e0 = r.token_epoch;
	cr_assert_eq(op_set_status(g_store, company, r.id, CH_OPERATOR_INACTIVE, &u), CH_OK);
	cr_assert_eq(u.id, r.id);
	cr_assert_eq(u.status, CH_OPERATOR_INACTIVE);
	cr_assert_eq(u.token_epoch, e0 + 1);
	cr_assert_str_eq(u.org_name, "Support");
	cr_assert_eq(op_get(g_store, company, r.id, &g), CH_OK);
	cr_assert_eq(g.status, CH_OPERATOR_INACTIVE);
	cr_assert_eq(g.token_epoch, e0 + 1);
	cr_assert_eq(op_set_status(g_store, company, r.id, CH_OPERATOR_ACTIVE, &u), CH_OK);
	cr_assert_eq(u.status, CH_OPERATOR_ACTIVE);
	cr_assert_eq(u.token_epoch, e0 + 1, "activating revokes nothing");
	cr_assert_eq(op_set_status(g_store, company, r.id, CH_OPERATOR_DELETED, &u), CH_OK);
	cr_assert_eq(u.status, CH_OPERATOR_DELETED);
	cr_assert_eq(u.token_epoch, e0 + 2);
	cr_assert_eq(op_set_status(g_store, company, r.id, CH_OPERATOR_DELETED, NULL), CH_OK);
	cr_assert_eq(op_get(g_store, company, r.id, &g), CH_OK, "a Deleted operator can be read");
	cr_assert_eq(g.token_epoch, e0 + 3);
	cr_assert_eq(op_set_status(g_store, company, r.id + 1, CH_OPERATOR_INACTIVE, NULL),
	             CH_ERR_NOT_FOUND);
	cr_assert_neq(op_set_status(g_store, company, r.id, 7, NULL), CH_OK, "unknown status");
	cr_assert_eq(op_get(g_store, company, r.id, &g), CH_OK);
	cr_assert_eq(g.status, CH_OPERATOR_DELETED);
}

Test(store, operator_photo_set_kept_and_cleared)
{
	int64_t company, org, other, org_b;
	seed(g_store, "acme", 1, &company, &org);
	seed(g_store, "beta", 2, &other, &org_b);
	ch_operator_row r, u, g;
	cr_assert_eq(op_upsert(g_store, company, org, "Eve", "crm-eve", &r, NULL), CH_OK);
	cr_assert_str_eq(r.photo, "", "no photo at first");
	op_args a = {.company = company, .id = r.id, .name = "https://cdn.example/eve.png"};
	cr_assert_eq(ch_store_write_sync(g_store, job_op_photo, &a), CH_OK);
	cr_assert_str_eq(a.row.photo, "https://cdn.example/eve.png");
	cr_assert_eq(op_upsert(g_store, company, org, "Eve R.", "crm-eve", &u, NULL), CH_OK);
	cr_assert_str_eq(u.photo, "https://cdn.example/eve.png", "an upsert keeps the photo");
	cr_assert_eq(op_get(g_store, company, r.id, &g), CH_OK);
	cr_assert_str_eq(g.photo, "https://cdn.example/eve.png");
	size_t n;
	ch_err e;
	ch_operator_row *rows = op_list(g_store, company, org, 0, &n, &e);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rows[0].photo, "https://cdn.example/eve.png");
	free(rows);
	a.name = "";
	cr_assert_eq(ch_store_write_sync(g_store, job_op_photo, &a), CH_OK);
	cr_assert_str_eq(a.row.photo, "", "\"\" clears it");
	a.name = NULL;
	cr_assert_eq(ch_store_write_sync(g_store, job_op_photo, &a), CH_OK, "NULL clears it too");
	a.company = other; /* another company's operator is not found */
	a.name = "https://x.example/p.png";
	cr_assert_eq(ch_store_write_sync(g_store, job_op_photo, &a), CH_ERR_NOT_FOUND);
	cr_assert_eq(op_get(g_store, company, r.id, &g), CH_OK);
	cr_assert_str_eq(g.photo, "");
}

/* ---- company API keys --------------------------------------------------- */

typedef struct key_args {
	int64_t company, id;
	const char *name;
	unsigned char hash[CH_API_KEY_HASH];
	ch_api_key_row row;
	ch_api_key_row rows[CH_API_KEYS_MAX + 4];
	size_t n;
} key_args;

static ch_err job_key_create(ch_store_tx *tx, void *p)
{
	key_args *a = p;
	return ch_store_api_key_create(tx, a->company, a->name, a->hash, "chk_prefix12", &a->row);
}

static void collect_key(void *ctx, const ch_api_key_row *r)
{
	key_args *a = ctx;
	if (a->n < sizeof a->rows / sizeof a->rows[0])
		a->rows[a->n++] = *r;
}

static ch_err job_key_list(ch_store_tx *tx, void *p)
{
	key_args *a = p;
	a->n = 0;
	return ch_store_api_key_list(tx, a->company, collect_key, a);
}

static ch_err job_key_all(ch_store_tx *tx, void *p)
{
	key_args *a = p;
	a->n = 0;
	return ch_store_api_key_all(tx, collect_key, a);
}

static ch_err job_key_get(ch_store_tx *tx, void *p)
{
	key_args *a = p;
	return ch_store_api_key_get(tx, a->company, a->id, &a->row);
}

static ch_err job_key_revoke(ch_store_tx *tx, void *p)
{
	key_args *a = p;
	return ch_store_api_key_revoke(tx, a->company, a->id);
}

static ch_err key_create(int64_t company, const char *name, unsigned char fill, int64_t *id)
{
	key_args *a = calloc(1, sizeof *a);
	a->company = company;
	a->name = name;
	memset(a->hash, fill, sizeof a->hash);
	ch_err e = ch_store_write_sync(g_store, job_key_create, a);
	if (id)
		*id = a->row.id;
	free(a);
	return e;
}

Test(store, api_keys_create_list_get_revoke_per_company)
{
	int64_t acme, org, beta, org_b, k1, k2, kb;
	seed(g_store, "acme", 1, &acme, &org);
	seed(g_store, "beta", 2, &beta, &org_b);
	uint64_t g0 = ch_store_principals_gen(g_store);
	int changed = -1;
	cr_assert_eq(ch_store_revocations_poll(g_store, &changed), CH_OK);
	cr_assert_eq(key_create(acme, "CRM backend", 1, &k1), CH_OK);
	cr_assert_neq(ch_store_principals_gen(g_store), g0, "servers reload their key table");
	cr_assert_eq(key_create(acme, "Reports", 2, &k2), CH_OK);
	cr_assert_eq(key_create(beta, "Theirs", 3, &kb), CH_OK);
	cr_assert_neq(key_create(acme, "Same hash", 1, NULL), CH_OK, "a hash is stored once");

	key_args *a = calloc(1, sizeof *a);
	a->company = acme;
	cr_assert_eq(ch_store_read(g_store, job_key_list, a), CH_OK);
	cr_assert_eq(a->n, 2);
	cr_assert_eq(a->rows[0].id, k1);
	cr_assert_str_eq(a->rows[0].name, "CRM backend");
	cr_assert_str_eq(a->rows[0].prefix, "chk_prefix12");
	cr_assert_gt(a->rows[0].created_at, 0);
	cr_assert_eq(a->rows[1].id, k2);
	cr_assert_eq(ch_store_read(g_store, job_key_all, a), CH_OK);
	cr_assert_eq(a->n, 3, "every company's keys, with their hashes");
	cr_assert_eq(a->rows[2].company_id, beta);
	cr_assert_eq(a->rows[2].hash[0], 3);

	a->id = kb; /* another company's key is not found, nor revocable */
	cr_assert_eq(ch_store_read(g_store, job_key_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(ch_store_write_sync(g_store, job_key_revoke, a), CH_ERR_NOT_FOUND);
	a->id = k1;
	cr_assert_eq(ch_store_read(g_store, job_key_get, a), CH_OK);
	cr_assert_str_eq(a->row.name, "CRM backend");
	uint64_t g1 = ch_store_principals_gen(g_store);
	cr_assert_eq(ch_store_write_sync(g_store, job_key_revoke, a), CH_OK);
	cr_assert_neq(ch_store_principals_gen(g_store), g1, "a revocation is told before done");
	cr_assert_eq(ch_store_read(g_store, job_key_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(ch_store_write_sync(g_store, job_key_revoke, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(ch_store_read(g_store, job_key_list, a), CH_OK);
	cr_assert_eq(a->n, 1);
	a->company = beta;
	cr_assert_eq(ch_store_read(g_store, job_key_list, a), CH_OK);
	cr_assert_eq(a->n, 1, "the other company's key is untouched");
	free(a);
}

Test(store, api_keys_are_capped_per_company)
{
	int64_t acme, org, beta, org_b;
	seed(g_store, "acme", 1, &acme, &org);
	seed(g_store, "beta", 2, &beta, &org_b);
	for (int i = 0; i < CH_API_KEYS_MAX; i++) {
		key_args *a = calloc(1, sizeof *a);
		a->company = acme;
		a->name = "k";
		memcpy(a->hash, &i, sizeof i);
		a->hash[31] = 0xAA;
		cr_assert_eq(ch_store_write_sync(g_store, job_key_create, a), CH_OK, "key %d", i);
		free(a);
	}
	cr_assert_eq(key_create(acme, "one too many", 0x77, NULL), CH_ERR_CONFLICT);
	cr_assert_eq(key_create(beta, "another company's first", 0x78, NULL), CH_OK);
}

/* ---- canned responses --------------------------------------------------- */

typedef struct canned_args {
	int64_t company, org, op, id;
	int allow;
	const char *shortcut, *title, *text;
	ch_canned_row row;
	int64_t ids[16];
	int64_t ops[16];
	size_t n;
	ch_org_secrets sec;
} canned_args;

static ch_err job_canned_create(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	return ch_store_canned_create(tx, a->company, a->org, a->op, a->shortcut, a->title, a->text, &a->row);
}

static ch_err job_canned_update(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	return ch_store_canned_update(tx, a->company, a->id, a->shortcut, a->title, a->text, &a->row);
}

static ch_err job_canned_get(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	return ch_store_canned_get(tx, a->company, a->id, &a->row);
}

static ch_err job_canned_delete(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	return ch_store_canned_delete(tx, a->company, a->id);
}

static void collect_canned(void *ctx, const ch_canned_row *r)
{
	canned_args *a = ctx;
	if (a->n < 16) {
		a->ops[a->n] = r->operator_id;
		a->ids[a->n++] = r->id;
	}
}

static ch_err job_canned_list(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	a->n = 0;
	return ch_store_canned_list(tx, a->company, a->org, a->op, collect_canned, a);
}

static ch_err job_canned_policy(ch_store_tx *tx, void *p)
{
	canned_args *a = p;
	ch_err err = ch_store_org_set_canned_policy(tx, a->company, a->org, a->allow);
	return err ? err : ch_store_org_secrets_get(tx, a->company, a->org, &a->sec);
}

static ch_err canned_new_in(ch_store *s, int64_t company, int64_t org, int64_t op, const char *shortcut,
                            const char *text, int64_t *id)
{
	canned_args *a = calloc(1, sizeof *a);
	*a = (canned_args){.company = company, .org = org, .op = op, .shortcut = shortcut, .title = "T",
	                   .text = text};
	ch_err e = ch_store_write_sync(s, job_canned_create, a);
	if (id)
		*id = a->row.id;
	free(a);
	return e;
}

static ch_err canned_new(int64_t company, int64_t org, int64_t op, const char *shortcut, const char *text,
                         int64_t *id)
{
	return canned_new_in(g_store, company, org, op, shortcut, text, id);
}

Test(store, canned_create_list_update_delete_scoped)
{
	int64_t acme, org, beta, org_b, org2, o1, o2, c1, c2, p1, p2;
	seed(g_store, "acme", 1, &acme, &org);
	seed(g_store, "beta", 2, &beta, &org_b);
	char guid[CH_GUID_LEN + 1];
	make_guid(guid, 3);
	cr_assert_eq(org_create(g_store, acme, "Sales", guid, &org2), CH_OK);
	ch_operator_row r;
	cr_assert_eq(op_upsert(g_store, acme, org, "Ann", "ann", &r, NULL), CH_OK);
	o1 = r.id;
	cr_assert_eq(op_upsert(g_store, acme, org, "Bob", "bob", &r, NULL), CH_OK);
	o2 = r.id;

	cr_assert_eq(canned_new(acme, org, 0, "hello", "Hi {{client.name}}, I am {{operator.name}}", &c1), CH_OK);
	cr_assert_eq(canned_new(acme, org, 0, "bye", "Bye", &c2), CH_OK);
	cr_assert_eq(canned_new(acme, org, 0, "hello", "again", NULL), CH_ERR_CONFLICT, "same owner, same shortcut");
	cr_assert_eq(canned_new(acme, org, o1, "hello", "mine", &p1), CH_OK, "another owner may");
	cr_assert_eq(canned_new(acme, org, o2, "hello", "Bob's", &p2), CH_OK);
	cr_assert_eq(canned_new(acme, org2, 0, "hello", "Sales", NULL), CH_OK, "another organization may");
	cr_assert_eq(canned_new(beta, org, 0, "x", "t", NULL), CH_ERR_NOT_FOUND, "another company's org");
	cr_assert_eq(canned_new(acme, org2, o1, "x", "t", NULL), CH_ERR_NOT_FOUND, "an operator of another org");
	cr_assert_eq(canned_new(acme, org, 0, "bad shortcut", "t", NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(canned_new(acme, org, 0, "", "t", NULL), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(canned_new(acme, org, 0, "abcdefghijklmnopqrstuvwxyz0123456", "t", NULL), CH_ERR_OUT_OF_RANGE,
	             "33 characters");
	cr_assert_eq(canned_new(acme, org, 0, "abcdefghijklmnopqrstuvwxyz_-0123", "t", NULL), CH_OK, "32 are fine");
	cr_assert_eq(canned_new(acme, org, 0, "utf", "\xff\xfe", NULL), CH_ERR_BAD_JSON);
	char *big = malloc(CH_TEXT_MAX_BYTES + 2);
	memset(big, 'a', CH_TEXT_MAX_BYTES + 1);
	big[CH_TEXT_MAX_BYTES + 1] = '\0';
	cr_assert_eq(canned_new(acme, org, 0, "big", big, NULL), CH_ERR_OUT_OF_RANGE);
	big[CH_TEXT_MAX_BYTES] = '\0';
	cr_assert_eq(canned_new(acme, org, 0, "big", big, NULL), CH_OK, "exactly the limit");

	canned_args *a = calloc(1, sizeof *a);
	*a = (canned_args){.company = acme, .org = org, .op = 0};
	cr_assert_eq(ch_store_read(g_store, job_canned_list, a), CH_OK);
	cr_assert_eq(a->n, 4, "organization-wide only");
	a->op = o1;
	cr_assert_eq(ch_store_read(g_store, job_canned_list, a), CH_OK);
	cr_assert_eq(a->n, 5, "plus Ann's own, not Bob's");
	cr_assert_eq(a->ids[4], p1);
	cr_assert_eq(a->ops[4], o1);
	a->company = beta;
	cr_assert_eq(ch_store_read(g_store, job_canned_list, a), CH_OK);
	cr_assert_eq(a->n, 0, "another company sees none");

	a->id = c1;
	cr_assert_eq(ch_store_read(g_store, job_canned_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_delete, a), CH_ERR_NOT_FOUND);
	a->company = acme;
	cr_assert_eq(ch_store_read(g_store, job_canned_get, a), CH_OK);
	cr_assert_str_eq(a->row.text, "Hi {{client.name}}, I am {{operator.name}}", "placeholders as written");
	cr_assert_eq(a->row.operator_id, 0);
	cr_assert_eq(a->row.organization_id, org);

	a->shortcut = "bye";
	a->title = "Greeting";
	a->text = "Hello";
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_update, a), CH_ERR_CONFLICT, "bye is taken");
	a->shortcut = "hi";
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_update, a), CH_OK);
	cr_assert_str_eq(a->row.shortcut, "hi");
	cr_assert_eq(a->row.id, c1);
	cr_assert_eq(ch_store_read(g_store, job_canned_get, a), CH_OK);
	cr_assert_str_eq(a->row.title, "Greeting");
	cr_assert_str_eq(a->row.text, "Hello");
	a->shortcut = "no way";
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_update, a), CH_ERR_OUT_OF_RANGE);
	a->shortcut = "hi";
	a->company = beta;
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_update, a), CH_ERR_NOT_FOUND);
	a->company = acme;
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_delete, a), CH_OK);
	cr_assert_eq(ch_store_read(g_store, job_canned_get, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_delete, a), CH_ERR_NOT_FOUND);
	cr_assert_eq(canned_new(acme, org, 0, "hello", "reused", NULL), CH_OK, "a deleted shortcut is free");
	free(big);
	free(a);
	(void)p2;
}

Test(store, canned_budgets_and_policy)
{
	int64_t acme, org, beta, org_b, o1;
	seed(g_store, "acme", 1, &acme, &org);
	seed(g_store, "beta", 2, &beta, &org_b);
	ch_operator_row r;
	cr_assert_eq(op_upsert(g_store, acme, org, "Ann", "ann", &r, NULL), CH_OK);
	o1 = r.id;
	char sc[16];
	for (int i = 0; i < CH_CANNED_PER_OPERATOR_MAX; i++) {
		snprintf(sc, sizeof sc, "p%d", i);
		cr_assert_eq(canned_new(acme, org, o1, sc, "t", NULL), CH_OK, "%d", i);
	}
	cr_assert_eq(canned_new(acme, org, o1, "over", "t", NULL), CH_ERR_CONFLICT, "the operator's budget");
	for (int i = 0; i < CH_CANNED_PER_ORG_MAX; i++) {
		snprintf(sc, sizeof sc, "o%d", i);
		cr_assert_eq(canned_new(acme, org, 0, sc, "t", NULL), CH_OK, "%d", i);
	}
	cr_assert_eq(canned_new(acme, org, 0, "over", "t", NULL), CH_ERR_CONFLICT, "the organization's budget");
	cr_assert_eq(canned_new(beta, org_b, 0, "first", "t", NULL), CH_OK);

	canned_args *a = calloc(1, sizeof *a);
	*a = (canned_args){.company = acme, .org = org, .allow = 1};
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_policy, a), CH_OK);
	cr_assert_eq(a->sec.operators_manage_canned, 1);
	a->allow = 0;
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_policy, a), CH_OK);
	cr_assert_eq(a->sec.operators_manage_canned, 0);
	a->company = beta;
	cr_assert_eq(ch_store_write_sync(g_store, job_canned_policy, a), CH_ERR_NOT_FOUND);
	free(a);
}

typedef struct canned_racer {
	ch_store *s;
	int64_t company, org, op;
	char prefix;
	int created, refused, other;
} canned_racer;

static void *canned_race_thread(void *p)
{
	canned_racer *r = p;
	char sc[16];
	for (int i = 0; i < CH_CANNED_PER_OPERATOR_MAX; i++) {
		snprintf(sc, sizeof sc, "%c%d", r->prefix, i);
		ch_err e = canned_new_in(r->s, r->company, r->org, r->op, sc, "t", NULL);
		if (e == CH_OK)
			r->created++;
		else if (e == CH_ERR_CONFLICT)
			r->refused++;
		else
			r->other++;
	}
	return NULL;
}

/* The budget is a count, then an insert: two stores (two processes on
 * PostgreSQL) filling one operator's budget at once stop exactly at it. */
Test(store, canned_budget_holds_with_two_stores_creating_at_once)
{
	int64_t acme, org;
	seed(g_store, "acme", 1, &acme, &org);
	ch_operator_row r;
	cr_assert_eq(op_upsert(g_store, acme, org, "Ann", "ann", &r, NULL), CH_OK);
	ch_store *s2 = open_at(g_path, NULL);
	canned_racer a = {.s = g_store, .company = acme, .org = org, .op = r.id, .prefix = 'a'};
	canned_racer b = {.s = s2, .company = acme, .org = org, .op = r.id, .prefix = 'b'};
	pthread_t ta, tb;
	pthread_create(&ta, NULL, canned_race_thread, &a);
	pthread_create(&tb, NULL, canned_race_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ch_store_close(s2);
	cr_assert_eq(a.other + b.other, 0);
	cr_assert_eq(a.created + b.created, CH_CANNED_PER_OPERATOR_MAX, "created %d + %d", a.created, b.created);
	cr_assert_eq(a.refused + b.refused, CH_CANNED_PER_OPERATOR_MAX);
}

/* ---- transactions and group commit ------------------------------------ */

Test(store, failing_job_rolls_back_alone_in_its_batch)
{
	cr_assert_eq(company_create(g_store, "taken", NULL), CH_OK);
	ch_store_stats before, queued, after;
	ch_store_stats_get(g_store, &before);
	sem_t done;
	sem_init(&done, 0, 0);
	async_job jobs[4] = {
	    {.login = "first", .fail_with = CH_OK, .done = &done},
	    {.login = "taken", .fail_with = CH_OK, .done = &done}, /* duplicate: CONFLICT */
	    {.login = "undone", .fail_with = CH_ERR_OUT_OF_RANGE, .done = &done},
	    {.login = "last", .fail_with = CH_OK, .done = &done},
	};
	gate g;
	gate_close(g_store, &g);
	for (int i = 0; i < 4; i++)
		ch_store_write(g_store, job_async, &jobs[i], done_async);
	ch_store_stats_get(g_store, &queued);
	cr_assert_eq(queued.queue_len, 4, "the four jobs wait behind the gate");
	gate_open(&g);
	for (int i = 0; i < 4; i++)
		sem_wait_all(&done);
	cr_assert_eq(jobs[0].err, CH_OK);
	cr_assert_eq(jobs[1].err, CH_ERR_CONFLICT);
	cr_assert_eq(jobs[2].err, CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(jobs[3].err, CH_OK);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(jobs[i].done_calls, 1);
	cr_assert_eq(company_by_login(g_store, "first", NULL), CH_OK);
	cr_assert_eq(company_by_login(g_store, "undone", NULL), CH_ERR_NOT_FOUND);
	cr_assert_eq(company_by_login(g_store, "last", NULL), CH_OK);
	ch_store_stats_get(g_store, &after);
	cr_assert_eq(after.jobs - before.jobs, 5, "the gate and the four jobs");
	cr_assert_eq(after.commits - before.commits, 2, "the gate's batch, then one for all four");
	cr_assert_eq(after.batch_le[1] - before.batch_le[1], 1, "only the gate's batch was <= 2");
	cr_assert_eq(after.batch_le[2] - before.batch_le[2], 2, "the four in one batch of <= 4");
	cr_assert_eq(after.failed_commits, before.failed_commits);
	cr_assert_eq(after.queue_len, 0);
	gate_destroy(&g);
	sem_destroy(&done);
}

static ch_err job_upserts_then_fail(ch_store_tx *tx, void *p)
{
	op_args *a = p;
	const char *ext[3] = {"x1", "x2", "x3"};
	for (int i = 0; i < 3; i++) {
		ch_err e = ch_store_operator_upsert(tx, a->company, a->org, "Op", ext[i], NULL, NULL);
		if (e != CH_OK)
			return e;
	}
	ch_err e = ch_store_company_create(tx, "inside", "Inside", "hash", NULL);
	if (e != CH_OK)
		return e;
	/* a->id: the org of another company, so this upsert answers NOT_FOUND. */
	return ch_store_operator_upsert(tx, a->company, a->id, "Op", "x4", NULL, NULL);
}

Test(store, one_job_is_all_or_nothing)
{
	int64_t company, org, other, other_org;
	seed(g_store, "acme", 1, &company, &org);
	seed(g_store, "other", 2, &other, &other_org);
	op_args a = {.company = company, .org = org, .id = other_org};
	cr_assert_eq(ch_store_write_sync(g_store, job_upserts_then_fail, &a), CH_ERR_NOT_FOUND);
	cr_assert_eq(op_count(g_store, company, org, 1), 0, "the three upserts were undone");
	cr_assert_eq(company_by_login(g_store, "inside", NULL), CH_ERR_NOT_FOUND);
	a.id = org; /* now every step succeeds */
	cr_assert_eq(ch_store_write_sync(g_store, job_upserts_then_fail, &a), CH_OK);
	cr_assert_eq(op_count(g_store, company, org, 1), 4);
	cr_assert_eq(company_by_login(g_store, "inside", NULL), CH_OK);
}

typedef struct visibility {
	ch_store *s;
	ch_err in_done, other_thread;
	ch_err done_err;
	sem_t done;
} visibility;

static void *read_thread(void *p)
{
	visibility *v = p;
	v->other_thread = company_by_login(v->s, "visible", NULL);
	return NULL;
}

static ch_err job_create_visible(ch_store_tx *tx, void *p)
{
	return ch_store_company_create(tx, "visible", "Visible", "hash", NULL);
}

static void done_check_visible(void *p, ch_err err)
{
	visibility *v = p;
	v->done_err = err;
	v->in_done = company_by_login(v->s, "visible", NULL);
	pthread_t t;
	pthread_create(&t, NULL, read_thread, v);
	pthread_join(t, NULL);
	sem_post(&v->done);
}

Test(store, done_is_called_after_commit)
{
	visibility v = {.s = g_store, .in_done = -1, .other_thread = -1};
	sem_init(&v.done, 0, 0);
	ch_store_write(g_store, job_create_visible, &v, done_check_visible);
	sem_wait_all(&v.done);
	cr_assert_eq(v.done_err, CH_OK);
	cr_assert_eq(v.in_done, CH_OK, "a read inside done sees the committed row");
	cr_assert_eq(v.other_thread, CH_OK, "so does a read on another thread");
	sem_destroy(&v.done);
}

#define WRITERS 4
#define JOBS_PER_WRITER 40

typedef struct writer_ctx {
	ch_store *s;
	int64_t company, org;
	int index;
	atomic_int *failures;
	sem_t done;
	atomic_int async_failures;
} writer_ctx;

static ch_err job_add_operator(ch_store_tx *tx, void *p)
{
	writer_ctx *w = p;
	return ch_store_operator_upsert(tx, w->company, w->org, "Worker", NULL, NULL, NULL);
}

static void done_add_operator(void *p, ch_err err)
{
	writer_ctx *w = p;
	if (err != CH_OK)
		atomic_fetch_add(&w->async_failures, 1);
	sem_post(&w->done);
}

static void *writer_thread(void *p)
{
	writer_ctx *w = p;
	int async = 0;
	/* Alternate: async first (queued at once), then a sync call that waits. */
	for (int i = 0; i < JOBS_PER_WRITER; i++) {
		if (i % 2 == 0) {
			ch_store_write(w->s, job_add_operator, w, done_add_operator);
			async++;
		} else if (ch_store_write_sync(w->s, job_add_operator, w) != CH_OK) {
			atomic_fetch_add(w->failures, 1);
		}
	}
	while (async--)
		sem_wait_all(&w->done);
	return NULL;
}

Test(store, concurrent_writers_are_group_committed)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	ch_store_stats before, s;
	ch_store_stats_get(g_store, &before);
	atomic_int failures = 0;
	writer_ctx w[WRITERS];
	pthread_t t[WRITERS];
	gate g;
	gate_close(g_store, &g);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (writer_ctx){.s = g_store, .company = company, .org = org, .index = i,
		                    .failures = &failures};
		atomic_init(&w[i].async_failures, 0);
		sem_init(&w[i].done, 0, 0);
		pthread_create(&t[i], NULL, writer_thread, &w[i]);
	}
	/* Each writer queues an async job and a sync one before it must wait:
	 * wait for that condition (not for a duration), then let them all in. */
	do {
		sched_yield();
		ch_store_stats_get(g_store, &s);
	} while (s.queue_len < 2 * WRITERS);
	gate_open(&g);
	for (int i = 0; i < WRITERS; i++)
		pthread_join(t[i], NULL);
	int async_failures = 0;
	for (int i = 0; i < WRITERS; i++) {
		async_failures += atomic_load(&w[i].async_failures);
		sem_destroy(&w[i].done);
	}
	cr_assert_eq(atomic_load(&failures), 0);
	cr_assert_eq(async_failures, 0);
	ch_store_stats_get(g_store, &s);
	uint64_t jobs = s.jobs - before.jobs, commits = s.commits - before.commits;
	cr_assert_eq(jobs, WRITERS * JOBS_PER_WRITER + 1, "every job counted (and the gate)");
	cr_assert_leq(commits, jobs);
	cr_assert_geq(commits - (s.batch_le[2] - before.batch_le[2]), 1,
	              "the jobs queued behind the gate went in one batch of more than 4");
	cr_assert_eq(s.batch_le[7], s.commits, "the +inf bucket counts every commit");
	for (int i = 1; i < 8; i++)
		cr_assert_geq(s.batch_le[i], s.batch_le[i - 1], "buckets are cumulative");
	cr_assert_eq(s.failed_commits, 0);
	cr_assert_eq(s.queue_len, 0);
	size_t n;
	ch_err e;
	ch_operator_row *rows = op_list(g_store, company, org, 0, &n, &e);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(n, WRITERS * JOBS_PER_WRITER);
	for (size_t i = 1; i < n; i++)
		cr_assert_lt(rows[i - 1].id, rows[i].id);
	free(rows);
	gate_destroy(&g);
}

Test(store, sequential_sync_writes_are_batches_of_one)
{
	ch_store_stats before, after;
	ch_store_stats_get(g_store, &before);
	for (int i = 0; i < 5; i++) {
		char login[32];
		snprintf(login, sizeof login, "seq-%d", i);
		cr_assert_eq(company_create(g_store, login, NULL), CH_OK);
	}
	cr_assert_eq(company_create(g_store, "seq-0", NULL), CH_ERR_CONFLICT);
	ch_store_stats_get(g_store, &after);
	cr_assert_eq(after.jobs - before.jobs, 6);
	cr_assert_eq(after.commits - before.commits, 6, "a failed job still commits its batch");
	cr_assert_eq(after.batch_le[0] - before.batch_le[0], 6);
	cr_assert_eq(after.failed_commits, 0);
	cr_assert_eq(after.queue_len, 0);
}

Test(store, close_completes_every_queued_job)
{
	enum { N = 200 };
	static async_job jobs[N];
	static char logins[N][16];
	sem_t done;
	sem_init(&done, 0, 0);
	for (int i = 0; i < N; i++) {
		snprintf(logins[i], sizeof logins[i], "q-%d", i);
		jobs[i] = (async_job){.login = logins[i], .fail_with = CH_OK, .done = &done};
		ch_store_write(g_store, job_async, &jobs[i], done_async);
	}
	ch_store_close(g_store);
	g_store = NULL;
	for (int i = 0; i < N; i++) {
		cr_assert_eq(jobs[i].done_calls, 1, "job %d completed before close returned", i);
		cr_assert_eq(jobs[i].err, CH_OK);
	}
	g_store = open_at(g_path, NULL);
	for (int i = 0; i < N; i++)
		cr_assert_eq(company_by_login(g_store, logins[i], NULL), CH_OK);
	sem_destroy(&done);
}

typedef struct sync_writer {
	ch_store *s;
	ch_err err;
} sync_writer;

static void *sync_writer_thread(void *p)
{
	sync_writer *w = p;
	w->err = company_create(w->s, "sync-2", NULL);
	return NULL;
}

/* The writer queue is bounded: past queue_max a write is refused at once,
 * on the calling thread, with CH_ERR_BUSY; write_sync is never refused. */
Test(store, full_queue_refuses_writes_at_once)
{
	char path[700];
	path_in_dir(path, sizeof path, "bounded.db");
	ch_store_opts o = fx_opts(path);
	o.queue_max = 3;
	ch_store *s = NULL;
	cr_assert_eq(ch_store_open(&o, &s, NULL), CH_OK);
	sem_t done;
	sem_init(&done, 0, 0);
	async_job jobs[5] = {
	    {.login = "b0", .done = &done}, {.login = "b1", .done = &done}, {.login = "b2", .done = &done},
	    {.login = "b3", .done = &done}, {.login = "b4", .done = &done},
	};
	gate g;
	gate_close(s, &g);
	for (int i = 0; i < 5; i++)
		ch_store_write(s, job_async, &jobs[i], done_async);
	for (int i = 3; i < 5; i++) {
		cr_assert_eq(jobs[i].done_calls, 1, "job %d answered before ch_store_write returned", i);
		cr_assert_eq(jobs[i].err, CH_ERR_BUSY);
	}
	ch_store_stats st;
	ch_store_stats_get(s, &st);
	cr_assert_eq(st.queue_len, 3, "three wait behind the gate, the refused ones are not queued");
	gate_open(&g);
	for (int i = 0; i < 5; i++)
		sem_wait_all(&done);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(jobs[i].done_calls, 1);
		cr_assert_eq(jobs[i].err, CH_OK);
		cr_assert_eq(company_by_login(s, jobs[i].login, NULL), CH_OK);
	}
	cr_assert_eq(company_by_login(s, "b3", NULL), CH_ERR_NOT_FOUND, "a refused job never ran");
	/* room again once the writer took the batch; write_sync passes a full queue */
	cr_assert_eq(company_create(s, "sync-1", NULL), CH_OK);
	gate_close(s, &g);
	async_job more[3] = {{.login = "m0", .done = &done}, {.login = "m1", .done = &done}, {.login = "m2", .done = &done}};
	for (int i = 0; i < 3; i++)
		ch_store_write(s, job_async, &more[i], done_async);
	sync_writer w = {.s = s};
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, sync_writer_thread, &w), 0);
	for (int i = 0; i < 10000; i++) { /* the sync write queues past the bound */
		ch_store_stats_get(s, &st);
		if (st.queue_len == 4)
			break;
		usleep(1000);
	}
	cr_assert_eq(st.queue_len, 4, "write_sync is queued on a full queue");
	gate_open(&g);
	pthread_join(th, NULL);
	cr_assert_eq(w.err, CH_OK);
	cr_assert_eq(company_by_login(s, "sync-2", NULL), CH_OK);
	for (int i = 0; i < 3; i++)
		sem_wait_all(&done);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(more[i].err, CH_OK);
	gate_destroy(&g);
	sem_destroy(&done);
	ch_store_close(s);
}

/* ---- several stores on one file (as several processes) --------------- */

typedef struct bulk {
	ch_store *s;
	const char *prefix;
	int failures;
} bulk;

static void *bulk_thread(void *p)
{
	bulk *b = p;
	char login[64];
	for (int i = 0; i < 30; i++) {
		snprintf(login, sizeof login, "%s-%d", b->prefix, i);
		if (company_create(b->s, login, NULL) != CH_OK)
			b->failures++;
	}
	return NULL;
}

Test(store, two_stores_on_one_file_see_each_other)
{
	int applied = -1;
	ch_store *s2 = open_at(g_path, &applied);
	cr_assert_eq(applied, 0);
	cr_assert_eq(company_create(g_store, "from-one", NULL), CH_OK);
	cr_assert_eq(company_by_login(s2, "from-one", NULL), CH_OK);
	cr_assert_eq(company_create(s2, "from-two", NULL), CH_OK);
	cr_assert_eq(company_by_login(g_store, "from-two", NULL), CH_OK);
	cr_assert_eq(company_create(s2, "from-one", NULL), CH_ERR_CONFLICT);
	bulk b1 = {.s = g_store, .prefix = "one"}, b2 = {.s = s2, .prefix = "two"};
	pthread_t t1, t2;
	pthread_create(&t1, NULL, bulk_thread, &b1);
	pthread_create(&t2, NULL, bulk_thread, &b2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	cr_assert_eq(b1.failures, 0);
	cr_assert_eq(b2.failures, 0);
	cr_assert_eq(company_by_login(g_store, "two-29", NULL), CH_OK);
	cr_assert_eq(company_by_login(s2, "one-29", NULL), CH_OK);
	ch_store_close(s2);
	cr_assert_eq(company_by_login(g_store, "two-0", NULL), CH_OK, "still fine after the other closed");
}

/* ---- concurrent reads ------------------------------------------------- */

#define READERS 6
#define READS 150

typedef struct reader_ctx {
	ch_store *s;
	int64_t company, org;
	int failures;
} reader_ctx;

static void *reader_thread(void *p)
{
	reader_ctx *r = p;
	for (int i = 0; i < READS; i++) {
		ch_company_row c;
		ch_org_row *o = malloc(sizeof *o);
		size_t n;
		ch_err e;
		if (company_get(r->s, r->company, &c) != CH_OK || c.id != r->company)
			r->failures++;
		if (org_get(r->s, r->company, r->org, o) != CH_OK || o->id != r->org)
			r->failures++;
		free(op_list(r->s, r->company, r->org, 1, &n, &e));
		if (e != CH_OK || n != 10)
			r->failures++;
		free(o);
	}
	return NULL;
}

Test(store, reads_from_many_threads_while_writing)
{
	int64_t company, org;
	seed(g_store, "acme", 1, &company, &org);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(op_upsert(g_store, company, org, "R", NULL, NULL, NULL), CH_OK);
	reader_ctx r[READERS];
	pthread_t t[READERS], w;
	bulk b = {.s = g_store, .prefix = "meanwhile"};
	pthread_create(&w, NULL, bulk_thread, &b);
	for (int i = 0; i < READERS; i++) {
		r[i] = (reader_ctx){.s = g_store, .company = company, .org = org};
		pthread_create(&t[i], NULL, reader_thread, &r[i]);
	}
	for (int i = 0; i < READERS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_eq(r[i].failures, 0, "reader %d", i);
	}
	pthread_join(w, NULL);
	cr_assert_eq(b.failures, 0);
}
