/* migrate.c — applies the numbered migrations compiled into ch_migrations_sqlite[]
 * and records them in schema_migrations(version, name, applied_at).
 *
 * Each pending migration runs in its own BEGIN IMMEDIATE transaction that
 * re-reads the schema version first: when two processes open one database at
 * the same moment (a CLI command while the server runs), the second waits for
 * the first's write lock (busy_timeout), then finds the migration recorded and
 * skips it.
 * Threading: runs on the thread calling ch_store_sqlite_open, on the writer's
 * connection, before the writer thread exists.
 */
#include "core/clock.h"
#include "core/log.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_int.h"

static const char create_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                 "applied_at INTEGER NOT NULL)";

static ch_err query_int(ch_store_tx *c, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	ch_err err = rc == SQLITE_OK ? CH_OK : ch_store_sqlite_fail(c, rc, "schema version");
	sqlite3_finalize(st);
	return err;
}

/* The highest applied migration; 0 before the first (no table yet). */
static ch_err read_version(ch_store_tx *c, int *out)
{
	int exists = 0;
	*out = 0;
	ch_err err = query_int(c,
	                       "SELECT COUNT(*) FROM sqlite_master "
	                       "WHERE type = 'table' AND name = 'schema_migrations'",
	                       &exists);
	if (err == CH_OK && exists)
		err = query_int(c, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", out);
	return err;
}

static ch_err record(ch_store_tx *c, const ch_migration *m)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db,
	                            "INSERT INTO schema_migrations (version, name, applied_at) "
	                            "VALUES (?1, ?2, ?3)",
	                            -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 1, m->version);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, ch_now_ms());
	ch_err err = rc == SQLITE_OK ? ch_store_sqlite_step_done(c, st, "record migration")
	                             : ch_store_sqlite_fail(c, rc, "record migration");
	sqlite3_finalize(st);
	return err;
}

static ch_err apply_one(ch_store_tx *c, const ch_migration *m, int *applied)
{
	int version = 0, pending = 0;
	ch_err err = ch_store_sqlite_exec(c, "BEGIN IMMEDIATE", "migration begin");
	if (err != CH_OK)
		return err;
	err = ch_store_sqlite_exec(c, create_sql, "create schema_migrations");
	if (err == CH_OK)
		err = read_version(c, &version);
	pending = err == CH_OK && version < m->version;
	if (pending)
		err = ch_store_sqlite_exec(c, m->sql, m->name);
	if (pending && err == CH_OK)
		err = record(c, m);
	if (err == CH_OK)
		err = ch_store_sqlite_exec(c, "COMMIT", "migration commit");
	if (err != CH_OK)
		goto out;
	if (pending) {
		++*applied;
		CH_INFO("store: applied migration %s", m->name);
	}
out:
	/* A failed statement may leave the transaction open; never leave it so. */
	if (err != CH_OK && !sqlite3_get_autocommit(c->db))
		ch_store_sqlite_exec(c, "ROLLBACK", "migration rollback");
	return err;
}

ch_err ch_store_sqlite_migrate(ch_store_tx *c, int *applied_out, int *version_out)
{
	int applied = 0, version = 0;
	int latest = ch_migrations_sqlite_count > 0 ? ch_migrations_sqlite[ch_migrations_sqlite_count - 1].version : 0;
	/* Checked first without the write lock, so that opening an up-to-date
	 * database never waits for a busy server's writer. */
	ch_err err = read_version(c, &version);
	for (int i = 0; err == CH_OK && version < latest && i < ch_migrations_sqlite_count; i++)
		err = apply_one(c, &ch_migrations_sqlite[i], &applied);
	if (err == CH_OK)
		err = read_version(c, &version);
	if (err == CH_OK && version > latest)
		CH_WARN("store: database schema version %d is newer than this build knows (%d)",
		        version, latest);
	*applied_out = applied;
	*version_out = version;
	return err;
}
