/* test_token.c — the strict JWT wrapper against libjwt 1.10's lenient spots:
 * alg confusion, alg:none, wrong keys, exp handling, claim types, kinds, and
 * malformed input given by length (not NUL-terminated, embedded NUL, huge). */
#include <criterion/criterion.h>
#include <jwt.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/token.h"

#define NOW 1700000000LL

static const ch_token_key KEY_A = {.bytes = "company-A-secret-0123456789abcdef", .len = 32};
static const ch_token_key KEY_B = {.bytes = "company-B-secret-0123456789abcdef", .len = 32};

static ch_token_claims claims_of(ch_token_kind kind)
{
	return (ch_token_claims){
		.kind = kind, .sub = 42, .company_id = 7, .org_id = kind == CH_TOKEN_COMPANY ? 0 : 3,
		.epoch = 5, .iat = NOW - 10, .exp = NOW + 3600,
	};
}

static char *sign_ok(const ch_token_key *key, ch_token_claims c)
{
	char *t = NULL;
	cr_assert_eq(ch_token_sign(key, &c, &t), CH_OK);
	cr_assert_not_null(t);
	return t;
}

static ch_err verify(const ch_token_key *key, const char *t, ch_token_kind expected, ch_token_claims *out)
{
	ch_token_claims scratch;
	return ch_token_verify(key, t, strlen(t), expected, NOW, out ? out : &scratch);
}

/* A token built by libjwt directly, so the test controls alg and raw claims. */
static char *raw_token(jwt_alg_t alg, const ch_token_key *key, const char *claims_json)
{
	jwt_t *j = NULL;
	cr_assert_eq(jwt_new(&j), 0);
	cr_assert_eq(jwt_add_grants_json(j, claims_json), 0, "bad test JSON: %s", claims_json);
	cr_assert_eq(jwt_set_alg(j, alg, key->bytes, (int)key->len), 0);
	char *t = jwt_encode_str(j);
	cr_assert_not_null(t);
	jwt_free(j);
	return t;
}

static ch_err verify_raw(const char *claims_json, ch_token_kind expected)
{
	char *t = raw_token(JWT_ALG_HS256, &KEY_A, claims_json);
	ch_err e = verify(&KEY_A, t, expected, NULL);
	free(t);
	return e;
}

static void b64url(const char *s, char *out, size_t cap)
{
	sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

#define GOOD "\"typ\":\"operator\",\"sub\":42,\"cid\":7,\"oid\":3,\"ep\":5,\"iat\":1699999990"

Test(token, round_trip_each_kind)
{
	for (ch_token_kind k = CH_TOKEN_COMPANY; k <= CH_TOKEN_VISITOR; k++) {
		ch_token_claims in = claims_of(k), out;
		char *t = sign_ok(&KEY_A, in);
		cr_assert_eq(verify(&KEY_A, t, k, &out), CH_OK, "kind %d", k);
		cr_assert_eq(out.kind, k);
		cr_assert_eq(out.sub, in.sub);
		cr_assert_eq(out.company_id, in.company_id);
		cr_assert_eq(out.org_id, in.org_id);
		cr_assert_eq(out.epoch, in.epoch);
		cr_assert_eq(out.iat, in.iat);
		cr_assert_eq(out.exp, in.exp);
		cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_ANY, &out), CH_OK);
		cr_assert_eq(out.kind, k);
		free(t);
	}
}

Test(token, header_is_hs256_jwt)
{
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	jwt_t *j = NULL;
	cr_assert_eq(jwt_decode(&j, t, KEY_A.bytes, (int)KEY_A.len), 0);
	cr_assert_eq(jwt_get_alg(j), JWT_ALG_HS256);
	cr_assert_str_eq(jwt_get_header(j, "typ"), "JWT");
	cr_assert_str_eq(jwt_get_grant(j, "typ"), "operator");
	jwt_free(j);
	free(t);
}

