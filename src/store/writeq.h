/* writeq.h — private to src/store/: the writer queue both backends share.
 *
 * ch_store_write appends a job to a bounded queue (full: the job is refused
 * with CH_ERR_BUSY on the caller's thread); the backend's writer thread takes
 * every queued job at once (ch_writeq_take), runs them in one transaction of
 * its own making, records the outcome (ch_writeq_record) and then answers
 * every job (ch_writeq_finish). The transaction handling stays per backend.
 *
 * Threading: the queue, the stats and the sink are guarded by mu, which is
 * never held while SQL runs or a callback is called. The wake-up of a write
 * may be deferred (ch_store_defer_wakeups, store.c).
 */
#ifndef CH_STORE_WRITEQ_H
#define CH_STORE_WRITEQ_H

#include <pthread.h>
#include <stdint.h>

#include "store/store.h"

typedef struct ch_store_job ch_store_job;
struct ch_store_job {
	ch_store_fn fn;
	void *arg;
	ch_store_done_fn done;
	ch_err err;
	int settled;  /* a backend that replays a batch: err is final, the job does not run again */
	int tries;    /* a backend that replays a batch: runs so far */
	int64_t queued_us; /* monotonic, when queued (the stats' write time) */
	ch_store_job *next;
};

typedef struct ch_writeq {
	ch_store *owner;         /* borrowed: the store whose wake-up may be deferred */
	pthread_t writer;
	int writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	ch_store_job *head, *tail;
	uint64_t len;
	uint64_t max;            /* ch_writeq_write refuses past it; 0 = no bound */
	int stopping;
	ch_store_stats stats;
	ch_store_batch_sink sink;
	void *sink_ctx;
	int64_t taken_us;        /* writer thread: when it took the running batch */
} ch_writeq;

void ch_writeq_init(ch_writeq *q, ch_store *owner, uint64_t max);
void ch_writeq_destroy(ch_writeq *q);
/* Starts the writer thread running main(arg). */
ch_err ch_writeq_start(ch_writeq *q, void *(*main)(void *), void *arg);
/* Lets the writer finish every queued job (ch_writeq_take returns NULL only
 * once stopping and drained), then joins it. */
void ch_writeq_stop(ch_writeq *q);

/* Queues fn; a full queue calls done(arg, CH_ERR_BUSY) at once. */
void ch_writeq_write(ch_writeq *q, ch_store_fn fn, void *arg, ch_store_done_fn done);
/* Queues fn past the bound and waits for its outcome; refused on the writer thread. */
ch_err ch_writeq_write_sync(ch_writeq *q, ch_store_fn fn, void *arg);
/* Wakes the writer for writes queued with the wake-up deferred. */
void ch_writeq_wake(ch_writeq *q);

/* Writer thread: waits for work; returns the whole queue, *n its length
 * (NULL once stopping and drained). */
ch_store_job *ch_writeq_take(ch_writeq *q, size_t *n);
/* Writer thread: counts a batch of n jobs, committed or not, and (committed)
 * its time and each job's since it was queued. */
void ch_writeq_record(ch_writeq *q, const ch_store_job *batch, size_t n, int committed);
/* Writer thread: counts a batch run again. */
void ch_writeq_count_replay(ch_writeq *q);
/* Writer thread: calls every job's done with its err and frees the batch. */
void ch_writeq_finish(ch_store_job *batch);
/* The batch sink and its ctx, read under the lock. */
ch_store_batch_sink ch_writeq_sink(ch_writeq *q, void **ctx);

void ch_writeq_set_sink(ch_writeq *q, ch_store_batch_sink fn, void *ctx);
void ch_writeq_stats_get(ch_writeq *q, ch_store_stats *out);

#endif
