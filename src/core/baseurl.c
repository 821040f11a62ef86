/* baseurl.c — see baseurl.h. Pure; any thread. */
#include "core/baseurl.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static size_t scheme_len(const char *s)
{
	return !strncasecmp(s, "https://", 8) ? 8 : !strncasecmp(s, "http://", 7) ? 7 : 0;
}

int ch_base_url_valid(const char *s)
{
	size_t skip = s ? scheme_len(s) : 0, n = s ? strlen(s) : 0;
	if (!skip || n <= skip || n >= CH_BASE_URL_MAX || s[skip] == '/')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("\"'<>\\`?#", *p))
			return 0;
	return 1;
}

static int host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;
	return n > 0 && n < 256 &&
	       strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

size_t ch_base_url(const char *public_url, const char *host, const char *forwarded_proto,
                   char out[CH_BASE_URL_MAX])
{
	out[0] = '\0';
	if (public_url && *public_url) {
		size_t n = strlen(public_url);
		while (n && public_url[n - 1] == '/')
			n--;
		if (n >= CH_BASE_URL_MAX)
			return 0;
		memcpy(out, public_url, n);
		out[n] = '\0';
		return n;
	}
	if (!host_ok(host))
		return 0;
	int https = forwarded_proto && !strncasecmp(forwarded_proto, "https", 5) &&
	            (!forwarded_proto[5] || forwarded_proto[5] == ',' || forwarded_proto[5] == ' ');
	int n = snprintf(out, CH_BASE_URL_MAX, "%s://%s", https ? "https" : "http", host);
	if (n < 0 || n >= CH_BASE_URL_MAX) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
