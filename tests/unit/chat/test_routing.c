/* Unit tests of routing: ch_route_pick's order (capacity, fewest open chats,
 * longest idle, lowest id) and ch_route_drain, plus a property test over
 * random inputs with a fixed seed. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "chat/routing.h"

#define C(id, open, idle) {(id), (open), (idle)}

Test(route_pick, empty_list)
{
	cr_assert_eq(ch_route_pick(NULL, 0, 5), -1);
	ch_route_candidate c[1] = {C(1, 0, 0)};
	cr_assert_eq(ch_route_pick(c, 0, 5), -1);
}

Test(route_pick, capacity_zero_or_negative)
{
	ch_route_candidate c[] = {C(1, 0, 0), C(2, 0, 0)};
	cr_assert_eq(ch_route_pick(c, 2, 0), -1);
	cr_assert_eq(ch_route_pick(c, 2, -1), -1);
}

Test(route_pick, at_capacity_never_chosen)
{
	ch_route_candidate c[] = {C(1, 5, 0), C(2, 6, 0), C(3, 4, 9999)};
	cr_assert_eq(ch_route_pick(c, 3, 5), 2);
	cr_assert_eq(ch_route_pick(c, 2, 5), -1, "all at or over capacity");
	cr_assert_eq(ch_route_pick(c, 3, 4), -1);
}

Test(route_pick, single_candidate)
{
	ch_route_candidate c[] = {C(42, 2, 10)};
	cr_assert_eq(ch_route_pick(c, 1, 3), 0);
	cr_assert_eq(ch_route_pick(c, 1, 2), -1);
}

Test(route_pick, fewest_open_wins)
{
	ch_route_candidate c[] = {C(1, 3, 0), C(2, 1, 5000), C(3, 2, 0)};
	cr_assert_eq(ch_route_pick(c, 3, 5), 1, "fewest open beats longest idle and lowest id");
}

Test(route_pick, tie_on_open_longest_idle_wins)
{
	ch_route_candidate c[] = {C(1, 1, 300), C(2, 1, 100), C(3, 1, 200), C(4, 2, 0)};
	cr_assert_eq(ch_route_pick(c, 4, 5), 1);
}

Test(route_pick, tie_on_open_and_idle_lowest_id_wins)
{
	ch_route_candidate c[] = {C(9, 1, 100), C(3, 1, 100), C(7, 1, 100)};
	cr_assert_eq(ch_route_pick(c, 3, 5), 1);
	ch_route_candidate d[] = {C(3, 1, 100), C(9, 1, 100), C(7, 1, 100)};
	cr_assert_eq(ch_route_pick(d, 3, 5), 0, "order of the list does not matter");
}

Test(route_pick, lowest_load_skipped_when_full_is_impossible)
{
	/* The less loaded operator is preferred even when the other has been idle
	 * longer; the full one is skipped even though it has been idle longest. */
	ch_route_candidate c[] = {C(1, 2, 0), C(2, 0, 900), C(3, 1, 100)};
	cr_assert_eq(ch_route_pick(c, 3, 2), 1);
}

Test(route_drain, nothing_to_do)
{
	ch_route_candidate c[] = {C(1, 0, 0)};
	cr_assert_eq(ch_route_drain(c, 1, 5, 0, 100, NULL), 0);
	cr_assert_eq(c[0].open_chats, 0);
	cr_assert_eq(c[0].idle_since_ms, 0);
}

Test(route_drain, no_candidates_all_zero)
{
	int64_t out[3] = {-1, -1, -1};
	cr_assert_eq(ch_route_drain(NULL, 0, 5, 3, 100, out), 0);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(out[i], 0);
}

Test(route_drain, oldest_first_spread_by_fewest_open)
{
	/* idle order: 2 longest, then 1, then 3. */
	ch_route_candidate c[] = {C(1, 0, 200), C(2, 0, 100), C(3, 1, 50)};
	int64_t out[4];
	size_t n = ch_route_drain(c, 3, 5, 4, 1000, out);
	cr_assert_eq(n, 4);
	/* chat0 (oldest) → 2 (0 open, idle longest); chat1 → 1 (0 open);
	 * chat2: all at 1, 3 idle since 50 → 3; chat3: all at... 1 has 1, 2 has 1, 3 has 2:
	 * 1 and 2 tie at idle 1000 → lowest id 1. */
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[1], 1);
	cr_assert_eq(out[2], 3);
	cr_assert_eq(out[3], 1);
	cr_assert_eq(c[0].open_chats, 2);
	cr_assert_eq(c[1].open_chats, 1);
	cr_assert_eq(c[2].open_chats, 2);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(c[i].idle_since_ms, 1000, "idle updated for %d", i);
}

Test(route_drain, untouched_candidates_keep_idle)
{
	ch_route_candidate c[] = {C(1, 0, 10), C(2, 3, 20)};
	int64_t out[2];
	cr_assert_eq(ch_route_drain(c, 2, 5, 2, 777, out), 2);
	cr_assert_eq(out[0], 1);
	cr_assert_eq(out[1], 1);
	cr_assert_eq(c[0].open_chats, 2);
	cr_assert_eq(c[0].idle_since_ms, 777);
	cr_assert_eq(c[1].open_chats, 3);
	cr_assert_eq(c[1].idle_since_ms, 20);
}

