/* Unit tests of the MessagePack hub protocol: JSON ↔ MessagePack round trips,
 * the limits a record must keep (declared sizes, depth, keys, strings), the
 * messages the hub reads, the writers, and the length-prefixed framing. */
#include <criterion/criterion.h>
#include <string.h>

#include "hub/msgpack.h"
#include "hub/protocol.h"

static json_t *roundtrip(json_t *in)
{
	ch_buf b = CH_BUF_INIT;
	char err[200];
	json_t *out = NULL;
	ch_hub_mp_pack_json(&b, in);
	cr_assert_eq(ch_hub_mp_to_json(b.data, b.len, &out, err, sizeof err), CH_OK, "%s", err);
	ch_buf_free(&b);
	return out;
}

Test(msgpack, json_values_round_trip)
{
	json_t *in = json_loads("{\"id\":12,\"neg\":-70000,\"big\":9007199254740993,\"text\":\"héllo ✓ €\","
	                        "\"f\":1.5,\"ok\":true,\"no\":false,\"nil\":null,\"list\":[1,[2,[3,{}]],\"x\",[]],"
	                        "\"nested\":{\"a\":{\"b\":{\"c\":\"d\"}}},\"empty\":\"\"}", 0, NULL);
	cr_assert_not_null(in);
	json_t *out = roundtrip(in);
	cr_assert(json_equal(in, out), "round trip: %s", json_dumps(out, JSON_COMPACT));
	json_decref(in);
	json_decref(out);
	/* longer strings and containers take the 16-bit forms (32-bit ones exceed a message) */
	json_t *arr = json_array();
	for (int i = 0; i < 20000; i++)
		json_array_append_new(arr, json_integer(i));
	char s300[301];
	memset(s300, 'y', 300);
	s300[300] = '\0';
	json_array_append_new(arr, json_string(s300));
	json_t *out2 = roundtrip(arr);
	cr_assert(json_equal(arr, out2));
	json_decref(arr);
	json_decref(out2);
}

static ch_err parse_bytes(const char *b, size_t n, json_t **out, char *err)
{
	return ch_hub_mp_to_json(b, n, out, err, 200);
}

#define REFUSED(bytes, why)                                                                                       \
	do {                                                                                                          \
		json_t *o_ = NULL;                                                                                    \
		char e_[200] = "";                                                                                    \
		cr_assert_eq(parse_bytes(bytes, sizeof bytes - 1, &o_, e_), CH_ERR_BAD_JSON, "accepted: %s", why);  \
		cr_assert_null(o_);                                                                                   \
		cr_assert(strstr(e_, why), "reason \"%s\" lacks \"%s\"", e_, why);                                    \
	} while (0)

Test(msgpack, declared_sizes_beyond_the_record_are_refused_before_any_allocation)
{
	REFUSED("\xdd\xff\xff\xff\xff\x01", "more elements than the record holds");  /* array32 of 4 billion */
	REFUSED("\xdf\x7f\xff\xff\xff\x01\x02", "more elements than the record holds"); /* map32 */
	REFUSED("\xdc\x03\xe8\x01\x02\x03", "more elements than the record holds");   /* array16 of 1,000 */
	REFUSED("\xdb\xff\xff\xff\xff" "abc", "truncated");                            /* str32 */
	REFUSED("\xc6\x00\x10\x00\x00" "ab", "truncated");                             /* bin32 */
	REFUSED("\x92\x01", "more elements");                                          /* 2 declared, 1 there */
	REFUSED("\x91\x01\x02", "bytes after the value");
	REFUSED("\xc1", "unused type byte");
	REFUSED("", "empty");
}

Test(msgpack, depth_is_bounded)
{
	char deep[CH_HUB_MP_MAX_DEPTH + 2];
	memset(deep, 0x91, sizeof deep - 1); /* [[[[...1]]]] */
	deep[sizeof deep - 1] = 0x01;
	json_t *o = NULL;
	char err[200];
	cr_assert_eq(ch_hub_mp_to_json(deep, sizeof deep, &o, err, sizeof err), CH_ERR_BAD_JSON);
	cr_assert(strstr(err, "nested too deeply"), "%s", err);
	/* one level less is fine */
	cr_assert_eq(ch_hub_mp_to_json(deep + 1, sizeof deep - 1, &o, err, sizeof err), CH_OK, "%s", err);
	json_decref(o);
}

