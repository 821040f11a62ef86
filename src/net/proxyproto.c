/* proxyproto.c — PROXY protocol v1/v2 header parser and the trusted-sender
 * list (see proxyproto.h; the format is haproxy's proxy-protocol.txt).
 * Threading: the list is written once at start-up, before the network
 * thread reads it; the parser keeps no state.
 */
#include "net/proxyproto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define V1_MAX 107 /* "PROXY TCP6 " + two full IPv6 addresses + ports + CRLF */
#define TRUST_MAX 64

static const unsigned char v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* ---- v1: "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" --------------- */

static int v1_port(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 5 || strspn(s, "0123456789") != n)
		return -1;
	return atoi(s) <= 65535 ? 0 : -1;
}

/* One complete line (without its CRLF, NUL-terminated). */
static int v1_fields(char *line, ch_proxyproto_hdr *out)
{
	char *f[7]; /* a 7th field is one too many */
	int n = 0;
	for (char *s = line, *sp; n < 7; s = sp + 1) {
		f[n++] = s;
		if (!(sp = strchr(s, ' ')))
			break;
		*sp = 0;
	}
	if (n >= 2 && !strcmp(f[1], "UNKNOWN"))
		return CH_PROXYPROTO_DONE; /* the balancer's own address stands */
	if (n != 6 || v1_port(f[4]) || v1_port(f[5]))
		return CH_PROXYPROTO_BAD;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	unsigned char dst[16];
	if (!strcmp(f[1], "TCP4") && inet_pton(AF_INET, f[2], &v4->sin_addr) == 1 && inet_pton(AF_INET, f[3], dst) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)atoi(f[4]));
	} else if (!strcmp(f[1], "TCP6") && inet_pton(AF_INET6, f[2], &v6->sin6_addr) == 1 &&
	           inet_pton(AF_INET6, f[3], dst) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)atoi(f[4]));
	} else {
		return CH_PROXYPROTO_BAD;
	}
	out->has_addr = 1;
	return CH_PROXYPROTO_DONE;
}

static int parse_v1(const char *b, size_t len, ch_proxyproto_hdr *out)
{
	size_t lim = len < V1_MAX ? len : V1_MAX;
	for (size_t i = 0; i < lim; i++) {
		if (b[i] == '\n')
			return CH_PROXYPROTO_BAD; /* a line ends with CRLF */
		if (b[i] != '\r')
			continue;
		if (i + 1 >= len)
			return CH_PROXYPROTO_MORE;
		if (b[i + 1] != '\n')
			return CH_PROXYPROTO_BAD;
		char line[V1_MAX + 1];
		memcpy(line, b, i);
		line[i] = 0;
		if (memchr(line, 0, i))
			return CH_PROXYPROTO_BAD;
		out->consumed = i + 2;
		return v1_fields(line, out);
	}
	return len >= V1_MAX ? CH_PROXYPROTO_BAD : CH_PROXYPROTO_MORE;
}

/* ---- v2: 12-byte signature, ver/cmd, family, length, addresses, TLVs ------ */

static int parse_v2(const unsigned char *b, size_t len, ch_proxyproto_hdr *out)
{
	if (len < 16)
		return CH_PROXYPROTO_MORE;
	unsigned ver = b[12] >> 4, cmd = b[12] & 0xf, fam = b[13] >> 4, proto = b[13] & 0xf;
	size_t body = (size_t)b[14] << 8 | b[15];
	if (ver != 2 || cmd > 1 || 16 + body > CH_PROXYPROTO_MAX)
		return CH_PROXYPROTO_BAD;
	if (len < 16 + body)
		return CH_PROXYPROTO_MORE;
	out->consumed = 16 + body;
	if (cmd == 0 || fam == 0 || fam == 3) /* LOCAL (health check), UNSPEC, unix: the sender's address */
		return CH_PROXYPROTO_DONE;
	if (proto != 1 || fam > 3)
		return CH_PROXYPROTO_BAD; /* only TCP over IPv4/IPv6 names a client */
	if (fam == 1) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
		if (body < 12)
			return CH_PROXYPROTO_BAD;
		v4->sin_family = AF_INET;
		memcpy(&v4->sin_addr, b + 16, 4);
		memcpy(&v4->sin_port, b + 24, 2);
	} else {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
		if (body < 36)
			return CH_PROXYPROTO_BAD;
		v6->sin6_family = AF_INET6;
		memcpy(&v6->sin6_addr, b + 16, 16);
		memcpy(&v6->sin6_port, b + 48, 2);
	}
	out->has_addr = 1;
	return CH_PROXYPROTO_DONE;
}

int ch_proxyproto_parse(const void *buf, size_t len, ch_proxyproto_hdr *out)
{
	memset(out, 0, sizeof *out);
	const unsigned char *b = buf;
	if (!len)
		return CH_PROXYPROTO_MORE;
	if (!memcmp(b, "PROXY ", len < 6 ? len : 6))
		return len < 6 ? CH_PROXYPROTO_MORE : parse_v1(buf, len, out);
	if (!memcmp(b, v2_sig, len < 12 ? len : 12))
		return parse_v2(b, len, out);
	return CH_PROXYPROTO_BAD;
}

/* ---- trusted senders ------------------------------------------------------ */

static struct trust {
	int family;
	unsigned char addr[16];
	int bits;
} T[TRUST_MAX];
static int ntrust;

static int trust_entry(const char *s, struct trust *t)
{
	char host[80];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof host)
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') { /* "[::1]" */
		memmove(host, host + 1, n - 2);
		host[n - 2] = 0;
	}
	if (inet_pton(AF_INET, host, t->addr) == 1)
		t->family = AF_INET, t->bits = 32;
	else if (inet_pton(AF_INET6, host, t->addr) == 1)
		t->family = AF_INET6, t->bits = 128;
	else
		return -1;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || bits < 0 || bits > t->bits)
			return -1;
		t->bits = (int)bits;
	}
	return 0;
}

int ch_proxyproto_trust_set(const char *list, char *err, size_t errlen)
{
	ntrust = 0;
	char *copy = ch_xstrdup(list ? list : ""), *save = NULL;
	int rc = 0;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (ntrust == TRUST_MAX || trust_entry(tok, &T[ntrust])) {
			snprintf(err, errlen, "proxy_protocol_from: \"%s\" is not an IPv4/IPv6 address or ADDR/BITS%s", tok,
			         ntrust == TRUST_MAX ? " (or more than 64 entries)" : "");
			ntrust = 0;
			rc = -1;
			break;
		}
		ntrust++;
	}
	free(copy);
	return rc;
}

int ch_proxyproto_enabled(void) { return ntrust > 0; }

static int prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)whole))
		return 0;
	return !rest || !((a[whole] ^ b[whole]) & (0xff << (8 - rest)));
}

int ch_proxyproto_trusted(const struct sockaddr *sa)
{
	int family = sa->sa_family;
	const unsigned char *a;
	if (family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) /* IPv4 on a dual-stack socket */
			family = AF_INET, a += 12;
	} else {
		return 0;
	}
	for (int i = 0; i < ntrust; i++)
		if (T[i].family == family && prefix_match(a, T[i].addr, T[i].bits))
			return 1;
	return 0;
}
