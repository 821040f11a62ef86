/* config.c — the option table and its resolution (defaults < file < env < flags).
 * Threading: used by main before any thread starts. */
#include "core/config.h"
#include "core/netaddr.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* T_URL: empty, or starting with one of `choices` ("a://|b:"); T_ID: 1 to
 * `max` letters, digits, '.', '_' or '-', or empty. */
typedef enum { T_STR, T_INT, T_ENUM, T_URL, T_ID } opt_type;

enum { F_SECRET = 1 }; /* never from a flag, masked in dumps */

typedef struct opt {
	const char *name;
	opt_type type;
	size_t offset;
	const char *def;
	int64_t min, max;
	const char *choices; /* T_ENUM: "a|b|c" */
	int flags;
	const char *doc;
} opt;

#define STR(f) T_STR, offsetof(ch_config, f)
#define INT(f) T_INT, offsetof(ch_config, f)
#define ENUM(f) T_ENUM, offsetof(ch_config, f)
#define URL(f) T_URL, offsetof(ch_config, f)
#define ID(f) T_ID, offsetof(ch_config, f)

static const opt opts[] = {
	{"listen", STR(listen), "127.0.0.1:8080", 0, 0, NULL, 0,
	 "Address and port the HTTP/WebSocket server listens on (`ADDR:PORT`). Use `0.0.0.0:8080` to accept "
	 "connections from other machines."},
	{"data_dir", STR(data_dir), "./data", 0, 0, NULL, 0,
	 "Directory holding the SQLite database (`chathub.db`), the generated JWT secret and media."},
	{"store_url", URL(store_url), "", 0, 0, "sqlite:|postgresql://|postgres://", 0,
	 "Where the data is stored. Empty: SQLite in `<data_dir>/chathub.db`. `sqlite:<file>`: SQLite in that "
	 "file (relative to `data_dir` unless absolute). `postgresql://user:password@host:port/dbname` (or "
	 "`postgres://`, any libpq connection URI): PostgreSQL, which several chathub processes can share; they "
	 "must then share `jwt_secret` too. A password in the URL is masked in logs and `config show`; prefer "
	 "`CHATHUB_STORE_URL`, the config file or `~/.pgpass` to a flag, which other local users can see in `ps`."},
	{"bus_url", URL(bus_url), "", 0, 0, "redis://", 0,
	 "How chathub processes sharing one PostgreSQL database pass live events to each other. Empty: in-process "
	 "(one process). `redis://host:port` or `redis://host:port/db`: through that Redis server (channels "
	 "`chathub:<cluster id>:bus` and `:eph`, the id kept in the database), which also counts failed logins across the processes. Needs a "
	 "PostgreSQL `store_url`: the events are committed to its outbox first, so Redis may restart or drop "
	 "messages without losing any (docs/deploy.md)."},
	{"node_id", ID(node_id), "", 0, 64, NULL, 0,
	 "This process's name in a cluster (1 to 64 letters, digits, `.`, `_`, `-`), in its logs and in what it "
	 "writes for the other processes. Empty: a new random UUID at each start, logged."},
	{"listen_reuse_port", ENUM(listen_reuse_port), "false", 0, 0, "false|true", 0,
	 "Let several chathub processes listen on the same `listen` address (`SO_REUSEPORT`): the kernel spreads "
	 "new connections over them, with no proxy in front. For processes sharing a PostgreSQL `store_url` "
	 "and a `bus_url`; each keeps its own open-files limit, so together they hold more connections."},
	{"proxy_protocol_from", STR(proxy_protocol_from), "", 0, 0, NULL, 0,
	 "Addresses of the TCP balancers in front (comma-separated IPv4/IPv6 addresses or `ADDR/BITS` ranges) "
	 "that send the PROXY protocol header (haproxy `send-proxy` or `send-proxy-v2`, nginx stream "
	 "`proxy_protocol on`). A connection from one of them must start with a v1 or v2 header within 2 "
	 "seconds, else it is closed; it is then counted and rate-limited under the client address the "
	 "header names (a v2 LOCAL health check: the balancer's). From any other address a PROXY header is "
	 "just bad HTTP. Empty: off, every connection is its TCP peer (docs/deploy.md)."},
	{"config", STR(config), "", 0, 0, NULL, 0,
	 "Config file of `name = value` lines (`#` comments). Empty: `<data_dir>/chathub.conf` when it exists."},
	{"web_dir", STR(web_dir), "", 0, 0, NULL, 0,
	 "Directory of static files (widgets, demo). Empty: `./web`, else `web/` next to the binary's parent."},
	{"web_bundle_dir", STR(web_bundle_dir), "", 0, 0, NULL, 0,
	 "Directory of the built widget bundles (`make build` writes them with esbuild), served in place of the "
	 "files of `web_dir` with the same path. Empty: `web/` in the binary's directory (`build/web/`). A missing "
	 "directory, or a bundle older than one of its sources, serves the sources instead, with a warning."},
	{"log_level", ENUM(log_level), "info", 0, 0, "debug|info|warn|error", 0,
	 "Minimum level of log lines written to stderr."},
	{"password_hash_cost", ENUM(password_hash_cost), "interactive", 0, 0, "interactive|moderate|min", 0,
	 "argon2id cost of company password hashes. `min` is for tests only."},
	{"jwt_secret", STR(jwt_secret), "", 0, 0, NULL, F_SECRET,
	 "Secret signing every token (at least 16 bytes). Environment or config file only. Empty: with SQLite, "
	 "32 random bytes generated on first start into `<data_dir>/jwt-secret` (mode 0600); with a PostgreSQL "
	 "`store_url` it must be set, the same in every process sharing the database."},
	{"sqlite_synchronous", ENUM(sqlite_synchronous), "normal", 0, 0, "normal|full", 0,
	 "SQLite durability: `normal` survives a killed process, `full` also survives power loss."},
	{"store_busy_timeout_ms", INT(store_busy_timeout_ms), "5000", 1, 600000, NULL, 0,
	 "How long a database operation waits for a lock held by another process before answering 503."},
	{"max_body_bytes", INT(max_body_bytes), "1048576", 1024, 1073741824, NULL, 0,
	 "Largest accepted JSON request body; larger bodies get 413."},
	{"media_max_bytes", INT(media_max_bytes), "10485760", 1024, 1073741824, NULL, 0,
	 "Largest media attachment (decoded bytes) accepted by POST /api/chat/{id}/message."},
	{"media_url_ttl", INT(media_url_ttl), "86400", 60, 2592000, NULL, 0,
	 "Seconds a signed media URL (`media.url` of a message) stays valid: each URL works for between this "
	 "and twice this long, then answers 401 until the conversation is loaded again (which signs a new one)."},
	{"offline_grace_seconds", INT(offline_grace_seconds), "120", 1, 86400, NULL, 0,
	 "How long an operator may be offline (no hub connection) before its open chats go back to the "
	 "organization's queue."},
	{"events_retention_days", INT(events_retention_days), "30", 1, 3650, NULL, 0,
	 "How long an organization's events are kept for GET /api/events and webhooks (docs/api.md, events). "
	 "Older events are deleted once a minute; a reader asking for a deleted one is told so (410)."},
	{"webhook_retry_hours", INT(webhook_retry_hours), "24", 1, 720, NULL, 0,
	 "How long a webhook's deliveries are retried while they keep failing (docs/webhooks.md): an event that "
	 "no attempt delivered for this long marks the webhook failing, and its deliveries stop until it is "
	 "enabled again (`POST /api/company/webhooks/{id}/enable`), which resumes from the first event not "
	 "delivered."},
	{"webhook_backoff_max_ms", INT(webhook_backoff_max_ms), "600000", 100, 3600000, NULL, 0,
	 "The longest wait between two attempts at a webhook delivery, in milliseconds: the waits start at 1 s "
	 "and double up to it (each a random point in the upper half of its step, so receivers coming back are "
	 "not hit by every sender at once)."},
	{"retention_interval_seconds", INT(retention_interval_seconds), "3600", 0, 86400, NULL, 0,
	 "How often this process erases the closed chats older than their organization's retentionDays "
	 "(docs/privacy.md): their messages become tombstones. Several processes may all sweep: a chat is "
	 "erased once. 0: this process never sweeps."},
	{"auto_close_interval_seconds", INT(auto_close_interval_seconds), "60", 0, 86400, NULL, 0,
	 "How often this process closes the chats whose organization's auto-close setting says they have "
	 "been silent long enough (docs/api.md, auto-close). Several processes may all sweep: a chat is "
	 "closed once. 0: this process never sweeps."},
	{"business_hours_interval_seconds", INT(business_hours_interval_seconds), "60", 0, 86400, NULL, 0,
	 "How often this process looks for organizations whose business hours opened while chats waited "
	 "in their queue, and assigns those chats (docs/api.md, business hours). A process assigns the chats "
	 "it queued itself at the opening second whatever this says; this sweep catches those another "
	 "process queued. 0: only those."},
	{"node_lease_ms", INT(node_lease_ms), "10000", 2000, 600000, NULL, 0,
	 "How long this process counts as alive without renewing its lease in the database (it renews every "
	 "second). The operators of a process that stops renewing (killed, cut off) become offline when another "
	 "process sees its lease expired; their grace period starts at its last renewal. A process reaps others "
	 "only after renewing for one full lease itself."},
	{"visitor_token_ttl", INT(visitor_token_ttl), "2592000", 60, 31536000, NULL, 0,
	 "Lifetime of visitor tokens issued by the chat widget session endpoint, in seconds (30 days)."},
	{"api_workers", INT(api_workers), "4", 1, 64, NULL, 0,
	 "Threads that run REST handlers (database reads, writes waiting for their group commit)."},
	{"hash_workers", INT(hash_workers), "2", 1, 16, NULL, 0,
	 "Threads that check passwords (logins); also the bound on concurrent password hashes."},
	{"login_rate_per_minute", INT(login_rate_per_minute), "10", 1, 1000000, NULL, 0,
	 "Failed logins allowed per minute per login and client address before 429 (three times as many per "
	 "address whatever the login, ten times as many per login from any address). A correct password is not "
	 "counted: only the general rate limit applies to it."},
	{"rate_limit_per_second", INT(rate_limit_per_second), "100", 1, 10000000, NULL, 0,
	 "Sustained API requests per second allowed per client IP and per token before 429 (the public ChatHub "
	 "figures: 100 with a burst of 150)."},
	{"rate_limit_burst", INT(rate_limit_burst), "150", 1, 10000000, NULL, 0,
	 "Burst size of the per-IP and per-token API rate limit."},
	{"company_token_ttl", INT(company_token_ttl), "0", 0, 31536000, NULL, 0,
	 "Lifetime of company tokens, in seconds. 0: they do not expire (as the public ChatHub API's), and last until "
	 "revoked by a password change or `chathub company revoke-tokens`."},
	{"http_timeout", INT(http_timeout), "20", 1, 3600, NULL, 0,
	 "Seconds an HTTP connection may stay idle or slow before it is closed."},
	{"shutdown_timeout", INT(shutdown_timeout), "10", 1, 3600, NULL, 0,
	 "Seconds SIGTERM waits for in-flight requests before closing connections."},
	{"clock_offset", INT(clock_offset), "0", -315360000, 315360000, NULL, 0,
	 "Seconds added to the server's wall clock, for testing expiry (an integration's token checked a day later) "
	 "without waiting. Leave it 0 in production: every token, media URL and timestamp follows it."},
	{"clock_file", STR(clock_file), "", 0, 0, NULL, 0,
	 "For tests only: a file holding a time in milliseconds since 1970-01-01 UTC. When set, the server's wall "
	 "clock is that time, frozen, and moves only when the file's content changes (write a new file and rename it "
	 "onto the path); `clock_offset` is still added. Every stored time follows it (events, messages, token "
	 "expiry, auto-close, business hours, webhook and channel retries); process liveness (node leases, operator "
	 "presence) keeps the real clock, and timeouts and rate limits the monotonic one. The server warns at start "
	 "that its clock is fake. Empty (the default): the real clock."},
	{"max_anonymous_body_bytes", INT(max_anonymous_body_bytes), "16384", 1024, 1048576, NULL, 0,
	 "Largest body of a request that carries no valid token (`company/get-token`, "
	 "`widget/{guid}/session`, an unsigned `channel/{guid}/inbound`); larger bodies get 413 without being "
	 "kept in memory."},
	{"body_memory_max", INT(body_memory_max), "134217728", 1048576, 17179869184LL, NULL, 0,
	 "Request-body bytes the server holds at once, all requests together (one client address may hold a "
	 "quarter of it, or one largest body). A request that would exceed it gets 503 (code 5003) with "
	 "`Retry-After` before its body is read."},
	{"max_json_values", INT(max_json_values), "100000", 100, 100000000, NULL, 0,
	 "Most JSON values (objects, arrays, strings, numbers, literals) a request body may contain; more gets 400 "
	 "before it is parsed. Bounds the memory of a parse, which is much larger than the body's bytes."},
	{"max_connections", INT(max_connections), "0", 0, 10000000, NULL, 0,
	 "Open TCP connections the server accepts at once; past it new ones are closed at once. 0: the open-files "
	 "limit (raised to its hard limit at start) minus a reserve for the database, workers and outbound "
	 "requests."},
	{"max_connections_per_ip", INT(max_connections_per_ip), "1000", 1, 10000000, NULL, 0,
	 "Open TCP connections (HTTP and hub together) from one client address; past it new ones are closed at "
	 "once. An office behind one NAT with a few hundred operators stays well below it."},
	{"session_rate_per_minute", INT(session_rate_per_minute), "60", 1, 1000000, NULL, 0,
	 "New visitors (`POST /api/widget/{guid}/session` without a still-valid visitor token or userJWT) per "
	 "client address per minute; each one is stored, so this bounds what an anonymous caller can store."},
	{"public_url", STR(public_url), "", 0, 0, NULL, 0,
	 "The server's public base URL (`https://chat.example.com`, behind a TLS proxy): absolute links the server "
	 "hands out (a media object's `uri`) start with it. Empty: the scheme and host each request or hub "
	 "connection came in on (`X-Forwarded-Proto: https` is honoured); channel deliveries then carry relative "
	 "links."},
	{"telegram_api_url", STR(telegram_api_url), "https://api.telegram.org", 0, 0, NULL, 0,
	 "Base URL of the Telegram Bot API that Telegram bot connections call (`<base>/bot<token>/<method>`, files "
	 "at `<base>/file/bot<token>/<path>`). Change it only for a local Bot API server or a test double."},
	{"viber_api_url", STR(viber_api_url), "https://chatapi.viber.com/pa", 0, 0, NULL, 0,
	 "Base URL of the Viber REST bot API that Viber bot connections call (`<base>/set_webhook`, "
	 "`<base>/send_message`). Change it only for a test double."},
	{"channel_media_max_bytes", INT(channel_media_max_bytes), "10485760", 1024, 1073741824, NULL, 0,
	 "Largest file a Telegram or Viber customer may send: a larger one is not fetched, the update is left "
	 "out, and the connection's health shows why."},
	{"metrics_token", STR(metrics_token), "", 0, 0, NULL, F_SECRET,
	 "Bearer token `GET /metrics` requires. Environment or config file only. Empty: `/metrics` answers only "
	 "requests from loopback addresses."},
	{"outbound_allow_private", ENUM(outbound_allow_private), "false", 0, 0, "false|true", 0,
	 "Allow channel deliveries and webhooks to loopback, private, link-local and CGNAT addresses (for "
	 "self-hosted bridges and receivers on the same network). Never set it where tenants are not trusted."},
	{"work_queue_max", INT(work_queue_max), "4096", 16, 10000000, NULL, 0,
	 "Jobs that may wait for a worker in each pool (REST, password hashing, hub reads). Past it, new "
	 "requests are answered 503 / `server busy, retry later` instead of queuing."},
	{"store_queue_max", INT(store_queue_max), "65536", 16, 100000000, NULL, 0,
	 "Write jobs that may wait for the store writer. Past it, new writes are refused at once with "
	 "503 / `server busy, retry later`."},
	{"hub_workers", INT(hub_workers), "2", 1, 64, NULL, 0,
	 "Threads that run the hub's reads (`Sync`, `GetMessages`, `Typing`, the connection check), apart "
	 "from the REST workers."},
	{"hub_invocations_per_second", INT(hub_invocations_per_second), "20", 1, 10000000, NULL, 0,
	 "Hub invocations (of any method) allowed per second on one connection; past the burst the call "
	 "answers `rate limit: too many invocations, slow down`."},
	{"hub_invocation_burst", INT(hub_invocation_burst), "60", 1, 10000000, NULL, 0,
	 "Burst of the per-connection hub invocation budget. A connection refused more times than this "
	 "since its last accepted call is closed (`too many invocations`)."},
	{"hub_principal_invocations_per_second", INT(hub_principal_invocations_per_second), "40", 1, 10000000,
	 NULL, 0, "Hub invocations allowed per second across all connections of one token's principal "
	 "(company, operator or visitor)."},
	{"hub_principal_invocation_burst", INT(hub_principal_invocation_burst), "120", 1, 10000000, NULL, 0,
	 "Burst of the per-principal hub invocation budget."},
	{"hub_max_in_flight", INT(hub_max_in_flight), "32", 1, 1024, NULL, 0,
	 "Invocations of one hub connection running at once. At the cap the server stops reading that "
	 "connection until completions bring it under."},
	{"hub_queue_max_bytes", INT(hub_queue_max_bytes), "33554432", 1048576, 1073741824, NULL, 0,
	 "Bytes queued for one hub connection before it is closed as hopelessly behind (records are shared "
	 "between connections, so this mostly bounds a list of pointers)."},
	{"hub_stall_timeout", INT(hub_stall_timeout), "10", 1, 3600, NULL, 0,
	 "Seconds a hub connection with queued output may go without completing a write before it is "
	 "closed (`send queue stalled`)."},
	{"hub_handshake_timeout", INT(hub_handshake_timeout), "10", 1, 3600, NULL, 0,
	 "Seconds from a hub connection's open to the end of its handshake; later, it is closed "
	 "(`handshake timed out`). Bytes trickled meanwhile do not extend it."},
	{"hub_connections_per_principal", INT(hub_connections_per_principal), "32", 1, 1000000, NULL, 0,
	 "Hub connections one principal (company, operator or visitor) may hold at once, negotiated ones "
	 "included; one more upgrade or negotiation gets 429."},
	{"hub_keep_alive_interval", INT(hub_keep_alive_interval), "15", 1, 300, NULL, 0,
	 "Seconds between the hub's keep-alive pings (`{\"type\":6}`) on a connection with nothing else to "
	 "send; it must be less than `hub_client_timeout`."},
	{"hub_client_timeout", INT(hub_client_timeout), "30", 2, 600, NULL, 0,
	 "Seconds a hub client may send nothing (on Long Polling: hold no poll) before it is dropped. "
	 "SignalR clients ping every 15 s by default, so keep it above that (twice the client's interval "
	 "is the usual choice)."},
	{"hub_poll_timeout", INT(hub_poll_timeout), "100", 1, 300, NULL, 0,
	 "Seconds a Long Polling poll is held when there is nothing to send; then it is answered `200` "
	 "with no records and the client polls again (the hub's keep-alive, `hub_keep_alive_interval`, "
	 "usually answers it first)."},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static char **str_field(ch_config *c, const opt *o) { return (char **)((char *)c + o->offset); }
static int64_t *int_field(ch_config *c, const opt *o) { return (int64_t *)((char *)c + o->offset); }

/* Compares an option name with user text where '-' stands for '_'. */
static int name_eq(const char *table, const char *user, size_t ulen)
{
	size_t i = 0;
	for (; i < ulen && table[i]; i++) {
		char u = user[i] == '-' ? '_' : user[i];
		if (u != table[i])
			return 0;
	}
	return i == ulen && table[i] == '\0';
}

static const opt *find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (name_eq(opts[i].name, name, len))
			return &opts[i];
	return NULL;
}

