/* Unit tests of the PROXY protocol header parser and the trusted-sender list
 * behind proxy_protocol_from (net/proxyproto.c). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/peers.h"
#include "net/proxyproto.h"

static const unsigned char SIG[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* A v2 header: ver_cmd, fam, then body bytes. Returns its length. */
static size_t v2(unsigned char *out, unsigned char ver_cmd, unsigned char fam, const void *body, size_t n)
{
	memcpy(out, SIG, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (unsigned char)(n >> 8);
	out[15] = (unsigned char)n;
	if (n)
		memcpy(out + 16, body, n);
	return 16 + n;
}

static void addr_is(const ch_proxyproto_hdr *h, const char *want)
{
	char got[64];
	cr_assert(h->has_addr);
	ch_peers_addr_text(&h->addr, got);
	cr_assert_str_eq(got, want);
}

Test(proxyproto, v1_tcp4_and_what_follows)
{
	const char *s = "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n";
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(s, strlen(s), &h), CH_PROXYPROTO_DONE);
	cr_assert_eq(h.consumed, strlen("PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\n"));
	addr_is(&h, "203.0.113.7");
}

Test(proxyproto, v1_tcp6_and_unknown)
{
	const char *s = "PROXY TCP6 2001:db8::1 2001:db8::2 1234 80\r\n";
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(s, strlen(s), &h), CH_PROXYPROTO_DONE);
	addr_is(&h, "2001:db8::1");
	const char *u = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
	cr_assert_eq(ch_proxyproto_parse(u, strlen(u), &h), CH_PROXYPROTO_DONE);
	cr_assert_not(h.has_addr, "UNKNOWN keeps the sender's address");
	cr_assert_eq(h.consumed, strlen(u));
}

Test(proxyproto, v1_malformed)
{
	const char *bad[] = {
	    "PROXY TCP4 203.0.113.7 10.0.0.1 56324\r\n",       /* a field missing */
	    "PROXY TCP4 203.0.113.7 10.0.0.1 56324 443 x\r\n", /* one too many */
	    "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n",         /* family mismatch */
	    "PROXY TCP6 203.0.113.7 10.0.0.1 1 2\r\n",
	    "PROXY TCP4 203.0.113.7 10.0.0.1 65536 443\r\n", /* port out of range */
	    "PROXY TCP4 203.0.113.7 10.0.0.1 -1 443\r\n",
	    "PROXY TCP4  203.0.113.7 10.0.0.1 1 2\r\n", /* double space */
	    "PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n",
	    "PROXY TCP4 203.0.113.7 10.0.0.1 1 2\n", /* LF alone */
	    "PROXY TCP4 203.0.113.7 10.0.0.1 1 2\rX",
	    "GET / HTTP/1.1\r\n\r\n", /* not a header at all */
	    "proxy TCP4 203.0.113.7 10.0.0.1 1 2\r\n",
	};
	ch_proxyproto_hdr h;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert_eq(ch_proxyproto_parse(bad[i], strlen(bad[i]), &h), CH_PROXYPROTO_BAD, "%s", bad[i]);
}

Test(proxyproto, v1_oversized_line)
{
	char s[200];
	memset(s, 'x', sizeof s);
	memcpy(s, "PROXY TCP4 ", 11);
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(s, 106, &h), CH_PROXYPROTO_MORE, "up to 107 bytes may still end in CRLF");
	cr_assert_eq(ch_proxyproto_parse(s, 107, &h), CH_PROXYPROTO_BAD);
	cr_assert_eq(ch_proxyproto_parse(s, sizeof s, &h), CH_PROXYPROTO_BAD);
}

Test(proxyproto, v1_every_split_is_more_until_complete)
{
	const char *s = "PROXY TCP4 198.51.100.9 10.0.0.1 1 2\r\n";
	size_t n = strlen(s);
	ch_proxyproto_hdr h;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ch_proxyproto_parse(s, i, &h), CH_PROXYPROTO_MORE, "after %zu bytes", i);
	cr_assert_eq(ch_proxyproto_parse(s, n, &h), CH_PROXYPROTO_DONE);
	addr_is(&h, "198.51.100.9");
}

Test(proxyproto, v2_tcp4)
{
	unsigned char b[64], body[12] = {192, 0, 2, 44, 10, 0, 0, 1, 0xdb, 0xe4, 0x01, 0xbb};
	size_t n = v2(b, 0x21, 0x11, body, sizeof body);
	memcpy(b + n, "GET", 3);
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(b, n + 3, &h), CH_PROXYPROTO_DONE);
	cr_assert_eq(h.consumed, 28);
	addr_is(&h, "192.0.2.44");
	cr_assert_eq(ntohs(((struct sockaddr_in *)&h.addr)->sin_port), 0xdbe4);
}

Test(proxyproto, v2_tcp6_with_tlvs)
{
	unsigned char b[128], body[36 + 7] = {0};
	inet_pton(AF_INET6, "2001:db8::77", body);
	inet_pton(AF_INET6, "2001:db8::1", body + 16);
	body[36] = 0x04, body[38] = 4; /* a TLV (type 4, NOOP, 4 bytes) after the addresses */
	size_t n = v2(b, 0x21, 0x21, body, sizeof body);
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(b, n, &h), CH_PROXYPROTO_DONE);
	cr_assert_eq(h.consumed, n, "the TLVs belong to the header");
	addr_is(&h, "2001:db8::77");
}

