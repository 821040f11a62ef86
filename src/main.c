/* main.c — the `chathub` command line: parses argv, resolves the
 * configuration, and runs one subcommand from src/cli/. Nothing else. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/log.h"

extern char **environ;

typedef struct command {
	const char *name;
	int (*run)(ch_cli *c);
	const char *options; /* command options besides config ones, space-separated */
	const char *usage;
} command;

static const command commands[] = {
	{"serve", ch_cli_serve, "demo",
	 "usage: chathub serve [--listen ADDR:PORT] [--data-dir DIR | --store-url URL] [--demo] [config options]\n\n"
	 "Runs the server: REST API, hub and widgets on one port (default 127.0.0.1:8080).\n"
	 "  --listen ADDR:PORT  where to listen; 0.0.0.0:8080 to accept other machines\n"
	 "  --data-dir DIR      database, JWT secret and media (default ./data)\n"
	 "  --store-url URL     postgresql://… to share one PostgreSQL database between processes, with\n"
	 "                      --bus-url redis://… between them and the same jwt_secret (docs/deploy.md)\n"
	 "  --demo              create (once) the demo company (login demo, password demo) with\n"
	 "                      organization \"Support\" and two operators, and print a curl walk-through\n"
	 "Stops cleanly on SIGTERM or Ctrl-C: in-flight requests finish, the database is flushed.\n"},
	{"migrate", ch_cli_migrate, "",
	 "usage: chathub migrate [--data-dir DIR | --store-url URL]\n\n"
	 "Creates the database if needed and applies pending schema migrations (serve does this too).\n"},
	{"backup", ch_cli_backup, "@file",
	 "usage: chathub backup FILE [--data-dir DIR | --store-url sqlite:FILE]\n\n"
	 "Writes a consistent copy of the SQLite database to FILE (mode 0600), also while a server\n"
	 "runs on it: the copy holds every transaction committed before it started and none after;\n"
	 "the server goes on writing meanwhile. FILE appears only when complete (written under a\n"
	 "temporary name, synced, renamed; an existing FILE is replaced). The time is recorded in\n"
	 "the database (chathub_last_backup_timestamp_seconds in GET /metrics).\n"
	 "The JWT secret (DIR/jwt-secret, unless jwt_secret is configured) is not in the copy.\n"
	 "With a PostgreSQL store_url it refuses: use pg_dump -Fc (docs/deploy.md).\n"},
	{"restore", ch_cli_restore, "@file",
	 "usage: chathub restore FILE --data-dir DIR\n\n"
	 "Restores a file written by chathub backup into DIR, which must be new or empty (a\n"
	 "non-empty one is refused and left alone). FILE is checked first: a SQLite database that\n"
	 "passes integrity_check, with ChatHub's tables, of a schema version this chathub knows.\n"
	 "Then `chathub serve --data-dir DIR` serves it (applying newer migrations). Tokens signed\n"
	 "with the old JWT secret work only if that secret is configured or DIR/jwt-secret copied.\n"
	 "With a PostgreSQL store_url it refuses: use pg_restore (docs/deploy.md).\n"},
	{"company create", ch_cli_company_create, "login password name",
	 "usage: chathub company create --login LOGIN [--name NAME] [--data-dir DIR | --store-url URL]\n\n"
	 "Creates a company; its login and password get company tokens from\n"
	 "POST /api/company/get-token. Works while a server runs on the same data directory.\n"
	 "The password comes from the environment variable CHATHUB_COMPANY_PASSWORD, else from\n"
	 "one line of standard input (on a terminal: asked twice, not echoed).\n"
	 "  --password PASSWORD  (tests only: visible to other local users in ps)\n"},
	{"company passwd", ch_cli_company_passwd, "login password",
	 "usage: chathub company passwd --login LOGIN [--data-dir DIR | --store-url URL]\n\n"
	 "Changes a company's password and revokes every company token issued so far (a running\n"
	 "server stops accepting them within a second). Operator tokens are not affected.\n"
	 "The new password comes from the environment variable CHATHUB_COMPANY_PASSWORD, else\n"
	 "from one line of standard input (on a terminal: asked, not echoed).\n"
	 "  --password PASSWORD  (tests only: visible to other local users in ps)\n"},
	{"company revoke-tokens", ch_cli_company_revoke_tokens, "login",
	 "usage: chathub company revoke-tokens --login LOGIN [--data-dir DIR | --store-url URL]\n\n"
	 "Revokes every company token of the company issued so far, without changing its password\n"
	 "(a leaked token). A running server stops accepting them within a second, and closes the\n"
	 "company's hub connections. Operator tokens are not affected.\n"},
	{"company api-key create", ch_cli_api_key_create, "login name",
	 "usage: chathub company api-key create --login LOGIN --name NAME [--data-dir DIR | --store-url URL]\n\n"
	 "Creates a company API key: a long-lived credential accepted wherever a company token is\n"
	 "(Authorization: Bearer KEY or X-Authorization-Key: KEY, and the hub), until revoked.\n"
	 "Prints the key alone on standard output — it is shown only this once; the server keeps\n"
	 "only its hash. A running server accepts it within a second. At most 100 keys per company.\n"
	 "  --name NAME  what the key is for (\"CRM backend\"), shown by list\n"},
	{"company api-key list", ch_cli_api_key_list, "login",
	 "usage: chathub company api-key list --login LOGIN [--data-dir DIR | --store-url URL]\n\n"
	 "Lists the company's API keys: id, the first characters of the key, creation time, name.\n"},
	{"company api-key revoke", ch_cli_api_key_revoke, "login id",
	 "usage: chathub company api-key revoke --login LOGIN --id ID [--data-dir DIR | --store-url URL]\n\n"
	 "Revokes an API key. A running server stops accepting it within a second and closes the\n"
	 "hub connections made with it.\n"},
	{"org create", ch_cli_org_create, "company name",
	 "usage: chathub org create --company LOGIN --name NAME [--data-dir DIR | --store-url URL]\n\n"
	 "Creates an organization in the company with that login and prints its id and widget guid.\n"},
	{"operator create", ch_cli_operator_create, "org name",
	 "usage: chathub operator create --org ORG_ID --name NAME [--data-dir DIR | --store-url URL]\n\n"
	 "Creates an Active operator in the organization and prints its id.\n"},
	{"config docs", ch_cli_config_docs, "",
	 "usage: chathub config docs\n\nPrints the Markdown reference of every configuration option.\n"},
	{"routes", ch_cli_routes, "",
	 "usage: chathub routes\n\nPrints every REST route as JSON: method, path, the token kinds it takes, its query\n"
	 "parameters (the API documentation, web/openapi.json, is checked against it).\n"},
	{"config show", ch_cli_config_show, "",
	 "usage: chathub config show [options]\n\nPrints the effective configuration (secrets masked).\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void help(FILE *out)
{
	fprintf(out,
	        "ChatHub %s — self-hosted real-time customer-support chat server\n\n"
	        "usage: chathub <command> [options]\n\n"
	        "commands:\n"
	        "  serve             run the server (REST API, /chathub hub, widgets)\n"
	        "  migrate           create or upgrade the database\n"
	        "  backup FILE       consistent copy of the SQLite database, also while serving\n"
	        "  restore FILE      restore a backup into a new, empty data directory\n"
	        "  company create    create a company (login + password)\n"
	        "  company passwd    change a company's password (revokes its company tokens)\n"
	        "  company revoke-tokens  revoke every company token of a company\n"
	        "  company api-key create|list|revoke  long-lived company API keys\n"
	        "  org create        create an organization in a company\n"
	        "  operator create   create an operator in an organization\n"
	        "  config docs|show  configuration reference / effective configuration\n"
	        "  routes            every REST route, as JSON\n"
	        "  version           print the version\n\n"
	        "Every command takes --data-dir DIR (default ./data) and any configuration option as\n"
	        "--name value; options also come from CHATHUB_* environment variables and the config\n"
	        "file (see docs/configuration.md). `chathub <command> --help` describes a command.\n",
	        CH_VERSION);
}

static const command *find_command(int argc, char **argv, int *consumed)
{
	/* the longest name that the words of argv spell: "company api-key create"
	 * before "company create" */
	char words[128];
	for (int n = argc - 1 < 3 ? argc - 1 : 3; n >= 1; n--) {
		words[0] = '\0';
		for (int k = 1; k <= n; k++)
			if (snprintf(words + strlen(words), sizeof words - strlen(words), "%s%s", k > 1 ? " " : "",
			             argv[k]) < 0)
				return NULL;
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (!strcmp(commands[i].name, words)) {
				*consumed = n + 1;
				return &commands[i];
			}
	}
	return NULL;
}

static int is_command_option(const command *cmd, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = cmd->options; *p;) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (sp ? 1 : 0);
	}
	return 0;
}

