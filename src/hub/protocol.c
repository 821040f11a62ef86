/* protocol.c — SignalR hub protocol v1 framing and the JSON messages (see
 * protocol.h; MessagePack messages are hub/msgpack.c). Strict parsing with
 * jansson: duplicate keys rejected, UTF-8 checked, no NUL in strings.
 * Threading: any thread; each keeps the text of the last object argument it
 * encoded (see "memo" below). */
#include "hub/protocol.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/msgpack.h"

/* The VarInt length prefix at p (n bytes available): 1 and *value, 0 when
 * more bytes are needed, -1 when it is malformed or over the record limit. */
static int varint(const unsigned char *p, size_t n, size_t *value, size_t *hdr)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && i < 5; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*value = (size_t)v;
			*hdr = i + 1;
			return v > CH_HUB_MAX_MESSAGE ? -1 : 1;
		}
	}
	return n >= 5 ? -1 : 0;
}

/* Binary framing: [VarInt length][body]... A record that arrives whole is
 * handed over in place; a partial one is assembled in r->pending (its
 * prefix included, so the prefix may be split too). */
static int feed_binary(ch_hub_reader *r, const char *data, size_t len, ch_hub_record_fn fn, void *ctx,
                       size_t *used)
{
	const char *start = data;
	int rc = 0;
	while (len) {
		size_t body = 0, hdr = 0, take;
		if (r->pending.len) { /* complete the record begun earlier */
			int v = varint((const unsigned char *)r->pending.data, r->pending.len, &body, &hdr);
			if (v < 0) {
				rc = -1;
				break;
			}
			take = v ? hdr + body - r->pending.len : 1; /* an incomplete prefix: a byte at a time */
			if (take > len)
				take = len;
			ch_buf_append(&r->pending, data, take);
			data += take;
			len -= take;
			if (!v || r->pending.len < hdr + body)
				continue; /* the prefix is parsed again, or the input ran out */
			rc = fn(ctx, r->pending.data + hdr, body);
			ch_buf_reset(&r->pending);
		} else {
			int v = varint((const unsigned char *)data, len, &body, &hdr);
			if (v < 0) {
				rc = -1;
				break;
			}
			if (!v || len < hdr + body) { /* the rest comes later */
				ch_buf_append(&r->pending, data, len);
				data += len;
				len = 0;
				break;
			}
			rc = fn(ctx, data + hdr, body);
			data += hdr + body;
			len -= hdr + body;
		}
		if (rc)
			break;
	}
	if (used)
		*used = (size_t)(data - start);
	return rc;
}

int ch_hub_reader_feed(ch_hub_reader *r, const char *data, size_t len, ch_hub_record_fn fn, void *ctx,
                       size_t *used)
{
	if (r->binary)
		return feed_binary(r, data, len, fn, ctx, used);
	const char *start = data;
	int rc = 0;
	while (len) {
		const char *rs = memchr(data, CH_HUB_RS, len);
		size_t n = rs ? (size_t)(rs - data) : len;
		if (r->pending.len + n > CH_HUB_MAX_MESSAGE) {
			rc = -1;
			break;
		}
		if (!rs) {
			ch_buf_append(&r->pending, data, n);
			data += n;
			break;
		}
		if (r->pending.len) {
			ch_buf_append(&r->pending, data, n);
			rc = fn(ctx, r->pending.data, r->pending.len);
			ch_buf_reset(&r->pending);
		} else {
			rc = fn(ctx, data, n);
		}
		data += n + 1;
		len -= n + 1;
		if (rc)
			break;
	}
	if (used)
		*used = (size_t)(data - start);
	return rc;
}

size_t ch_hub_reader_pending(const ch_hub_reader *r) { return r->pending.len; }
void ch_hub_reader_free(ch_hub_reader *r) { ch_buf_free(&r->pending); }