int ch_config_is_option(const char *name) { return find(name, strlen(name)) != NULL; }

static int in_choices(const char *choices, const char *v)
{
	size_t vl = strlen(v);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vl && !strncmp(p, v, n))
			return 1;
		p += n + (bar ? 1 : 0);
	}
	return 0;
}

/* Writes s with the value of a `password=` query parameter (libpq accepts
 * one) replaced by "***". */
static void put_masking_query(ch_buf *out, const char *s)
{
	int in_query = 0;
	while (*s) {
		char ch = *s++;
		ch_buf_printf(out, "%c", ch);
		in_query |= ch == '?';
		if (in_query && (ch == '?' || ch == '&') && !strncmp(s, "password=", 9)) {
			ch_buf_puts(out, "password=***");
			s += 9 + strcspn(s + 9, "&#");
		}
	}
}

void ch_config_url_masked(const char *url, ch_buf *out)
{
	const char *sep = strstr(url, "://");
	const char *user = sep ? sep + 3 : NULL;
	const char *end = user ? user + strcspn(user, "/?#") : NULL;
	const char *at = NULL;
	for (const char *p = user; p && p < end; p++)
		if (*p == '@')
			at = p;
	const char *colon = at ? memchr(user, ':', (size_t)(at - user)) : NULL;
	if (colon) {
		ch_buf_printf(out, "%.*s***", (int)(colon + 1 - url), url);
		url = at;
	}
	put_masking_query(out, url);
}

