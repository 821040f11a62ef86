/* clock.h — time helpers: wall clock in ms (or the test clock), monotonic
 * clock, ISO-8601 in and out.
 * Threading: safe from any thread; ch_clock_set_file before threads start. */
#ifndef CH_CORE_CLOCK_H
#define CH_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds since the Unix epoch (wall clock, or the test clock below),
 * plus the offset below. For wall times only: durations use ch_mono_ms. */
int64_t ch_now_ms(void);
/* The test clock (the clock_file option): from now on ch_now_ms answers the
 * milliseconds since the epoch written in the file at path (borrowed),
 * frozen, re-read whenever the file changes. NULL or "" turns it off. Call
 * before any thread starts. Returns 0, or -1 with why (the file is missing
 * or holds no number). */
int ch_clock_set_file(const char *path, char *why, size_t why_len);
/* Shifts ch_now_ms by offset_ms from now on (the clock_offset option: tests
 * of expiry without waiting). Any thread; 0 by default. */
void ch_clock_set_offset_ms(int64_t offset_ms);
/* The real wall clock in ms since the epoch plus the offset, never the test
 * clock: for the leases that tell live processes and connections (node
 * leases, operator presence), which must follow real time (PostgreSQL's side
 * uses its clock_timestamp); a frozen or jumping test clock would expire
 * them at each move. */
int64_t ch_lease_ms(void);
/* Milliseconds of a monotonic clock, for durations. */
int64_t ch_mono_ms(void);
/* Monotonic microseconds, for latency histograms. */
int64_t ch_mono_us(void);

/* Writes "2026-01-20T14:33:34.147Z" (24 chars + NUL) into out (>= 25 bytes). */
void ch_iso8601_format(int64_t ms, char out[25]);
/* Parses any ISO-8601 date-time with 'Z', a ±hh:mm offset or no zone at all
 * (then UTC, as ASP.NET reads "2026-01-20T14:33:34"), optional fraction (any
 * digits, truncated to ms). A bare date "2026-01-20" is accepted when
 * allow_date_only is set (midnight UTC). Returns 0 and sets *ms, or -1. */
int ch_iso8601_parse(const char *s, size_t len, int allow_date_only, int64_t *ms);

#endif
