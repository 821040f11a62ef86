/* Unit tests of business hours: the schedule's rules, open now, the next
 * opening (across a weekend, a holiday and a daylight-saving change). */
#include <criterion/criterion.h>
#include <string.h>

#include "chat/hours.h"

static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
	return (ch_tz_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60) * 1000;
}

static ch_hours parse_ok(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	cr_assert_not_null(v, "test JSON: %s", je.text);
	ch_hours h;
	char why[200] = "";
	cr_assert_eq(ch_hours_parse(v, &h, why, sizeof why), 0, "%s: %s", text, why);
	json_decref(v);
	return h;
}

static void parse_fails(const char *text, const char *expect)
{
	json_t *v = json_loads(text, 0, NULL);
	cr_assert_not_null(v, "test JSON");
	ch_hours h;
	char why[200] = "";
	cr_assert_eq(ch_hours_parse(v, &h, why, sizeof why), -1, "%s should fail", text);
	cr_assert(strstr(why, expect), "%s: '%s' lacks '%s'", text, why, expect);
	json_decref(v);
}

#define KYIV_WEEK                                                                                                  \
	"{\"enabled\": true, \"timeZone\": \"Europe/Kyiv\", \"weekly\": {\"mon\": [[\"09:00\", \"13:00\"], "        \
	"[\"14:00\", \"18:00\"]], \"tue\": [[\"09:00\", \"18:00\"]], \"wed\": [[\"09:00\", \"18:00\"]], "           \
	"\"thu\": [[\"09:00\", \"18:00\"]], \"fri\": [[\"09:00\", \"17:00\"]], \"sat\": [], \"sun\": []}, "         \
	"\"holidays\": [\"2026-12-25\", \"2026-01-01\"], \"awayMessage\": \"Back at nine\", \"autoReply\": true}"

Test(hours, rules)
{
	ch_hours h = parse_ok(KYIV_WEEK);
	cr_assert(h.enabled && h.auto_reply);
	cr_assert_str_eq(h.zone, "Europe/Kyiv");
	cr_assert_eq(h.n[0], 2);
	cr_assert_eq(h.iv[0][1][0], 14 * 60);
	cr_assert_eq(h.n_holidays, 2);
	cr_assert(h.holidays[0] < h.holidays[1], "sorted");
	parse_ok("{\"enabled\": false, \"timeZone\": \"UTC\", \"weekly\": {}}");
	parse_ok("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"mon\": [[\"00:00\", \"12:00\"], "
	         "[\"12:00\", \"24:00\"]]}}");
	parse_fails("[]", "must be an object");
	parse_fails("{\"enabled\": 1, \"timeZone\": \"UTC\", \"weekly\": {}}", "enabled: must be true or false");
	parse_fails("{\"enabled\": true, \"timeZone\": \"../x\", \"weekly\": {}}", "timeZone");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\"}", "weekly: required");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"monday\": []}}", "unknown day");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"mon\": [[\"9:00\", \"18:00\"]]}}",
	            "weekly.mon[0]: start");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"mon\": [[\"09:00\", \"24:01\"]]}}",
	            "weekly.mon[0]: end");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"tue\": [[\"18:00\", \"09:00\"]]}}",
	            "must end after it starts");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"mon\": [[\"09:00\", \"13:00\"], "
	            "[\"12:00\", \"18:00\"]]}}",
	            "weekly.mon[1]: overlaps");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {\"mon\": [[\"14:00\", \"18:00\"], "
	            "[\"09:00\", \"12:00\"]]}}",
	            "weekly.mon[1]: overlaps or comes before");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {}, \"holidays\": [\"2026-02-29\"]}",
	            "holidays[0]");
	parse_fails("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {}, \"extra\": 1}", "extra: unknown field");
	char big[2200];
	strcpy(big, "{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {}, \"awayMessage\": \"");
	size_t at = strlen(big);
	memset(big + at, 'x', 1001);
	strcpy(big + at + 1001, "\"}");
	parse_fails(big, "awayMessage: at most 1000 bytes");
	char hol[1200] = "{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {}, \"holidays\": [";
	for (int i = 1; i <= 51; i++)
		sprintf(hol + strlen(hol), "%s\"2027-01-%02d\"", i > 1 ? ", " : "", i <= 31 ? i : i - 31);
	strcat(hol, "]}");
	parse_fails(hol, "holidays: at most 50 dates");
}