Test(proxyproto, v2_local_and_unspec_keep_the_sender)
{
	unsigned char b[64], body[12] = {192, 0, 2, 44, 10, 0, 0, 1, 0, 1, 0, 2};
	ch_proxyproto_hdr h;
	size_t n = v2(b, 0x20, 0x00, NULL, 0); /* LOCAL: a health check */
	cr_assert_eq(ch_proxyproto_parse(b, n, &h), CH_PROXYPROTO_DONE);
	cr_assert_not(h.has_addr);
	cr_assert_eq(h.consumed, 16);
	n = v2(b, 0x20, 0x11, body, sizeof body); /* LOCAL with addresses: still the sender's */
	cr_assert_eq(ch_proxyproto_parse(b, n, &h), CH_PROXYPROTO_DONE);
	cr_assert_not(h.has_addr);
	n = v2(b, 0x21, 0x00, NULL, 0); /* PROXY, UNSPEC */
	cr_assert_eq(ch_proxyproto_parse(b, n, &h), CH_PROXYPROTO_DONE);
	cr_assert_not(h.has_addr);
}

Test(proxyproto, v2_malformed)
{
	unsigned char b[64], body[12] = {0};
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x11, 0x11, body, 12), &h), CH_PROXYPROTO_BAD, "version 1 in v2");
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x22, 0x11, body, 12), &h), CH_PROXYPROTO_BAD, "command 2");
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x21, 0x11, body, 8), &h), CH_PROXYPROTO_BAD, "short IPv4 block");
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x21, 0x21, body, 12), &h), CH_PROXYPROTO_BAD, "short IPv6 block");
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x21, 0x12, body, 12), &h), CH_PROXYPROTO_BAD, "UDP");
	cr_assert_eq(ch_proxyproto_parse(b, v2(b, 0x21, 0x41, body, 12), &h), CH_PROXYPROTO_BAD, "family 4");
	b[3] = 'X'; /* a broken signature */
	cr_assert_eq(ch_proxyproto_parse(b, 28, &h), CH_PROXYPROTO_BAD);
}

Test(proxyproto, v2_oversized_and_truncated)
{
	unsigned char b[16];
	memcpy(b, SIG, 12);
	b[12] = 0x21, b[13] = 0x11, b[14] = 0x04, b[15] = 0x00; /* 1024 more bytes: over the limit */
	ch_proxyproto_hdr h;
	cr_assert_eq(ch_proxyproto_parse(b, 16, &h), CH_PROXYPROTO_BAD);
	unsigned char full[64], body[12] = {192, 0, 2, 1, 10, 0, 0, 1, 0, 1, 0, 2};
	size_t n = v2(full, 0x21, 0x11, body, sizeof body);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ch_proxyproto_parse(full, i, &h), CH_PROXYPROTO_MORE, "after %zu bytes", i);
	cr_assert_eq(ch_proxyproto_parse(full, n, &h), CH_PROXYPROTO_DONE);
}

static int trusted(const char *ip)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1)
		v4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1)
		v6->sin6_family = AF_INET6;
	return ch_proxyproto_trusted((struct sockaddr *)&ss);
}

Test(proxyproto, trust_list)
{
	char err[200];
	cr_assert_eq(ch_proxyproto_trust_set("", err, sizeof err), 0);
	cr_assert_not(ch_proxyproto_enabled());
	cr_assert_not(trusted("127.0.0.1"));
	cr_assert_eq(ch_proxyproto_trust_set("127.0.0.254, 10.1.0.0/16,[2001:db8::]/32", err, sizeof err), 0);
	cr_assert(ch_proxyproto_enabled());
	cr_assert(trusted("127.0.0.254"));
	cr_assert_not(trusted("127.0.0.1"));
	cr_assert(trusted("10.1.255.3"));
	cr_assert_not(trusted("10.2.0.1"));
	cr_assert(trusted("2001:db8:ffff::1"));
	cr_assert_not(trusted("2001:db9::1"));
	cr_assert(trusted("::ffff:10.1.2.3"), "IPv4 on a dual-stack socket");
	cr_assert_eq(ch_proxyproto_trust_set("10.0.0.0/12x", err, sizeof err), -1);
	cr_assert(strstr(err, "10.0.0.0/12x"), "%s", err);
	cr_assert_not(ch_proxyproto_enabled(), "a bad list trusts nobody");
	cr_assert_eq(ch_proxyproto_trust_set("10.0.0.0/33", err, sizeof err), -1);
	cr_assert_eq(ch_proxyproto_trust_set("balancer.internal", err, sizeof err), -1);
	cr_assert_eq(ch_proxyproto_trust_set("0.0.0.0/0", err, sizeof err), 0);
	cr_assert(trusted("198.51.100.1"));
	cr_assert_not(trusted("2001:db8::1"));
}
