/* log.c — level-gated line logger. Safe from any thread: each line is
 * formatted into a local buffer and written with a single write(2).
 * Each call site (format string) writes at most LINES_PER_SECOND lines a
 * second; the rest are counted and the site's next line says how many were
 * dropped, so a condition that repeats thousands of times a second (a full
 * file table, a client flood) cannot fill the disk with its log. */
#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile ch_log_level level = CH_LOG_INFO;
static const char *names[] = {"debug", "info", "warn", "error", "off"};

void ch_log_set_level(ch_log_level lvl) { level = lvl; }
int ch_log_enabled(ch_log_level lvl) { return lvl >= level && lvl != CH_LOG_OFF; }

int ch_log_parse_level(const char *s)
{
	for (int i = 0; i <= CH_LOG_OFF; i++)
		if (s && !strcmp(s, names[i]))
			return i;
	return -1;
}

#define LINES_PER_SECOND 10
#define SITES 128

static struct site {
	const char *fmt;
	time_t second;
	unsigned lines, dropped;
} sites[SITES];
static pthread_mutex_t sites_mu = PTHREAD_MUTEX_INITIALIZER;

/* Whether fmt may log now; *dropped gets the lines it dropped since its last one. */
static int site_allows(const char *fmt, time_t now, unsigned *dropped)
{
	struct site *st = &sites[((uintptr_t)fmt >> 3) % SITES];
	int ok = 1;
	*dropped = 0;
	pthread_mutex_lock(&sites_mu);
	if (st->fmt != fmt || st->second != now) {
		*dropped = st->fmt == fmt ? st->dropped : 0;
		*st = (struct site){.fmt = fmt, .second = now};
	}
	if (++st->lines > LINES_PER_SECOND) {
		st->dropped++;
		ok = 0;
	}
	pthread_mutex_unlock(&sites_mu);
	return ok;
}

void ch_log(ch_log_level lvl, const char *fmt, ...)
{
	if (!ch_log_enabled(lvl))
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	unsigned dropped;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (!site_allows(fmt, ts.tv_sec, &dropped))
		return;
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, ts.tv_nsec / 1000000, names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	if (dropped) {
		int k = snprintf(line + len, sizeof line - len - 1, " (%u more like it dropped)", dropped);
		len += k > 0 && (size_t)k < sizeof line - len - 1 ? (size_t)k : 0;
	}
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
