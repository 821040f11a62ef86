/* reports.c — an organization's support figures for a date range
 * (docs/reports.md): computed only from its event log (docs/api.md
 * "Events"), read in eventSeq order from the oldest kept event up to the
 * range's end, so a customer can recompute every figure from GET /api/events.
 * The one other read is an operator message's row, for its operator (what the
 * replayed event's `message.operator` says).
 *
 * The clocks run across days: a duration is counted in the range that holds
 * the event stopping it, from the event starting it (which may be older).
 * The work is bounded: a log of more than REPORT_EVENTS_MAX events up to the
 * range's end is refused, never read halfway.
 * Threading: the caller's thread (an API worker) inside its read transaction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/hours.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/idmap.h"
#include "core/tz.h"
#include "svc/internal.h"

#define PAGE 1000

typedef struct samples {
	int64_t *v;
	size_t n, cap;
} samples;

/* The figures of the organization or of one operator. */
typedef struct figures {
	int64_t started, closed, reopened, in, out;
	samples queue, first_response, resolution;
	int64_t csat[5];
} figures;

/* What a chat's earlier events left to know when a later one comes. */
typedef struct chat_state {
	int64_t created_at;  /* 0: its chat.created is not in the log */
	int64_t operator_id; /* the operator of its latest chat event, 0 = none */
	int64_t asked_at;    /* its first client message, 0 = none yet */
	int queued_done, answered;
} chat_state;

typedef struct scan {
	ch_store_tx *tx;
	int64_t company_id, from_ms, to_ms, read;
	const ch_tz *zone;
	int done;
	ch_err err;
	int64_t last_seq;
	ch_idmap chats, ops;
	figures org;
	int64_t heat[7][24];
} scan;

static void sample_add(samples *s, int64_t ms)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = ch_xrealloc(s->v, s->cap * sizeof *s->v);
	}
	s->v[s->n++] = ms;
}

static figures *op_figures(scan *sc, int64_t op)
{
	if (!op)
		return NULL;
	figures *f = ch_idmap_get(&sc->ops, op);
	if (!f) {
		f = ch_xcalloc(1, sizeof *f);
		ch_idmap_put(&sc->ops, op, f);
	}
	return f;
}

static chat_state *chat_of(scan *sc, int64_t chat_id)
{
	chat_state *s = ch_idmap_get(&sc->chats, chat_id);
	if (!s) {
		s = ch_xcalloc(1, sizeof *s);
		ch_idmap_put(&sc->chats, chat_id, s);
	}
	return s;
}

/* The operator of an operator message (0 when the message is gone). */
static int64_t message_operator(scan *sc, int64_t message_id)
{
	ch_message_row *m = ch_xmalloc(sizeof *m);
	int64_t op = 0;
	ch_err e = ch_store_message_get(sc->tx, sc->company_id, message_id, m);
	if (!e)
		op = m->operator_id;
	else if (e != CH_ERR_NOT_FOUND)
		sc->err = e;
	free(m);
	return op;
}

