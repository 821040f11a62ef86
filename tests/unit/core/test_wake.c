/* Unit tests of deferred wake-ups: outside a batch the caller wakes at once;
 * inside, each registered wake-up runs once, at the end, on this thread. */
#include <criterion/criterion.h>
#include <pthread.h>

#include "core/wake.h"

static int a_runs, b_runs;
static void wake_a(void) { a_runs++; }
static void wake_b(void) { b_runs++; }

Test(wake, outside_a_batch_the_caller_wakes)
{
	cr_assert_eq(ch_wake_defer(wake_a), 0);
	cr_assert_eq(a_runs, 0, "not run by the deferral");
}

Test(wake, each_wake_up_runs_once_at_the_end)
{
	a_runs = b_runs = 0;
	ch_wake_defer_begin();
	for (int i = 0; i < 100; i++)
		cr_assert_eq(ch_wake_defer(wake_a), 1);
	cr_assert_eq(ch_wake_defer(wake_b), 1);
	cr_assert_eq(a_runs + b_runs, 0, "nothing before the end");
	ch_wake_defer_end();
	cr_assert_eq(a_runs, 1);
	cr_assert_eq(b_runs, 1);
	cr_assert_eq(ch_wake_defer(wake_a), 0, "the deferral ended");
	ch_wake_defer_end(); /* nothing left to run */
	cr_assert_eq(a_runs, 1);
}

static void *other_thread(void *arg)
{
	*(int *)arg = ch_wake_defer(wake_a);
	return NULL;
}

Test(wake, another_thread_is_not_deferred)
{
	int deferred = -1;
	pthread_t t;
	ch_wake_defer_begin();
	pthread_create(&t, NULL, other_thread, &deferred);
	pthread_join(t, NULL);
	ch_wake_defer_end();
	cr_assert_eq(deferred, 0);
}
