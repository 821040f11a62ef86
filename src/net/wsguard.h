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
 * Threading: network thread only (lws reads on it).
 */
#ifndef CH_NET_WSGUARD_H
#define CH_NET_WSGUARD_H

#include <stdint.h>

/* Starts following the frames of a WebSocket that has just been upgraded;
 * wsi (a struct lws *) is handed back by the sweep. */
void ch_wsguard_watch(int fd, void *wsi);
/* Stops following fd (the connection closed). */
void ch_wsguard_forget(int fd);
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
