/* Unit tests of the presence table: connection counting, away, online listing
 * per organization, grace-period expiry reporting, touch, concurrency, reset.
 * Times are passed in, so nothing sleeps and nothing asserts on timing. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>

#include "chat/presence.h"

static void reset(void)
{
	ch_presence_reset();
}

TestSuite(presence, .init = reset, .fini = reset);

static ch_presence_entry get(int64_t op)
{
	ch_presence_entry e;
	cr_assert_eq(ch_presence_get(op, &e), 0, "operator %lld known", (long long)op);
	return e;
}

Test(presence, unknown_operator)
{
	ch_presence_entry e;
	cr_assert_eq(ch_presence_get(1, &e), -1);
	cr_assert_eq(ch_presence_disconnect(1, 10), CH_PRESENCE_OFFLINE, "stray close");
	cr_assert_eq(ch_presence_get(1, &e), -1, "a stray close does not create the operator");
	ch_presence_touch(1, 10);
	cr_assert_eq(ch_presence_get(1, &e), -1, "touch does not create the operator");
}

Test(presence, connect_disconnect_counts_connections)
{
	cr_assert_eq(ch_presence_connect(7, 1, 100), CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_connect(7, 1, 110), CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_connect(7, 1, 120), CH_PRESENCE_ONLINE);
	ch_presence_entry e = get(7);
	cr_assert_eq(e.operator_id, 7);
	cr_assert_eq(e.org_id, 1);
	cr_assert_eq(e.connections, 3);
	cr_assert_eq(e.state, CH_PRESENCE_ONLINE);
	cr_assert_eq(e.offline_since_ms, 0);
	cr_assert_eq(e.idle_since_ms, 100, "idle since the first connection");

	cr_assert_eq(ch_presence_disconnect(7, 200), CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_disconnect(7, 210), CH_PRESENCE_ONLINE);
	e = get(7);
	cr_assert_eq(e.connections, 1);
	cr_assert_eq(e.offline_since_ms, 0);
	cr_assert_eq(ch_presence_disconnect(7, 220), CH_PRESENCE_OFFLINE);
	e = get(7);
	cr_assert_eq(e.connections, 0);
	cr_assert_eq(e.state, CH_PRESENCE_OFFLINE);
	cr_assert_eq(e.offline_since_ms, 220, "offline since the last close");

	cr_assert_eq(ch_presence_disconnect(7, 230), CH_PRESENCE_OFFLINE, "extra close");
	e = get(7);
	cr_assert_eq(e.connections, 0, "never negative");
	cr_assert_eq(e.offline_since_ms, 220, "an extra close does not move offline_since");
}

Test(presence, reconnect_clears_offline_since)
{
	ch_presence_connect(7, 1, 100);
	ch_presence_disconnect(7, 200);
	cr_assert_eq(ch_presence_connect(7, 1, 300), CH_PRESENCE_ONLINE);
	ch_presence_entry e = get(7);
	cr_assert_eq(e.connections, 1);
	cr_assert_eq(e.offline_since_ms, 0);
	cr_assert_eq(e.idle_since_ms, 100, "reconnecting is not activity");
}

Test(presence, away_kept_while_connected)
{
	ch_presence_connect(7, 1, 100);
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_AWAY, 110), CH_PRESENCE_AWAY);
	cr_assert_eq(get(7).state, CH_PRESENCE_AWAY);
	cr_assert_eq(ch_presence_connect(7, 1, 120), CH_PRESENCE_AWAY, "a second tab keeps away");
	cr_assert_eq(ch_presence_disconnect(7, 130), CH_PRESENCE_AWAY, "one tab left");
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_ONLINE, 140), CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_AWAY, 150), CH_PRESENCE_AWAY);
}

Test(presence, away_then_disconnect_then_reconnect_is_online)
{
	ch_presence_connect(7, 1, 100);
	ch_presence_set(7, CH_PRESENCE_AWAY, 110);
	cr_assert_eq(ch_presence_disconnect(7, 120), CH_PRESENCE_OFFLINE);
	ch_presence_entry e = get(7);
	cr_assert_eq(e.state, CH_PRESENCE_OFFLINE);
	cr_assert_eq(e.offline_since_ms, 120);
	cr_assert_eq(ch_presence_connect(7, 1, 130), CH_PRESENCE_ONLINE, "away is forgotten once offline");
	cr_assert_eq(get(7).state, CH_PRESENCE_ONLINE);
}

Test(presence, set_without_connection_ignored)
{
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_ONLINE, 100), CH_PRESENCE_OFFLINE, "unknown operator");
	ch_presence_entry e;
	cr_assert_eq(ch_presence_get(7, &e), -1, "set does not create the operator");

	ch_presence_connect(7, 1, 100);
	ch_presence_disconnect(7, 110);
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_ONLINE, 120), CH_PRESENCE_OFFLINE);
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_AWAY, 120), CH_PRESENCE_OFFLINE);
	e = get(7);
	cr_assert_eq(e.state, CH_PRESENCE_OFFLINE);
	cr_assert_eq(e.connections, 0);
	cr_assert_eq(ch_presence_online(1, NULL, 0), 0);
}

Test(presence, set_offline_or_garbage_is_not_a_client_choice)
{
	ch_presence_connect(7, 1, 100);
	cr_assert_eq(ch_presence_set(7, CH_PRESENCE_OFFLINE, 110), CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_set(7, (ch_presence_state)42, 110), CH_PRESENCE_ONLINE);
	ch_presence_entry e = get(7);
	cr_assert_eq(e.state, CH_PRESENCE_ONLINE);
	cr_assert_eq(e.connections, 1);
}

Test(presence, online_per_org_sorted_without_away_offline_or_other_orgs)
{
	/* org 1: 30 (online), 10 (online), 20 (away), 40 (offline), 25 (online, 2 conns) */
	ch_presence_connect(30, 1, 100);
	ch_presence_connect(10, 1, 100);
	ch_presence_connect(20, 1, 100);
	ch_presence_set(20, CH_PRESENCE_AWAY, 100);
	ch_presence_connect(40, 1, 100);
	ch_presence_disconnect(40, 110);
	ch_presence_connect(25, 1, 100);
	ch_presence_connect(25, 1, 100);
	/* org 2: 15, 35 online */
	ch_presence_connect(35, 2, 100);
	ch_presence_connect(15, 2, 100);

	ch_presence_entry out[8];
	size_t n = ch_presence_online(1, out, 8);
	cr_assert_eq(n, 3);
	cr_assert_eq(out[0].operator_id, 10);
	cr_assert_eq(out[1].operator_id, 25);
	cr_assert_eq(out[2].operator_id, 30);
	cr_assert_eq(out[1].connections, 2);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(out[i].org_id, 1);
		cr_assert_eq(out[i].state, CH_PRESENCE_ONLINE);
	}

	n = ch_presence_online(2, out, 8);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0].operator_id, 15);
	cr_assert_eq(out[1].operator_id, 35);

	cr_assert_eq(ch_presence_online(3, out, 8), 0, "unknown org");
}

