/* peers.c — per-address accounting (see peers.h): a chained hash table of
 * the addresses that hold connections or body bytes now.
 * Threading: network thread only. */
#include "net/peers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"

struct ch_peer {
	char ip[64];
	int64_t conns, bytes;
	struct ch_peer *next;
};

static struct {
	ch_peers_limits l;
	ch_peer **buckets;
	size_t nbuckets, n;
	int64_t conns, bytes;
} P;

void ch_peers_init(const ch_peers_limits *l)
{
	ch_peers_fini();
	P.l = *l;
	P.nbuckets = 1024;
	P.buckets = ch_xcalloc(P.nbuckets, sizeof *P.buckets);
}

void ch_peers_fini(void)
{
	for (size_t i = 0; i < P.nbuckets; i++)
		for (ch_peer *p = P.buckets[i], *next; p; p = next) {
			next = p->next;
			free(p);
		}
	free(P.buckets);
	memset(&P, 0, sizeof P);
}

static size_t bucket_of(const char *ip, size_t nbuckets)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *ip; ip++)
		h = (h ^ (unsigned char)*ip) * 1099511628211ull;
	return (size_t)(h & (nbuckets - 1));
}

static void grow(void)
{
	size_t nb = P.nbuckets * 2;
	ch_peer **b = ch_xcalloc(nb, sizeof *b);
	for (size_t i = 0; i < P.nbuckets; i++)
		for (ch_peer *p = P.buckets[i], *next; p; p = next) {
			next = p->next;
			size_t k = bucket_of(p->ip, nb);
			p->next = b[k];
			b[k] = p;
		}
	free(P.buckets);
	P.buckets = b;
	P.nbuckets = nb;
}

static ch_peer *find_or_add(const char *ip)
{
	size_t k = bucket_of(ip, P.nbuckets);
	for (ch_peer *p = P.buckets[k]; p; p = p->next)
		if (!strcmp(p->ip, ip))
			return p;
	if (P.n >= P.nbuckets * 2) {
		grow();
		k = bucket_of(ip, P.nbuckets);
	}
	ch_peer *p = ch_xcalloc(1, sizeof *p);
	snprintf(p->ip, sizeof p->ip, "%s", ip);
	p->next = P.buckets[k];
	P.buckets[k] = p;
	P.n++;
	return p;
}

/* Frees p once it holds nothing. */
static void forget_if_idle(ch_peer *p)
{
	if (p->conns || p->bytes)
		return;
	for (ch_peer **pp = &P.buckets[bucket_of(p->ip, P.nbuckets)]; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			P.n--;
			free(p);
			return;
		}
}

ch_peer *ch_peers_connect(const char *ip)
{
	if (P.l.max_connections && P.conns >= P.l.max_connections)
		return NULL;
	ch_peer *p = find_or_add(ip);
	if (P.l.max_connections_per_ip && p->conns >= P.l.max_connections_per_ip) {
		forget_if_idle(p);
		return NULL;
	}
	p->conns++;
	P.conns++;
	return p;
}

void ch_peers_disconnect(ch_peer *p)
{
	if (!p)
		return;
	p->conns--;
	P.conns--;
	forget_if_idle(p);
}

int ch_peers_reserve(ch_peer *p, int64_t n)
{
	if (n <= 0)
		return 0;
	if (P.bytes + n > P.l.body_memory_max || (p && p->bytes + n > P.l.body_memory_per_ip))
		return -1;
	P.bytes += n;
	if (p)
		p->bytes += n;
	return 0;
}

void ch_peers_release(ch_peer *p, int64_t n)
{
	if (n <= 0)
		return;
	P.bytes -= n;
	if (p) {
		p->bytes -= n;
		forget_if_idle(p);
	}
}

const char *ch_peers_ip(const ch_peer *p) { return p->ip; }

int64_t ch_peers_connections(void) { return P.conns; }
int64_t ch_peers_body_bytes(void) { return P.bytes; }

void ch_peers_addr_text(const void *sockaddr, char out[64])
{
	const struct sockaddr *sa = sockaddr;
	out[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
	else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = sockaddr;
		/* an IPv4 client on a dual-stack socket counts as its IPv4 address */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, 64);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, 64);
	}
}
