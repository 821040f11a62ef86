/* tokcache.h — a bounded cache of tokens whose signature was verified.
 *
 * Verifying an HS256 token costs two base64 decodes, an HMAC-SHA256 and a
 * JSON parse of its claims; the same few tokens come back on every request of
 * an integration. Verification is a pure function of the token's bytes and
 * the key, so its result may be kept: an entry is found only by the exact
 * token bytes (compared in constant time) under the exact key, and holds the
 * claims verification read. Expiry is not cached: the caller checks the
 * claims' exp against the clock on every use, and neither is anything
 * revocation decides (token epochs, statuses: api/principals.c).
 * Threading: any thread; one mutex.
 */
#ifndef CH_AUTH_TOKCACHE_H
#define CH_AUTH_TOKCACHE_H

#include <stddef.h>

#include "auth/token.h"

#define CH_TOKCACHE_SLOTS 4096     /* entries at most; a new token takes its slot's place */
#define CH_TOKCACHE_TOKEN_MAX 1024 /* longer tokens are verified every time */

/* The claims of token (len bytes) verified under key, into *out: 1; or 0
 * when it is not cached. Borrowed arguments. */
int ch_tokcache_get(const ch_token_key *key, const char *token, size_t len, ch_token_claims *out);
/* Remembers that token verified under key with claims (copied). */
void ch_tokcache_put(const ch_token_key *key, const char *token, size_t len, const ch_token_claims *claims);
/* Forgets the entry of token, if any (an expired one, say). */
void ch_tokcache_drop(const ch_token_key *key, const char *token, size_t len);
/* Forgets every entry (tests). */
void ch_tokcache_clear(void);

#endif
