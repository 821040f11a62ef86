/* cluster.h — gap-free, in-order, exactly-once application of other
 * processes' committed batches (pure logic; no Redis, no SQL).
 *
 * Every process numbers its committed batches bseq = 1, 2, 3… and the store
 * keeps each one in the outbox (bus_log) in the same transaction. Batches
 * arrive here from Redis (fast, may lose or repeat nothing in order but may
 * lose some), from heartbeats {node, upto} and from log polling; per publisher
 * P this keeps applied[P]:
 *   bseq <= applied        a duplicate, dropped;
 *   bseq == applied + 1    applied, then any held successors;
 *   bseq >  applied + 1    held, and a fill of the gap is requested;
 *   upto >  applied        (heartbeat, log head) a fill is requested.
 * A fill reads (after, upto] from the log elsewhere (never on this thread:
 * it is blocking SQL) and answers with ch_cluster_fill_done; a bseq <= upto
 * the log does not hold never committed and is skipped.
 * Where a publisher starts: ch_cluster_baseline gives the log heads read
 * before this process served anyone; a publisher not in it appeared later, so
 * all its batches are new here (it starts at 0). Without a baseline a
 * publisher starts at the first bseq seen.
 * Own batches echoed back are ignored (the local hub had them in-process).
 * Threading: one thread (the network thread); not thread-safe.
 */
#ifndef CH_BUS_CLUSTER_H
#define CH_BUS_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define CH_CLUSTER_STALE_MS 1500       /* a heartbeat older than this: poll the log for that publisher */
#define CH_CLUSTER_QUIET_MS 600000     /* a publisher silent this long no longer keeps polling on */
#define CH_CLUSTER_HELD_MAX 4096       /* batches held per publisher; beyond, the fill fetches them */
#define CH_CLUSTER_HELD_BYTES (16u << 20)

typedef struct ch_cluster ch_cluster;

typedef struct ch_cluster_ops {
	void *ctx;
	/* Takes ownership of list (decoded events of one batch, exclusions
	 * already resolved for this node). */
	void (*deliver)(void *ctx, ch_event *list);
	/* Asks for the log rows of node with after < bseq <= upto (upto may be
	 * UINT64_MAX: all of them). Must answer later, never from inside this
	 * call, with ch_cluster_fill_done. */
	void (*fill)(void *ctx, const char *node, uint64_t after, uint64_t upto);
} ch_cluster_ops;

typedef struct ch_cluster_row {
	uint64_t bseq;
	const void *payload; /* borrowed */
	size_t len;
} ch_cluster_row;

/* self: this node's id (copied); ops copied. Returns a new state. */
ch_cluster *ch_cluster_new(const char *self, const ch_cluster_ops *ops);
void ch_cluster_free(ch_cluster *c);

/* The log heads read before serving: node had committed up to head. Call
 * for each, then ch_cluster_baseline_done. */
void ch_cluster_baseline(ch_cluster *c, const char *node, uint64_t head);
void ch_cluster_baseline_done(ch_cluster *c);

/* A batch from Redis (payload borrowed; copied when held). */
void ch_cluster_batch(ch_cluster *c, const char *node, uint64_t bseq, const void *payload, size_t len,
                      int64_t now_ms);
/* A heartbeat from Redis: node has committed up to upto. */
void ch_cluster_heartbeat(ch_cluster *c, const char *node, uint64_t upto, int64_t now_ms);
/* A log head read by polling: like a heartbeat, but says nothing of Redis. */
void ch_cluster_head(ch_cluster *c, const char *node, uint64_t head, int64_t now_ms);
/* Unlogged events (Typing): delivered unless they are our own. */
void ch_cluster_ephemeral(ch_cluster *c, const char *node, const void *payload, size_t len);
/* The answer to a fill of (after, upto]: rows in bseq order (borrowed).
 * complete: the log holds nothing more in the range (the read was not cut
 * by a row limit); ok = 0: the read failed, retried at a later tick. */
void ch_cluster_fill_done(ch_cluster *c, const char *node, uint64_t after, uint64_t upto,
                          const ch_cluster_row *rows, size_t n, int complete, int ok);
/* node's lease ended and nothing more will be committed as it: read the log
 * to its end, then forget it (later messages from it are ignored). */
void ch_cluster_node_gone(ch_cluster *c, const char *node);
/* Retries failed fills, forgets what is long gone. Call every ~250 ms. */
void ch_cluster_tick(ch_cluster *c, int64_t now_ms);
/* 1 when some live publisher's heartbeat is older than CH_CLUSTER_STALE_MS:
 * the caller polls the log heads. */
int ch_cluster_stale(const ch_cluster *c, int64_t now_ms);
/* applied[node] (0 when unknown). */
uint64_t ch_cluster_applied(const ch_cluster *c, const char *node);

#endif
