/* wake.h — a thread's wake-ups of another thread, deferred to the end of a
 * batch.
 *
 * The store writer answers a whole batch of jobs at once, and each answer is
 * handed to the network thread (net/loop.c), which a queue wakes through an
 * eventfd. Woken at the first answer, the network thread would run for that
 * one while the writer is still answering the others (they share a core when
 * pinned), then sleep and be woken again: an eventfd write and read, an
 * epoll_wait and a smaller write per connection for every few messages. A
 * thread that brackets such a batch with ch_wake_defer_begin / _end makes the
 * queue's wake-ups wait for the end, where each one runs once.
 * Threading: the deferral is the calling thread's own (thread-local).
 */
#ifndef CH_CORE_WAKE_H
#define CH_CORE_WAKE_H

/* From here, this thread's wake-ups (ch_wake_defer) wait for the end. */
void ch_wake_defer_begin(void);
/* Runs each wake-up registered since the begin, once, and ends the deferral. */
void ch_wake_defer_end(void);
/* Returns 1 when this thread defers its wake-ups (fn then runs at the end,
 * once however often it is registered), else 0: the caller wakes now. */
int ch_wake_defer(void (*fn)(void));

#endif
