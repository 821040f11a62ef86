/* http.c — the HTTP side of the lws protocol callback.
 *
 * A connection is counted against its address when it is accepted
 * (net/peers.c: max_connections, max_connections_per_ip; past them it is
 * closed at once, before any byte is read). A request is assembled from lws
 * headers and body callbacks into a ch_req. When its headers are in,
 * admission (ch_api_admit) decides what the body may cost before any of it is
 * read: the rate limits, the token's signature, the body limit for this route
 * and caller. The body is then kept only within that limit and the body
 * budget (body_memory_max, shared by all requests, a share per address);
 * past either it is read and dropped, and the request is answered without
 * running (413, 503). Then the request is answered on the spot (static files,
 * early errors) or handed to a worker pool as a job that runs
 * ch_api_handle(). The job carries a ch_conn_ref, never the struct lws *; its
 * result comes back through ch_loop_post() and is dropped if the connection
 * went away meanwhile. Responses are written from LWS_CALLBACK_HTTP_WRITEABLE:
 * headers first, then the body in chunks of at most CHUNK bytes.
 * Threading: network thread only.
 */
#include "net/http.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/baseurl.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/idmap.h"
#include "net/conns.h"
#include "net/loop.h"
#include "net/peers.h"
#include "net/sessions.h"
#include "net/static.h"
#include "net/wsguard.h"

#define CHUNK (64 * 1024)
#define HEADERS_MAX 4096
#define INLINE_BODY_MAX (16 * 1024)
#define DISCARD_LIMIT_FACTOR 64 /* past limit × this, stop reading and close */

typedef struct http_pss {
	ch_conn_ref ref;
	ch_req req;
	int64_t max_body;
	ch_pool pool;         /* from ch_api_admit() when the headers arrived */
	ch_err early;         /* answer without running the request (admission, body budget, full queue) */
	const char *early_why; /* its message (static), or NULL for the default */
	int retry_after;      /* with early */
	int64_t received;
	int64_t t0_us;
	int waiting_body;
	int client_close;  /* the request said `Connection: close`: close once answered */
	int job_pending;   /* a worker has the request */
	int counted;       /* counted in inflight */
	ch_resp resp;
	int resp_ready;
	const ch_static_variant *file; /* body comes from here instead of resp.body */
	size_t sent;
	int hdr_sent;
	ch_ws_state ws;             /* after an upgrade to /chathub */
	ch_session_req hub;         /* a request of the hub's HTTP transports (net/sessions.c) */
	char peer[sizeof ((ch_req *)0)->peer]; /* the connection's peer address, once known */
} http_pss;

typedef struct http_job {
	ch_api *api;
	ch_conn_ref ref;
	ch_req req;
	ch_resp resp;
} http_job;

static ch_http_opts opts;
static int inflight;
static int draining;
static uint64_t next_req_id;
/* Every accepted connection's address entry, by its struct lws *. lws names
 * the address before the connection exists (FILTER_NETWORK_CONNECTION) and
 * creates it right after, in the same call (WSI_CREATE): pending carries it. */
static ch_idmap peer_of_wsi;
static ch_peer *pending_peer;

static ch_peer *peer_of(struct lws *wsi) { return ch_idmap_get(&peer_of_wsi, (int64_t)(intptr_t)wsi); }

size_t ch_http_pss_size(void) { return sizeof(http_pss); }
ch_ws_state *ch_http_ws_state(struct lws *wsi) { return &((http_pss *)lws_wsi_user(wsi))->ws; }
void ch_http_init(const ch_http_opts *o) { opts = *o; }
int ch_http_inflight(void) { return inflight; }
void ch_http_set_draining(void) { draining = 1; }

