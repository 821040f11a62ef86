/* listener.h — a listening socket of our own, shared with other processes
 * (SO_REUSEPORT), whose accepted connections are handed to lws.
 *
 * libwebsockets 4.1 sets SO_REUSEPORT only for a context with several service
 * threads, which this build does not have; with `listen_reuse_port` the lws
 * vhost listens on nothing and this module accepts instead, asking the same
 * admission question lws asks (FILTER_NETWORK_CONNECTION) before adopting.
 * Threading: network thread only.
 */
#ifndef CH_NET_LISTENER_H
#define CH_NET_LISTENER_H

#include <ev.h>
#include <libwebsockets.h>

/* Binds and listens on addr:port (addr "" or "*" for every interface) with
 * SO_REUSEADDR and SO_REUSEPORT. Returns 0 and sets *bound_port (the port
 * actually bound, for port 0), or -1 with the reason logged. */
int ch_listener_open(const char *addr, int port, int *bound_port);

/* Starts accepting on the loop into vhost (borrowed, outlives the listener). */
void ch_listener_start(struct ev_loop *loop, struct lws_vhost *vhost);

/* Stops accepting and closes the socket (idempotent). */
void ch_listener_close(void);

#endif
