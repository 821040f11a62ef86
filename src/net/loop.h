/* loop.h — handing work back to the network thread.
 *
 * Workers finish a job and call ch_loop_post(fn, arg); fn(arg) then runs on the
 * network thread at its next turn. The queue is a mutex-protected list and the
 * wake-up is a libev ev_async watcher on our own loop: libev documents
 * ev_async_send() as safe from any thread, it touches no lws state, and unlike
 * lws_cancel_service() it is not broadcast to every protocol.
 * Threading: ch_loop_post from any thread; the rest on the network thread.
 */
#ifndef CH_NET_LOOP_H
#define CH_NET_LOOP_H

struct ev_loop;

typedef void (*ch_loop_fn)(void *arg);

/* Call on the thread that will run the loop: it becomes the network thread
 * (net/wsguard.h follows WebSocket frames on it only). */
void ch_loop_init(struct ev_loop *loop);
/* Runs fn(arg) on the network thread soon. arg is owned by fn. */
void ch_loop_post(ch_loop_fn fn, void *arg);
/* Runs everything still queued, then stops the watcher. */
void ch_loop_fini(void);

#endif
