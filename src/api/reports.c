/* reports.c — GET /api/reports/summary and /api/reports/heatmap
 * (docs/reports.md): an organization's figures for a date range in its time
 * zone, for a company token or API key; another company's organization is
 * 404. JSON, or CSV with `Accept: text/csv` — the CSV is written from the
 * very JSON object the JSON answer would be, so the two cannot disagree.
 * Threading: handlers on API workers, inside the request's read transaction. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/buf.h"
#include "core/tz.h"
#include "svc/svc.h"

#define RANGE_DAYS_MAX 366

/* A YYYY-MM-DD date into days since 1970-01-01: 0, or -1 after answering 400. */
static int date_arg(ch_ctx *c, const char *name, int64_t *days)
{
	const char *v = ch_ctx_arg(c, name);
	int y, m, d, n = 0;
	if (!v || !*v) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "%s is required (a date YYYY-MM-DD in the organization's time zone)",
		             name);
		return -1;
	}
	if (strlen(v) != 10 || sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || y < 1970 || m < 1 ||
	    m > 12 || d < 1 || d > 31) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s must be a date YYYY-MM-DD", name);
		return -1;
	}
	*days = ch_tz_days_from_civil(y, (unsigned)m, (unsigned)d);
	int64_t yy;
	unsigned mm, dd;
	ch_tz_civil_from_days(*days, &yy, &mm, &dd);
	if (yy != y || (int)mm != m || (int)dd != d) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s is not a date of the calendar (%s)", name, v);
		return -1;
	}
	return 0;
}

/* A parameter given twice is refused: which of the two a report was about
 * would depend on who reads the URL (a proxy's rule, a log, the server). */
static int given_twice(ch_ctx *c)
{
	static const char *names[] = {"organizationId", "from", "to", "operatorId"};
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		size_t nl = strlen(names[k]);
		int n = 0;
		for (int i = 0; i < c->req->nargs; i++)
			n += !strncmp(c->req->args[i], names[k], nl) && c->req->args[i][nl] == '=';
		if (n > 1) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "query parameter `%s` is given %d times; give it once", names[k], n);
			return -1;
		}
	}
	return 0;
}

static int query(ch_ctx *c, ch_report_query *q)
{
	memset(q, 0, sizeof *q);
	if (given_twice(c))
		return -1;
	const char *org = ch_ctx_arg(c, "organizationId");
	if (!org || !*org) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "organizationId is required");
		return -1;
	}
	if (ch_ctx_int_arg(c, "organizationId", 1, INT64_MAX, 0, &q->org_id) || date_arg(c, "from", &q->from_day) ||
	    date_arg(c, "to", &q->to_day) || ch_ctx_int_arg(c, "operatorId", 1, INT64_MAX, 0, &q->operator_id))
		return -1;
	if (q->to_day < q->from_day) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "to is before from");
		return -1;
	}
	if (q->to_day - q->from_day + 1 > RANGE_DAYS_MAX) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "the range is longer than %d days", RANGE_DAYS_MAX);
		return -1;
	}
	return 0;
}

/* operatorId names an operator of the caller's company (deleted ones
 * included: their figures stay in the events); another company's is 404, as
 * if it did not exist. 0, or -1 after answering. */
static int operator_known(ch_ctx *c, int64_t operator_id)
{
	if (!operator_id)
		return 0;
	ch_operator_row op;
	ch_err e = ch_svc_operator_get(c->tx, c->who.company_id, operator_id, &op);
	return ch_ctx_store_failed(c, e, "operator") ? -1 : 0;
}

/* One CSV cell of a JSON scalar: integers as they are, reals with up to 15
 * significant digits (what the JSON parses to), null empty. */
static void cell(ch_buf *b, const json_t *v)
{
	if (json_is_integer(v))
		ch_buf_printf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		ch_buf_printf(b, "%.15g", json_real_value(v));
	else if (json_is_string(v))
		ch_buf_puts(b, json_string_value(v)); /* only ids and figure names: no comma nor quote */
}

/* Rows "scope,operatorId,figure,value" of every scalar of o, nested names dotted. */
static void flatten(ch_buf *b, const char *scope, const char *op, const char *prefix, json_t *o)
{
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		char name[128];
		snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", k);
		if (json_is_object(v)) {
			flatten(b, scope, op, name, v);
		} else if (strcmp(k, "operatorId")) {
			ch_buf_printf(b, "%s,%s,%s,", scope, op, name);
			cell(b, v);
			ch_buf_puts(b, "\r\n");
		}
	}
}

static void reply_csv(ch_ctx *c, ch_buf *b)
{
	ch_ctx_text(c, 200, b->data, b->len);
	c->resp->content_type = "text/csv; charset=utf-8";
	ch_buf_free(b);
}

static void summary_csv(ch_ctx *c, json_t *r)
{
	ch_buf b = {0};
	ch_buf_puts(&b, "scope,operatorId,figure,value\r\n");
	flatten(&b, "organization", "", "", json_object_get(r, "organization"));
	size_t i;
	json_t *op;
	json_array_foreach(json_object_get(r, "operators"), i, op)
	{
		char id[24];
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(op, "operatorId")));
		flatten(&b, "operator", id, "", op);
	}
	reply_csv(c, &b);
}

static void heatmap_csv(ch_ctx *c, json_t *r)
{
	static const char *days[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	ch_buf b = {0};
	ch_buf_puts(&b, "weekday,hour,count\r\n");
	size_t d, h;
	json_t *row, *n;
	json_array_foreach(json_object_get(r, "counts"), d, row) json_array_foreach(row, h, n)
	    ch_buf_printf(&b, "%s,%zu,%lld\r\n", days[d], h, (long long)json_integer_value(n));
	reply_csv(c, &b);
}

static void report(ch_ctx *c, int heatmap)
{
	ch_report_query q;
	if (query(c, &q))
		return;
	q.heatmap = heatmap;
	json_t *r = NULL;
	char why[256] = "";
	ch_principal p = ch_principal_from_claims(&c->who);
	/* inside the read, as every history read: a token revoked by another
	 * process a moment ago (its event still on the way) reads nothing */
	ch_err e = ch_svc_principal_valid(c->tx, &p);
	if (e) {
		ch_ctx_store_failed(c, e, "principal");
		return;
	}
	if (operator_known(c, q.operator_id))
		return;
	e = ch_svc_report(c->tx, c->who.company_id, &q, &r, why, sizeof why);
	if (e == CH_ERR_OUT_OF_RANGE) {
		ch_ctx_error(c, e, "%s", why);
		return;
	}
	if (ch_ctx_store_failed(c, e, "organization"))
		return;
	if (ch_ctx_accepts(c, "text/csv")) {
		if (heatmap)
			heatmap_csv(c, r);
		else
			summary_csv(c, r);
		json_decref(r);
		return;
	}
	ch_ctx_json(c, 200, r);
}

void ch_h_report_summary(ch_ctx *c) { report(c, 0); }

void ch_h_report_heatmap(ch_ctx *c) { report(c, 1); }
