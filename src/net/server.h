/* server.h — the network side of `chathub serve`: the lws context on our own
 * libev loop, the worker pools, signals and graceful shutdown.
 * Threading: ch_server_run owns the calling thread (it becomes the network
 * thread) until shutdown. */
#ifndef CH_NET_SERVER_H
#define CH_NET_SERVER_H

#include <stdint.h>

#include "api/api.h"
#include "auth/token.h"
#include "store/store.h"

typedef struct ch_server_opts {
	const char *listen;      /* "ADDR:PORT" */
	int listen_reuse_port;   /* SO_REUSEPORT: other processes may listen on the same address */
	const char *proxy_protocol_from; /* trusted balancers sending a PROXY header ("" or NULL: none) */
	const char *web_dir;     /* static files */
	const char *web_bundle_dir; /* overlaid on web_dir (net/static.h); NULL: none */
	ch_api *api;             /* borrowed */
	ch_store *store;         /* borrowed; closed by the caller after run returns */
	const char *bus_url;     /* "" or NULL: in-process; redis://…: the cluster bus (bus/node.h) */
	const char *node_id;     /* this process in the cluster */
	const char *bus_prefix;  /* the cluster's Redis names (channels <prefix>:bus, <prefix>:eph) */
	int64_t http_timeout_s;
	int64_t shutdown_timeout_s;
	int api_workers, hash_workers, hub_workers;
	size_t work_queue_max;     /* jobs waiting per pool (clients' work; internal jobs pass) */
	const ch_token_key *key;   /* verifies hub tokens before the upgrade */
	int64_t offline_grace_s;   /* routing: an offline operator keeps its chats this long */
	int64_t auto_close_interval_s; /* the auto-close sweep's period; 0 = never */
	int64_t retention_interval_s;  /* the retention sweep's period; 0 = never */
	int64_t business_hours_interval_s; /* the business-hours drain sweep's period; 0 = only when due */
	int64_t events_retention_days; /* organization events older than this are deleted */
	int64_t max_connections;   /* 0 = the open-files limit minus a reserve */
	int64_t max_connections_per_ip;
	int64_t body_memory_max;   /* request-body bytes held at once */
	int64_t body_largest;      /* the largest body one request may send */
	int outbound_allow_private; /* channel deliveries may go to loopback/private/link-local/CGNAT */
	/* the hub's limits (docs/hub.md) */
	double hub_rate, hub_burst, hub_principal_rate, hub_principal_burst;
	int hub_max_in_flight;
	size_t hub_queue_max_bytes, hub_connections_per_principal;
	int64_t hub_stall_timeout_s, hub_handshake_timeout_s, hub_poll_timeout_s;
	int64_t hub_keep_alive_s, hub_client_timeout_s;
	/* Called once listening, with the base URL ("http://127.0.0.1:8080"). */
	void (*on_ready)(void *arg, const char *base_url);
	void *ready_arg;
} ch_server_opts;

/* Runs until SIGTERM/SIGINT: then stops accepting, lets in-flight requests
 * finish (up to shutdown_timeout_s), stops the workers. Returns the process
 * exit code (0 after a clean stop). */
int ch_server_run(const ch_server_opts *o);

#endif
