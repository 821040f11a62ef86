/* test_tokcache.c — the verified-token cache: a cached token answers as a
 * fresh verification would (claims, expiry against the clock, kind), and
 * nothing but the exact bytes under the exact key finds an entry. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokcache.h"
#include "auth/token.h"

#define NOW 1700000000LL

static const ch_token_key KEY_A = {.bytes = "company-A-secret-0123456789abcdef", .len = 32};
static const ch_token_key KEY_B = {.bytes = "company-B-secret-0123456789abcdef", .len = 32};

static void fresh(void) { ch_tokcache_clear(); }

static char *sign(const ch_token_key *key, int64_t sub, int64_t exp)
{
	ch_token_claims c = {.kind = CH_TOKEN_OPERATOR, .sub = sub, .company_id = 7, .org_id = 3, .epoch = 5,
	                     .iat = NOW - 10, .exp = exp};
	char *t = NULL;
	cr_assert_eq(ch_token_sign(key, &c, &t), CH_OK);
	return t;
}

static ch_err verify_at(const ch_token_key *key, const char *t, size_t len, int64_t now, ch_token_claims *out)
{
	return ch_token_verify(key, t, len, CH_TOKEN_ANY, now, out);
}

TestSuite(tokcache, .init = fresh, .fini = fresh);

Test(tokcache, second_verify_is_a_hit_with_the_same_claims)
{
	char *t = sign(&KEY_A, 42, NOW + 3600);
	ch_token_claims a, b, cached;
	cr_assert_not(ch_tokcache_get(&KEY_A, t, strlen(t), &cached));
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW, &a), CH_OK);
	cr_assert(ch_tokcache_get(&KEY_A, t, strlen(t), &cached));
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW, &b), CH_OK);
	cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
	cr_assert_eq(b.sub, 42);
	cr_assert_eq(b.exp, NOW + 3600);
	free(t);
}

Test(tokcache, expiry_is_checked_on_every_use)
{
	char *t = sign(&KEY_A, 42, NOW + 60);
	ch_token_claims out;
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW, &out), CH_OK);
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW + 60, &out), CH_ERR_TOKEN_EXPIRED);
	cr_assert_eq(out.sub, 42, "an expired token's claims are still reported");
	cr_assert_not(ch_tokcache_get(&KEY_A, t, strlen(t), &out), "an expired entry is dropped");
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW + 61, &out), CH_ERR_TOKEN_EXPIRED);
	cr_assert_not(ch_tokcache_get(&KEY_A, t, strlen(t), &out), "an expired token is never cached");
	free(t);
}

Test(tokcache, kind_is_checked_on_every_use)
{
	char *t = sign(&KEY_A, 42, NOW + 3600);
	ch_token_claims out;
	cr_assert_eq(verify_at(&KEY_A, t, strlen(t), NOW, &out), CH_OK);
	cr_assert_eq(ch_token_verify(&KEY_A, t, strlen(t), CH_TOKEN_COMPANY, NOW, &out), CH_ERR_WRONG_KIND);
	cr_assert_eq(out.sub, 0);
	cr_assert_eq(ch_token_verify(&KEY_A, t, strlen(t), CH_TOKEN_OPERATOR, NOW, &out), CH_OK);
	free(t);
}

Test(tokcache, other_key_or_other_bytes_never_hit)
{
	char *t = sign(&KEY_A, 42, NOW + 3600);
	size_t n = strlen(t);
	ch_token_claims out;
	cr_assert_eq(verify_at(&KEY_A, t, n, NOW, &out), CH_OK);
	cr_assert_eq(verify_at(&KEY_B, t, n, NOW, &out), CH_ERR_NO_TOKEN, "the same bytes under another key");
	cr_assert_eq(verify_at(&KEY_A, t, n - 1, NOW, &out), CH_ERR_NO_TOKEN, "a prefix");
	char *longer = malloc(n + 2);
	memcpy(longer, t, n);
	memcpy(longer + n, "A", 2);
	cr_assert_eq(verify_at(&KEY_A, longer, n + 1, NOW, &out), CH_ERR_NO_TOKEN, "an extension");
	for (size_t i = 0; i < n; i++) { /* every single-byte change, signature included */
		char *bad = strdup(t);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		ch_err e = verify_at(&KEY_A, bad, n, NOW, &out);
		cr_assert(e == CH_ERR_NO_TOKEN || (e == CH_OK && !strcmp(bad, t)), "byte %zu changed: %d", i, e);
		free(bad);
	}
	cr_assert_eq(verify_at(&KEY_A, t, n, NOW, &out), CH_OK, "the original still verifies");
	free(longer);
	free(t);
}

Test(tokcache, more_tokens_than_slots_all_verify)
{
	enum { N = CH_TOKCACHE_SLOTS + 500 };
	char **toks = calloc(N, sizeof *toks);
	ch_token_claims out;
	for (int i = 0; i < N; i++) {
		toks[i] = sign(&KEY_A, 1000 + i, NOW + 3600);
		cr_assert_eq(verify_at(&KEY_A, toks[i], strlen(toks[i]), NOW, &out), CH_OK);
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(verify_at(&KEY_A, toks[i], strlen(toks[i]), NOW, &out), CH_OK);
		cr_assert_eq(out.sub, 1000 + i);
		free(toks[i]);
	}
	free(toks);
}

Test(tokcache, put_get_drop_clear)
{
	const char *t = "x.y.z";
	ch_token_claims c = {.kind = CH_TOKEN_COMPANY, .sub = 9, .company_id = 9}, out;
	ch_tokcache_put(&KEY_A, t, 5, &c);
	cr_assert(ch_tokcache_get(&KEY_A, t, 5, &out));
	cr_assert_eq(out.sub, 9);
	cr_assert_not(ch_tokcache_get(&KEY_B, t, 5, &out));
	ch_tokcache_drop(&KEY_B, t, 5); /* not its entry: stays */
	cr_assert(ch_tokcache_get(&KEY_A, t, 5, &out));
	ch_tokcache_drop(&KEY_A, t, 5);
	cr_assert_not(ch_tokcache_get(&KEY_A, t, 5, &out));
	ch_tokcache_put(&KEY_A, t, 5, &c);
	ch_tokcache_clear();
	cr_assert_not(ch_tokcache_get(&KEY_A, t, 5, &out));
	char big[CH_TOKCACHE_TOKEN_MAX + 1];
	memset(big, 'a', sizeof big);
	ch_tokcache_put(&KEY_A, big, sizeof big, &c);
	cr_assert_not(ch_tokcache_get(&KEY_A, big, sizeof big, &out), "too long to be cached");
	cr_assert_not(ch_tokcache_get(&KEY_A, NULL, 5, &out));
}
