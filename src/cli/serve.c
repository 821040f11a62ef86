/* serve.c — `chathub serve`: wires config, store, token key, API and network
 * together and runs until a signal.
 * Threading: the main thread becomes the network thread. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "bus/counter.h"
#include "cli/internal.h"
#include "core/baseurl.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "net/server.h"
#include "svc/svc.h"

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Reads a 64-hex-digit secret file into key. */
static int read_secret_file(const char *path, ch_token_key *key)
{
	char hex[130] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(hex, 1, sizeof hex - 1, f);
	fclose(f);
	while (n && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' '))
		n--;
	if (n != 64)
		return -2;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -2;
		key->bytes[i] = (unsigned char)(hi * 16 + lo);
	}
	key->len = 32;
	return 0;
}

typedef struct cluster_id_arg {
	char id[CH_GUID_LEN + 1];
	char out[64];
} cluster_id_arg;

static ch_err cluster_id_tx(ch_store_tx *tx, void *arg)
{
	cluster_id_arg *a = arg;
	return ch_store_setting_ensure(tx, "cluster_id", a->id, a->out, sizeof a->out);
}

/* The Redis names of this cluster: "chathub:<cluster id>", the id drawn by
 * the first process on the database and kept in it. Processes on another
 * database (another cluster, or a test's) sharing the Redis server never
 * hear each other's events or share login counts. */
static int cluster_prefix(ch_store *s, char *out, size_t n)
{
	cluster_id_arg a;
	ch_random_guid(a.id);
	ch_err e = ch_store_write_sync(s, cluster_id_tx, &a);
	if (e) {
		fprintf(stderr, "error: the cluster id could not be read or stored: %s\n", ch_err_text(e));
		return 1;
	}
	snprintf(out, n, "chathub:%s", a.out);
	CH_INFO("cluster %s (Redis names %s:*)", a.out, out);
	return 0;
}

/* Every process on one PostgreSQL database must sign and check tokens with
 * the same secret, and a file per data directory would give each its own:
 * with PostgreSQL, jwt_secret is required. */
static int shared_key_missing(ch_cli *c)
{
	ch_buf name = CH_BUF_INIT;
	ch_cli_store_name(c, &name);
	fprintf(stderr, "error: store_url %s is shared by processes: set jwt_secret (CHATHUB_JWT_SECRET or the "
	                "config file), the same in every process\n", name.data);
	ch_buf_free(&name);
	return 1;
}

/* The configured secret; else (SQLite only) the one in <data_dir>/jwt-secret,
 * generated (0600, exclusively) on first start. */
static int load_key(ch_cli *c, ch_token_key *key)
{
	const char *s = c->cfg.jwt_secret;
	if (s && *s) {
		size_t n = strlen(s);
		if (n < 16 || n > CH_TOKEN_KEY_MAX) {
			fprintf(stderr, "error: jwt_secret must be 16 to %d bytes\n", CH_TOKEN_KEY_MAX);
			return 1;
		}
		memcpy(key->bytes, s, n);
		key->len = n;
		return 0;
	}
	if (ch_cli_store_is_postgres(c))
		return shared_key_missing(c);
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/jwt-secret", c->cfg.data_dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		unsigned char b[32];
		char hex[66];
		ch_random_bytes(b, sizeof b);
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		hex[64] = '\n';
		int ok = write(fd, hex, 65) == 65 && fsync(fd) == 0;
		close(fd);
		if (!ok) {
			fprintf(stderr, "error: cannot write %s\n", path);
			unlink(path);
			return 1;
		}
		CH_INFO("generated a new JWT secret in %s", path);
	} else if (errno != EEXIST) {
		fprintf(stderr, "error: cannot create %s: %s\n", path, strerror(errno));
		return 1;
	}
	int r = read_secret_file(path, key);
	if (r)
		fprintf(stderr, "error: %s is %s (expected 64 hex digits)\n", path,
		        r == -1 ? "unreadable" : "malformed");
	return r ? 1 : 0;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running binary into out ("" when unknown). */
static void exe_dir(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	out[0] = '\0';
	if (len <= 0)
		return;
	exe[len] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(out, n, "%s", exe);
}

/* web_dir, else ./web, else <binary's dir>/../web (build/chathub → web/). */
static void find_web_dir(ch_cli *c, char *out, size_t n)
{
	if (c->cfg.web_dir && *c->cfg.web_dir) {
		snprintf(out, n, "%s", c->cfg.web_dir);
		return;
	}
	if (is_dir("web")) {
		snprintf(out, n, "web");
		return;
	}
	char dir[PATH_MAX];
	exe_dir(dir, sizeof dir);
	snprintf(out, n, "%s%s", dir, *dir ? "/../web" : "web");
}

/* web_bundle_dir, else <binary's dir>/web: the build writes the widget bundles
 * next to the binary it builds (build/web/ for build/chathub, build-asan/web/
 * for build-asan/chathub), so each build serves its own. */
