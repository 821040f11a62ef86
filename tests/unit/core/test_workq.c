/* Unit tests of the worker pool: FIFO order, the bound on waiting jobs
 * (try_submit refuses when full, submit always queues), and stop running
 * every queued job. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <unistd.h>

#include "core/workq.h"

/* A gate the first job waits on, so the jobs behind it stay queued. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int open_gate, started, ran[64], nran;

static void reset(void)
{
	open_gate = started = nran = 0;
}

static void gate_job(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	started = 1;
	pthread_cond_broadcast(&cv);
	while (!open_gate)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void record_job(void *arg)
{
	pthread_mutex_lock(&mu);
	ran[nran++] = (int)(intptr_t)arg;
	pthread_mutex_unlock(&mu);
}

/* Starts a one-worker pool whose worker is held by gate_job. */
static ch_workq *held_pool(size_t max_waiting)
{
	reset();
	ch_workq *q = ch_workq_start("test", 1, max_waiting);
	ch_workq_submit(q, gate_job, NULL);
	pthread_mutex_lock(&mu);
	while (!started)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return q;
}

static void release(void)
{
	pthread_mutex_lock(&mu);
	open_gate = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

Test(workq, try_submit_refuses_when_full)
{
	ch_workq *q = held_pool(3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)i), 0, "job %d queued", i);
	cr_assert_eq(ch_workq_pending(q), 3);
	cr_assert_neq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)99), 0, "the 4th waiting job is refused");
	cr_assert_eq(ch_workq_pending(q), 3, "a refused job is not queued");
	release();
	ch_workq_stop(q);
	cr_assert_eq(nran, 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ran[i], i, "FIFO order");
}

Test(workq, submit_always_queues)
{
	ch_workq *q = held_pool(2);
	for (int i = 0; i < 5; i++)
		ch_workq_submit(q, record_job, (void *)(intptr_t)i);
	cr_assert_eq(ch_workq_pending(q), 5, "internal jobs pass the bound");
	cr_assert_neq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)9), 0, "and count towards it");
	release();
	ch_workq_stop(q);
	cr_assert_eq(nran, 5);
}

Test(workq, room_again_once_jobs_start)
{
	ch_workq *q = held_pool(1);
	cr_assert_eq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)1), 0);
	cr_assert_neq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)2), 0);
	release();
	for (int i = 0; i < 2000 && ch_workq_pending(q); i++)
		usleep(1000);
	cr_assert_eq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)3), 0, "accepted once the queue drained");
	ch_workq_stop(q);
	cr_assert_eq(nran, 2);
	cr_assert_eq(ran[0], 1);
	cr_assert_eq(ran[1], 3);
}

Test(workq, unbounded_when_zero)
{
	ch_workq *q = held_pool(0);
	for (int i = 0; i < 50; i++)
		cr_assert_eq(ch_workq_try_submit(q, record_job, (void *)(intptr_t)i), 0);
	release();
	ch_workq_stop(q);
	cr_assert_eq(nran, 50);
}
