/* tz.c — IANA time zones from the compiled zone files (TZif, RFC 8536):
 * the transitions table (version 2+ 64-bit data, version 1 32-bit data
 * otherwise), then the footer's POSIX TZ rule ("EET-2EEST,M3.5.0/3,M10.5.0/4")
 * for instants after the last transition, as the zone files of a "slim"
 * build stop early and rely on it.
 *
 * Threading: ch_tz_get's cache is guarded by a mutex; a parsed zone is never
 * changed nor freed while the process runs, so readers need no lock. */
#include "core/tz.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"

#define TZ_FILE_MAX (256 * 1024)
#define TZ_CACHE_MAX 256

typedef struct tz_rule_date {
	char kind;        /* 'J' Julian 1..365 without Feb 29, 'D' zero-based day 0..365, 'M' month.week.day */
	int day, week, month;
	int32_t time;     /* seconds after local midnight (may be negative or past 24 h) */
} tz_rule_date;

typedef struct tz_rule {
	int valid;        /* a footer rule was read */
	int has_dst;
	int32_t std_off, dst_off; /* seconds east of UTC */
	tz_rule_date start, end;
} tz_rule;

struct ch_tz {
	size_t n;         /* transitions */
	int64_t *at;      /* ascending Unix seconds */
	int32_t *off;     /* the offset from at[i] on */
	int32_t first_off; /* before the first transition */
	tz_rule rule;
};

/* ---- calendar ----------------------------------------------------------- */

int64_t ch_tz_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ch_tz_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- the POSIX TZ rule of the footer ------------------------------------ */

static const char *rule_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e && e - p >= 4 ? e + 1 : NULL;
	}
	const char *s = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] with hh up to 167 → seconds; NULL when malformed. */
static const char *rule_hms(const char *p, int32_t *out)
{
	int sign = 1, part[3] = {0, 0, 0}, k = 0;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (;;) {
		if (*p < '0' || *p > '9')
			return NULL;
		int v = 0;
		while (*p >= '0' && *p <= '9' && v <= 167)
			v = v * 10 + (*p++ - '0');
		if (v > (k ? 59 : 167))
			return NULL;
		part[k++] = v;
		if (*p != ':' || k == 3)
			break;
		p++;
	}
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return p;
}

static const char *rule_num(const char *p, int lo, int hi, int *out)
{
	if (*p < '0' || *p > '9')
		return NULL;
	int v = 0;
	while (*p >= '0' && *p <= '9' && v <= hi)
		v = v * 10 + (*p++ - '0');
	if (v < lo || v > hi)
		return NULL;
	*out = v;
	return p;
}

static const char *rule_date(const char *p, tz_rule_date *d)
{
	d->time = 7200; /* 02:00 by default */
	if (*p == 'J') {
		d->kind = 'J';
		p = rule_num(p + 1, 1, 365, &d->day);
	} else if (*p == 'M') {
		d->kind = 'M';
		p = rule_num(p + 1, 1, 12, &d->month);
		p = p && *p == '.' ? rule_num(p + 1, 1, 5, &d->week) : NULL;
		p = p && *p == '.' ? rule_num(p + 1, 0, 6, &d->day) : NULL;
	} else {
		d->kind = 'D';
		p = rule_num(p, 0, 365, &d->day);
	}
	if (p && *p == '/')
		p = rule_hms(p + 1, &d->time);
	return p;
}

/* "STDoff[DST[off][,start[/time],end[/time]]]"; 0 when parsed. */
static int rule_parse(const char *p, tz_rule *r)
{
	int32_t v;
	memset(r, 0, sizeof *r);
	if (!(p = rule_name(p)) || !(p = rule_hms(p, &v)))
		return -1;
	r->std_off = -v; /* POSIX counts west of Greenwich as positive */
	r->dst_off = r->std_off;
	if (!*p) {
		r->valid = 1;
		return 0;
	}
	if (!(p = rule_name(p)))
		return -1;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = rule_hms(p, &v)))
			return -1;
		r->dst_off = -v;
	}
	if (*p != ',')
		return -1; /* a DST name without rules: no default rule is guessed */
	if (!(p = rule_date(p + 1, &r->start)) || *p != ',' || !(p = rule_date(p + 1, &r->end)) || *p)
		return -1;
	r->has_dst = r->valid = 1;
	return 0;
}

