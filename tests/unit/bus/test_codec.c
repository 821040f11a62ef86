/* bus/codec.c: events survive the round trip, concatenated chunks decode as
 * one payload, exclusions only hold on the node they name, channel messages
 * parse back, and truncated or garbled bytes are refused without a crash. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bus/codec.h"

#define SELF "node-a"

static ch_event *sample(int n)
{
	ch_event *list = NULL;
	for (int i = 0; i < n; i++) {
		ch_event *e = ch_event_new(i % 3, (unsigned)(1 + i % 31), i % 2 ? "ReceiveMessage" : "ChatCreated",
		                           json_pack("[I, s, {s:i}]", (json_int_t)(1000 + i), "héllo \"x\"", "seq", i));
		e->company_id = 7 + i, e->org_id = 12, e->client_id = 345, e->operator_id = -1;
		e->epoch = 1700000000123LL, e->key_id = 99;
		e->exclude_conn = i % 2 ? 88 : 0;
		e->chat_id = i % 3 ? 991 + i : 0, e->seq = i % 2 ? 5000000000LL + i : 0;
		ch_event_append(&list, e);
	}
	return list;
}

static void same(const ch_event *a, const ch_event *b, int excl)
{
	cr_assert_eq(a->kind, b->kind);
	cr_assert_eq(a->audience, b->audience);
	cr_assert_eq(a->company_id, b->company_id);
	cr_assert_eq(a->org_id, b->org_id);
	cr_assert_eq(a->client_id, b->client_id);
	cr_assert_eq(a->operator_id, b->operator_id);
	cr_assert_eq(a->epoch, b->epoch);
	cr_assert_eq(a->key_id, b->key_id);
	cr_assert_eq(b->exclude_conn, excl ? a->exclude_conn : 0);
	cr_assert_eq(a->chat_id, b->chat_id);
	cr_assert_eq(a->seq, b->seq);
	cr_assert_str_eq(a->target, b->target);
	cr_assert(json_equal(a->args, b->args));
}

Test(codec, round_trip_and_exclusion)
{
	ch_event *in = sample(5);
	ch_buf b = CH_BUF_INIT;
	ch_bus_encode(in, SELF, &b);
	ch_event *out;
	cr_assert_eq(ch_bus_decode(b.data, b.len, SELF, &out), 0);
	const ch_event *x = in, *y = out;
	for (; x && y; x = x->next, y = y->next)
		same(x, y, 1);
	cr_assert(!x && !y);
	ch_event_free_list(out);
	/* elsewhere the sender's connection id names nobody */
	cr_assert_eq(ch_bus_decode(b.data, b.len, "node-b", &out), 0);
	for (x = in, y = out; x && y; x = x->next, y = y->next)
		same(x, y, 0);
	ch_event_free_list(out);
	ch_event_free_list(in);
	ch_buf_free(&b);
}

Test(codec, chunks_concatenate)
{
	ch_event *a = sample(2), *c = sample(3);
	ch_buf b = CH_BUF_INIT;
	ch_bus_encode(a, SELF, &b);
	ch_bus_encode(NULL, SELF, &b); /* an eventless job writes nothing */
	ch_bus_encode(c, SELF, &b);
	ch_event *out;
	cr_assert_eq(ch_bus_decode(b.data, b.len, SELF, &out), 0);
	int n = 0;
	for (ch_event *e = out; e; e = e->next)
		n++;
	cr_assert_eq(n, 5);
	ch_event_free_list(out);
	cr_assert_eq(ch_bus_decode("", 0, SELF, &out), 0);
	cr_assert_null(out);
	ch_event_free_list(a);
	ch_event_free_list(c);
	ch_buf_free(&b);
}

static void put_le(unsigned char **p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

/* What the previous version wrote ("CHE1": no chat, no seq) still decodes,
 * with both 0, also mixed with a current chunk in one batch: a rolling
 * upgrade has both kinds of process on one bus. */
Test(codec, previous_version_decodes)
{
	unsigned char v1[128], *p = v1;
	memcpy(p, "CHE1", 4), p += 4;
	put_le(&p, 1, 4);
	put_le(&p, CH_EV_INVOKE, 1);
	put_le(&p, 5, 4);
	const int64_t ids[] = {7, 12, 345, 0, 0, 0};
	for (int i = 0; i < 6; i++)
		put_le(&p, (uint64_t)ids[i], 8);
	put_le(&p, 88, 8);
	put_le(&p, strlen(SELF), 1);
	memcpy(p, SELF, strlen(SELF)), p += strlen(SELF);
	put_le(&p, 14, 2);
	memcpy(p, "ReceiveMessage", 14), p += 14;
	put_le(&p, 9, 4);
	memcpy(p, "[{\"a\":1}]", 9), p += 9;
	size_t n1 = (size_t)(p - v1);
	ch_buf b = CH_BUF_INIT;
	ch_buf_append(&b, v1, n1);
	ch_event *cur = sample(2);
	ch_bus_encode(cur, SELF, &b);
	ch_event *out;
	cr_assert_eq(ch_bus_decode(b.data, b.len, SELF, &out), 0);
	cr_assert_not_null(out);
	cr_assert_str_eq(out->target, "ReceiveMessage");
	cr_assert_eq(out->company_id, 7);
	cr_assert_eq(out->client_id, 345);
	cr_assert_eq(out->exclude_conn, 88);
	cr_assert_eq(out->chat_id, 0);
	cr_assert_eq(out->seq, 0);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(out->args, 0), "a")), 1);
	same(cur, out->next, 1);
	same(cur->next, out->next->next, 1);
	cr_assert_null(out->next->next->next);
	ch_event_free_list(out);
	ch_event_free_list(cur);
	ch_buf_free(&b);
}