Test(token, int64_claims_survive)
{
	ch_token_claims in = claims_of(CH_TOKEN_VISITOR), out;
	in.sub = 9007199254740993LL; /* above 2^53: must not pass through a double */
	in.exp = 4102444800LL;       /* year 2100: past 32-bit time */
	char *t = sign_ok(&KEY_A, in);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_VISITOR, &out), CH_OK);
	cr_assert_eq(out.sub, in.sub);
	cr_assert_eq(out.exp, in.exp);
	free(t);
}

Test(token, optional_oid_ep_default_to_zero)
{
	ch_token_claims out;
	char *t = raw_token(JWT_ALG_HS256, &KEY_A,
	                    "{\"typ\":\"company\",\"sub\":7,\"cid\":7,\"exp\":1700003600}");
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_COMPANY, &out), CH_OK);
	cr_assert_eq(out.org_id, 0);
	cr_assert_eq(out.epoch, 0);
	cr_assert_eq(out.iat, 0);
	free(t);
}

Test(token, hand_built_hs256_is_accepted)
{
	/* Control for the tests below: the raw builder makes acceptable tokens. */
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":1700003600}", CH_TOKEN_OPERATOR), CH_OK);
}

Test(token, hs512_with_same_key_rejected)
{
	char *t = raw_token(JWT_ALG_HS512, &KEY_A, "{" GOOD ",\"exp\":1700003600}");
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(t);
	t = raw_token(JWT_ALG_HS384, &KEY_A, "{" GOOD ",\"exp\":1700003600}");
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(t);
}

Test(token, alg_none_rejected)
{
	char h[128], c[512], tok[1024];
	b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", h, sizeof(h));
	b64url("{" GOOD ",\"exp\":1700003600}", c, sizeof(c));

	snprintf(tok, sizeof(tok), "%s.%s.", h, c);
	cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	snprintf(tok, sizeof(tok), "%s.%s.AAAA", h, c);
	cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	/* Same with a real HS256 signature glued on. */
	char *good = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	snprintf(tok, sizeof(tok), "%s.%s.%s", h, c, strrchr(good, '.') + 1);
	cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(good);
}

/* header.claims signed with HMAC-SHA256 by the test itself, whatever the
 * header says. */
static void hand_sign(const char *header, const char *claims, char *tok, size_t cap)
{
	char h[256], c[512], sig[64];
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	b64url(header, h, sizeof h);
	b64url(claims, c, sizeof c);
	snprintf(tok, cap, "%s.%s", h, c);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, KEY_A.bytes, KEY_A.len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok, strlen(tok));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2base64(sig, sizeof sig, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(tok + strlen(tok), cap - strlen(tok), ".%s", sig);
}

