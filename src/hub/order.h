/* order.h — each chat's live events in seq order on a cluster (pure logic).
 *
 * One process publishes its commits in commit order, but two processes
 * writing one chat reach a third in either order: A commits seq 5, B (which
 * waited on the chat's lock) commits seq 6 a moment later, and B's batch may
 * arrive first. This puts each chat's events back in order before the hub
 * delivers them, keyed by the message seq (ch_event.seq); per chat it keeps
 * the last seq delivered and the events held behind a gap:
 *   seq == last + 1   delivered, then the held ones that follow;
 *   seq >  last + 1   held, and so is every later event of the chat (state
 *                     events keep their place behind the message before them);
 *   seq <= last       delivered at once (late or a duplicate: a committed
 *                     event is never dropped);
 *   no seq            (state events) delivered at once unless something of
 *                     the chat is held; events of no chat always at once.
 * First sight of a chat (new, or forgotten after idling): its first message
 * is held first_ms for a possible predecessor (not seq 1: it has none), then
 * the chat starts from the lowest seq held. A gap still open after gap_ms
 * (the bus is sick) releases what is held, in seq order. Memory is bounded:
 * chats idle for idle_ms are forgotten, a chat holding more than held_max
 * events releases them, and beyond chats_max the least recently used chat is
 * forgotten (releasing what it held).
 * Times are passed in (monotonic ms); released events are appended to *out,
 * in delivery order, for the caller to deliver.
 * Threading: one thread (the network thread); not thread-safe.
 */
#ifndef CH_HUB_ORDER_H
#define CH_HUB_ORDER_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"

#define CH_ORDER_FIRST_MS 50
#define CH_ORDER_GAP_MS 2000
#define CH_ORDER_IDLE_MS 60000
#define CH_ORDER_HELD_MAX 1024
#define CH_ORDER_CHATS_MAX 100000

typedef struct ch_order_limits {
	int64_t first_ms, gap_ms, idle_ms; /* 0 = the CH_ORDER_* default */
	size_t held_max, chats_max;
} ch_order_limits;

typedef struct ch_order_stats {
	uint64_t gap_releases; /* gaps given up after gap_ms */
	uint64_t cap_releases; /* held events released by held_max or chats_max */
} ch_order_stats;

typedef struct ch_order ch_order;

/* limits may be NULL (the defaults). Returns a new state. */
ch_order *ch_order_new(const ch_order_limits *limits);
/* Frees the state and every event still held. */
void ch_order_free(ch_order *o);
/* Takes ownership of list; appends what may be delivered now to *out. */
void ch_order_push(ch_order *o, ch_event *list, int64_t now_ms, ch_event **out);
/* Releases what waited long enough and forgets idle chats; appends to *out. */
void ch_order_tick(ch_order *o, int64_t now_ms, ch_event **out);
/* When the next tick has something to release: the earliest hold deadline,
 * or INT64_MAX when nothing is held. */
int64_t ch_order_deadline(const ch_order *o);
/* Everything held, each chat in seq order (shutdown). */
void ch_order_flush(ch_order *o, ch_event **out);
/* Chats known and events held now (tests, metrics). */
size_t ch_order_chats(const ch_order *o);
size_t ch_order_held(const ch_order *o);
ch_order_stats ch_order_get_stats(const ch_order *o);

#endif
