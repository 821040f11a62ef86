/* hub/order.c: each chat's messages leave in seq order whatever order they
 * arrive in, state events keep their place behind the message before them,
 * late and duplicate messages are never dropped, first sight holds briefly,
 * a gap is given up after its time, and memory stays bounded. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hub/order.h"

static ch_event *msg(int64_t chat, int64_t seq)
{
	ch_event *e = ch_event_new(CH_EV_INVOKE, CH_AUD_COMPANY, "ReceiveMessage", NULL);
	e->chat_id = chat, e->seq = seq;
	return e;
}

static ch_event *state(int64_t chat, const char *target)
{
	ch_event *e = ch_event_new(CH_EV_INVOKE, CH_AUD_COMPANY, target, NULL);
	e->chat_id = chat;
	return e;
}

/* A list of events, NULL-terminated. */
static ch_event *list(ch_event *first, ...)
{
	va_list ap;
	va_start(ap, first);
	ch_event *head = NULL;
	for (ch_event *e = first; e; e = va_arg(ap, ch_event *))
		ch_event_append(&head, e);
	va_end(ap);
	return head;
}

/* The events as "chat:seq" (messages) or "chat:Target", space-separated;
 * frees them. */
static char *show(ch_event *l)
{
	static char out[4096];
	out[0] = '\0';
	for (ch_event *e = l; e; e = e->next) {
		char one[64];
		if (e->seq)
			snprintf(one, sizeof one, "%s%lld:%lld", out[0] ? " " : "", (long long)e->chat_id, (long long)e->seq);
		else
			snprintf(one, sizeof one, "%s%lld:%s", out[0] ? " " : "", (long long)e->chat_id, e->target);
		strncat(out, one, sizeof out - strlen(out) - 1);
	}
	ch_event_free_list(l);
	return out;
}

static char *push(ch_order *o, ch_event *l, int64_t now)
{
	ch_event *out = NULL;
	ch_order_push(o, l, now, &out);
	return show(out);
}

static char *tick(ch_order *o, int64_t now)
{
	ch_event *out = NULL;
	ch_order_tick(o, now, &out);
	return show(out);
}

/* A started chat: seq 1 needs no hold (it has no predecessor). */
static ch_order *started(int64_t chat, int64_t upto)
{
	ch_order *o = ch_order_new(NULL);
	for (int64_t s = 1; s <= upto; s++)
		cr_assert_str_not_empty(push(o, msg(chat, s), 0));
	return o;
}

Test(order, in_order_goes_at_once)
{
	ch_order *o = ch_order_new(NULL);
	cr_assert_str_eq(push(o, list(state(9, "ChatCreated"), msg(9, 1), state(9, "ChatStatusChanged"), NULL), 0),
	                 "9:ChatCreated 9:1 9:ChatStatusChanged");
	cr_assert_str_eq(push(o, msg(9, 2), 1), "9:2");
	cr_assert_str_eq(push(o, state(9, "MessagesRead"), 1), "9:MessagesRead");
	cr_assert_eq(ch_order_held(o), 0);
	cr_assert_eq(ch_order_deadline(o), INT64_MAX);
	ch_order_free(o);
}

Test(order, gap_holds_then_fills)
{
	ch_order *o = started(9, 4);
	/* seq 6 overtook 5: held, with the state event of its batch and a later one */
	cr_assert_str_eq(push(o, list(msg(9, 6), state(9, "ChatStatusChanged"), NULL), 10), "");
	cr_assert_str_eq(push(o, state(9, "MessageStatusChanged"), 11), "");
	cr_assert_str_eq(push(o, msg(9, 7), 12), "");
	cr_assert_eq(ch_order_held(o), 4);
	cr_assert_eq(ch_order_deadline(o), 10 + CH_ORDER_GAP_MS);
	/* other chats and events of no chat are not held */
	cr_assert_str_eq(push(o, list(msg(8, 1), state(0, "OperatorPresence"), NULL), 13), "0:OperatorPresence 8:1");
	cr_assert_str_eq(push(o, list(msg(9, 5), state(9, "Five"), NULL), 14),
	                 "9:5 9:Five 9:6 9:ChatStatusChanged 9:MessageStatusChanged 9:7");
	cr_assert_eq(ch_order_held(o), 0);
	cr_assert_eq(ch_order_deadline(o), INT64_MAX);
	cr_assert_str_eq(push(o, msg(9, 8), 15), "9:8");
	ch_order_free(o);
}

