/* password.c — argon2id password hashes (libsodium crypto_pwhash_str).
 *
 * Each hash or verify at the interactive cost burns ~90 ms of CPU and 64 MiB,
 * so every call first takes a slot of a counting semaphore (mutex + condvar,
 * default 2 slots): a login storm waits in line instead of eating the memory.
 * Threading: safe from any worker thread (the semaphore is the only shared
 * state, behind its mutex); blocking, so never on the network thread.
 */
#include "auth/password.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

_Static_assert(crypto_pwhash_STRBYTES <= CH_HASH_MAX + 1, "CH_HASH_MAX too small for argon2id");
_Static_assert(CH_PASSWORD_MAX <= crypto_pwhash_PASSWD_MAX, "CH_PASSWORD_MAX above libsodium's");

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_free = PTHREAD_COND_INITIALIZER;
static int g_limit = 2;   /* slots, >= 1 */
static int g_running = 0; /* slots taken */

static const struct {
	const char *name;
	ch_pw_cost cost;
} cost_names[] = {
	{"min", CH_PW_COST_MIN},
	{"interactive", CH_PW_COST_INTERACTIVE},
	{"moderate", CH_PW_COST_MODERATE},
};

ch_err ch_password_init(void)
{
	/* 0 = initialised now, 1 = already was, -1 = failure. */
	return sodium_init() < 0 ? CH_ERR_INTERNAL : CH_OK;
}

int ch_password_parse_cost(const char *s, ch_pw_cost *out)
{
	if (!s || !out)
		return -1;
	for (size_t i = 0; i < sizeof(cost_names) / sizeof(cost_names[0]); i++) {
		if (strcmp(s, cost_names[i].name) == 0) {
			*out = cost_names[i].cost;
			return 0;
		}
	}
	return -1;
}

void ch_password_set_concurrency(int n)
{
	pthread_mutex_lock(&g_lock);
	g_limit = n < 1 ? 1 : n;
	/* A raised limit may admit several waiters at once. */
	pthread_cond_broadcast(&g_free);
	pthread_mutex_unlock(&g_lock);
}

static void slot_take(void)
{
	pthread_mutex_lock(&g_lock);
	while (g_running >= g_limit)
		pthread_cond_wait(&g_free, &g_lock);
	g_running++;
	pthread_mutex_unlock(&g_lock);
}

static void slot_give(void)
{
	pthread_mutex_lock(&g_lock);
	g_running--;
	pthread_cond_signal(&g_free);
	pthread_mutex_unlock(&g_lock);
}

/* libsodium limits of a cost; false for an unknown cost. */
static bool cost_limits(ch_pw_cost cost, unsigned long long *ops, size_t *mem)
{
	switch (cost) {
	case CH_PW_COST_MIN:
		*ops = crypto_pwhash_OPSLIMIT_MIN;
		*mem = crypto_pwhash_MEMLIMIT_MIN;
		return true;
	case CH_PW_COST_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		return true;
	case CH_PW_COST_MODERATE:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		return true;
	default:
		return false;
	}
}

/* 1..CH_PASSWORD_MAX bytes, no NUL: a NUL would make the password differ from
 * what any C-string path (config, CLI) sees for the same input. */
static bool pw_ok(const char *pw, size_t len)
{
	return pw && len > 0 && len <= CH_PASSWORD_MAX && !memchr(pw, '\0', len);
}

/* Hashes without validating pw: shared by hash and burn. */
static ch_err hash_raw(const char *pw, size_t len, ch_pw_cost cost, char out[CH_HASH_MAX + 1])
{
	unsigned long long ops;
	size_t mem;
	int rc;

	if (!cost_limits(cost, &ops, &mem))
		return CH_ERR_INTERNAL;
	slot_take();
	rc = crypto_pwhash_str(out, pw, len, ops, mem);
	slot_give();
	return rc == 0 ? CH_OK : CH_ERR_INTERNAL;
}

ch_err ch_password_hash(const char *pw, size_t len, ch_pw_cost cost, char out[CH_HASH_MAX + 1])
{
	if (!out)
		return CH_ERR_INTERNAL;
	out[0] = '\0';
	if (!pw_ok(pw, len))
		return CH_ERR_OUT_OF_RANGE;
	return hash_raw(pw, len, cost, out);
}

ch_err ch_password_verify(const char *hash, const char *pw, size_t len)
{
	/* libsodium reads the hash as a C string: verify a bounded, terminated
	 * copy so an unterminated store buffer cannot make it read past the end.
	 * The password goes by length, so it is not copied (one less secret copy). */
	char h[CH_HASH_MAX + 1];
	size_t hlen;
	int rc;

	if (!hash || !pw_ok(pw, len))
		return CH_ERR_BAD_LOGIN;
	hlen = strnlen(hash, sizeof(h));
	if (hlen == 0 || hlen >= sizeof(h))
		return CH_ERR_BAD_LOGIN;
	memcpy(h, hash, hlen + 1);
	slot_take();
	rc = crypto_pwhash_str_verify(h, pw, len);
	slot_give();
	return rc == 0 ? CH_OK : CH_ERR_BAD_LOGIN;
}

void ch_password_burn(ch_pw_cost cost)
{
	/* Hashing costs what verifying costs (same t and m), needs no stored hash
	 * and takes a semaphore slot like a real login would. */
	static const char dummy[] = "chathub-unknown-login";
	char out[CH_HASH_MAX + 1];

	(void)hash_raw(dummy, sizeof(dummy) - 1, cost, out);
}
