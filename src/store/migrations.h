/* migrations.h — numbered SQL migrations compiled into the binary.
 * The array is generated at build time from src/store/migrations/NNN_*.sql
 * (cmake/embed_migrations.cmake), ascending by number. */
#ifndef CH_STORE_MIGRATIONS_H
#define CH_STORE_MIGRATIONS_H

typedef struct ch_migration {
	int version;
	const char *name;
	const char *sql;
} ch_migration;

extern const ch_migration ch_migrations[];
extern const int ch_migrations_count;

#endif
