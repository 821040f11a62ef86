/* counter.c — cluster-wide window counters in Redis (see counter.h).
 * Keys are <prefix>:cnt:<window start>:<key>, expiring with their window, so
 * Redis holds only the live windows. Threading: worker threads, one
 * connection each (thread-local). */
#include "bus/counter.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"

#define TIMEOUT_MS 250
#define RETRY_AFTER_FAIL_MS 1000

static char host[256];
static int port, db;
static char prefix[64] = "chathub";
static int enabled;

static __thread redisContext *conn;
static __thread int64_t failed_at;
/* its destructor frees a worker's connection when the worker ends */
static pthread_key_t conn_key;
static pthread_once_t conn_key_once = PTHREAD_ONCE_INIT;

static void conn_free(void *c) { redisFree(c); }
static void conn_key_make(void) { pthread_key_create(&conn_key, conn_free); }

int ch_counter_init(const char *url, const char *pfx)
{
	enabled = 0;
	if (!url || !*url)
		return 0;
	if (ch_netaddr_redis_url(url, host, sizeof host, &port, &db))
		return -1;
	snprintf(prefix, sizeof prefix, "%s", pfx && *pfx ? pfx : "chathub");
	pthread_once(&conn_key_once, conn_key_make);
	enabled = 1;
	return 0;
}

int ch_counter_enabled(void) { return enabled; }

void ch_counter_thread_close(void)
{
	if (conn)
		redisFree(conn);
	conn = NULL;
	if (enabled)
		pthread_setspecific(conn_key, NULL);
}

/* SELECT the database of bus_url's /DB (the counters' keys live there;
 * PUB/SUB spans the databases). 1 when selected. */
static int select_db(redisContext *c)
{
	redisReply *r = redisCommand(c, "SELECT %d", db);
	int ok = r && r->type == REDIS_REPLY_STATUS;
	if (!ok)
		CH_WARN("counters: redis %s:%d: SELECT %d refused; per-process limits apply", host, port, db);
	if (r)
		freeReplyObject(r);
	return ok;
}

/* The thread's connection, connecting when needed (not within a second of a
 * failure). */
static redisContext *link_get(void)
{
	if (!enabled)
		return NULL;
	if (conn && !conn->err)
		return conn;
	ch_counter_thread_close();
	int64_t now = ch_mono_ms();
	if (failed_at && now - failed_at < RETRY_AFTER_FAIL_MS)
		return NULL;
	struct timeval tv = {0, TIMEOUT_MS * 1000};
	conn = redisConnectWithTimeout(host, port, tv);
	if (!conn || conn->err || redisSetTimeout(conn, tv) != REDIS_OK) {
		CH_WARN("counters: redis %s:%d: %s; per-process limits apply", host, port,
		        conn ? conn->errstr : "out of memory");
		ch_counter_thread_close();
		failed_at = now;
		return NULL;
	}
	if (db && !select_db(conn)) {
		ch_counter_thread_close();
		failed_at = now;
		return NULL;
	}
	failed_at = 0;
	pthread_setspecific(conn_key, conn);
	return conn;
}

static void fail(void)
{
	ch_counter_thread_close();
	failed_at = ch_mono_ms();
}

static void key_of(char *out, size_t n, const char *key, int64_t window_ms, int64_t now_ms)
{
	snprintf(out, n, "%s:cnt:%lld:%s", prefix, (long long)(now_ms / window_ms * window_ms), key);
}

int ch_counter_get(const char *key, int64_t window_ms, int64_t now_ms, int64_t *count, int *reset_s)
{
	redisContext *c = link_get();
	if (!c)
		return -1;
	char k[512];
	key_of(k, sizeof k, key, window_ms, now_ms);
	redisReply *r = redisCommand(c, "GET %s", k);
	if (!r || (r->type != REDIS_REPLY_NIL && r->type != REDIS_REPLY_STRING)) {
		if (r)
			freeReplyObject(r);
		fail();
		return -1;
	}
	*count = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	if (reset_s) {
		int64_t left = window_ms - now_ms % window_ms;
		*reset_s = (int)((left + 999) / 1000);
	}
	return 0;
}

int ch_counter_incr(const char *key, int64_t window_ms, int64_t now_ms)
{
	redisContext *c = link_get();
	if (!c)
		return -1;
	char k[512];
	key_of(k, sizeof k, key, window_ms, now_ms);
	/* the key lives one window past its own, so a clock a little apart
	 * between processes still reads it */
	redisAppendCommand(c, "INCR %s", k);
	redisAppendCommand(c, "PEXPIRE %s %lld", k, (long long)(2 * window_ms));
	int ok = 0;
	for (int i = 0; i < 2; i++) {
		redisReply *r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR)
			ok = -1;
		if (r)
			freeReplyObject(r);
		if (ok)
			break;
	}
	if (ok)
		fail();
	return ok;
}