Test(order, late_and_duplicate_go_out)
{
	ch_order *o = started(9, 3);
	cr_assert_str_eq(push(o, msg(9, 2), 5), "9:2"); /* a duplicate */
	cr_assert_str_eq(push(o, msg(9, 6), 5), "");
	cr_assert_str_eq(push(o, msg(9, 3), 6), "9:3"); /* late: before what is held */
	cr_assert_str_eq(push(o, msg(9, 5), 6), "");
	cr_assert_str_eq(push(o, msg(9, 4), 7), "9:4 9:5 9:6");
	ch_order_free(o);
}

Test(order, reversed_batch_sorted)
{
	ch_order *o = started(9, 1);
	cr_assert_str_eq(push(o, list(msg(9, 5), msg(9, 4), msg(9, 3), NULL), 0), "");
	cr_assert_str_eq(push(o, msg(9, 2), 0), "9:2 9:3 9:4 9:5");
	ch_order_free(o);
}

Test(order, first_sight_holds_briefly)
{
	ch_order *o = ch_order_new(NULL);
	cr_assert_str_eq(push(o, list(msg(9, 7), state(9, "ChatStatusChanged"), NULL), 100), "");
	cr_assert_eq(ch_order_deadline(o), 100 + CH_ORDER_FIRST_MS);
	cr_assert_str_eq(tick(o, 100 + CH_ORDER_FIRST_MS - 1), "");
	cr_assert_str_eq(push(o, msg(9, 6), 120), ""); /* its predecessor came in time */
	cr_assert_str_eq(tick(o, 100 + CH_ORDER_FIRST_MS), "9:6 9:7 9:ChatStatusChanged");
	cr_assert_str_eq(push(o, msg(9, 8), 200), "9:8");
	/* no predecessor came: the chat starts from what is there */
	cr_assert_str_eq(push(o, msg(4, 50), 300), "");
	cr_assert_str_eq(push(o, msg(4, 52), 301), "");
	cr_assert_str_eq(tick(o, 350), "4:50");
	cr_assert_eq(ch_order_deadline(o), 350 + CH_ORDER_GAP_MS); /* 51 is a gap now */
	cr_assert_str_eq(push(o, msg(4, 51), 360), "4:51 4:52");
	ch_order_free(o);
}

Test(order, gap_given_up)
{
	ch_order *o = started(9, 2);
	cr_assert_str_eq(push(o, msg(9, 5), 1000), "");
	cr_assert_str_eq(push(o, list(msg(9, 4), state(9, "X"), NULL), 1500), "");
	cr_assert_str_eq(tick(o, 1000 + CH_ORDER_GAP_MS - 1), "");
	cr_assert_str_eq(tick(o, 1000 + CH_ORDER_GAP_MS), "9:4 9:X 9:5");
	cr_assert_eq(ch_order_get_stats(o).gap_releases, 1);
	cr_assert_str_eq(push(o, msg(9, 3), 3100), "9:3"); /* came after all: still delivered */
	cr_assert_str_eq(push(o, msg(9, 6), 3100), "9:6"); /* and the chat goes on from 5 */
	ch_order_free(o);
}

Test(order, progress_restarts_the_gap_clock)
{
	ch_order *o = started(9, 1);
	cr_assert_str_eq(push(o, list(msg(9, 3), msg(9, 5), NULL), 0), "");
	cr_assert_str_eq(push(o, msg(9, 2), 1500), "9:2 9:3");
	cr_assert_eq(ch_order_deadline(o), 1500 + CH_ORDER_GAP_MS);
	cr_assert_str_eq(tick(o, CH_ORDER_GAP_MS), "");
	cr_assert_str_eq(tick(o, 1500 + CH_ORDER_GAP_MS), "9:5");
	ch_order_free(o);
}

