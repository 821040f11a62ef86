/* internal.h — helpers shared by the subcommands in src/cli/. */
#ifndef CH_CLI_INTERNAL_H
#define CH_CLI_INTERNAL_H

#include "auth/password.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "store/store.h"

/* Creates the data directory (0700) if needed, takes group/other access off
 * it and off its database, secret and config files (with a warning), and
 * opens the store in it, applying migrations. Prints the reason and returns 1
 * on failure. */
int ch_cli_open_store(ch_cli *c, ch_store **out, int *applied);
/* Returns 1 when store_url names a PostgreSQL database (shared by processes). */
int ch_cli_store_is_postgres(const ch_cli *c);
/* Writes what the store is, for messages: the SQLite file's path, or the
 * PostgreSQL URL with its password masked. */
void ch_cli_store_name(const ch_cli *c, ch_buf *out);
/* Writes the SQLite database file's path: <data_dir>/chathub.db, or the
 * file store_url names. */
void ch_cli_sqlite_path(const ch_cli *c, ch_buf *out);
/* Creates dir and its missing parents, mode 0700. 0, or -1 with errno. */
int ch_cli_make_dirs(const char *dir);
/* Parses the configured password cost. */
ch_pw_cost ch_cli_pw_cost(const ch_cli *c);
/* Seeds the demo company once (login demo / password demo). */
int ch_cli_demo_seed(ch_cli *c, ch_store *s);
/* Prints the demo banner and the curl walk-through for base_url. */
void ch_cli_demo_print(const char *base_url);

#endif
