/* webhooks.c — a company's webhooks as the API sees them: the JSON object
 * (the secret only in the answer to the creation), the event types one may
 * subscribe to, the company's writes as store jobs, and the signed test ping.
 *
 * The secret is "whsec_" + 43 base64url characters (256 random bits). A
 * request is signed as "t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>" (docs/webhooks.md).
 *
 * The outbound POST itself is net/outbound.c's (registered here at start,
 * ch_svc_http_sender_set): svc resolves and checks the address on the
 * calling worker, the network thread connects to that address.
 * Threading: reads on the calling worker inside its read transaction; the
 * jobs run on the store writer; the *_wait functions block (worker threads). */
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "svc/internal.h"

static const char *const EVENT_TYPES[] = {
	"chat.created",    "chat.assigned",          "chat.status_changed", "chat.closed",
	"chat.deleted",    "message.created",        "message.status_changed", "message.redacted",
	"client.updated",  "client.erased",          "csat.submitted",
};
#define N_TYPES (sizeof EVENT_TYPES / sizeof *EVENT_TYPES)

int ch_svc_webhook_event_known(const char *type, size_t n)
{
	for (size_t i = 0; i < N_TYPES; i++)
		if (strlen(EVENT_TYPES[i]) == n && !memcmp(EVENT_TYPES[i], type, n))
			return 1;
	return 0;
}

const char *ch_svc_webhook_event_types(void)
{
	return "chat.created, chat.assigned, chat.status_changed, chat.closed, chat.deleted, message.created, "
	       "message.status_changed, message.redacted, client.updated, client.erased, csat.submitted";
}

/* ---- the outbound sender ----------------------------------------------------- */

static _Atomic(ch_svc_http_send_fn) Sender;

void ch_svc_http_sender_set(ch_svc_http_send_fn fn) { atomic_store(&Sender, fn); }