/* core/netaddr.c holds the one grammar the bus and the counters read. */
static int redis_url_ok(const char *url)
{
	char host[256];
	int port;
	return ch_netaddr_redis_url(url, host, sizeof host, &port, NULL) == 0;
}

static ch_err check_url(const opt *o, const char *v, const char *src, ch_buf *err)
{
	if (!*v)
		return CH_OK;
	const char *scheme = NULL;
	for (const char *p = o->choices; *p && !scheme;) {
		size_t n = strcspn(p, "|");
		if (!strncmp(v, p, n) && v[n])
			scheme = p;
		p += n + (p[n] ? 1 : 0);
	}
	int ok = scheme && (strncmp(scheme, "redis://", 8) || redis_url_ok(v));
	if (ok)
		return CH_OK;
	ch_buf shown = CH_BUF_INIT;
	ch_config_url_masked(v, &shown);
	if (!strcmp(o->choices, "redis://"))
		ch_buf_printf(err, "%s: %s must be empty or redis://host:port[/db] (got \"%s\")", src, o->name, shown.data);
	else
		ch_buf_printf(err, "%s: %s must be empty, sqlite:<file>, or a postgresql:// or postgres:// URL (got \"%s\")",
		              src, o->name, shown.data);
	ch_buf_free(&shown);
	return CH_ERR_OUT_OF_RANGE;
}

