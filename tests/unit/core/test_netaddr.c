/* Unit tests of outbound address classes and URL parts. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/netaddr.h"

static uint32_t ip(const char *s)
{
	uint32_t a = 0;
	cr_assert_eq(ch_netaddr_parse_v4(s, &a), 0, "%s parses", s);
	return a;
}

static void kind(const char *s, ch_netaddr_kind want)
{
	ch_netaddr_kind k = ch_netaddr_kind_v4(ip(s));
	cr_assert_eq(k, want, "%s: %s, expected %s", s, ch_netaddr_kind_name(k), ch_netaddr_kind_name(want));
}

Test(netaddr, every_range_boundary)
{
	static const struct {
		const char *ip;
		ch_netaddr_kind k;
	} cases[] = {
		{"0.0.0.0", CH_NETADDR_UNSPECIFIED},     {"0.255.255.255", CH_NETADDR_UNSPECIFIED},
		{"1.0.0.0", CH_NETADDR_PUBLIC},          {"9.255.255.255", CH_NETADDR_PUBLIC},
		{"10.0.0.0", CH_NETADDR_PRIVATE},        {"10.255.255.255", CH_NETADDR_PRIVATE},
		{"11.0.0.0", CH_NETADDR_PUBLIC},         {"100.63.255.255", CH_NETADDR_PUBLIC},
		{"100.64.0.0", CH_NETADDR_SHARED},       {"100.127.255.255", CH_NETADDR_SHARED},
		{"100.128.0.0", CH_NETADDR_PUBLIC},      {"126.255.255.255", CH_NETADDR_PUBLIC},
		{"127.0.0.0", CH_NETADDR_LOOPBACK},      {"127.0.0.1", CH_NETADDR_LOOPBACK},
		{"127.255.255.255", CH_NETADDR_LOOPBACK}, {"128.0.0.0", CH_NETADDR_PUBLIC},
		{"169.253.255.255", CH_NETADDR_PUBLIC},  {"169.254.0.0", CH_NETADDR_LINK_LOCAL},
		{"169.254.169.254", CH_NETADDR_LINK_LOCAL}, {"169.254.255.255", CH_NETADDR_LINK_LOCAL},
		{"169.255.0.0", CH_NETADDR_PUBLIC},      {"172.15.255.255", CH_NETADDR_PUBLIC},
		{"172.16.0.0", CH_NETADDR_PRIVATE},      {"172.31.255.255", CH_NETADDR_PRIVATE},
		{"172.32.0.0", CH_NETADDR_PUBLIC},       {"191.255.255.255", CH_NETADDR_PUBLIC},
		{"192.0.0.0", CH_NETADDR_RESERVED},      {"192.0.0.255", CH_NETADDR_RESERVED},
		{"192.0.1.0", CH_NETADDR_PUBLIC},        {"192.0.2.0", CH_NETADDR_RESERVED},
		{"192.0.2.255", CH_NETADDR_RESERVED},    {"192.0.3.0", CH_NETADDR_PUBLIC},
		{"192.167.255.255", CH_NETADDR_PUBLIC},  {"192.168.0.0", CH_NETADDR_PRIVATE},
		{"192.168.255.255", CH_NETADDR_PRIVATE}, {"192.169.0.0", CH_NETADDR_PUBLIC},
		{"198.17.255.255", CH_NETADDR_PUBLIC},   {"198.18.0.0", CH_NETADDR_RESERVED},
		{"198.19.255.255", CH_NETADDR_RESERVED}, {"198.20.0.0", CH_NETADDR_PUBLIC},
		{"198.51.99.255", CH_NETADDR_PUBLIC},    {"198.51.100.0", CH_NETADDR_RESERVED},
		{"198.51.100.255", CH_NETADDR_RESERVED}, {"198.51.101.0", CH_NETADDR_PUBLIC},
		{"203.0.112.255", CH_NETADDR_PUBLIC},    {"203.0.113.0", CH_NETADDR_RESERVED},
		{"203.0.113.255", CH_NETADDR_RESERVED},  {"203.0.114.0", CH_NETADDR_PUBLIC},
		{"223.255.255.255", CH_NETADDR_PUBLIC},  {"224.0.0.0", CH_NETADDR_MULTICAST},
		{"224.0.0.1", CH_NETADDR_MULTICAST},     {"239.255.255.255", CH_NETADDR_MULTICAST},
		{"240.0.0.0", CH_NETADDR_RESERVED},      {"255.255.255.254", CH_NETADDR_RESERVED},
		{"255.255.255.255", CH_NETADDR_RESERVED},
		/* a few public ones */
		{"8.8.8.8", CH_NETADDR_PUBLIC},          {"1.1.1.1", CH_NETADDR_PUBLIC},
		{"93.184.216.34", CH_NETADDR_PUBLIC},    {"151.101.1.69", CH_NETADDR_PUBLIC},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		kind(cases[i].ip, cases[i].k);
}

