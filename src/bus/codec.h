/* codec.h — the bytes of the cluster bus: the events of a committed job, as
 * the store keeps them in its outbox (bus_log.payload) and as Redis carries
 * them, and the messages on the Redis channels.
 *
 * A payload is one or more chunks, one per successful job of a group commit,
 * so the store may concatenate what ch_bus_encode wrote for each job:
 *   chunk = "CHE2" n:u32 event*n                           (integers little-endian)
 *   event = kind:u8 audience:u32 company:i64 org:i64 client:i64 operator:i64
 *           epoch:i64 key_id:i64 xconn:u64 xnode_len:u8 xnode chat:i64 seq:i64
 *           target_len:u16 target args_len:u32 args (the JSON text of the argument array)
 * chat and seq let the receiving hubs keep each chat's messages in seq order
 * (hub/order.c). A "CHE1" chunk (the previous version, written by a process
 * not yet upgraded) has no chat and seq and still decodes, with both 0.
 * The excluded sender connection is (xnode, xconn): a receiver honours it only
 * when xnode is its own id; a connection id alone means nothing elsewhere.
 * Messages on the channels:
 *   "CHB1" node_len:u8 node bseq:u64 payload   a committed batch (<prefix>:bus)
 *   "CHH1" node_len:u8 node upto:u64           a heartbeat (<prefix>:bus)
 *   "CHT1" node_len:u8 node payload            unlogged events, Typing (<prefix>:eph)
 * Decoding checks every length against what is left and the bounds below, so
 * truncated or garbled bytes are refused, never read past.
 * Threading: pure functions, any thread.
 */
#ifndef CH_BUS_CODEC_H
#define CH_BUS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "core/buf.h"

#define CH_BUS_NODE_MAX 64               /* bytes of a node id */
#define CH_BUS_TARGET_MAX 256            /* bytes of an event's target */
#define CH_BUS_PAYLOAD_MAX (64u << 20)   /* bytes of one payload */
#define CH_BUS_EVENTS_MAX 65536u         /* events in one chunk */

/* Appends the chunk of list (borrowed; NULL = nothing is written) to out;
 * node_id (this process) names the excluded connections. */
void ch_bus_encode(const ch_event *list, const char *node_id, ch_buf *out);
/* Decodes a payload into a new event list (*out, NULL when empty). An
 * exclusion survives only when it names self_node. Returns 0, or -1 on
 * malformed bytes (nothing is returned then). */
int ch_bus_decode(const void *payload, size_t len, const char *self_node, ch_event **out);

typedef enum ch_bus_msg_type {
	CH_BUS_MSG_BATCH = 1,
	CH_BUS_MSG_HEARTBEAT,
	CH_BUS_MSG_EPHEMERAL,
} ch_bus_msg_type;

typedef struct ch_bus_msg {
	ch_bus_msg_type type;
	char node[CH_BUS_NODE_MAX + 1];
	uint64_t seq;        /* BATCH: bseq; HEARTBEAT: upto */
	const void *payload; /* BATCH, EPHEMERAL: borrowed from the parsed bytes */
	size_t len;
} ch_bus_msg;

/* Appends a channel message to out (payload ignored for HEARTBEAT). */
void ch_bus_msg_encode(ch_buf *out, ch_bus_msg_type type, const char *node, uint64_t seq, const void *payload,
                       size_t len);
/* Parses a channel message; returns 0, or -1 when malformed. */
int ch_bus_msg_parse(const void *data, size_t len, ch_bus_msg *m);

#endif
