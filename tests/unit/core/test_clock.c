/* Unit tests of ISO-8601 parsing and formatting. */
#include <criterion/criterion.h>
#include <string.h>

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
