/* Unit tests of the config table: defaults, precedence, validation, docs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

static char *write_conf(const char *text)
{
	static char path[] = "/tmp/chathub-conf-XXXXXX";
	strcpy(path, "/tmp/chathub-conf-XXXXXX");
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(config, defaults)
{
	ch_config c;
	ch_config_defaults(&c);
	cr_assert_str_eq(c.listen, "127.0.0.1:8080");
	cr_assert_str_eq(c.data_dir, "./data");
	cr_assert_str_eq(c.password_hash_cost, "interactive");
	cr_assert_eq(c.max_body_bytes, 1048576);
	cr_assert_eq(c.login_rate_per_minute, 10);
	cr_assert_str_eq(c.jwt_secret, "");
	ch_config_free(&c);
}

Test(config, precedence_flag_over_env_over_file)
{
	char *path = write_conf("# comment\nlisten = 0.0.0.0:1\nlog_level = \"warn\"\nhttp_timeout=7\n");
	char conf_env[300];
	snprintf(conf_env, sizeof conf_env, "CHATHUB_CONFIG=%s", path);
	char *envp[] = {conf_env, "CHATHUB_LISTEN=127.0.0.1:2", "CHATHUB_PASSWORD_HASH_COST=min", NULL};
	ch_config_kv flags[] = {{"listen", "127.0.0.1:3"}};
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_eq(ch_config_resolve(&c, flags, 1, envp, &err), CH_OK, "%s", err.data);
	cr_assert_str_eq(c.listen, "127.0.0.1:3");       /* flag */
	cr_assert_str_eq(c.password_hash_cost, "min");   /* env */
	cr_assert_str_eq(c.log_level, "warn");           /* file, quotes stripped */
	cr_assert_eq(c.http_timeout, 7);                 /* file */
	ch_config_free(&c);
	ch_buf_free(&err);
	unlink(path);
}

Test(config, dashes_in_flags)
{
	ch_config_kv flags[] = {{"data-dir", "/tmp/x"}, {"max-body-bytes", "2048"}};
	char *envp[] = {NULL};
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_eq(ch_config_resolve(&c, flags, 2, envp, &err), CH_OK, "%s", err.data);
	cr_assert_str_eq(c.data_dir, "/tmp/x");
	cr_assert_eq(c.max_body_bytes, 2048);
	cr_assert(ch_config_is_option("data-dir"));
	cr_assert(!ch_config_is_option("login"));
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, rejects_bad_values_naming_the_source)
{
	char *envp[] = {"CHATHUB_HTTP_TIMEOUT=abc", NULL};
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_neq(ch_config_resolve(&c, NULL, 0, envp, &err), CH_OK);
	cr_assert(strstr(err.data, "CHATHUB_HTTP_TIMEOUT"), "%s", err.data);
	ch_buf_reset(&err);
	cr_assert_neq(ch_config_set(&c, "password_hash_cost", "cheap", "--password-hash-cost", &err), CH_OK);
	cr_assert(strstr(err.data, "interactive|moderate|min"), "%s", err.data);
	ch_buf_reset(&err);
	cr_assert_neq(ch_config_set(&c, "max_body_bytes", "1", "x", &err), CH_OK); /* below min */
	cr_assert_neq(ch_config_set(&c, "max_body_bytes", "99999999999999999999", "x", &err), CH_OK);
	cr_assert_neq(ch_config_set(&c, "no_such_option", "1", "x", &err), CH_OK);
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, client_timeout_must_exceed_keep_alive)
{
	char *envp[] = {"CHATHUB_DATA_DIR=/nonexistent-chathub-dir", "CHATHUB_HUB_KEEP_ALIVE_INTERVAL=20",
	                "CHATHUB_HUB_CLIENT_TIMEOUT=20", NULL};
	ch_config c;
	ch_config_defaults(&c);
	cr_assert_eq(c.hub_keep_alive_interval, 15);
	cr_assert_eq(c.hub_client_timeout, 30);
	ch_buf err = CH_BUF_INIT;
	cr_assert_neq(ch_config_resolve(&c, NULL, 0, envp, &err), CH_OK);
	cr_assert(strstr(err.data, "hub_client_timeout (20 s) must be more than hub_keep_alive_interval (20 s)"),
	          "%s", err.data);
	ch_buf_reset(&err);
	envp[2] = "CHATHUB_HUB_CLIENT_TIMEOUT=41";
	cr_assert_eq(ch_config_resolve(&c, NULL, 0, envp, &err), CH_OK, "%s", err.data ? err.data : "");
	cr_assert_eq(c.hub_client_timeout, 41);
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, secret_never_from_flags)
{
	ch_config_kv flags[] = {{"jwt-secret", "0123456789abcdef0123"}};
	char *envp[] = {"CHATHUB_JWT_SECRET=fromtheenvironment!", NULL};
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_neq(ch_config_resolve(&c, flags, 1, envp, &err), CH_OK);
	cr_assert(strstr(err.data, "secret"), "%s", err.data);
	ch_config_free(&c);
	ch_config_defaults(&c);
	ch_buf_reset(&err);
	cr_assert_eq(ch_config_resolve(&c, NULL, 0, envp, &err), CH_OK);
	cr_assert_str_eq(c.jwt_secret, "fromtheenvironment!");
	ch_buf dump = CH_BUF_INIT;
	ch_config_dump(&c, &dump);
	cr_assert(!strstr(dump.data, "fromtheenvironment"), "secret leaked into config show");
	ch_buf_free(&dump);
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, missing_explicit_file_is_an_error_default_file_is_optional)
{
	char *envp[] = {"CHATHUB_CONFIG=/nonexistent/chathub.conf", NULL};
	char *envp2[] = {"CHATHUB_DATA_DIR=/nonexistent", NULL};
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_neq(ch_config_resolve(&c, NULL, 0, envp, &err), CH_OK);
	cr_assert_eq(ch_config_resolve(&c, NULL, 0, envp2, &err), CH_OK);
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, docs_list_every_option_with_env_name)
{
	ch_buf d = CH_BUF_INIT;
	ch_config_docs(&d);
	cr_assert(strstr(d.data, "| `password_hash_cost` | `CHATHUB_PASSWORD_HASH_COST` |"));
	cr_assert(strstr(d.data, "| `listen` | `CHATHUB_LISTEN` |"));
	cr_assert(strstr(d.data, "secret string"));
	ch_buf_free(&d);
}

