/* outbound.c — the lws HTTP client side of channel deliveries (see
 * outbound.h). At most one batch is in flight; the next load waits until every
 * attempt of the batch is recorded, so a delivery is never sent twice at once;
 * the load claims (leases) its rows, so no other process sends them either.
 * The address checked is the address connected to: lws gets the resolved IP,
 * never the name, so a second lookup cannot lead elsewhere. */
#include "net/outbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "net/loop.h"
#include "svc/svc.h"

#define BATCH 8

/* One POST in flight: the request and what lws said of it. */
typedef struct out_req {
	ch_svc_http_post p;
	int status, reported;
	int refs;     /* lws's (until a terminal callback) + send_now()'s */
	int terminal; /* lws said its last word on this request */
	size_t sent;
	struct lws *wsi;         /* until terminal */
	int64_t deadline_ms;     /* p.timeout_s: when it is cut (monotonic); 0 = never */
	struct out_req *prev, *next; /* in O.timed while it has a deadline and is not terminal */
	int timed;
	ch_buf ans; /* the answer's body, when p.answer_max */
} out_req;

/* A channel delivery loaded, with its address resolved on the worker. */
typedef struct loaded {
	ch_svc_outbound o;
	ch_netaddr_url u;
	char ip[16];
	char why[320]; /* "" when it can be sent */
} loaded;

typedef struct batch {
	loaded req[BATCH];
	size_t n;
} batch;

/* What the channel delivery's done needs (a bot's: the delivery, body
 * aside, to read the platform's answer for). */
typedef struct channel_arg {
	int64_t delivery_id;
	int attempts;
	ch_svc_outbound bot;
} channel_arg;

static struct {
	struct lws_context *ctx;
	ch_store *store;
	ch_workq *workers;
	int allow_private;
	int busy;
	int outstanding;
	int delivered; /* a request of the batch in flight was answered 2xx */
	out_req *timed; /* requests with a deadline, not terminal yet */
} O;

static void post_async(void *arg);

static void sender(ch_svc_http_post *req) { ch_loop_post(post_async, req); }

void ch_outbound_init(struct lws_context *ctx, ch_store *store, ch_workq *workers, int allow_private)
{
	O.ctx = ctx;
	O.store = store;
	O.workers = workers;
	O.allow_private = allow_private;
	ch_svc_http_sender_set(sender);
}

/* URL → parts and the one address to connect to; DNS on this (worker)
 * thread. */
static void resolve(loaded *r)
{
	ch_netaddr_kind kind;
	if (r->o.why[0]) /* rejected, not sent */
		return;
	if (ch_netaddr_url_parse(r->o.url, &r->u)) {
		snprintf(r->why, sizeof r->why, "outbound URL unusable");
		return;
	}
	/* a bot's platform is the configured API base: the operator chose it */
	int rc = ch_netaddr_resolve_v4(r->u.host, O.allow_private || r->o.platform, r->ip, &kind);
	if (rc == -2)
		snprintf(r->why, sizeof r->why, "refused: %s resolves to a non-public address", r->u.host);
	else if (rc)
		snprintf(r->why, sizeof r->why, "%s does not resolve", r->u.host);
}

static void report(out_req *r, int status, const char *why)
{
	if (r->reported)
		return;
	r->reported = 1;
	r->p.done(r->p.arg, status, why, r->ans.data, r->ans.len);
}

static void unref(out_req *r)
{
	if (--r->refs == 0) {
		free(r->p.body);
		ch_buf_free(&r->ans);
		free(r);
	}
}

static void untime(out_req *r)
{
	if (!r->timed)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		O.timed = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->timed = 0;
	r->prev = r->next = NULL;
}

/* lws's last callback for r: it holds r no more. */
static void lws_done(out_req *r)
{
	if (!r || r->terminal)
		return;
	r->terminal = 1;
	r->wsi = NULL;
	untime(r);
	unref(r);
}

