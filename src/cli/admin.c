/* admin.c — administration subcommands: migrate, company create/passwd,
 * org create, operator create, config docs/show. They open the same database
 * as a running server (SQLite WAL allows both), so the server sees the change
 * with its next request. A company password never comes from argv (other
 * local users read it in ps) except through --password, kept for tests.
 * Threading: main thread; store writes go through the store's writer. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "api/api.h"
#include "cli/internal.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/utf8.h"

static int usage(const char *msg)
{
	fprintf(stderr, "error: %s (see --help)\n", msg);
	return 2;
}

/* Opens the store, runs fn as one write job and closes it. Returns 0, or 1
 * after printing `expected_why` for the expected error, or the error's text. */
static int write_once(ch_cli *c, ch_store_fn fn, void *arg, ch_err expected, const char *expected_why)
{
	ch_store *s;
	if (ch_cli_open_store(c, &s, NULL))
		return 1;
	ch_err e = ch_store_write_sync(s, fn, arg);
	ch_store_close(s);
	if (e)
		fprintf(stderr, "error: %s\n", e == expected ? expected_why : ch_err_text(e));
	return e ? 1 : 0;
}

int ch_cli_migrate(ch_cli *c)
{
	ch_store *s;
	int applied = 0;
	if (ch_cli_open_store(c, &s, &applied))
		return 1;
	ch_buf name = CH_BUF_INIT;
	ch_cli_store_name(c, &name);
	printf("database %s is at schema version %d (%d migration%s applied now)\n", name.data,
	       ch_store_schema_version(s), applied, applied == 1 ? "" : "s");
	ch_buf_free(&name);
	ch_store_close(s);
	return 0;
}

typedef struct company_job {
	const char *login, *name;
	char hash[CH_HASH_MAX + 1];
	int64_t id;
	ch_company_row row;
} company_job;

static ch_err company_create_tx(ch_store_tx *tx, void *arg)
{
	company_job *j = arg;
	return ch_store_company_create(tx, j->login, j->name, j->hash, &j->id);
}

static ch_err company_passwd_tx(ch_store_tx *tx, void *arg)
{
	company_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->row);
	return e ? e : ch_store_company_set_password(tx, j->row.id, j->hash);
}

/* Reads one line of standard input into buf (the newline dropped); with a
 * terminal, prompts on stderr with echo off. Returns its length, or -1. */
static ssize_t read_line(const char *prompt, char *buf, size_t cap)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		tty = tcgetattr(STDIN_FILENO, &old) == 0;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		if (tty)
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ssize_t n = -1;
	if (fgets(buf, (int)cap, stdin)) {
		n = (ssize_t)strcspn(buf, "\r\n");
		if (!buf[n] && (size_t)n == cap - 1)
			n = -1; /* longer than the buffer: refused rather than cut */
		else
			buf[n] = '\0';
	}
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return n;
}

/* The new password: --password (tests only: argv is public in ps), else
 * CHATHUB_COMPANY_PASSWORD, else one line of standard input (asked twice on a
 * terminal when confirm is set). Copied into pw; 0, or -1 after a message. */
static int get_password(ch_cli *c, int confirm, char pw[CH_PASSWORD_MAX + 2])
{
	const char *given = ch_cli_opt(c, "password");
	if (given)
		fprintf(stderr, "warning: --password is visible to other local users (ps, /proc); "
		                "use CHATHUB_COMPANY_PASSWORD or standard input\n");
	else
		given = getenv("CHATHUB_COMPANY_PASSWORD");
	if (given) {
		if (strlen(given) > CH_PASSWORD_MAX)
			return usage("the password must be 1 to 1024 bytes"), -1;
		snprintf(pw, CH_PASSWORD_MAX + 2, "%s", given);
	} else {
		if (read_line("Password: ", pw, CH_PASSWORD_MAX + 2) < 0)
			pw[0] = '\0';
		else if (confirm && isatty(STDIN_FILENO)) {
			char again[CH_PASSWORD_MAX + 2];
			ssize_t n = read_line("Password (again): ", again, sizeof again);
			int same = n >= 0 && !strcmp(pw, again);
			sodium_memzero(again, sizeof again);
			if (!same)
				return usage("the passwords do not match"), -1;
		}
	}
	if (!*pw || strlen(pw) > CH_PASSWORD_MAX)
		return usage("a password is required (1 to 1024 bytes): set CHATHUB_COMPANY_PASSWORD or "
		             "write it on standard input"), -1;
	return 0;
}

