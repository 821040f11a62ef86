/* netaddr.c — outbound URL parts and IPv4 address classes (see netaddr.h).
 * The ranges are IANA's special-purpose registry, reduced to what decides a
 * delivery: reachable on the Internet, only on a local network, or nowhere.
 * Threading: pure functions, any thread. */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	uint32_t net;
	int bits;
	ch_netaddr_kind kind;
} ranges[] = {
	{0x00000000u, 8, CH_NETADDR_UNSPECIFIED}, /* 0.0.0.0/8 */
	{0x0a000000u, 8, CH_NETADDR_PRIVATE},     /* 10.0.0.0/8 */
	{0x64400000u, 10, CH_NETADDR_SHARED},     /* 100.64.0.0/10 */
	{0x7f000000u, 8, CH_NETADDR_LOOPBACK},    /* 127.0.0.0/8 */
	{0xa9fe0000u, 16, CH_NETADDR_LINK_LOCAL}, /* 169.254.0.0/16 */
	{0xac100000u, 12, CH_NETADDR_PRIVATE},    /* 172.16.0.0/12 */
	{0xc0000000u, 24, CH_NETADDR_RESERVED},   /* 192.0.0.0/24 */
	{0xc0000200u, 24, CH_NETADDR_RESERVED},   /* 192.0.2.0/24 */
	{0xc0a80000u, 16, CH_NETADDR_PRIVATE},    /* 192.168.0.0/16 */
	{0xc6120000u, 15, CH_NETADDR_RESERVED},   /* 198.18.0.0/15 */
	{0xc6336400u, 24, CH_NETADDR_RESERVED},   /* 198.51.100.0/24 */
	{0xcb007100u, 24, CH_NETADDR_RESERVED},   /* 203.0.113.0/24 */
	{0xe0000000u, 4, CH_NETADDR_MULTICAST},   /* 224.0.0.0/4 */
	{0xf0000000u, 4, CH_NETADDR_RESERVED},    /* 240.0.0.0/4, 255.255.255.255 */
};

ch_netaddr_kind ch_netaddr_kind_v4(uint32_t addr)
{
	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		uint32_t mask = 0xffffffffu << (32 - ranges[i].bits);
		if ((addr & mask) == ranges[i].net)
			return ranges[i].kind;
	}
	return CH_NETADDR_PUBLIC;
}

const char *ch_netaddr_kind_name(ch_netaddr_kind k)
{
	switch (k) {
	case CH_NETADDR_PUBLIC: return "public";
	case CH_NETADDR_LOOPBACK: return "loopback";
	case CH_NETADDR_PRIVATE: return "private";
	case CH_NETADDR_LINK_LOCAL: return "link-local";
	case CH_NETADDR_SHARED: return "shared (CGNAT)";
	case CH_NETADDR_UNSPECIFIED: return "unspecified";
	case CH_NETADDR_MULTICAST: return "multicast";
	case CH_NETADDR_RESERVED: return "reserved";
	}
	return "reserved";
}

int ch_netaddr_is_public(uint32_t addr, int allow_private)
{
	ch_netaddr_kind k = ch_netaddr_kind_v4(addr);
	return k == CH_NETADDR_PUBLIC || (allow_private && k < CH_NETADDR_UNSPECIFIED);
}

int ch_netaddr_parse_v4(const char *s, uint32_t *addr)
{
	/* inet_aton is what getaddrinfo applies to a numeric host; it also ignores
	 * anything after a space, so only the characters of a number get there. */
	struct in_addr in;
	if (!*s || s[strspn(s, "0123456789abcdefABCDEFxX.")] || !inet_aton(s, &in))
		return -1;
	*addr = ntohl(in.s_addr);
	return 0;
}

/* A DNS name or an IPv4 literal: dot-separated labels of 1–63 letters, digits,
 * '-' or '_' (an optional final dot), 253 characters at most. */