/* Requests past their deadline fail now; lws closes their connections. */
static void cut_overdue(void)
{
	int64_t now = ch_mono_ms();
	for (out_req *r = O.timed, *next; r; r = next) {
		next = r->next;
		if (now < r->deadline_ms)
			continue;
		char why[48];
		snprintf(why, sizeof why, "no answer within %d s", r->p.timeout_s);
		untime(r);
		report(r, 0, why);
		if (r->wsi && !r->terminal)
			lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

/* Starts one POST (network thread); takes ownership of req. */
static void send_now(ch_svc_http_post *req)
{
	out_req *r = ch_xcalloc(1, sizeof *r);
	r->p = *req;
	free(req);
	r->refs = 2;
	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof ci);
	ci.context = O.ctx;
	ci.address = r->p.ip;
	ci.port = r->p.u.port;
	ci.ssl_connection = r->p.u.tls ? LCCSCF_USE_SSL : 0;
	ci.path = r->p.u.path;
	ci.host = r->p.u.host;
	ci.origin = r->p.u.host;
	ci.method = r->p.method ? r->p.method : "POST";
	ci.local_protocol_name = CH_OUTBOUND_PROTOCOL;
	ci.userdata = r;
	ci.pwsi = &r->wsi;
	if (r->p.timeout_s > 0) {
		r->deadline_ms = ch_mono_ms() + 1000LL * r->p.timeout_s;
		r->next = O.timed;
		if (O.timed)
			O.timed->prev = r;
		O.timed = r;
		r->timed = 1;
	}
	if (!lws_client_connect_via_info(&ci)) {
		report(r, 0, "cannot connect"); /* no-op if lws already reported */
		if (!r->terminal) { /* lws will not call back for it */
			r->terminal = 1;
			r->wsi = NULL;
			untime(r);
			r->refs--;
		}
	}
	unref(r);
}

static void post_async(void *arg)
{
	ch_svc_http_post *req = arg;
	if (!O.ctx) {
		req->done(req->arg, 0, "no outbound HTTP client", NULL, 0);
		free(req->body);
		free(req);
		return;
	}
	send_now(req);
}

/* ---- channel deliveries ------------------------------------------------------ */

static void load_now(void);

/* When a batch that delivered something ends, the next one is loaded at
 * once, not at the next tick: a chat's next reply waits for the one before it
 * (the claim keeps each chat's order), so a busy chat is not held to one reply
 * a second. A batch that delivered nothing waits for the tick. */
static void channel_finished(int ok)
{
	O.delivered |= ok;
	if (--O.outstanding > 0)
		return;
	O.busy = 0;
	if (O.delivered) {
		O.delivered = 0;
		load_now();
	}
}

static void channel_done(void *arg, int status, const char *why, const char *body, size_t len)
{
	(void)body;
	(void)len;
	channel_arg *a = arg;
	char text[64];
	int ok = status >= 200 && status < 300;
	if (!why || (status && !ok)) {
		snprintf(text, sizeof text, "HTTP %d", status);
		why = text;
	}
	if (!ok)
		CH_INFO("outbound: delivery %lld attempt %d failed: %s", (long long)a->delivery_id, a->attempts + 1, why);
	ch_svc_outbound_result(a->delivery_id, a->attempts, ok, 0, why);
	free(a);
	channel_finished(ok);
}

static void bot_done(void *arg, int status, const char *why, const char *body, size_t len)
{
	channel_arg *a = arg;
	if (status / 100 != 2)
		CH_INFO("outbound: delivery %lld attempt %d: the platform answered %d%s%s", (long long)a->delivery_id,
		        a->attempts + 1, status, why ? ": " : "", why ? why : "");
	ch_svc_outbound_answered(&a->bot, status, why, body, len);
	explicit_bzero(&a->bot, sizeof a->bot);
	free(a);
	channel_finished(status / 100 == 2);
}

/* A bot's request: its own content type and headers, its answer read. */
static void bot_request(ch_svc_http_post *req, loaded *l, channel_arg *a)
{
	a->bot = l->o;
	a->bot.body = NULL;
	snprintf(req->content_type, sizeof req->content_type, "%s", l->o.content_type);
	if (l->o.header.name[0]) {
		snprintf(req->h[0].name, sizeof req->h[0].name, "%s", l->o.header.name);
		snprintf(req->h[0].value, sizeof req->h[0].value, "%s", l->o.header.value);
		req->nh = 1;
	}
	req->answer_max = 65536;
	req->done = bot_done;
	req->arg = a;
	explicit_bzero(&l->o.header, sizeof l->o.header);
}

static void start(void *arg)
{
	batch *b = arg;
	O.outstanding = (int)b->n;
	if (!b->n)
		O.busy = 0;
	for (size_t i = 0; i < b->n; i++) {
		loaded *l = &b->req[i];
		if (l->o.why[0]) { /* a bot's reply that can never go out */
			ch_svc_outbound_reject(&l->o);
			channel_finished(0);
			continue;
		}
		if (l->why[0]) { /* it cannot be attempted at all: given up */
			CH_INFO("outbound: delivery %lld attempt %d failed: %s", (long long)l->o.delivery_id,
			        l->o.attempts + 1, l->why);
			ch_svc_outbound_result(l->o.delivery_id, l->o.attempts, 0, 1, l->why);
			free(l->o.body);
			channel_finished(0);
			continue;
		}
		ch_svc_http_post *req = ch_xcalloc(1, sizeof *req);
		channel_arg *a = ch_xmalloc(sizeof *a);
		a->delivery_id = l->o.delivery_id;
		a->attempts = l->o.attempts;
		req->u = l->u;
		memcpy(req->ip, l->ip, sizeof req->ip);
		req->body = l->o.body;
		req->len = l->o.len;
		req->timeout_s = CH_SVC_OUTBOUND_TIMEOUT_S;
		if (l->o.platform) {
			bot_request(req, l, a);
			send_now(req);
			continue;
		}
		snprintf(req->h[0].name, sizeof req->h[0].name, "x-chathub-signature");
		snprintf(req->h[0].value, sizeof req->h[0].value, "%s", l->o.signature);
		snprintf(req->h[1].name, sizeof req->h[1].name, "x-chathub-event-id");
		snprintf(req->h[1].value, sizeof req->h[1].value, "%s", l->o.event_id);
		req->nh = 2;
		req->done = channel_done;
		req->arg = a;
		send_now(req);
	}
	free(b);
}

/* A write job (the claim leases the rows); it may run again when the
 * PostgreSQL writer replays its batch, so it starts from nothing. */
static ch_err load_tx(ch_store_tx *tx, void *arg)
{
	batch *b = arg;
	for (size_t i = 0; i < b->n; i++)
		free(b->req[i].o.body);
	b->n = 0;
	ch_svc_outbound o[BATCH];
	size_t n = 0;
	ch_err e = ch_svc_outbound_load(tx, ch_now_ms(), o, BATCH, &n);
	for (size_t i = 0; i < n; i++)
		b->req[i].o = o[i];
	b->n = n;
	return e;
}

static void load_run(void *arg)
{
	batch *b = arg;
	if (ch_store_write_sync(O.store, load_tx, b)) {
		for (size_t i = 0; i < b->n; i++)
			free(b->req[i].o.body);
		b->n = 0;
	}
	/* after the job: a slow resolver must not hold the writer */
	for (size_t i = 0; i < b->n; i++)
		resolve(&b->req[i]);
	ch_loop_post(start, b);
}

static void load_now(void)
{
	if (O.busy || !O.workers)
		return;
	O.busy = 1;
	ch_workq_submit(O.workers, load_run, ch_xcalloc(1, sizeof(batch)));
}

void ch_outbound_tick(void)
{
	cut_overdue();
	load_now();
}

static int add_headers(struct lws *wsi, out_req *r, unsigned char **p, unsigned char *end)
{
	char len[24];
	int has_body = !r->p.method || strcmp(r->p.method, "GET");
	const char *type = r->p.content_type[0] ? r->p.content_type : "application/json";
	snprintf(len, sizeof len, "%zu", r->p.len);
	if (has_body &&
	    (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (unsigned char *)type, (int)strlen(type), p, end) ||
	     lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, (unsigned char *)len, (int)strlen(len), p, end)))
		return -1;
	for (size_t i = 0; i < r->p.nh; i++) {
		char name[48];
		snprintf(name, sizeof name, "%s:", r->p.h[i].name);
		if (lws_add_http_header_by_name(wsi, (unsigned char *)name, (unsigned char *)r->p.h[i].value,
		                                (int)strlen(r->p.h[i].value), p, end))
			return -1;
	}
	if (!has_body)
		return 0;
	lws_client_http_body_pending(wsi, 1);
	lws_callback_on_writable(wsi);
	return 0;
}