static char *dup_hdr(struct lws *wsi, enum lws_token_indexes t)
{
	int n = lws_hdr_total_length(wsi, t);
	if (n <= 0)
		return NULL;
	char *s = ch_xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, s, n + 1, t) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static char *dup_custom(struct lws *wsi, const char *name)
{
	int nl = (int)strlen(name);
	int n = lws_hdr_custom_length(wsi, name, nl);
	if (n <= 0)
		return NULL;
	char *s = ch_xmalloc((size_t)n + 1);
	if (lws_hdr_custom_copy(wsi, s, n + 1, name, nl) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

static ch_method method_of(struct lws *wsi)
{
	char *uri;
	int ulen;
	switch (lws_http_get_uri_and_method(wsi, &uri, &ulen)) {
	case LWSHUMETH_GET: return CH_M_GET;
	case LWSHUMETH_POST: return CH_M_POST;
	case LWSHUMETH_OPTIONS: return CH_M_OPTIONS;
	case LWSHUMETH_PUT: return CH_M_PUT;
	case LWSHUMETH_PATCH: return CH_M_PATCH;
	case LWSHUMETH_DELETE: return CH_M_DELETE;
	case LWSHUMETH_HEAD: return CH_M_HEAD;
	default: return CH_M_OTHER;
	}
}

/* Marks the request refused for its query arg i, too long for args, and
 * keeps that arg's name for the message (the headers are at most 8 KiB). */
static void too_long(struct lws *wsi, ch_req *r, int i)
{
	int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
	if (!r->arg_too_long && len > 0) {
		char *big = ch_xmalloc((size_t)len + 1);
		if (lws_hdr_copy_fragment(wsi, big, len + 1, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0) {
			size_t n = strcspn(big, "=");
			snprintf(r->too_long_name, sizeof r->too_long_name, "%.*s", (int)(n > 64 ? 64 : n), big);
		}
		free(big);
	}
	r->arg_too_long = 1;
}

static void read_request(struct lws *wsi, http_pss *p, const char *path)
{
	ch_req *r = &p->req;
	memset(r, 0, sizeof *r);
	r->id = ++next_req_id;
	r->method = method_of(wsi);
	r->path = ch_xstrdup(path && *path ? path : "/");
	char arg[4096];
	/* A parameter longer than arg is not dropped silently (the handler would
	 * answer as if it had not been asked): the request is refused (api.c). */
	for (int i = 0; r->nargs < CH_REQ_MAX_ARGS; i++) {
		if (lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0)
			r->args[r->nargs++] = ch_xstrdup(arg);
		else if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) >= (int)sizeof arg)
			too_long(wsi, r, i);
		else
			break;
	}
	r->authorization = dup_hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	r->x_auth_key = dup_custom(wsi, "x-authorization-key:");
	r->accept = dup_hdr(wsi, WSI_TOKEN_HTTP_ACCEPT);
	r->content_type = dup_hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	r->origin = dup_hdr(wsi, WSI_TOKEN_ORIGIN);
	r->host = dup_hdr(wsi, WSI_TOKEN_HOST);
	r->forwarded_proto = dup_custom(wsi, "x-forwarded-proto:");
	r->if_none_match = dup_hdr(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
	r->ac_request_method = dup_custom(wsi, "access-control-request-method:");
	r->signature = dup_custom(wsi, "x-chathub-signature:");
	r->tg_secret = dup_custom(wsi, "x-telegram-bot-api-secret-token:");
	r->viber_signature = dup_custom(wsi, "x-viber-content-signature:");
	r->user_agent = dup_hdr(wsi, WSI_TOKEN_HTTP_USER_AGENT);
	/* The address the connection was admitted under (net/peers.c): behind a
	 * trusted balancer the client's from its PROXY header, not the socket's. */
	if (!p->peer[0]) {
		ch_peer *pr = peer_of(wsi);
		if (pr)
			snprintf(p->peer, sizeof p->peer, "%s", ch_peers_ip(pr));
		else /* not counted (accepted before the count began): one getpeername(2) per connection */
			lws_get_peer_simple(wsi, p->peer, sizeof p->peer);
	}
	memcpy(r->peer, p->peer, sizeof r->peer);
}

/* ---- the body budget ----------------------------------------------------- */

/* Frees a request and gives back the body bytes it held (net/peers.c). */
static void free_req(ch_req *r)
{
	if (r->body_reserved) {
		ch_peers_release(r->peer_ref, r->body_reserved);
		ch_metrics_gauge_set(CH_GAUGE_BODY_BYTES, ch_peers_body_bytes());
	}
	ch_req_free(r);
}

/* Holds n more bytes of body for r, or answers 503 (the rest is dropped). */
static int reserve_body(http_pss *p, int64_t n)
{
	if (!ch_peers_reserve(p->req.peer_ref, n)) {
		p->req.body_reserved += n;
		ch_metrics_gauge_set(CH_GAUGE_BODY_BYTES, ch_peers_body_bytes());
		return 0;
	}
	ch_metrics_counter_add(CH_COUNTER_BODY_REFUSED, 1);
	p->early = CH_ERR_BUSY;
	p->early_why = "the server is holding as many request bodies as it may; retry later";
	p->retry_after = 1;
	return -1;
}

/* ---- responses ---------------------------------------------------------- */

static void respond(struct lws *wsi, http_pss *p)
{
	p->resp_ready = 1;
	p->sent = 0;
	p->hdr_sent = 0;
	lws_callback_on_writable(wsi);
}

static void respond_error(struct lws *wsi, http_pss *p, ch_err e, const char *route, const char *msg)
{
	ch_resp_free(&p->resp);
	memset(&p->resp, 0, sizeof p->resp);
	ch_api_error_resp(&p->resp, e, "%s", msg);
	p->resp.route = route;
	respond(wsi, p);
}

/* The answer admission or the body budget decided, without running the request. */
static void respond_early(struct lws *wsi, http_pss *p)
{
	const char *msg = p->early == CH_ERR_RATE_LIMITED ? "too many requests; retry later"
	                  : p->early_why ? p->early_why : "the server is busy; retry later";
	respond_error(wsi, p, p->early, p->early == CH_ERR_RATE_LIMITED ? "rate_limited" : "busy", msg);
	ch_resp_header(&p->resp, "Retry-After", "%d", p->retry_after > 0 ? p->retry_after : 1);
}

static int add_header_line(struct lws *wsi, const char *line, size_t len, unsigned char **pp,
                           unsigned char *end)
{
	const char *colon = memchr(line, ':', len);
	if (!colon)
		return 0;
	char name[128];
	size_t nl = (size_t)(colon - line);
	if (nl + 2 > sizeof name)
		return 0;
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)(line[i] >= 'A' && line[i] <= 'Z' ? line[i] + 32 : line[i]);
	name[nl] = ':';
	name[nl + 1] = '\0';
	const char *v = colon + 1;
	while (*v == ' ')
		v++;
	return lws_add_http_header_by_name(wsi, (unsigned char *)name, (const unsigned char *)v,
	                                   (int)(line + len - v), pp, end);
}

int ch_http_add_headers(struct lws *wsi, const ch_buf *headers, unsigned char **pp, unsigned char *end)
{
	const char *h = headers->data;
	for (size_t off = 0; h && off < headers->len;) {
		const char *eol = strstr(h + off, "\r\n");
		size_t n = eol ? (size_t)(eol - (h + off)) : headers->len - off;
		if (add_header_line(wsi, h + off, n, pp, end))
			return -1;
		off += n + 2;
	}
	return 0;
}

/* Writes the headers; when the body is small it goes in the same write (one
 * syscall and no second WRITEABLE round) and *body_sent is set. */
static int write_headers(struct lws *wsi, http_pss *p, const char *body, size_t body_len,
                         int *body_sent)
{
	unsigned char buf[LWS_PRE + HEADERS_MAX + INLINE_BODY_MAX], *start = buf + LWS_PRE, *pp = start,
	              *end = buf + LWS_PRE + HEADERS_MAX - 1;
	const char *ct = p->resp.content_type ? p->resp.content_type : "text/plain; charset=utf-8";
	if (lws_add_http_common_headers(wsi, (unsigned)p->resp.status, ct, body_len, &pp, end))
		return -1;
	if (ch_http_add_headers(wsi, &p->resp.headers, &pp, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, (unsigned char *)"x-content-type-options:",
	                                (unsigned char *)"nosniff", 7, &pp, end))
		return -1;
	if (p->resp.close && lws_add_http_header_by_name(wsi, (unsigned char *)"connection:",
	                                                 (unsigned char *)"close", 5, &pp, end))
		return -1;
	*body_sent = body_len <= INLINE_BODY_MAX && p->req.method != CH_M_HEAD;
	if (!*body_sent)
		return lws_finalize_write_http_header(wsi, start, &pp, end) ? -1 : 0;
	if (lws_finalize_http_header(wsi, &pp, end))
		return -1;
	if (body_len)
		memcpy(pp, body, body_len);
	size_t n = (size_t)(pp - start) + body_len;
	/* HTTP_HEADERS: sent as is, outside lws' body accounting */
	return lws_write(wsi, start, n, LWS_WRITE_HTTP_HEADERS) < (int)n ? -1 : 0;
}

static void finish_inflight(http_pss *p)
{
	if (p->counted) {
		p->counted = 0;
		inflight--;
	}
}

/* Whether the request's Connection header lists `close`. lws closes such a
 * connection itself, except after a POST that had neither Content-Length nor
 * Transfer-Encoding (a body of length 0): that one lingered until the idle
 * timeout, an open descriptor the client had given up. */
static int wants_close(struct lws *wsi)
{
	char v[128];
	if (lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_CONNECTION) <= 0)
		return 0;
	char *save = NULL;
	for (char *tok = strtok_r(v, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (!strcasecmp(tok, "close"))
			return 1;
	return 0;
}

/* ---- the keep-alive handover ---------------------------------------------
 * After each answer on a keep-alive connection lws 4.1 holds it in a state
 * that reads nothing until the socket reports POLLOUT, and arms POLLOUT for
 * that (lws_http_transaction_completed): two epoll_ctl calls and a loop turn
 * per request. A connection whose answer was written whole has just shown
 * its socket takes data, so before the loop sleeps (ch_http_settle) lws gets
 * that POLLOUT from us, through lws_service_fd as the event loop would give
 * it; libev then sees the arm and the disarm in one turn and makes no call.
 * A connection with output still buffered, a body not read to its end, or a
 * close pending is left to lws' own POLLOUT. lws frees our per-connection
 * data when the transaction completes, so the list holds the struct lws *,
 * dropped from it when lws destroys the connection (WSI_DESTROY). */
static struct lws **settle_list;
static size_t settle_n, settle_cap;

static void settle_add(struct lws *wsi)
{
	if (settle_n == settle_cap) {
		settle_cap = settle_cap ? settle_cap * 2 : 64;
		settle_list = ch_xrealloc(settle_list, settle_cap * sizeof *settle_list);
	}
	settle_list[settle_n++] = wsi;
}

static void settle_forget(struct lws *wsi)
{
	for (size_t i = 0; i < settle_n; i++)
		if (settle_list[i] == wsi)
			settle_list[i] = NULL;
}

void ch_http_settle(void)
{
	for (size_t i = 0; i < settle_n; i++) {
		struct lws *wsi = settle_list[i];
		if (!wsi || lws_partial_buffered(wsi))
			continue; /* gone, or lws sends its remainder on a real POLLOUT */
		settle_list[i] = NULL;
		struct lws_pollfd pfd = {.fd = lws_get_socket_fd(wsi), .events = LWS_POLLOUT, .revents = LWS_POLLOUT};
		if (pfd.fd >= 0)
			lws_service_fd(lws_get_context(wsi), &pfd); /* may close it: WSI_DESTROY clears later entries */
	}
	settle_n = 0;
}

/* Response done: metrics, reset for the next request on this connection. */
static int complete(struct lws *wsi, http_pss *p)
{
	ch_metrics_http(p->resp.route ? p->resp.route : "unknown", p->resp.status,
	                ch_mono_us() - p->t0_us);
	int close_it = p->resp.close || p->client_close;
	int settle = !p->waiting_body && !lws_partial_buffered(wsi);
	free_req(&p->req);
	ch_resp_free(&p->resp);
	memset(&p->resp, 0, sizeof p->resp);
	p->resp_ready = 0;
	p->file = NULL;
	p->hub.kind = 0;
	finish_inflight(p);
	if (close_it)
		return -1;
	if (lws_http_transaction_completed(wsi)) /* p is freed from here on */
		return -1;
	if (settle)
		settle_add(wsi);
	return 0;
}

static int on_writeable(struct lws *wsi, http_pss *p)
{
	if (!p->resp_ready) {
		if (!p->hub.kind)
			return 0;
		/* a held poll, stream or send of the hub's transports */
		ch_resp_free(&p->resp);
		memset(&p->resp, 0, sizeof p->resp);
		int rc = ch_sessions_writeable(wsi, p->ref, &p->hub, &p->req, &p->resp);
		if (rc <= 0)
			return rc;
		p->resp_ready = 1;
		p->sent = 0;
		p->hdr_sent = 0;
	}
	const char *body = p->file ? p->file->data : p->resp.body.data;
	size_t len = p->file ? p->file->len : p->resp.body.len;
	if (p->resp.status == 204 || p->resp.status == 304)
		len = 0; /* HEAD keeps len: the headers announce what GET would send */
	if (!p->hdr_sent) {
		int body_sent = 0;
		if (write_headers(wsi, p, body, len, &body_sent))
			return -1;
		p->hdr_sent = 1;
		if (body_sent || len == 0 || p->req.method == CH_M_HEAD)
			return complete(wsi, p);
		lws_callback_on_writable(wsi);
		return 0;
	}
	size_t n = len - p->sent > CHUNK ? CHUNK : len - p->sent;
	unsigned char *out = ch_xmalloc(LWS_PRE + n);
	memcpy(out + LWS_PRE, body + p->sent, n);
	int final = p->sent + n == len;
	int w = lws_write(wsi, out + LWS_PRE, n, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
	free(out);
	if (w < (int)n)
		return -1;
	p->sent += n;
	if (final)
		return complete(wsi, p);
	lws_callback_on_writable(wsi);
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */

/* A negotiate answer: its hub connection exists before the client can name it. */
static void register_negotiated(const ch_req *req, ch_resp *resp)
{
	if (resp->status != 200 || !req->token_checked || req->token_err != CH_OK)
		return;
	ch_principal pr = ch_principal_from_claims(&req->claims);
	char base[CH_BASE_URL_MAX];
	ch_base_url(NULL, req->host, req->forwarded_proto, base); /* public_url, if any, is in the uris already */
	if (ch_sessions_negotiated(resp->hub_negotiated, &pr, req->claims.exp, req->origin, base)) {
		ch_api_error_resp(resp, CH_ERR_RATE_LIMITED, "too many hub connections for this token");
		ch_resp_header(resp, "Retry-After", "5"); /* like every 429: when one of them has closed */
	}
}

static void job_done(void *arg)
{
	http_job *j = arg;
	struct lws *wsi = ch_conns_get(j->ref);
	if (wsi) {
		http_pss *p = lws_wsi_user(wsi);
		p->job_pending = 0;
		free_req(&p->req);
		p->req = j->req; /* back to the connection: HEAD/metrics need it */
		ch_resp_free(&p->resp);
		p->resp = j->resp;
		if (j->resp.content_type == j->resp.ctype) /* it pointed into the job */
			p->resp.content_type = p->resp.ctype;
		if (p->resp.hub_negotiated[0])
			register_negotiated(&p->req, &p->resp);
		respond(wsi, p);
	} else {
		free_req(&j->req);
		ch_resp_free(&j->resp);
		inflight--; /* the connection closed while the job ran */
	}
	ch_metrics_gauge_add(CH_GAUGE_API_QUEUE, -1);
	free(j);
}

static void job_run(void *arg)
{
	http_job *j = arg;
	ch_api_handle(j->api, &j->req, &j->resp);
	ch_loop_post(job_done, j);
}

/* "/demo" → "/demo/": a directory's index.html links its files relatively.
 * The Location is relative too ("demo/"), right behind a path prefix of a
 * reverse proxy as well; a browser keeps the URL's fragment across it. */
static int redirect_to_dir(struct lws *wsi, http_pss *p)
{
	if (!ch_static_is_dir(p->req.path))
		return 0;
	memset(&p->resp, 0, sizeof p->resp);
	p->resp.route = "static";
	p->resp.status = 301;
	ch_resp_header(&p->resp, "Location", "%s/", strrchr(p->req.path, '/') + 1);
	ch_resp_header(&p->resp, "Cache-Control", "no-cache");
	respond(wsi, p);
	return 1;
}

/* A file from memory, in the coding the request accepts best (each coding was
 * compressed once at load: net/static.c); each coding has its own ETag. */
static int serve_static(struct lws *wsi, http_pss *p)
{
	const ch_static_file *f;
	if (p->req.method != CH_M_GET && p->req.method != CH_M_HEAD)
		return 0;
	if (!(f = ch_static_find(p->req.path)))
		return redirect_to_dir(wsi, p);
	char *ae = dup_hdr(wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
	ch_static_enc e = ch_static_choose_encoding(ae, f->encodings);
	free(ae);
	const ch_static_variant *v = &f->v[e];
	memset(&p->resp, 0, sizeof p->resp);
	p->resp.route = "static";
	p->resp.content_type = f->mime;
	ch_resp_header(&p->resp, "ETag", "%s", v->etag);
	ch_resp_header(&p->resp, "Cache-Control", "no-cache");
	ch_resp_header(&p->resp, "Access-Control-Allow-Origin", "*");
	if (f->encodings != 1u << CH_ENC_IDENTITY) /* caches keep one copy per coding */
		ch_resp_header(&p->resp, "Vary", "Accept-Encoding");
	if (e != CH_ENC_IDENTITY)
		ch_resp_header(&p->resp, "Content-Encoding", "%s", ch_static_enc_name(e));
	const char *inm = p->req.if_none_match;
	if (inm && (strstr(inm, v->etag) || !strcmp(inm, "*"))) {
		p->resp.status = 304;
	} else {
		p->resp.status = 200;
		p->file = v;
	}
	respond(wsi, p);
	return 1;
}

static int on_writeable(struct lws *wsi, http_pss *p);

/* A request of the hub's transports: answered now, or held (a poll, the
 * event stream, a send the hub cannot take yet) without lws' timeouts; a held
 * request is not work in flight (a shutdown does not wait for it). */
static int hub_dispatch(struct lws *wsi, http_pss *p)
{
	ch_resp_free(&p->resp);
	memset(&p->resp, 0, sizeof p->resp);
	if (ch_sessions_request(wsi, p->ref, &p->hub, &p->req, &p->resp)) {
		p->resp_ready = 1;
		p->sent = 0;
		p->hdr_sent = 0;
		return on_writeable(wsi, p);
	}
	finish_inflight(p);
	lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
	return 0;
}

/* Returns what the lws callback must return (-1: close the connection). */
static int dispatch(struct lws *wsi, http_pss *p)
{
	p->counted = 1;
	inflight++;
	if (!ch_api_owns_path(p->req.path) && serve_static(wsi, p))
		return 0;
	if (!ch_api_owns_path(p->req.path) && p->req.method != CH_M_OPTIONS) {
		char msg[256];
		snprintf(msg, sizeof msg, "no such path: %.200s", p->req.path);
		respond_error(wsi, p, CH_ERR_NOT_FOUND, "not_found", msg);
		return 0;
	}
	if (p->early) {
		respond_early(wsi, p);
		return 0;
	}
	if (p->hub.kind)
		return hub_dispatch(wsi, p);
	ch_pool pool = p->pool;
	if (pool == CH_POOL_INLINE) { /* answered from memory here, or by a worker below */
		ch_resp_free(&p->resp);
		memset(&p->resp, 0, sizeof p->resp);
		if (ch_api_try_inline(opts.api, &p->req, &p->resp)) {
			/* written now, from this callback: no writable round trip */
			p->resp_ready = 1;
			p->sent = 0;
			p->hdr_sent = 0;
			return on_writeable(wsi, p);
		}
	}
	http_job *j = ch_xcalloc(1, sizeof *j);
	j->api = opts.api;
	j->ref = p->ref;
	j->req = p->req;
	if (ch_workq_try_submit(pool == CH_POOL_HASH ? opts.hash_pool : opts.api_pool, job_run, j)) {
		free(j); /* the pool's queue is full: answered at once, it never grows */
		p->early = CH_ERR_BUSY;
		p->early_why = "the server has as many requests waiting as it queues; retry later";
		p->retry_after = 1;
		respond_early(wsi, p);
		return 0;
	}
	memset(&p->req, 0, sizeof p->req);
	p->job_pending = 1;
	ch_metrics_gauge_add(CH_GAUGE_API_QUEUE, 1);
	return 0;
}

static int on_http(struct lws *wsi, http_pss *p, const char *path)
{
	if (!p->ref.slot)
		p->ref = ch_conns_add(wsi);
	if (p->job_pending || p->resp_ready || p->hub.kind)
		return -1; /* pipelined request before we answered: not supported */
	p->t0_us = ch_mono_us();
	read_request(wsi, p, path);
	ch_sessions_claim(&p->req, &p->hub);
	char *uri;
	int ulen;
	if (lws_http_get_uri_and_method(wsi, &uri, &ulen) >= 0 && uri && (int)strnlen(uri, (size_t)ulen) != ulen) {
		/* lws decoded a %00 inside the path: as a C string it would
		 * silently name another path. (lws itself drops the connection
		 * for some other %00 placements, and a trailing one truncates.) */
		p->counted = 1;
		inflight++;
		respond_error(wsi, p, CH_ERR_BAD_JSON, "bad_request", "the path contains a NUL byte");
		return 0;
	}
	p->early = CH_OK;
	p->early_why = NULL;
	p->received = 0;
	p->req.peer_ref = peer_of(wsi);
	char cl[32] = "";
	int has_len = lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
	int chunked = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	long long clen = has_len ? atoll(cl) : 0;
	p->waiting_body = clen > 0 || chunked;
	p->client_close = wants_close(wsi);
	if (ch_api_owns_path(p->req.path)) {
		ch_api_admission ad;
		ch_api_admit(opts.api, &p->req, &ad); /* once per request, before its body */
		p->pool = ad.pool;
		p->max_body = ad.max_body;
		p->early = ad.reject;
		p->retry_after = ad.retry_after;
		if (p->hub.kind) /* what the hub may hold of one connection, nothing for GET and DELETE */
			p->max_body = p->req.method == CH_M_POST ? CH_SESSIONS_POST_MAX : 0;
	} else {
		p->pool = CH_POOL_API;
		p->max_body = 0; /* static files take no body */
	}
	if (clen > p->max_body)
		p->req.body_too_large = 1;
	else if (!p->early && clen > 0 && !reserve_body(p, clen))
		ch_buf_reserve(&p->req.body, (size_t)clen); /* one allocation, no doubling */
	return p->waiting_body ? 0 : dispatch(wsi, p);
}

/* Body bytes: kept within the request's limit and reservation, else dropped
 * (the answer says why). */
static int on_body(struct lws *wsi, http_pss *p, const void *in, size_t len)
{
	p->received += (int64_t)len;
	if (p->received > p->max_body && !p->req.body_too_large) {
		p->req.body_too_large = 1;
		ch_buf_free(&p->req.body);
	}
	if (p->received > (p->max_body + 65536) * DISCARD_LIMIT_FACTOR)
		return -1; /* a client that keeps pushing: stop reading */
	if (p->req.body_too_large || p->early)
		return 0;
	/* chunked bodies reserve as they come, 64 KiB at a time */
	int64_t need = (int64_t)(p->req.body.len + len) - p->req.body_reserved;
	if (need > 0 && reserve_body(p, need < 65536 ? 65536 : need)) {
		ch_buf_free(&p->req.body);
		return 0;
	}
	ch_buf_append(&p->req.body, in, len);
	return 0;
}

/* FILTER_NETWORK_CONNECTION: a socket accepted from args->cli_addr, before
 * its connection exists. Non-zero refuses it (lws closes it at once). */
static int accept_peer(void *user)
{
	const struct lws_filter_network_conn_args *args = user;
	char ip[64];
	ch_peers_addr_text(&args->cli_addr, ip);
	pending_peer = ch_peers_connect(ip);
	if (!pending_peer) {
		ch_metrics_counter_add(CH_COUNTER_REFUSED_CONNECTIONS, 1);
		return -1;
	}
	return 0;
}

static void forget_peer(struct lws *wsi)
{
	ch_peer *p = peer_of(wsi);
	if (!p)
		return; /* an outbound client connection, or accepted before the count began */
	ch_idmap_del(&peer_of_wsi, (int64_t)(intptr_t)wsi);
	ch_peers_disconnect(p);
}

int ch_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	http_pss *p = user;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		/* a new socket under this number: whatever watched it before is gone */
		ch_wsguard_unwatch(((const struct lws_filter_network_conn_args *)user)->accept_fd);
		return draining || accept_peer(user) ? -1 : 0;
	case LWS_CALLBACK_WSI_CREATE:
		ch_metrics_gauge_add(CH_GAUGE_OPEN_CONNECTIONS, 1);
		if (pending_peer) { /* the connection just accepted */
			ch_idmap_put(&peer_of_wsi, (int64_t)(intptr_t)wsi, pending_peer);
			pending_peer = NULL;
		}
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		ch_metrics_gauge_add(CH_GAUGE_OPEN_CONNECTIONS, -1);
		forget_peer(wsi);
		settle_forget(wsi);
		return 0;
	case LWS_CALLBACK_HTTP:
		return on_http(wsi, p, in);
	case LWS_CALLBACK_HTTP_BODY:
		return on_body(wsi, p, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (p->waiting_body) {
			p->waiting_body = 0;
			return dispatch(wsi, p);
		}
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return on_writeable(wsi, p);
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: { /* no per-session data yet */
		ch_ws_state tmp = {0};
		return ch_ws_confirm_upgrade(wsi, &tmp, in);
	}
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
	case LWS_CALLBACK_ESTABLISHED:
	case LWS_CALLBACK_RECEIVE:
	case LWS_CALLBACK_SERVER_WRITEABLE:
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return p ? ch_ws_callback(wsi, reason, &p->ws, in, len) : -1;
	case LWS_CALLBACK_CLOSED:
		if (!p)
			return 0;
		ch_conns_remove(p->ref); /* a keep-alive connection that upgraded */
		p->ref = (ch_conn_ref){0, 0};
		return ch_ws_callback(wsi, reason, &p->ws, in, len);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (!p)
			return 0;
		if (p->hub.kind)
			ch_sessions_closed(&p->hub, p->ref);
		ch_conns_remove(p->ref);
		p->ref = (ch_conn_ref){0, 0};
		if (!p->job_pending)
			finish_inflight(p); /* else job_done accounts for it */
		else
			p->counted = 0;
		free_req(&p->req);
		ch_resp_free(&p->resp);
		memset(&p->resp, 0, sizeof p->resp);
		p->resp_ready = 0;
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
