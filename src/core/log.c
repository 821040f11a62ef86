/* log.c — level-gated line logger. Safe from any thread: each line is
 * formatted into a local buffer and written with a single write(2). */
#include "core/log.h"

#include <stdarg.h>
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

void ch_log(ch_log_level lvl, const char *fmt, ...)
{
	if (!ch_log_enabled(lvl))
		return;
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
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
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
