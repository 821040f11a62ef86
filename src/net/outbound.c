/* outbound.c — the lws HTTP client side of channel deliveries (see
 * outbound.h). At most one batch is in flight; the next load waits until every
 * attempt of the batch is recorded, so a delivery is never sent twice at once;
 * the load claims (leases) its rows, so no other process sends them either.
 * The address checked is the address connected to: lws gets the resolved IP,
 * never the name, so a second lookup cannot lead elsewhere. */
#include "net/outbound.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "net/loop.h"
#include "svc/svc.h"

#define BATCH 8

/* What resolve() found for a delivery's URL. */
enum { TARGET_OK, TARGET_BAD_URL, TARGET_UNRESOLVED, TARGET_REFUSED };

typedef struct out_req {
	ch_svc_outbound o;
	ch_netaddr_url u;
	char ip[64];
	int target;
	int status, reported;
	int refs;     /* lws's (until a terminal callback) + start()'s */
	int terminal; /* lws said its last word on this request */
	size_t sent;
} out_req;

typedef struct batch {
	out_req req[BATCH];
	size_t n;
} batch;

static struct {
	struct lws_context *ctx;
	ch_store *store;
	ch_workq *workers;
	int allow_private;
	int busy;
	int outstanding;
} O;

void ch_outbound_init(struct lws_context *ctx, ch_store *store, ch_workq *workers, int allow_private)
{
	O.ctx = ctx;
	O.store = store;
	O.workers = workers;
	O.allow_private = allow_private;
}

/* URL → parts and the one address to connect to; DNS on this (worker)
 * thread. IPv4 only: the classifier and the connection agree on AF_INET. */
static int resolve(out_req *r)
{
	if (ch_netaddr_url_parse(r->o.url, &r->u))
		return TARGET_BAD_URL;
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(r->u.host, NULL, &hints, &res) || !res)
		return TARGET_UNRESOLVED;
	struct in_addr a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	if (!ch_netaddr_is_public(ntohl(a.s_addr), O.allow_private))
		return TARGET_REFUSED;
	inet_ntop(AF_INET, &a, r->ip, sizeof r->ip);
	return TARGET_OK;
}

/* Why a delivery cannot be attempted at all (it is given up). */
static void target_error(const out_req *r, char *why, size_t n)
{
	if (r->target == TARGET_REFUSED)
		snprintf(why, n, "refused: %s resolves to a non-public address", r->u.host);
	else if (r->target == TARGET_UNRESOLVED)
		snprintf(why, n, "%s does not resolve", r->u.host);
	else
		snprintf(why, n, "outbound URL unusable");
}

static void report(out_req *r, int ok, int final, const char *why)
{
	if (r->reported)
		return;
	r->reported = 1;
	if (!ok)
		CH_INFO("outbound: delivery %lld attempt %d failed: %s", (long long)r->o.delivery_id, r->o.attempts + 1, why);
	ch_svc_outbound_result(r->o.delivery_id, r->o.attempts, ok, final, why);
	if (--O.outstanding == 0)
		O.busy = 0;
}

static void unref(out_req *r)
{
	if (--r->refs == 0) {
		free(r->o.body);
		free(r);
	}
}

/* lws's last callback for r: it holds r no more. */
static void lws_done(out_req *r)
{
	if (!r || r->terminal)
		return;
	r->terminal = 1;
	unref(r);
}

static void start(void *arg)
{
	batch *b = arg;
	O.outstanding = (int)b->n;
	if (!b->n)
		O.busy = 0;
	for (size_t i = 0; i < b->n; i++) {
		out_req *r = ch_xmalloc(sizeof *r);
		*r = b->req[i];
		r->refs = 2;
		if (r->target != TARGET_OK) {
			char why[320];
			target_error(r, why, sizeof why);
			report(r, 0, 1, why);
			r->terminal = 1;
			r->refs--;
			unref(r);
			continue;
		}
		struct lws_client_connect_info ci;
		memset(&ci, 0, sizeof ci);
		ci.context = O.ctx;
		ci.address = r->ip;
		ci.port = r->u.port;
		ci.ssl_connection = r->u.tls ? LCCSCF_USE_SSL : 0;
		ci.path = r->u.path;
		ci.host = r->u.host;
		ci.origin = r->u.host;
		ci.method = "POST";
		ci.local_protocol_name = CH_OUTBOUND_PROTOCOL;
		ci.userdata = r;
		if (!lws_client_connect_via_info(&ci)) {
			report(r, 0, 0, "cannot connect"); /* no-op if lws already reported */
			if (!r->terminal) { /* lws will not call back for it */
				r->terminal = 1;
				r->refs--;
			}
		}
		unref(r);
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
		b->req[i].target = resolve(&b->req[i]);
	ch_loop_post(start, b);
}

void ch_outbound_tick(void)
{
	if (O.busy || !O.workers)
		return;
	O.busy = 1;
	ch_workq_submit(O.workers, load_run, ch_xcalloc(1, sizeof(batch)));
}

static int add_headers(struct lws *wsi, out_req *r, unsigned char **p, unsigned char *end)
{
	char len[24];
	snprintf(len, sizeof len, "%zu", r->o.len);
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (unsigned char *)"application/json", 16, p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, (unsigned char *)len, (int)strlen(len), p, end) ||
	    lws_add_http_header_by_name(wsi, (unsigned char *)"x-chathub-signature:", (unsigned char *)r->o.signature,
	                                (int)strlen(r->o.signature), p, end) ||
	    lws_add_http_header_by_name(wsi, (unsigned char *)"x-chathub-event-id:", (unsigned char *)r->o.event_id,
	                                (int)strlen(r->o.event_id), p, end))
		return -1;
	lws_client_http_body_pending(wsi, 1);
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_body(struct lws *wsi, out_req *r)
{
	size_t n = r->o.len - r->sent > 16384 ? 16384 : r->o.len - r->sent;
	unsigned char *buf = ch_xmalloc(LWS_PRE + n + 1);
	memcpy(buf + LWS_PRE, r->o.body + r->sent, n);
	int last = r->sent + n == r->o.len;
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
		return r && !r->terminal && r->o.body ? write_body(wsi, r) : 0;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if (r && !r->terminal)
			r->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (r && !r->terminal) {
			char why[48];
			snprintf(why, sizeof why, "HTTP %d", r->status);
			report(r, r->status >= 200 && r->status < 300, 0, why);
		}
		return -1; /* one request per connection */
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (r && !r->terminal) {
			report(r, 0, 0, in ? (const char *)in : "connection error");
			lws_done(r);
		}
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (r && !r->terminal) {
			report(r, r->status >= 200 && r->status < 300, 0, "closed before the answer");
			lws_done(r);
		}
		return 0;
	default:
		return 0;
	}
}
