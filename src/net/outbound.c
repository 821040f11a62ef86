/* outbound.c — the lws HTTP client side of channel deliveries (see
 * outbound.h). At most one batch is in flight; the next load waits until every
 * attempt of the batch is recorded, so a delivery is never sent twice at once. */
#include "net/outbound.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/loop.h"
#include "svc/svc.h"

#define BATCH 8

typedef struct out_req {
	ch_svc_outbound o;
	char ip[64], host[256], path[1024];
	int port, tls, ok_url;
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
	int busy;
	int outstanding;
} O;

void ch_outbound_init(struct lws_context *ctx, ch_store *store, ch_workq *workers)
{
	O.ctx = ctx;
	O.store = store;
	O.workers = workers;
}

/* http(s)://host[:port][/path] → parts; DNS on this (worker) thread. */
static int resolve(out_req *r)
{
	const char *u = r->o.url, *p;
	r->tls = !strncasecmp(u, "https://", 8);
	if (!r->tls && strncasecmp(u, "http://", 7))
		return -1;
	p = u + (r->tls ? 8 : 7);
	size_t hl = strcspn(p, ":/");
	if (!hl || hl >= sizeof r->host)
		return -1;
	memcpy(r->host, p, hl);
	r->host[hl] = '\0';
	p += hl;
	r->port = r->tls ? 443 : 80;
	if (*p == ':')
		r->port = atoi(++p), p += strspn(p, "0123456789");
	snprintf(r->path, sizeof r->path, "%s", *p ? p : "/");
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (r->port <= 0 || r->port > 65535 || getaddrinfo(r->host, NULL, &hints, &res) || !res)
		return -1;
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, r->ip, sizeof r->ip);
	freeaddrinfo(res);
	return 0;
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
		if (!r->ok_url) {
			report(r, 0, 1, "outbound URL unusable or its host does not resolve");
			r->terminal = 1;
			r->refs--;
			unref(r);
			continue;
		}
		struct lws_client_connect_info ci;
		memset(&ci, 0, sizeof ci);
		ci.context = O.ctx;
		ci.address = r->ip;
		ci.port = r->port;
		ci.ssl_connection = r->tls ? LCCSCF_USE_SSL : 0;
		ci.path = r->path;
		ci.host = r->host;
		ci.origin = r->host;
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

static ch_err load_tx(ch_store_tx *tx, void *arg)
{
	batch *b = arg;
	ch_svc_outbound o[BATCH];
	size_t n = 0;
	ch_err e = ch_svc_outbound_load(tx, ch_now_ms(), o, BATCH, &n);
	for (size_t i = 0; i < n; i++) {
		b->req[i].o = o[i];
		b->req[i].ok_url = resolve(&b->req[i]) == 0;
	}
	b->n = n;
	return e;
}

static void load_run(void *arg)
{
	batch *b = arg;
	if (ch_store_read(O.store, load_tx, b)) {
		for (size_t i = 0; i < b->n; i++)
			free(b->req[i].o.body);
		b->n = 0;
	}
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