Test(netaddr, allow_private_opens_only_the_local_network)
{
	const char *local[] = {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1"};
	const char *never[] = {"0.0.0.0", "0.1.2.3", "224.0.0.1", "239.1.1.1", "240.0.0.1", "255.255.255.255",
	                       "192.0.2.1", "198.18.0.1", "203.0.113.7"};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
		cr_assert(!ch_netaddr_is_public(ip(local[i]), 0), "%s refused by default", local[i]);
		cr_assert(ch_netaddr_is_public(ip(local[i]), 1), "%s allowed with allow_private", local[i]);
	}
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
		cr_assert(!ch_netaddr_is_public(ip(never[i]), 0), "%s refused", never[i]);
		cr_assert(!ch_netaddr_is_public(ip(never[i]), 1), "%s refused even with allow_private", never[i]);
	}
	cr_assert(ch_netaddr_is_public(ip("8.8.8.8"), 0));
	cr_assert(ch_netaddr_is_public(ip("8.8.8.8"), 1));
}

Test(netaddr, literals_are_read_as_the_resolver_reads_them)
{
	cr_assert_eq(ip("127.1"), 0x7f000001u);
	cr_assert_eq(ip("0x7f.0.0.1"), 0x7f000001u);
	cr_assert_eq(ip("2130706433"), 0x7f000001u);
	cr_assert_eq(ip("0177.0.0.1"), 0x7f000001u);
	uint32_t a;
	const char *names[] = {"", "localhost", "example.com", "1.2.3.4.5", "1.2.3.256", "dead.beef", "1.2.3.4 x",
	                       "metadata.google.internal"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		cr_assert_eq(ch_netaddr_parse_v4(names[i], &a), -1, "\"%s\" is not an address", names[i]);
}

Test(netaddr, url_parts)
{
	ch_netaddr_url u;
	cr_assert_null(ch_netaddr_url_parse("http://example.com", &u));
	cr_assert_str_eq(u.host, "example.com");
	cr_assert_eq(u.port, 80);
	cr_assert_eq(u.tls, 0);
	cr_assert_str_eq(u.path, "/");
	cr_assert_null(ch_netaddr_url_parse("HTTPS://Hooks.Example.com:8443/in/x?a=1&b=2#frag", &u));
	cr_assert_str_eq(u.host, "Hooks.Example.com");
	cr_assert_eq(u.port, 8443);
	cr_assert_eq(u.tls, 1);
	cr_assert_str_eq(u.path, "/in/x?a=1&b=2");
	cr_assert_null(ch_netaddr_url_parse("https://h?x=1", &u));
	cr_assert_eq(u.port, 443);
	cr_assert_str_eq(u.path, "/?x=1");
	cr_assert_null(ch_netaddr_url_parse("http://127.0.0.1:1/x", &u));
	cr_assert_str_eq(u.host, "127.0.0.1");
	cr_assert_eq(u.port, 1);
	cr_assert_null(ch_netaddr_url_parse("http://my_bridge.local./hook@v2", &u), "'@' in the path is no userinfo");
	cr_assert_str_eq(u.host, "my_bridge.local.");
	cr_assert_str_eq(u.path, "/hook@v2");
}

Test(netaddr, url_refusals)
{
	ch_netaddr_url u;
	const char *bad[] = {
		"ftp://example.com/", "example.com", "http://", "http:///x", "http://a@b/", "http://user:pw@example.com/",
		"http://example.com@127.0.0.1/", "http://[::1]/", "http://[::1]:80/", "http://exa mple.com/",
		"http://example.com/a b", "http://example.com/\r\nX-Injected: 1", "http://ex%61mple.com/",
		"http://a..b/", "http://.a/", "http://./", "http://example.com:/", "http://example.com:0/",
		"http://example.com:65536/", "http://example.com:123456/", "http://example.com:80:81/",
		"http://example.com:8o/", "http://exa\\mple.com/", "http://ex\xc3\xa4mple.com/",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_not_null(ch_netaddr_url_parse(bad[i], &u), "\"%s\" refused", bad[i]);
	cr_assert_str_eq(ch_netaddr_url_parse("http://a@b/", &u), "must not contain user information (user@host)");
	cr_assert_str_eq(ch_netaddr_url_parse("ftp://a/", &u), "must be an http(s) URL");
	char longhost[300];
	memset(longhost, 'a', sizeof longhost);
	memcpy(longhost, "http://", 7);
	longhost[7 + 64] = '\0';
	cr_assert_not_null(ch_netaddr_url_parse(longhost, &u), "a 64-character label");
	longhost[7 + 63] = '\0';
	cr_assert_null(ch_netaddr_url_parse(longhost, &u), "a 63-character label");
}

Test(netaddr, redis_url_is_the_one_grammar_of_bus_url)
{
	char host[64];
	int port, db;
	cr_assert_eq(ch_netaddr_redis_url("redis://cache.example:6380/2", host, sizeof host, &port, &db), 0);
	cr_assert_str_eq(host, "cache.example");
	cr_assert_eq(port, 6380);
	cr_assert_eq(db, 2);
	cr_assert_eq(ch_netaddr_redis_url("redis://[::1]:6379", host, sizeof host, &port, &db), 0);
	cr_assert_str_eq(host, "::1");
	cr_assert_eq(db, 0);
	const char *bad[] = {"redis://h", "redis://h:0", "redis://h:70000", "redis://h:6379/x", "redis://:6379",
	                     "http://h:6379", "redis://h:6379/", "redis://u:pw@h:6379", "redis://[::1]6379", "h:6379"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(ch_netaddr_redis_url(bad[i], host, sizeof host, &port, &db), -1, "%s", bad[i]);
	cr_assert_eq(ch_netaddr_redis_url("redis://averyveryverylonghostname:1", host, 8, &port, &db), -1,
	             "a host longer than the buffer");
}
