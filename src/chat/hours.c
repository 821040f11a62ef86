/* hours.c — an organization's business hours: the schedule's rules
 * (hours.h), and open-or-closed at an instant with the next opening.
 * Wall times come from core/tz (never the process's TZ).
 * Threading: pure; any thread. */
#include "chat/hours.h"

#include <stdio.h>
#include <string.h>

static const char *const day_keys[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

/* "HH:MM" → minutes; 24:00 only when allow_24. -1 when malformed. */
static int hhmm(const json_t *v, int allow_24)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	if (!s || json_string_length(v) != 5 || s[2] != ':')
		return -1;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int h = (s[0] - '0') * 10 + s[1] - '0', m = (s[3] - '0') * 10 + s[4] - '0';
	if (m > 59 || h > 24 || (h == 24 && (m || !allow_24)))
		return -1;
	return h * 60 + m;
}

static int parse_day(const json_t *a, int d, ch_hours *out, char *why, size_t whylen)
{
	if (!json_is_array(a)) {
		snprintf(why, whylen, "weekly.%s: must be an array of [\"HH:MM\", \"HH:MM\"] intervals", day_keys[d]);
		return -1;
	}
	if (json_array_size(a) > CH_HOURS_INTERVALS_MAX) {
		snprintf(why, whylen, "weekly.%s: at most %d intervals a day", day_keys[d], CH_HOURS_INTERVALS_MAX);
		return -1;
	}
	size_t i;
	json_t *iv;
	json_array_foreach(a, i, iv)
	{
		int s = json_is_array(iv) && json_array_size(iv) == 2 ? hhmm(json_array_get(iv, 0), 0) : -2;
		int e = s >= 0 ? hhmm(json_array_get(iv, 1), 1) : -2;
		const char *err = s == -2 ? "must be a pair [\"HH:MM\", \"HH:MM\"]"
		                  : s < 0 ? "start: not a time from 00:00 to 23:59"
		                  : e < 0 ? "end: not a time from 00:01 to 24:00"
		                  : e <= s ? "must end after it starts (an interval past midnight is two intervals, one each day)"
		                  : i && s < out->iv[d][i - 1][1] ? "overlaps or comes before the interval before it"
		                                                  : NULL;
		if (err) {
			snprintf(why, whylen, "weekly.%s[%zu]: %s", day_keys[d], i, err);
			return -1;
		}
		out->iv[d][i][0] = (int16_t)s;
		out->iv[d][i][1] = (int16_t)e;
	}
	out->n[d] = (int)json_array_size(a);
	return 0;
}

static int parse_weekly(const json_t *w, ch_hours *out, char *why, size_t whylen)
{
	if (!json_is_object(w))
		return fail(why, whylen, "weekly: must be an object with the days mon, tue, wed, thu, fri, sat, sun");
	const char *k;
	json_t *a;
	json_object_foreach((json_t *)w, k, a)
	{
		int d = 0;
		while (d < 7 && strcmp(k, day_keys[d]))
			d++;
		if (d == 7) {
			snprintf(why, whylen, "weekly.%.16s: unknown day (mon, tue, wed, thu, fri, sat, sun)", k);
			return -1;
		}
		if (parse_day(a, d, out, why, whylen))
			return -1;
	}
	return 0;
}

