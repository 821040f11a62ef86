/* migrations.h — numbered SQL migrations compiled into the binary, one array
 * per SQL dialect, generated at build time from
 * src/store/migrations/{sqlite,postgres}/NNN_*.sql
 * (cmake/embed_migrations.cmake), ascending by number. Both directories hold
 * the same numbers and names (a ctest checks it); a migration may be a
 * comment-only file in one dialect. */
#ifndef CH_STORE_MIGRATIONS_H
#define CH_STORE_MIGRATIONS_H

typedef struct ch_migration {
	int version;
	const char *name;
	const char *sql;
} ch_migration;

extern const ch_migration ch_migrations_sqlite[];
extern const int ch_migrations_sqlite_count;
extern const ch_migration ch_migrations_postgres[];
extern const int ch_migrations_postgres_count;

#endif
