/* test_password.c — argon2id hashing at the minimum cost: round trip, bad
 * input, malformed hashes, salting, cost names, and the concurrency bound
 * (no timing is asserted anywhere). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"

static void setup(void)
{
	cr_assert_eq(ch_password_init(), CH_OK);
}

TestSuite(password, .init = setup);

#define PW "correct horse battery staple"

static void hash_min(const char *pw, size_t len, char out[CH_HASH_MAX + 1])
{
	cr_assert_eq(ch_password_hash(pw, len, CH_PW_COST_MIN, out), CH_OK);
}

Test(password, hash_and_verify_at_min_cost)
{
	char h[CH_HASH_MAX + 1];
	hash_min(PW, strlen(PW), h);
	cr_assert_eq(strncmp(h, "$argon2id$", 10), 0, "%s", h);
	cr_assert_eq(ch_password_verify(h, PW, strlen(PW)), CH_OK);
}

Test(password, init_twice_is_fine)
{
	cr_assert_eq(ch_password_init(), CH_OK);
}

Test(password, wrong_password)
{
	char h[CH_HASH_MAX + 1];
	hash_min(PW, strlen(PW), h);
	cr_assert_eq(ch_password_verify(h, "correct horse battery stapl", strlen(PW) - 1), CH_ERR_BAD_LOGIN);
	cr_assert_eq(ch_password_verify(h, "Correct horse battery staple", strlen(PW)), CH_ERR_BAD_LOGIN);
	cr_assert_eq(ch_password_verify(h, PW "!", strlen(PW) + 1), CH_ERR_BAD_LOGIN);
	/* len is what counts, not the C string */
	cr_assert_eq(ch_password_verify(h, PW, strlen(PW) - 1), CH_ERR_BAD_LOGIN);
}

