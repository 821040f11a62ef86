/* redis.h — the Redis fast path of the cluster bus.
 *
 * Two hiredis asynchronous connections on the network thread's libev loop:
 * one PUBLISHes (batches and heartbeats on <prefix>:bus, Typing on
 * <prefix>:eph), one SUBSCRIBEs to both and feeds what arrives to the cluster
 * apply state. Redis only accelerates: a publish that cannot go (link down,
 * output queue above CH_BUS_REDIS_QUEUE_MAX) is dropped, and subscribers fill
 * from the outbox when a heartbeat says they miss something.
 * hiredis 0.14 has no asynchronous timeouts, so our own ev_timers bound the
 * connect (1 s) and a PING on the publish link (every 2 s, 1 s to answer); the
 * subscribe link, where 0.14 never hands PING replies back, counts as dead
 * when not even our own heartbeat comes back within 2 s while publishing
 * works. A lost link reconnects with backoff 100 ms doubling to 2 s.
 * Threading: network thread only.
 */
#ifndef CH_BUS_REDIS_H
#define CH_BUS_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "bus/cluster.h"

struct ev_loop;

#define CH_BUS_REDIS_QUEUE_MAX (8u << 20) /* bytes waiting on the publish link */
#define CH_BUS_REDIS_BEAT_MS 500

typedef struct ch_bus_redis ch_bus_redis;


typedef struct ch_bus_redis_opts {
	struct ev_loop *loop;
	const char *url;     /* redis://host[:port] or host[:port] */
	const char *prefix;  /* channel prefix, "chathub" when NULL or empty */
	const char *node_id; /* this process */
	ch_cluster *cluster; /* borrowed: what the subscribe link receives goes there */
} ch_bus_redis_opts;

/* Starts connecting (never blocks; links come up later). Returns NULL when
 * the URL cannot be parsed. */
ch_bus_redis *ch_bus_redis_start(const ch_bus_redis_opts *o);
/* Closes both links, stops the timers, frees r. */
void ch_bus_redis_stop(ch_bus_redis *r);
/* A committed batch of this node, in commit order (payload borrowed). Also
 * advances the heartbeat's upto. */
void ch_bus_redis_publish_batch(ch_bus_redis *r, uint64_t bseq, const void *payload, size_t len);
/* Unlogged events (payload borrowed): at most once. */
void ch_bus_redis_publish_ephemeral(ch_bus_redis *r, const void *payload, size_t len);
/* 1 while the subscribe link is up (subscribed). */
int ch_bus_redis_subscribed(const ch_bus_redis *r);
/* Publishes dropped since start (link down or queue full). */
uint64_t ch_bus_redis_dropped(const ch_bus_redis *r);

#endif
