/* msgpack.c — the SignalR MessagePack hub protocol (see msgpack.h). A record
 * is first walked byte by byte (structure, depth, declared sizes against the
 * bytes left), then unpacked with msgpack-c, whose allocations follow the
 * declared sizes the walk has bounded, then converted to jansson values.
 * Threading: pure; any thread. */
#include "hub/msgpack.h"

#include <msgpack.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

/* ---- the walk: one well-formed value, bounded ------------------------------ */

typedef struct walk {
	const unsigned char *p;
	size_t len, off;
	const char *why;
} walk;

static int need(walk *w, size_t n)
{
	if (w->len - w->off < n) {
		w->why = "truncated value";
		return -1;
	}
	return 0;
}

static uint64_t be(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Reads an n-byte big-endian size after the type byte. */
static int size_field(walk *w, size_t n, uint64_t *out)
{
	if (need(w, n))
		return -1;
	*out = be(w->p + w->off, n);
	w->off += n;
	return 0;
}

static int skip(walk *w, uint64_t n)
{
	if (need(w, 0) || n > w->len - w->off) {
		w->why = "truncated value";
		return -1;
	}
	w->off += (size_t)n;
	return 0;
}

static int walk_value(walk *w, int depth);

/* A container of n elements: each takes at least one byte, so a count larger
 * than the bytes left is a lie, refused before anything is allocated for it. */
static int walk_items(walk *w, uint64_t n, int depth)
{
	if (depth >= CH_HUB_MP_MAX_DEPTH) {
		w->why = "nested too deeply";
		return -1;
	}
	if (n > w->len - w->off) {
		w->why = "a container declares more elements than the record holds";
		return -1;
	}
	for (uint64_t i = 0; i < n; i++)
		if (walk_value(w, depth + 1))
			return -1;
	return 0;
}

static int walk_value(walk *w, int depth)
{
	if (need(w, 1))
		return -1;
	unsigned b = w->p[w->off++];
	uint64_t n = 0;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		return 0;
	if (b >= 0x80 && b <= 0x8f)
		return walk_items(w, 2 * (uint64_t)(b & 0x0f), depth);
	if (b >= 0x90 && b <= 0x9f)
		return walk_items(w, b & 0x0f, depth);
	if (b >= 0xa0 && b <= 0xbf)
		return skip(w, b & 0x1f);
	switch (b) {
	case 0xc4: case 0xd9: return size_field(w, 1, &n) || skip(w, n);
	case 0xc5: case 0xda: return size_field(w, 2, &n) || skip(w, n);
	case 0xc6: case 0xdb: return size_field(w, 4, &n) || skip(w, n);
	case 0xc7: return size_field(w, 1, &n) || skip(w, n + 1);
	case 0xc8: return size_field(w, 2, &n) || skip(w, n + 1);
	case 0xc9: return size_field(w, 4, &n) || skip(w, n + 1);
	case 0xca: return skip(w, 4);
	case 0xcb: return skip(w, 8);
	case 0xcc: case 0xd0: return skip(w, 1);
	case 0xcd: case 0xd1: return skip(w, 2);
	case 0xce: case 0xd2: return skip(w, 4);
	case 0xcf: case 0xd3: return skip(w, 8);
	case 0xd4: return skip(w, 2);
	case 0xd5: return skip(w, 3);
	case 0xd6: return skip(w, 5);
	case 0xd7: return skip(w, 9);
	case 0xd8: return skip(w, 17);
	case 0xdc: return size_field(w, 2, &n) || walk_items(w, n, depth);
	case 0xdd: return size_field(w, 4, &n) || walk_items(w, n, depth);
	case 0xde: return size_field(w, 2, &n) || walk_items(w, 2 * n, depth);
	case 0xdf: return size_field(w, 4, &n) || walk_items(w, 2 * n, depth);
	default: w->why = "an unused type byte (0xc1)"; return -1;
	}
}

/* Unpacks exactly one checked value of len bytes into u. */
static ch_err unpack(const char *data, size_t len, msgpack_unpacked *u, char *err, size_t errlen)
{
	walk w = {(const unsigned char *)data, len, 0, NULL};
	if (len > CH_HUB_MAX_MESSAGE)
		w.why = "larger than a message may be";
	else if (!len)
		w.why = "empty";
	else if (!walk_value(&w, 0) && w.off != len)
		w.why = "bytes after the value";
	if (w.why) {
		snprintf(err, errlen, "malformed MessagePack: %s", w.why);
		return CH_ERR_BAD_JSON;
	}
	size_t off = 0;
	msgpack_unpacked_init(u);
	if (msgpack_unpack_next(u, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
		msgpack_unpacked_destroy(u);
		snprintf(err, errlen, "malformed MessagePack");
		return CH_ERR_BAD_JSON;
	}
	return CH_OK;
}

/* ---- MessagePack → JSON -------------------------------------------------------- */

static const char *conv(const msgpack_object *o, json_t **out, int depth);

static const char *str_json(const char *p, size_t n, json_t **out)
{
	if (!ch_utf8_valid(p, n))
		return "a string that is not UTF-8 (or holds NUL)";
	*out = json_stringn(p, n);
	return *out ? NULL : "a string that is not UTF-8";
}

/* bin has no JSON form: the type mappings of the protocol make it base64. */
static const char *bin_json(const char *p, size_t n, json_t **out)
{
	size_t cap = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);
	char *s = ch_xmalloc(cap);
	sodium_bin2base64(s, cap, (const unsigned char *)p, n, sodium_base64_VARIANT_ORIGINAL);
	*out = json_string(s);
	free(s);
	return NULL;
}

static const char *map_json(const msgpack_object_map *m, json_t **out, int depth)
{
	json_t *obj = json_object();
	for (uint32_t i = 0; i < m->size; i++) {
		const msgpack_object *k = &m->ptr[i].key;
		json_t *v = NULL;
		const char *why = NULL;
		if (k->type != MSGPACK_OBJECT_STR)
			why = "a map key that is not a string";
		else if (!ch_utf8_valid(k->via.str.ptr, k->via.str.size))
			why = "a map key that is not UTF-8 (or holds NUL)";
		else if (json_object_getn(obj, k->via.str.ptr, k->via.str.size))
			why = "a map key given twice";
		else
			why = conv(&m->ptr[i].val, &v, depth + 1);
		if (why) {
			json_decref(obj);
			return why;
		}
		json_object_setn_new_nocheck(obj, k->via.str.ptr, k->via.str.size, v);
	}
	*out = obj;
	return NULL;
}

static const char *conv(const msgpack_object *o, json_t **out, int depth)
{
	*out = NULL;
	if (depth > CH_HUB_MP_MAX_DEPTH)
		return "nested too deeply";
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: *out = json_null(); return NULL;
	case MSGPACK_OBJECT_BOOLEAN: *out = json_boolean(o->via.boolean); return NULL;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return "an integer above 2^63 - 1";
		*out = json_integer((json_int_t)o->via.u64);
		return NULL;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: *out = json_integer((json_int_t)o->via.i64); return NULL;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = json_real(o->via.f64); /* NULL for NaN and infinities, which JSON lacks */
		return *out ? NULL : "a float that is not finite";
	case MSGPACK_OBJECT_STR: return str_json(o->via.str.ptr, o->via.str.size, out);
	case MSGPACK_OBJECT_BIN: return bin_json(o->via.bin.ptr, o->via.bin.size, out);
	case MSGPACK_OBJECT_ARRAY: {
		json_t *a = json_array();
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			json_t *v;
			const char *why = conv(&o->via.array.ptr[i], &v, depth + 1);
			if (why) {
				json_decref(a);
				return why;
			}
			json_array_append_new(a, v);
		}
		*out = a;
		return NULL;
	}
	case MSGPACK_OBJECT_MAP: return map_json(&o->via.map, out, depth);
	default: return "an extension type";
	}
}