static int valid_host(const char *h, size_t n)
{
	if (!n || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		if (ch == '.') {
			if (!label)
				return 0;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		           ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label || n > 1;
}

const char *ch_netaddr_url_parse(const char *url, ch_netaddr_url *u)
{
	memset(u, 0, sizeof *u);
	for (const unsigned char *q = (const unsigned char *)url; *q; q++)
		if (*q <= 0x20 || *q == 0x7f)
			return "must not contain spaces or control characters";
	const char *p;
	if (!strncasecmp(url, "https://", 8))
		u->tls = 1, p = url + 8;
	else if (!strncasecmp(url, "http://", 7))
		p = url + 7;
	else
		return "must be an http(s) URL";
	if (memchr(p, '@', strcspn(p, "/?#")))
		return "must not contain user information (user@host)";
	size_t hl = strcspn(p, ":/?#");
	if (!valid_host(p, hl))
		return "the host must be a host name or an IPv4 address";
	memcpy(u->host, p, hl);
	u->host[hl] = '\0';
	p += hl;
	u->port = u->tls ? 443 : 80;
	if (*p == ':') {
		size_t dl = strspn(++p, "0123456789");
		long port = dl && dl <= 5 ? strtol(p, NULL, 10) : 0;
		if (port < 1 || port > 65535 || (p[dl] && !strchr("/?#", p[dl])))
			return "the port must be a number from 1 to 65535";
		u->port = (int)port;
		p += dl;
	}
	size_t pl = strcspn(p, "#"); /* a fragment is never sent */
	if (pl + 2 > sizeof u->path)
		return "is too long";
	snprintf(u->path, sizeof u->path, "%s%.*s", *p == '/' ? "" : "/", (int)pl, p);
	return NULL;
}

int ch_netaddr_redis_url(const char *url, char *host, size_t hostsz, int *port, int *db)
{
	if (!url || strncmp(url, "redis://", 8) || strchr(url, '@'))
		return -1;
	const char *h = url + 8, *end;
	size_t n;
	if (*h == '[') { /* [IPv6] */
		end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -1;
		h++;
		n = (size_t)(end - h);
		end++;
	} else {
		n = strcspn(h, ":/");
		end = h + n;
		if (*end != ':')
			return -1;
	}
	if (!n || n >= hostsz)
		return -1;
	char *e;
	long p = strtol(end + 1, &e, 10);
	if (e == end + 1 || p < 1 || p > 65535 || (*e && *e != '/'))
		return -1;
	long d = 0;
	if (*e == '/') {
		const char *ds = e + 1;
		d = strtol(ds, &e, 10);
		if (e == ds || *e || d < 0 || d > 1000000)
			return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (int)p;
	if (db)
		*db = (int)d;
	return 0;
}

/* IPv4 only: the classifier and the connection agree on AF_INET. */
int ch_netaddr_resolve_v4(const char *host, int allow_private, char ip[16], ch_netaddr_kind *kind)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	*kind = CH_NETADDR_PUBLIC;
	ip[0] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) || !res)
		return -1;
	struct in_addr a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	*kind = ch_netaddr_kind_v4(ntohl(a.s_addr));
	if (!ch_netaddr_is_public(ntohl(a.s_addr), allow_private))
		return -2;
	inet_ntop(AF_INET, &a, ip, 16);
	return 0;
}

int ch_netaddr_target(const char *url, int allow_private, ch_netaddr_url *u, char ip[16], char *why, size_t n)
{
	ch_netaddr_kind kind;
	const char *bad = ch_netaddr_url_parse(url, u);
	if (bad) {
		snprintf(why, n, "url %s", bad);
		return -1;
	}
	int rc = ch_netaddr_resolve_v4(u->host, allow_private, ip, &kind);
	if (rc) {
		ch_netaddr_resolve_error(rc, u->host, kind, why, n);
		return -1;
	}
	return 0;
}

void ch_netaddr_resolve_error(int rc, const char *host, ch_netaddr_kind kind, char *why, size_t n)
{
	if (rc == -2)
		snprintf(why, n, "refused: %s resolves to a %s address", host, ch_netaddr_kind_name(kind));
	else
		snprintf(why, n, "%s does not resolve", host);
}
