/* counter.h — counters shared by every process of a cluster, in fixed
 * windows, kept in Redis (the login limits: a guesser cannot multiply its
 * attempts by the number of processes behind the balancer).
 *
 * Each thread that calls it has its own blocking hiredis connection with a
 * short timeout (workers only: never the network thread). When Redis cannot
 * answer, the calls return -1 and the caller falls back to its own
 * per-process limit; a failed connect is not retried for a second, so a Redis
 * outage costs a login at most one timeout.
 * Threading: any worker thread; ch_counter_init before the threads start.
 */
#ifndef CH_BUS_COUNTER_H
#define CH_BUS_COUNTER_H

#include <stdint.h>

/* url: redis://host[:port][/db]; NULL or "" = no shared counters (every call
 * returns -1). prefix: key prefix ("chathub" when NULL or empty). Returns -1
 * when the URL cannot be parsed. */
int ch_counter_init(const char *url, const char *prefix);
/* Whether shared counters are configured. */
int ch_counter_enabled(void);
/* The count of key in the window of window_ms containing now_ms, and
 * *reset_s (may be NULL), the seconds until that window ends (>= 1).
 * Returns 0, or -1 when Redis could not answer. */
int ch_counter_get(const char *key, int64_t window_ms, int64_t now_ms, int64_t *count, int *reset_s);
/* Adds one to key in the window containing now_ms. 0 or -1 as above. */
int ch_counter_incr(const char *key, int64_t window_ms, int64_t now_ms);
/* Closes the calling thread's connection (thread exit; tests). */
void ch_counter_thread_close(void);

#endif
