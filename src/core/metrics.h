/* metrics.h — process-wide counters for GET /metrics (Prometheus text).
 *
 * HTTP requests are counted per (route, status) and their latencies go into
 * one histogram; gauges are set by the module that owns the number.
 * Threading: every function is safe from any thread (atomics + one mutex for
 * the (route, status) table, which only grows).
 */
#ifndef CH_CORE_METRICS_H
#define CH_CORE_METRICS_H

#include <stdint.h>

#include "core/buf.h"

typedef enum ch_gauge {
	CH_GAUGE_OPEN_CONNECTIONS, /* TCP connections open now (HTTP + WebSocket) */
	CH_GAUGE_HUB_CONNECTIONS,  /* hub (WebSocket) connections open now */
	CH_GAUGE_API_QUEUE,        /* REST requests waiting for a worker */
	CH_GAUGE_BODY_BYTES,       /* request-body bytes held (body_memory_max) */
	CH_GAUGE_WEBHOOKS_FAILING, /* webhooks marked failing (the database's, every company) */
	CH_GAUGE__COUNT
} ch_gauge;

/* Things refused to keep a hostile caller from costing others (docs/security.md), and other
 * monotonic counts. */
typedef enum ch_counter {
	CH_COUNTER_REFUSED_CONNECTIONS, /* closed at accept: max_connections(_per_ip) */
	CH_COUNTER_BODY_REFUSED,        /* 503: the body budget was full */
	CH_COUNTER_WEBHOOK_OK,          /* webhook requests answered 2xx (this process's) */
	CH_COUNTER_WEBHOOK_FAILED,      /* webhook requests that failed (this process's) */
	CH_COUNTER_SQLITE_WAL_BYTES,    /* bytes SQLite wrote to its WAL (store/sqlite/walbuf.c) */
	CH_COUNTER__COUNT
} ch_counter;

/* route: a static string (the route pattern, "static", "not_found"). */
void ch_metrics_http(const char *route, int status, int64_t latency_us);
void ch_metrics_gauge_add(ch_gauge g, int64_t delta);
void ch_metrics_gauge_set(ch_gauge g, int64_t v);
int64_t ch_metrics_gauge_get(ch_gauge g);
void ch_metrics_counter_add(ch_counter c, int64_t n);
/* Appends the HTTP counters, the latency histogram, the gauges and counters. */
void ch_metrics_render(ch_buf *out);

#endif