Test(hours, json_round_trip)
{
	ch_hours h = parse_ok(KYIV_WEEK);
	json_t *j = ch_hours_json(&h);
	char *s = json_dumps(j, JSON_COMPACT);
	ch_hours h2 = parse_ok(s);
	cr_assert_eq(memcmp(&h, &h2, sizeof h), 0);
	cr_assert(strstr(s, "\"holidays\":[\"2026-01-01\",\"2026-12-25\"]"), "%s", s);
	free(s);
	json_decref(j);
}

static void state(const ch_hours *h, int64_t now, int open, int64_t next)
{
	int o;
	int64_t n;
	ch_hours_state(h, ch_tz_get(h->zone), now, &o, &n);
	cr_assert_eq(o, open, "open at %lld", (long long)now);
	cr_assert_eq(n, next, "next at %lld: %lld, expected %lld", (long long)now, (long long)n, (long long)next);
}

Test(hours, open_and_next)
{
	ch_hours h = parse_ok(KYIV_WEEK);
	/* Monday 2026-01-12, Kyiv = UTC+2 */
	state(&h, utc_ms(2026, 1, 12, 6, 59), 0, utc_ms(2026, 1, 12, 7, 0));
	state(&h, utc_ms(2026, 1, 12, 7, 0), 1, 0);
	state(&h, utc_ms(2026, 1, 12, 10, 59), 1, 0);
	state(&h, utc_ms(2026, 1, 12, 11, 0), 0, utc_ms(2026, 1, 12, 12, 0)); /* lunch */
	state(&h, utc_ms(2026, 1, 12, 16, 0), 0, utc_ms(2026, 1, 13, 7, 0));
	/* Friday evening → Monday */
	state(&h, utc_ms(2026, 1, 16, 15, 0), 0, utc_ms(2026, 1, 19, 7, 0));
	/* Christmas Friday 2026-12-25: closed all day, opens Monday 28th */
	state(&h, utc_ms(2026, 12, 25, 10, 0), 0, utc_ms(2026, 12, 28, 7, 0));
	/* the DST change: Saturday 2026-03-28 (UTC+2) → Monday 30th 09:00 EEST = 06:00 UTC */
	state(&h, utc_ms(2026, 3, 28, 12, 0), 0, utc_ms(2026, 3, 30, 6, 0));
	/* Monday 2026-03-30 09:00 EEST */
	state(&h, utc_ms(2026, 3, 30, 6, 0), 1, 0);
	state(&h, utc_ms(2026, 3, 30, 5, 59), 0, utc_ms(2026, 3, 30, 6, 0));
	/* disabled: always open */
	h.enabled = 0;
	state(&h, utc_ms(2026, 1, 17, 12, 0), 1, 0);
}

Test(hours, new_york_and_never)
{
	ch_hours h = parse_ok("{\"enabled\": true, \"timeZone\": \"America/New_York\", \"weekly\": {\"sun\": "
	                      "[[\"02:30\", \"04:00\"]], \"mon\": [[\"09:00\", \"17:00\"]]}}");
	/* Sunday 2026-03-08: 02:30 EST never happens (02:00 → 03:00 EDT): opens at 03:00 EDT = 07:00 UTC */
	state(&h, utc_ms(2026, 3, 8, 5, 0), 0, utc_ms(2026, 3, 8, 7, 0));
	state(&h, utc_ms(2026, 3, 8, 7, 30), 1, 0);
	/* Monday 2026-11-02 09:00 EST = 14:00 UTC (EDT ended on the 1st) */
	state(&h, utc_ms(2026, 11, 1, 12, 0), 0, utc_ms(2026, 11, 2, 14, 0));
	ch_hours never = parse_ok("{\"enabled\": true, \"timeZone\": \"UTC\", \"weekly\": {}}");
	state(&never, utc_ms(2026, 1, 1, 0, 0), 0, 0);
}
