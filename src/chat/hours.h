/* hours.h — an organization's business hours (docs/api.md, "Business
 * hours"): the schedule as the API writes it, its rules, and whether it is
 * open at an instant and when it opens next.
 *
 * {"enabled": bool, "timeZone": "Europe/Kyiv", "weekly": {"mon": [["09:00",
 * "18:00"], …], …, "sun": []}, "holidays": ["2026-12-25", …], "awayMessage":
 * "…", "autoReply": bool}. A day without intervals (or absent) is closed; the
 * intervals of a day are "HH:MM" (00:00–23:59, an end may be "24:00"),
 * start < end, ascending and not overlapping (one may start where the last
 * ended). A holiday is a date in the zone, closed all day. Disabled = always
 * open (the default of every organization).
 * The zone's name is checked here for its shape only: whether a zone file
 * has it is the caller's (core/tz.h, a file read).
 * Threading: pure; any thread. */
#ifndef CH_CHAT_HOURS_H
#define CH_CHAT_HOURS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tz.h"

#define CH_HOURS_INTERVALS_MAX 8  /* per day */
#define CH_HOURS_HOLIDAYS_MAX 50
#define CH_HOURS_AWAY_MAX 1000    /* bytes of UTF-8 */
/* The system message of an auto-reply without an awayMessage. */
#define CH_HOURS_DEFAULT_REPLY "We are away right now. Leave a message and we will reply when we are back."

typedef struct ch_hours {
	int enabled;
	int auto_reply;
	char zone[CH_TZ_NAME_MAX + 1];
	int n[7];                                    /* intervals of each day, 0 = Monday … 6 = Sunday */
	int16_t iv[7][CH_HOURS_INTERVALS_MAX][2];    /* [start, end) in minutes after midnight */
	int n_holidays;
	int64_t holidays[CH_HOURS_HOLIDAYS_MAX];     /* days since 1970-01-01, ascending */
	char away[CH_HOURS_AWAY_MAX + 1];            /* "" = none */
} ch_hours;

/* Checks v (borrowed) and fills *out: 0, or -1 with why (a sentence naming
 * the field, e.g. "weekly.mon[1]: overlaps the interval before it"). Every
 * field is required but awayMessage (default "") and autoReply (false). */
int ch_hours_parse(const json_t *v, ch_hours *out, char *why, size_t whylen);
/* The schedule as the API shows it (a new reference). */
json_t *ch_hours_json(const ch_hours *h);

/* Whether the schedule is open at now_ms in zone z (the zone h names; NULL
 * only when h is disabled), and when it opens next (Unix ms; 0 when open
 * now, or when it never opens within the next 400 days). */
void ch_hours_state(const ch_hours *h, const ch_tz *z, int64_t now_ms, int *open, int64_t *next_open_ms);

#endif
