/* Unit tests of the token-bucket rate limiter (time is passed in, so no sleeps). */
#include <criterion/criterion.h>
#include <stdio.h>

#include "core/ratelimit.h"

Test(ratelimit, burst_then_retry_after)
{
	ch_ratelimit *rl = ch_ratelimit_new(10, 60000, 10, 100); /* 10 per minute */
	for (int i = 0; i < 10; i++)
		cr_assert_eq(ch_ratelimit_take(rl, "ip:1", 1000), 0);
	int wait = ch_ratelimit_take(rl, "ip:1", 1000);
	cr_assert(wait >= 1 && wait <= 6, "retry after %d s", wait);
	cr_assert_eq(ch_ratelimit_take(rl, "ip:2", 1000), 0, "other keys are independent");
	cr_assert_eq(ch_ratelimit_take(rl, "ip:1", 1000 + 6000), 0, "refilled after 6 s");
	ch_ratelimit_free(rl);
}

Test(ratelimit, memory_bounded_under_many_keys)
{
	ch_ratelimit *rl = ch_ratelimit_new(1, 1000, 1, 64);
	char key[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		cr_assert_eq(ch_ratelimit_take(rl, key, i), 0);
	}
	ch_ratelimit_free(rl);
}
