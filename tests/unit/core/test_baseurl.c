/* test_baseurl.c — the base URL of absolute links (core/baseurl.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/baseurl.h"

static const char *base(const char *public_url, const char *host, const char *proto)
{
	static char out[CH_BASE_URL_MAX];
	size_t n = ch_base_url(public_url, host, proto, out);
	cr_assert_eq(n, strlen(out));
	return out;
}

Test(baseurl, public_url_wins_without_its_trailing_slash)
{
	cr_assert_str_eq(base("https://chat.example.com/", "evil.example", NULL), "https://chat.example.com");
	cr_assert_str_eq(base("https://example.com/chat//", NULL, NULL), "https://example.com/chat");
}

Test(baseurl, from_the_request_host_and_forwarded_proto)
{
	cr_assert_str_eq(base("", "127.0.0.1:8080", NULL), "http://127.0.0.1:8080");
	cr_assert_str_eq(base(NULL, "chat.example.com", "https"), "https://chat.example.com");
	cr_assert_str_eq(base(NULL, "chat.example.com", "HTTPS, http"), "https://chat.example.com");
	cr_assert_str_eq(base(NULL, "chat.example.com", "httpsx"), "http://chat.example.com");
	cr_assert_str_eq(base(NULL, "[::1]:8080", "http"), "http://[::1]:8080");
}

Test(baseurl, a_host_that_is_not_one_gives_no_base)
{
	cr_assert_str_eq(base(NULL, NULL, NULL), "");
	cr_assert_str_eq(base(NULL, "", NULL), "");
	cr_assert_str_eq(base(NULL, "evil.example/\"><script>", NULL), "");
	cr_assert_str_eq(base(NULL, "a b", NULL), "");
	char longhost[400];
	memset(longhost, 'a', sizeof longhost - 1);
	longhost[sizeof longhost - 1] = '\0';
	cr_assert_str_eq(base(NULL, longhost, NULL), "");
}

Test(baseurl, valid_public_urls)
{
	cr_assert(ch_base_url_valid("https://chat.example.com"));
	cr_assert(ch_base_url_valid("http://10.0.0.5:8080/chathub-root/"));
	cr_assert_not(ch_base_url_valid(""));
	cr_assert_not(ch_base_url_valid("chat.example.com"));
	cr_assert_not(ch_base_url_valid("ftp://chat.example.com"));
	cr_assert_not(ch_base_url_valid("https://"));
	cr_assert_not(ch_base_url_valid("https:///path"));
	cr_assert_not(ch_base_url_valid("https://chat.example.com/?x=1"));
	cr_assert_not(ch_base_url_valid("https://chat.example.com/#x"));
	cr_assert_not(ch_base_url_valid("https://chat example.com"));
	cr_assert_not(ch_base_url_valid("https://chat.example.com/\"x"));
}
