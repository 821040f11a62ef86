/* backup.c — online backup and checked restore of a SQLite database
 * (backup.h), with SQLite's backup API.
 *
 * Consistency: the backup holds one read transaction on the source for the
 * whole copy, so every page comes from the same commit; in WAL mode the
 * server's writer goes on committing meanwhile (only checkpoints wait for the
 * reader to finish). Copying in chunks with a pause between them keeps a
 * database in rollback-journal mode from being locked for the whole copy.
 * Threading: any thread but the network thread; private connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/backup.h"
#include "store/migrations.h"

#define PAGES_PER_STEP 1024 /* 4 MiB with 4 KiB pages */
#define STEP_PAUSE_MS 1

__attribute__((format(printf, 4, 5))) static ch_err fail(ch_err e, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return e;
}

static ch_err exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CH_OK : CH_ERR_STORE;
}

/* The integer the first column of sql's first row holds; -1 when no row. */
static int query_int64(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	*out = -1;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(st);
	return rc;
}

/* fsyncs path (a file, or a directory after a rename in it). */
static int sync_path(const char *path, int dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The directory of path, for the fsync after the rename. */
static void dir_of(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, len, ".");
	else if (slash == path)
		snprintf(out, len, "/");
	else
		snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* Copies src (inside its open read transaction, if any) into a new file at
 * tmp in rollback-journal mode: one self-contained file. */
static ch_err copy_to(sqlite3 *src, const char *tmp, int64_t *pages, char *why, size_t why_len)
{
	sqlite3 *dst = NULL;
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		sqlite3_close(dst);
		return fail(CH_ERR_STORE, why, why_len, "cannot create %s: %s", tmp, strerror(errno));
	}
	chmod(tmp, 0600);
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc = b ? SQLITE_OK : sqlite3_errcode(dst);
	while (b && (rc = sqlite3_backup_step(b, PAGES_PER_STEP)) != SQLITE_DONE) {
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sqlite3_sleep(STEP_PAUSE_MS); /* lets a writer in between chunks */
	}
	if (b) {
		if (pages)
			*pages = sqlite3_backup_pagecount(b);
		sqlite3_backup_finish(b);
	}
	if (rc == SQLITE_DONE)
		rc = sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	ch_err e = CH_OK;
	if (rc != SQLITE_OK)
		e = fail(CH_ERR_STORE, why, why_len, "cannot copy the database into %s: %s", tmp,
		         sqlite3_errstr(rc));
	sqlite3_close(dst);
	if (!e && sync_path(tmp, 0))
		e = fail(CH_ERR_STORE, why, why_len, "cannot sync %s: %s", tmp, strerror(errno));
	if (e)
		unlink(tmp);
	return e;
}

/* Renames the complete tmp to path and syncs the directory. */
static ch_err install(const char *tmp, const char *path, char *why, size_t why_len)
{
	char dir[4096];
	if (rename(tmp, path)) {
		ch_err e = fail(CH_ERR_STORE, why, why_len, "cannot rename the copy to %s: %s", path, strerror(errno));
		unlink(tmp);
		return e;
	}
	dir_of(path, dir, sizeof dir);
	sync_path(dir, 1);
	return CH_OK;
}

static ch_err record_backup(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db,
	                            "INSERT INTO settings (key, value) VALUES (?1, ?2) "
	                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	                            -1, &st, NULL);
	char ms[32];
	snprintf(ms, sizeof ms, "%" PRId64, ch_now_ms());
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, CH_SETTING_LAST_BACKUP, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, ms, -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? CH_OK : CH_ERR_STORE;
}