static void heat_add(scan *sc, int64_t at)
{
	int64_t t = at / 1000 + (sc->zone ? ch_tz_offset(sc->zone, at / 1000) : 0);
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int hour = (int)((t - days * 86400) / 3600);
	int wd = (int)(((days + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday: 0 = Monday */
	sc->heat[wd][hour]++;
}

/* Both the organization's figures and, when op is set, the operator's. */
#define BOTH(sc, op, stmt)                                                                                            \
	do {                                                                                                          \
		figures *f_ = &(sc)->org;                                                                             \
		stmt;                                                                                                 \
		if ((f_ = op_figures((sc), (op))))                                                                    \
			stmt;                                                                                         \
	} while (0)

static void on_message(scan *sc, const ch_org_event_row *r, chat_state *c, int author, int in_range)
{
	if (author == CH_AUTHOR_CLIENT) {
		if (!c->asked_at)
			c->asked_at = r->at;
		if (in_range) {
			BOTH(sc, c->operator_id, f_->in++);
			heat_add(sc, r->at);
		}
		return;
	}
	if (author != CH_AUTHOR_OPERATOR)
		return; /* system messages count nowhere */
	int first = c->asked_at && !c->answered;
	if (!in_range && !first)
		return;
	int64_t op = message_operator(sc, r->message_id);
	if (first) {
		c->answered = 1;
		if (in_range)
			BOTH(sc, op, sample_add(&f_->first_response, r->at - c->asked_at));
	}
	if (in_range)
		BOTH(sc, op, f_->out++);
}

static void on_chat(scan *sc, const ch_org_event_row *r, chat_state *c, json_t *data, int in_range)
{
	json_t *opv = json_object_get(data, "operatorId");
	int64_t op = json_is_integer(opv) ? json_integer_value(opv) : 0;
	int created = !strcmp(r->type, "chat.created");
	if (created) {
		c->created_at = r->at;
		if (in_range)
			sc->org.started++;
	}
	c->operator_id = op;
	if ((created || !strcmp(r->type, "chat.assigned")) && op && !c->queued_done) {
		c->queued_done = 1;
		if (in_range && c->created_at)
			BOTH(sc, op, sample_add(&f_->queue, r->at - c->created_at));
	}
	if (!in_range)
		return;
	if (!strcmp(r->type, "chat.closed")) {
		BOTH(sc, op, f_->closed++);
		if (c->created_at)
			BOTH(sc, op, sample_add(&f_->resolution, r->at - c->created_at));
	} else if (!strcmp(r->type, "chat.status_changed") &&
	           json_integer_value(json_object_get(data, "previousStatus")) == CH_CHAT_CLOSED) {
		BOTH(sc, op, f_->reopened++);
	}
}

static void each(void *ctx, const ch_org_event_row *r)
{
	scan *sc = ctx;
	sc->last_seq = r->seq;
	if (sc->err || sc->done)
		return;
	if (r->at >= sc->to_ms) {
		sc->done = 1; /* the log is read up to the first event at or after the range's end */
		return;
	}
	sc->read++;
	if (!r->chat_id)
		return;
	int in_range = r->at >= sc->from_ms;
	int is_msg = !strcmp(r->type, "message.created"), is_chat = !strncmp(r->type, "chat.", 5);
	int is_csat = !strcmp(r->type, "csat.submitted");
	if (!is_msg && !is_chat && !is_csat)
		return;
	json_t *data = json_loads(r->data, 0, NULL);
	chat_state *c = chat_of(sc, r->chat_id);
	if (is_msg) {
		on_message(sc, r, c, (int)json_integer_value(json_object_get(data, "author")), in_range);
	} else if (is_chat && strcmp(r->type, "chat.deleted")) {
		on_chat(sc, r, c, data, in_range);
	} else if (is_csat && in_range) {
		json_int_t rating = json_integer_value(json_object_get(data, "rating"));
		if (rating >= 1 && rating <= 5)
			BOTH(sc, c->operator_id, f_->csat[rating - 1]++);
	}
	json_decref(data);
}

/* ---- the figures as JSON ------------------------------------------------ */

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p% of them at or below it. */
static json_t *rank(const samples *s, int p)
{
	if (!s->n)
		return json_null();
	size_t k = ((size_t)p * s->n + 99) / 100;
	return json_integer(s->v[(k ? k : 1) - 1] / 1000);
}

static json_t *durations(samples *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp64);
	return json_pack("{s:I, s:o, s:o}", "count", (json_int_t)s->n, "median", rank(s, 50), "p90", rank(s, 90));
}

static json_t *csat_json(const figures *f)
{
	int64_t n = 0, sum = 0;
	json_t *dist = json_object();
	for (int i = 0; i < 5; i++) {
		char k[2] = {(char)('1' + i), 0};
		json_object_set_new(dist, k, json_integer(f->csat[i]));
		n += f->csat[i];
		sum += f->csat[i] * (i + 1);
	}
	json_t *avg = n ? json_real(round((double)sum * 100 / (double)n) / 100) : json_null();
	return json_pack("{s:I, s:o, s:o}", "count", (json_int_t)n, "average", avg, "distribution", dist);
}

static json_t *figures_json(figures *f, int org)
{
	json_t *o = json_object();
	if (org)
		json_object_set_new(o, "conversationsStarted", json_integer(f->started));
	json_object_set_new(o, "conversationsClosed", json_integer(f->closed));
	json_object_set_new(o, "conversationsReopened", json_integer(f->reopened));
	json_object_set_new(o, "messagesIn", json_integer(f->in));
	json_object_set_new(o, "messagesOut", json_integer(f->out));
	json_object_set_new(o, "timeInQueue", durations(&f->queue));
	json_object_set_new(o, "firstResponseTime", durations(&f->first_response));
	json_object_set_new(o, "resolutionTime", durations(&f->resolution));
	json_object_set_new(o, "csat", csat_json(f));
	return o;
}

static void figures_free(void *p)
{
	figures *f = p;
	free(f->queue.v);
	free(f->first_response.v);
	free(f->resolution.v);
	free(f);
}

static json_t *operators_json(scan *sc, int64_t only)
{
	size_t n = 0;
	int64_t *ids = ch_xmalloc((sc->ops.used + 1) * sizeof *ids);
	for (size_t i = 0; i < sc->ops.cap; i++)
		if (sc->ops.vals[i] && (!only || sc->ops.keys[i] == only))
			ids[n++] = sc->ops.keys[i];
	if (only && !n)
		ids[n++] = only; /* asked for: its figures are zeros, not absent */
	qsort(ids, n, sizeof *ids, cmp64);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		figures *f = op_figures(sc, ids[i]);
		json_t *o = json_pack("{s:I}", "operatorId", (json_int_t)ids[i]);
		json_object_update_new(o, figures_json(f, 0));
		json_array_append_new(a, o);
	}
	free(ids);
	return a;
}

static json_t *heat_json(scan *sc)
{
	json_t *rows = json_array();
	for (int d = 0; d < 7; d++) {
		json_t *row = json_array();
		for (int h = 0; h < 24; h++)
			json_array_append_new(row, json_integer(sc->heat[d][h]));
		json_array_append_new(rows, row);
	}
	return rows;
}

/* ---- the query ---------------------------------------------------------- */

/* The organization's business-hours zone name into name ("UTC" when none). */
static ch_err org_zone(ch_store_tx *tx, int64_t company_id, int64_t org_id, char name[CH_TZ_NAME_MAX + 1],
                       const ch_tz **zone)
{
	char *text = ch_xmalloc(CH_HOURS_CONFIG_MAX);
	int64_t drain_at;
	snprintf(name, CH_TZ_NAME_MAX + 1, "UTC");
	*zone = NULL;
	ch_err e = ch_store_hours_get(tx, company_id, org_id, text, &drain_at);
	json_t *v = !e && text[0] ? json_loads(text, 0, NULL) : NULL;
	free(text);
	ch_hours *h = ch_xmalloc(sizeof *h);
	char why[160];
	if (v && ch_hours_parse(v, h, why, sizeof why) == 0 && (*zone = ch_tz_get(h->zone)))
		snprintf(name, CH_TZ_NAME_MAX + 1, "%s", h->zone);
	free(h);
	json_decref(v);
	return e;
}

static ch_err read_log(scan *sc, int64_t org_id, int64_t after, char *why, size_t whylen)
{
	while (!sc->done && !sc->err) {
		int64_t before = sc->last_seq = after;
		ch_err e = ch_store_event_list(sc->tx, sc->company_id, org_id, after, PAGE, each, sc);
		if (e)
			return e;
		if (sc->last_seq == before || sc->last_seq - before < PAGE)
			break;
		after = sc->last_seq;
		if (!sc->done && sc->read >= REPORT_EVENTS_MAX) {
			snprintf(why, whylen,
			         "the organization's event log up to the end of the range holds more than %d events (a "
			         "report reads it from its oldest kept event): ask for an earlier range or a shorter "
			         "events_retention_days",
			         REPORT_EVENTS_MAX);
			return CH_ERR_OUT_OF_RANGE;
		}
	}
	return sc->err;
}

ch_err ch_svc_report(ch_svc_tx *tx, int64_t company_id, const ch_report_query *q, json_t **out, char *why,
                     size_t whylen)
{
	int64_t last = 0, trimmed = 0;
	*out = NULL;
	ch_err e = ch_store_event_head(tx, company_id, q->org_id, &last, &trimmed);
	char zname[CH_TZ_NAME_MAX + 1];
	const ch_tz *zone;
	if (!e)
		e = org_zone(tx, company_id, q->org_id, zname, &zone);
	if (e)
		return e;
	scan sc = {.tx = tx, .company_id = company_id, .zone = zone};
	int64_t from_local = q->from_day * 86400, to_local = (q->to_day + 1) * 86400;
	sc.from_ms = (zone ? ch_tz_to_utc(zone, from_local) : from_local) * 1000;
	sc.to_ms = (zone ? ch_tz_to_utc(zone, to_local) : to_local) * 1000;
	e = last > trimmed ? read_log(&sc, q->org_id, trimmed, why, whylen) : CH_OK;
	if (!e) {
		char start[25], end[25];
		ch_iso8601_format(sc.from_ms, start);
		ch_iso8601_format(sc.to_ms, end);
		json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:I}", "organizationId", (json_int_t)q->org_id, "timeZone",
		                      zname, "rangeStart", start, "rangeEnd", end, "eventsRead", (json_int_t)sc.read);
		if (q->heatmap) {
			json_object_set_new(o, "counts", heat_json(&sc));
		} else {
			json_object_set_new(o, "organization", figures_json(&sc.org, 1));
			json_object_set_new(o, "operators", operators_json(&sc, q->operator_id));
		}
		*out = o;
	}
	free(sc.org.queue.v);
	free(sc.org.first_response.v);
	free(sc.org.resolution.v);
	ch_idmap_free(&sc.chats, free);
	ch_idmap_free(&sc.ops, figures_free);
	return e;
}