Test(presence, online_total_may_exceed_max)
{
	for (int64_t op = 1; op <= 5; op++)
		ch_presence_connect(op, 9, 100);
	ch_presence_entry out[2] = {{0}, {0}};
	cr_assert_eq(ch_presence_online(9, out, 2), 5);
	cr_assert_eq(out[0].operator_id, 1);
	cr_assert_eq(out[1].operator_id, 2);
	cr_assert_eq(ch_presence_online(9, NULL, 0), 5, "count only");
}

Test(presence, online_follows_state_changes)
{
	ch_presence_connect(1, 5, 100);
	ch_presence_connect(2, 5, 100);
	ch_presence_entry out[4];
	cr_assert_eq(ch_presence_online(5, out, 4), 2);
	ch_presence_set(1, CH_PRESENCE_AWAY, 110);
	cr_assert_eq(ch_presence_online(5, out, 4), 1);
	cr_assert_eq(out[0].operator_id, 2);
	ch_presence_disconnect(2, 120);
	cr_assert_eq(ch_presence_online(5, out, 4), 0);
	ch_presence_set(1, CH_PRESENCE_ONLINE, 130);
	cr_assert_eq(ch_presence_online(5, out, 4), 1);
	cr_assert_eq(out[0].operator_id, 1);
}

Test(presence, operator_moving_org_is_listed_in_the_new_one_only)
{
	ch_presence_connect(1, 5, 100);
	ch_presence_disconnect(1, 110);
	ch_presence_connect(1, 6, 120);
	ch_presence_entry out[2];
	cr_assert_eq(ch_presence_online(5, out, 2), 0);
	cr_assert_eq(ch_presence_online(6, out, 2), 1);
	cr_assert_eq(out[0].org_id, 6);
}