Test(order, held_cap_releases)
{
	ch_order *o = ch_order_new(&(ch_order_limits){.held_max = 3});
	cr_assert_str_eq(push(o, msg(9, 1), 0), "9:1");
	cr_assert_str_eq(push(o, list(msg(9, 4), msg(9, 3), state(9, "A"), NULL), 1), "");
	cr_assert_str_eq(push(o, msg(9, 6), 2), "9:3 9:A 9:4 9:6");
	cr_assert_eq(ch_order_held(o), 0);
	cr_assert_eq(ch_order_get_stats(o).cap_releases, 4);
	cr_assert_str_eq(push(o, msg(9, 7), 3), "9:7");
	ch_order_free(o);
}

Test(order, chats_cap_and_idle)
{
	ch_order *o = ch_order_new(&(ch_order_limits){.chats_max = 2, .idle_ms = 1000});
	cr_assert_str_eq(push(o, msg(1, 1), 0), "1:1");
	cr_assert_str_eq(push(o, msg(2, 1), 1), "2:1");
	cr_assert_str_eq(push(o, msg(2, 3), 2), ""); /* chat 2 holds 3 */
	cr_assert_str_eq(push(o, msg(1, 2), 3), "1:2"); /* chat 2 is now the least recent */
	cr_assert_str_eq(push(o, msg(5, 1), 4), "2:3 5:1"); /* chat 2 forgotten, its hold released */
	cr_assert_eq(ch_order_chats(o), 2);
	cr_assert_eq(ch_order_held(o), 0);
	cr_assert_str_eq(tick(o, 1003), ""); /* chat 1 idle */
	cr_assert_eq(ch_order_chats(o), 1);
	cr_assert_str_eq(tick(o, 1004), "");
	cr_assert_eq(ch_order_chats(o), 0);
	/* forgotten: first sight again */
	cr_assert_str_eq(push(o, msg(1, 9), 2000), "");
	cr_assert_str_eq(tick(o, 2000 + CH_ORDER_FIRST_MS), "1:9");
	ch_order_free(o);
}

Test(order, flush_and_free_with_held)
{
	ch_order *o = started(9, 1);
	cr_assert_str_eq(push(o, list(msg(9, 4), msg(9, 3), msg(7, 5), NULL), 0), "");
	ch_event *out = NULL;
	ch_order_flush(o, &out);
	cr_assert_str_eq(show(out), "7:5 9:3 9:4"); /* each chat in seq order */
	cr_assert_str_eq(push(o, list(msg(9, 8), msg(6, 5), NULL), 0), "");
	ch_order_free(o); /* frees what is held (ASan build) */
}

/* Two writers' batches interleaved at random, each writer in its own order:
 * whatever the interleaving and the duplicates, every message goes out once
 * per copy, and the first copies in seq order. */
Test(order, random_interleavings)
{
	srand(7);
	for (int round = 0; round < 500; round++) {
		ch_order *o = started(9, 1);
		int64_t a[64], b[64];
		int na = 0, nb = 0;
		for (int64_t s = 2; s < 80; s++)
			(rand() % 2 ? (na < 64 ? (a[na++] = s) : (b[nb++] = s)) : (nb < 64 ? (b[nb++] = s) : (a[na++] = s)));
		int ia = 0, ib = 0;
		int64_t last = 1, now = 0;
		while (ia < na || ib < nb) {
			int from_a = ia < na && (ib >= nb || rand() % 2);
			ch_event *out = NULL;
			ch_order_push(o, msg(9, from_a ? a[ia++] : b[ib++]), now++, &out);
			for (ch_event *e = out; e; e = e->next) {
				cr_assert_eq(e->seq, last + 1, "round %d: %lld after %lld", round, (long long)e->seq,
				             (long long)last);
				last = e->seq;
			}
			ch_event_free_list(out);
		}
		cr_assert_eq(last, 79);
		cr_assert_eq(ch_order_held(o), 0);
		ch_order_free(o);
	}
}
