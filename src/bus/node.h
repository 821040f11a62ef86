/* node.h — one process's membership of the cluster bus: the Redis links,
 * the apply state, the outbox reads on a worker, and the hand-over of this
 * node's committed batches and unlogged events.
 *
 * What serve wires when bus_url is set:
 *   ch_bus_cluster_start(&opts)          before serving (reads the outbox heads once:
 *                                        the baseline that says which publishers are new)
 *   ch_store_set_batch_sink(store, ch_bus_cluster_committed, NULL)
 *   ch_bus_cluster_stop()                at shutdown, after the worker pools stopped
 * The outbox is reached only through the two blocking seams below, always on
 * the given worker pool (or at start, before the loop runs): never SQL on the
 * network thread. Their results come back through opts.post (ch_loop_post).
 * Threading: ch_bus_node_committed and ch_bus_node_ephemeral from any thread;
 * everything else on the network thread.
 */
#ifndef CH_BUS_NODE_H
#define CH_BUS_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "core/err.h"
#include "core/workq.h"

struct ev_loop;

#define CH_BUS_FILL_ROWS 256 /* rows per outbox read; a longer gap takes several */
#define CH_BUS_POLL_MS 250

/* One outbox row (payload borrowed for the call). Same shape as the store's
 * ch_bus_log_each_fn. */
typedef void (*ch_bus_row_fn)(void *ctx, const char *node_id, uint64_t bseq, const void *payload, size_t len);
/* Blocking outbox reads, run on a worker: the rows of node_id with
 * after < bseq <= upto in bseq order, at most limit; and the highest bseq of
 * every node (payload NULL). */
typedef ch_err (*ch_bus_log_read_fn)(void *ctx, const char *node_id, uint64_t after, uint64_t upto, int64_t limit,
                                     ch_bus_row_fn each, void *each_ctx);
typedef ch_err (*ch_bus_log_heads_fn)(void *ctx, ch_bus_row_fn each, void *each_ctx);

typedef struct ch_bus_cluster_opts {
	const char *url;     /* bus_url: redis://HOST[:PORT] */
	const char *node_id; /* this process (node_id) */
	const char *prefix;  /* redis_prefix, "chathub" when NULL or empty */
	struct ev_loop *loop;
	void (*post)(void (*fn)(void *arg), void *arg); /* ch_loop_post */
	ch_workq *pool;                                 /* where the outbox reads run */
	ch_bus_log_read_fn log_read;
	ch_bus_log_heads_fn log_heads;
	void *log_ctx;
	/* Other nodes' events, on the network thread; takes ownership of list.
	 * NULL: ch_bus_publish (the local sink). */
	void (*deliver)(void *ctx, ch_event *list);
	void *deliver_ctx;
} ch_bus_cluster_opts;

typedef struct ch_bus_node ch_bus_node;

/* Reads the outbox heads (blocking, before serving), then connects. Returns
 * NULL when the URL is bad or the heads cannot be read. */
ch_bus_node *ch_bus_node_start(const ch_bus_cluster_opts *o);
/* Stops the timers and links; outbox reads still running finish into nothing. */
void ch_bus_node_stop(ch_bus_node *n);
/* The store's batch sink: batch bseq of this node committed (writer thread,
 * commit order; payload copied). */
void ch_bus_node_committed(void *node, uint64_t bseq, const void *payload, size_t len);
/* Unlogged events of this node (any thread; list borrowed). */
void ch_bus_node_ephemeral(ch_bus_node *n, const ch_event *list);
/* node_id's lease ended: read its outbox to the end, then forget it. */
void ch_bus_node_gone(ch_bus_node *n, const char *node_id);
/* applied[node_id] here (tests, metrics). */
uint64_t ch_bus_node_applied(const ch_bus_node *n, const char *node_id);

/* The process's one node, for serve: start also routes
 * ch_bus_publish_ephemeral to Redis. */
ch_err ch_bus_cluster_start(const ch_bus_cluster_opts *o);
void ch_bus_cluster_committed(void *unused, uint64_t bseq, const void *payload, size_t len);
void ch_bus_cluster_node_gone(const char *node_id);
void ch_bus_cluster_stop(void);

#endif