static ch_err check_id(const opt *o, const char *v, const char *src, ch_buf *err)
{
	size_t n = strlen(v);
	int ok = n <= (size_t)o->max && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                          "0123456789._-") == n;
	if (!ok)
		ch_buf_printf(err, "%s: %s must be 1 to %lld letters, digits, '.', '_' or '-' (got \"%s\")", src,
		              o->name, (long long)o->max, v);
	return ok ? CH_OK : CH_ERR_OUT_OF_RANGE;
}

static ch_err set_opt(ch_config *c, const opt *o, const char *v, const char *src, ch_buf *err)
{
	if (o->type == T_INT) {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || end == v || *end || n < o->min || n > o->max) {
			ch_buf_printf(err, "%s: %s must be an integer from %lld to %lld (got \"%s\")", src,
			              o->name, (long long)o->min, (long long)o->max, v);
			return CH_ERR_OUT_OF_RANGE;
		}
		*int_field(c, o) = n;
		return CH_OK;
	}
	if (o->type == T_ENUM && !in_choices(o->choices, v)) {
		ch_buf_printf(err, "%s: %s must be one of %s (got \"%s\")", src, o->name, o->choices, v);
		return CH_ERR_OUT_OF_RANGE;
	}
	ch_err e = o->type == T_URL ? check_url(o, v, src, err) : o->type == T_ID ? check_id(o, v, src, err) : CH_OK;
	if (e)
		return e;
	char **f = str_field(c, o);
	free(*f);
	*f = ch_xstrdup(v);
	return CH_OK;
}

