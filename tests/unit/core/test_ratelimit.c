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

Test(bucket, burst_then_steady_rate)
{
	ch_bucket b;
	ch_bucket_init(&b, 60, 1000);
	for (int i = 0; i < 60; i++)
		cr_assert_eq(ch_bucket_take(&b, 20, 60, 1000), 1, "token %d of the burst", i);
	cr_assert_eq(ch_bucket_take(&b, 20, 60, 1000), 0, "the burst is spent");
	ch_bucket early = b;
	cr_assert_eq(ch_bucket_take(&early, 20, 60, 1040), 0, "not yet a whole token after 40 ms");
	cr_assert_eq(ch_bucket_take(&b, 20, 60, 1050), 1, "20/s: one token every 50 ms");
	cr_assert_eq(ch_bucket_take(&b, 20, 60, 1050), 0);
	/* a long pause refills up to the burst, never more */
	int n = 0;
	while (ch_bucket_take(&b, 20, 60, 100000))
		n++;
	cr_assert_eq(n, 60);
}

Test(bucket, refund_gives_one_back_up_to_burst)
{
	ch_bucket b;
	ch_bucket_init(&b, 2, 0);
	cr_assert(ch_bucket_take(&b, 1, 2, 0));
	cr_assert(ch_bucket_take(&b, 1, 2, 0));
	cr_assert_not(ch_bucket_take(&b, 1, 2, 0));
	ch_bucket_refund(&b, 2);
	cr_assert(ch_bucket_take(&b, 1, 2, 0), "the refunded token");
	ch_bucket_refund(&b, 2);
	ch_bucket_refund(&b, 2);
	ch_bucket_refund(&b, 2);
	cr_assert(ch_bucket_take(&b, 1, 2, 0));
	cr_assert(ch_bucket_take(&b, 1, 2, 0));
	cr_assert_not(ch_bucket_take(&b, 1, 2, 0), "refunds never exceed the burst");
}

Test(bucket, clock_going_backwards_refills_nothing)
{
	ch_bucket b;
	ch_bucket_init(&b, 1, 5000);
	cr_assert(ch_bucket_take(&b, 10, 1, 5000));
	cr_assert_not(ch_bucket_take(&b, 10, 1, 4000));
	cr_assert(ch_bucket_take(&b, 10, 1, 5100));
}
