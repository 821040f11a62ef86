/* bus/counter.c against a private redis-server: counts shared by every
 * thread (every process alike), one window at a time, and -1 (the caller's
 * own limit) when Redis is gone. Skipped when redis-server is not installed. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "bus/counter.h"
#include "redis_server.h"

static void start(void)
{
	if (system("command -v redis-server >/dev/null 2>&1") != 0)
		cr_skip_test("redis-server is not installed");
	cr_assert(mkdtemp(dir));
	port = free_port();
	redis_start();
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
	cr_assert_eq(ch_counter_init(url, "t"), 0);
	int64_t n;
	for (int i = 0; i < 100 && ch_counter_get("probe", 60000, 0, &n, NULL); i++) {
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
	}
}

static void *other_thread(void *arg)
{
	int64_t now = *(int64_t *)arg;
	for (int i = 0; i < 5; i++)
		ch_counter_incr("login:acme", 60000, now);
	ch_counter_thread_close();
	return NULL;
}

Test(counter, shared_across_threads_and_windowed)
{
	start();
	int64_t now = 120000 + 1500, n = -1;
	int reset = 0;
	cr_assert_eq(ch_counter_get("login:acme", 60000, now, &n, &reset), 0);
	cr_assert_eq(n, 0);
	cr_assert_eq(reset, 59); /* 58.5 s left, rounded up */
	cr_assert_eq(ch_counter_incr("login:acme", 60000, now), 0);
	pthread_t t;
	pthread_create(&t, NULL, other_thread, &now);
	pthread_join(t, NULL);
	cr_assert_eq(ch_counter_get("login:acme", 60000, now, &n, NULL), 0);
	cr_assert_eq(n, 6, "both threads' attempts count: %lld", (long long)n);
	cr_assert_eq(ch_counter_get("login:acme", 60000, now + 60000, &n, NULL), 0);
	cr_assert_eq(n, 0, "the next window starts at zero");
	cr_assert_eq(ch_counter_get("login:other", 60000, now, &n, NULL), 0);
	cr_assert_eq(n, 0, "keys are apart");
	/* bus_url's /DB: the counters live in that database */
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d/3", port);
	ch_counter_thread_close();
	cr_assert_eq(ch_counter_init(url, "t"), 0);
	cr_assert_eq(ch_counter_get("login:acme", 60000, now, &n, NULL), 0);
	cr_assert_eq(n, 0, "database 3 has its own counts");
	cr_assert_eq(ch_counter_incr("login:acme", 60000, now), 0);
	cr_assert_eq(ch_counter_get("login:acme", 60000, now, &n, NULL), 0);
	cr_assert_eq(n, 1);
	redis_kill();
	cr_assert_eq(ch_counter_get("login:acme", 60000, now, &n, NULL), -1, "Redis gone: the caller decides");
	cr_assert_eq(ch_counter_incr("login:acme", 60000, now), -1);
	ch_counter_thread_close();
}

Test(counter, disabled_without_url)
{
	int64_t n;
	cr_assert_eq(ch_counter_init(NULL, NULL), 0);
	cr_assert_not(ch_counter_enabled());
	cr_assert_eq(ch_counter_get("x", 60000, 0, &n, NULL), -1);
	cr_assert_eq(ch_counter_init("redis://user:pw@host:1", NULL), -1, "credentials are refused");
}
