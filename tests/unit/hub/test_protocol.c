/* Unit tests of the hub protocol reader's partial feeds: a record function
 * that stops the feed leaves the rest of the bytes to the caller (the hub
 * holds them while a connection is at its in-flight cap). */
#include <criterion/criterion.h>
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