ch_err ch_hub_mp_to_json(const char *data, size_t len, json_t **out, char *err, size_t errlen)
{
	msgpack_unpacked u;
	*out = NULL;
	ch_err e = unpack(data, len, &u, err, errlen);
	if (e)
		return e;
	const char *why = conv(&u.data, out, 0);
	msgpack_unpacked_destroy(&u);
	if (why) {
		snprintf(err, errlen, "malformed MessagePack: %s", why);
		return CH_ERR_BAD_JSON;
	}
	return CH_OK;
}

/* ---- messages ------------------------------------------------------------------- */

static const char *invocation(const msgpack_object_array *a, json_t *root)
{
	if (a->size < 5)
		return "an invocation is [type, headers, invocationId, target, arguments]";
	const msgpack_object *id = &a->ptr[2], *target = &a->ptr[3], *args = &a->ptr[4];
	json_t *v;
	const char *why;
	if (a->ptr[1].type != MSGPACK_OBJECT_MAP)
		return "the headers must be a map";
	if (id->type != MSGPACK_OBJECT_NIL) {
		if (id->type != MSGPACK_OBJECT_STR)
			return "invocationId must be a string";
		if ((why = str_json(id->via.str.ptr, id->via.str.size, &v)))
			return why;
		json_object_set_new(root, "invocationId", v);
	}
	if (target->type != MSGPACK_OBJECT_STR || args->type != MSGPACK_OBJECT_ARRAY)
		return "an invocation needs a string target and an arguments array";
	if ((why = str_json(target->via.str.ptr, target->via.str.size, &v)))
		return why;
	json_object_set_new(root, "target", v);
	if ((why = conv(args, &v, 1)))
		return why;
	json_object_set_new(root, "arguments", v);
	return NULL;
}