Test(presence, expired_reported_once_per_offline_period)
{
	ch_presence_connect(1, 1, 0);
	ch_presence_connect(2, 1, 0);
	ch_presence_connect(3, 2, 0);
	ch_presence_disconnect(1, 1000);
	ch_presence_disconnect(2, 5000);
	ch_presence_disconnect(3, 1000);

	ch_presence_entry out[8];
	cr_assert_eq(ch_presence_expired(999, out, 8), 0, "not offline long enough yet");
	size_t n = ch_presence_expired(1000, out, 8);
	cr_assert_eq(n, 2, "offline_since <= before, any org");
	int seen1 = 0, seen3 = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(out[i].state, CH_PRESENCE_OFFLINE);
		cr_assert_eq(out[i].offline_since_ms, 1000);
		seen1 += out[i].operator_id == 1;
		seen3 += out[i].operator_id == 3;
	}
	cr_assert(seen1 == 1 && seen3 == 1);
	cr_assert_eq(ch_presence_expired(1000, out, 8), 0, "reported once");
	cr_assert_eq(ch_presence_expired(100000, out, 8), 1);
	cr_assert_eq(out[0].operator_id, 2);
	cr_assert_eq(ch_presence_expired(100000, out, 8), 0);

	/* A new offline period is reported again. */
	ch_presence_connect(1, 1, 6000);
	ch_presence_disconnect(1, 7000);
	cr_assert_eq(ch_presence_expired(6999, out, 8), 0);
	cr_assert_eq(ch_presence_expired(7000, out, 8), 1);
	cr_assert_eq(out[0].operator_id, 1);
	cr_assert_eq(out[0].offline_since_ms, 7000);
}

Test(presence, expired_skips_reconnected_operators)
{
	ch_presence_connect(1, 1, 0);
	ch_presence_connect(2, 1, 0);
	ch_presence_disconnect(1, 1000);
	ch_presence_disconnect(2, 1000);
	ch_presence_connect(1, 1, 1500); /* back within the grace period */
	ch_presence_entry out[8];
	cr_assert_eq(ch_presence_expired(10000, out, 8), 1);
	cr_assert_eq(out[0].operator_id, 2);

	/* Still connected: never expired, however late. */
	cr_assert_eq(ch_presence_expired(INT64_MAX, out, 8), 0);
	cr_assert_eq(get(1).state, CH_PRESENCE_ONLINE);
}

Test(presence, expired_respects_max_and_reports_the_rest_later)
{
	for (int64_t op = 1; op <= 5; op++) {
		ch_presence_connect(op, 1, 0);
		ch_presence_disconnect(op, 100);
	}
	ch_presence_entry out[8];
	cr_assert_eq(ch_presence_expired(100, out, 0), 0);
	cr_assert_eq(ch_presence_expired(100, out, 2), 2);
	int64_t seen = out[0].operator_id + out[1].operator_id;
	cr_assert_eq(ch_presence_expired(100, out, 2), 2);
	seen += out[0].operator_id + out[1].operator_id;
	cr_assert_eq(ch_presence_expired(100, out, 8), 1);
	seen += out[0].operator_id;
	cr_assert_eq(seen, 1 + 2 + 3 + 4 + 5, "each reported exactly once");
	cr_assert_eq(ch_presence_expired(100, out, 8), 0);
}

Test(presence, touch_updates_idle_since)
{
	ch_presence_connect(1, 1, 100);
	cr_assert_eq(get(1).idle_since_ms, 100);
	ch_presence_touch(1, 500);
	cr_assert_eq(get(1).idle_since_ms, 500);
	ch_presence_entry out[1];
	cr_assert_eq(ch_presence_online(1, out, 1), 1);
	cr_assert_eq(out[0].idle_since_ms, 500, "the listing carries idle_since for routing");
	ch_presence_disconnect(1, 600);
	ch_presence_touch(1, 700); /* e.g. a message sent over REST while offline */
	cr_assert_eq(get(1).idle_since_ms, 700);
	cr_assert_eq(get(1).state, CH_PRESENCE_OFFLINE, "touch does not change the state");
}

Test(presence, get_null_out)
{
	ch_presence_connect(1, 1, 100);
	cr_assert_eq(ch_presence_get(1, NULL), 0);
	cr_assert_eq(ch_presence_get(2, NULL), -1);
}

