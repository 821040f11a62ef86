/* config.h — every configuration option, from one declarative table.
 *
 * Precedence: command-line flags > CHATHUB_* environment > config file >
 * defaults. Option `name` ↔ env `CHATHUB_NAME` ↔ flag `--name` (underscores
 * may be written as dashes on the command line). Secrets are never accepted as
 * flags (they would show in `ps`). docs/configuration.md is generated from the
 * table by `chathub config docs`; a test fails when it is stale.
 * Threading: resolved once in main before any thread starts; read-only after.
 */
#ifndef CH_CORE_CONFIG_H
#define CH_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

typedef struct ch_config {
	char *listen;              /* "127.0.0.1:8080" */
	char *data_dir;            /* "./data" */
	char *store_url;           /* "" | "sqlite:<file>" | "postgresql://…" | "postgres://…" */
	char *bus_url;             /* "" = in-process | "redis://host:port[/db]" */
	char *node_id;             /* "" = generated at start (serve) */
	char *listen_reuse_port;   /* false|true: SO_REUSEPORT on the listening socket */
	char *proxy_protocol_from; /* "" = off | "ADDR[/BITS],...": balancers sending a PROXY header */
	char *config;              /* config file path ("" = <data_dir>/chathub.conf if present) */
	char *web_dir;             /* "" = auto */
	char *web_bundle_dir;      /* "" = auto (<binary's dir>/web) */
	char *log_level;           /* debug|info|warn|error */
	char *clock_file;          /* "" = real clock | a file holding the test clock's ms */
	char *password_hash_cost;  /* interactive|moderate|min */
	char *jwt_secret;          /* secret; "" = generated into <data_dir>/jwt-secret */
	char *sqlite_synchronous;  /* normal|full */
	char *outbound_allow_private; /* false|true */
	int64_t store_busy_timeout_ms;
	int64_t max_body_bytes;
	int64_t media_max_bytes;
	int64_t media_url_ttl;
	int64_t offline_grace_seconds;
	int64_t auto_close_interval_seconds;
	int64_t retention_interval_seconds;
	int64_t business_hours_interval_seconds;
	int64_t events_retention_days;
	int64_t webhook_retry_hours;
	int64_t webhook_backoff_max_ms;
	int64_t node_lease_ms;
	int64_t visitor_token_ttl;
	int64_t api_workers;
	int64_t hash_workers;
	int64_t login_rate_per_minute;
	int64_t rate_limit_per_second;
	int64_t rate_limit_burst;
	int64_t company_token_ttl;
	int64_t http_timeout;
	int64_t shutdown_timeout;
	int64_t clock_offset;      /* seconds; tests of expiry only */
	int64_t max_anonymous_body_bytes;
	int64_t body_memory_max;
	int64_t max_json_values;
	int64_t max_connections;
	int64_t max_connections_per_ip;
	int64_t session_rate_per_minute;
	char *public_url;          /* "" = from each request's Host */
	char *telegram_api_url;    /* the Telegram Bot API's base */
	char *viber_api_url;       /* the Viber REST bot API's base */
	int64_t channel_media_max_bytes;
	char *metrics_token;       /* secret; "" = loopback only */
	int64_t work_queue_max;
	int64_t store_queue_max;
	int64_t hub_workers;
	int64_t hub_invocations_per_second;
	int64_t hub_invocation_burst;
	int64_t hub_principal_invocations_per_second;
	int64_t hub_principal_invocation_burst;
	int64_t hub_max_in_flight;
	int64_t hub_queue_max_bytes;
	int64_t hub_stall_timeout;
	int64_t hub_handshake_timeout;
	int64_t hub_connections_per_principal;
	int64_t hub_poll_timeout;
	int64_t hub_keep_alive_interval, hub_client_timeout;
} ch_config;

/* One command-line or file setting before resolution. */
typedef struct ch_config_kv {
	const char *name; /* borrowed; dashes allowed */
	const char *value; /* borrowed */
} ch_config_kv;

/* Fills cfg with defaults (heap strings; free with ch_config_free). */
void ch_config_defaults(ch_config *cfg);
void ch_config_free(ch_config *cfg);

/* Returns 1 when name (dashes or underscores) is a config option. */
int ch_config_is_option(const char *name);

/* Applies file, environment (envp, NULL-terminated "K=V"), then flags over the
 * defaults already in cfg. On error returns CH_ERR_OUT_OF_RANGE or
 * CH_ERR_BAD_JSON with a human sentence in err (naming the option and source). */
ch_err ch_config_resolve(ch_config *cfg, const ch_config_kv *flags, size_t nflags,
                         char *const *envp, ch_buf *err);

/* Sets one option from text, validating type and bounds. source is for messages. */
ch_err ch_config_set(ch_config *cfg, const char *name, const char *value, const char *source,
                     ch_buf *err);

/* Writes url into out with the password of its user info ("user:pass@")
 * replaced by "***", for logs and messages. */
void ch_config_url_masked(const char *url, ch_buf *out);

/* Writes the Markdown reference of every option (docs/configuration.md). */
void ch_config_docs(ch_buf *out);
/* Writes "name = value" lines of the effective config, secrets masked. */
void ch_config_dump(const ch_config *cfg, ch_buf *out);

#endif