void ch_config_defaults(ch_config *c)
{
	memset(c, 0, sizeof *c);
	ch_buf ignore = CH_BUF_INIT;
	for (size_t i = 0; i < N_OPTS; i++)
		set_opt(c, &opts[i], opts[i].def, "default", &ignore);
	ch_buf_free(&ignore);
}

void ch_config_free(ch_config *c)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].type != T_INT) {
			free(*str_field(c, &opts[i]));
			*str_field(c, &opts[i]) = NULL;
		}
}

ch_err ch_config_set(ch_config *c, const char *name, const char *value, const char *source,
                     ch_buf *err)
{
	const opt *o = find(name, strlen(name));
	if (!o) {
		ch_buf_printf(err, "%s: unknown option \"%s\"", source, name);
		return CH_ERR_OUT_OF_RANGE;
	}
	return set_opt(c, o, value, source, err);
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static ch_err load_file(ch_config *c, const char *path, int required, ch_buf *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (!required && errno == ENOENT)
			return CH_OK;
		ch_buf_printf(err, "cannot read config file %s: %s", path, strerror(errno));
		return CH_ERR_OUT_OF_RANGE;
	}
	char line[4096], src[512];
	int lineno = 0;
	ch_err e = CH_OK;
	while (!e && fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		snprintf(src, sizeof src, "%s:%d", path, lineno);
		if (!eq) {
			ch_buf_printf(err, "%s: expected `name = value`", src);
			e = CH_ERR_OUT_OF_RANGE;
			break;
		}
		*eq = '\0';
		char *v = trim(eq + 1);
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"')
			v[vl - 1] = '\0', v++;
		e = ch_config_set(c, trim(s), v, src, err);
	}
	fclose(f);
	return e;
}

