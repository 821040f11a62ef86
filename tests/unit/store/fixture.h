/* fixture.h — where the store contract tests open their stores. Each test
 * file is built twice: as unit_store_<name> on SQLite (a file in a fresh
 * directory), and as unit_store_<name>_pg (CH_TEST_PG) on PostgreSQL, where
 * every store a test opens is a database of its own, created on the server
 * CHATHUB_TEST_PG names (e.g. postgresql://postgres@127.0.0.1:5432/postgres)
 * and dropped after the test. Without CHATHUB_TEST_PG the PostgreSQL build
 * skips every test, saying why. Criterion runs each test in its own process,
 * so the process id keeps the database names of parallel tests apart.
 */
#ifndef CH_TEST_STORE_FIXTURE_H
#define CH_TEST_STORE_FIXTURE_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

#ifdef CH_TEST_PG
#include <libpq-fe.h>

#define FX_MAX_DBS 8
static char fx_names[FX_MAX_DBS][128]; /* the store names a test used */
static char fx_urls[FX_MAX_DBS][1024];
static int fx_created[FX_MAX_DBS];
static int fx_ndbs;

static const char *fx_server(void)
{
	const char *url = getenv("CHATHUB_TEST_PG");
	return url && *url ? url : NULL;
}

/* The server's URL with its database replaced by db. */
static void fx_url_of(char *out, size_t cap, const char *db)
{
	const char *url = fx_server();
	const char *auth = strstr(url, "://");
	const char *slash = strchr(auth ? auth + 3 : url, '/');
	const char *query = slash ? strchr(slash, '?') : strchr(url, '?');
	int head = (int)((slash ? slash : query ? query : url + strlen(url)) - url);
	snprintf(out, cap, "%.*s/%s%s", head, url, db, query ? query : "");
}

static void fx_admin(const char *sql)
{
	PGconn *c = PQconnectdb(fx_server());
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "CHATHUB_TEST_PG: %s", PQerrorMessage(c));
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* The URL of the test's store `name`; its database is created on first use,
 * except for a name with a '/' (a place where no store can be). */
static const char *fx_location(const char *name)
{
	for (int i = 0; i < fx_ndbs; i++)
		if (!strcmp(fx_names[i], name))
			return fx_urls[i];
	cr_assert_lt(fx_ndbs, FX_MAX_DBS);
	int i = fx_ndbs++;
	char db[64], sql[256];
	snprintf(fx_names[i], sizeof fx_names[i], "%s", name);
	/* pid and a clock reading: a process id used again (a test that died
	 * before dropping its database) never meets the old name */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(db, sizeof db, "ch_test_%d_%d_%lx", (int)getpid(), i,
	         (unsigned long)(ts.tv_sec * 1000000000L + ts.tv_nsec) & 0xffffffffUL);
	fx_url_of(fx_urls[i], sizeof fx_urls[i], db);
	if (!strchr(name, '/')) {
		/* C collation: text sorts byte-wise, as in SQLite; a UTF-8 LC_CTYPE:
		 * full-text search lowercases every script (docs/deploy.md) */
		snprintf(sql, sizeof sql,
		         "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'", db);
		fx_admin(sql);
		fx_created[i] = 1;
	}
	return fx_urls[i];
}

static void fx_begin(char *dir, size_t cap, const char *prefix)
{
	if (!fx_server())
		cr_skip_test("CHATHUB_TEST_PG is not set: the PostgreSQL run of the store contract is "
		             "skipped (set it to a server URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres)");
	snprintf(dir, cap, "(postgresql)");
}

static void fx_end(const char *dir)
{
	char sql[256];
	for (int i = 0; i < fx_ndbs; i++) {
		if (!fx_created[i])
			continue;
		const char *db = strrchr(fx_urls[i], '/') + 1;
		snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %.*s WITH (FORCE)", (int)strcspn(db, "?"), db);
		fx_admin(sql);
	}
	fx_ndbs = 0;
}

/* Options of the store at name (a file name in the test's directory on SQLite). */
static ch_store_opts fx_opts(const char *name)
{
	const char *base = strrchr(name, '/');
	/* "<dir>/missing-dir/x.db": the part after the test directory */
	const char *rel = strstr(name, "missing-dir/") ? strstr(name, "missing-dir/") : base ? base + 1 : name;
	return (ch_store_opts){.url = fx_location(rel), .busy_timeout_ms = 30000};
}

/* A skipped test's .fini does not run: cleanup (the suite's teardown) first. */
#define FX_SQLITE_ONLY(why, cleanup)                                                               \
	do {                                                                                       \
		cleanup();                                                                         \
		cr_skip_test("SQLite only: %s", why);                                              \
	} while (0)

#else /* SQLite */
#include <dirent.h>

static void fx_begin(char *dir, size_t cap, const char *prefix)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, cap, "%s/%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
	cr_assert_not_null(mkdtemp(dir));
}

static void fx_end(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[1200];
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
			unlink(p);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static ch_store_opts fx_opts(const char *path)
{
	return (ch_store_opts){.path = path, .busy_timeout_ms = 30000};
}

#define FX_SQLITE_ONLY(why, cleanup) ((void)0)
#endif

#endif
