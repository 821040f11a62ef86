/* peers.h — what each client address holds right now: open TCP connections
 * and request-body bytes buffered, so that one address cannot take the whole
 * server (max_connections_per_ip, its share of body_memory_max), and the
 * server-wide totals behind max_connections and body_memory_max.
 *
 * A peer entry exists while it holds something: it is created by the first
 * connection or reservation and freed when both counts are back to zero, so
 * memory follows the live connections, never the addresses ever seen.
 * Threading: network thread only.
 */
#ifndef CH_NET_PEERS_H
#define CH_NET_PEERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ch_peer ch_peer;

typedef struct ch_peers_limits {
	int64_t max_connections;        /* server-wide open connections */
	int64_t max_connections_per_ip;
	int64_t body_memory_max;        /* request-body bytes buffered server-wide */
	int64_t body_memory_per_ip;     /* ... by one address */
} ch_peers_limits;

void ch_peers_init(const ch_peers_limits *l);
/* Frees every entry (after the last connection is gone). */
void ch_peers_fini(void);

/* A new connection from ip (text form). Returns its peer (borrowed until
 * ch_peers_disconnect), or NULL when the address or the server is at its
 * connection limit: the caller refuses the connection. */
ch_peer *ch_peers_connect(const char *ip);
void ch_peers_disconnect(ch_peer *p);
/* The address p was connected under (borrowed, lives as long as p): the
 * client's, from a trusted balancer's PROXY header (net/proxyproto.h), or
 * the TCP peer's. Every per-address limit and log line uses this one. */
const char *ch_peers_ip(const ch_peer *p);

/* Reserves n more body bytes for p (server-wide and per address). Returns 0,
 * or -1 when a budget would be exceeded (nothing reserved). */
int ch_peers_reserve(ch_peer *p, int64_t n);
/* Gives back n reserved bytes. */
void ch_peers_release(ch_peer *p, int64_t n);

/* Server-wide figures (metrics, tests). */
int64_t ch_peers_connections(void);
int64_t ch_peers_body_bytes(void);
/* The text form of a socket address ("127.0.0.1", "::1"), at most 63 bytes. */
void ch_peers_addr_text(const void *sockaddr, char out[64]);

#endif