Test(codec, messages)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_msg m;
	ch_bus_msg_encode(&b, CH_BUS_MSG_BATCH, SELF, 42, "xyz", 3);
	cr_assert_eq(ch_bus_msg_parse(b.data, b.len, &m), 0);
	cr_assert_eq(m.type, CH_BUS_MSG_BATCH);
	cr_assert_str_eq(m.node, SELF);
	cr_assert_eq(m.seq, 42);
	cr_assert_eq(m.len, 3);
	cr_assert_eq(memcmp(m.payload, "xyz", 3), 0);
	b.len = 0;
	ch_bus_msg_encode(&b, CH_BUS_MSG_HEARTBEAT, SELF, 7, NULL, 0);
	cr_assert_eq(ch_bus_msg_parse(b.data, b.len, &m), 0);
	cr_assert_eq(m.type, CH_BUS_MSG_HEARTBEAT);
	cr_assert_eq(m.seq, 7);
	cr_assert_eq(ch_bus_msg_parse(b.data, b.len + 1 > b.len ? b.len - 1 : 0, &m), -1);
	b.len = 0;
	ch_bus_msg_encode(&b, CH_BUS_MSG_EPHEMERAL, SELF, 0, "p", 1);
	cr_assert_eq(ch_bus_msg_parse(b.data, b.len, &m), 0);
	cr_assert_eq(m.type, CH_BUS_MSG_EPHEMERAL);
	cr_assert_eq(m.len, 1);
	cr_assert_eq(ch_bus_msg_parse("CHX1\001a", 6, &m), -1);
	cr_assert_eq(ch_bus_msg_parse("CHH1\000", 5, &m), -1); /* no node */
	ch_buf_free(&b);
}

/* Every truncation of a valid payload is refused; random bit flips either
 * decode to something or are refused, and never crash (ASan build). */
Test(codec, truncated_and_garbled)
{
	ch_event *in = sample(4);
	ch_buf b = CH_BUF_INIT;
	ch_bus_encode(in, SELF, &b);
	ch_event *out;
	for (size_t n = 1; n < b.len; n++) {
		char *copy = malloc(n); /* exact size: ASan sees any overread */
		memcpy(copy, b.data, n);
		cr_assert_eq(ch_bus_decode(copy, n, SELF, &out), -1, "truncated at %zu", n);
		cr_assert_null(out);
		free(copy);
	}
	srand(12345);
	for (int round = 0; round < 20000; round++) {
		char *copy = malloc(b.len);
		memcpy(copy, b.data, b.len);
		int flips = 1 + rand() % 4;
		for (int i = 0; i < flips; i++)
			copy[rand() % b.len] ^= (char)(1 << (rand() % 8));
		if (ch_bus_decode(copy, b.len, SELF, &out) == 0)
			ch_event_free_list(out);
		ch_bus_msg m;
		(void)ch_bus_msg_parse(copy, b.len, &m);
		free(copy);
	}
	for (int round = 0; round < 2000; round++) { /* pure noise, after a right magic half the time */
		size_t n = (size_t)(rand() % 200);
		unsigned char *noise = malloc(n + 8);
		for (size_t i = 0; i < n + 8; i++)
			noise[i] = (unsigned char)rand();
		if (round % 2)
			memcpy(noise, "CHE1", 4);
		if (ch_bus_decode(noise, n + 8, SELF, &out) == 0)
			ch_event_free_list(out);
		free(noise);
	}
	cr_assert_eq(ch_bus_decode("CHE1\377\377\377\377", 8, SELF, &out), -1); /* too many events */
	cr_assert_eq(ch_bus_decode(b.data, (size_t)CH_BUS_PAYLOAD_MAX + 1, SELF, &out), -1);
	ch_event_free_list(in);
	ch_buf_free(&b);
}
