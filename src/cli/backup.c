/* backup.c — `chathub backup FILE` and `chathub restore FILE`: a consistent
 * copy of the SQLite database taken while a server runs on it, and its
 * checked restore into a new data directory (store/backup.h does the copying).
 * A PostgreSQL store is refused with the pg_dump usage of docs/deploy.md.
 * Threading: main thread.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/internal.h"
#include "store/backup.h"

static int refuse_postgres(const ch_cli *c, const char *what)
{
	ch_buf name = CH_BUF_INIT;
	ch_cli_store_name(c, &name);
	fprintf(stderr,
	        "error: store_url %s is a PostgreSQL database: chathub %s works on SQLite only; %s "
	        "(see \"Backup and restore\" in docs/deploy.md)\n",
	        name.data, what,
	        !strcmp(what, "backup") ? "back it up with pg_dump -Fc" : "restore a pg_dump -Fc file with pg_restore");
	ch_buf_free(&name);
	return 1;
}

static int need_file(const ch_cli *c)
{
	if (c->arg && *c->arg)
		return 0;
	fprintf(stderr, "error: the file is required: chathub %s FILE (see --help)\n", c->command);
	return 2;
}

int ch_cli_backup(ch_cli *c)
{
	if (need_file(c))
		return 2;
	if (ch_cli_store_is_postgres(c))
		return refuse_postgres(c, "backup");
	ch_buf db = CH_BUF_INIT;
	ch_cli_sqlite_path(c, &db);
	struct stat a, b;
	if (!stat(db.data, &a) && !stat(c->arg, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		fprintf(stderr, "error: %s is the database itself: name another file\n", c->arg);
		ch_buf_free(&db);
		return 2;
	}
	char why[8400];
	int64_t pages = 0;
	ch_err e = ch_store_backup_sqlite(db.data, c->arg, (int)c->cfg.store_busy_timeout_ms, &pages, why, sizeof why);
	if (e)
		fprintf(stderr, "error: %s\n", why);
	else
		printf("backup of %s written to %s (%" PRId64 " pages, consistent as of its start)\n", db.data, c->arg,
		       pages);
	ch_buf_free(&db);
	return e ? 1 : 0;
}

/* 1 when dir exists and holds anything, 0 when it is empty or absent, -1 when
 * it cannot be read (errno). */
static int dir_has_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int found = 0;
	for (struct dirent *e; !found && (e = readdir(d));)
		found = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return found;
}

int ch_cli_restore(ch_cli *c)
{
	if (need_file(c))
		return 2;
	if (ch_cli_store_is_postgres(c))
		return refuse_postgres(c, "restore");
	const char *dir = c->cfg.data_dir;
	struct stat st;
	int existed = stat(dir, &st) == 0;
	int has = dir_has_entries(dir);
	if (has) {
		if (has < 0)
			fprintf(stderr, "error: cannot read data directory %s: %s\n", dir, strerror(errno));
		else
			fprintf(stderr, "error: data directory %s is not empty: restore only into a new or empty data "
			                "directory (nothing was changed)\n", dir);
		return 1;
	}
	if (ch_cli_make_dirs(dir)) {
		fprintf(stderr, "error: cannot create data directory %s: %s\n", dir, strerror(errno));
		return 1;
	}
	ch_buf db = CH_BUF_INIT;
	ch_cli_sqlite_path(c, &db);
	char why[8400];
	int version = 0;
	ch_err e = ch_store_restore_sqlite(c->arg, db.data, &version, why, sizeof why);
	if (e) {
		/* the data directory this command created goes too: a failed restore leaves the disk as it was */
		if (!existed)
			rmdir(dir);
		fprintf(stderr, "error: %s (nothing was restored)\n", why);
	} else
		printf("restored %s (schema version %d) into %s; `chathub serve --data-dir %s` applies any newer "
		       "migrations\n", c->arg, version, db.data, dir);
	ch_buf_free(&db);
	return e ? 1 : 0;
}