/* A chunk of the answer's body: kept up to answer_max; past it the request
 * fails (a download larger than allowed is not read to its end). */
static int keep_answer(out_req *r, const void *in, size_t len)
{
	if (!r || r->terminal || !r->p.answer_max)
		return 0;
	if (r->ans.len + len > r->p.answer_max) {
		char why[80];
		snprintf(why, sizeof why, "the answer is larger than %zu bytes", r->p.answer_max);
		report(r, 0, why);
		return -1;
	}
	ch_buf_append(&r->ans, in, len);
	return 0;
}

static int write_body(struct lws *wsi, out_req *r)
{
	size_t n = r->p.len - r->sent > 16384 ? 16384 : r->p.len - r->sent;
	unsigned char *buf = ch_xmalloc(LWS_PRE + n + 1);
	memcpy(buf + LWS_PRE, r->p.body + r->sent, n);
	int last = r->sent + n == r->p.len;
	int w = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	free(buf);
	if (w < (int)n)
		return -1;
	r->sent += n;
	if (last)
		lws_client_http_body_pending(wsi, 0);
	else
		lws_callback_on_writable(wsi);
	return 0;
}

int ch_outbound_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	out_req *r = user;
	char buf[LWS_PRE + 1024], *px = buf + LWS_PRE;
	int lenx = sizeof buf - LWS_PRE;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return r && !r->terminal ? add_headers(wsi, r, (unsigned char **)in, (unsigned char *)in + len) : 0;
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		return r && !r->terminal && r->p.body ? write_body(wsi, r) : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if (r && !r->terminal)
			r->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return keep_answer(r, in, len);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (r && !r->terminal) {
			report(r, r->status, NULL);
		}
		return -1; /* one request per connection */
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (r && !r->terminal) {
			report(r, 0, in ? (const char *)in : "connection error");
			lws_done(r);
		}
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (r && !r->terminal) {
			report(r, r->status, "closed before the answer");
			lws_done(r);
		}
		return 0;
	default:
		return 0;
	}
}
