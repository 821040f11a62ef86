/* clock.c — wall/monotonic clocks and ISO-8601; any thread.
 *
 * The wall clock may be a test clock (the clock_file option): then
 * ch_now_ms answers the time written in a file, frozen, and moves only when
 * the file's content changes. The file is stat()ed on each call and read
 * again only when its inode, size or mtime changed; a mutex guards the cached
 * value. Off (the default) it costs one predictable branch on a pointer set
 * once before any thread starts. */
#include "core/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Atomic int64_t offset_ms;

/* The test clock: its file, the stat of its last read and the time it held. */
static struct {
	char *path; /* NULL = off */
	pthread_mutex_t mu;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int64_t ms;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

void ch_clock_set_offset_ms(int64_t ms) { atomic_store_explicit(&offset_ms, ms, memory_order_relaxed); }

/* The file's content as milliseconds since the epoch: digits, optionally
 * signed, optional surrounding white space. 0, or -1 with why. */
static int read_ms(const char *path, int64_t *ms, char *why, size_t why_len)
{
	char b[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, why_len, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n < 0) {
		snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	b[n] = '\0';
	char *end;
	errno = 0;
	long long v = strtoll(b, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')
		end++;
	if (end == b || *end || errno || n == (ssize_t)sizeof b - 1) {
		snprintf(why, why_len, "%s must hold a time in milliseconds since 1970-01-01 UTC (digits only)", path);
		return -1;
	}
	*ms = v;
	return 0;
}

/* The file's time, read again when it changed. A file being rewritten (empty
 * or half-written for an instant) keeps the time it held before. */
static int64_t fake_now(void)
{
	struct stat st;
	char why[8];
	pthread_mutex_lock(&fake.mu);
	if (stat(fake.path, &st) == 0 &&
	    (st.st_ino != fake.ino || st.st_dev != fake.dev || st.st_size != fake.size ||
	     st.st_mtim.tv_sec != fake.mtime.tv_sec || st.st_mtim.tv_nsec != fake.mtime.tv_nsec)) {
		int64_t ms;
		if (read_ms(fake.path, &ms, why, sizeof why) == 0) {
			fake.ms = ms;
			fake.dev = st.st_dev, fake.ino = st.st_ino, fake.size = st.st_size, fake.mtime = st.st_mtim;
		}
	}
	int64_t ms = fake.ms;
	pthread_mutex_unlock(&fake.mu);
	return ms;
}

int ch_clock_set_file(const char *path, char *why, size_t why_len)
{
	int64_t ms;
	struct stat st;
	if (!path || !*path) {
		free(fake.path);
		fake.path = NULL;
		return 0;
	}
	if (read_ms(path, &ms, why, why_len))
		return -1;
	if (stat(path, &st)) {
		snprintf(why, why_len, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&fake.mu);
	fake.ms = ms;
	fake.dev = st.st_dev, fake.ino = st.st_ino, fake.size = st.st_size, fake.mtime = st.st_mtim;
	pthread_mutex_unlock(&fake.mu);
	free(fake.path);
	fake.path = strdup(path);
	return 0;
}

/* This host's wall clock plus clock_offset. */
static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + atomic_load_explicit(&offset_ms, memory_order_relaxed);
}

int64_t ch_now_ms(void)
{
	if (__builtin_expect(fake.path != NULL, 0))
		return fake_now() + atomic_load_explicit(&offset_ms, memory_order_relaxed);
	return real_ms();
}

int64_t ch_lease_ms(void) { return real_ms(); }

int64_t ch_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ch_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void ch_iso8601_format(int64_t ms, char out[25])
{
	time_t s = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)s * 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	char tmp[64]; /* wide enough for any int, so no truncation warning */
	snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	memcpy(out, tmp, 24);
	out[24] = '\0';
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), Howard Hinnant's algorithm. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t len, size_t at, int n, int *out)
{
	int v = 0;
	if (at + (size_t)n > len)
		return -1;
	for (int i = 0; i < n; i++) {
		char c = s[at + (size_t)i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

int ch_iso8601_parse(const char *s, size_t len, int allow_date_only, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
	if (!s || digits(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || digits(s, len, 5, 2, &mo) ||
	    s[7] != '-' || digits(s, len, 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	size_t i = 10;
	int64_t offset_min = 0;
	if (len == 10) {
		if (!allow_date_only)
			return -1;
		goto done;
	}
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s, len, 11, 2, &h) || len < 16 ||
	    s[13] != ':' || digits(s, len, 14, 2, &mi))
		return -1;
	i = 16;
	if (i < len && s[i] == ':') {
		if (digits(s, len, 17, 2, &se))
			return -1;
		i = 19;
		if (i < len && (s[i] == '.' || s[i] == ',')) {
			i++;
			int nd = 0;
			while (i < len && s[i] >= '0' && s[i] <= '9') {
				if (nd < 3)
					frac = frac * 10 + (s[i] - '0');
				nd++, i++;
			}
			if (nd == 0 || nd > 9)
				return -1;
			for (; nd < 3; nd++)
				frac *= 10;
		}
	}
	if (h > 23 || mi > 59 || se > 60)
		return -1;
	if (i >= len) {
		/* no zone: UTC, as ASP.NET reads a DateTime of kind Unspecified */
	} else if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		/* UTC */
	} else if ((s[i] == '+' || s[i] == '-') && (len == i + 6 || len == i + 5 || len == i + 3)) {
		int oh, om = 0;
		if (digits(s, len, i + 1, 2, &oh))
			return -1;
		if (len == i + 6) {
			if (s[i + 3] != ':' || digits(s, len, i + 4, 2, &om))
				return -1;
		} else if (len == i + 5 && digits(s, len, i + 3, 2, &om)) {
			return -1;
		}
		if (oh > 23 || om > 59)
			return -1;
		offset_min = (int64_t)(oh * 60 + om) * (s[i] == '-' ? -1 : 1);
	} else {
		return -1;
	}
done:;
	int64_t days = days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se) - offset_min * 60;
	*ms = secs * 1000 + frac;
	return 0;
}
