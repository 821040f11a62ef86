/* protocol.c — SignalR JSON hub protocol v1 framing and messages (see
 * protocol.h). Strict parsing with jansson: duplicate keys rejected, UTF-8
 * checked, no NUL in strings. Threading: pure; any thread. */
#include "hub/protocol.h"

#include <stdio.h>
#include <string.h>

int ch_hub_reader_feed(ch_hub_reader *r, const char *data, size_t len, ch_hub_record_fn fn, void *ctx,
                       size_t *used)
{
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

ch_err ch_hub_handshake_parse(const char *rec, size_t len, char *err, size_t errlen)
{
	json_t *j = load(rec, len, err, errlen);
	if (!j)
		return CH_ERR_BAD_JSON;
	ch_err e = CH_ERR_BAD_JSON;
	json_t *p = json_object_get(j, "protocol"), *v = json_object_get(j, "version");
	if (!json_is_object(j))
		snprintf(err, errlen, "the handshake must be a JSON object");
	else if (!json_is_string(p))
		snprintf(err, errlen, "the handshake needs a protocol");
	else if (strcmp(json_string_value(p), "json"))
		snprintf(err, errlen, "The protocol '%.32s' is not supported.", json_string_value(p));
	else if (!json_is_integer(v) || json_integer_value(v) != 1)
		snprintf(err, errlen, "The server does not support version %lld of the 'json' protocol.",
		         json_is_integer(v) ? (long long)json_integer_value(v) : -1LL);
	else
		e = CH_OK;
	json_decref(j);
	return e;
}

ch_err ch_hub_msg_parse(const char *rec, size_t len, ch_hub_msg *out, char *err, size_t errlen)
{
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

static int append_to_buf(const char *p, size_t n, void *buf)
{
	ch_buf_append(buf, p, n);
	return 0;
}

/* Appends j (stolen), serialised straight into out (no intermediate
 * string), and the separator. */
static void put(ch_buf *out, json_t *j)
{
	size_t start = out->len;
	if (!j || json_dump_callback(j, append_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
		out->len = start;
		ch_buf_puts(out, "{}");
	}
	json_decref(j);
	char rs = CH_HUB_RS;
	ch_buf_append(out, &rs, 1);
}

void ch_hub_write_handshake(ch_buf *out, const char *error)
{
	put(out, error ? json_pack("{s:s}", "error", error) : json_object());
}

void ch_hub_write_invocation(ch_buf *out, const char *target, json_t *args)
{
	json_t *a = args ? json_incref(args) : json_array();
	put(out, json_pack("{s:i, s:s, s:o}", "type", CH_HUB_INVOCATION, "target", target, "arguments", a));
}

void ch_hub_write_result(ch_buf *out, const char *invocation_id, json_t *result)
{
	if (!invocation_id)
		return; /* a non-blocking invocation expects no completion */
	put(out, json_pack("{s:i, s:s, s:O}", "type", CH_HUB_COMPLETION, "invocationId", invocation_id,
	                   "result", result ? result : json_null()));
}

void ch_hub_write_error(ch_buf *out, const char *invocation_id, const char *error)
{
	if (!invocation_id)
		return;
	put(out, json_pack("{s:i, s:s, s:s}", "type", CH_HUB_COMPLETION, "invocationId", invocation_id,
	                   "error", error));
}

void ch_hub_write_ping(ch_buf *out) { put(out, json_pack("{s:i}", "type", CH_HUB_PING)); }

void ch_hub_write_close(ch_buf *out, const char *error, int allow_reconnect)
{
	json_t *j = json_pack("{s:i}", "type", CH_HUB_CLOSE);
	if (error)
		json_object_set_new(j, "error", json_string(error));
	json_object_set_new(j, "allowReconnect", json_boolean(allow_reconnect));
	put(out, j);
}
