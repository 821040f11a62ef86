/* ratelimit.h — token buckets keyed by a string (client IP, login, token).
 *
 * Each limiter has one rate and burst; a key's bucket starts full. When the
 * table is full, idle (refilled) buckets are evicted first, so memory stays
 * bounded under a flood of distinct keys.
 * Threading: safe from any thread (one mutex per limiter).
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

#endif
