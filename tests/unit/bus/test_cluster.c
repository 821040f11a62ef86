/* bus/cluster.c: the apply rule per publisher — duplicates dropped, gaps
 * held and filled from a (fake) log, heartbeats ahead fill, rows missing from
 * the log skipped, own echoes ignored, exclusions resolved, the baseline, a
 * gone node read to its end and then ignored, a fill cut by its row limit. */
#include <criterion/criterion.h>
#include <string.h>

#include "bus/cluster.h"
#include "bus/codec.h"

#define SELF "self"
#define NODE "p1"

/* The fake log of NODE: payload of bseq i when present[i]. */
static ch_buf logrow[64];
static int present[64];
/* What was delivered: the client_id of every event (= the bseq it came in). */
static int64_t got[256];
static uint64_t got_excl[256];
static int ngot;
/* The fill asked for, answered by answer(). */
static struct {
	int asked;
	char node[70];
	uint64_t after, upto;
} fill;
static size_t row_limit = 1000;

static void deliver(void *ctx, ch_event *list)
{
	for (ch_event *e = list; e; e = e->next) {
		got_excl[ngot] = e->exclude_conn;
		got[ngot++] = e->client_id;
	}
	ch_event_free_list(list);
}

static void ask(void *ctx, const char *node, uint64_t after, uint64_t upto)
{
	cr_assert(!fill.asked, "one fill at a time");
	fill.asked = 1;
	snprintf(fill.node, sizeof fill.node, "%s", node);
	fill.after = after, fill.upto = upto;
}

static ch_cluster *c;

static void setup(void)
{
	memset(present, 0, sizeof present);
	memset(&fill, 0, sizeof fill);
	ngot = 0;
	row_limit = 1000;
	for (int i = 1; i < 64; i++) {
		ch_event *e = ch_event_new(CH_EV_INVOKE, CH_AUD_CLIENT, "T", NULL);
		e->client_id = i;
		e->exclude_conn = 5;
		logrow[i].len = 0;
		ch_bus_encode(e, i == 3 ? SELF : NODE, &logrow[i]); /* batch 3's sender is on this node */
		ch_event_free_list(e);
	}
	c = ch_cluster_new(SELF, &(ch_cluster_ops){.deliver = deliver, .fill = ask});
}

static void teardown(void)
{
	ch_cluster_free(c);
	for (int i = 1; i < 64; i++)
		ch_buf_free(&logrow[i]);
}

TestSuite(cluster, .init = setup, .fini = teardown);

static void live(uint64_t b) { ch_cluster_batch(c, NODE, b, logrow[b].data, logrow[b].len, 1000); }

/* Answers the pending fill from the fake log. */
static void answer(void)
{
	cr_assert(fill.asked);
	fill.asked = 0;
	ch_cluster_row rows[64];
	size_t n = 0;
	for (uint64_t b = fill.after + 1; b < 64 && b <= fill.upto && n < row_limit; b++)
		if (present[b])
			rows[n++] = (ch_cluster_row){b, logrow[b].data, logrow[b].len};
	int complete = n < row_limit;
	ch_cluster_fill_done(c, fill.node, fill.after, fill.upto, rows, n, complete, 1);
}