/* Validates --login, reads the password and hashes it into j->hash. */
static int login_and_hash(ch_cli *c, company_job *j, int confirm, int *rc)
{
	char pw[CH_PASSWORD_MAX + 2];
	j->login = ch_cli_opt(c, "login");
	if (!j->login || !*j->login || strlen(j->login) > CH_LOGIN_MAX)
		return *rc = usage("--login is required (1 to 128 bytes)"), -1;
	if (get_password(c, confirm, pw)) {
		sodium_memzero(pw, sizeof pw);
		return *rc = 2, -1;
	}
	int bad = ch_password_init() || ch_password_hash(pw, strlen(pw), ch_cli_pw_cost(c), j->hash);
	sodium_memzero(pw, sizeof pw);
	if (bad) {
		fprintf(stderr, "error: cannot hash the password\n");
		return *rc = 1, -1;
	}
	return 0;
}

int ch_cli_company_create(ch_cli *c)
{
	company_job j = {0};
	int rc = 0;
	const char *name = ch_cli_opt(c, "name");
	if (name && (!*name || strlen(name) > CH_NAME_MAX))
		return usage("--name must be 1 to 256 bytes");
	if (login_and_hash(c, &j, 1, &rc))
		return rc;
	j.name = name ? name : j.login;
	char why[256];
	snprintf(why, sizeof why, "a company with login \"%s\" already exists", j.login);
	if (write_once(c, company_create_tx, &j, CH_ERR_CONFLICT, why))
		return 1;
	printf("company %lld created (login \"%s\", name \"%s\")\n", (long long)j.id, j.login, j.name);
	return 0;
}

int ch_cli_company_passwd(ch_cli *c)
{
	company_job j = {0};
	int rc = 0;
	if (login_and_hash(c, &j, 0, &rc))
		return rc;
	char why[256];
	snprintf(why, sizeof why, "no company with login \"%s\"", j.login);
	if (write_once(c, company_passwd_tx, &j, CH_ERR_NOT_FOUND, why))
		return 1;
	printf("password of company \"%s\" changed; its company tokens issued so far are revoked\n", j.login);
	return 0;
}

static ch_err company_revoke_tx(ch_store_tx *tx, void *arg)
{
	company_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->row);
	return e ? e : ch_store_company_revoke_tokens(tx, j->row.id);
}

int ch_cli_company_revoke_tokens(ch_cli *c)
{
	company_job j = {.login = ch_cli_opt(c, "login")};
	if (!j.login || !*j.login || strlen(j.login) > CH_LOGIN_MAX)
		return usage("--login is required (1 to 128 bytes)");
	char why[256];
	snprintf(why, sizeof why, "no company with login \"%s\"", j.login);
	if (write_once(c, company_revoke_tx, &j, CH_ERR_NOT_FOUND, why))
		return 1;
	printf("every company token of \"%s\" issued so far is revoked (a running server stops accepting them "
	       "within a second)\n", j.login);
	return 0;
}

/* ---- company API keys ------------------------------------------------------ */

typedef struct key_job {
	const char *login, *name;
	int64_t id;
	ch_company_row company;
	unsigned char hash[CH_API_KEY_HASH];
	char prefix[CH_API_KEY_PREFIX + 1];
	ch_api_key_row row;
	int n;
} key_job;

static ch_err key_create_tx(ch_store_tx *tx, void *arg)
{
	key_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->company);
	return e ? e : ch_store_api_key_create(tx, j->company.id, j->name, j->hash, j->prefix, &j->row);
}

static void print_key(void *ctx, const ch_api_key_row *r)
{
	key_job *j = ctx;
	char ts[25];
	ch_iso8601_format(r->created_at, ts);
	printf("%lld\t%s…\t%s\t%s\n", (long long)r->id, r->prefix, ts, r->name);
	j->n++;
}

static ch_err key_list_tx(ch_store_tx *tx, void *arg)
{
	key_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->company);
	return e ? e : ch_store_api_key_list(tx, j->company.id, print_key, j);
}

