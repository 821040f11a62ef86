/* common.c — data directory and store opening shared by every subcommand.
 * Threading: main thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/internal.h"
#include "core/buf.h"

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
static int make_dirs(const char *path)
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

int ch_cli_open_store(ch_cli *c, ch_store **out, int *applied)
{
	if (make_dirs(c->cfg.data_dir)) {
		fprintf(stderr, "error: cannot create data directory %s: %s\n", c->cfg.data_dir,
		        strerror(errno));
		return 1;
	}
	ch_buf path = CH_BUF_INIT;
	ch_buf_printf(&path, "%s/chathub.db", c->cfg.data_dir);
	ch_store_opts so = {.path = path.data,
	                    .synchronous_full = !strcmp(c->cfg.sqlite_synchronous, "full"),
	                    .busy_timeout_ms = (int)c->cfg.store_busy_timeout_ms,
	                    .queue_max = (size_t)c->cfg.store_queue_max};
	ch_err e = ch_store_open(&so, out, applied);
	if (e)
		fprintf(stderr, "error: cannot open the database %s: %s\n", path.data, ch_err_text(e));
	ch_buf_free(&path);
	return e ? 1 : 0;
}
