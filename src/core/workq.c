/* workq.c — worker pool: mutex + condvar FIFO, bounded for try_submit. Jobs
 * run in submission order per pool (not per worker). Threading: see workq.h. */
#include "core/workq.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

typedef struct job {
	ch_work_fn fn;
	void *arg;
	struct job *next;
} job;

struct ch_workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job *head, *tail;
	size_t pending, max_waiting; /* max_waiting 0 = no bound */
	int stopping;
	int nthreads;
	pthread_t *threads;
	char name[16];
};

static void *worker(void *p)
{
	ch_workq *q = p;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		job *j = q->head;
		if (!j) { /* stopping and drained */
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		q->head = j->next;
		if (!q->head)
			q->tail = NULL;
		q->pending--;
		pthread_mutex_unlock(&q->mu);
		j->fn(j->arg);
		free(j);
	}
}

ch_workq *ch_workq_start(const char *name, int nthreads, size_t max_waiting)
{
	ch_workq *q = ch_xcalloc(1, sizeof *q);
	q->max_waiting = max_waiting;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	snprintf(q->name, sizeof q->name, "%s", name);
	q->nthreads = nthreads < 1 ? 1 : nthreads;
	q->threads = ch_xcalloc((size_t)q->nthreads, sizeof *q->threads);
	for (int i = 0; i < q->nthreads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker, q)) {
			fprintf(stderr, "chathub: cannot start worker thread\n");
			abort();
		}
		char tn[32]; /* the kernel keeps 15 bytes of a thread name */
		snprintf(tn, sizeof tn, "%.9s-%d", q->name, i);
		tn[15] = '\0';
		pthread_setname_np(q->threads[i], tn);
	}
	return q;
}

/* Queues j; refuses (returns -1, j not queued) when bounded and full. */
static int put(ch_workq *q, job *j, int bounded)
{
	pthread_mutex_lock(&q->mu);
	if (bounded && q->max_waiting && q->pending >= q->max_waiting) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->pending++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static job *job_new(ch_work_fn fn, void *arg)
{
	job *j = ch_xmalloc(sizeof *j);
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	return j;
}

void ch_workq_submit(ch_workq *q, ch_work_fn fn, void *arg) { put(q, job_new(fn, arg), 0); }

int ch_workq_try_submit(ch_workq *q, ch_work_fn fn, void *arg)
{
	job *j = job_new(fn, arg);
	if (put(q, j, 1) == 0)
		return 0;
	free(j);
	return -1;
}

size_t ch_workq_pending(ch_workq *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->pending;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void ch_workq_stop(ch_workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->threads);
	free(q);
}