static void find_bundle_dir(ch_cli *c, char *out, size_t n)
{
	if (c->cfg.web_bundle_dir && *c->cfg.web_bundle_dir) {
		snprintf(out, n, "%s", c->cfg.web_bundle_dir);
		return;
	}
	char dir[PATH_MAX];
	exe_dir(dir, sizeof dir);
	snprintf(out, n, "%s/web", *dir ? dir : ".");
}

static void on_ready(void *arg, const char *base)
{
	ch_cli *c = arg;
	if (c->demo)
		ch_cli_demo_print(base);
	else
		printf("ChatHub %s is running on %s (data in %s). Stop it with Ctrl-C.\n", CH_VERSION, base,
		       c->cfg.data_dir);
	fflush(stdout);
}

/* Large buffers (request bodies, big responses) get pages of their own and
 * give them back when freed: without a fixed threshold glibc raises it after
 * the first big free, and a burst of large requests would leave the heap at
 * its peak for good. */
static void memory_policy(void)
{
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}

/* --demo has a well-known login (demo/demo) and an endpoint that hands out
 * operator tokens without credentials: say so loudly when other machines can
 * reach it. */
static void warn_public_demo(const char *listen)
{
	if (!strncmp(listen, "127.", 4) || !strncmp(listen, "localhost:", 10) || !strncmp(listen, "[::1]:", 6))
		return;
	CH_WARN("--demo on %s: anyone who can reach this address can log in as the demo company (demo/demo) and "
	        "get operator tokens from /demo/api/operator-token. Use it on loopback, or only on a trusted network.",
	        listen);
}