static json_t *load(const char *rec, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(rec, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		snprintf(err, errlen, "malformed JSON: %s", strstr(je.text, "JSON_ALLOW_NUL") ? "NUL in string" : je.text);
	return j;
}

ch_err ch_hub_handshake_parse(const char *rec, size_t len, ch_hub_proto *proto, char *err, size_t errlen)
{
	json_t *j = load(rec, len, err, errlen);
	if (!j)
		return CH_ERR_BAD_JSON;
	ch_err e = CH_ERR_BAD_JSON;
	json_t *p = json_object_get(j, "protocol"), *v = json_object_get(j, "version");
	const char *name = json_string_value(p);
	*proto = CH_HUB_JSON;
	if (!json_is_object(j))
		snprintf(err, errlen, "the handshake must be a JSON object");
	else if (!name)
		snprintf(err, errlen, "the handshake needs a protocol");
	else if (strcmp(name, "json") && strcmp(name, "messagepack"))
		snprintf(err, errlen, "The protocol '%.32s' is not supported.", name);
	else if (!json_is_integer(v) || json_integer_value(v) != 1)
		snprintf(err, errlen, "The server does not support version %lld of the '%s' protocol.",
		         json_is_integer(v) ? (long long)json_integer_value(v) : -1LL, name);
	else {
		*proto = strcmp(name, "json") ? CH_HUB_MSGPACK : CH_HUB_JSON;
		e = CH_OK;
	}
	json_decref(j);
	return e;
}

ch_err ch_hub_msg_parse(ch_hub_proto proto, const char *rec, size_t len, ch_hub_msg *out, char *err,
                        size_t errlen)
{
	if (proto == CH_HUB_MSGPACK)
		return ch_hub_mp_msg_parse(rec, len, out, err, errlen);
	memset(out, 0, sizeof *out);
	json_t *j = load(rec, len, err, errlen);
	if (!j)
		return CH_ERR_BAD_JSON;
	json_t *type = json_object_get(j, "type");
	if (!json_is_object(j) || !json_is_integer(type)) {
		snprintf(err, errlen, "a message must be an object with an integer type");
		goto bad;
	}
	out->type = (int)json_integer_value(type);
	json_t *id = json_object_get(j, "invocationId");
	if (id && !json_is_string(id)) {
		snprintf(err, errlen, "invocationId must be a string");
		goto bad;
	}
	out->invocation_id = id ? json_string_value(id) : NULL;
	if (out->type == CH_HUB_INVOCATION || out->type == CH_HUB_STREAM_INVOCATION) {
		json_t *t = json_object_get(j, "target"), *a = json_object_get(j, "arguments");
		if (!json_is_string(t) || !json_is_array(a)) {
			snprintf(err, errlen, "an invocation needs a string target and an arguments array");
			goto bad;
		}
		out->target = json_string_value(t);
		out->args = a;
	}
	out->root = j;
	return CH_OK;
bad:
	json_decref(j);
	memset(out, 0, sizeof *out);
	return CH_ERR_BAD_JSON;
}

void ch_hub_msg_free(ch_hub_msg *m)
{
	json_decref(m->root);
	memset(m, 0, sizeof *m);
}

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* Appends j serialised straight into out's spare room (again, larger, when
 * it did not fit). Returns 0, or -1 (nothing appended) when it cannot be. */
static int dump(ch_buf *out, const json_t *j)
{
	ch_buf_reserve(out, 512);
	size_t room = out->cap - out->len - 1;
	size_t n = json_dumpb(j, out->data + out->len, room, DUMP_FLAGS);
	if (n > room) {
		ch_buf_reserve(out, n);
		n = json_dumpb(j, out->data + out->len, n, DUMP_FLAGS);
	}
	if (!n)
		return -1;
	out->len += n;
	out->data[out->len] = '\0';
	return 0;
}

/* Appends j (stolen) and the separator. */
static void put(ch_buf *out, json_t *j)
{
	if (!j || dump(out, j))
		ch_buf_puts(out, "{}");
	json_decref(j);
	char rs = CH_HUB_RS;
	ch_buf_append(out, &rs, 1);
}

/* ---- the last object argument's text, per thread --------------------------- */

/* A sent message is one object, both the argument of its event and the result
 * of its call, encoded one after the other on the same thread (the store
 * writer: the event when the job's events are published, then the completion).
 * The text of the last object argument encoded is kept, with a reference that
 * keeps its address from being another object's, and the completion copies it
 * instead of serialising the object again. Objects are not changed once
 * published (a media link made absolute per reader is changed in a copy or
 * before the event is encoded), and the completion takes the text at most once. */
typedef struct memo {
	json_t *v;
	ch_buf text;
} memo;

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void memo_clear(memo *m)
{
	json_decref(m->v);
	m->v = NULL;
	ch_buf_reset(&m->text);
}

static void memo_destroy(void *p)
{
	memo *m = p;
	memo_clear(m);
	ch_buf_free(&m->text);
	free(m);
}

static void memo_key_make(void) { pthread_key_create(&memo_key, memo_destroy); }

static memo *memo_get(void)
{
	pthread_once(&memo_once, memo_key_make);
	memo *m = pthread_getspecific(memo_key);
	if (!m) {
		m = ch_xcalloc(1, sizeof *m);
		pthread_setspecific(memo_key, m);
	}
	return m;
}

/* Appends the object o, serialised, and keeps its text as the thread's memo. */
static int dump_remember(ch_buf *out, json_t *o)
{
	memo *m = memo_get();
	memo_clear(m);
	size_t start = out->len;
	if (dump(out, o))
		return -1;
	ch_buf_append(&m->text, out->data + start, out->len - start);
	m->v = json_incref(o);
	return 0;
}

/* Appends j serialised, from the memo when it is the object kept there (the
 * memo is then spent). */