Test(token, header_must_name_hs256_and_claims_be_one_object)
{
	const char *claims = "{" GOOD ",\"exp\":1700003600}";
	char tok[1024];
	static const struct {
		const char *header;
		ch_err want;
	} headers[] = {
		{"{\"typ\":\"JWT\",\"alg\":\"HS256\"}", CH_OK},
		{"{\"alg\":\"HS256\"}", CH_OK},
		{"{\"alg\":\"hs256\"}", CH_ERR_NO_TOKEN},
		{"{\"alg\":\"HS256 \"}", CH_ERR_NO_TOKEN},
		{"{\"alg\":\"none\"}", CH_ERR_NO_TOKEN},
		{"{\"typ\":\"JWT\"}", CH_ERR_NO_TOKEN},
		{"{\"alg\":\"HS256\",\"alg\":\"none\"}", CH_ERR_NO_TOKEN},
		{"[\"HS256\"]", CH_ERR_NO_TOKEN},
		{"not json", CH_ERR_NO_TOKEN},
	};
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		hand_sign(headers[i].header, claims, tok, sizeof tok);
		cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), headers[i].want, "header %s",
		             headers[i].header);
	}
	static const char *bad_claims[] = {
		"[1]", "\"x\"", "{" GOOD ",\"exp\":1700003600,\"exp\":1800000000}", "{" GOOD ",\"exp\":1700003600",
	};
	for (size_t i = 0; i < sizeof bad_claims / sizeof bad_claims[0]; i++) {
		hand_sign("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", bad_claims[i], tok, sizeof tok);
		cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN, "claims %s", bad_claims[i]);
	}
	/* A signature one byte short, or with a byte more, is no signature. */
	hand_sign("{\"alg\":\"HS256\"}", claims, tok, sizeof tok);
	cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_OK);
	char shorter[1024];
	snprintf(shorter, sizeof shorter, "%.*s", (int)(strlen(tok) - 2), tok);
	cr_assert_eq(verify(&KEY_A, shorter, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	char longer[1100];
	snprintf(longer, sizeof longer, "%sAAAA", tok);
	cr_assert_eq(verify(&KEY_A, longer, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
}

Test(token, wrong_key_rejected)
{
	ch_token_key k = KEY_A;
	k.bytes[0] ^= 1;
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	cr_assert_eq(verify(&k, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	ch_token_key shorter = KEY_A;
	shorter.len = 31; /* a prefix of the right key is another key */
	cr_assert_eq(verify(&shorter, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(t);
}

Test(token, other_company_key_rejected)
{
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_COMPANY));
	cr_assert_eq(verify(&KEY_B, t, CH_TOKEN_COMPANY, NULL), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_COMPANY, NULL), CH_OK);
	free(t);
}

Test(token, tampered_rejected)
{
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	char *last = t + strlen(t) - 2; /* the last char may carry unused bits: flip another */
	*last = *last == 'A' ? 'B' : 'A';
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(t);

	/* Payload of a more privileged token spliced onto a valid signature. */
	ch_token_claims c = claims_of(CH_TOKEN_OPERATOR);
	char *a = sign_ok(&KEY_A, c);
	c.sub = 1;
	char *b = sign_ok(&KEY_A, c);
	char tok[1024];
	int pl = (int)(strrchr(b, '.') - b);
	snprintf(tok, sizeof(tok), "%.*s%s", pl, b, strrchr(a, '.'));
	cr_assert_eq(verify(&KEY_A, tok, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(a);
	free(b);
}

Test(token, expiry)
{
	ch_token_claims c = claims_of(CH_TOKEN_OPERATOR), out;
	c.exp = NOW;
	char *t = sign_ok(&KEY_A, c);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_OPERATOR, &out), CH_ERR_TOKEN_EXPIRED);
	/* whose token it was is known (CORS of the 401 uses its scope); it is still refused */
	cr_assert_eq(out.sub, c.sub, "an expired token's verified claims are handed out");
	cr_assert_eq(out.company_id, c.company_id);
	free(t);
	c.exp = NOW - 1;
	t = sign_ok(&KEY_A, c);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_OPERATOR, NULL), CH_ERR_TOKEN_EXPIRED);
	free(t);
	c.exp = NOW + 1;
	t = sign_ok(&KEY_A, c);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_OPERATOR, NULL), CH_OK);
	free(t);
}

Test(token, expired_and_wrong_key_is_no_token)
{
	ch_token_claims c = claims_of(CH_TOKEN_OPERATOR);
	c.exp = NOW - 100;
	char *t = sign_ok(&KEY_A, c);
	cr_assert_eq(verify(&KEY_B, t, CH_TOKEN_OPERATOR, NULL), CH_ERR_NO_TOKEN);
	free(t);
	/* Nor does an expired HS512 token get as far as "expired". */
	t = raw_token(JWT_ALG_HS512, &KEY_A, "{" GOOD ",\"exp\":1}");
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_ANY, NULL), CH_ERR_NO_TOKEN);
	free(t);
}

Test(token, exp_must_be_an_integer)
{
	cr_assert_eq(verify_raw("{" GOOD "}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":\"1700003600\"}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":1700003600.0}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":null}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":true}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{" GOOD ",\"exp\":[1700003600]}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
}

#define REST ",\"exp\":1700003600"

Test(token, sub_must_be_a_positive_integer)
{
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"cid\":7" REST "}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":\"42\",\"cid\":7" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":0,\"cid\":7" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":-3,\"cid\":7" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
}

Test(token, cid_required_oid_ep_typed)
{
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4" REST "}", CH_TOKEN_ANY), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4,\"cid\":0" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4,\"cid\":\"7\"" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4,\"cid\":7,\"oid\":\"3\"" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4,\"cid\":7,\"ep\":1.5" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_raw("{\"typ\":\"operator\",\"sub\":4,\"cid\":7,\"iat\":\"x\"" REST "}", CH_TOKEN_ANY),
	             CH_ERR_NO_TOKEN);
}

