/* ops.c — operations endpoints: GET /healthz and GET /metrics.
 * Threading: API worker threads. */
#include "api/internal.h"
#include "core/metrics.h"

void ch_h_healthz(ch_ctx *c)
{
	if (ch_store_ping(c->tx) != CH_OK) {
		ch_ctx_error(c, CH_ERR_STORE, "the database does not answer");
		return;
	}
	ch_ctx_text(c, 200, "ok", 2);
}

void ch_h_metrics(ch_ctx *c)
{
	ch_buf out = CH_BUF_INIT;
	ch_metrics_render(&out);
	ch_store_stats st;
	ch_store_stats_get(c->api->o.store, &st);
	static const char *le[] = {"1", "2", "4", "8", "16", "32", "64", "+Inf"};
	ch_buf_puts(&out, "# HELP chathub_store_commit_batch_size Write jobs per group commit.\n"
	                  "# TYPE chathub_store_commit_batch_size histogram\n");
	for (int i = 0; i < 8; i++) /* batch_le is already cumulative */
		ch_buf_printf(&out, "chathub_store_commit_batch_size_bucket{le=\"%s\"} %llu\n", le[i],
		              (unsigned long long)st.batch_le[i]);
	ch_buf_printf(&out, "chathub_store_commit_batch_size_sum %llu\n", (unsigned long long)st.jobs);
	ch_buf_printf(&out, "chathub_store_commit_batch_size_count %llu\n", (unsigned long long)st.commits);
	ch_buf_printf(&out, "# HELP chathub_store_commits_failed_total Group commits that failed.\n"
	                    "# TYPE chathub_store_commits_failed_total counter\n"
	                    "chathub_store_commits_failed_total %llu\n",
	              (unsigned long long)st.failed_commits);
	ch_buf_printf(&out, "# HELP chathub_store_write_queue_length Write jobs waiting for the writer.\n"
	                    "# TYPE chathub_store_write_queue_length gauge\n"
	                    "chathub_store_write_queue_length %llu\n",
	              (unsigned long long)st.queue_len);
	ch_ctx_text(c, 200, out.data, out.len);
	c->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	ch_buf_free(&out);
}
