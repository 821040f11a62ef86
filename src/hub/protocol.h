/* protocol.h — the SignalR hub protocol, version 1: the handshake (always
 * JSON), the framing of records (JSON: the record separator 0x1E;
 * MessagePack: a VarInt length prefix), and the messages (invocation,
 * completion, ping, close) in either encoding (MessagePack: hub/msgpack.h).
 * Pure: bytes in, structures out, and back.
 * Threading: pure; any thread. Fuzzed by tests/fuzz/fuzz_hub_protocol.c.
 */
#ifndef CH_HUB_PROTOCOL_H
#define CH_HUB_PROTOCOL_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define CH_HUB_RS 0x1e
#define CH_HUB_MAX_MESSAGE (64 * 1024)

enum {
	CH_HUB_INVOCATION = 1,
	CH_HUB_STREAM_ITEM = 2,
	CH_HUB_COMPLETION = 3,
	CH_HUB_STREAM_INVOCATION = 4,
	CH_HUB_CANCEL_INVOCATION = 5,
	CH_HUB_PING = 6,
	CH_HUB_CLOSE = 7,
};

/* The encoding a connection chose at its handshake. */
typedef enum ch_hub_proto { CH_HUB_JSON = 0, CH_HUB_MSGPACK = 1 } ch_hub_proto;

/* Accumulates bytes and yields each complete record: without its separator
 * (JSON, the default), or without its length prefix once binary is set
 * (MessagePack). A record longer than CH_HUB_MAX_MESSAGE is an error. */
typedef struct ch_hub_reader {
	ch_buf pending;
	int binary;
} ch_hub_reader;

typedef int (*ch_hub_record_fn)(void *ctx, const char *rec, size_t len);

/* Feeds bytes; calls fn for every complete record. Returns 0, -1 when a record
 * is too long, or fn's non-zero return (which stops the feed). *used (may be
 * NULL) gets how many bytes of data were taken: all of them, except when fn
 * stopped the feed: then up to and including that record's separator (the
 * rest is the caller's to feed again later). */
int ch_hub_reader_feed(ch_hub_reader *r, const char *data, size_t len, ch_hub_record_fn fn, void *ctx,
                       size_t *used);
/* Bytes held waiting for their separator. */
size_t ch_hub_reader_pending(const ch_hub_reader *r);
void ch_hub_reader_free(ch_hub_reader *r);

/* Checks a handshake request ("json" or "messagepack", version 1); *proto
 * gets the protocol. Returns CH_OK, or an error with a reason for the
 * {"error": ...} answer in err. */
ch_err ch_hub_handshake_parse(const char *rec, size_t len, ch_hub_proto *proto, char *err, size_t errlen);

typedef struct ch_hub_msg {
	int type;
	const char *invocation_id; /* NULL when absent; borrowed from root */
	const char *target;        /* invocations; borrowed from root */
	json_t *args;              /* invocation arguments (array), borrowed from root */
	json_t *root;              /* owned */
} ch_hub_msg;

/* Parses one record of protocol proto. Invocations need a string target and
 * an array of arguments; an invocationId, when present, must be a string.
 * Returns CH_OK or CH_ERR_BAD_JSON with a reason in err. Free with
 * ch_hub_msg_free. */
ch_err ch_hub_msg_parse(ch_hub_proto proto, const char *rec, size_t len, ch_hub_msg *out, char *err,
                        size_t errlen);
void ch_hub_msg_free(ch_hub_msg *m);

/* Writers append one record of protocol proto (JSON + 0x1E, or a framed
 * MessagePack array) to out. JSON arguments are borrowed. The handshake
 * answer is JSON whatever the protocol. */
void ch_hub_write_handshake(ch_buf *out, const char *error /* NULL = ok */);
void ch_hub_write_invocation(ch_buf *out, ch_hub_proto proto, const char *target, json_t *args);
void ch_hub_write_result(ch_buf *out, ch_hub_proto proto, const char *invocation_id,
                         json_t *result /* NULL = null */);
void ch_hub_write_error(ch_buf *out, ch_hub_proto proto, const char *invocation_id, const char *error);
void ch_hub_write_ping(ch_buf *out, ch_hub_proto proto);
void ch_hub_write_close(ch_buf *out, ch_hub_proto proto, const char *error /* may be NULL */,
                        int allow_reconnect);

#endif