Test(msgpack, what_json_cannot_hold_is_refused)
{
	REFUSED("\x81\x01\x02", "not a string");                  /* {1: 2} */
	REFUSED("\x82\xa1k\x01\xa1k\x02", "given twice");         /* {"k":1,"k":2} */
	REFUSED("\xa2\xc3\x28", "not UTF-8");                     /* invalid UTF-8 */
	REFUSED("\xa3" "a\0b", "NUL");                            /* NUL in a string */
	REFUSED("\x81\xa2\xff\xfe\x01", "not UTF-8");             /* a key that is not UTF-8 */
	REFUSED("\xd6\xff\x00\x00\x00\x01", "extension");         /* timestamp ext */
	REFUSED("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", "2^63");  /* uint64 max */
	REFUSED("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", "finite"); /* NaN */
}

Test(msgpack, bin_becomes_base64_and_floats_stay_real)
{
	json_t *o = NULL;
	char err[200];
	cr_assert_eq(ch_hub_mp_to_json("\xc4\x03" "abc", 5, &o, err, sizeof err), CH_OK, "%s", err);
	cr_assert_str_eq(json_string_value(o), "YWJj");
	json_decref(o);
	cr_assert_eq(ch_hub_mp_to_json("\xca\x3f\xc0\x00\x00", 5, &o, err, sizeof err), CH_OK, "%s", err); /* float32 1.5 */
	cr_assert(json_is_real(o) && json_real_value(o) == 1.5);
	json_decref(o);
}

