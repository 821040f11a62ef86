/* msgpack.h — the SignalR MessagePack hub protocol, version 1: records framed
 * by a VarInt length prefix, each one MessagePack array (HubProtocol.md).
 * The hub keeps a JSON (jansson) view of arguments and results; this module
 * converts both ways with msgpack-c, under the limits of the JSON protocol:
 * at most CH_HUB_MAX_MESSAGE bytes a record, CH_HUB_MP_MAX_DEPTH levels of
 * nesting, and no container that declares more elements than its record has
 * bytes left (a 5-byte header cannot make the decoder allocate gigabytes).
 * Strings must be UTF-8 without NUL and map keys strings, each once, as the
 * JSON protocol requires; bin values become base64 strings; extension types
 * are refused.
 * Threading: pure; any thread. Fuzzed by tests/fuzz/fuzz_hub_protocol.c.
 */
#ifndef CH_HUB_MSGPACK_H
#define CH_HUB_MSGPACK_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "hub/protocol.h"

#define CH_HUB_MP_MAX_DEPTH 32

/* One MessagePack value (exactly len bytes) → a new JSON reference in *out.
 * Returns CH_OK, or CH_ERR_BAD_JSON with a reason in err. */
ch_err ch_hub_mp_to_json(const char *data, size_t len, json_t **out, char *err, size_t errlen);
/* Appends the MessagePack encoding of v (borrowed; NULL = nil), unframed. */
void ch_hub_mp_pack_json(ch_buf *out, json_t *v);

/* Parses one record body (without its length prefix) into m, as
 * ch_hub_msg_parse does for JSON: m->root is a JSON object holding the
 * invocationId, target and arguments the hub reads. */
ch_err ch_hub_mp_msg_parse(const char *rec, size_t len, ch_hub_msg *out, char *err, size_t errlen);

/* Writers: append one framed record (VarInt length + body) to out. */
void ch_hub_mp_write_invocation(ch_buf *out, const char *target, json_t *args);
void ch_hub_mp_write_result(ch_buf *out, const char *invocation_id, json_t *result);
void ch_hub_mp_write_error(ch_buf *out, const char *invocation_id, const char *error);
void ch_hub_mp_write_ping(ch_buf *out);
void ch_hub_mp_write_close(ch_buf *out, const char *error, int allow_reconnect);

#endif
