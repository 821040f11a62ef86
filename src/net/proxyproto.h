/* proxyproto.h — the PROXY protocol header (v1 text, v2 binary) a TCP
 * balancer writes first on each connection to name the client's address,
 * and the list of balancer addresses trusted to write it
 * (proxy_protocol_from).
 *
 * Pure functions over bytes and addresses: the reading of the header off a
 * socket is net/listener.c's.
 * Threading: the trust list is set once before the network thread starts,
 * then only read (network thread); the parser is reentrant.
 */
#ifndef CH_NET_PROXYPROTO_H
#define CH_NET_PROXYPROTO_H

#include <stddef.h>
#include <sys/socket.h>

/* The longest header accepted: a v1 line is at most 107 bytes; a v2 header
 * 16 bytes plus its addresses and TLVs. Longer is refused. */
#define CH_PROXYPROTO_MAX 1024

typedef struct ch_proxyproto_hdr {
	size_t consumed;              /* header bytes; what follows is the client's stream */
	int has_addr;                 /* 0: LOCAL / UNKNOWN / UNSPEC / unix: keep the sender's address */
	struct sockaddr_storage addr; /* the client's address (AF_INET or AF_INET6) when has_addr */
} ch_proxyproto_hdr;

enum { CH_PROXYPROTO_BAD = -1, CH_PROXYPROTO_MORE = 0, CH_PROXYPROTO_DONE = 1 };

/* Parses the first len bytes received on a connection. Returns DONE (*out
 * filled), MORE (a valid prefix: read more, up to CH_PROXYPROTO_MAX) or BAD
 * (not a PROXY header, malformed or too long). */
int ch_proxyproto_parse(const void *buf, size_t len, ch_proxyproto_hdr *out);

/* Sets the trusted senders from "ADDR[/BITS],..." (IPv4 or IPv6; "" = none).
 * Returns 0, or -1 with the offending entry named in err. */
int ch_proxyproto_trust_set(const char *list, char *err, size_t errlen);
/* Whether any sender is trusted (the option is on). */
int ch_proxyproto_enabled(void);
/* Whether the socket address sa is a trusted sender (IPv4-mapped IPv6 counts
 * as IPv4). */
int ch_proxyproto_trusted(const struct sockaddr *sa);

#endif