Test(presence, reset_forgets_everyone)
{
	ch_presence_connect(1, 1, 100);
	ch_presence_connect(2, 1, 100);
	ch_presence_disconnect(2, 200);
	ch_presence_reset();
	ch_presence_entry out[4];
	cr_assert_eq(ch_presence_get(1, out), -1);
	cr_assert_eq(ch_presence_get(2, out), -1);
	cr_assert_eq(ch_presence_online(1, out, 4), 0);
	cr_assert_eq(ch_presence_expired(INT64_MAX, out, 4), 0, "pending reports are gone too");
	/* Usable again after a reset. */
	cr_assert_eq(ch_presence_connect(1, 1, 300), CH_PRESENCE_ONLINE);
	cr_assert_eq(get(1).connections, 1);
	ch_presence_reset();
	ch_presence_reset(); /* twice is fine */
}

Test(presence, many_operators)
{
	enum { N = 50000, ORGS = 50 };
	for (int64_t op = N; op >= 1; op--) /* descending: listing must still be sorted */
		ch_presence_connect(op * 3, op % ORGS, op);
	for (int64_t op = 1; op <= N; op += 2)
		ch_presence_disconnect(op * 3, N + op);
	static ch_presence_entry out[N];
	size_t total = 0;
	for (int64_t org = 0; org < ORGS; org++) {
		size_t n = ch_presence_online(org, out, N);
		for (size_t i = 0; i < n; i++) {
			cr_assert_eq(out[i].org_id, org);
			if (i)
				cr_assert_lt(out[i - 1].operator_id, out[i].operator_id);
		}
		total += n;
	}
	cr_assert_eq(total, N / 2);
	cr_assert_eq(get(3).state, CH_PRESENCE_OFFLINE);
	cr_assert_eq(get(6).state, CH_PRESENCE_ONLINE);
	cr_assert_eq(ch_presence_expired(INT64_MAX, out, N), N / 2);
}

/* ---- concurrency ------------------------------------------------------------ */

enum { THREADS = 8, ROUNDS = 20000, SHARED = 4 };

static void *pairs(void *arg)
{
	int64_t me = (int64_t)(intptr_t)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int64_t shared = 1 + i % SHARED;
		int64_t own = 100 + me;
		ch_presence_connect(shared, 1, i);
		ch_presence_connect(own, 2, i);
		if (i % 16 == 0) {
			ch_presence_entry out[16];
			ch_presence_online(1, out, 16);
			ch_presence_touch(shared, i);
			ch_presence_set(own, (i % 32) ? CH_PRESENCE_AWAY : CH_PRESENCE_ONLINE, i);
			ch_presence_expired(i, out, 16);
		}
		ch_presence_disconnect(own, i);
		ch_presence_disconnect(shared, i);
	}
	/* Leave one connection open per thread on the shared operators. */
	for (int64_t s = 1; s <= SHARED; s++)
		ch_presence_connect(s, 1, ROUNDS);
	return NULL;
}

Test(presence, concurrent_connect_disconnect_pairs_keep_counts)
{
	pthread_t t[THREADS];
	for (intptr_t i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, pairs, (void *)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	for (int64_t s = 1; s <= SHARED; s++) {
		ch_presence_entry e = get(s);
		cr_assert_eq(e.connections, THREADS, "operator %lld", (long long)s);
		cr_assert_eq(e.state, CH_PRESENCE_ONLINE);
		cr_assert_eq(e.offline_since_ms, 0);
	}
	for (int64_t me = 0; me < THREADS; me++) {
		ch_presence_entry e = get(100 + me);
		cr_assert_eq(e.connections, 0);
		cr_assert_eq(e.state, CH_PRESENCE_OFFLINE);
	}
	ch_presence_entry out[16];
	cr_assert_eq(ch_presence_online(1, out, 16), SHARED);
	cr_assert_eq(ch_presence_online(2, out, 16), 0);
	for (int64_t s = 1; s <= SHARED; s++)
		for (int i = 0; i < THREADS; i++)
			ch_presence_disconnect(s, ROUNDS + 1);
	cr_assert_eq(ch_presence_online(1, out, 16), 0);
	/* every operator is offline now, each pending exactly once (earlier sweeps used smaller times) */
	cr_assert_eq(ch_presence_expired(INT64_MAX, out, 16), SHARED + THREADS);
	cr_assert_eq(ch_presence_expired(INT64_MAX, out, 16), 0);
}