Test(token, wrong_kind)
{
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_VISITOR));
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_OPERATOR, NULL), CH_ERR_WRONG_KIND);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_COMPANY, NULL), CH_ERR_WRONG_KIND);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_VISITOR, NULL), CH_OK);
	free(t);
}

Test(token, expiry_checked_before_kind)
{
	ch_token_claims c = claims_of(CH_TOKEN_VISITOR);
	c.exp = NOW - 1;
	char *t = sign_ok(&KEY_A, c);
	cr_assert_eq(verify(&KEY_A, t, CH_TOKEN_OPERATOR, NULL), CH_ERR_TOKEN_EXPIRED);
	free(t);
}

Test(token, unknown_typ_is_no_token)
{
	const char *bad[] = {
		"{\"typ\":\"admin\",\"sub\":4,\"cid\":7" REST "}",
		"{\"typ\":\"Operator\",\"sub\":4,\"cid\":7" REST "}",
		"{\"typ\":\"any\",\"sub\":4,\"cid\":7" REST "}",
		"{\"typ\":\"\",\"sub\":4,\"cid\":7" REST "}",
		"{\"typ\":2,\"sub\":4,\"cid\":7" REST "}",
		"{\"sub\":4,\"cid\":7" REST "}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(verify_raw(bad[i], CH_TOKEN_ANY), CH_ERR_NO_TOKEN, "%s", bad[i]);
		cr_assert_eq(verify_raw(bad[i], CH_TOKEN_OPERATOR), CH_ERR_NO_TOKEN, "%s", bad[i]);
	}
}

Test(token, empty_or_short_key_refused)
{
	ch_token_claims c = claims_of(CH_TOKEN_OPERATOR);
	char *good = sign_ok(&KEY_A, c);
	size_t lens[] = {0, 1, 15, CH_TOKEN_KEY_MAX + 1};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ch_token_key k = KEY_A;
		k.len = lens[i];
		char *t = (char *)"untouched";
		cr_assert_eq(ch_token_sign(&k, &c, &t), CH_ERR_INTERNAL, "len %zu", lens[i]);
		cr_assert_null(t);
		cr_assert_neq(verify(&k, good, CH_TOKEN_ANY, NULL), CH_OK, "len %zu", lens[i]);
	}
	char *t = NULL;
	cr_assert_neq(ch_token_sign(NULL, &c, &t), CH_OK);
	cr_assert_neq(verify(NULL, good, CH_TOKEN_ANY, NULL), CH_OK);

	ch_token_key k16 = KEY_A;
	k16.len = 16; /* the minimum works */
	t = sign_ok(&k16, c);
	cr_assert_eq(verify(&k16, t, CH_TOKEN_ANY, NULL), CH_OK);
	free(t);
	free(good);
}

Test(token, sign_refuses_bad_claims)
{
	ch_token_claims c = claims_of(CH_TOKEN_OPERATOR);
	char *t = NULL;
	c.kind = CH_TOKEN_ANY;
	cr_assert_eq(ch_token_sign(&KEY_A, &c, &t), CH_ERR_INTERNAL);
	c.kind = (ch_token_kind)9;
	cr_assert_eq(ch_token_sign(&KEY_A, &c, &t), CH_ERR_INTERNAL);
	c = claims_of(CH_TOKEN_OPERATOR);
	c.sub = 0;
	cr_assert_eq(ch_token_sign(&KEY_A, &c, &t), CH_ERR_INTERNAL);
	c = claims_of(CH_TOKEN_OPERATOR);
	c.company_id = 0;
	cr_assert_eq(ch_token_sign(&KEY_A, &c, &t), CH_ERR_INTERNAL);
	cr_assert_eq(ch_token_sign(&KEY_A, NULL, &t), CH_ERR_INTERNAL);
	cr_assert_eq(ch_token_sign(&KEY_A, &c, NULL), CH_ERR_INTERNAL);
	cr_assert_null(t);
}