Test(route_drain, respects_capacity_and_stops_when_full)
{
	ch_route_candidate c[] = {C(1, 1, 0), C(2, 0, 0)};
	int64_t out[6];
	memset(out, 0xff, sizeof out);
	size_t n = ch_route_drain(c, 2, 2, 6, 500, out);
	cr_assert_eq(n, 3, "1 has room for 1, 2 for 2");
	cr_assert_eq(out[0], 2);
	cr_assert_eq(out[1], 1, "tie at 1 open, both idle 0 then 500: 1 is idle longer");
	cr_assert_eq(out[2], 2);
	for (int i = 3; i < 6; i++)
		cr_assert_eq(out[i], 0, "chat %d stays queued", i);
	cr_assert_eq(c[0].open_chats, 2);
	cr_assert_eq(c[1].open_chats, 2);
}

Test(route_drain, all_full_from_start)
{
	ch_route_candidate c[] = {C(1, 3, 0), C(2, 3, 0)};
	int64_t out[2] = {9, 9};
	cr_assert_eq(ch_route_drain(c, 2, 3, 2, 100, out), 0);
	cr_assert_eq(out[0], 0);
	cr_assert_eq(out[1], 0);
	cr_assert_eq(c[0].open_chats, 3);
	cr_assert_eq(c[0].idle_since_ms, 0);
}

Test(route_drain, capacity_zero_assigns_nothing)
{
	ch_route_candidate c[] = {C(1, 0, 0)};
	int64_t out[1] = {9};
	cr_assert_eq(ch_route_drain(c, 1, 0, 1, 100, out), 0);
	cr_assert_eq(out[0], 0);
}

/* ---- property test --------------------------------------------------------- */

/* Reference: the best candidate by a full comparison, written independently. */
static int ref_pick(const ch_route_candidate *c, size_t n, int64_t cap)
{
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		if (c[i].open_chats >= cap)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		const ch_route_candidate *a = &c[i], *b = &c[best];
		int64_t ka[3] = {a->open_chats, a->idle_since_ms, a->operator_id};
		int64_t kb[3] = {b->open_chats, b->idle_since_ms, b->operator_id};
		for (int k = 0; k < 3; k++) {
			if (ka[k] != kb[k]) {
				if (ka[k] < kb[k])
					best = (int)i;
				break;
			}
		}
	}
	return best;
}

static size_t find_id(const ch_route_candidate *c, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (c[i].operator_id == id)
			return i;
	return n;
}

static void random_candidates(ch_route_candidate *c, size_t n, int64_t cap)
{
	for (size_t i = 0; i < n; i++) {
		c[i].operator_id = (int64_t)(i * 7 + 1 + (size_t)(rand() % 5) * 1000); /* unique, unordered */
		c[i].open_chats = rand() % (int)(cap + 3);                               /* some over capacity */
		c[i].idle_since_ms = rand() % 4;                                         /* many ties */
	}
}

/* Replays a drain's output on a copy of the input, checking each assignment. */
static void check_drain(const ch_route_candidate *before, const ch_route_candidate *after, size_t n, int64_t cap,
                        size_t nchats, int64_t now, const int64_t *out, size_t assigned)
{
	ch_route_candidate sim[64];
	memcpy(sim, before, n * sizeof *sim);
	size_t count = 0;
	for (size_t i = 0; i < nchats; i++) {
		if (out[i] == 0) {
			cr_assert_eq(ref_pick(sim, n, cap), -1, "chat %zu left queued while someone had room", i);
			continue;
		}
		cr_assert_eq(count, i, "an assignment after a queued chat");
		size_t k = find_id(sim, n, out[i]);
		cr_assert_lt(k, n, "assigned to an unknown operator");
		cr_assert_lt(sim[k].open_chats, cap, "assigned to a full operator");
		for (size_t j = 0; j < n; j++)
			if (sim[j].open_chats < cap)
				cr_assert_leq(sim[k].open_chats, sim[j].open_chats, "not a minimum-load candidate");
		cr_assert_eq((int)k, ref_pick(sim, n, cap), "not the deterministic choice");
		sim[k].open_chats++;
		sim[k].idle_since_ms = now;
		count++;
	}
	cr_assert_eq(count, assigned);
	for (size_t j = 0; j < n; j++) {
		cr_assert_eq(after[j].open_chats, sim[j].open_chats);
		cr_assert_eq(after[j].idle_since_ms, sim[j].idle_since_ms);
		cr_assert_eq(after[j].operator_id, before[j].operator_id);
		if (after[j].open_chats > before[j].open_chats)
			cr_assert_leq(after[j].open_chats, cap, "candidate pushed over capacity");
	}
}

Test(route_property, random_inputs_never_exceed_capacity_and_pick_minimum_load)
{
	srand(20240607);
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(rand() % 12);
		int64_t cap = rand() % 7; /* 0..6 */
		size_t nchats = (size_t)(rand() % 40);
		ch_route_candidate before[64], c[64];
		int64_t out[64];
		random_candidates(before, n, cap);
		memcpy(c, before, n * sizeof *c);

		int p = ch_route_pick(c, n, cap);
		cr_assert_eq(p, ref_pick(c, n, cap), "pick iteration %d", iter);

		int64_t now = 100 + iter;
		size_t assigned = ch_route_drain(c, n, cap, nchats, now, out);
		check_drain(before, c, n, cap, nchats, now, out, assigned);
	}
}