static ch_err key_revoke_tx(ch_store_tx *tx, void *arg)
{
	key_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->company);
	if (e)
		return e;
	e = ch_store_api_key_get(tx, j->company.id, j->id, &j->row);
	return e ? e : ch_store_api_key_revoke(tx, j->company.id, j->id);
}

static int key_login(ch_cli *c, key_job *j, char why[256])
{
	j->login = ch_cli_opt(c, "login");
	if (!j->login || !*j->login || strlen(j->login) > CH_LOGIN_MAX)
		return usage("--login is required (1 to 128 bytes)");
	snprintf(why, 256, "no company with login \"%s\"", j->login);
	return 0;
}

int ch_cli_api_key_create(ch_cli *c)
{
	key_job j = {.name = ch_cli_opt(c, "name")};
	char why[256], text[CH_API_KEY_LEN + 1];
	int rc = key_login(c, &j, why);
	if (rc)
		return rc;
	if (!j.name || !*j.name || strlen(j.name) > 128 || !ch_utf8_valid(j.name, strlen(j.name)))
		return usage("--name is required (1 to 128 bytes of UTF-8), e.g. --name \"CRM backend\"");
	ch_api_key_new(text, j.hash, j.prefix);
	ch_store *s;
	if (ch_cli_open_store(c, &s, NULL))
		return 1;
	ch_err e = ch_store_write_sync(s, key_create_tx, &j);
	ch_store_close(s);
	if (e) {
		sodium_memzero(text, sizeof text);
		fprintf(stderr, "error: %s\n", e == CH_ERR_NOT_FOUND ? why
		                : e == CH_ERR_CONFLICT ? "the company has as many API keys as it may (100); revoke one first"
		                : ch_err_text(e));
		return 1;
	}
	/* the key on stdout alone, the rest on stderr: KEY=$(chathub company api-key create …) */
	fprintf(stderr, "API key %lld (\"%s\") created for company \"%s\"; it is shown only now. A running server "
	                "accepts it within a second, wherever a company token is accepted.\n",
	        (long long)j.row.id, j.name, j.login);
	printf("%s\n", text);
	sodium_memzero(text, sizeof text);
	return 0;
}

int ch_cli_api_key_list(ch_cli *c)
{
	key_job j = {0};
	char why[256];
	int rc = key_login(c, &j, why);
	if (rc)
		return rc;
	printf("ID\tKEY\tCREATED\tNAME\n");
	if (write_once(c, key_list_tx, &j, CH_ERR_NOT_FOUND, why))
		return 1;
	if (!j.n)
		fprintf(stderr, "company \"%s\" has no API keys\n", j.login);
	return 0;
}

int ch_cli_api_key_revoke(ch_cli *c)
{
	key_job j = {0};
	char nocompany[256], why[256];
	int rc = key_login(c, &j, nocompany);
	if (rc)
		return rc;
	const char *id = ch_cli_opt(c, "id");
	char *end = NULL;
	j.id = id ? strtoll(id, &end, 10) : 0;
	if (!id || !*id || *end || j.id <= 0)
		return usage("--id ID is required (a key id from `chathub company api-key list`)");
	snprintf(why, sizeof why, "company \"%s\" has no API key %lld", j.login, (long long)j.id);
	ch_store *s;
	if (ch_cli_open_store(c, &s, NULL))
		return 1;
	ch_err e = ch_store_write_sync(s, key_revoke_tx, &j);
	ch_store_close(s);
	if (e) {
		fprintf(stderr, "error: %s\n", e == CH_ERR_NOT_FOUND ? (j.company.id ? why : nocompany)
		                                                   : ch_err_text(e));
		return 1;
	}
	printf("API key %lld (\"%s\") of company \"%s\" revoked (a running server stops accepting it within a "
	       "second and closes the hub connections made with it)\n", (long long)j.id, j.row.name, j.login);
	return 0;
}

typedef struct org_job {
	const char *login, *name;
	char guid[CH_GUID_LEN + 1];
	ch_company_row company;
	int64_t org_id, id;
	ch_operator_row op;
} org_job;

static ch_err org_create_tx(ch_store_tx *tx, void *arg)
{
	org_job *j = arg;
	ch_err e = ch_store_company_by_login(tx, j->login, &j->company);
	return e ? e : ch_store_org_create(tx, j->company.id, j->name, j->guid, &j->id);
}