Test(password, malformed_hash)
{
	char h[CH_HASH_MAX + 1];
	hash_min(PW, strlen(PW), h);

	char cut[CH_HASH_MAX + 1];
	memcpy(cut, h, strlen(h) / 2);
	cut[strlen(h) / 2] = '\0';
	char long_hash[CH_HASH_MAX + 8];
	memset(long_hash, 'a', sizeof(long_hash) - 1);
	long_hash[sizeof(long_hash) - 1] = '\0';

	const char *bad[] = {
		"", "garbage", "$argon2id$", "$argon2id$v=19$m=8,t=1,p=1$", "$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA",
		"$2y$10$abcdefghijklmnopqrstuuJ0Ih3nBPbsgZ1T/2m8nLk0iP6m0O2e", cut, long_hash,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(ch_password_verify(bad[i], PW, strlen(PW)), CH_ERR_BAD_LOGIN, "%s", bad[i]);
	cr_assert_eq(ch_password_verify(NULL, PW, strlen(PW)), CH_ERR_BAD_LOGIN);
}

Test(password, empty_and_overlong)
{
	char h[CH_HASH_MAX + 1];
	char *big = malloc(CH_PASSWORD_MAX + 1);
	memset(big, 'p', CH_PASSWORD_MAX + 1);

	cr_assert_eq(ch_password_hash("", 0, CH_PW_COST_MIN, h), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(ch_password_hash(NULL, 3, CH_PW_COST_MIN, h), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(ch_password_hash(big, CH_PASSWORD_MAX + 1, CH_PW_COST_MIN, h), CH_ERR_OUT_OF_RANGE);

	/* exactly the maximum is allowed, and a byte more never matches it */
	hash_min(big, CH_PASSWORD_MAX, h);
	cr_assert_eq(ch_password_verify(h, big, CH_PASSWORD_MAX), CH_OK);
	cr_assert_eq(ch_password_verify(h, big, CH_PASSWORD_MAX + 1), CH_ERR_BAD_LOGIN);
	cr_assert_eq(ch_password_verify(h, "", 0), CH_ERR_BAD_LOGIN);
	cr_assert_eq(ch_password_verify(h, NULL, 5), CH_ERR_BAD_LOGIN);
	free(big);
}

Test(password, nul_inside)
{
	char h[CH_HASH_MAX + 1];
	cr_assert_eq(ch_password_hash("ab\0cd", 5, CH_PW_COST_MIN, h), CH_ERR_OUT_OF_RANGE);
	cr_assert_eq(ch_password_hash("abcd\0", 5, CH_PW_COST_MIN, h), CH_ERR_OUT_OF_RANGE);
	hash_min("ab", 2, h);
	cr_assert_eq(ch_password_verify(h, "ab", 2), CH_OK);
	cr_assert_eq(ch_password_verify(h, "ab\0cd", 5), CH_ERR_BAD_LOGIN);
	cr_assert_eq(ch_password_verify(h, "ab\0", 3), CH_ERR_BAD_LOGIN);
}

Test(password, salted)
{
	char a[CH_HASH_MAX + 1], b[CH_HASH_MAX + 1];
	hash_min(PW, strlen(PW), a);
	hash_min(PW, strlen(PW), b);
	cr_assert_str_neq(a, b);
	cr_assert_eq(ch_password_verify(a, PW, strlen(PW)), CH_OK);
	cr_assert_eq(ch_password_verify(b, PW, strlen(PW)), CH_OK);
}

Test(password, cost_reaches_libsodium)
{
	char h[CH_HASH_MAX + 1];
	hash_min(PW, strlen(PW), h);
	cr_assert_not_null(strstr(h, "$m=8,t=1,"), "%s", h);
	/* one interactive hash (64 MiB) to check the mapping of a real cost */
	cr_assert_eq(ch_password_hash(PW, strlen(PW), CH_PW_COST_INTERACTIVE, h), CH_OK);
	cr_assert_not_null(strstr(h, "$m=65536,t=2,"), "%s", h);
	cr_assert_eq(ch_password_verify(h, PW, strlen(PW)), CH_OK);
	cr_assert_eq(ch_password_hash(PW, strlen(PW), (ch_pw_cost)77, h), CH_ERR_INTERNAL);
}

Test(password, parse_cost)
{
	ch_pw_cost c = (ch_pw_cost)99;
	cr_assert_eq(ch_password_parse_cost("min", &c), 0);
	cr_assert_eq(c, CH_PW_COST_MIN);
	cr_assert_eq(ch_password_parse_cost("interactive", &c), 0);
	cr_assert_eq(c, CH_PW_COST_INTERACTIVE);
	cr_assert_eq(ch_password_parse_cost("moderate", &c), 0);
	cr_assert_eq(c, CH_PW_COST_MODERATE);

	const char *junk[] = {"", "MIN", "Min", "min ", " min", "fast", "sensitive", "0", "mi"};
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		c = (ch_pw_cost)99;
		cr_assert_eq(ch_password_parse_cost(junk[i], &c), -1, "'%s'", junk[i]);
		cr_assert_eq(c, (ch_pw_cost)99, "out untouched for '%s'", junk[i]);
	}
	cr_assert_eq(ch_password_parse_cost(NULL, &c), -1);
}

Test(password, burn_returns)
{
	ch_password_burn(CH_PW_COST_MIN);
	ch_password_burn((ch_pw_cost)77); /* unknown cost: nothing to spend, no crash */
}

struct job {
	const char *hash;
	int hash_instead; /* this thread hashes (and burns) instead of verifying */
	ch_err result;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	char h[CH_HASH_MAX + 1];

	if (j->hash_instead) {
		ch_password_burn(CH_PW_COST_MIN);
		j->result = ch_password_hash(PW, strlen(PW), CH_PW_COST_MIN, h);
		if (j->result == CH_OK)
			j->result = ch_password_verify(h, PW, strlen(PW));
	} else {
		j->result = ch_password_verify(j->hash, PW, strlen(PW));
	}
	return NULL;
}

/* Runs n workers at once; asserts only in this thread (Criterion's asserts are
 * not for other threads). The tests' .timeout is a deadlock guard, not a timing
 * check: a broken semaphore hangs rather than fails. */
static void run_workers(int n, int hashers)
{
	char h[CH_HASH_MAX + 1];
	pthread_t t[8];
	struct job jobs[8];

	cr_assert_leq(n, 8);
	hash_min(PW, strlen(PW), h);
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){.hash = h, .hash_instead = i < hashers, .result = CH_ERR_INTERNAL};
		cr_assert_eq(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
	}
	for (int i = 0; i < n; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < n; i++)
		cr_assert_eq(jobs[i].result, CH_OK, "worker %d", i);
}

Test(password, six_verifiers_with_two_slots, .timeout = 120)
{
	ch_password_set_concurrency(2);
	run_workers(6, 0);
}

Test(password, mixed_hash_verify_burn_with_two_slots, .timeout = 120)
{
	ch_password_set_concurrency(2);
	run_workers(8, 3);
}

Test(password, concurrency_clamped_to_one, .timeout = 120)
{
	/* 0 and negatives mean 1, not "nobody may hash" (that would hang) */
	ch_password_set_concurrency(0);
	run_workers(3, 1);
	ch_password_set_concurrency(-5);
	run_workers(3, 0);
}
