/* common.c — data directory and store opening shared by every subcommand;
 * the data directory and its files are made private on the way.
 * Threading: main thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/internal.h"
#include "core/buf.h"
#include "core/log.h"

const char *ch_cli_opt(const ch_cli *c, const char *name)
{
	for (int i = c->nopts - 1; i >= 0; i--)
		if (!strcmp(c->opts[i].name, name))
			return c->opts[i].value;
	return NULL;
}

ch_pw_cost ch_cli_pw_cost(const ch_cli *c)
{
	ch_pw_cost cost = CH_PW_COST_INTERACTIVE;
	ch_password_parse_cost(c->cfg.password_hash_cost, &cost);
	return cost;
}

/* mkdir -p with mode 0700 for the directories we create. */
int ch_cli_make_dirs(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* Takes group and other permissions off path — a directory to 0700, a file
 * to 0600 — when it has any, with a warning naming the old mode. A missing
 * file is fine; a file that is a symbolic link is left alone (its target is
 * not ours to change). */
static void make_private(const char *path, int dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (dir ? O_DIRECTORY : O_NOFOLLOW));
	if (fd < 0)
		return;
	struct stat st;
	mode_t want = dir ? 0700 : 0600;
	if (!fstat(fd, &st) && (st.st_mode & 077) && (dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode))) {
		if (fchmod(fd, want))
			CH_WARN("%s has mode %04o (group/other access) and cannot be made %04o: %s", path,
			        (unsigned)(st.st_mode & 07777), (unsigned)want, strerror(errno));
		else
			CH_WARN("%s had mode %04o (group/other access); changed to %04o", path,
			        (unsigned)(st.st_mode & 07777), (unsigned)want);
	}
	close(fd);
}

/* The data directory holds password hashes, secrets and every transcript:
 * it and its files are private to the server's user, whatever created them. */
static void data_dir_private(const ch_cli *c)
{
	static const char *const files[] = {"chathub.db", "chathub.db-wal", "chathub.db-shm", "jwt-secret",
	                                    "chathub.conf"};
	make_private(c->cfg.data_dir, 1);
	ch_buf path = CH_BUF_INIT;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		ch_buf_reset(&path);
		ch_buf_printf(&path, "%s/%s", c->cfg.data_dir, files[i]);
		make_private(path.data, 0);
	}
	ch_buf_free(&path);
	/* a config file named elsewhere may be shared on purpose: only a warning */
	struct stat st;
	const char *conf = c->cfg.config;
	if (conf && *conf && !stat(conf, &st) && (st.st_mode & 077))
		CH_WARN("config file %s has mode %04o: other local users may read it (it can hold jwt_secret); "
		        "chmod 600 it", conf, (unsigned)(st.st_mode & 07777));
}

int ch_cli_store_is_postgres(const ch_cli *c)
{
	const char *u = c->cfg.store_url;
	return !strncmp(u, "postgresql://", 13) || !strncmp(u, "postgres://", 11);
}

/* The SQLite file: <data_dir>/chathub.db, or sqlite:<file> (relative to
 * data_dir unless absolute). */
void ch_cli_sqlite_path(const ch_cli *c, ch_buf *out)
{
	const char *u = c->cfg.store_url;
	if (!strncmp(u, "sqlite:", 7) && u[7] == '/')
		ch_buf_puts(out, u + 7);
	else
		ch_buf_printf(out, "%s/%s", c->cfg.data_dir, !strncmp(u, "sqlite:", 7) ? u + 7 : "chathub.db");
}

void ch_cli_store_name(const ch_cli *c, ch_buf *out)
{
	if (ch_cli_store_is_postgres(c))
		ch_config_url_masked(c->cfg.store_url, out);
	else
		ch_cli_sqlite_path(c, out);
}

/* SQLite gets the resolved path and no URL; PostgreSQL the URL as given. */
int ch_cli_open_store(ch_cli *c, ch_store **out, int *applied)
{
	if (ch_cli_make_dirs(c->cfg.data_dir)) {
		fprintf(stderr, "error: cannot create data directory %s: %s\n", c->cfg.data_dir,
		        strerror(errno));
		return 1;
	}
	data_dir_private(c);
	int pg = ch_cli_store_is_postgres(c);
	ch_buf path = CH_BUF_INIT, name = CH_BUF_INIT;
	if (!pg)
		ch_cli_sqlite_path(c, &path);
	ch_cli_store_name(c, &name);
	ch_store_opts so = {.url = pg ? c->cfg.store_url : NULL, .node_id = *c->cfg.node_id ? c->cfg.node_id : NULL,
	                    .path = pg ? NULL : path.data,
	                    .synchronous_full = !strcmp(c->cfg.sqlite_synchronous, "full"),
	                    .busy_timeout_ms = (int)c->cfg.store_busy_timeout_ms,
	                    .queue_max = (size_t)c->cfg.store_queue_max};
	ch_err e = ch_store_open(&so, out, applied);
	if (e)
		fprintf(stderr, "error: cannot open the database %s: %s\n", name.data, ch_err_text(e));
	ch_buf_free(&path);
	ch_buf_free(&name);
	return e ? 1 : 0;
}