static const char *env_get(char *const *envp, const char *key)
{
	size_t kl = strlen(key);
	for (; envp && *envp; envp++)
		if (!strncmp(*envp, key, kl) && (*envp)[kl] == '=')
			return *envp + kl + 1;
	return NULL;
}

static void env_name(const opt *o, char *out, size_t n)
{
	size_t i = (size_t)snprintf(out, n, "CHATHUB_");
	for (const char *p = o->name; *p && i + 1 < n; p++)
		out[i++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	out[i] = '\0';
}

static const char *flag_get(const ch_config_kv *flags, size_t n, const opt *o)
{
	const char *v = NULL;
	for (size_t i = 0; i < n; i++)
		if (name_eq(o->name, flags[i].name, strlen(flags[i].name)))
			v = flags[i].value;
	return v;
}

/* Where the config file is: flag, env, or <data_dir>/chathub.conf (data_dir
 * itself from flag, env, or default). Returns 1 when explicitly named. */
static int config_path(const ch_config *c, const ch_config_kv *flags, size_t nflags,
                       char *const *envp, ch_buf *out)
{
	const opt *oc = find("config", 6), *od = find("data_dir", 8);
	const char *p = flag_get(flags, nflags, oc);
	if (!p)
		p = env_get(envp, "CHATHUB_CONFIG");
	if (p && *p) {
		ch_buf_puts(out, p);
		return 1;
	}
	const char *d = flag_get(flags, nflags, od);
	if (!d)
		d = env_get(envp, "CHATHUB_DATA_DIR");
	if (!d)
		d = c->data_dir;
	ch_buf_printf(out, "%s/chathub.conf", d);
	return 0;
}

ch_err ch_config_resolve(ch_config *c, const ch_config_kv *flags, size_t nflags,
                         char *const *envp, ch_buf *err)
{
	ch_buf path = CH_BUF_INIT;
	int explicit_path = config_path(c, flags, nflags, envp, &path);
	ch_err e = load_file(c, path.data, explicit_path, err);
	ch_buf_free(&path);
	char key[128];
	for (size_t i = 0; !e && i < N_OPTS; i++) {
		env_name(&opts[i], key, sizeof key);
		const char *v = env_get(envp, key);
		if (v)
			e = set_opt(c, &opts[i], v, key, err);
	}
	for (size_t i = 0; !e && i < nflags; i++) {
		const opt *o = find(flags[i].name, strlen(flags[i].name));
		char src[160];
		snprintf(src, sizeof src, "--%s", flags[i].name);
		if (!o) {
			ch_buf_printf(err, "unknown option --%s (see --help)", flags[i].name);
			e = CH_ERR_OUT_OF_RANGE;
		} else if (o->flags & F_SECRET) {
			env_name(o, key, sizeof key);
			ch_buf_printf(err, "--%s is a secret: set it with %s or in the config file, "
			                   "never on the command line", flags[i].name, key);
			e = CH_ERR_OUT_OF_RANGE;
		} else {
			e = set_opt(c, o, flags[i].value, src, err);
		}
	}
	if (!e && c->hub_client_timeout <= c->hub_keep_alive_interval) {
		ch_buf_printf(err, "hub_client_timeout (%lld s) must be more than hub_keep_alive_interval (%lld s)",
		              (long long)c->hub_client_timeout, (long long)c->hub_keep_alive_interval);
		e = CH_ERR_OUT_OF_RANGE;
	}
	return e;
}

/* "one of `a`, `b`" — no bare '|', which would split a Markdown table cell. */
static void docs_choices(ch_buf *out, const char *lead, const char *choices)
{
	ch_buf_puts(out, lead);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		ch_buf_printf(out, "%s`%.*s`", p == choices ? "" : ", ", (int)n, p);
		p += n + (bar ? 1 : 0);
	}
}