/* Sets one option and returns its error (CH_OK or the message in err). */
static ch_err set1(ch_config *c, const char *name, const char *value, ch_buf *err)
{
	ch_buf_reset(err);
	return ch_config_set(c, name, value, "--test", err);
}

Test(config, store_url_schemes)
{
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	cr_assert_str_eq(c.store_url, "");
	const char *good[] = {"", "sqlite:chat.db", "sqlite:/var/lib/chathub/chat.db",
	                      "postgresql://chathub:pw@db.example:5432/chathub", "postgres://db/chathub",
	                      "postgresql:///chathub?host=/run/postgresql"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_assert_eq(set1(&c, "store_url", good[i], &err), CH_OK, "%s: %s", good[i], err.data);
	const char *bad[] = {"sqlite:", "mysql://db/x", "postgresql:/db", "chathub.db", "redis://h:1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(set1(&c, "store_url", bad[i], &err), CH_ERR_OUT_OF_RANGE, "%s accepted", bad[i]);
		cr_assert(strstr(err.data, "store_url must be empty, sqlite:<file>, or a postgresql://"), "%s", err.data);
	}
	/* a password never shows in a message */
	cr_assert_eq(set1(&c, "store_url", "pgsql://u:hunter2@h/d", &err), CH_ERR_OUT_OF_RANGE);
	cr_assert_null(strstr(err.data, "hunter2"), "%s", err.data);
	cr_assert(strstr(err.data, "pgsql://u:***@h/d"), "%s", err.data);
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, bus_url_is_redis_host_port_db)
{
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT;
	const char *good[] = {"", "redis://127.0.0.1:6379", "redis://cache.example:6380/2", "redis://[::1]:6379"};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		cr_assert_eq(set1(&c, "bus_url", good[i], &err), CH_OK, "%s: %s", good[i], err.data);
	const char *bad[] = {"redis://h", "redis://h:0", "redis://h:70000", "redis://h:6379/x", "redis://:6379",
	                     "http://h:6379", "redis://h:6379/", "redis://u:pw@h:6379"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(set1(&c, "bus_url", bad[i], &err), CH_ERR_OUT_OF_RANGE, "%s accepted", bad[i]);
		cr_assert(strstr(err.data, "bus_url must be empty or redis://host:port[/db]"), "%s", err.data);
	}
	ch_config_free(&c);
	ch_buf_free(&err);
}

Test(config, node_id_and_masked_dump)
{
	ch_config c;
	ch_config_defaults(&c);
	ch_buf err = CH_BUF_INIT, out = CH_BUF_INIT;
	cr_assert_eq(set1(&c, "node_id", "eu-1.node_2", &err), CH_OK, "%s", err.data);
	cr_assert_eq(set1(&c, "node_id", "a b", &err), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set1(&c, "node_id", "n/1", &err), CH_ERR_OUT_OF_RANGE);
	char long_id[80];
	memset(long_id, 'x', 65);
	long_id[65] = '\0';
	cr_assert_eq(set1(&c, "node_id", long_id, &err), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(set1(&c, "store_url", "postgresql://chathub:s3cret@db/chathub", &err), CH_OK);
	ch_config_dump(&c, &out);
	cr_assert(strstr(out.data, "store_url = postgresql://chathub:***@db/chathub\n"), "%s", out.data);
	cr_assert(strstr(out.data, "node_id = eu-1.node_2\n"), "%s", out.data);
	cr_assert_null(strstr(out.data, "s3cret"));
	ch_buf_reset(&out);
	ch_config_url_masked("postgresql://db/chathub?user=c&password=p4ss&sslmode=require", &out);
	cr_assert_str_eq(out.data, "postgresql://db/chathub?user=c&password=***&sslmode=require");
	ch_buf_reset(&out);
	ch_config_url_masked("postgres://u:pw@h:5432/d?password=x", &out);
	cr_assert_str_eq(out.data, "postgres://u:***@h:5432/d?password=***");
	ch_buf_reset(&out);
	ch_config_url_masked("redis://127.0.0.1:6379/0", &out);
	cr_assert_str_eq(out.data, "redis://127.0.0.1:6379/0");
	ch_config_free(&c);
	ch_buf_free(&err);
	ch_buf_free(&out);
}
