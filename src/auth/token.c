/* token.c — the strict JWT wrapper: HS256 tokens of our three kinds.
 *
 * Signing goes through libjwt 1.10. Verifying does not: libjwt is lenient in
 * ways that matter (NULL key = no verification, "alg" taken from the token,
 * "exp" ignored, jwt_get_grant_int() answering 0 for a string claim), and it
 * parsed every token's JSON three times, which made it the largest cost of a
 * validate-token request. verify_hs256 checks the shape, the HMAC-SHA256 of
 * "header.payload" with our key (libsodium, constant-time compare), a header
 * that names HS256, and parses the claims once, checking their JSON types.
 * A token that verified is remembered with its claims (auth/tokcache.c), so
 * the next request with the same bytes under the same key skips all of that;
 * its expiry is still checked against the clock every time.
 * Threading: safe from any thread (the cache has its own lock).
 */
#include "auth/token.h"

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "auth/tokcache.h"
#include "core/utf8.h"

/* jwt_add_grant_int() takes a long: our int64 claims must fit. */
_Static_assert(sizeof(long) >= sizeof(int64_t), "long must hold int64_t claims");

#define TOKEN_LEN_MAX 4096
#define KEY_LEN_MIN 16

static bool key_ok(const ch_token_key *key)
{
	return key && key->len >= KEY_LEN_MIN && key->len <= CH_TOKEN_KEY_MAX;
}

/* "typ" value of a concrete kind; NULL for CH_TOKEN_ANY and junk. */
static const char *kind_claim(ch_token_kind k)
{
	switch (k) {
	case CH_TOKEN_COMPANY:
		return "company";
	case CH_TOKEN_OPERATOR:
		return "operator";
	case CH_TOKEN_VISITOR:
		return "visitor";
	default:
		return NULL;
	}
}

const char *ch_token_kind_name(ch_token_kind k)
{
	const char *s = kind_claim(k);
	if (s)
		return s;
	return k == CH_TOKEN_ANY ? "any" : "unknown";
}

static ch_token_kind kind_from_claim(const char *s)
{
	for (ch_token_kind k = CH_TOKEN_COMPANY; k <= CH_TOKEN_VISITOR; k++)
		if (strcmp(s, kind_claim(k)) == 0)
			return k;
	return CH_TOKEN_ANY;
}

/* Refuse to mint a token that ch_token_verify() would refuse. */
static bool claims_ok(const ch_token_claims *c)
{
	return c && kind_claim(c->kind) && c->sub > 0 && c->company_id > 0 && c->org_id >= 0 &&
	       c->epoch >= 0 && (c->exp > 0 || c->kind == CH_TOKEN_COMPANY) && !c->key_id;
}

static int add_claims(jwt_t *j, const ch_token_claims *c)
{
	int rc = jwt_add_grant(j, "typ", kind_claim(c->kind));
	rc = rc ? rc : jwt_add_grant_int(j, "sub", (long)c->sub);
	rc = rc ? rc : jwt_add_grant_int(j, "cid", (long)c->company_id);
	rc = rc ? rc : jwt_add_grant_int(j, "oid", (long)c->org_id);
	rc = rc ? rc : jwt_add_grant_int(j, "ep", (long)c->epoch);
	rc = rc ? rc : jwt_add_grant_int(j, "iat", (long)c->iat);
	if (c->exp) /* a company token without exp lasts until revoked */
		rc = rc ? rc : jwt_add_grant_int(j, "exp", (long)c->exp);
	return rc;
}

ch_err ch_token_sign(const ch_token_key *key, const ch_token_claims *claims, char **out)
{
	ch_err err = CH_ERR_INTERNAL;
	jwt_t *j = NULL;

	if (!out)
		return CH_ERR_INTERNAL;
	*out = NULL;
	if (!key_ok(key) || !claims_ok(claims))
		return CH_ERR_INTERNAL;
	if (jwt_new(&j) != 0)
		goto done;
	if (add_claims(j, claims) != 0)
		goto done;
	/* libjwt 1.10 writes the {"alg":"HS256","typ":"JWT"} header itself. */
	if (jwt_set_alg(j, JWT_ALG_HS256, key->bytes, (int)key->len) != 0)
		goto done;
	*out = jwt_encode_str(j); /* malloc'd: the caller free()s it */
	if (*out)
		err = CH_OK;
done:
	jwt_free(j);
	return err;
}

