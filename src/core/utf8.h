/* utf8.h — UTF-8 helpers for text that is cut to a byte limit or must be
 * valid before it is stored (every string the API serialises goes through
 * jansson, which refuses invalid UTF-8).
 * Threading: pure functions, safe from any thread. */
#ifndef CH_CORE_UTF8_H
#define CH_CORE_UTF8_H

#include <stddef.h>

/* The length of the longest prefix of s (len bytes) of at most max bytes that
 * does not end inside a UTF-8 sequence. s itself is assumed valid UTF-8. */
size_t ch_utf8_prefix(const char *s, size_t len, size_t max);

/* 1 when the len bytes at s are well-formed UTF-8 (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), else 0. NUL is refused too:
 * the stores keep C strings. */
int ch_utf8_valid(const char *s, size_t len);

#endif
