/* token.h — the strict JWT wrapper (libjwt 1.10 underneath).
 *
 * libjwt 1.10 skips verification on a NULL key, accepts any algorithm it can
 * verify (HS512 when HS256 is meant, "none" without a key) and never checks
 * "exp". This wrapper is the only place that calls libjwt, and it requires:
 * HS256 exactly, a non-empty key, a valid signature, an integer "exp" in the
 * future (company tokens may carry none: they last until revoked, through the
 * company's token epoch), and a known "typ" claim (and the expected one when
 * asked).
 *
 * Claims of our tokens: typ ("company" | "operator" | "visitor"), sub (the
 * company / operator / client id), cid (company id), oid (organization id, 0
 * for company tokens), ep (revocation epoch of the operator), iat, exp.
 * Verified tokens are cached by their exact bytes (auth/tokcache.h).
 * Threading: safe from any thread.
 */
#ifndef CH_AUTH_TOKEN_H
#define CH_AUTH_TOKEN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

typedef enum ch_token_kind {
	CH_TOKEN_ANY = 0,
	CH_TOKEN_COMPANY = 1,
	CH_TOKEN_OPERATOR = 2,
	CH_TOKEN_VISITOR = 3,
} ch_token_kind;

typedef struct ch_token_claims {
	ch_token_kind kind;
	int64_t sub;
	int64_t company_id;
	int64_t org_id;
	int64_t epoch;
	int64_t iat; /* seconds since epoch */
	int64_t exp; /* seconds since epoch; 0 = none (company tokens only) */
	int64_t key_id; /* not a JWT: the company API key that stands for a company token (api/keys.c) */
} ch_token_claims;

#define CH_TOKEN_KEY_MAX 64

typedef struct ch_token_key {
	unsigned char bytes[CH_TOKEN_KEY_MAX];
	size_t len; /* must be >= 16; 32 when generated */
} ch_token_key;

/* Signs claims with HS256. *out is a new NUL-terminated string (free()).
 * Fails with CH_ERR_INTERNAL on an empty/short key or unknown kind. */
ch_err ch_token_sign(const ch_token_key *key, const ch_token_claims *claims, char **out);

/* Verifies token (len bytes, need not be NUL-terminated) at time now_s.
 * Returns CH_OK and fills *out; CH_ERR_NO_TOKEN when malformed, badly signed,
 * not HS256, missing/non-integer exp or sub, or of unknown typ;
 * CH_ERR_TOKEN_EXPIRED when the signature is good but exp <= now_s (*out is
 * filled then too: whose expired token it is, e.g. for CORS on the 401);
 * CH_ERR_WRONG_KIND when expected != CH_TOKEN_ANY and typ differs.
 * Expiry is checked before kind, so a stale token of another kind says expired. */
ch_err ch_token_verify(const ch_token_key *key, const char *token, size_t len,
                       ch_token_kind expected, int64_t now_s, ch_token_claims *out);

/* Verifies an identity token signed by someone else (the website's userJWT
 * for the visitor widget) with the organization's identity secret: HS256
 * only, valid signature, integer exp in the future, sub a non-empty string
 * (or integer) that fits sublen; name optional, cut to at most namelen - 1
 * bytes on a UTF-8 character boundary. Same errors as verify. */
ch_err ch_token_verify_identity(const ch_token_key *key, const char *token, size_t len, int64_t now_s,
                                char *sub, size_t sublen, char *name, size_t namelen);
/* The same, and *attributes (a new reference, NULL when the token has no
 * such claim) gets its `attributes` claim as it is (any JSON value: the
 * caller checks it, chat/attrs.h). */
ch_err ch_token_verify_identity_attrs(const ch_token_key *key, const char *token, size_t len, int64_t now_s,
                                      char *sub, size_t sublen, char *name, size_t namelen, json_t **attributes);

/* Name of a kind ("company", ...); static string. */
const char *ch_token_kind_name(ch_token_kind k);

#endif