/* Local seconds (since the epoch, of the wall clock) when date d happens in year y. */
static int64_t rule_local(const tz_rule_date *d, int64_t y)
{
	static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t day;
	if (d->kind == 'J') {
		day = ch_tz_days_from_civil(y, 1, 1) + d->day - 1;
		if (is_leap(y) && d->day >= 60)
			day++; /* Jn never counts Feb 29 */
	} else if (d->kind == 'D') {
		day = ch_tz_days_from_civil(y, 1, 1) + d->day;
	} else {
		int64_t first = ch_tz_days_from_civil(y, (unsigned)d->month, 1);
		int dow = (int)((first % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
		int64_t m = 1 + (d->day - dow + 7) % 7 + (d->week - 1) * 7;
		unsigned len = mdays[d->month - 1] + (d->month == 2 && is_leap(y));
		while (m > len)
			m -= 7;
		day = first + m - 1;
	}
	return day * 86400 + d->time;
}

static int32_t rule_offset(const tz_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t y;
	unsigned m, d;
	ch_tz_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
	int64_t start = rule_local(&r->start, y) - r->std_off; /* the start is in standard time */
	int64_t end = rule_local(&r->end, y) - r->dst_off;     /* the end in daylight time */
	int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif --------------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_counts {
	uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

/* The header at p (44 bytes); the size of the data block after it, or 0. */
static size_t tzif_header(const unsigned char *p, size_t len, size_t tsize, tzif_counts *c)
{
	if (len < 44 || memcmp(p, "TZif", 4))
		return 0;
	c->isut = be32(p + 20), c->isstd = be32(p + 24), c->leap = be32(p + 28);
	c->time = be32(p + 32), c->type = be32(p + 36), c->chars = be32(p + 40);
	if (c->type == 0 || c->type > 256 || c->time > 100000 || c->leap > 10000 || c->chars > 10000 ||
	    (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
		return 0;
	size_t n = (size_t)c->time * tsize + c->time + (size_t)c->type * 6 + c->chars + (size_t)c->leap * (tsize + 4) +
	           c->isstd + c->isut;
	return 44 + n <= len ? n : 0;
}

static int tzif_data(ch_tz *z, const unsigned char *p, const tzif_counts *c, size_t tsize)
{
	const unsigned char *idx = p + (size_t)c->time * tsize, *types = idx + c->time;
	z->n = c->time;
	z->at = ch_xcalloc(z->n ? z->n : 1, sizeof *z->at);
	z->off = ch_xcalloc(z->n ? z->n : 1, sizeof *z->off);
	for (size_t i = 0; i < z->n; i++) {
		z->at[i] = tsize == 8 ? be64(p + i * 8) : (int64_t)(int32_t)be32(p + i * 4);
		if (idx[i] >= c->type || (i && z->at[i] <= z->at[i - 1]))
			return -1;
		z->off[i] = (int32_t)be32(types + idx[i] * 6);
	}
	z->first_off = (int32_t)be32(types); /* RFC 8536: type 0 before the first transition */
	return 0;
}

ch_tz *ch_tz_parse(const unsigned char *data, size_t len)
{
	tzif_counts c;
	size_t n1 = tzif_header(data, len, 4, &c);
	if (!n1)
		return NULL;
	ch_tz *z = ch_xcalloc(1, sizeof *z);
	const unsigned char *p = data + 44;
	int ok;
	if (data[4] >= '2') {
		const unsigned char *h2 = p + n1;
		size_t n2 = tzif_header(h2, len - 44 - n1, 8, &c);
		ok = n2 && tzif_data(z, h2 + 44, &c, 8) == 0;
		const unsigned char *f = h2 + 44 + n2, *end = data + len;
		if (ok && f < end && *f == '\n') {
			const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
			char rule[128];
			size_t rl = nl ? (size_t)(nl - f - 1) : 0;
			if (nl && rl > 0 && rl < sizeof rule) {
				memcpy(rule, f + 1, rl);
				rule[rl] = '\0';
				rule_parse(rule, &z->rule); /* an unreadable rule: the table alone */
			}
		}
	} else {
		ok = tzif_data(z, p, &c, 4) == 0;
	}
	if (!ok) {
		ch_tz_free(z);
		return NULL;
	}
	return z;
}

void ch_tz_free(ch_tz *z)
{
	if (!z)
		return;
	free(z->at);
	free(z->off);
	free(z);
}

int32_t ch_tz_offset(const ch_tz *z, int64_t t)
{
	if (z->n == 0 || t < z->at[0])
		return z->n == 0 && z->rule.valid ? rule_offset(&z->rule, t) : z->first_off;
	if (t >= z->at[z->n - 1] && z->rule.valid)
		return rule_offset(&z->rule, t);
	size_t lo = 0, hi = z->n; /* the last transition at or before t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->off[lo];
}

/* An instant u shows local when u + offset(u) == local. Every offset is
 * within ±26 h, so the instants that may are within that of local; a zone
 * changes its offset at most once in such a window, so the offsets before
 * and after the window give the (at most two) answers. */
int64_t ch_tz_to_utc(const ch_tz *z, int64_t local)
{
	const int64_t w = 26 * 3600;
	int32_t before = ch_tz_offset(z, local - w), after = ch_tz_offset(z, local + w);
	int64_t u1 = local - before, u2 = local - after;
	int ok1 = u1 + ch_tz_offset(z, u1) == local, ok2 = u2 + ch_tz_offset(z, u2) == local;
	if (ok1 && ok2)
		return u1 < u2 ? u1 : u2;
	if (ok1 || ok2)
		return ok1 ? u1 : u2;
	/* a gap: the first instant with the later offset, between u2 and u1 */
	int64_t lo = u2 < u1 ? u2 : u1, hi = u2 < u1 ? u1 : u2;
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;
		if (ch_tz_offset(z, mid) == after)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* ---- names and the cache ------------------------------------------------ */

int ch_tz_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > CH_TZ_NAME_MAX || name[0] == '/' || name[0] == '-' || name[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];
		int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' ||
		         ch == '_' || ch == '+' || ch == '-';
		if (!ok || (ch == '/' && name[i + 1] == '/'))
			return 0;
	}
	return 1;
}

static ch_tz *load(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC); /* a directory opens, then fails to read */
	if (fd < 0)
		return NULL;
	unsigned char *buf = ch_xmalloc(TZ_FILE_MAX);
	size_t len = 0;
	ssize_t r;
	while (len < TZ_FILE_MAX && (r = read(fd, buf + len, TZ_FILE_MAX - len)) > 0)
		len += (size_t)r;
	close(fd);
	ch_tz *z = len < TZ_FILE_MAX ? ch_tz_parse(buf, len) : NULL;
	free(buf);
	return z;
}

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char name[CH_TZ_NAME_MAX + 1];
	ch_tz *z;
} cache[TZ_CACHE_MAX];
static size_t cache_n;

const ch_tz *ch_tz_get(const char *name)
{
	if (!ch_tz_name_valid(name))
		return NULL;
	ch_tz *z = NULL;
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < cache_n && !z; i++)
		if (!strcmp(cache[i].name, name))
			z = cache[i].z;
	if (!z && (z = load(name)) != NULL) {
		if (cache_n < TZ_CACHE_MAX) {
			snprintf(cache[cache_n].name, sizeof cache[cache_n].name, "%s", name);
			cache[cache_n++].z = z;
		} else {
			ch_tz_free(z); /* more distinct zones than exist: refuse rather than grow */
			z = NULL;
		}
	}
	pthread_mutex_unlock(&cache_mu);
	return z;
}
