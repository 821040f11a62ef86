/* codec.c — the cluster bus's bytes (see codec.h for the layout and why).
 * Threading: pure functions, any thread. */
#include "bus/codec.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC_CHUNK "CHE2"
#define MAGIC_CHUNK_V1 "CHE1" /* without chat and seq: still read, for a rolling upgrade */
#define MAGIC_BATCH "CHB1"
#define MAGIC_BEAT "CHH1"
#define MAGIC_EPH "CHT1"

static void put_u8(ch_buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;
	ch_buf_append(b, &c, 1);
}

static void put_u(ch_buf *b, uint64_t v, unsigned n)
{
	unsigned char x[8];
	for (unsigned i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	ch_buf_append(b, x, n);
}

static void put_str8(ch_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > CH_BUS_NODE_MAX)
		n = CH_BUS_NODE_MAX;
	put_u8(b, (unsigned)n);
	ch_buf_append(b, s, n);
}

static void encode_event(ch_buf *b, const ch_event *e, const char *node_id)
{
	put_u8(b, (unsigned)e->kind);
	put_u(b, e->audience, 4);
	const int64_t ids[] = {e->company_id, e->org_id, e->client_id, e->operator_id, e->epoch, e->key_id};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		put_u(b, (uint64_t)ids[i], 8);
	put_u(b, e->exclude_conn, 8);
	put_str8(b, e->exclude_conn ? node_id : NULL);
	put_u(b, (uint64_t)e->chat_id, 8);
	put_u(b, (uint64_t)e->seq, 8);
	size_t tn = e->target ? strlen(e->target) : 0;
	if (tn > CH_BUS_TARGET_MAX)
		tn = CH_BUS_TARGET_MAX; /* targets are method names of ours, far shorter */
	put_u(b, tn, 2);
	ch_buf_append(b, e->target, tn);
	char *args = json_dumps(e->args ? e->args : json_array(), JSON_COMPACT | JSON_ENCODE_ANY);
	size_t an = args ? strlen(args) : 0;
	put_u(b, an, 4);
	ch_buf_append(b, args, an);
	free(args);
}

void ch_bus_encode(const ch_event *list, const char *node_id, ch_buf *out)
{
	uint32_t n = 0;
	for (const ch_event *e = list; e; e = e->next)
		n++;
	if (!n)
		return;
	ch_buf_append(out, MAGIC_CHUNK, 4);
	put_u(out, n, 4);
	for (const ch_event *e = list; e; e = e->next)
		encode_event(out, e, node_id);
}

/* ---- reading ------------------------------------------------------------ */

typedef struct rd {
	const unsigned char *p;
	size_t left;
	int bad;
} rd;