int ch_cli_org_create(ch_cli *c)
{
	org_job j = {.login = ch_cli_opt(c, "company"), .name = ch_cli_opt(c, "name")};
	if (!j.login || !*j.login)
		return usage("--company LOGIN is required");
	if (!j.name || !*j.name || strlen(j.name) > CH_NAME_MAX)
		return usage("--name is required (1 to 256 bytes)");
	ch_random_guid(j.guid);
	char why[256];
	snprintf(why, sizeof why, "no company with login \"%s\"", j.login);
	if (write_once(c, org_create_tx, &j, CH_ERR_NOT_FOUND, why))
		return 1;
	printf("organization %lld created (\"%s\", company \"%s\", widget guid %s)\n", (long long)j.id,
	       j.name, j.login, j.guid);
	return 0;
}

typedef struct org_lookup {
	int64_t org_id, company_id;
} org_lookup;

static void match_org(void *ctx, const ch_org_row *o)
{
	org_lookup *l = ctx;
	if (o->id == l->org_id)
		l->company_id = o->company_id;
}

static ch_err find_org_company(ch_store_tx *tx, int64_t org_id, int64_t *company_id)
{
	org_lookup l = {org_id, 0};
	ch_err e = ch_store_org_list_all(tx, match_org, &l);
	if (e)
		return e;
	*company_id = l.company_id;
	return l.company_id ? CH_OK : CH_ERR_NOT_FOUND;
}

static ch_err operator_create_tx(ch_store_tx *tx, void *arg)
{
	org_job *j = arg;
	int64_t company_id;
	ch_err e = find_org_company(tx, j->org_id, &company_id);
	return e ? e : ch_store_operator_upsert(tx, company_id, j->org_id, j->name, NULL, &j->op, NULL);
}

int ch_cli_operator_create(ch_cli *c)
{
	org_job j = {.name = ch_cli_opt(c, "name")};
	const char *org = ch_cli_opt(c, "org");
	char *end = NULL;
	j.org_id = org ? strtoll(org, &end, 10) : 0;
	if (!org || !*org || *end || j.org_id <= 0)
		return usage("--org ID is required (a positive organization id)");
	if (!j.name || !*j.name || strlen(j.name) > CH_NAME_MAX)
		return usage("--name is required (1 to 256 bytes)");
	char why[256];
	snprintf(why, sizeof why, "no organization %lld", (long long)j.org_id);
	if (write_once(c, operator_create_tx, &j, CH_ERR_NOT_FOUND, why))
		return 1;
	printf("operator %lld created (\"%s\", organization %lld)\n", (long long)j.op.id, j.op.name,
	       (long long)j.org_id);
	return 0;
}

int ch_cli_config_docs(ch_cli *c)
{
	(void)c;
	ch_buf out = CH_BUF_INIT;
	ch_config_docs(&out);
	fwrite(out.data, 1, out.len, stdout);
	ch_buf_free(&out);
	return 0;
}

int ch_cli_config_show(ch_cli *c)
{
	ch_buf out = CH_BUF_INIT;
	ch_config_dump(&c->cfg, &out);
	fwrite(out.data, 1, out.len, stdout);
	ch_buf_free(&out);
	return 0;
}

static void print_route(void *ctx, const char *method, const char *pattern, unsigned auth, const char *params)
{
	json_t *tokens = json_array(), *query = json_array();
	for (ch_token_kind k = CH_TOKEN_COMPANY; k <= CH_TOKEN_VISITOR; k++)
		if (auth & (1u << k))
			json_array_append_new(tokens, json_string(ch_token_kind_name(k)));
	for (const char *p = params; *p;) {
		size_t n = strcspn(p, " ");
		json_array_append_new(query, json_stringn(p, n));
		p += n + (p[n] == ' ');
	}
	json_array_append_new(ctx, json_pack("{s:s, s:s, s:o, s:o}", "method", method, "path", pattern, "tokens", tokens,
	                                     "query", query));
}

int ch_cli_routes(ch_cli *c)
{
	(void)c;
	json_t *all = json_array();
	ch_api_routes_each(print_route, all);
	char *s = json_dumps(all, JSON_INDENT(1));
	puts(s);
	free(s);
	json_decref(all);
	return 0;
}
