/* listener.h — a listening socket of our own, optionally shared with other
 * processes (SO_REUSEPORT), whose accepted connections are handed to lws.
 *
 * libwebsockets 4.1 sets SO_REUSEPORT only for a context with several service
 * threads, which this build does not have, and knows no PROXY protocol; with
 * `listen_reuse_port` or `proxy_protocol_from` the lws vhost listens on
 * nothing and this module accepts instead, reads a trusted balancer's PROXY
 * header (net/proxyproto.h), and asks the same admission question lws asks
 * (FILTER_NETWORK_CONNECTION) under the client's address before adopting.
 * Threading: network thread only.
 */
#ifndef CH_NET_LISTENER_H
#define CH_NET_LISTENER_H

#include <ev.h>
#include <libwebsockets.h>

/* Whether addr:port can be bound now, tried and released at once (SO_REUSEADDR,
 * like lws): a clear "address in use" before lws's own listen, whose failure
 * in lws 4.1 also leaks. 0, or -1 with the error logged; an address it cannot
 * parse answers 0 (lws decides). */
int ch_listener_probe(const char *addr, int port);
/* Binds and listens on addr:port (addr "" or "*" for every interface) with
 * SO_REUSEADDR, and SO_REUSEPORT when reuse_port. Returns 0 and sets
 * *bound_port (the port actually bound, for port 0), or -1 with the reason
 * logged. */
int ch_listener_open(const char *addr, int port, int reuse_port, int *bound_port);

/* Starts accepting on the loop into vhost (borrowed, outlives the listener). */
void ch_listener_start(struct ev_loop *loop, struct lws_vhost *vhost);

/* Stops accepting and closes the socket and the connections still waiting
 * for their PROXY header (idempotent). */
void ch_listener_close(void);

#endif
