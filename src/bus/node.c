/* node.c — this process on the cluster bus (see node.h): glues the apply
 * state (cluster.c), the Redis links (redis.c) and the outbox seams.
 * Threading: the committed/ephemeral hand-overs from any thread (they copy
 * and post); the rest on the network thread. Outbox reads on the pool, their
 * answers posted back. A node is freed when stopped and no read or posted
 * hand-over still refers to it. */
#include "bus/node.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/cluster.h"
#include "bus/codec.h"
#include "bus/redis.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"

struct ch_bus_node {
	ch_bus_cluster_opts o;
	char id[CH_BUS_NODE_MAX + 1];
	ch_cluster *cluster;
	ch_bus_redis *redis;
	ev_timer poll;
	int polling, stopped;
	int refs; /* atomic: the node itself, reads in flight, posted hand-overs */
};

static void ref(ch_bus_node *n) { __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED); }

static void unref(ch_bus_node *n)
{
	if (__atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		ch_cluster_free(n->cluster);
		free(n);
	}
}

static void deliver(void *ctx, ch_event *list)
{
	ch_bus_node *n = ctx;
	if (n->o.deliver)
		n->o.deliver(n->o.deliver_ctx, list);
	else
		ch_bus_publish(list);
}

/* ---- outbox reads on the pool ------------------------------------------- */

typedef struct read_job {
	ch_bus_node *n;
	char node[CH_BUS_NODE_MAX + 1]; /* fill: whose rows */
	uint64_t after, upto;
	ch_cluster_row *rows;
	char **nodes; /* heads: node of each row */
	size_t nrows, cap;
	int ok;
} read_job;

static void collect(void *ctx, const char *node_id, uint64_t bseq, const void *payload, size_t len)
{
	read_job *j = ctx;
	if (j->nrows == j->cap) {
		j->cap = j->cap ? j->cap * 2 : 16;
		j->rows = ch_xrealloc(j->rows, j->cap * sizeof *j->rows);
		j->nodes = ch_xrealloc(j->nodes, j->cap * sizeof *j->nodes);
	}
	void *copy = NULL;
	if (payload && len) {
		copy = ch_xmalloc(len);
		memcpy(copy, payload, len);
	}
	j->nodes[j->nrows] = ch_xstrdup(node_id ? node_id : "");
	j->rows[j->nrows++] = (ch_cluster_row){bseq, copy, payload ? len : 0};
}

static void read_job_free(read_job *j)
{
	for (size_t i = 0; i < j->nrows; i++) {
		free((void *)j->rows[i].payload);
		free(j->nodes[i]);
	}
	free(j->rows);
	free(j->nodes);
	ch_bus_node *n = j->n;
	free(j);
	unref(n);
}

static void fill_back(void *arg)
{
	read_job *j = arg;
	ch_bus_node *n = j->n;
	if (!n->stopped)
		ch_cluster_fill_done(n->cluster, j->node, j->after, j->upto, j->rows, j->nrows,
		                     j->nrows < CH_BUS_FILL_ROWS, j->ok);
	read_job_free(j);
}

static void fill_run(void *arg)
{
	read_job *j = arg;
	ch_bus_node *n = j->n;
	ch_err e = n->o.log_read(n->o.log_ctx, j->node, j->after, j->upto, CH_BUS_FILL_ROWS, collect, j);
	j->ok = e == CH_OK;
	if (!j->ok)
		CH_WARN("bus: reading the outbox of node %s failed (%s); retried", j->node, ch_err_text(e));
	n->o.post(fill_back, j);
}

static void ask_fill(void *ctx, const char *node, uint64_t after, uint64_t upto)
{
	ch_bus_node *n = ctx;
	read_job *j = ch_xcalloc(1, sizeof *j);
	j->n = n;
	snprintf(j->node, sizeof j->node, "%s", node);
	j->after = after, j->upto = upto;
	ref(n);
	ch_workq_submit(n->o.pool, fill_run, j);
}

static void heads_back(void *arg)
{
	read_job *j = arg;
	ch_bus_node *n = j->n;
	n->polling = 0;
	int64_t now = ch_mono_ms();
	for (size_t i = 0; j->ok && !n->stopped && i < j->nrows; i++)
		ch_cluster_head(n->cluster, j->nodes[i], j->rows[i].bseq, now);
	read_job_free(j);
}

static void heads_run(void *arg)
{
	read_job *j = arg;
	ch_bus_node *n = j->n;
	j->ok = n->o.log_heads(n->o.log_ctx, collect, j) == CH_OK;
	n->o.post(heads_back, j);
}

/* Every 250 ms: retry fills; poll the outbox heads while Redis cannot be
 * trusted to tell (subscribe link down, or a publisher's heartbeat late). */
static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	ch_bus_node *n = w->data;
	int64_t now = ch_mono_ms();
	ch_cluster_tick(n->cluster, now);
	if (n->polling || (ch_bus_redis_subscribed(n->redis) && !ch_cluster_stale(n->cluster, now)))
		return;
	read_job *j = ch_xcalloc(1, sizeof *j);
	j->n = n;
	n->polling = 1;
	ref(n);
	ch_workq_submit(n->o.pool, heads_run, j);
}

