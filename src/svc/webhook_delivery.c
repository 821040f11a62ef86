/* webhook_delivery.c — what goes out to webhooks: due cursors claimed with a
 * lease, each one's next event read and turned into a signed request, and the
 * outcome of each request recorded (the cursor moves only after a 2xx; a
 * failure is retried with backoff and jitter, holding the later events back;
 * failing for longer than webhook_retry_hours marks the webhook failing).
 *
 * One request per cursor at a time, in eventSeq order: a cursor is leased
 * while its request is out, and its update applies only while it still holds
 * that lease, so no two processes send it and a late result cannot move a
 * cursor another process took over. Events of types the webhook does not take
 * move the cursor without a request.
 * Threading: ch_svc_webhooks_load on a worker (it blocks: store jobs, reads,
 * DNS); ch_svc_webhook_result from any thread (an asynchronous store job). */
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "svc/internal.h"

static struct {
	_Atomic int64_t retry_ms, backoff_max_ms;
	_Atomic int allow_private;
} Cfg = {.retry_ms = 24 * 3600 * 1000LL, .backoff_max_ms = 600000};

void ch_svc_webhooks_configure(int64_t retry_ms, int64_t backoff_max_ms, int allow_private)
{
	atomic_store(&Cfg.retry_ms, retry_ms);
	atomic_store(&Cfg.backoff_max_ms, backoff_max_ms);
	atomic_store(&Cfg.allow_private, allow_private);
}

/* Whether the webhook takes events of this type ("" = all). */
static int takes(const ch_webhook_row *w, const char *type)
{
	if (!w->events[0])
		return 1;
	size_t n = strlen(type);
	for (const char *p = w->events; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && !memcmp(p, type, n))
			return 1;
		p += k + (p[k] == ',');
	}
	return 0;
}

/* ---- claim ------------------------------------------------------------------ */

typedef struct claimed {
	ch_webhook_cursor_row *rows;
	size_t n, cap;
} claimed;

static void add_claimed(void *ctx, const ch_webhook_cursor_row *r)
{
	claimed *c = ctx;
	if (c->n < c->cap)
		c->rows[c->n++] = *r;
}

/* A write job; it may run again when the PostgreSQL writer replays its batch. */
static ch_err claim_tx(ch_store_tx *tx, void *arg)
{
	claimed *c = arg;
	c->n = 0;
	return ch_store_webhook_cursor_claim(tx, ch_now_ms(), (int64_t)c->cap, CH_SVC_WEBHOOK_LEASE_MS, add_claimed, c);
}

/* ---- the next event of a cursor ------------------------------------------------ */

typedef struct next_read {
	const ch_webhook_cursor_row *cur;
	json_t *event;    /* the first event it takes, or NULL */
	int64_t skip_to;  /* how far the cursor may move without a request */
	ch_err err;
} next_read;

static ch_err next_fn(ch_store_tx *tx, void *arg)
{
	next_read *nr = arg;
	const ch_webhook_cursor_row *c = nr->cur;
	json_t *events = NULL;
	int64_t last = 0, trimmed = 0;
	/* one event when it takes every type: a page read for one request */
	int64_t limit = c->hook.events[0] ? 100 : 1;
	nr->skip_to = c->last_seq;
	ch_err e = ch_svc_events_page(tx, c->hook.company_id, c->organization_id, c->last_seq, limit, &events, &last,
	                              &trimmed);
	if (e == CH_ERR_GONE) { /* kept no longer: on from the oldest kept */
		CH_WARN("webhook %lld: events %lld to %lld of organization %lld were deleted before delivery",
		        (long long)c->hook.id, (long long)c->last_seq + 1, (long long)trimmed,
		        (long long)c->organization_id);
		nr->skip_to = trimmed;
		return CH_OK;
	}
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *type = json_string_value(json_object_get(ev, "type"));
		if (type && takes(&c->hook, type)) {
			nr->event = json_incref(ev);
			break;
		}
		nr->skip_to = json_integer_value(json_object_get(ev, "eventSeq"));
	}
	json_decref(events);
	return e;
}

static ch_err read_next(ch_svc_webhook_send *s, json_t **event, int64_t *skip_to)
{
	next_read nr = {.cur = &s->cur};
	ch_err e = ch_store_read(ch_svc_ctx()->store, next_fn, &nr);
	*event = nr.event;
	*skip_to = nr.skip_to;
	return e;
}

/* ---- recording ------------------------------------------------------------------ */

/* 1 s doubling to the cap, then a random point in its upper half. */
static int64_t backoff_ms(int attempts)
{
	int64_t cap = atomic_load(&Cfg.backoff_max_ms);
	int64_t d = attempts >= 21 ? cap : 1000LL << (attempts - 1);
	if (d > cap)
		d = cap;
	return d / 2 + (int64_t)randombytes_uniform((uint32_t)(d / 2 + 1));
}

typedef struct result_job {
	ch_webhook_attempt a;
	char error[CH_WEBHOOK_ERROR_MAX + 1];
} result_job;

static ch_err result_tx(ch_store_tx *tx, void *arg)
{
	result_job *j = arg;
	ch_err e = ch_store_webhook_cursor_update(tx, &j->a);
	if (e == CH_ERR_CONFLICT) { /* another claim took it over: its result stands */
		CH_INFO("webhook %lld: a result came after its lease ended; dropped", (long long)j->a.webhook_id);
		return CH_OK;
	}
	return e;
}