ch_err ch_hub_mp_msg_parse(const char *rec, size_t len, ch_hub_msg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	msgpack_unpacked u;
	ch_err e = unpack(rec, len, &u, err, errlen);
	if (e)
		return e;
	const msgpack_object *o = &u.data;
	const char *why = NULL;
	json_t *root = json_object();
	if (o->type != MSGPACK_OBJECT_ARRAY || !o->via.array.size ||
	    o->via.array.ptr[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.array.ptr[0].via.u64 > 1000)
		why = "a message must be an array that starts with its type";
	else {
		out->type = (int)o->via.array.ptr[0].via.u64;
		json_object_set_new(root, "type", json_integer(out->type));
		if (out->type == CH_HUB_INVOCATION || out->type == CH_HUB_STREAM_INVOCATION)
			why = invocation(&o->via.array, root);
	}
	msgpack_unpacked_destroy(&u);
	if (why) {
		json_decref(root);
		memset(out, 0, sizeof *out);
		snprintf(err, errlen, "malformed MessagePack message: %s", why);
		return CH_ERR_BAD_JSON;
	}
	json_t *id = json_object_get(root, "invocationId");
	out->invocation_id = id ? json_string_value(id) : NULL;
	out->target = json_string_value(json_object_get(root, "target"));
	out->args = json_object_get(root, "arguments");
	out->root = root;
	return CH_OK;
}

/* ---- JSON → MessagePack, and the writers ---------------------------------------- */

static int to_buf(void *data, const char *p, size_t n)
{
	ch_buf_append(data, p, n);
	return 0;
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

static void pack(msgpack_packer *pk, json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: {
		const char *k;
		json_t *x;
		msgpack_pack_map(pk, json_object_size(v));
		json_object_foreach(v, k, x) {
			pack_str(pk, k, strlen(k));
			pack(pk, x);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		msgpack_pack_array(pk, json_array_size(v));
		json_array_foreach(v, i, x) pack(pk, x);
		break;
	}
	case JSON_STRING: pack_str(pk, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: msgpack_pack_int64(pk, json_integer_value(v)); break;
	case JSON_REAL: msgpack_pack_double(pk, json_real_value(v)); break;
	case JSON_TRUE: msgpack_pack_true(pk); break;
	case JSON_FALSE: msgpack_pack_false(pk); break;
	default: msgpack_pack_nil(pk); break;
	}
}

void ch_hub_mp_pack_json(ch_buf *out, json_t *v)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, to_buf);
	pack(&pk, v);
}

/* The VarInt length prefix, then the body. */
static void frame(ch_buf *out, const ch_buf *body)
{
	unsigned char hdr[5];
	size_t n = 0, len = body->len;
	do {
		hdr[n] = (unsigned char)(len & 0x7f);
		len >>= 7;
		if (len)
			hdr[n] |= 0x80;
		n++;
	} while (len && n < sizeof hdr);
	ch_buf_append(out, hdr, n);
	ch_buf_append(out, body->data, body->len);
}

/* [type, {} (headers), invocationId] — the start every completion shares. */
static void completion_head(msgpack_packer *pk, size_t items, const char *invocation_id)
{
	msgpack_pack_array(pk, items);
	msgpack_pack_int(pk, CH_HUB_COMPLETION);
	msgpack_pack_map(pk, 0);
	pack_str(pk, invocation_id, strlen(invocation_id));
}

void ch_hub_mp_write_invocation(ch_buf *out, const char *target, json_t *args)
{
	ch_buf b = CH_BUF_INIT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, &b, to_buf);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_int(&pk, CH_HUB_INVOCATION);
	msgpack_pack_map(&pk, 0);
	msgpack_pack_nil(&pk); /* no invocationId: the server expects no answer */
	pack_str(&pk, target, strlen(target));
	if (args)
		pack(&pk, args);
	else
		msgpack_pack_array(&pk, 0);
	msgpack_pack_array(&pk, 0); /* stream ids */
	frame(out, &b);
	ch_buf_free(&b);
}

void ch_hub_mp_write_result(ch_buf *out, const char *invocation_id, json_t *result)
{
	if (!invocation_id)
		return;
	ch_buf b = CH_BUF_INIT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, &b, to_buf);
	/* a result kind of 3 with nil, not the void kind 2: JSON's "result":null */
	completion_head(&pk, 5, invocation_id);
	msgpack_pack_int(&pk, 3);
	pack(&pk, result);
	frame(out, &b);
	ch_buf_free(&b);
}

void ch_hub_mp_write_error(ch_buf *out, const char *invocation_id, const char *error)
{
	if (!invocation_id)
		return;
	ch_buf b = CH_BUF_INIT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, &b, to_buf);
	completion_head(&pk, 5, invocation_id);
	msgpack_pack_int(&pk, 1);
	pack_str(&pk, error, strlen(error));
	frame(out, &b);
	ch_buf_free(&b);
}

void ch_hub_mp_write_ping(ch_buf *out) { ch_buf_append(out, "\x02\x91\x06", 3); }

void ch_hub_mp_write_close(ch_buf *out, const char *error, int allow_reconnect)
{
	ch_buf b = CH_BUF_INIT;
	msgpack_packer pk;
	msgpack_packer_init(&pk, &b, to_buf);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, CH_HUB_CLOSE);
	if (error)
		pack_str(&pk, error, strlen(error));
	else
		msgpack_pack_nil(&pk);
	if (allow_reconnect)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	frame(out, &b);
	ch_buf_free(&b);
}
