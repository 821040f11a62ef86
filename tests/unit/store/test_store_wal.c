/* test_store_wal.c — what the store writes survives the way SQLite's files are
 * written (src/store/sqlite/walbuf.c, checkpoint.c): thousands of commits, far
 * more than one WAL holds, so that the checkpointer copies pages in rounds and
 * the WAL starts over several times while readers read. Every write reads back
 * at once through the store's readers (on SQLite, WAL frames come from the
 * mapped WAL), and after the store is closed the file opened with SQLite's
 * own VFS passes its integrity check and holds every row (on SQLite: the
 * checkpoint's gathered writes reached the database file). The first part is
 * backend-neutral and runs on PostgreSQL too.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>
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
	fx_begin(g_dir, sizeof g_dir, "ch-wal-test");
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

TestSuite(wal, .init = setup, .fini = teardown, .timeout = 300);

#ifdef CH_TEST_PG
#define JOBS 300  /* no WAL of ours to fill: the read-back part only */
#else
#define JOBS 4000 /* ~150 MB of frames: the WAL starts over at least twice */
#endif
#define PER_JOB 40
#define DATA_LEN 900

typedef struct world {
	int64_t company, org;
} world;

static ch_err job_seed(ch_store_tx *tx, void *p)
{
	world *w = p;
	ch_err e = ch_store_company_create(tx, "wal", "Acme", "hash", &w->company);
	if (!e)
		e = ch_store_org_create(tx, w->company, "Support", "0000000a-0000-4000-8000-000000000001", &w->org);
	return e;
}

/* The data of event number n: a JSON string whose bytes depend on n. */
static void data_of(int64_t n, char *out, size_t cap)
{
	size_t at = (size_t)snprintf(out, cap, "{\"n\":%lld,\"pad\":\"", (long long)n);
	for (size_t i = 0; at + 3 < cap && i < DATA_LEN; i++)
		out[at++] = (char)('a' + (n * 7 + (int64_t)i) % 26);
	memcpy(out + at, "\"}", 3);
}

typedef struct add_args {
	world *w;
	int64_t first; /* the number of the job's first event */
} add_args;

static ch_err job_add(ch_store_tx *tx, void *p)
{
	add_args *a = p;
	char data[DATA_LEN + 64];
	for (int i = 0; i < PER_JOB; i++) {
		data_of(a->first + i, data, sizeof data);
		ch_org_event_new ev = {.company_id = a->w->company, .organization_id = a->w->org,
		                       .chat_id = a->first + i, .at = 1000, .type = "test.wal", .data = data};
		ch_store_tx_add_org_event(tx, &ev);
	}
	return CH_OK;
}

typedef struct check_args {
	world *w;
	int64_t after, count, head; /* events (after, after + count] read back intact; head: the last one */
	int64_t seen;
} check_args;

static void check_row(void *ctx, const ch_org_event_row *r)
{
	check_args *a = ctx;
	char want[DATA_LEN + 64];
	cr_assert_eq(r->seq, a->after + a->seen + 1, "event %lld in order", (long long)r->seq);
	cr_assert_eq(r->chat_id, r->seq);
	data_of(r->seq, want, sizeof want);
	cr_assert_str_eq(r->data, want, "event %lld's data", (long long)r->seq);
	a->seen++;
}

static ch_err job_check(ch_store_tx *tx, void *p)
{
	check_args *a = p;
	int64_t last = 0, trimmed = 0;
	ch_err e = ch_store_event_head(tx, a->w->company, a->w->org, &last, &trimmed);
	cr_assert_eq(e, CH_OK);
	cr_assert_eq(last, a->head, "the head is the last event written");
	return ch_store_event_list(tx, a->w->company, a->w->org, a->after, a->count, check_row, a);
}

/* Reads events (after, after + count] through the store's readers. */
static void check(world *w, int64_t after, int64_t count, int64_t head)
{
	check_args c = {.w = w, .after = after, .count = count, .head = head};
	cr_assert_eq(ch_store_read(g_store, job_check, &c), CH_OK);
	cr_assert_eq(c.seen, count, "events %lld..%lld read back", (long long)after + 1, (long long)(after + count));
}

static int64_t sqlite_count(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	cr_assert_eq(sqlite3_open_v2(g_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_type(st, 0) == SQLITE_TEXT
	                    ? strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0
	                    : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

Test(wal, thousands_of_commits_read_back_at_once_and_after_reopening)
{
	world w = {0};
	cr_assert_eq(ch_store_write_sync(g_store, job_seed, &w), CH_OK);
	int64_t written = 0;
	for (int j = 0; j < JOBS; j++) {
		add_args a = {.w = &w, .first = written + 1};
		cr_assert_eq(ch_store_write_sync(g_store, job_add, &a), CH_OK);
		check(&w, written, PER_JOB, written + PER_JOB); /* at once, by a reader */
		written += PER_JOB;
	}
	for (int64_t at = 0; at < written; at += 500) /* then all of it, in pages */
		check(&w, at, at + 500 < written ? 500 : written - at, written);
#ifdef CH_TEST_PG
	(void)sqlite_count;
#else
	ch_store_close(g_store);
	g_store = NULL;
	cr_assert_eq(sqlite_count("PRAGMA integrity_check"), 1, "integrity_check: ok");
	cr_assert_eq(sqlite_count("SELECT count(*) FROM org_events WHERE type = 'test.wal'"), written);
	cr_assert_eq(sqlite_count("SELECT count(DISTINCT data) FROM org_events WHERE type = 'test.wal'"), written);
#endif
}