static void result_done(void *arg, ch_err e)
{
	result_job *j = arg;
	if (e)
		CH_WARN("webhook %lld: an attempt could not be recorded (%s); it is retried when its lease ends",
		        (long long)j->a.webhook_id, ch_err_text(e));
	free(j);
}

static void record(const ch_webhook_cursor_row *c, int64_t seq, int ok, int skipped, const char *why)
{
	result_job *j = ch_xcalloc(1, sizeof *j);
	int64_t now = ch_now_ms();
	j->a = (ch_webhook_attempt){.webhook_id = c->hook.id, .organization_id = c->organization_id,
	                            .lease_until = c->lease_until, .now_ms = now};
	if (ok || skipped) {
		j->a.last_seq = seq;
		j->a.delivered = ok;
	} else {
		j->a.last_seq = seq > c->last_seq ? seq - 1 : c->last_seq; /* over the events it does not take */
		j->a.attempts = c->attempts + 1;
		j->a.first_failure_at = c->first_failure_at ? c->first_failure_at : now;
		j->a.next_attempt_at = now + backoff_ms(j->a.attempts);
		j->a.failing = now - j->a.first_failure_at >= atomic_load(&Cfg.retry_ms);
		snprintf(j->error, sizeof j->error, "%s", why && *why ? why : "failed");
		j->a.error = j->error;
		if (j->a.failing)
			CH_WARN("webhook %lld: failing since %lld s, marked failing: %s", (long long)c->hook.id,
			        (long long)((now - j->a.first_failure_at) / 1000), j->error);
	}
	ch_store_write(ch_svc_ctx()->store, result_tx, j, result_done);
}

void ch_svc_webhook_result(const ch_svc_webhook_send *s, int status, const char *why)
{
	char text[64];
	int ok = status >= 200 && status < 300;
	if (!ok && (status || !why)) {
		snprintf(text, sizeof text, "HTTP %d", status);
		why = text;
	}
	ch_metrics_counter_add(ok ? CH_COUNTER_WEBHOOK_OK : CH_COUNTER_WEBHOOK_FAILED, 1);
	if (!ok)
		CH_INFO("webhook %lld: event %lld of organization %lld, attempt %d failed: %s", (long long)s->cur.hook.id,
		        (long long)s->seq, (long long)s->cur.organization_id, s->cur.attempts + 1, why);
	record(&s->cur, s->seq, ok, 0, why);
}

void ch_svc_webhook_send_free(ch_svc_webhook_send *s)
{
	if (!s)
		return;
	sodium_memzero(s->cur.hook.secret, sizeof s->cur.hook.secret);
	free(s);
}

/* ---- load ------------------------------------------------------------------------ */

/* The request of s's event (takes ownership of event), or s->why. */
static void prepare(ch_svc_webhook_send *s, json_t *event)
{
	ch_netaddr_url u;
	char ip[16];
	const char *event_id = json_string_value(json_object_get(event, "eventId"));
	char *body = json_dumps(event, JSON_COMPACT);
	if (!body || !event_id)
		snprintf(s->why, sizeof s->why, "the event could not be encoded");
	else if (!ch_netaddr_target(s->cur.hook.url, atomic_load(&Cfg.allow_private), &u, ip, s->why, sizeof s->why)) {
		s->req = ch_svc_webhook_post(&s->cur.hook, &u, ip, event_id, s->seq, body);
		body = NULL;
	}
	free(body);
	json_decref(event);
}

ch_err ch_svc_webhooks_load(ch_svc_webhook_send **out, size_t max, size_t *n, int *progress)
{
	claimed c = {.rows = ch_xcalloc(max ? max : 1, sizeof *c.rows), .cap = max};
	*n = 0;
	*progress = 0;
	ch_err e = ch_store_write_sync(ch_svc_ctx()->store, claim_tx, &c);
	for (size_t i = 0; !e && i < c.n; i++) {
		ch_svc_webhook_send *s = ch_xcalloc(1, sizeof *s);
		json_t *event = NULL;
		int64_t skip_to = 0;
		s->cur = c.rows[i];
		ch_err re = read_next(s, &event, &skip_to);
		if (re) { /* the lease runs out and it is tried again */
			CH_WARN("webhook %lld: its next event could not be read (%s)", (long long)s->cur.hook.id,
			        ch_err_text(re));
		} else if (!event) { /* nothing it takes: the cursor moves (or its lease ends) */
			record(&s->cur, skip_to, 0, 1, NULL);
			*progress += skip_to > s->cur.last_seq;
		} else {
			s->seq = json_integer_value(json_object_get(event, "eventSeq"));
			prepare(s, event);
			out[(*n)++] = s;
			continue;
		}
		ch_svc_webhook_send_free(s);
	}
	sodium_memzero(c.rows, c.cap * sizeof *c.rows); /* the secrets */
	free(c.rows);
	return e;
}

static ch_err failing_fn(ch_store_tx *tx, void *arg) { return ch_store_webhook_failing_count(tx, arg); }

ch_err ch_svc_webhooks_failing(int64_t *n)
{
	*n = 0;
	return ch_store_read(ch_svc_ctx()->store, failing_fn, n);
}
