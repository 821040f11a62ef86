/* libFuzzer target: the hub's SignalR framing, handshake and message parsers,
 * JSON and MessagePack. Any bytes, split into frames at arbitrary points,
 * must never crash, leak or read out of bounds, and every parsed message must
 * be writable back in both protocols. The first record is the handshake (JSON
 * text); when it names "messagepack", or when the input's first byte says
 * so, what follows is read with the length-prefixed binary framing, as the
 * hub does. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hub/msgpack.h"
#include "hub/protocol.h"

typedef struct state {
	ch_hub_reader *r;
	int n, force_binary;
	ch_hub_proto proto;
} state;

static void write_back(const ch_hub_msg *m)
{
	ch_buf out = CH_BUF_INIT;
	for (int p = CH_HUB_JSON; p <= CH_HUB_MSGPACK; p++) {
		if (m->type == CH_HUB_INVOCATION && m->target) {
			ch_hub_write_invocation(&out, p, m->target, m->args);
			ch_hub_write_result(&out, p, m->invocation_id, m->args);
			ch_hub_write_error(&out, p, m->invocation_id, m->target);
		}
		ch_hub_write_close(&out, p, m->target, 1);
	}
	ch_buf_free(&out);
}

static int on_record(void *ctx, const char *rec, size_t len)
{
	char err[200];
	state *s = ctx;
	if (s->n++ == 0) {
		if (ch_hub_handshake_parse(rec, len, &s->proto, err, sizeof err) != CH_OK)
			s->proto = CH_HUB_JSON;
		if (s->force_binary)
			s->proto = CH_HUB_MSGPACK;
		if (s->proto == CH_HUB_MSGPACK) {
			s->r->binary = 1;
			return 3; /* the rest in the other framing */
		}
		return 0;
	}
	ch_hub_msg m;
	if (ch_hub_msg_parse(s->proto, rec, len, &m, err, sizeof err) == CH_OK) {
		write_back(&m);
		ch_hub_msg_free(&m);
	}
	if (s->proto == CH_HUB_MSGPACK) { /* any value, converted and packed again */
		json_t *v = NULL;
		if (ch_hub_mp_to_json(rec, len, &v, err, sizeof err) == CH_OK) {
			ch_buf b = CH_BUF_INIT;
			ch_hub_mp_pack_json(&b, v);
			ch_buf_free(&b);
			json_decref(v);
		}
	}
	return 0;
}

/* Feeds like the hub: a reframing stop continues with the rest. */
static int feed(state *s, const char *data, size_t len)
{
	size_t used = 0;
	int rc = ch_hub_reader_feed(s->r, data, len, on_record, s, &used);
	while (rc == 3) {
		data += used;
		len -= used;
		rc = ch_hub_reader_feed(s->r, data, len, on_record, s, &used);
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT};
	state s = {.r = &r, .force_binary = size && (data[0] & 0x80)};
	/* the first byte decides where the input is cut into two "frames" */
	size_t cut = size ? data[0] % (size + 1) : 0;
	if (feed(&s, (const char *)data, cut) == 0)
		feed(&s, (const char *)data + cut, size - cut);
	ch_hub_reader_free(&r);
	return 0;
}
