/* webhooks.c — a company's webhooks: GET/POST /api/company/webhooks,
 * GET/DELETE /api/company/webhooks/{id}, POST /api/company/webhooks/{id}/enable
 * (a failing webhook resumes from its cursors) and POST
 * /api/company/webhooks/{id}/test (a signed ping, answered with the
 * receiver's status).
 *
 * Company tokens and API keys only; another company's webhook is 404. The
 * secret is in the answer to the creation only; reads show secretPrefix.
 * A URL is an http(s) URL of at most CH_WEBHOOK_URL_MAX bytes; a literal
 * address is refused at once unless it is public (or outbound_allow_private),
 * a host name after resolution, at each request. The test is rate limited
 * per company (it holds a worker up to CH_SVC_WEBHOOK_TIMEOUT_S).
 * Threading: handlers on API workers; the limiter is any thread's. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/clock.h"
#include "core/netaddr.h"
#include "core/ratelimit.h"

/* Tests per company: a burst of 5, then one every 12 s. */
#define TEST_BURST 5
#define TEST_PER_MINUTE 5

static pthread_once_t limiter_once = PTHREAD_ONCE_INIT;
static ch_ratelimit *test_limiter;

static void limiter_init(void) { test_limiter = ch_ratelimit_new(TEST_PER_MINUTE, 60000, TEST_BURST, 100000); }

static void add_hook(void *ctx, const ch_webhook_row *r) { json_array_append_new(ctx, ch_svc_json_webhook(r, 0)); }

void ch_h_webhook_list(ch_ctx *c)
{
	json_t *arr = json_array();
	if (ch_ctx_store_failed(c, ch_svc_webhooks(c->tx, c->who.company_id, add_hook, arr), "webhook")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

/* The webhook of the path, read; 0, or -1 after answering. */
static int path_hook(ch_ctx *c, ch_webhook_row *row)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "webhook not found");
		return -1;
	}
	return ch_ctx_store_failed(c, ch_svc_webhook_get(c->tx, c->who.company_id, c->path_id, row), "webhook")
	           ? -1
	           : 0;
}

/* The webhook with its per-organization delivery cursors. */
static void reply_with_cursors(ch_ctx *c, const ch_webhook_row *row)
{
	json_t *o = ch_svc_json_webhook(row, 0);
	if (!ch_ctx_store_failed(c, ch_svc_webhook_add_cursors(c->tx, c->who.company_id, row->id, o), "webhook"))
		ch_ctx_json(c, 200, o);
	else
		json_decref(o);
}

void ch_h_webhook_get(ch_ctx *c)
{
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	if (!path_hook(c, row))
		reply_with_cursors(c, row);
	free(row);
}

/* url: http(s), at most CH_WEBHOOK_URL_MAX bytes; a literal address must be
 * one deliveries may go to. */
static int read_url(ch_ctx *c, ch_webhook_row *row)
{
	const char *url;
	ch_netaddr_url u;
	uint32_t a;
	int allow_private = c->api->o.outbound_allow_private;
	if (ch_get_str(c, c->body, "", "url", 1, 1, CH_WEBHOOK_URL_MAX, &url))
		return -1;
	const char *why = ch_netaddr_url_parse(url, &u);
	if (why) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "url: %s", why);
		return -1;
	}
	if (!ch_netaddr_parse_v4(u.host, &a) && !ch_netaddr_is_public(a, allow_private)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "url: %s is a %s address; webhooks go only to %s", u.host,
		             ch_netaddr_kind_name(ch_netaddr_kind_v4(a)),
		             allow_private ? "public, loopback, private, link-local and CGNAT addresses" : "public addresses");
		return -1;
	}
	snprintf(row->url, sizeof row->url, "%s", url);
	return 0;
}

/* events: absent, null or [] = every type; else distinct known types. */
static int read_events(ch_ctx *c, ch_webhook_row *row)
{
	json_t *arr = json_object_get(c->body, "events"), *v;
	size_t i, at = 0;
	row->events[0] = '\0';
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "events: must be an array of event types");
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		const char *t = json_string_value(v);
		size_t n = t ? json_string_length(v) : 0;
		if (!t) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "events[%zu]: must be a string", i);
			return -1;
		}
		if (!ch_svc_webhook_event_known(t, n) || memchr(t, ',', n)) {
			ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "events[%zu]: unknown event type \"%.64s\"; known: %s", i, t,
			             ch_svc_webhook_event_types());
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (!strcmp(json_string_value(json_array_get(arr, k)), t)) {
				ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "events[%zu]: \"%s\" is given twice", i, t);
				return -1;
			}
		/* known types are short and distinct: all of them fit */
		at += (size_t)snprintf(row->events + at, sizeof row->events - at, "%s%s", at ? "," : "", t);
	}
	return 0;
}

void ch_h_webhook_create(ch_ctx *c)
{
	int64_t org_id = 0;
	ch_webhook_row *in = ch_xcalloc(1, sizeof *in), *out = ch_xmalloc(sizeof *out);
	json_t *org = c->body ? json_object_get(c->body, "organizationId") : NULL;
	if (ch_body_object(c) || read_url(c, in) || read_events(c, in) ||
	    (org && !json_is_null(org) && ch_get_int(c, c->body, "", "organizationId", 1, 1, INT64_MAX, &org_id)))
		goto out;
	in->organization_id = org_id;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = ch_svc_webhook_create_wait(&p, in, out);
	if (e == CH_ERR_CONFLICT)
		ch_ctx_error(c, e, "the company has %d webhooks already", CH_WEBHOOKS_PER_COMPANY_MAX);
	else if (!ch_ctx_store_failed(c, e, "organization"))
		ch_ctx_json(c, 201, ch_svc_json_webhook(out, 1));
out:
	memset(out->secret, 0, sizeof out->secret);
	free(in);
	free(out);
}

void ch_h_webhook_delete(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "webhook not found");
		return;
	}
	ch_principal p = ch_principal_from_claims(&c->who);
	if (!ch_ctx_store_failed(c, ch_svc_webhook_delete_wait(&p, c->path_id), "webhook"))
		ch_ctx_text(c, 200, "OK", 2);
}

void ch_h_webhook_enable(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "webhook not found");
		return;
	}
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	ch_principal p = ch_principal_from_claims(&c->who);
	if (!ch_ctx_store_failed(c, ch_svc_webhook_enable_wait(&p, c->path_id, row), "webhook"))
		ch_ctx_json(c, 200, ch_svc_json_webhook(row, 0));
	free(row);
}

void ch_h_webhook_test(ch_ctx *c)
{
	char key[32], why[320];
	int status = 0;
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	if (path_hook(c, row))
		goto out;
	pthread_once(&limiter_once, limiter_init);
	snprintf(key, sizeof key, "%lld", (long long)c->who.company_id);
	int wait = ch_ratelimit_take(test_limiter, key, ch_mono_ms());
	if (wait) {
		ch_resp_header(c->resp, "Retry-After", "%d", wait);
		ch_ctx_error(c, CH_ERR_RATE_LIMITED, "at most %d webhook tests a minute per company", TEST_PER_MINUTE);
		goto out;
	}
	ch_svc_webhook_test_wait(row, c->api->o.outbound_allow_private, &status, why, sizeof why);
	int ok = status >= 200 && status < 300;
	ch_ctx_json(c, 200, json_pack("{s:b, s:o, s:o}", "ok", ok, "status", status ? json_integer(status) : json_null(),
	                              "error", ok ? json_null() : json_string(why[0] ? why : "the receiver did not answer 2xx")));
out:
	free(row);
}