/* Splits --name value / --name=value into config flags and command options. */
static int parse_options(const command *cmd, int argc, char **argv, int first, ch_cli *c,
                         ch_config_kv *flags, size_t *nflags)
{
	for (int i = first; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) && is_command_option(cmd, "@file") && !c->arg) {
			c->arg = a; /* backup FILE */
			continue;
		}
		if (strncmp(a, "--", 2) || !a[2]) {
			fprintf(stderr, "error: unexpected argument \"%s\" (see chathub %s --help)\n", a, cmd->name);
			return 2;
		}
		static char names[64][64];
		const char *eq = strchr(a + 2, '=');
		size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (nl >= sizeof names[0] || *nflags + (size_t)c->nopts >= 60) {
			fprintf(stderr, "error: option \"%s\" not understood\n", a);
			return 2;
		}
		char *name = names[*nflags + (size_t)c->nopts];
		memcpy(name, a + 2, nl);
		name[nl] = '\0';
		if (!strcmp(name, "demo") && is_command_option(cmd, "demo")) {
			c->demo = 1;
			continue;
		}
		const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (!value) {
			fprintf(stderr, "error: --%s needs a value\n", name);
			return 2;
		}
		if (is_command_option(cmd, name) && c->nopts < CH_CLI_MAX_OPTS)
			c->opts[c->nopts++] = (ch_config_kv){name, value};
		else if (ch_config_is_option(name))
			flags[(*nflags)++] = (ch_config_kv){name, value};
		else {
			fprintf(stderr, "error: unknown option --%s (see chathub %s --help)\n", name, cmd->name);
			return 2;
		}
	}
	return 0;
}