static int dump_recall(ch_buf *out, json_t *j)
{
	pthread_once(&memo_once, memo_key_make);
	memo *m = pthread_getspecific(memo_key);
	if (m && m->v && m->v == j) {
		ch_buf_append(out, m->text.data, m->text.len);
		memo_clear(m);
		return 0;
	}
	return dump(out, j);
}

/* Appends s as a JSON string when it needs no escape (printable ASCII, no
 * quote or backslash: what jansson would write as is). Returns 0, else -1
 * with nothing appended. */
static int put_plain_str(ch_buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
			return -1;
	ch_buf_append(out, "\"", 1);
	ch_buf_puts(out, s);
	ch_buf_append(out, "\"", 1);
	return 0;
}

void ch_hub_write_handshake(ch_buf *out, const char *error)
{
	put(out, error ? json_pack("{s:s}", "error", error) : json_object());
}

void ch_hub_write_invocation(ch_buf *out, ch_hub_proto proto, const char *target, json_t *args)
{
	if (proto == CH_HUB_MSGPACK) {
		ch_hub_mp_write_invocation(out, target, args);
		return;
	}
	/* {"type":1,"target":…,"arguments":[…]} as jansson writes it, with the
	 * text of a single object argument kept for the completion */
	size_t start = out->len;
	ch_buf_printf(out, "{\"type\":%d,\"target\":", CH_HUB_INVOCATION);
	json_t *one = json_array_size(args) == 1 && json_is_object(json_array_get(args, 0)) ? json_array_get(args, 0)
	                                                                                      : NULL;
	int bad = put_plain_str(out, target);
	if (!bad && one) {
		ch_buf_puts(out, ",\"arguments\":[");
		bad = dump_remember(out, one);
		ch_buf_puts(out, "]}");
	} else if (!bad) {
		ch_buf_puts(out, ",\"arguments\":");
		bad = args ? dump(out, args) : (ch_buf_puts(out, "[]"), 0);
		ch_buf_puts(out, "}");
	}
	if (bad) { /* a target that needs escapes, or arguments that cannot be written: jansson decides */
		out->len = start;
		json_t *a = args ? json_incref(args) : json_array();
		put(out, json_pack("{s:i, s:s, s:o}", "type", CH_HUB_INVOCATION, "target", target, "arguments", a));
		return;
	}
	char rs = CH_HUB_RS;
	ch_buf_append(out, &rs, 1);
}

void ch_hub_write_result(ch_buf *out, ch_hub_proto proto, const char *invocation_id, json_t *result)
{
	if (!invocation_id)
		return; /* a non-blocking invocation expects no completion */
	if (proto == CH_HUB_MSGPACK) {
		ch_hub_mp_write_result(out, invocation_id, result);
		return;
	}
	size_t start = out->len;
	ch_buf_printf(out, "{\"type\":%d,\"invocationId\":", CH_HUB_COMPLETION);
	int bad = put_plain_str(out, invocation_id);
	if (!bad) {
		ch_buf_puts(out, ",\"result\":");
		bad = result ? dump_recall(out, result) : (ch_buf_puts(out, "null"), 0);
		ch_buf_puts(out, "}");
	}
	if (bad) { /* an id that needs escapes, or a result that cannot be written: jansson decides */
		out->len = start;
		put(out, json_pack("{s:i, s:s, s:O}", "type", CH_HUB_COMPLETION, "invocationId", invocation_id,
		                   "result", result ? result : json_null()));
		return;
	}
	char rs = CH_HUB_RS;
	ch_buf_append(out, &rs, 1);
}

void ch_hub_write_error(ch_buf *out, ch_hub_proto proto, const char *invocation_id, const char *error)
{
	if (!invocation_id)
		return;
	if (proto == CH_HUB_MSGPACK) {
		ch_hub_mp_write_error(out, invocation_id, error);
		return;
	}
	put(out, json_pack("{s:i, s:s, s:s}", "type", CH_HUB_COMPLETION, "invocationId", invocation_id,
	                   "error", error));
}

void ch_hub_write_ping(ch_buf *out, ch_hub_proto proto)
{
	if (proto == CH_HUB_MSGPACK)
		ch_hub_mp_write_ping(out);
	else
		put(out, json_pack("{s:i}", "type", CH_HUB_PING));
}

void ch_hub_write_close(ch_buf *out, ch_hub_proto proto, const char *error, int allow_reconnect)
{
	if (proto == CH_HUB_MSGPACK) {
		ch_hub_mp_write_close(out, error, allow_reconnect);
		return;
	}
	json_t *j = json_pack("{s:i}", "type", CH_HUB_CLOSE);
	if (error)
		json_object_set_new(j, "error", json_string(error));
	json_object_set_new(j, "allowReconnect", json_boolean(allow_reconnect));
	put(out, j);
}