Test(msgpack, an_invocation_as_the_hub_reads_it)
{
	/* [1, {}, "xyz", "method", [42, null, {"chats": {}}]] */
	const char rec[] = "\x95\x01\x80\xa3xyz\xa6method\x93\x2a\xc0\x81\xa5" "chats\x80";
	ch_hub_msg m;
	char err[200];
	cr_assert_eq(ch_hub_msg_parse(CH_HUB_MSGPACK, rec, sizeof rec - 1, &m, err, sizeof err), CH_OK, "%s", err);
	cr_assert_eq(m.type, CH_HUB_INVOCATION);
	cr_assert_str_eq(m.invocation_id, "xyz");
	cr_assert_str_eq(m.target, "method");
	cr_assert_eq(json_array_size(m.args), 3);
	cr_assert_eq(json_integer_value(json_array_get(m.args, 0)), 42);
	cr_assert(json_is_null(json_array_get(m.args, 1)));
	ch_hub_msg_free(&m);
	/* non-blocking (nil id) with headers and stream ids, as the spec's example */
	const char nb[] = "\x96\x01\x82\xa1x\xa1y\xa1z\xa1z\xc0\xa6method\x91\x2a\x90";
	cr_assert_eq(ch_hub_msg_parse(CH_HUB_MSGPACK, nb, sizeof nb - 1, &m, err, sizeof err), CH_OK, "%s", err);
	cr_assert_null(m.invocation_id);
	ch_hub_msg_free(&m);
	/* a ping, a close */
	cr_assert_eq(ch_hub_msg_parse(CH_HUB_MSGPACK, "\x91\x06", 2, &m, err, sizeof err), CH_OK);
	cr_assert_eq(m.type, CH_HUB_PING);
	ch_hub_msg_free(&m);
	/* malformed invocations */
	const char *bad[] = {"\x94\x01\x80\xc0\xa1m", "\x95\x01\x80\x05\xa1m\x90", "\x95\x01\x90\xc0\xa1m\x90",
	                     "\x95\x01\x80\xc0\x01\x90", "\x95\x01\x80\xc0\xa1m\x80", "\x81\xa1t\x01", "\x90"};
	const size_t badlen[] = {6, 7, 7, 6, 7, 4, 1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(ch_hub_msg_parse(CH_HUB_MSGPACK, bad[i], badlen[i], &m, err, sizeof err), CH_ERR_BAD_JSON,
		             "bad message %zu accepted", i);
}

Test(msgpack, writers_match_the_specification)
{
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_ping(&b, CH_HUB_MSGPACK);
	cr_assert_eq(b.len, 3);
	cr_assert(!memcmp(b.data, "\x02\x91\x06", 3));
	ch_buf_reset(&b);
	ch_hub_write_error(&b, CH_HUB_MSGPACK, "xyz", "Error");
	const char err_rec[] = "\x0e\x95\x03\x80\xa3xyz\x01\xa5" "Error";
	cr_assert_eq(b.len, sizeof err_rec - 1);
	cr_assert(!memcmp(b.data, err_rec, b.len));
	ch_buf_reset(&b);
	json_t *v = json_integer(42);
	ch_hub_write_result(&b, CH_HUB_MSGPACK, "xyz", v);
	json_decref(v);
	const char res_rec[] = "\x09\x95\x03\x80\xa3xyz\x03\x2a";
	cr_assert(b.len == sizeof res_rec - 1 && !memcmp(b.data, res_rec, b.len));
	ch_buf_reset(&b);
	ch_hub_write_result(&b, CH_HUB_MSGPACK, "xyz", NULL); /* null: kind 3 with nil, like JSON's "result":null */
	cr_assert(b.len == 10 && !memcmp(b.data, "\x09\x95\x03\x80\xa3xyz\x03\xc0", 10));
	ch_buf_reset(&b);
	ch_hub_write_close(&b, CH_HUB_MSGPACK, "token revoked", 0);
	cr_assert(b.len == 18 && !memcmp(b.data, "\x11\x93\x07\xad" "token revoked\xc2", b.len));
	ch_buf_reset(&b);
	json_t *args = json_pack("[I, s]", (json_int_t)5, "online");
	ch_hub_write_invocation(&b, CH_HUB_MSGPACK, "OperatorPresence", args);
	json_decref(args);
	/* framed: length, then [1, {}, nil, target, args, []] */
	cr_assert_eq((unsigned char)b.data[0], b.len - 1);
	cr_assert(!memcmp(b.data + 1, "\x96\x01\x80\xc0\xb0OperatorPresence\x92\x05\xa6online\x90", b.len - 1));
	ch_buf_free(&b);
}

typedef struct seen {
	int n;
	size_t lens[8];
	int stop_after;
} seen;

static int on_rec(void *ctx, const char *rec, size_t len)
{
	seen *s = ctx;
	(void)rec;
	s->lens[s->n++] = len;
	return s->n == s->stop_after ? 2 : 0;
}

Test(msgpack, framing_across_feeds_and_limits)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT, .binary = 1};
	seen s = {.stop_after = -1};
	/* a 200-byte record: a two-byte prefix 0xc8 0x01, split everywhere */
	char in[2 + 200 + 3];
	in[0] = (char)0xc8;
	in[1] = 0x01;
	memset(in + 2, 'x', 200);
	memcpy(in + 202, "\x02\x91\x06", 3);
	for (size_t i = 0; i < sizeof in; i++) {
		size_t used = 0;
		cr_assert_eq(ch_hub_reader_feed(&r, in + i, 1, on_rec, &s, &used), 0);
		cr_assert_eq(used, 1);
	}
	cr_assert_eq(s.n, 2);
	cr_assert_eq(s.lens[0], 200);
	cr_assert_eq(s.lens[1], 2);
	cr_assert_eq(ch_hub_reader_pending(&r), 0);
	/* a stop leaves the rest to the caller */
	s = (seen){.stop_after = 1};
	size_t used = 0;
	cr_assert_eq(ch_hub_reader_feed(&r, "\x01\x06\x01\x06", 4, on_rec, &s, &used), 2);
	cr_assert_eq(used, 2);
	/* a length over the limit, and a prefix of more than five bytes: errors */
	cr_assert_eq(ch_hub_reader_feed(&r, "\x81\x80\x05", 3, on_rec, &s, NULL), -1); /* 81,920 */
	ch_hub_reader_free(&r);
	ch_hub_reader r2 = {.pending = CH_BUF_INIT, .binary = 1};
	cr_assert_eq(ch_hub_reader_feed(&r2, "\x80\x80\x80\x80\x80\x01", 6, on_rec, &s, NULL), -1);
	ch_hub_reader_free(&r2);
}

Test(msgpack, the_handshake_names_either_protocol)
{
	ch_hub_proto p;
	char err[200];
	const char *mp = "{\"protocol\":\"messagepack\",\"version\":1}";
	cr_assert_eq(ch_hub_handshake_parse(mp, strlen(mp), &p, err, sizeof err), CH_OK);
	cr_assert_eq(p, CH_HUB_MSGPACK);
	const char *js = "{\"protocol\":\"json\",\"version\":1}";
	cr_assert_eq(ch_hub_handshake_parse(js, strlen(js), &p, err, sizeof err), CH_OK);
	cr_assert_eq(p, CH_HUB_JSON);
	const char *v2 = "{\"protocol\":\"messagepack\",\"version\":2}";
	cr_assert_eq(ch_hub_handshake_parse(v2, strlen(v2), &p, err, sizeof err), CH_ERR_BAD_JSON);
	cr_assert(strstr(err, "version 2 of the 'messagepack' protocol"), "%s", err);
}
