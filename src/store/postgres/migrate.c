/* migrate.c — applies the PostgreSQL migrations compiled into
 * ch_migrations_postgres[] and records them in schema_migrations(version,
 * name, applied_at).
 *
 * The whole run holds a session advisory lock (two int4 keys, a space apart
 * from the one-bigint keys of ch_store_routing_lock), so processes starting
 * at once apply each migration once: the second waits, then finds them
 * recorded. Each pending migration runs in its own transaction (DDL is
 * transactional in PostgreSQL).
 * Threading: runs on the thread calling ch_store_open, on the writer's
 * connection, before the writer thread exists.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/migrations.h"
#include "store/postgres/pg_int.h"

#define LOCK_SQL "SELECT pg_advisory_lock(1128808776, 1)"   /* "CHAT", 1 */
#define UNLOCK_SQL "SELECT pg_advisory_unlock(1128808776, 1)"

static const char create_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                 "version integer PRIMARY KEY, name text NOT NULL, "
                                 "applied_at bigint NOT NULL)";

static ch_err read_version(ch_store_tx *c, int *out)
{
	PGresult *r = PQexec(c->conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
	ch_err err = CH_OK;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*out = atoi(PQgetvalue(r, 0, 0));
	} else {
		CH_ERROR("store: schema version: %s", PQerrorMessage(c->conn));
		err = CH_ERR_STORE;
	}
	PQclear(r);
	return err;
}

static ch_err apply_one(ch_store_tx *c, const ch_migration *m)
{
	char record[256];
	snprintf(record, sizeof record,
	         "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', %lld)",
	         m->version, m->name, (long long)ch_now_ms());
	ch_err err = ch_pg_exec_text(c, "BEGIN", "migration begin");
	if (err == CH_OK)
		err = ch_pg_exec_text(c, m->sql, m->name);
	if (err == CH_OK)
		err = ch_pg_exec_text(c, record, "record migration");
	if (err == CH_OK)
		err = ch_pg_exec_text(c, "COMMIT", "migration commit");
	if (err != CH_OK)
		PQclear(PQexec(c->conn, "ROLLBACK"));
	c->failed = 0;
	if (err == CH_OK)
		CH_INFO("store: applied migration %s", m->name);
	return err;
}

ch_err ch_pg_migrate(ch_store_tx *c, int *applied_out, int *version_out)
{
	const ch_migration *ms = ch_migrations_postgres;
	int n = ch_migrations_postgres_count, version = 0, applied = 0;
	int latest = n > 0 ? ms[n - 1].version : 0;
	ch_err err = ch_pg_exec_text(c, LOCK_SQL, "migration lock");
	if (err != CH_OK)
		return err;
	/* Quiet a NOTICE of CREATE … IF NOT EXISTS on every start. */
	PQclear(PQexec(c->conn, "SET client_min_messages = warning"));
	err = ch_pg_exec_text(c, create_sql, "create schema_migrations");
	if (err == CH_OK)
		err = read_version(c, &version);
	for (int i = 0; err == CH_OK && i < n; i++) {
		if (ms[i].version <= version)
			continue;
		err = apply_one(c, &ms[i]);
		if (err == CH_OK) {
			applied++;
			version = ms[i].version;
		}
	}
	PQclear(PQexec(c->conn, "RESET client_min_messages"));
	PQclear(PQexec(c->conn, UNLOCK_SQL));
	c->failed = 0;
	if (err == CH_OK && version > latest)
		CH_WARN("store: database schema version %d is newer than this build knows (%d)", version,
		        latest);
	*applied_out = applied;
	*version_out = version;
	return err;
}
