/* token.c — the strict JWT wrapper: HS256 tokens of our three kinds.
 *
 * libjwt 1.10 is lenient in ways that matter (NULL key = no verification,
 * "alg" taken from the token, "exp" ignored, jwt_get_grant_int() answering 0
 * with errno 0 for a string claim). So this file checks the shape of the token
 * before libjwt sees it, always passes our key, insists on HS256 afterwards,
 * and reads the claims back through jansson to check their JSON types itself.
 * Threading: no shared state; safe from any thread.
 */
#include "auth/token.h"

#include <jansson.h>
#include <jwt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

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
	       c->epoch >= 0;
}

static int add_claims(jwt_t *j, const ch_token_claims *c)
{
	int rc = jwt_add_grant(j, "typ", kind_claim(c->kind));
	rc = rc ? rc : jwt_add_grant_int(j, "sub", (long)c->sub);
	rc = rc ? rc : jwt_add_grant_int(j, "cid", (long)c->company_id);
	rc = rc ? rc : jwt_add_grant_int(j, "oid", (long)c->org_id);
	rc = rc ? rc : jwt_add_grant_int(j, "ep", (long)c->epoch);
	rc = rc ? rc : jwt_add_grant_int(j, "iat", (long)c->iat);
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

/* Reads and type-checks our claims from the verified token. */
static bool read_claims(jwt_t *j, ch_token_claims *c)
{
	bool ok = false;
	json_t *obj = NULL;
	const char *typ;
	/* The whole claim set as JSON: the only way in 1.10 to see a claim's type. */
	char *js = jwt_get_grants_json(j, NULL);

	if (!js)
		goto done;
	obj = json_loads(js, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(obj))
		goto done;
	typ = json_string_value(json_object_get(obj, "typ"));
	c->kind = typ ? kind_from_claim(typ) : CH_TOKEN_ANY;
	ok = c->kind != CH_TOKEN_ANY && get_int(obj, "exp", true, 0, &c->exp) &&
	     get_int(obj, "sub", true, 0, &c->sub) && c->sub > 0 &&
	     get_int(obj, "cid", true, 0, &c->company_id) && c->company_id > 0 &&
	     get_int(obj, "oid", false, 0, &c->org_id) && c->org_id >= 0 &&
	     get_int(obj, "ep", false, 0, &c->epoch) && c->epoch >= 0 &&
	     get_int(obj, "iat", false, 0, &c->iat);
done:
	json_decref(obj);
	free(js);
	return ok;
}

/* Signature and HS256 first: nothing about the claims is believed before. */
static ch_err decode_verified(const ch_token_key *key, const char *token, size_t len,
                              ch_token_claims *c)
{
	ch_err err = CH_ERR_NO_TOKEN;
	char buf[TOKEN_LEN_MAX + 1]; /* libjwt wants a C string; ours may not be one */
	jwt_t *j = NULL;

	memcpy(buf, token, len);
	buf[len] = '\0';
	/* key->bytes is never NULL and len >= 16: libjwt cannot skip the check. */
	if (jwt_decode(&j, buf, key->bytes, (int)key->len) != 0 || !j)
		goto done;
	if (jwt_get_alg(j) != JWT_ALG_HS256)
		goto done;
	if (read_claims(j, c))
		err = CH_OK;
done:
	jwt_free(j);
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
	if (!shape_ok(token, len))
		return CH_ERR_NO_TOKEN;
	err = decode_verified(key, token, len, &c);
	if (err != CH_OK)
		return err;
	if (c.exp <= now_s)
		return CH_ERR_TOKEN_EXPIRED;
	if (expected != CH_TOKEN_ANY && c.kind != expected)
		return CH_ERR_WRONG_KIND;
	*out = c;
	return CH_OK;
}

/* The claims of an identity token: sub (string or integer), optional name. */
static bool read_identity(jwt_t *j, int64_t *exp, char *sub, size_t sublen, char *name, size_t namelen)
{
	char *js = jwt_get_grants_json(j, NULL);
	json_t *obj = js ? json_loads(js, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *s = json_object_get(obj, "sub"), *n = json_object_get(obj, "name");
	bool ok = json_is_object(obj) && get_int(obj, "exp", true, 0, exp) &&
	          ((json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) < sublen) ||
	           json_is_integer(s)) &&
	          (!n || json_is_null(n) || json_is_string(n));
	if (ok) {
		if (json_is_string(s))
			snprintf(sub, sublen, "%s", json_string_value(s));
		else
			snprintf(sub, sublen, "%lld", (long long)json_integer_value(s));
		snprintf(name, namelen, "%s", json_is_string(n) ? json_string_value(n) : "");
	}
	json_decref(obj);
	free(js);
	return ok;
}

ch_err ch_token_verify_identity(const ch_token_key *key, const char *token, size_t len, int64_t now_s,
                                char *sub, size_t sublen, char *name, size_t namelen)
{
	jwt_t *j = NULL;
	char buf[TOKEN_LEN_MAX + 1];
	int64_t exp = 0;
	ch_err err = CH_ERR_NO_TOKEN;

	if (!key_ok(key) || !sub || !name || sublen < 2)
		return CH_ERR_INTERNAL;
	if (!shape_ok(token, len))
		return CH_ERR_NO_TOKEN;
	memcpy(buf, token, len);
	buf[len] = '\0';
	if (jwt_decode(&j, buf, key->bytes, (int)key->len) != 0 || !j || jwt_get_alg(j) != JWT_ALG_HS256)
		goto done;
	if (!read_identity(j, &exp, sub, sublen, name, namelen))
		goto done;
	err = exp <= now_s ? CH_ERR_TOKEN_EXPIRED : CH_OK;
done:
	jwt_free(j);
	return err;
}
