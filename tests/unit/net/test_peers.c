/* Unit tests of the per-address accounting behind max_connections,
 * max_connections_per_ip and body_memory_max (net/peers.c). */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "net/peers.h"

static void setup(void)
{
	ch_peers_init(&(ch_peers_limits){.max_connections = 5, .max_connections_per_ip = 3, .body_memory_max = 1000,
	                                 .body_memory_per_ip = 400});
}

static void teardown(void) { ch_peers_fini(); }

TestSuite(peers, .init = setup, .fini = teardown);

Test(peers, connections_are_capped_per_address_and_in_all)
{
	ch_peer *a[3];
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(a[i] = ch_peers_connect("10.0.0.1"));
	cr_assert_null(ch_peers_connect("10.0.0.1"), "the 4th from one address is refused");
	cr_assert_not_null(ch_peers_connect("10.0.0.2"));
	cr_assert_not_null(ch_peers_connect("10.0.0.3"));
	cr_assert_eq(ch_peers_connections(), 5);
	cr_assert_null(ch_peers_connect("10.0.0.4"), "the server-wide limit");
	ch_peers_disconnect(a[0]);
	cr_assert_not_null(ch_peers_connect("10.0.0.4"), "a freed slot is usable again");
	cr_assert_null(ch_peers_connect("10.0.0.1"), "the server is full again");
}

Test(peers, a_disconnected_address_starts_over)
{
	ch_peer *p = ch_peers_connect("192.0.2.7");
	ch_peers_disconnect(p);
	for (int i = 0; i < 3; i++)
		cr_assert_not_null(ch_peers_connect("192.0.2.7"), "connection %d", i);
	cr_assert_eq(ch_peers_connections(), 3);
}

Test(peers, body_bytes_are_budgeted_per_address_and_in_all)
{
	ch_peer *a = ch_peers_connect("10.0.0.1"), *b = ch_peers_connect("10.0.0.2"), *c = ch_peers_connect("10.0.0.3");
	cr_assert_eq(ch_peers_reserve(a, 400), 0);
	cr_assert_eq(ch_peers_reserve(a, 1), -1, "one address holds at most its share");
	cr_assert_eq(ch_peers_reserve(b, 400), 0);
	cr_assert_eq(ch_peers_reserve(c, 300), -1, "past the server-wide budget");
	cr_assert_eq(ch_peers_body_bytes(), 800, "a refused reservation takes nothing");
	cr_assert_eq(ch_peers_reserve(c, 200), 0);
	ch_peers_release(a, 400);
	cr_assert_eq(ch_peers_reserve(c, 200), 0);
	cr_assert_eq(ch_peers_body_bytes(), 800);
}

Test(peers, an_entry_holding_bytes_outlives_its_connection)
{
	/* a request body still held by a worker after its connection closed */
	ch_peer *a = ch_peers_connect("10.0.0.9");
	cr_assert_eq(ch_peers_reserve(a, 300), 0);
	ch_peers_disconnect(a);
	cr_assert_eq(ch_peers_connections(), 0);
	cr_assert_eq(ch_peers_reserve(a, 100), 0, "the entry is still there, with its share");
	cr_assert_eq(ch_peers_reserve(a, 1), -1);
	ch_peers_release(a, 400);
	cr_assert_eq(ch_peers_body_bytes(), 0);
}

Test(peers, addresses_in_text_form)
{
	char out[64];
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	inet_pton(AF_INET, "203.0.113.5", &v4.sin_addr);
	ch_peers_addr_text(&v4, out);
	cr_assert_str_eq(out, "203.0.113.5");
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:203.0.113.5", &v6.sin6_addr);
	ch_peers_addr_text(&v6, out);
	cr_assert_str_eq(out, "203.0.113.5", "an IPv4 client on a dual-stack socket is its IPv4 address");
	inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
	ch_peers_addr_text(&v6, out);
	cr_assert_str_eq(out, "2001:db8::1");
}

Test(peers, many_addresses_come_and_go)
{
	ch_peers_fini();
	ch_peers_init(&(ch_peers_limits){.max_connections = 100000, .max_connections_per_ip = 2,
	                                 .body_memory_max = 1 << 20, .body_memory_per_ip = 1 << 20});
	static ch_peer *p[5000];
	char ip[64];
	for (int i = 0; i < 5000; i++) { /* grows the table several times */
		snprintf(ip, sizeof ip, "10.%d.%d.1", i / 256, i % 256);
		cr_assert_not_null(p[i] = ch_peers_connect(ip));
	}
	for (int i = 0; i < 5000; i += 2)
		ch_peers_disconnect(p[i]);
	cr_assert_eq(ch_peers_connections(), 2500);
	for (int i = 1; i < 5000; i += 2) {
		snprintf(ip, sizeof ip, "10.%d.%d.1", i / 256, i % 256);
		cr_assert_not_null(ch_peers_connect(ip), "second connection of %s", ip);
		cr_assert_null(ch_peers_connect(ip), "third connection of %s", ip);
	}
	cr_assert_eq(ch_peers_connections(), 5000);
}