static ch_err verify_len(const char *t, size_t len)
{
	ch_token_claims out;
	return ch_token_verify(&KEY_A, t, len, CH_TOKEN_ANY, NOW, &out);
}

Test(token, malformed_rejected_without_crash)
{
	char *good = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	size_t n = strlen(good);
	size_t d1 = (size_t)(strchr(good, '.') - good), d2 = (size_t)(strrchr(good, '.') - good);

	/* truncations */
	cr_assert_eq(verify_len(good, n - 1), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, d2 + 1), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, d2), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, d1 + 1), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, n / 2), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, 1), CH_ERR_NO_TOKEN);

	const char *junk[] = {
		"garbage", "a.b.c", "..", "a..c", ".b.c", "a.b.", "a.b.c.d", "....",
		"eyJhbGciOiJIUzI1NiJ9.e30.====", "Bearer abc.def.ghi", "abc.def.ghi\n",
		"abc+/.def.ghi", "%00.%00.%00", "\xff\xfe.\x80.\x01",
	};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		cr_assert_eq(verify_len(junk[i], strlen(junk[i])), CH_ERR_NO_TOKEN, "%s", junk[i]);

	/* whitespace around a good token */
	char buf[1024];
	snprintf(buf, sizeof(buf), " %s", good);
	cr_assert_eq(verify_len(buf, strlen(buf)), CH_ERR_NO_TOKEN);

	cr_assert_eq(verify_len("", 0), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(good, 0), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(NULL, 0), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(NULL, 10), CH_ERR_NO_TOKEN);
	free(good);
}

Test(token, oversize_rejected)
{
	char *good = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	size_t n = strlen(good);
	char *big = malloc(5000);
	memset(big, 'A', 5000);
	memcpy(big, good, n - 1); /* a real token whose signature runs on */
	cr_assert_eq(verify_len(big, 5000), CH_ERR_NO_TOKEN);
	memset(big, 'A', 5000);
	big[100] = big[200] = '.';
	cr_assert_eq(verify_len(big, 5000), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(big, 4097), CH_ERR_NO_TOKEN);
	free(big);
	free(good);
}

Test(token, embedded_nul_rejected)
{
	char *good = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	size_t n = strlen(good);
	char buf[1024];

	/* the good token, then NUL and more: libjwt alone would stop at the NUL */
	memcpy(buf, good, n + 1);
	memcpy(buf + n + 1, "abc", 3);
	cr_assert_eq(verify_len(buf, n + 4), CH_ERR_NO_TOKEN);
	cr_assert_eq(verify_len(buf, n + 1), CH_ERR_NO_TOKEN);
	/* NUL in the middle */
	memcpy(buf, good, n + 1);
	buf[n / 2] = '\0';
	cr_assert_eq(verify_len(buf, n), CH_ERR_NO_TOKEN);
	free(good);
}

Test(token, length_is_honoured_without_terminator)
{
	char *good = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	size_t n = strlen(good);
	char *buf = malloc(n); /* exactly the token: no room for a NUL (ASan checks) */
	memcpy(buf, good, n);
	cr_assert_eq(verify_len(buf, n), CH_OK);
	free(buf);
	free(good);
}

Test(token, out_cleared_on_failure)
{
	ch_token_claims out = claims_of(CH_TOKEN_OPERATOR);
	cr_assert_eq(ch_token_verify(&KEY_A, "x.y.z", 5, CH_TOKEN_ANY, NOW, &out), CH_ERR_NO_TOKEN);
	cr_assert_eq(out.sub, 0);
	cr_assert_eq(out.kind, CH_TOKEN_ANY);
	char *t = sign_ok(&KEY_A, claims_of(CH_TOKEN_OPERATOR));
	cr_assert_eq(ch_token_verify(&KEY_A, t, strlen(t), CH_TOKEN_ANY, NOW, NULL), CH_ERR_INTERNAL);
	free(t);
}

