/* workq.h — a fixed pool of worker threads taking jobs from one FIFO queue.
 *
 * Blocking work (database access, password hashing) runs here, never on the
 * network thread. A job's function runs on one worker; handing its result back
 * to the network thread is the job's business (net/loop.h).
 * The queue is bounded for work that clients ask for (ch_workq_try_submit
 * refuses past max_waiting, so a flood cannot grow memory or latency without
 * limit); internal jobs that must run use ch_workq_submit, which always queues.
 * Threading: submit from any thread; stop from the thread that started it.
 */
#ifndef CH_CORE_WORKQ_H
#define CH_CORE_WORKQ_H

#include <stddef.h>

typedef struct ch_workq ch_workq;
typedef void (*ch_work_fn)(void *arg);

/* Starts nthreads workers named "<name>-N"; at most max_waiting jobs wait
 * for a worker when submitted with ch_workq_try_submit (0 = no bound).
 * Returns a new pool. */
ch_workq *ch_workq_start(const char *name, int nthreads, size_t max_waiting);
/* Queues fn(arg) whatever the bound (internal jobs that must run). arg is
 * borrowed by the pool until fn runs. */
void ch_workq_submit(ch_workq *q, ch_work_fn fn, void *arg);
/* Queues fn(arg) unless max_waiting jobs are already waiting. Returns 0 when
 * queued (arg borrowed until fn runs), non-zero when refused (the job is not
 * queued; arg stays the caller's). */
int ch_workq_try_submit(ch_workq *q, ch_work_fn fn, void *arg);
/* Jobs queued and not yet started. */
size_t ch_workq_pending(ch_workq *q);
/* Runs every queued job, joins the workers, frees the pool. */
void ch_workq_stop(ch_workq *q);

#endif
