/* Unit tests of the hub protocol reader's partial feeds: a record function
 * that stops the feed leaves the rest of the bytes to the caller (the hub
 * holds them while a connection is at its in-flight cap); and of the JSON
 * writers, which build the invocation and completion records by hand. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "hub/protocol.h"

typedef struct seen {
	char recs[16][32];
	int n, stop_after;
} seen;

static int record(void *ctx, const char *rec, size_t len)
{
	seen *s = ctx;
	snprintf(s->recs[s->n], sizeof s->recs[s->n], "%.*s", (int)len, rec);
	s->n++;
	return s->n == s->stop_after ? 2 : 0;
}

Test(reader, all_bytes_used_without_a_stop)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT};
	seen s = {.stop_after = -1};
	size_t used = 0;
	cr_assert_eq(ch_hub_reader_feed(&r, "a\x1e" "bb\x1e" "cc", 7, record, &s, &used), 0);
	cr_assert_eq(used, 7);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(ch_hub_reader_pending(&r), 2, "the partial record is kept");
	ch_hub_reader_free(&r);
}

Test(reader, a_stop_leaves_the_rest_to_the_caller)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT};
	seen s = {.stop_after = 2};
	const char *in = "one\x1e" "two\x1e" "three\x1e" "fo";
	size_t used = 0;
	cr_assert_eq(ch_hub_reader_feed(&r, in, strlen(in), record, &s, &used), 2, "the function's value");
	cr_assert_eq(used, 8, "up to and including the stopping record's separator");
	cr_assert_str_eq(s.recs[1], "two");
	cr_assert_eq(ch_hub_reader_pending(&r), 0);
	/* fed again later, the rest comes out in order */
	s.stop_after = -1;
	cr_assert_eq(ch_hub_reader_feed(&r, in + used, strlen(in) - used, record, &s, &used), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.recs[2], "three");
	cr_assert_eq(ch_hub_reader_pending(&r), 2);
	ch_hub_reader_free(&r);
}

Test(reader, a_stop_on_a_record_assembled_across_feeds)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT};
	seen s = {.stop_after = 1};
	size_t used = 99;
	cr_assert_eq(ch_hub_reader_feed(&r, "hel", 3, record, &s, &used), 0);
	cr_assert_eq(used, 3);
	cr_assert_eq(ch_hub_reader_feed(&r, "lo\x1e" "next\x1e", 8, record, &s, &used), 2);
	cr_assert_str_eq(s.recs[0], "hello");
	cr_assert_eq(used, 3);
	cr_assert_eq(ch_hub_reader_pending(&r), 0);
	ch_hub_reader_free(&r);
}

Test(reader, too_long_is_an_error)
{
	ch_hub_reader r = {.pending = CH_BUF_INIT};
	seen s = {.stop_after = -1};
	static char big[CH_HUB_MAX_MESSAGE + 2];
	memset(big, 'x', sizeof big);
	cr_assert_eq(ch_hub_reader_feed(&r, big, sizeof big, record, &s, NULL), -1);
	cr_assert_eq(s.n, 0);
	ch_hub_reader_free(&r);
}

/* The records the writers build by hand are the bytes jansson writes for the
 * same object, whatever path they take: a single object argument (kept for
 * the completion), other arguments, none, a target or id that needs escapes. */
static void expect_same(const ch_buf *got, json_t *want_obj)
{
	char *want = json_dumps(want_obj, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(want_obj);
	cr_assert_eq(got->len, strlen(want) + 1);
	cr_assert_eq(memcmp(got->data, want, strlen(want)), 0, "got %.*s, want %s", (int)got->len - 1, got->data, want);
	cr_assert_eq(got->data[got->len - 1], CH_HUB_RS);
	free(want);
}

static json_t *message(void)
{
	return json_pack("{s:I, s:s, s:o, s:f, s:[i, s], s:s}", "id", (json_int_t)42, "textMessage",
	                 "h\xc3\xa9 \"quoted\" \\ /slash\n", "media", json_null(), "real", 0.1, "list", 1, "x",
	                 "createdAt", "2026-12-05T13:53:09.000Z");
}

Test(writer, invocation_and_completion_are_jansson_s_bytes)
{
	json_t *m = message();
	json_t *args = json_pack("[O]", m);
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_invocation(&b, CH_HUB_JSON, "ReceiveMessage", args);
	expect_same(&b, json_pack("{s:i, s:s, s:O}", "type", 1, "target", "ReceiveMessage", "arguments", args));
	/* the completion of the same object: from the kept text, once */
	for (int i = 0; i < 2; i++) {
		ch_buf_reset(&b);
		ch_hub_write_result(&b, CH_HUB_JSON, "17", m);
		expect_same(&b, json_pack("{s:i, s:s, s:O}", "type", 3, "invocationId", "17", "result", m));
	}
	json_decref(args);
	/* several arguments, none, an id and a target that need escapes, a null result */
	json_t *two = json_pack("[I, i]", (json_int_t)7, 2);
	ch_buf_reset(&b);
	ch_hub_write_invocation(&b, CH_HUB_JSON, "ChatStatusChanged", two);
	expect_same(&b, json_pack("{s:i, s:s, s:O}", "type", 1, "target", "ChatStatusChanged", "arguments", two));
	json_decref(two);
	ch_buf_reset(&b);
	ch_hub_write_invocation(&b, CH_HUB_JSON, "Odd\"target\xc3\xa9", NULL);
	expect_same(&b, json_pack("{s:i, s:s, s:[]}", "type", 1, "target", "Odd\"target\xc3\xa9", "arguments"));
	ch_buf_reset(&b);
	ch_hub_write_result(&b, CH_HUB_JSON, "id\xc3\xa9\t", m);
	expect_same(&b, json_pack("{s:i, s:s, s:O}", "type", 3, "invocationId", "id\xc3\xa9\t", "result", m));
	ch_buf_reset(&b);
	ch_hub_write_result(&b, CH_HUB_JSON, "x", NULL);
	expect_same(&b, json_pack("{s:i, s:s, s:n}", "type", 3, "invocationId", "x", "result"));
	/* another object (equal, but not the one kept) is serialised, not taken from the kept text */
	json_t *args2 = json_pack("[O]", m);
	ch_buf_reset(&b);
	ch_hub_write_invocation(&b, CH_HUB_JSON, "ReceiveMessage", args2);
	json_decref(args2);
	json_t *other = message();
	ch_buf_reset(&b);
	ch_hub_write_result(&b, CH_HUB_JSON, "18", other);
	expect_same(&b, json_pack("{s:i, s:s, s:O}", "type", 3, "invocationId", "18", "result", other));
	json_decref(other);
	json_decref(m);
	ch_buf_free(&b);
}