Test(token, kind_names)
{
	cr_assert_str_eq(ch_token_kind_name(CH_TOKEN_COMPANY), "company");
	cr_assert_str_eq(ch_token_kind_name(CH_TOKEN_OPERATOR), "operator");
	cr_assert_str_eq(ch_token_kind_name(CH_TOKEN_VISITOR), "visitor");
	cr_assert_not_null(ch_token_kind_name(CH_TOKEN_ANY));
	cr_assert_not_null(ch_token_kind_name((ch_token_kind)42));
}

/* ---- identity tokens (userJWT) ------------------------------------------ */

static ch_err verify_identity(const char *claims_json, char *sub, size_t sublen, char *name, size_t namelen)
{
	char *t = raw_token(JWT_ALG_HS256, &KEY_A, claims_json);
	ch_err e = ch_token_verify_identity(&KEY_A, t, strlen(t), NOW, sub, sublen, name, namelen);
	free(t);
	return e;
}

Test(token, identity_name_is_cut_on_a_character_boundary)
{
	/* "a" + "é" × 200 = 401 bytes into a 257-byte buffer: 255 bytes, never
	 * half an "é" (which no JSON encoder would serialise again) */
	char claims[600] = "{\"sub\":\"user-1\",\"exp\":1700003600,\"name\":\"a";
	for (int i = 0; i < 200; i++)
		strcat(claims, "\xc3\xa9");
	strcat(claims, "\"}");
	char sub[64], name[257];
	cr_assert_eq(verify_identity(claims, sub, sizeof sub, name, sizeof name), CH_OK);
	cr_assert_str_eq(sub, "user-1");
	cr_assert_eq(strlen(name), 255);
	cr_assert_eq(name[0], 'a');
	for (size_t i = 1; i < 255; i += 2)
		cr_assert(!memcmp(name + i, "\xc3\xa9", 2), "byte %zu", i);
	/* a short name, no name, a null name */
	cr_assert_eq(verify_identity("{\"sub\":\"u\",\"exp\":1700003600,\"name\":\"Zoë\"}", sub, sizeof sub, name,
	                             sizeof name),
	             CH_OK);
	cr_assert_str_eq(name, "Zoë");
	cr_assert_eq(verify_identity("{\"sub\":7,\"exp\":1700003600}", sub, sizeof sub, name, sizeof name), CH_OK);
	cr_assert_str_eq(sub, "7");
	cr_assert_str_eq(name, "");
	cr_assert_eq(verify_identity("{\"sub\":\"u\",\"exp\":1700003600,\"name\":null}", sub, sizeof sub, name,
	                             sizeof name),
	             CH_OK);
	cr_assert_str_eq(name, "");
}

Test(token, identity_attributes_claim_is_handed_over_only_when_valid)
{
	char sub[64], name[257];
	json_t *attrs = (json_t *)1;
	char *t = raw_token(JWT_ALG_HS256, &KEY_A,
	                    "{\"sub\":\"u\",\"exp\":1700003600,\"attributes\":{\"plan\":\"pro\",\"id\":7}}");
	cr_assert_eq(ch_token_verify_identity_attrs(&KEY_A, t, strlen(t), NOW, sub, sizeof sub, name, sizeof name,
	                                            &attrs),
	             CH_OK);
	cr_assert(json_is_object(attrs));
	cr_assert_str_eq(json_string_value(json_object_get(attrs, "plan")), "pro");
	json_decref(attrs);
	/* an expired token hands nothing over, nor does one without the claim */
	cr_assert_eq(ch_token_verify_identity_attrs(&KEY_A, t, strlen(t), 1700003600 + 1, sub, sizeof sub, name,
	                                            sizeof name, &attrs),
	             CH_ERR_TOKEN_EXPIRED);
	cr_assert_null(attrs);
	free(t);
	t = raw_token(JWT_ALG_HS256, &KEY_A, "{\"sub\":\"u\",\"exp\":1700003600}");
	cr_assert_eq(ch_token_verify_identity_attrs(&KEY_A, t, strlen(t), NOW, sub, sizeof sub, name, sizeof name,
	                                            &attrs),
	             CH_OK);
	cr_assert_null(attrs);
	free(t);
}
