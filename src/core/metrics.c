/* metrics.c — counters and histograms behind GET /metrics. Any thread. */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_SERIES 256

static const double buckets_s[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
#define N_BUCKETS (sizeof buckets_s / sizeof buckets_s[0])

static struct {
	const char *route;
	int status;
	atomic_uint_fast64_t count;
} series[MAX_SERIES];
static atomic_int n_series;
static pthread_mutex_t series_mu = PTHREAD_MUTEX_INITIALIZER;

static atomic_uint_fast64_t hist[N_BUCKETS + 1];
static atomic_uint_fast64_t hist_count, hist_sum_us;
static atomic_int_fast64_t gauges[CH_GAUGE__COUNT];

static const char *gauge_names[CH_GAUGE__COUNT][2] = {
	{"chathub_open_connections", "TCP connections open now (HTTP and WebSocket)."},
	{"chathub_hub_connections", "Hub connections open now (every transport; negotiated ones included)."},
	{"chathub_api_queue_length", "REST requests waiting for a worker thread."},
	{"chathub_request_body_bytes", "Request-body bytes held now (body_memory_max bounds them)."},
	{"chathub_webhooks_failing", "Webhooks marked failing (their deliveries stopped until enabled), of every company."},
};

static atomic_uint_fast64_t counters[CH_COUNTER__COUNT];
static const char *counter_names[CH_COUNTER__COUNT][2] = {
	{"chathub_refused_connections_total", "TCP connections closed at accept (max_connections, per address)."},
	{"chathub_refused_bodies_total", "Requests answered 503 because the request-body budget was full."},
	{"chathub_webhook_deliveries_ok_total", "Webhook requests this process sent that were answered 2xx."},
	{"chathub_webhook_deliveries_failed_total", "Webhook requests this process attempted that failed (status, connection, timeout, address)."},
	{"chathub_sqlite_wal_bytes_total", "Bytes this process wrote to the SQLite write-ahead log (0 with PostgreSQL)."},
};

static int find_series(const char *route, int status)
{
	int n = atomic_load(&n_series);
	for (int i = 0; i < n; i++)
		if (series[i].status == status && !strcmp(series[i].route, route))
			return i;
	return -1;
}

void ch_metrics_http(const char *route, int status, int64_t latency_us)
{
	int i = find_series(route, status);
	if (i < 0) {
		pthread_mutex_lock(&series_mu);
		i = find_series(route, status);
		if (i < 0 && atomic_load(&n_series) < MAX_SERIES) {
			i = atomic_load(&n_series);
			series[i].route = route;
			series[i].status = status;
			atomic_store(&n_series, i + 1);
		}
		pthread_mutex_unlock(&series_mu);
	}
	if (i >= 0)
		atomic_fetch_add(&series[i].count, 1);
	size_t b = 0;
	while (b < N_BUCKETS && (double)latency_us / 1e6 > buckets_s[b])
		b++;
	atomic_fetch_add(&hist[b], 1);
	atomic_fetch_add(&hist_count, 1);
	atomic_fetch_add(&hist_sum_us, (uint_fast64_t)(latency_us > 0 ? latency_us : 0));
}

void ch_metrics_gauge_add(ch_gauge g, int64_t d) { atomic_fetch_add(&gauges[g], d); }
void ch_metrics_gauge_set(ch_gauge g, int64_t v) { atomic_store(&gauges[g], v); }
int64_t ch_metrics_gauge_get(ch_gauge g) { return atomic_load(&gauges[g]); }
/* Relaxed: a counter orders nothing, and the WAL byte counter is bumped on
 * every WAL write of the store's writer. */
void ch_metrics_counter_add(ch_counter c, int64_t n)
{
	atomic_fetch_add_explicit(&counters[c], (uint_fast64_t)n, memory_order_relaxed);
}

void ch_metrics_render(ch_buf *out)
{
	ch_buf_puts(out, "# HELP chathub_http_requests_total HTTP requests by route and status.\n"
	                 "# TYPE chathub_http_requests_total counter\n");
	int n = atomic_load(&n_series);
	for (int i = 0; i < n; i++)
		ch_buf_printf(out, "chathub_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
		              series[i].route, series[i].status,
		              (unsigned long long)atomic_load(&series[i].count));
	ch_buf_puts(out, "# HELP chathub_http_request_duration_seconds Time from request to response.\n"
	                 "# TYPE chathub_http_request_duration_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b <= N_BUCKETS; b++) {
		cum += atomic_load(&hist[b]);
		if (b < N_BUCKETS)
			ch_buf_printf(out, "chathub_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
			              buckets_s[b], (unsigned long long)cum);
		else
			ch_buf_printf(out, "chathub_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			              (unsigned long long)cum);
	}
	ch_buf_printf(out, "chathub_http_request_duration_seconds_sum %.6f\n",
	              (double)atomic_load(&hist_sum_us) / 1e6);
	ch_buf_printf(out, "chathub_http_request_duration_seconds_count %llu\n",
	              (unsigned long long)atomic_load(&hist_count));
	for (int g = 0; g < CH_GAUGE__COUNT; g++)
		ch_buf_printf(out, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", gauge_names[g][0],
		              gauge_names[g][1], gauge_names[g][0], gauge_names[g][0],
		              (long long)atomic_load(&gauges[g]));
	for (int c = 0; c < CH_COUNTER__COUNT; c++)
		ch_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_names[c][0],
		              counter_names[c][1], counter_names[c][0], counter_names[c][0],
		              (unsigned long long)atomic_load(&counters[c]));
}