static void expect(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	cr_assert_eq(ngot, n, "delivered %d, expected %d", ngot, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(got[i], va_arg(ap, int), "event %d", i);
	va_end(ap);
}

Test(cluster, in_order_duplicates_and_first_seen)
{
	live(5); /* no baseline: starts at the first bseq seen */
	live(6);
	live(6);
	live(5);
	expect(2, 5, 6);
	cr_assert_eq(ch_cluster_applied(c, NODE), 6);
	cr_assert(!fill.asked);
}

Test(cluster, gap_is_held_and_filled)
{
	for (int b = 1; b <= 9; b++)
		present[b] = 1;
	live(1);
	live(4); /* 2, 3 lost on the way */
	live(5);
	expect(1, 1);
	cr_assert(fill.asked);
	cr_assert_eq(fill.after, 1);
	cr_assert_eq(fill.upto, 3);
	answer();
	expect(5, 1, 2, 3, 4, 5);
	cr_assert(!fill.asked);
	live(4);
	live(6);
	expect(6, 1, 2, 3, 4, 5, 6);
}

Test(cluster, exclusion_only_for_this_node)
{
	for (int b = 1; b <= 4; b++)
		live((uint64_t)b);
	expect(4, 1, 2, 3, 4);
	cr_assert_eq(got_excl[0], 0);
	cr_assert_eq(got_excl[2], 5); /* batch 3 names this node */
}

Test(cluster, heartbeat_ahead_fills_and_missing_rows_are_skipped)
{
	present[1] = present[2] = present[4] = present[6] = 1; /* 3 and 5 never committed */
	live(1);
	ch_cluster_heartbeat(c, NODE, 6, 1000);
	cr_assert(fill.asked);
	cr_assert_eq(fill.upto, 6);
	live(7); /* held meanwhile: one fill at a time */
	answer();
	expect(5, 1, 2, 4, 6, 7); /* the held 7 follows once 6 is applied */
	cr_assert(!fill.asked);
	cr_assert_eq(ch_cluster_applied(c, NODE), 7);
	live(7);
	expect(5, 1, 2, 4, 6, 7);
}

Test(cluster, held_batch_released_after_complete_fill)
{
	present[1] = present[5] = 1; /* 2..4 never committed */
	live(1);
	live(5);
	cr_assert_eq(fill.upto, 4);
	answer();
	expect(2, 1, 5);
	cr_assert_eq(ch_cluster_applied(c, NODE), 5);
}

Test(cluster, own_echo_ignored)
{
	ch_cluster_batch(c, SELF, 1, logrow[1].data, logrow[1].len, 1000);
	ch_cluster_heartbeat(c, SELF, 9, 1000);
	expect(0);
	cr_assert(!fill.asked);
	ch_cluster_ephemeral(c, SELF, logrow[1].data, logrow[1].len);
	ch_cluster_ephemeral(c, NODE, logrow[2].data, logrow[2].len);
	expect(1, 2);
}

Test(cluster, baseline_and_new_publisher)
{
	for (int b = 1; b <= 9; b++)
		present[b] = 1;
	ch_cluster_baseline(c, NODE, 3);
	ch_cluster_baseline_done(c);
	live(2);
	live(3);
	expect(0);
	live(4);
	expect(1, 4);
	/* a node that appeared after the baseline: all of it is new */
	ch_cluster_batch(c, "p2", 3, logrow[3].data, logrow[3].len, 1000);
	cr_assert(fill.asked);
	cr_assert_str_eq(fill.node, "p2");
	cr_assert_eq(fill.after, 0);
	cr_assert_eq(fill.upto, 2);
}

Test(cluster, failed_fill_is_retried_at_tick)
{
	for (int b = 1; b <= 9; b++)
		present[b] = 1;
	live(1);
	live(3);
	cr_assert(fill.asked);
	fill.asked = 0;
	ch_cluster_fill_done(c, NODE, 1, 2, NULL, 0, 0, 0);
	cr_assert(!fill.asked);
	ch_cluster_tick(c, 1250);
	cr_assert(fill.asked);
	answer();
	expect(3, 1, 2, 3);
}

Test(cluster, row_limit_asks_again)
{
	for (int b = 1; b <= 20; b++)
		present[b] = 1;
	row_limit = 4;
	live(1);
	ch_cluster_heartbeat(c, NODE, 20, 1000);
	for (int i = 0; i < 10 && fill.asked; i++)
		answer();
	cr_assert(!fill.asked);
	cr_assert_eq(ngot, 20);
	for (int i = 0; i < 20; i++)
		cr_assert_eq(got[i], i + 1);
}

Test(cluster, gone_node_read_to_end_then_ignored)
{
	for (int b = 1; b <= 6; b++)
		present[b] = 1;
	live(1);
	live(2);
	ch_cluster_node_gone(c, NODE); /* 3..6 committed, never published */
	cr_assert(fill.asked);
	cr_assert_eq(fill.upto, UINT64_MAX);
	answer();
	expect(6, 1, 2, 3, 4, 5, 6);
	live(7);
	ch_cluster_heartbeat(c, NODE, 9, 1000);
	expect(6, 1, 2, 3, 4, 5, 6);
	cr_assert(!fill.asked);
}

Test(cluster, stale_heartbeat_asks_for_polling)
{
	ch_cluster_heartbeat(c, NODE, 0, 1000);
	cr_assert(!ch_cluster_stale(c, 2000));
	cr_assert(ch_cluster_stale(c, 2600));
	ch_cluster_heartbeat(c, NODE, 0, 2600);
	cr_assert(!ch_cluster_stale(c, 2700));
	/* a head read by polling fills like a heartbeat */
	present[1] = present[2] = 1;
	ch_cluster_head(c, NODE, 2, 2700);
	answer();
	expect(2, 1, 2);
}

Test(cluster, garbage_batch_is_skipped)
{
	live(1);
	ch_cluster_batch(c, NODE, 2, "garbage", 7, 1000);
	live(3);
	expect(2, 1, 3);
}