/* "YYYY-MM-DD" → days since the epoch; 0 when valid. */
static int date_days(const json_t *v, int64_t *out)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	int y, m, d;
	char tail;
	if (!s || json_string_length(v) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
		return -1;
	*out = ch_tz_days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

static int parse_holidays(const json_t *a, ch_hours *out, char *why, size_t whylen)
{
	if (!json_is_array(a))
		return fail(why, whylen, "holidays: must be an array of dates \"YYYY-MM-DD\"");
	if (json_array_size(a) > CH_HOURS_HOLIDAYS_MAX) {
		snprintf(why, whylen, "holidays: at most %d dates", CH_HOURS_HOLIDAYS_MAX);
		return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		int64_t day;
		if (date_days(v, &day)) {
			snprintf(why, whylen, "holidays[%zu]: not a date \"YYYY-MM-DD\"", i);
			return -1;
		}
		/* kept sorted (insertion: at most 50), a date twice once */
		int k = out->n_holidays;
		while (k > 0 && out->holidays[k - 1] > day)
			k--;
		if (k > 0 && out->holidays[k - 1] == day)
			continue;
		memmove(&out->holidays[k + 1], &out->holidays[k], (size_t)(out->n_holidays - k) * sizeof day);
		out->holidays[k] = day;
		out->n_holidays++;
	}
	return 0;
}

static int parse_bool(const json_t *o, const char *name, int required, int *out, char *why, size_t whylen)
{
	json_t *v = json_object_get(o, name);
	if (!v && !required)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(why, whylen, "%s: must be true or false", name);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

static int parse_away(const json_t *v, ch_hours *out, char *why, size_t whylen)
{
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(why, whylen, "awayMessage: must be a string");
	size_t n = json_string_length(v);
	if (n > CH_HOURS_AWAY_MAX) {
		snprintf(why, whylen, "awayMessage: at most %d bytes", CH_HOURS_AWAY_MAX);
		return -1;
	}
	if (strlen(json_string_value(v)) != n)
		return fail(why, whylen, "awayMessage: must not contain NUL");
	memcpy(out->away, json_string_value(v), n + 1);
	return 0;
}

int ch_hours_parse(const json_t *v, ch_hours *out, char *why, size_t whylen)
{
	static const char *const known[] = {"enabled", "timeZone", "weekly", "holidays", "awayMessage", "autoReply"};
	memset(out, 0, sizeof *out);
	if (!json_is_object(v))
		return fail(why, whylen, "business hours: must be an object");
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)v, k, x)
	{
		size_t i = 0;
		while (i < 6 && strcmp(k, known[i]))
			i++;
		if (i == 6) {
			snprintf(why, whylen, "%.32s: unknown field", k);
			return -1;
		}
	}
	if (parse_bool(v, "enabled", 1, &out->enabled, why, whylen))
		return -1;
	json_t *z = json_object_get(v, "timeZone");
	if (!json_is_string(z) || !ch_tz_name_valid(json_string_value(z)))
		return fail(why, whylen, "timeZone: must be an IANA time zone name like \"Europe/Kyiv\"");
	snprintf(out->zone, sizeof out->zone, "%s", json_string_value(z));
	if (!json_object_get(v, "weekly"))
		return fail(why, whylen, "weekly: required (an object of the days' intervals)");
	if (parse_weekly(json_object_get(v, "weekly"), out, why, whylen))
		return -1;
	json_t *hol = json_object_get(v, "holidays");
	if (hol && !json_is_null(hol) && parse_holidays(hol, out, why, whylen))
		return -1;
	if (parse_away(json_object_get(v, "awayMessage"), out, why, whylen))
		return -1;
	return parse_bool(v, "autoReply", 0, &out->auto_reply, why, whylen);
}

static json_t *time_json(int minutes)
{
	char s[8];
	snprintf(s, sizeof s, "%02d:%02d", minutes / 60, minutes % 60);
	return json_string(s);
}

json_t *ch_hours_json(const ch_hours *h)
{
	json_t *weekly = json_object(), *hol = json_array();
	for (int d = 0; d < 7; d++) {
		json_t *a = json_array();
		for (int i = 0; i < h->n[d]; i++)
			json_array_append_new(a, json_pack("[o, o]", time_json(h->iv[d][i][0]), time_json(h->iv[d][i][1])));
		json_object_set_new(weekly, day_keys[d], a);
	}
	for (int i = 0; i < h->n_holidays; i++) {
		int64_t y;
		unsigned m, d;
		char s[16];
		ch_tz_civil_from_days(h->holidays[i], &y, &m, &d);
		snprintf(s, sizeof s, "%04lld-%02u-%02u", (long long)y, m, d);
		json_array_append_new(hol, json_string(s));
	}
	return json_pack("{s:b, s:s, s:o, s:o, s:s, s:b}", "enabled", h->enabled, "timeZone", h->zone, "weekly",
	                 weekly, "holidays", hol, "awayMessage", h->away, "autoReply", h->auto_reply);
}

static int is_holiday(const ch_hours *h, int64_t day)
{
	for (int i = 0; i < h->n_holidays; i++)
		if (h->holidays[i] == day)
			return 1;
	return 0;
}

/* Monday = 0 of days since the epoch (1970-01-01 was a Thursday). */
static int weekday(int64_t day)
{
	return (int)(((day % 7) + 10) % 7);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void ch_hours_state(const ch_hours *h, const ch_tz *z, int64_t now_ms, int *open, int64_t *next_open_ms)
{
	*open = 1;
	*next_open_ms = 0;
	if (!h->enabled || !z)
		return;
	int64_t now = floor_div(now_ms, 1000);
	int64_t local = now + ch_tz_offset(z, now);
	int64_t today = floor_div(local, 86400), sec = local - today * 86400;
	int d = weekday(today);
	*open = 0;
	if (!is_holiday(h, today))
		for (int i = 0; i < h->n[d] && !*open; i++)
			*open = sec >= h->iv[d][i][0] * 60 && sec < h->iv[d][i][1] * 60;
	if (*open)
		return;
	/* the first interval start after now, day by day (a gap's start moves to the gap's end) */
	for (int64_t day = today; day < today + 400; day++) {
		if (is_holiday(h, day))
			continue;
		int wd = weekday(day);
		for (int i = 0; i < h->n[wd]; i++) {
			int64_t at = ch_tz_to_utc(z, day * 86400 + h->iv[wd][i][0] * 60);
			if (at > now) {
				*next_open_ms = at * 1000;
				return;
			}
		}
	}
}
