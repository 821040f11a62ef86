/* wsguard.h — failing WebSocket connections whose client sends an unmasked
 * frame.
 *
 * RFC 6455 §5.1: a server MUST close the connection when a client frame is not
 * masked. libwebsockets 4.1.6 reads the mask bit and ignores it (its server
 * parser only rejects masked frames on the client side). lws is a shared
 * library that reads sockets with recv(2), so the executable's recv wins the
 * symbol lookup: ours calls the kernel, then follows only the frame headers of
 * the bytes that arrived on a watched hub socket. The framing itself stays
 * lws's; this only notices the one violation it lets through.
 *
 * Threading: every function here runs on the network thread only, and so does
 * every read of the table of watched sockets. The interposed recv is the
 * whole process's, though: other libraries read their own sockets with it on
 * other threads (libpq on workers and the store writer) and on the network
 * thread (hiredis on our loop). So recv follows a socket only when its caller
 * is the network thread (a thread-local flag, ch_wsguard_bind_thread) AND the
 * socket's number is watched; a number is unwatched on every close of the
 * WebSocket that held it (ws.c, LWS_CALLBACK_CLOSED) and again when lws
 * accepts a new connection under it (http.c), so a number reused by another
 * socket is never followed.
 */
#ifndef CH_NET_WSGUARD_H
#define CH_NET_WSGUARD_H

#include <stdint.h>

/* Marks the calling thread as the network thread: recv follows watched
 * sockets on this thread only. Call once, on the thread that runs the loop. */
void ch_wsguard_bind_thread(void);
/* Starts following the frames of a WebSocket that has just been upgraded;
 * wsi (a struct lws *) is handed back by the sweep. */
void ch_wsguard_watch(int fd, void *wsi);
/* Stops following fd (its connection closed, or fd is a new socket's now);
 * a violation not yet swept is dropped with it. No-op for an unwatched fd. */
void ch_wsguard_unwatch(int fd);
/* How many sockets are watched (tests, leak checks). */
int ch_wsguard_watched(void);
/* 1 when a client frame without a mask, or with RSV bits, arrived on fd. */
int ch_wsguard_violated(int fd);
/* How many violations wait for the sweep (0 almost always: skip it then). */
int ch_wsguard_pending(void);
/* Run after each loop iteration: a connection that violated gets close(wsi)
 * (a 1002 close frame) once; if it is still there a second later, end(wsi)
 * (lws may have answered with its own close frame and then wait for the
 * client forever). */
void ch_wsguard_sweep(int64_t now_ms, void (*close)(void *wsi), void (*end)(void *wsi));

#endif