int ch_cli_serve(ch_cli *c)
{
	memory_policy();
	if (*c->cfg.public_url && !ch_base_url_valid(c->cfg.public_url)) {
		fprintf(stderr, "error: public_url \"%s\" must be an http:// or https:// base URL like "
		                "https://chat.example.com (no query, fragment, spaces or quotes)\n", c->cfg.public_url);
		return 2;
	}
	const char *bases[][2] = {{"telegram_api_url", c->cfg.telegram_api_url}, {"viber_api_url", c->cfg.viber_api_url}};
	for (size_t i = 0; i < 2; i++)
		if (!ch_base_url_valid(bases[i][1])) {
			fprintf(stderr, "error: %s \"%s\" must be an http:// or https:// base URL (no query, fragment, spaces or "
			                "quotes)\n", bases[i][0], bases[i][1]);
			return 2;
		}
	if (*c->cfg.clock_file) {
		char why[512];
		if (ch_clock_set_file(c->cfg.clock_file, why, sizeof why)) {
			fprintf(stderr, "error: clock_file: %s\n", why);
			return 2;
		}
		char at[25];
		ch_iso8601_format(ch_now_ms(), at);
		CH_WARN("clock_file %s: THE SERVER'S CLOCK IS FAKE (frozen at %s, moved only by that file) — for tests only",
		        c->cfg.clock_file, at);
	}
	if (c->cfg.clock_offset) {
		ch_clock_set_offset_ms(c->cfg.clock_offset * 1000);
		CH_WARN("clock_offset %lld s: the server's clock is moved (for tests of expiry only)",
		        (long long)c->cfg.clock_offset);
	}
	ch_pw_cost cost = ch_cli_pw_cost(c);
	if (ch_password_init()) {
		fprintf(stderr, "error: libsodium failed to initialise\n");
		return 1;
	}
	ch_password_set_concurrency((int)c->cfg.hash_workers);
	if (!*c->cfg.node_id) {
		char id[CH_GUID_LEN + 1];
		ch_random_guid(id);
		free(c->cfg.node_id);
		c->cfg.node_id = ch_xstrdup(id);
	}
	CH_INFO("node id %s", c->cfg.node_id);
	if (*c->cfg.bus_url && !ch_cli_store_is_postgres(c)) {
		fprintf(stderr, "error: bus_url is for processes sharing a PostgreSQL store_url; SQLite serves one "
		                "process (leave bus_url empty)\n");
		return 2;
	}
	ch_store *s;
	int applied = 0;
	if (ch_cli_open_store(c, &s, &applied))
		return 1;
	if (applied)
		CH_INFO("database migrated to schema version %d", ch_store_schema_version(s));
	ch_token_key key;
	int rc = load_key(c, &key);
	if (!rc && c->demo) {
		rc = ch_cli_demo_seed(c, s);
		warn_public_demo(c->cfg.listen);
	}
	if (rc) {
		ch_store_close(s);
		return rc;
	}
	int allow_private = !strcmp(c->cfg.outbound_allow_private, "true");
	ch_svc_init(&(ch_svc_opts){.store = s, .key = &key, .media_max_bytes = c->cfg.media_max_bytes,
	                           .media_url_ttl = c->cfg.media_url_ttl, .public_url = c->cfg.public_url,
	                           .outbox = *c->cfg.bus_url != '\0', .node_id = c->cfg.node_id,
	                           .node_lease_ms = c->cfg.node_lease_ms});
	ch_svc_webhooks_configure(c->cfg.webhook_retry_hours * 3600000, c->cfg.webhook_backoff_max_ms,
	                          !strcmp(c->cfg.outbound_allow_private, "true"));
	ch_svc_bots_configure(&(ch_svc_bots_opts){.telegram_api_url = c->cfg.telegram_api_url,
	                                          .viber_api_url = c->cfg.viber_api_url,
	                                          .media_max_bytes = c->cfg.channel_media_max_bytes,
	                                          .allow_private = allow_private});
	if (ch_svc_node_start()) {
		fprintf(stderr, "error: could not register this process in the store\n");
		ch_store_close(s);
		return 1;
	}
	char prefix[80] = "";
	if (*c->cfg.bus_url && cluster_prefix(s, prefix, sizeof prefix)) {
		ch_store_close(s);
		return 1;
	}
	if (ch_counter_init(c->cfg.bus_url, prefix)) /* failed logins counted cluster-wide */
		CH_WARN("bus_url %s: no cluster-wide login limits (the URL cannot be used)", c->cfg.bus_url);
	ch_api_opts ao = {.key = &key, .pw_cost = cost,
	                  .company_token_ttl_s = c->cfg.company_token_ttl,
	                  .login_per_minute = c->cfg.login_rate_per_minute,
	                  .rate_per_second = c->cfg.rate_limit_per_second,
	                  .rate_burst = c->cfg.rate_limit_burst, .max_body_bytes = c->cfg.max_body_bytes,
	                  .anon_body_bytes = c->cfg.max_anonymous_body_bytes,
	                  .max_json_values = c->cfg.max_json_values,
	                  .media_max_bytes = c->cfg.media_max_bytes, .visitor_token_ttl_s = c->cfg.visitor_token_ttl,
	                  .sessions_per_minute = c->cfg.session_rate_per_minute,
	                  .metrics_token = c->cfg.metrics_token, .demo = c->demo, .public_url = c->cfg.public_url,
	                  .outbound_allow_private = allow_private};
	ch_api *api = ch_api_new(&ao);
	if (c->demo)
		ch_api_dev_token_enable();
	char web[PATH_MAX], bundles[PATH_MAX];
	find_web_dir(c, web, sizeof web);
	find_bundle_dir(c, bundles, sizeof bundles);
	ch_server_opts so = {.listen = c->cfg.listen, .listen_reuse_port = !strcmp(c->cfg.listen_reuse_port, "true"),
	                     .proxy_protocol_from = c->cfg.proxy_protocol_from,
	                     .web_dir = web, .web_bundle_dir = bundles, .api = api, .store = s,
	                     .bus_url = c->cfg.bus_url, .node_id = c->cfg.node_id, .bus_prefix = prefix,
	                     .http_timeout_s = c->cfg.http_timeout,
	                     .shutdown_timeout_s = c->cfg.shutdown_timeout,
	                     .api_workers = (int)c->cfg.api_workers, .hash_workers = (int)c->cfg.hash_workers,
	                     .hub_workers = (int)c->cfg.hub_workers, .work_queue_max = (size_t)c->cfg.work_queue_max,
	                     .key = &key, .offline_grace_s = c->cfg.offline_grace_seconds,
	                     .auto_close_interval_s = c->cfg.auto_close_interval_seconds,
	                     .retention_interval_s = c->cfg.retention_interval_seconds,
	                     .business_hours_interval_s = c->cfg.business_hours_interval_seconds,
	                     .events_retention_days = c->cfg.events_retention_days,
	                     .max_connections = c->cfg.max_connections,
	                     .max_connections_per_ip = c->cfg.max_connections_per_ip,
	                     .body_memory_max = c->cfg.body_memory_max, .body_largest = ch_api_media_body_max(api),
	                     .outbound_allow_private = allow_private,

	                     .hub_rate = (double)c->cfg.hub_invocations_per_second,
	                     .hub_burst = (double)c->cfg.hub_invocation_burst,
	                     .hub_principal_rate = (double)c->cfg.hub_principal_invocations_per_second,
	                     .hub_principal_burst = (double)c->cfg.hub_principal_invocation_burst,
	                     .hub_max_in_flight = (int)c->cfg.hub_max_in_flight,
	                     .hub_queue_max_bytes = (size_t)c->cfg.hub_queue_max_bytes,
	                     .hub_connections_per_principal = (size_t)c->cfg.hub_connections_per_principal,
	                     .hub_stall_timeout_s = c->cfg.hub_stall_timeout,
	                     .hub_handshake_timeout_s = c->cfg.hub_handshake_timeout,
	                     .hub_poll_timeout_s = c->cfg.hub_poll_timeout,
	                     .hub_keep_alive_s = c->cfg.hub_keep_alive_interval,
	                     .hub_client_timeout_s = c->cfg.hub_client_timeout,
	                     .on_ready = on_ready, .ready_arg = c};
	rc = ch_server_run(&so);
	ch_store_close(s); /* completes and commits every queued write */
	ch_api_free(api);
	return rc;
}