void ch_config_docs(ch_buf *out)
{
	ch_buf_puts(out, "# Configuration\n\n"
	                 "<!-- generated by `chathub config docs`; a test fails when this file is stale -->\n\n"
	                 "Every option can be set, from highest to lowest precedence, as a command-line flag "
	                 "(`--name value` or `--name=value`, dashes or underscores), as an environment "
	                 "variable `CHATHUB_NAME`, or as a `name = value` line in the config file. Secrets "
	                 "are accepted only from the environment or the config file.\n\n"
	                 "`chathub config show` prints the effective configuration (secrets masked).\n\n"
	                 "| option | environment | type | default | description |\n"
	                 "|---|---|---|---|---|\n");
	char env[128];
	for (size_t i = 0; i < N_OPTS; i++) {
		const opt *o = &opts[i];
		env_name(o, env, sizeof env);
		ch_buf_printf(out, "| `%s` | `%s` | ", o->name, env);
		if (o->type == T_INT)
			ch_buf_printf(out, "integer %lld–%lld", (long long)o->min, (long long)o->max);
		else if (o->type == T_ENUM)
			docs_choices(out, "one of ", o->choices);
		else if (o->type == T_URL)
			docs_choices(out, "URL starting with ", o->choices);
		else if (o->type == T_ID)
			ch_buf_printf(out, "identifier (1–%lld characters)", (long long)o->max);
		else
			ch_buf_puts(out, o->flags & F_SECRET ? "secret string" : "string");
		ch_buf_printf(out, " | %s%s%s | %s |\n", *o->def ? "`" : "", *o->def ? o->def : "(empty)",
		              *o->def ? "`" : "", o->doc);
	}
}

void ch_config_dump(const ch_config *c, ch_buf *out)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		const opt *o = &opts[i];
		if (o->type == T_INT)
			ch_buf_printf(out, "%s = %lld\n", o->name,
			              (long long)*int_field((ch_config *)c, o));
		else if (o->flags & F_SECRET)
			ch_buf_printf(out, "%s = %s\n", o->name,
			              **str_field((ch_config *)c, o) ? "(set)"
			              : !strcmp(o->name, "jwt_secret") ? "(generated)" : "(not set)");
		else if (o->type == T_URL) {
			ch_buf_printf(out, "%s = ", o->name);
			ch_config_url_masked(*str_field((ch_config *)c, o), out);
			ch_buf_puts(out, "\n");
		} else
			ch_buf_printf(out, "%s = %s\n", o->name, *str_field((ch_config *)c, o));
	}
}
