/* ratelimit.h — token buckets keyed by a string (client IP, login, token),
 * and a single bare bucket for a caller to embed (a hub connection).
 *
 * Each limiter has one rate and burst; a key's bucket starts full. When the
 * table is full, idle (refilled) buckets are evicted first, so memory stays
 * bounded under a flood of distinct keys.
 * Threading: the keyed limiter is safe from any thread (one mutex per
 * limiter); ch_bucket is a pure value, its owner's thread only.
 */
#ifndef CH_CORE_RATELIMIT_H
#define CH_CORE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct ch_ratelimit ch_ratelimit;

/* rate tokens per period_ms, at most burst stored; max_keys bounds memory. */
ch_ratelimit *ch_ratelimit_new(double rate, int64_t period_ms, double burst, size_t max_keys);
void ch_ratelimit_free(ch_ratelimit *rl);
/* Takes one token for key at now_ms. Returns 0 when allowed; otherwise the
 * number of seconds (>= 1) until a token is available (for Retry-After). */
int ch_ratelimit_take(ch_ratelimit *rl, const char *key, int64_t now_ms);
/* Like take, but takes nothing: whether a token would be available (0) or the
 * seconds until one is. For limits that charge only some outcomes (failed
 * logins): peek before the work, take after a failure. */
int ch_ratelimit_peek(ch_ratelimit *rl, const char *key, int64_t now_ms);

/* One token bucket, a few fields inside its owner's struct (no table, no
 * lock). Time is passed in. */
typedef struct ch_bucket {
	double tokens;
	int64_t last_ms;
} ch_bucket;

/* A full bucket (burst tokens) at now_ms. */
void ch_bucket_init(ch_bucket *b, double burst, int64_t now_ms);
/* Refills at per_second (at most burst stored), then takes one token.
 * Returns 1 when taken, 0 when the bucket is empty (nothing taken). */
int ch_bucket_take(ch_bucket *b, double per_second, double burst, int64_t now_ms);
/* Gives back one token taken (a later check refused the action). */
void ch_bucket_refund(ch_bucket *b, double burst);

#endif