void ch_svc_http_send(ch_svc_http_post *req)
{
	ch_svc_http_send_fn fn = atomic_load(&Sender);
	if (fn) {
		fn(req);
		return;
	}
	req->done(req->arg, 0, "no outbound HTTP client in this process", NULL, 0);
	free(req->body);
	free(req);
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *events_array(const char *list)
{
	json_t *a = json_array();
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

json_t *ch_svc_json_webhook(const ch_webhook_row *r, int with_secret)
{
	char prefix[16];
	snprintf(prefix, sizeof prefix, "%.10s", r->secret);
	json_t *o = json_pack("{s:I, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "id", (json_int_t)r->id, "url",
	                      r->url, "organizationId",
	                      r->organization_id ? json_integer(r->organization_id) : json_null(), "events",
	                      events_array(r->events), "secretPrefix", prefix, "status",
	                      r->status == CH_WEBHOOK_FAILING ? "failing" : "active", "lastError",
	                      r->last_error[0] ? json_string(r->last_error) : json_null(), "lastSuccessAt",
	                      svc_json_time(r->last_success_at), "failingSince", svc_json_time(r->failing_since),
	                      "createdAt", svc_json_time(r->created_at));
	if (o && with_secret)
		json_object_set_new(o, "secret", json_string(r->secret));
	return o;
}

/* ---- reads ----------------------------------------------------------------- */

ch_err ch_svc_webhooks(ch_svc_tx *tx, int64_t company_id, ch_webhook_each_fn each, void *ctx)
{
	return ch_store_webhook_list(tx, company_id, each, ctx);
}

ch_err ch_svc_webhook_get(ch_svc_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out)
{
	return ch_store_webhook_get(tx, company_id, id, out);
}

static void add_cursor(void *ctx, const ch_webhook_cursor_row *c)
{
	json_array_append_new(ctx, json_pack("{s:I, s:I, s:i, s:o}", "organizationId", (json_int_t)c->organization_id,
	                                     "lastEventSeq", (json_int_t)c->last_seq, "failedAttempts", c->attempts,
	                                     "nextAttemptAt", c->attempts ? svc_json_time(c->next_attempt_at) : json_null()));
}

ch_err ch_svc_webhook_add_cursors(ch_svc_tx *tx, int64_t company_id, int64_t id, json_t *o)
{
	json_t *arr = json_array();
	ch_err e = ch_store_webhook_cursors(tx, company_id, id, add_cursor, arr);
	if (e || !o)
		json_decref(arr);
	else
		json_object_set_new(o, "organizations", arr);
	return e;
}

/* ---- writes ---------------------------------------------------------------- */

typedef struct hook_job {
	int64_t id;
	const ch_webhook_row *in;
	ch_webhook_row *out;
} hook_job;

static ch_err create_fn(ch_store_tx *tx, svc_job *j)
{
	const hook_job *h = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	return ch_store_webhook_create(tx, h->in, h->out);
}

ch_err ch_svc_webhook_create_wait(const ch_principal *p, const ch_webhook_row *in, ch_webhook_row *out)
{
	unsigned char raw[32];
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	*row = *in;
	row->company_id = p->company_id;
	randombytes_buf(raw, sizeof raw);
	memcpy(row->secret, CH_SVC_WEBHOOK_SECRET_TAG, 6);
	sodium_bin2base64(row->secret + 6, sizeof row->secret - 6, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	hook_job h = {.in = row, .out = out};
	ch_err e = svc_run_wait(create_fn, p, &h, NULL);
	sodium_memzero(row->secret, sizeof row->secret);
	free(row);
	return e;
}

static ch_err delete_fn(ch_store_tx *tx, svc_job *j)
{
	const hook_job *h = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	return ch_store_webhook_delete(tx, j->p.company_id, h->id);
}

ch_err ch_svc_webhook_delete_wait(const ch_principal *p, int64_t id)
{
	hook_job h = {.id = id};
	return svc_run_wait(delete_fn, p, &h, NULL);
}

static ch_err enable_fn(ch_store_tx *tx, svc_job *j)
{
	const hook_job *h = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	return ch_store_webhook_enable(tx, j->p.company_id, h->id, h->out);
}

ch_err ch_svc_webhook_enable_wait(const ch_principal *p, int64_t id, ch_webhook_row *out)
{
	hook_job h = {.id = id, .out = out};
	return svc_run_wait(enable_fn, p, &h, NULL);
}

/* ---- signed requests --------------------------------------------------------- */

void ch_svc_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                         char out[CH_SVC_WEBHOOK_SIG_MAX])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24], hex[2 * crypto_auth_hmacsha256_BYTES + 1];
	int tl = snprintf(ts, sizeof ts, "%lld.", (long long)t);
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, (unsigned long long)tl);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
	snprintf(out, CH_SVC_WEBHOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

static void header(ch_svc_http_post *req, const char *name, const char *value)
{
	if (req->nh == CH_SVC_HTTP_HEADERS)
		return;
	snprintf(req->h[req->nh].name, sizeof req->h[req->nh].name, "%s", name);
	snprintf(req->h[req->nh].value, sizeof req->h[req->nh].value, "%s", value);
	req->nh++;
}

ch_svc_http_post *ch_svc_webhook_post(const ch_webhook_row *r, const ch_netaddr_url *u, const char *ip,
                                      const char *event_id, int64_t event_seq, char *body)
{
	ch_svc_http_post *req = ch_xcalloc(1, sizeof *req);
	char sig[CH_SVC_WEBHOOK_SIG_MAX], num[24];
	req->u = *u;
	snprintf(req->ip, sizeof req->ip, "%s", ip);
	req->body = body;
	req->len = strlen(body);
	req->timeout_s = CH_SVC_WEBHOOK_TIMEOUT_S;
	ch_svc_webhook_sign(r->secret, ch_now_ms() / 1000, body, req->len, sig);
	header(req, "user-agent", "ChatHub-Webhooks");
	header(req, "x-chathub-event-id", event_id);
	snprintf(num, sizeof num, "%lld", (long long)event_seq);
	header(req, "x-chathub-event-seq", num);
	snprintf(num, sizeof num, "%lld", (long long)r->id);
	header(req, "x-chathub-webhook-id", num);
	header(req, "x-chathub-signature", sig);
	return req;
}

/* ---- the test ping ------------------------------------------------------------ */

static char *ping_body(const ch_webhook_row *r, char event_id[37])
{
	char at[25];
	ch_random_guid(event_id);
	ch_iso8601_format(ch_now_ms(), at);
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:o, s:{s:I}}", "eventId", event_id, "eventSeq", 0, "type",
	                      "ping", "at", at, "organizationId",
	                      r->organization_id ? json_integer(r->organization_id) : json_null(), "data",
	                      "webhookId", (json_int_t)r->id);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

void ch_svc_webhook_test_wait(const ch_webhook_row *r, int allow_private, int *status, char *why, size_t whylen)
{
	ch_netaddr_url u;
	char ip[16], event_id[37];
	*status = 0;
	why[0] = '\0';
	if (ch_netaddr_target(r->url, allow_private, &u, ip, why, whylen))
		return;
	char *body = ping_body(r, event_id);
	if (!body) {
		snprintf(why, whylen, "the ping could not be built");
		return;
	}
	ch_svc_http_answer ans;
	ch_svc_http_send_wait(ch_svc_webhook_post(r, &u, ip, event_id, 0, body), &ans);
	*status = ans.status;
	snprintf(why, whylen, "%s", ans.why);
	ch_svc_http_answer_free(&ans);
}
