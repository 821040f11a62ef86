/* Unit tests of ISO-8601 parsing and formatting. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static int64_t parse(const char *s)
{
	int64_t ms = -1;
	cr_assert_eq(ch_iso8601_parse(s, strlen(s), 0, &ms), 0, "%s should parse", s);
	return ms;
}

Test(clock, parses_utc_and_offsets)
{
	cr_assert_eq(parse("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse("2026-01-20T14:33:34.147Z"), 1768919614147LL);
	cr_assert_eq(parse("2026-01-20T16:33:34.147+02:00"), 1768919614147LL);
	cr_assert_eq(parse("2026-01-20T09:33:34.147-0500"), 1768919614147LL);
	cr_assert_eq(parse("2026-01-20T14:33:34.1470000Z"), 1768919614147LL);
	cr_assert_eq(parse("2026-01-20T14:33Z"), 1768919580000LL);
	cr_assert_eq(parse("2024-02-29T00:00:00Z"), 1709164800000LL);
	/* no zone: UTC, as ASP.NET reads it (.NET DateTimeKind.Unspecified, Swagger UI's values) */
	cr_assert_eq(parse("2026-01-20T14:33:34"), 1768919614000LL);
	cr_assert_eq(parse("2026-01-20T14:33:34.147"), 1768919614147LL);
	cr_assert_eq(parse("2026-01-20 14:33"), 1768919580000LL);
}

Test(clock, rejects_garbage)
{
	const char *bad[] = {"", "2026", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
	                     "2026-01-20T25:00:00Z", "2026-01-20T14:33:34.", "2026-01-20T14:33:34.Z",
	                     "2026-01-20T14:33:34Zjunk", "tomorrow", "2026-01-20T14:33:34+2"};
	int64_t ms;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_neq(ch_iso8601_parse(bad[i], strlen(bad[i]), 0, &ms), 0, "%s should not parse", bad[i]);
	cr_assert_neq(ch_iso8601_parse("2026-01-20", 10, 0, &ms), 0);
	cr_assert_eq(ch_iso8601_parse("2026-01-20", 10, 1, &ms), 0);
	cr_assert_eq(ms, 1768867200000LL);
}

Test(clock, formats_with_milliseconds)
{
	char out[25];
	ch_iso8601_format(1768919614147LL, out);
	cr_assert_str_eq(out, "2026-01-20T14:33:34.147Z");
	ch_iso8601_format(0, out);
	cr_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
}

/* ---- the test clock (clock_file) ----------------------------------------- */

static void write_file(const char *path, const char *text)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(rename(tmp, path), 0);
}

static void temp_path(char *out, size_t len)
{
	snprintf(out, len, "/tmp/ch-clock-test-%d", (int)getpid());
}

Test(clock, fake_clock_is_frozen_and_follows_its_file)
{
	char path[128], why[256];
	temp_path(path, sizeof path);
	write_file(path, "1768919614147\n");
	cr_assert_eq(ch_clock_set_file(path, why, sizeof why), 0, "%s", why);
	cr_assert_eq(ch_now_ms(), 1768919614147LL);
	usleep(20000);
	cr_assert_eq(ch_now_ms(), 1768919614147LL, "frozen while the file does not change");
	write_file(path, "1768919674147");
	cr_assert_eq(ch_now_ms(), 1768919674147LL, "moved by the file at once");
	/* same size, rewritten in place */
	FILE *f = fopen(path, "w");
	fputs("1768919674999", f);
	fclose(f);
	cr_assert_eq(ch_now_ms(), 1768919674999LL);
	/* a file being rewritten (empty for an instant) or spoilt keeps the last time */
	f = fopen(path, "w");
	fclose(f);
	cr_assert_eq(ch_now_ms(), 1768919674999LL);
	write_file(path, "soon");
	cr_assert_eq(ch_now_ms(), 1768919674999LL);
	unlink(path);
	cr_assert_eq(ch_now_ms(), 1768919674999LL, "a removed file keeps the last time");
	/* the offset is still added */
	write_file(path, "1000");
	ch_clock_set_offset_ms(500);
	cr_assert_eq(ch_now_ms(), 1500);
	ch_clock_set_offset_ms(0);
	/* off again: the real clock */
	cr_assert_eq(ch_clock_set_file("", why, sizeof why), 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t real = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	cr_assert(ch_now_ms() >= real && ch_now_ms() < real + 5000);
	unlink(path);
}

Test(clock, fake_clock_refuses_a_file_without_a_time)
{
	char path[128], why[256];
	temp_path(path, sizeof path);
	unlink(path);
	cr_assert_neq(ch_clock_set_file(path, why, sizeof why), 0);
	cr_assert(strstr(why, "cannot open"), "%s", why);
	const char *bad[] = {"", "12abc", "tomorrow", "1.5", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		write_file(path, bad[i]);
		cr_assert_neq(ch_clock_set_file(path, why, sizeof why), 0, "'%s' should be refused", bad[i]);
		cr_assert(strstr(why, "milliseconds since 1970-01-01 UTC"), "%s", why);
	}
	unlink(path);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	cr_assert(ch_now_ms() >= (int64_t)ts.tv_sec * 1000 - 1000, "a refused file leaves the real clock");
}
