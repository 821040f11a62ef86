/* Unit tests of the time-zone reader: offsets and wall times around the
 * daylight-saving changes of Europe/Kyiv and America/New_York, from the
 * system's zone files and from the POSIX rule alone. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/tz.h"

/* Unix seconds of a UTC date-time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return ch_tz_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60;
}

static const ch_tz *zone(const char *name)
{
	const ch_tz *z = ch_tz_get(name);
	cr_assert_not_null(z, "%s should load (Debian tzdata)", name);
	return z;
}

Test(tz, names)
{
	cr_assert(ch_tz_name_valid("Europe/Kyiv"));
	cr_assert(ch_tz_name_valid("UTC"));
	cr_assert(ch_tz_name_valid("Etc/GMT+5"));
	cr_assert(ch_tz_name_valid("America/Argentina/Buenos_Aires"));
	cr_assert_not(ch_tz_name_valid(""));
	cr_assert_not(ch_tz_name_valid("../etc/passwd"));
	cr_assert_not(ch_tz_name_valid("/etc/passwd"));
	cr_assert_not(ch_tz_name_valid("Europe//Kyiv"));
	cr_assert_not(ch_tz_name_valid("Europe/"));
	cr_assert_not(ch_tz_name_valid("zone.tab"));
	cr_assert_null(ch_tz_get("Mars/Olympus_Mons"));
	cr_assert_null(ch_tz_get("Europe"), "a directory is no zone");
	cr_assert_eq(ch_tz_get("Europe/Kyiv"), ch_tz_get("Europe/Kyiv"), "cached");
}

Test(tz, kyiv_dst)
{
	const ch_tz *z = zone("Europe/Kyiv");
	/* 2026: EEST from Sun 29 March 01:00 UTC to Sun 25 October 01:00 UTC */
	cr_assert_eq(ch_tz_offset(z, utc(2026, 1, 15, 12, 0)), 7200);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 3, 29, 0, 59)), 7200);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 3, 29, 1, 0)), 10800);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 10, 25, 0, 59)), 10800);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 10, 25, 1, 0)), 7200);
	/* 09:00 local in winter and summer */
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 1, 15, 9, 0)), utc(2026, 1, 15, 7, 0));
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 7, 15, 9, 0)), utc(2026, 7, 15, 6, 0));
	/* 03:30 on 29 March never happens (03:00 → 04:00): the gap's end, 04:00 EEST */
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 3, 29, 3, 30)), utc(2026, 3, 29, 1, 0));
	/* 03:30 on 25 October happens twice: the first, in EEST */
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 10, 25, 3, 30)), utc(2026, 10, 25, 0, 30));
	/* before 1970 and far past the table */
	cr_assert_eq(ch_tz_offset(z, utc(2100, 7, 1, 0, 0)), 10800);
	cr_assert_eq(ch_tz_offset(z, utc(2100, 12, 1, 0, 0)), 7200);
}

Test(tz, new_york_dst)
{
	const ch_tz *z = zone("America/New_York");
	/* 2026: EDT from Sun 8 March 07:00 UTC (02:00 EST) to Sun 1 November 06:00 UTC (02:00 EDT) */
	cr_assert_eq(ch_tz_offset(z, utc(2026, 3, 8, 6, 59)), -18000);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 3, 8, 7, 0)), -14400);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 11, 1, 5, 59)), -14400);
	cr_assert_eq(ch_tz_offset(z, utc(2026, 11, 1, 6, 0)), -18000);
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 3, 8, 2, 30)), utc(2026, 3, 8, 7, 0), "the gap's end");
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 11, 1, 1, 30)), utc(2026, 11, 1, 5, 30), "the first of two");
	cr_assert_eq(ch_tz_to_utc(z, utc(2026, 11, 2, 9, 0)), utc(2026, 11, 2, 14, 0));
	cr_assert_eq(ch_tz_offset(z, utc(1950, 1, 1, 0, 0)), -18000);
}