static bool b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* header.payload.signature, three non-empty base64url parts and nothing else:
 * no NUL (libjwt would silently stop there), no padding, no whitespace. */
static bool shape_ok(const char *t, size_t len)
{
	size_t dots = 0, part = 0;

	if (!t || len == 0 || len > TOKEN_LEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '.') {
			if (part == 0 || ++dots > 2)
				return false;
			part = 0;
		} else if (b64url_char(c)) {
			part++;
		} else {
			return false;
		}
	}
	return dots == 2 && part > 0;
}

/* An integer claim; absent → *v = dflt when !required. */
static bool get_int(json_t *obj, const char *name, bool required, int64_t dflt, int64_t *v)
{
	json_t *x = json_object_get(obj, name);

	if (!x) {
		*v = dflt;
		return !required;
	}
	if (!json_is_integer(x))
		return false;
	*v = (int64_t)json_integer_value(x);
	return true;
}

/* The header libjwt writes for HS256 (what ch_token_sign issues), base64url. */
#define HS256_HEADER_B64 "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"

/* base64url without padding into out (cap bytes); the length, or -1. */
static long b64url_decode(const char *in, size_t len, unsigned char *out, size_t cap)
{
	size_t n = 0;
	if (sodium_base642bin(out, cap, in, len, NULL, &n, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	return (long)n;
}

/* A JSON object from a base64url part, or NULL. */
static json_t *part_json(const char *in, size_t len)
{
	unsigned char raw[TOKEN_LEN_MAX];
	long n = b64url_decode(in, len, raw, sizeof raw);
	json_t *o = n < 0 ? NULL : json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* A header naming HS256: the one we issue, or any JSON object whose "alg"
 * is exactly "HS256". */
static bool header_ok(const char *h, size_t len)
{
	if (len == sizeof HS256_HEADER_B64 - 1 && memcmp(h, HS256_HEADER_B64, len) == 0)
		return true;
	json_t *o = part_json(h, len);
	const char *alg = json_string_value(json_object_get(o, "alg"));
	bool ok = alg && strcmp(alg, "HS256") == 0;
	json_decref(o);
	return ok;
}

/* A well-shaped token (shape_ok) signed with key by HS256: its claims as a
 * new JSON object, or NULL. Nothing in the token is read before the
 * signature is checked. */
static json_t *verify_hs256(const ch_token_key *key, const char *t, size_t len)
{
	const char *d1 = memchr(t, '.', len);
	const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - t));
	unsigned char sig[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	if (b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - t), sig, sizeof sig) != (long)sizeof sig)
		return NULL;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key->bytes, key->len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)t, (unsigned long long)(d2 - t));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof st);
	if (sodium_memcmp(sig, mac, sizeof mac) != 0 || !header_ok(t, (size_t)(d1 - t)))
		return NULL;
	return part_json(d1 + 1, (size_t)(d2 - d1 - 1));
}

/* Type-checks our claims. */
static bool read_claims(json_t *obj, ch_token_claims *c)
{
	const char *typ = json_string_value(json_object_get(obj, "typ"));
	c->kind = typ ? kind_from_claim(typ) : CH_TOKEN_ANY;
	/* only company tokens may omit exp (they last until revoked); an exp is a positive time */
	return c->kind != CH_TOKEN_ANY && get_int(obj, "exp", c->kind != CH_TOKEN_COMPANY, 0, &c->exp) &&
	       (c->exp > 0 || !json_object_get(obj, "exp")) &&
	       get_int(obj, "sub", true, 0, &c->sub) && c->sub > 0 &&
	       get_int(obj, "cid", true, 0, &c->company_id) && c->company_id > 0 &&
	       get_int(obj, "oid", false, 0, &c->org_id) && c->org_id >= 0 &&
	       get_int(obj, "ep", false, 0, &c->epoch) && c->epoch >= 0 &&
	       get_int(obj, "iat", false, 0, &c->iat);
}

