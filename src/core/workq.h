/* workq.h — a fixed pool of worker threads taking jobs from one FIFO queue.
 *
 * Blocking work (database access, password hashing) runs here, never on the
 * network thread. A job's function runs on one worker; handing its result back
 * to the network thread is the job's business (net/loop.h).
 * Threading: submit from any thread; stop from the thread that started it.
 */
#ifndef CH_CORE_WORKQ_H
#define CH_CORE_WORKQ_H

#include <stddef.h>

typedef struct ch_workq ch_workq;
typedef void (*ch_work_fn)(void *arg);

/* Starts nthreads workers named "<name>-N". Returns a new pool. */
ch_workq *ch_workq_start(const char *name, int nthreads);
/* Queues fn(arg). arg is borrowed by the pool until fn runs. */
void ch_workq_submit(ch_workq *q, ch_work_fn fn, void *arg);
/* Jobs queued and not yet started. */
size_t ch_workq_pending(ch_workq *q);
/* Runs every queued job, joins the workers, frees the pool. */
void ch_workq_stop(ch_workq *q);

#endif