/* A TZif v2 file with no transitions at all: the footer rule decides. */
static ch_tz *rule_only(const char *rule)
{
	static unsigned char f[512];
	memset(f, 0, sizeof f);
	size_t n = 0;
	for (int v = 0; v < 2; v++) { /* v1 block, then v2 block: one type, one abbreviation char */
		memcpy(f + n, "TZif2", 5);
		f[n + 39] = 1; /* typecnt */
		f[n + 43] = 4; /* charcnt */
		n += 44 + 6 + 4;
	}
	f[n++] = '\n';
	memcpy(f + n, rule, strlen(rule));
	n += strlen(rule);
	f[n++] = '\n';
	return ch_tz_parse(f, n);
}

Test(tz, posix_rules)
{
	ch_tz *z = rule_only("EST5EDT,M3.2.0,M11.1.0");
	cr_assert_not_null(z);
	cr_assert_eq(ch_tz_offset(z, utc(2031, 3, 9, 6, 59)), -18000); /* second Sunday of March 2031 = 9th */
	cr_assert_eq(ch_tz_offset(z, utc(2031, 3, 9, 7, 0)), -14400);
	cr_assert_eq(ch_tz_offset(z, utc(2031, 11, 2, 6, 0)), -18000);
	ch_tz_free(z);
	z = rule_only("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1"); /* negative rule times */
	cr_assert_not_null(z);
	cr_assert_eq(ch_tz_offset(z, utc(2030, 6, 1, 0, 0)), -7200);
	cr_assert_eq(ch_tz_offset(z, utc(2030, 1, 1, 0, 0)), -10800);
	ch_tz_free(z);
	z = rule_only("AEST-10AEDT,M10.1.0,M4.1.0/3"); /* southern hemisphere */
	cr_assert_eq(ch_tz_offset(z, utc(2030, 1, 1, 0, 0)), 39600);
	cr_assert_eq(ch_tz_offset(z, utc(2030, 7, 1, 0, 0)), 36000);
	ch_tz_free(z);
	z = rule_only("<+0530>-5:30");
	cr_assert_eq(ch_tz_offset(z, 0), 19800);
	ch_tz_free(z);
	cr_assert_null(ch_tz_parse((const unsigned char *)"TZif", 4));
	cr_assert_null(ch_tz_parse((const unsigned char *)"not a zone file at all, not at all, really.....", 47));
}

Test(tz, civil_days)
{
	int64_t y;
	unsigned m, d;
	cr_assert_eq(ch_tz_days_from_civil(1970, 1, 1), 0);
	cr_assert_eq(ch_tz_days_from_civil(2000, 3, 1), 11017);
	ch_tz_civil_from_days(11016, &y, &m, &d);
	cr_assert(y == 2000 && m == 2 && d == 29);
	ch_tz_civil_from_days(-1, &y, &m, &d);
	cr_assert(y == 1969 && m == 12 && d == 31);
}

/* Every prefix of a real zone file, and the file with each byte changed,
 * parses safely (refused, or a zone whose answers are still computed). */
Test(tz, damaged_files)
{
	static unsigned char f[65536];
	FILE *fp = fopen("/usr/share/zoneinfo/Europe/Kyiv", "rb");
	cr_assert_not_null(fp);
	size_t n = fread(f, 1, sizeof f, fp);
	fclose(fp);
	cr_assert_gt(n, 44);
	for (size_t len = 0; len < n; len++)
		ch_tz_free(ch_tz_parse(f, len));
	for (size_t i = 0; i < n; i++) {
		unsigned char keep = f[i];
		f[i] ^= 0xa5;
		ch_tz *z = ch_tz_parse(f, n);
		if (z) {
			(void)ch_tz_offset(z, utc(2026, 7, 1, 0, 0));
			(void)ch_tz_to_utc(z, utc(2026, 3, 29, 3, 30));
		}
		ch_tz_free(z);
		f[i] = keep;
	}
	ch_tz *z = ch_tz_parse(f, n);
	cr_assert_not_null(z, "the file itself");
	cr_assert_eq(ch_tz_offset(z, utc(2026, 7, 1, 0, 0)), 10800);
	ch_tz_free(z);
}