/* Signature and HS256 first: nothing about the claims is believed before. */
static ch_err decode_verified(const ch_token_key *key, const char *token, size_t len,
                              ch_token_claims *c)
{
	json_t *obj = verify_hs256(key, token, len);
	ch_err err = obj && read_claims(obj, c) ? CH_OK : CH_ERR_NO_TOKEN;
	json_decref(obj);
	return err;
}

ch_err ch_token_verify(const ch_token_key *key, const char *token, size_t len,
                       ch_token_kind expected, int64_t now_s, ch_token_claims *out)
{
	ch_token_claims c = {0};
	ch_err err;

	if (!out)
		return CH_ERR_INTERNAL;
	memset(out, 0, sizeof(*out));
	/* A missing or short key is our misconfiguration, not the client's token. */
	if (!key_ok(key))
		return CH_ERR_INTERNAL;
	if (!ch_tokcache_get(key, token, len, &c)) {
		if (!shape_ok(token, len))
			return CH_ERR_NO_TOKEN;
		err = decode_verified(key, token, len, &c);
		if (err != CH_OK)
			return err;
		if (!c.exp || c.exp > now_s)
			ch_tokcache_put(key, token, len, &c);
	} else if (c.exp && c.exp <= now_s) {
		ch_tokcache_drop(key, token, len); /* it has run out: no use keeping it */
	}
	*out = c; /* verified: callers may use whose token it was, even expired */
	if (c.exp && c.exp <= now_s)
		return CH_ERR_TOKEN_EXPIRED;
	if (expected != CH_TOKEN_ANY && c.kind != expected) {
		memset(out, 0, sizeof(*out));
		return CH_ERR_WRONG_KIND;
	}
	return CH_OK;
}

/* The claims of an identity token: sub (string or integer), optional name. */
static bool read_identity(json_t *obj, int64_t *exp, char *sub, size_t sublen, char *name, size_t namelen)
{
	json_t *s = json_object_get(obj, "sub"), *n = json_object_get(obj, "name");
	bool ok = get_int(obj, "exp", true, 0, exp) &&
	          ((json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) < sublen) ||
	           json_is_integer(s)) &&
	          (!n || json_is_null(n) || json_is_string(n));
	if (ok) {
		if (json_is_string(s))
			snprintf(sub, sublen, "%s", json_string_value(s));
		else
			snprintf(sub, sublen, "%lld", (long long)json_integer_value(s));
		/* a long name is cut to fit, never inside a character: the name is
		 * stored and served as JSON, which must stay valid UTF-8 */
		size_t nl = json_is_string(n) ? ch_utf8_prefix(json_string_value(n), json_string_length(n),
		                                               namelen - 1)
		                              : 0;
		memcpy(name, nl ? json_string_value(n) : "", nl);
		name[nl] = '\0';
	}
	return ok;
}

ch_err ch_token_verify_identity_attrs(const ch_token_key *key, const char *token, size_t len, int64_t now_s,
                                      char *sub, size_t sublen, char *name, size_t namelen, json_t **attributes)
{
	int64_t exp = 0;
	if (attributes)
		*attributes = NULL;
	if (!key_ok(key) || !sub || !name || sublen < 2 || namelen < 1)
		return CH_ERR_INTERNAL;
	if (!shape_ok(token, len))
		return CH_ERR_NO_TOKEN;
	json_t *obj = verify_hs256(key, token, len);
	ch_err err = CH_ERR_NO_TOKEN;
	if (obj && read_identity(obj, &exp, sub, sublen, name, namelen))
		err = exp <= now_s ? CH_ERR_TOKEN_EXPIRED : CH_OK;
	if (err == CH_OK && attributes && json_object_get(obj, "attributes"))
		*attributes = json_incref(json_object_get(obj, "attributes"));
	json_decref(obj);
	return err;
}

ch_err ch_token_verify_identity(const ch_token_key *key, const char *token, size_t len, int64_t now_s,
                                char *sub, size_t sublen, char *name, size_t namelen)
{
	return ch_token_verify_identity_attrs(key, token, len, now_s, sub, sublen, name, namelen, NULL);
}
