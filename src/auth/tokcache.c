/* tokcache.c — the verified-token cache (see tokcache.h).
 *
 * A direct-mapped table: a token's slot is a keyed SipHash of its bytes (the
 * hash key is random per process, so nobody can aim tokens at one slot), and a
 * new entry replaces whatever held its slot. Only tokens whose signature
 * verified are put, so the table holds tokens this server (or the holder of
 * its key) issued; a forged token never matches an entry, whose bytes are
 * compared in full. Memory is bounded by CH_TOKCACHE_SLOTS entries of at most
 * CH_TOKCACHE_TOKEN_MAX bytes each. Entries are wiped when they go.
 * Threading: any thread; one mutex, held for a compare and a copy.
 */
#include "auth/tokcache.h"

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

typedef struct entry {
	ch_token_key key;
	ch_token_claims claims;
	size_t len;
	char token[];
} entry;

static struct {
	pthread_mutex_t mu;
	pthread_once_t once;
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	entry *slots[CH_TOKCACHE_SLOTS];
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT};

static void init_once(void)
{
	if (sodium_init() < 0)
		abort(); /* no random source: nothing here can work */
	randombytes_buf(g.hash_key, sizeof g.hash_key);
}

static size_t slot_of(const char *token, size_t len)
{
	pthread_once(&g.once, init_once);
	unsigned char h[crypto_shorthash_BYTES];
	crypto_shorthash(h, (const unsigned char *)token, len, g.hash_key);
	uint64_t v;
	memcpy(&v, h, sizeof v);
	return (size_t)(v & (CH_TOKCACHE_SLOTS - 1));
}

_Static_assert((CH_TOKCACHE_SLOTS & (CH_TOKCACHE_SLOTS - 1)) == 0, "slots must be a power of two");

/* Whether a and b (n bytes) are equal, in a time that depends on n alone:
 * every byte is read and the differences are or-ed, eight bytes at a time
 * (sodium_memcmp goes one byte at a time, through a volatile pointer). */
static int ct_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t d = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t u, v;
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	for (; i < n; i++)
		d |= (uint64_t)(x[i] ^ y[i]);
	return ((d | (0 - d)) >> 63) == 0; /* no branch on d */
}

/* Whether e is token under key: lengths are public, the bytes compared in constant time. */
static int same(const entry *e, const ch_token_key *key, const char *token, size_t len)
{
	if (!e || e->len != len || e->key.len != key->len)
		return 0;
	int k = ct_equal(e->key.bytes, key->bytes, key->len), t = ct_equal(e->token, token, len);
	return k & t;
}

static void entry_free(entry *e)
{
	if (!e)
		return;
	sodium_memzero(e, sizeof *e + e->len);
	free(e);
}

int ch_tokcache_get(const ch_token_key *key, const char *token, size_t len, ch_token_claims *out)
{
	if (!token || !len || len > CH_TOKCACHE_TOKEN_MAX || key->len > CH_TOKEN_KEY_MAX)
		return 0;
	size_t i = slot_of(token, len);
	pthread_mutex_lock(&g.mu);
	int hit = same(g.slots[i], key, token, len);
	if (hit)
		*out = g.slots[i]->claims;
	pthread_mutex_unlock(&g.mu);
	return hit;
}

void ch_tokcache_put(const ch_token_key *key, const char *token, size_t len, const ch_token_claims *claims)
{
	if (!token || !len || len > CH_TOKCACHE_TOKEN_MAX || key->len > CH_TOKEN_KEY_MAX)
		return;
	size_t i = slot_of(token, len);
	entry *e = ch_xmalloc(sizeof *e + len);
	e->key = *key;
	e->claims = *claims;
	e->len = len;
	memcpy(e->token, token, len);
	pthread_mutex_lock(&g.mu);
	entry *old = g.slots[i];
	g.slots[i] = e;
	pthread_mutex_unlock(&g.mu);
	entry_free(old);
}

void ch_tokcache_drop(const ch_token_key *key, const char *token, size_t len)
{
	if (!token || !len || len > CH_TOKCACHE_TOKEN_MAX || key->len > CH_TOKEN_KEY_MAX)
		return;
	size_t i = slot_of(token, len);
	entry *old = NULL;
	pthread_mutex_lock(&g.mu);
	if (same(g.slots[i], key, token, len)) {
		old = g.slots[i];
		g.slots[i] = NULL;
	}
	pthread_mutex_unlock(&g.mu);
	entry_free(old);
}

void ch_tokcache_clear(void)
{
	pthread_mutex_lock(&g.mu);
	for (size_t i = 0; i < CH_TOKCACHE_SLOTS; i++) {
		entry_free(g.slots[i]);
		g.slots[i] = NULL;
	}
	pthread_mutex_unlock(&g.mu);
}
