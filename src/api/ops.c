/* ops.c — operations endpoints: GET /healthz and GET /metrics.
 * /metrics shows every tenant's traffic: it needs the configured metrics_token
 * (Bearer), or without one it answers loopback clients only; no CORS grant.
 * Threading: API worker threads. */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/metrics.h"

/* 127.0.0.0/8, ::1, and IPv4 loopback written as IPv6. */
static int is_loopback(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/* Constant-time compare of the Bearer token with the configured one. */
static int metrics_allowed(ch_ctx *c)
{
	const char *want = c->api->o.metrics_token;
	if (!want || !*want)
		return is_loopback(c->req->peer);
	size_t len = 0;
	const char *t = ch_api_token_text(c->req, &len);
	return t && ch_ct_equal(t, len, want, strlen(want));
}

void ch_h_healthz(ch_ctx *c)
{
	if (ch_svc_ping(c->tx) != CH_OK) {
		ch_ctx_error(c, CH_ERR_STORE, "the database does not answer");
		return;
	}
	ch_ctx_text(c, 200, "ok", 2);
}

/* A Prometheus histogram of the store's times (cumulative buckets over
 * CH_STORE_TIME_BOUNDS_US, in seconds). */
static void time_histogram(ch_buf *out, const char *name, const char *help,
                           const uint64_t le[CH_STORE_TIME_BUCKETS], uint64_t sum_us)
{
	static const int64_t bounds[CH_STORE_TIME_BUCKETS] = CH_STORE_TIME_BOUNDS_US;
	ch_buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (int i = 0; i < CH_STORE_TIME_BUCKETS; i++) {
		if (i < CH_STORE_TIME_BUCKETS - 1)
			ch_buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, (double)bounds[i] / 1e6,
			              (unsigned long long)le[i]);
		else
			ch_buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)le[i]);
	}
	ch_buf_printf(out, "%s_sum %.6f\n%s_count %llu\n", name, (double)sum_us / 1e6, name,
	              (unsigned long long)le[CH_STORE_TIME_BUCKETS - 1]);
}

void ch_h_metrics(ch_ctx *c)
{
	if (!metrics_allowed(c)) {
		if (c->api->o.metrics_token && *c->api->o.metrics_token)
			ch_ctx_error(c, CH_ERR_NO_TOKEN, "send the metrics token as `Authorization: Bearer <token>`");
		else
			ch_ctx_error(c, CH_ERR_WRONG_KIND, "/metrics answers loopback clients only; set metrics_token "
			                                   "to read it from elsewhere");
		return;
	}
	ch_buf out = CH_BUF_INIT;
	ch_metrics_render(&out);
	ch_svc_write_stats st;
	ch_svc_write_stats_get(&st);
	static const char *le[] = {"1", "2", "4", "8", "16", "32", "64", "+Inf"};
	ch_buf_puts(&out, "# HELP chathub_store_commit_batch_size Write jobs per group commit.\n"
	                  "# TYPE chathub_store_commit_batch_size histogram\n");
	for (int i = 0; i < 8; i++) /* batch_le is already cumulative */
		ch_buf_printf(&out, "chathub_store_commit_batch_size_bucket{le=\"%s\"} %llu\n", le[i],
		              (unsigned long long)st.batch_le[i]);
	ch_buf_printf(&out, "chathub_store_commit_batch_size_sum %llu\n", (unsigned long long)st.jobs);
	ch_buf_printf(&out, "chathub_store_commit_batch_size_count %llu\n", (unsigned long long)st.commits);
	time_histogram(&out, "chathub_store_write_seconds",
	               "Per write job: from queued to its group commit done (the store's part of a send).",
	               st.write_le, st.write_us_sum);
	time_histogram(&out, "chathub_store_commit_seconds",
	               "Per group commit: from the writer taking the batch to its COMMIT returning.",
	               st.commit_le, st.commit_us_sum);
	ch_buf_printf(&out, "# HELP chathub_store_commits_failed_total Group commits that failed.\n"
	                    "# TYPE chathub_store_commits_failed_total counter\n"
	                    "chathub_store_commits_failed_total %llu\n",
	              (unsigned long long)st.failed_commits);
	ch_buf_printf(&out, "# HELP chathub_store_write_queue_length Write jobs waiting for the writer.\n"
	                    "# TYPE chathub_store_write_queue_length gauge\n"
	                    "chathub_store_write_queue_length %llu\n",
	              (unsigned long long)st.queue_len);
	int64_t backup_ms = 0;
	ch_svc_last_backup_ms(c->tx, &backup_ms); /* a failed read shows 0 rather than no metrics */
	ch_buf_printf(&out, "# HELP chathub_last_backup_timestamp_seconds When the last `chathub backup` was made "
	                    "(0: none recorded).\n"
	                    "# TYPE chathub_last_backup_timestamp_seconds gauge\n"
	                    "chathub_last_backup_timestamp_seconds %.3f\n",
	              (double)backup_ms / 1000.0);
	ch_ctx_text(c, 200, out.data, out.len);
	c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	ch_buf_free(&out);
}