ch_err ch_store_backup_sqlite(const char *db_path, const char *out_path, int busy_timeout_ms, int64_t *pages_out,
                              char *why, size_t why_len)
{
	struct stat st;
	if (stat(db_path, &st) || !S_ISREG(st.st_mode))
		return fail(CH_ERR_NOT_FOUND, why, why_len, "no database at %s (nothing to back up)", db_path);
	sqlite3 *src = NULL;
	if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		ch_err e = fail(CH_ERR_STORE, why, why_len, "cannot open %s: %s", db_path, sqlite3_errmsg(src));
		sqlite3_close(src);
		return e;
	}
	sqlite3_busy_timeout(src, busy_timeout_ms);
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out_path, (long)getpid());
	int64_t n = 0;
	/* the snapshot: from the first read of this transaction to its end */
	ch_err e = exec(src, "BEGIN");
	if (!e && query_int64(src, "SELECT COUNT(*) FROM sqlite_master", &n) != SQLITE_OK)
		e = CH_ERR_STORE;
	if (e)
		fail(e, why, why_len, "cannot read %s: %s", db_path, sqlite3_errmsg(src));
	else
		e = copy_to(src, tmp, pages_out, why, why_len);
	exec(src, "COMMIT");
	if (!e)
		e = install(tmp, out_path, why, why_len);
	if (!e && record_backup(src))
		e = fail(CH_ERR_STORE, why, why_len, "the backup %s is complete, but its time could not be recorded in %s",
		         out_path, db_path);
	sqlite3_close(src);
	return e;
}

/* Refuses a file that is not a sound ChatHub database of a schema this build
 * knows; *version receives its schema version. */
static ch_err check_file(sqlite3 *db, const char *file, int *version, char *why, size_t why_len)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	int ok = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT || (rc != SQLITE_ROW && rc != SQLITE_OK))
		return fail(CH_ERR_OUT_OF_RANGE, why, why_len, "%s is not a SQLite database (%s)", file,
		            sqlite3_errstr(rc));
	if (!ok)
		return fail(CH_ERR_OUT_OF_RANGE, why, why_len, "%s fails SQLite's integrity check: it is damaged", file);
	int64_t has = 0, v = 0;
	if (query_int64(db,
	                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN "
	                "('schema_migrations', 'settings', 'companies')",
	                &has) != SQLITE_OK || has != 3 ||
	    query_int64(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &v) != SQLITE_OK)
		return fail(CH_ERR_OUT_OF_RANGE, why, why_len, "%s is a SQLite database but not a ChatHub one", file);
	int latest = ch_migrations_sqlite_count ? ch_migrations_sqlite[ch_migrations_sqlite_count - 1].version : 0;
	*version = (int)v;
	if (v > latest)
		return fail(CH_ERR_OUT_OF_RANGE, why, why_len,
		            "%s has schema version %d, newer than this chathub's %d: restore it with a newer chathub", file,
		            (int)v, latest);
	return CH_OK;
}

ch_err ch_store_restore_sqlite(const char *file, const char *db_path, int *version_out, char *why, size_t why_len)
{
	struct stat st;
	if (stat(file, &st) || !S_ISREG(st.st_mode))
		return fail(CH_ERR_OUT_OF_RANGE, why, why_len, "%s is not a file", file);
	if (!lstat(db_path, &st))
		return fail(CH_ERR_CONFLICT, why, why_len, "%s exists: restore only where there is no database", db_path);
	sqlite3 *src = NULL;
	if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		ch_err e = fail(CH_ERR_OUT_OF_RANGE, why, why_len, "cannot open %s: %s", file, sqlite3_errmsg(src));
		sqlite3_close(src);
		return e;
	}
	int version = 0;
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s.restore-%ld", db_path, (long)getpid());
	ch_err e = exec(src, "BEGIN");
	if (!e)
		e = check_file(src, file, &version, why, why_len);
	if (!e)
		e = copy_to(src, tmp, NULL, why, why_len);
	exec(src, "COMMIT");
	sqlite3_close(src);
	if (!e)
		e = install(tmp, db_path, why, why_len);
	if (version_out)
		*version_out = version;
	return e;
}

ch_err ch_store_last_backup_sqlite(const char *db_path, int64_t *ms_out)
{
	sqlite3 *db = NULL;
	*ms_out = 0;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return CH_ERR_STORE;
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT value FROM settings WHERE key = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 1, CH_SETTING_LAST_BACKUP, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*ms_out = strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? CH_OK : CH_ERR_STORE;
}
