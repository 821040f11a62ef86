/* tz.h — IANA time zones without the process's TZ: a reader of the
 * compiled zone files (TZif, RFC 8536) under /usr/share/zoneinfo (Debian's
 * tzdata; $TZDIR when set), the offset from UTC at an instant, and the
 * instant of a local wall time.
 *
 * setenv("TZ") + localtime_r would change the whole process's zone under the
 * other threads; a ch_tz is an immutable value any thread may read.
 * Threading: ch_tz_get keeps a process-wide cache behind a mutex (a zone is
 * loaded once and lives until exit); everything else is pure. */
#ifndef CH_CORE_TZ_H
#define CH_CORE_TZ_H

#include <stddef.h>
#include <stdint.h>

#define CH_TZ_NAME_MAX 64

typedef struct ch_tz ch_tz;

/* 1 when name looks like an IANA zone name ("Europe/Kyiv", "UTC",
 * "Etc/GMT+5"): 1..CH_TZ_NAME_MAX bytes of letters, digits, '/', '_', '+',
 * '-', not starting with '/' or '-' and with no empty component (so never a
 * path outside the zone directory). */
int ch_tz_name_valid(const char *name);
/* The zone called name, loaded from the zone directory the first time
 * (blocking file read: worker threads only), or NULL when the name is not
 * valid or no valid zone file has it. Borrowed: lives until exit. */
const ch_tz *ch_tz_get(const char *name);

/* Parses a TZif file's bytes; NULL when they are not a valid one. The caller
 * owns the result (ch_tz_free). */
ch_tz *ch_tz_parse(const unsigned char *data, size_t len);
void ch_tz_free(ch_tz *z);

/* Seconds east of UTC in the zone at the UTC instant t (Unix seconds). */
int32_t ch_tz_offset(const ch_tz *z, int64_t t);
/* The UTC instant (Unix seconds) when the zone's wall clock shows local
 * (seconds since 1970-01-01 00:00 of the wall clock). A wall time shown
 * twice (clocks set back) gives the earlier instant; one never shown (the
 * gap when clocks go forward) gives the instant the gap ends. */
int64_t ch_tz_to_utc(const ch_tz *z, int64_t local);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ch_tz_days_from_civil(int64_t y, unsigned m, unsigned d);
void ch_tz_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