/* ---- start / stop ------------------------------------------------------- */

static void baseline_row(void *ctx, const char *node_id, uint64_t bseq, const void *payload, size_t len)
{
	ch_cluster_baseline(ctx, node_id, bseq);
}

ch_bus_node *ch_bus_node_start(const ch_bus_cluster_opts *o)
{
	if (!o->node_id || !*o->node_id || strlen(o->node_id) > CH_BUS_NODE_MAX) {
		CH_ERROR("bus: node_id must be 1 to %d bytes", CH_BUS_NODE_MAX);
		return NULL;
	}
	ch_bus_node *n = ch_xcalloc(1, sizeof *n);
	n->o = *o;
	snprintf(n->id, sizeof n->id, "%s", o->node_id);
	n->o.node_id = n->id;
	n->refs = 1;
	n->cluster = ch_cluster_new(n->id, &(ch_cluster_ops){.ctx = n, .deliver = deliver, .fill = ask_fill});
	ch_err e = o->log_heads(o->log_ctx, baseline_row, n->cluster);
	if (e) {
		CH_ERROR("bus: cannot read the outbox heads: %s", ch_err_text(e));
		unref(n);
		return NULL;
	}
	ch_cluster_baseline_done(n->cluster);
	n->redis = ch_bus_redis_start(&(ch_bus_redis_opts){
	    .loop = o->loop, .url = o->url, .prefix = o->prefix, .node_id = n->id, .cluster = n->cluster});
	if (!n->redis) {
		unref(n);
		return NULL;
	}
	n->o.url = n->o.prefix = NULL; /* borrowed; not needed any more */
	ev_timer_init(&n->poll, on_poll, CH_BUS_POLL_MS / 1000.0, CH_BUS_POLL_MS / 1000.0);
	n->poll.data = n;
	ev_timer_start(o->loop, &n->poll);
	return n;
}

void ch_bus_node_stop(ch_bus_node *n)
{
	if (!n)
		return;
	n->stopped = 1;
	ev_timer_stop(n->o.loop, &n->poll);
	ch_bus_redis_stop(n->redis);
	n->redis = NULL;
	unref(n);
}

/* ---- hand-overs from other threads -------------------------------------- */

typedef struct out_msg {
	ch_bus_node *n;
	uint64_t bseq; /* 0: ephemeral */
	size_t len;
	unsigned char payload[];
} out_msg;

static void out_back(void *arg)
{
	out_msg *m = arg;
	ch_bus_node *n = m->n;
	if (!n->stopped && m->bseq)
		ch_bus_redis_publish_batch(n->redis, m->bseq, m->payload, m->len);
	else if (!n->stopped)
		ch_bus_redis_publish_ephemeral(n->redis, m->payload, m->len);
	free(m);
	unref(n);
}

static void hand_over(ch_bus_node *n, uint64_t bseq, const void *payload, size_t len)
{
	out_msg *m = ch_xmalloc(sizeof *m + len);
	m->n = n;
	m->bseq = bseq;
	m->len = len;
	if (len)
		memcpy(m->payload, payload, len);
	ref(n);
	n->o.post(out_back, m);
}

void ch_bus_node_committed(void *node, uint64_t bseq, const void *payload, size_t len)
{
	hand_over(node, bseq, payload, len);
}

void ch_bus_node_ephemeral(ch_bus_node *n, const ch_event *list)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_encode(list, n->id, &b);
	if (b.len)
		hand_over(n, 0, b.data, b.len);
	ch_buf_free(&b);
}

void ch_bus_node_gone(ch_bus_node *n, const char *node_id) { ch_cluster_node_gone(n->cluster, node_id); }

uint64_t ch_bus_node_applied(const ch_bus_node *n, const char *node_id)
{
	return ch_cluster_applied(n->cluster, node_id);
}

/* ---- the process's node ------------------------------------------------- */

static ch_bus_node *the_node;

static void ephemeral_hook(const ch_event *list)
{
	if (the_node)
		ch_bus_node_ephemeral(the_node, list);
}

ch_err ch_bus_cluster_start(const ch_bus_cluster_opts *o)
{
	the_node = ch_bus_node_start(o);
	if (!the_node)
		return CH_ERR_STORE;
	ch_bus_set_ephemeral_hook(ephemeral_hook);
	return CH_OK;
}

void ch_bus_cluster_committed(void *unused, uint64_t bseq, const void *payload, size_t len)
{
	if (the_node)
		ch_bus_node_committed(the_node, bseq, payload, len);
}

void ch_bus_cluster_node_gone(const char *node_id)
{
	if (the_node)
		ch_bus_node_gone(the_node, node_id);
}

void ch_bus_cluster_stop(void)
{
	ch_bus_set_ephemeral_hook(NULL);
	ch_bus_node_stop(the_node);
	the_node = NULL;
}