static int wants_help(int argc, char **argv, int from)
{
	for (int i = from; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	/* every file this process creates (database, WAL, secrets) is private:
	 * they hold password hashes, secrets and every transcript */
	umask(077);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		help(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("chathub %s\n", CH_VERSION);
		return 0;
	}
	int first;
	const command *cmd = find_command(argc, argv, &first);
	if (!cmd) {
		char said[128];
		snprintf(said, sizeof said, "%s%s%s", argv[1], argc > 2 && argv[2][0] != '-' ? " " : "",
		         argc > 2 && argv[2][0] != '-' ? argv[2] : "");
		size_t n = strlen(said), shown = 0;
		for (size_t i = 0; i < N_COMMANDS; i++) /* "company api-key": its subcommands */
			if (!strncmp(commands[i].name, said, n) && commands[i].name[n] == ' ')
				fprintf(stderr, "%s  chathub %s\n", shown++ ? "" : "did you mean one of:\n", commands[i].name);
		fprintf(stderr, "error: %s \"%s\" (see chathub --help)\n", shown ? "incomplete command" : "unknown command",
		        said);
		return 2;
	}
	if (wants_help(argc, argv, first)) {
		fputs(cmd->usage, stdout);
		return 0;
	}
	static ch_cli c;
	ch_config_kv flags[64];
	size_t nflags = 0;
	c.command = cmd->name;
	int rc = parse_options(cmd, argc, argv, first, &c, flags, &nflags);
	if (rc)
		return rc;
	ch_config_defaults(&c.cfg);
	ch_buf err = CH_BUF_INIT;
	if (ch_config_resolve(&c.cfg, flags, nflags, environ, &err)) {
		fprintf(stderr, "error: %s\n", err.data);
		ch_buf_free(&err);
		ch_config_free(&c.cfg);
		return 2;
	}
	ch_buf_free(&err);
	ch_log_set_level((ch_log_level)ch_log_parse_level(c.cfg.log_level));
	rc = cmd->run(&c);
	ch_config_free(&c.cfg);
	return rc;
}
