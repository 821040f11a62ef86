/* netaddr.h — where an outbound URL may lead: the parts of an http(s) URL,
 * and the class of an IPv4 address (public; on a local network; never a
 * destination). An organization's outboundUrl is checked with it when it is
 * set (a literal address) and at each delivery (the resolved address, before
 * connecting), so a tenant cannot make the server POST to its own loopback,
 * its private network or a cloud metadata service.
 * Threading: pure functions, any thread.
 */
#ifndef CH_CORE_NETADDR_H
#define CH_CORE_NETADDR_H

#include <stddef.h>
#include <stdint.h>

typedef enum ch_netaddr_kind {
	CH_NETADDR_PUBLIC = 0,
	/* on a local network: allowed only with outbound_allow_private */
	CH_NETADDR_LOOPBACK,    /* 127.0.0.0/8 */
	CH_NETADDR_PRIVATE,     /* 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 */
	CH_NETADDR_LINK_LOCAL,  /* 169.254.0.0/16 (cloud metadata services) */
	CH_NETADDR_SHARED,      /* 100.64.0.0/10 (carrier-grade NAT) */
	/* never a destination */
	CH_NETADDR_UNSPECIFIED, /* 0.0.0.0/8 */
	CH_NETADDR_MULTICAST,   /* 224.0.0.0/4 */
	CH_NETADDR_RESERVED,    /* 240.0.0.0/4 (with 255.255.255.255), 192.0.0.0/24 (IETF), 198.18.0.0/15
	                           (benchmarks), 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (documentation) */
} ch_netaddr_kind;

/* The class of an IPv4 address in host byte order. */
ch_netaddr_kind ch_netaddr_kind_v4(uint32_t addr);
/* "loopback", "private", "link-local", "shared (CGNAT)", … Returns a static string. */
const char *ch_netaddr_kind_name(ch_netaddr_kind k);
/* Whether a delivery may connect to addr (host byte order): public addresses,
 * and with allow_private also loopback, private, link-local and shared ones. */
int ch_netaddr_is_public(uint32_t addr, int allow_private);
/* Parses an IPv4 literal the way the resolver reads one ("127.0.0.1", also
 * "127.1", "0x7f.0.0.1", "2130706433"); 0 and *addr (host byte order), or -1
 * when s is not an address (then it is a host name). */
int ch_netaddr_parse_v4(const char *s, uint32_t *addr);

typedef struct ch_netaddr_url {
	int tls;         /* https */
	int port;        /* explicit, or 80/443 */
	char host[254];  /* a host name or IPv4 literal: letters, digits, '-', '_', '.' */
	char path[2050]; /* "/…" with the query, without the fragment */
} ch_netaddr_url;

/* Splits an http(s)://host[:port][/path][?query][#fragment] URL. Returns NULL
 * with u filled, or a static sentence saying what is wrong (no user
 * information, no spaces or control characters, a valid host and port). */
const char *ch_netaddr_url_parse(const char *url, ch_netaddr_url *u);

/* The one IPv4 address to connect to for host (a name, or a literal), found
 * with the system resolver: call it on a worker thread (it blocks). 0 and
 * ip (dotted) when the address may be connected to (ch_netaddr_is_public);
 * -1 when host does not resolve; -2 when it resolves to an address that is
 * refused, *kind its class. The caller connects to ip, never to the name, so
 * a second lookup cannot lead elsewhere. */
int ch_netaddr_resolve_v4(const char *host, int allow_private, char ip[16], ch_netaddr_kind *kind);
/* Why ch_netaddr_resolve_v4 answered rc (not 0), as a sentence into why. */
void ch_netaddr_resolve_error(int rc, const char *host, ch_netaddr_kind kind, char *why, size_t n);
/* Both steps for url: its parts into *u and the address to connect to into
 * ip; 0, or -1 with why ("url <what is wrong>", or ch_netaddr_resolve_error's
 * sentence). Blocks (DNS): worker threads only. */
int ch_netaddr_target(const char *url, int allow_private, ch_netaddr_url *u, char ip[16], char *why, size_t n);

/* A Redis URL, the one grammar of bus_url (config, the bus, the counters):
 * redis://HOST:PORT[/DB], HOST a name, an IPv4 literal or [an IPv6 literal]
 * (stored without brackets), PORT 1-65535, DB 0-1000000 (0 when absent); no
 * credentials (refused rather than ignored: keep Redis on a private network).
 * 0, or -1 when url is not one. */
int ch_netaddr_redis_url(const char *url, char *host, size_t hostsz, int *port, int *db);

#endif