static const unsigned char *take(rd *r, size_t n)
{
	if (r->bad || n > r->left) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t get_u(rd *r, unsigned n)
{
	const unsigned char *p = take(r, n);
	uint64_t v = 0;
	for (unsigned i = 0; p && i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* A length-prefixed (u8) string of at most max bytes into out[max + 1]. */
static void get_str8(rd *r, char *out, size_t max)
{
	size_t n = (size_t)get_u(r, 1);
	const unsigned char *p = n <= max ? take(r, n) : NULL;
	if (n > max)
		r->bad = 1;
	if (p)
		memcpy(out, p, n);
	out[p ? n : 0] = '\0';
}

static ch_event *decode_event(rd *r, const char *self_node, int v2)
{
	unsigned kind = (unsigned)get_u(r, 1);
	unsigned aud = (unsigned)get_u(r, 4);
	int64_t ids[6];
	for (int i = 0; i < 6; i++)
		ids[i] = (int64_t)get_u(r, 8);
	uint64_t xconn = get_u(r, 8);
	char xnode[CH_BUS_NODE_MAX + 1];
	get_str8(r, xnode, CH_BUS_NODE_MAX);
	int64_t chat = v2 ? (int64_t)get_u(r, 8) : 0, seq = v2 ? (int64_t)get_u(r, 8) : 0;
	size_t tn = (size_t)get_u(r, 2);
	const unsigned char *t = tn <= CH_BUS_TARGET_MAX ? take(r, tn) : NULL;
	size_t an = (size_t)get_u(r, 4);
	const unsigned char *a = take(r, an);
	if (r->bad || !t || kind > CH_EV_CLOSE_CLIENT)
		return r->bad = 1, NULL;
	json_error_t jerr;
	json_t *args = json_loadb((const char *)a, an, 0, &jerr);
	if (!json_is_array(args)) {
		json_decref(args);
		return r->bad = 1, NULL;
	}
	char target[CH_BUS_TARGET_MAX + 1];
	memcpy(target, t, tn);
	target[tn] = '\0';
	ch_event *e = ch_event_new((ch_event_kind)kind, aud, target, args);
	e->company_id = ids[0], e->org_id = ids[1], e->client_id = ids[2], e->operator_id = ids[3];
	e->epoch = ids[4], e->key_id = ids[5];
	e->chat_id = chat, e->seq = seq;
	e->exclude_conn = xconn && self_node && xnode[0] && !strcmp(xnode, self_node) ? xconn : 0;
	return e;
}

int ch_bus_decode(const void *payload, size_t len, const char *self_node, ch_event **out)
{
	*out = NULL;
	if (len > CH_BUS_PAYLOAD_MAX || (len && !payload))
		return -1;
	rd r = {payload, len, 0};
	ch_event *list = NULL, **tail = &list;
	while (r.left && !r.bad) {
		const unsigned char *m = take(&r, 4);
		uint32_t n = (uint32_t)get_u(&r, 4);
		int v2 = m && !memcmp(m, MAGIC_CHUNK, 4);
		if (r.bad || (!v2 && memcmp(m, MAGIC_CHUNK_V1, 4)) || n == 0 || n > CH_BUS_EVENTS_MAX) {
			r.bad = 1;
			break;
		}
		for (uint32_t i = 0; i < n && !r.bad; i++) {
			ch_event *e = decode_event(&r, self_node, v2);
			if (e) {
				*tail = e;
				tail = &e->next;
			}
		}
	}
	if (r.bad) {
		ch_event_free_list(list);
		return -1;
	}
	*out = list;
	return 0;
}

/* ---- channel messages --------------------------------------------------- */

static const char *msg_magic(ch_bus_msg_type t)
{
	return t == CH_BUS_MSG_BATCH ? MAGIC_BATCH : t == CH_BUS_MSG_HEARTBEAT ? MAGIC_BEAT : MAGIC_EPH;
}

void ch_bus_msg_encode(ch_buf *out, ch_bus_msg_type type, const char *node, uint64_t seq, const void *payload,
                       size_t len)
{
	ch_buf_append(out, msg_magic(type), 4);
	put_str8(out, node);
	if (type != CH_BUS_MSG_EPHEMERAL)
		put_u(out, seq, 8);
	if (type != CH_BUS_MSG_HEARTBEAT)
		ch_buf_append(out, payload, len);
}

int ch_bus_msg_parse(const void *data, size_t len, ch_bus_msg *m)
{
	memset(m, 0, sizeof *m);
	rd r = {data, len, 0};
	const unsigned char *magic = take(&r, 4);
	if (!magic)
		return -1;
	if (!memcmp(magic, MAGIC_BATCH, 4))
		m->type = CH_BUS_MSG_BATCH;
	else if (!memcmp(magic, MAGIC_BEAT, 4))
		m->type = CH_BUS_MSG_HEARTBEAT;
	else if (!memcmp(magic, MAGIC_EPH, 4))
		m->type = CH_BUS_MSG_EPHEMERAL;
	else
		return -1;
	get_str8(&r, m->node, CH_BUS_NODE_MAX);
	if (m->type != CH_BUS_MSG_EPHEMERAL)
		m->seq = get_u(&r, 8);
	if (r.bad || !m->node[0])
		return -1;
	if (m->type == CH_BUS_MSG_HEARTBEAT)
		return r.left ? -1 : 0;
	m->payload = r.p;
	m->len = r.left;
	return 0;
}
