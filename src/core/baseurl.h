/* baseurl.h — the public base URL absolute links are built on ("https://chat.example.com"):
 * the public_url option, else the scheme and host a request came in on.
 * Threading: pure functions, any thread. */
#ifndef CH_CORE_BASEURL_H
#define CH_CORE_BASEURL_H

#include <stddef.h>

#define CH_BASE_URL_MAX 300

/* Whether s is a usable public_url: http:// or https://, a host, an optional
 * port and path, no query, fragment, spaces or quotes. */
int ch_base_url_valid(const char *s);

/* The base for a request: public_url when set (without its trailing slash);
 * else "http://" + host, or "https://" when forwarded_proto (X-Forwarded-Proto)
 * says https. host must look like a host[:port] (letters, digits, '.', '-',
 * ':', '[', ']'): a Host header that does not gives "" (links stay relative).
 * Writes out (CH_BASE_URL_MAX bytes); returns its length. */
size_t ch_base_url(const char *public_url, const char *host, const char *forwarded_proto,
                   char out[CH_BASE_URL_MAX]);

#endif
