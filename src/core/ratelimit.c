/* ratelimit.c — token buckets in an open-addressing hash table (any thread),
 * and the bare ch_bucket (its owner's thread). */
#include "core/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

typedef struct bucket {
	char *key; /* owned; NULL = empty slot */
	double tokens;
	int64_t last_ms;
} bucket;

struct ch_ratelimit {
	pthread_mutex_t mu;
	double per_ms, burst;
	size_t cap, used, max_keys;
	bucket *slots;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

ch_ratelimit *ch_ratelimit_new(double rate, int64_t period_ms, double burst, size_t max_keys)
{
	ch_ratelimit *rl = ch_xcalloc(1, sizeof *rl);
	pthread_mutex_init(&rl->mu, NULL);
	rl->per_ms = rate / (double)period_ms;
	rl->burst = burst < 1 ? 1 : burst;
	rl->max_keys = max_keys;
	rl->cap = 1024;
	while (rl->cap < max_keys * 2)
		rl->cap *= 2;
	rl->slots = ch_xcalloc(rl->cap, sizeof *rl->slots);
	return rl;
}

void ch_ratelimit_free(ch_ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->cap; i++)
		free(rl->slots[i].key);
	free(rl->slots);
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

static void refill(ch_ratelimit *rl, bucket *b, int64_t now)
{
	if (now > b->last_ms) {
		b->tokens = fmin(rl->burst, b->tokens + (double)(now - b->last_ms) * rl->per_ms);
		b->last_ms = now;
	}
}

/* Rebuilds the table keeping only buckets that are not yet full again. */
static void evict_idle(ch_ratelimit *rl, int64_t now)
{
	bucket *old = rl->slots;
	rl->slots = ch_xcalloc(rl->cap, sizeof *rl->slots);
	rl->used = 0;
	for (size_t i = 0; i < rl->cap; i++) {
		if (!old[i].key)
			continue;
		refill(rl, &old[i], now);
		if (old[i].tokens >= rl->burst || rl->used >= rl->max_keys / 2) {
			free(old[i].key);
			continue;
		}
		size_t j = hash(old[i].key) & (rl->cap - 1);
		while (rl->slots[j].key)
			j = (j + 1) & (rl->cap - 1);
		rl->slots[j] = old[i];
		rl->used++;
	}
	free(old);
}

static bucket *lookup(ch_ratelimit *rl, const char *key, int64_t now)
{
	size_t i = hash(key) & (rl->cap - 1);
	while (rl->slots[i].key) {
		if (!strcmp(rl->slots[i].key, key))
			return &rl->slots[i];
		i = (i + 1) & (rl->cap - 1);
	}
	if (rl->used >= rl->max_keys) {
		evict_idle(rl, now);
		return lookup(rl, key, now);
	}
	rl->slots[i].key = ch_xstrdup(key);
	rl->slots[i].tokens = rl->burst;
	rl->slots[i].last_ms = now;
	rl->used++;
	return &rl->slots[i];
}

static int take(ch_ratelimit *rl, const char *key, int64_t now_ms, double cost)
{
	pthread_mutex_lock(&rl->mu);
	bucket *b = lookup(rl, key, now_ms);
	refill(rl, b, now_ms);
	int wait = 0;
	if (b->tokens >= 1) {
		b->tokens -= cost;
	} else {
		double ms = (1 - b->tokens) / rl->per_ms;
		wait = (int)ceil(ms / 1000.0);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->mu);
	return wait;
}

int ch_ratelimit_take(ch_ratelimit *rl, const char *key, int64_t now_ms) { return take(rl, key, now_ms, 1); }

int ch_ratelimit_peek(ch_ratelimit *rl, const char *key, int64_t now_ms) { return take(rl, key, now_ms, 0); }
void ch_bucket_init(ch_bucket *b, double burst, int64_t now_ms)
{
	b->tokens = burst;
	b->last_ms = now_ms;
}

int ch_bucket_take(ch_bucket *b, double per_second, double burst, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens = fmin(burst, b->tokens + (double)(now_ms - b->last_ms) * per_second / 1000.0);
		b->last_ms = now_ms;
	}
	if (b->tokens < 1)
		return 0;
	b->tokens -= 1;
	return 1;
}

void ch_bucket_refund(ch_bucket *b, double burst) { b->tokens = fmin(burst, b->tokens + 1); }
