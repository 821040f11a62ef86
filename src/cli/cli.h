/* cli.h — the subcommands of the `chathub` binary.
 *
 * main.c parses argv into a ch_cli (command, config flags, command options)
 * and calls one of these. Each returns the process exit code: 0 success,
 * 1 runtime failure (message on stderr), 2 usage error.
 * Threading: main thread; `serve` turns it into the network thread.
 */
#ifndef CH_CLI_CLI_H
#define CH_CLI_CLI_H

#include "core/config.h"

#define CH_CLI_MAX_OPTS 32

typedef struct ch_cli {
	const char *command;     /* "serve", "company create", ... */
	ch_config cfg;           /* resolved */
	ch_config_kv opts[CH_CLI_MAX_OPTS]; /* command options (not config) */
	int nopts;
	int demo;                /* serve --demo */
	int include_deleted;
	const char *arg;         /* the one positional argument (backup FILE) */
} ch_cli;

/* The value of command option name, or NULL. */
const char *ch_cli_opt(const ch_cli *c, const char *name);

int ch_cli_serve(ch_cli *c);
int ch_cli_migrate(ch_cli *c);
int ch_cli_backup(ch_cli *c);
int ch_cli_restore(ch_cli *c);
int ch_cli_company_create(ch_cli *c);
int ch_cli_company_passwd(ch_cli *c);
int ch_cli_company_revoke_tokens(ch_cli *c);
int ch_cli_api_key_create(ch_cli *c);
int ch_cli_api_key_list(ch_cli *c);
int ch_cli_api_key_revoke(ch_cli *c);
int ch_cli_org_create(ch_cli *c);
int ch_cli_operator_create(ch_cli *c);
int ch_cli_config_docs(ch_cli *c);
int ch_cli_config_show(ch_cli *c);
int ch_cli_routes(ch_cli *c);

#endif
