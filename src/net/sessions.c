/* sessions.c — negotiated hub connections and the Server-Sent Events, Long
 * Polling and HTTP POST transports (see sessions.h).
 *
 * A session is one negotiated connection: its id, the principal that
 * negotiated it, and its hub connection, whose transport callbacks land here.
 * It receives through at most one HTTP request at a time (a held poll or the
 * SSE stream, `recv`) and takes at most one POST at a time; both are named by
 * ch_conn_ref, never by a struct lws *. The hub never waits on a session:
 * want_write asks the held request's connection for WRITEABLE, close marks
 * the session closing (what is queued still goes out, within CLOSE_FLUSH_MS)
 * and pause holds the POST that comes next until the hub reads again. The
 * hub connection is given back (ch_hub_conn_gone) only from an lws callback
 * or the tick, never from inside one of the hub's own callbacks. An ended
 * session stays a moment (TOMBSTONE_MS) so that a poll learns of the end
 * with a 204 rather than a 404.
 * Threading: network thread only. */
#include "net/sessions.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/idmap.h"
#include "core/log.h"

#define CLOSE_FLUSH_MS 5000
#define TOMBSTONE_MS 5000
#define POLL_BODY_MAX (1024 * 1024) /* one poll's answer, unless one record is larger */
#define SSE_CHUNK_MAX (256 * 1024)
#define ID_MAX 64

enum { M_NONE, M_POLL, M_SSE };                 /* what receives */
enum { R_CLAIMED = 1, R_POLL, R_STREAM, R_SEND }; /* ch_session_req.kind */

typedef struct session {
	uint64_t key;
	size_t idx;
	char id[ID_MAX + 1];
	ch_principal p;
	char *origin;
	ch_hub_conn *conn;  /* NULL once ended */
	int mode;
	int closing, dropped, paused, polled, sse_started;
	ch_conn_ref recv;   /* the held poll, or the stream */
	ch_conn_ref post;   /* the POST waiting for the hub to read again */
	int64_t idle_since; /* nothing received through since (ms, monotonic) */
	int64_t poll_until, close_by, ended_ms;
} session;

static struct {
	ch_sessions_opts o;
	ch_idmap by_key;
	session **all;
	size_t n, cap;
} S;

void ch_sessions_init(const ch_sessions_opts *o)
{
	memset(&S, 0, sizeof S);
	S.o = *o;
}

size_t ch_sessions_count(void) { return S.n; }

static uint64_t key_of(const char *id)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *id; id++)
		h = (h ^ (unsigned char)*id) * 1099511628211ULL;
	return (h & INT64_MAX) ? h & INT64_MAX : 1;
}

static session *find(const char *id)
{
	if (!id || strlen(id) > ID_MAX)
		return NULL;
	session *s = ch_idmap_get(&S.by_key, (int64_t)key_of(id));
	return s && !strcmp(s->id, id) ? s : NULL;
}

static session *by_key(uint64_t key) { return ch_idmap_get(&S.by_key, (int64_t)key); }

static int same_principal(const ch_principal *a, const ch_principal *b)
{
	return a->kind == b->kind && a->company_id == b->company_id && a->operator_id == b->operator_id &&
	       a->client_id == b->client_id && a->org_id == b->org_id;
}

static int same_ref(ch_conn_ref a, ch_conn_ref b) { return a.slot && a.slot == b.slot && a.gen == b.gen; }

static void writable(ch_conn_ref ref)
{
	struct lws *wsi = ref.slot ? ch_conns_get(ref) : NULL;
	if (wsi)
		lws_callback_on_writable(wsi);
}

/* Closes an HTTP connection at once (a client that does not read will not
 * read a last answer either). */
static void kill_ref(ch_conn_ref ref)
{
	struct lws *wsi = ref.slot ? ch_conns_get(ref) : NULL;
	if (wsi)
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void free_session(session *s)
{
	ch_idmap_del(&S.by_key, (int64_t)s->key);
	S.all[s->idx] = S.all[--S.n];
	S.all[s->idx]->idx = s->idx;
	free(s->origin);
	free(s);
}

/* Gives the hub connection back; what is held learns of it (204, 404, the
 * stream ends). Never from inside a hub callback. */
static void end_session(session *s)
{
	if (!s->conn)
		return;
	ch_hub_conn *c = s->conn;
	s->conn = NULL;
	s->ended_ms = ch_mono_ms();
	ch_hub_conn_gone(c);
	writable(s->recv);
	writable(s->post);
}

/* ---- the hub's transport callbacks ----------------------------------------- */

static void t_want_write(void *t) { writable(((session *)t)->recv); }

static void t_close(void *t, int code, const char *why)
{
	session *s = t;
	if (!s->closing)
		CH_DEBUG("hub session %.8s…: closing (%d %s)", s->id, code, why ? why : "");
	s->closing = 1;
	s->close_by = ch_mono_ms() + CLOSE_FLUSH_MS;
	if (code == 1008) { /* dropped: no flush */
		s->dropped = 1;
		kill_ref(s->recv);
		kill_ref(s->post);
	}
	writable(s->recv);
	writable(s->post);
}

static void t_pause(void *t, int paused)
{
	session *s = t;
	s->paused = paused;
	if (!paused)
		writable(s->post);
}

static const ch_hub_transport ops = {t_want_write, t_close, t_pause};

ch_err ch_sessions_negotiated(const char *id, const ch_principal *p, int64_t exp_s, const char *origin,
                              const char *base)
{
	if (S.o.per_principal && ch_hub_principal_connections(p) >= S.o.per_principal)
		return CH_ERR_RATE_LIMITED;
	uint64_t key = key_of(id);
	if (strlen(id) > ID_MAX || by_key(key))
		return CH_ERR_CONFLICT; /* 122 random bits each: not expected to happen */
	session *s = ch_xcalloc(1, sizeof *s);
	s->key = key;
	snprintf(s->id, sizeof s->id, "%s", id);
	s->p = *p;
	s->origin = origin && *origin ? ch_xstrdup(origin) : NULL;
	s->idle_since = ch_mono_ms();
	if (S.n == S.cap) {
		S.cap = S.cap ? S.cap * 2 : 64;
		S.all = ch_xrealloc(S.all, S.cap * sizeof *S.all);
	}
	s->idx = S.n;
	S.all[S.n++] = s;
	ch_idmap_put(&S.by_key, (int64_t)key, s);
	s->conn = ch_hub_conn_open(p, exp_s, origin, base, s, &ops);
	return CH_OK;
}

/* ---- answers ------------------------------------------------------------- */

static void answer(ch_resp *resp, int status, const char *route)
{
	resp->status = status;
	resp->route = route;
	resp->content_type = "text/plain; charset=utf-8";
}

static void answer_error(ch_resp *resp, ch_err e, const char *route, const char *msg)
{
	ch_api_error_resp(resp, e, "%s", msg);
	resp->route = route;
}

/* A browser page may read the answers when it is the origin that negotiated
 * (the hub checks that origin against the organization's list at the
 * handshake, which it refuses otherwise). */
static int cors_allowed(const session *s, const ch_req *req)
{
	return s && s->origin && req->origin && !strcmp(s->origin, req->origin);
}

static void cors(const session *s, const ch_req *req, ch_resp *resp)
{
	if (cors_allowed(s, req)) {
		ch_resp_header(resp, "Access-Control-Allow-Origin", "%s", req->origin);
		ch_resp_header(resp, "Vary", "Origin");
	}
}

/* What is queued, as one poll's answer (at most POLL_BODY_MAX, or one larger
 * record): records end with their separator or carry their length, so
 * several simply follow each other. */
static void gather_poll(session *s, ch_resp *resp)
{
	size_t len, n = 0;
	const char *rec;
	answer(resp, 200, "hub_poll");
	if (ch_hub_conn_binary(s->conn))
		resp->content_type = "application/octet-stream";
	while ((rec = ch_hub_conn_peek(s->conn, n, &len)) && (!n || resp->body.len + len <= POLL_BODY_MAX)) {
		ch_buf_append(&resp->body, rec, len);
		n++;
	}
	s->recv = (ch_conn_ref){0, 0}; /* before the pop, which may ask for the next WRITEABLE */
	s->idle_since = ch_mono_ms();
	ch_hub_conn_pop(s->conn, n);
}

/* A poll's answer if it has one now: records, 204 at the end, 200 empty past
 * its time. Returns 1 when resp is filled. */
static int poll_answer(session *s, ch_resp *resp, int first)
{
	if (!s->conn) {
		answer(resp, 204, "hub_poll");
		return 1;
	}
	if (first) { /* the client starts with it and reads nothing in it: no record may go there */
		answer(resp, 200, "hub_poll");
		s->recv = (ch_conn_ref){0, 0};
		s->idle_since = ch_mono_ms();
		return 1;
	}
	if (ch_hub_conn_queued(s->conn) || ch_mono_ms() >= s->poll_until) {
		gather_poll(s, resp);
		return 1;
	}
	if (s->closing) {
		answer(resp, 204, "hub_poll");
		s->recv = (ch_conn_ref){0, 0};
		end_session(s);
		return 1;
	}
	return 0;
}

/* ---- requests -------------------------------------------------------------- */

int ch_sessions_claim(const ch_req *req, ch_session_req *r)
{
	memset(r, 0, sizeof *r);
	if (strcmp(req->path, "/chathub") && strcmp(req->path, "/chathub/"))
		return 0;
	if (req->method != CH_M_GET && req->method != CH_M_POST && req->method != CH_M_DELETE)
		return 0;
	r->kind = R_CLAIMED;
	return 1;
}

static const char *arg(const ch_req *req, const char *name)
{
	size_t nl = strlen(name);
	for (int i = 0; i < req->nargs; i++)
		if (!strncmp(req->args[i], name, nl) && req->args[i][nl] == '=')
			return req->args[i] + nl + 1;
	return NULL;
}

static int accepts_sse(const char *accept)
{
	return accept && strcasestr(accept, "text/event-stream") != NULL;
}

/* The token and the connection it must match. Returns the session, or NULL
 * with resp filled. */
static session *authorize(const ch_req *req, ch_resp *resp)
{
	const char *id = arg(req, "id");
	size_t len = 0;
	const char *tok = ch_api_token_text(req, &len);
	ch_token_claims cl;
	/* every credential the negotiation and the WebSocket upgrade accept (API keys too) */
	ch_err e = tok ? ch_api_credential_verify(S.o.key, tok, len, ch_now_ms() / 1000, &cl) : CH_ERR_NO_TOKEN;
	if (!id || !*id) {
		answer_error(resp, CH_ERR_BAD_JSON, "hub_transport", "the id of a negotiated connection is required (?id=)");
		return NULL;
	}
	if (e) {
		answer_error(resp, e == CH_ERR_TOKEN_EXPIRED ? e : CH_ERR_NO_TOKEN, "hub_transport",
		             e == CH_ERR_TOKEN_EXPIRED ? "the token has expired" : "a valid token is required");
		return NULL;
	}
	ch_principal p = ch_principal_from_claims(&cl);
	session *s = find(id);
	if (!s || !same_principal(&s->p, &p)) { /* another principal's id is as unknown as a wrong one */
		answer_error(resp, CH_ERR_NOT_FOUND, "hub_transport", "no such hub connection");
		return NULL;
	}
	/* an ended or closing connection answers its polls (204) whatever the token's state */
	if (s->conn && !s->closing && ch_hub_token_revoked(&p)) {
		answer_error(resp, CH_ERR_TOKEN_REVOKED, "hub_transport", "the token has been revoked");
		return NULL;
	}
	cors(s, req, resp);
	return s;
}

static int start_stream(struct lws *wsi, ch_conn_ref ref, session *s, ch_session_req *r, ch_resp *resp)
{
	if (s->mode != M_NONE || !s->conn || s->closing) {
		answer_error(resp, CH_ERR_CONFLICT, "hub_stream", s->conn ? "this connection already has a receiving "
		             "transport" : "the connection is closed");
		return 1;
	}
	s->mode = M_SSE;
	s->recv = ref;
	ch_hub_conn_set_text_only(s->conn);
	r->kind = R_STREAM;
	lws_callback_on_writable(wsi); /* the headers, then what is queued */
	return 0;
}

static int start_poll(ch_conn_ref ref, session *s, ch_session_req *r, ch_resp *resp)
{
	if (s->mode == M_SSE) {
		answer_error(resp, CH_ERR_CONFLICT, "hub_poll", "this connection receives through its event stream");
		return 1;
	}
	if (s->conn)
		ch_hub_conn_touch(s->conn);
	s->mode = M_POLL;
	/* a new poll ends the one held before it (204), as the transport says */
	ch_conn_ref old = s->recv;
	s->recv = ref;
	writable(old);
	int first = !s->polled++; /* the first poll answers at once: the client waits for it to start */
	s->poll_until = ch_mono_ms() + S.o.poll_ms;
	if (poll_answer(s, resp, first))
		return 1;
	r->kind = R_POLL;
	return 0;
}

static int send_bytes(ch_conn_ref ref, session *s, ch_session_req *r, const ch_req *req, ch_resp *resp)
{
	if (!s->conn) {
		answer_error(resp, CH_ERR_NOT_FOUND, "hub_send", "the connection is closed");
		return 1;
	}
	if (req->body_too_large) {
		answer_error(resp, CH_ERR_TOO_LARGE, "hub_send", "a POST to the hub carries at most 256 KiB");
		return 1;
	}
	if (s->post.slot && ch_conns_get(s->post)) {
		answer_error(resp, CH_ERR_CONFLICT, "hub_send", "another POST of this connection is in progress");
		return 1;
	}
	if (s->paused && !s->closing) { /* the hub reads no more now: this waits for it */
		CH_DEBUG("hub session %.8s…: a POST waits for the hub to read again", s->id);
		s->post = ref;
		r->kind = R_SEND;
		return 0;
	}
	ch_hub_conn_receive(s->conn, req->body.data ? req->body.data : "", req->body.len);
	answer(resp, 200, "hub_send");
	return 1;
}

int ch_sessions_request(struct lws *wsi, ch_conn_ref ref, ch_session_req *r, const ch_req *req, ch_resp *resp)
{
	session *s = authorize(req, resp);
	if (!s)
		return 1;
	r->key = s->key;
	switch (req->method) {
	case CH_M_DELETE:
		end_session(s);
		answer(resp, 202, "hub_delete");
		return 1;
	case CH_M_POST: return send_bytes(ref, s, r, req, resp);
	default:
		if (!s->conn) { /* ended: every poll learns it */
			answer(resp, 204, "hub_poll");
			return 1;
		}
		return accepts_sse(req->accept) ? start_stream(wsi, ref, s, r, resp) : start_poll(ref, s, r, resp);
	}
}

/* ---- held requests ------------------------------------------------------------ */

static int write_stream_headers(struct lws *wsi, session *s, const ch_req *req)
{
	unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	/* no length: the stream ends when the connection closes */
	if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
	    lws_add_http_header_by_name(wsi, (unsigned char *)"cache-control:", (unsigned char *)"no-cache", 8, &p, end) ||
	    lws_add_http_header_by_name(wsi, (unsigned char *)"x-content-type-options:", (unsigned char *)"nosniff", 7,
	                                &p, end))
		return -1;
	if (cors_allowed(s, req) &&
	    (lws_add_http_header_by_name(wsi, (unsigned char *)"access-control-allow-origin:",
	                                 (unsigned char *)req->origin, (int)strlen(req->origin), &p, end) ||
	     lws_add_http_header_by_name(wsi, (unsigned char *)"vary:", (unsigned char *)"Origin", 6, &p, end)))
		return -1;
	if (lws_finalize_http_header(wsi, &p, end))
		return -1;
	return lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS) < (int)(p - start) ? -1 : 0;
}

/* One WRITEABLE of the stream: an event of what is queued ("data: " records
 * "\n\n": JSON has no raw line breaks), or the end once closing is flushed. */
static int stream_writeable(struct lws *wsi, session *s, const ch_req *req)
{
	if (!s->sse_started) {
		s->sse_started = 1;
		if (write_stream_headers(wsi, s, req))
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (!s->conn || s->dropped)
		return -1;
	size_t len, n = 0;
	const char *rec;
	ch_buf b = CH_BUF_INIT;
	ch_buf_reserve(&b, LWS_PRE + 64);
	b.len = LWS_PRE;
	ch_buf_puts(&b, "data: ");
	while ((rec = ch_hub_conn_peek(s->conn, n, &len)) && (!n || b.len + len <= SSE_CHUNK_MAX)) {
		ch_buf_append(&b, rec, len);
		n++;
	}
	ch_buf_puts(&b, "\n\n");
	int rc = 0;
	if (n && lws_write(wsi, (unsigned char *)b.data + LWS_PRE, b.len - LWS_PRE, LWS_WRITE_HTTP) <
	             (int)(b.len - LWS_PRE))
		rc = -1;
	else if (n)
		ch_hub_conn_pop(s->conn, n); /* asks for the next WRITEABLE when more is queued */
	else if (s->closing)
		rc = -1; /* everything went out: the stream ends */
	ch_buf_free(&b);
	return rc;
}

int ch_sessions_writeable(struct lws *wsi, ch_conn_ref ref, ch_session_req *r, const ch_req *req, ch_resp *resp)
{
	session *s = by_key(r->key);
	switch (r->kind) {
	case R_STREAM:
		return s && same_ref(s->recv, ref) ? stream_writeable(wsi, s, req) : -1;
	case R_POLL:
		if (!s || !same_ref(s->recv, ref)) { /* replaced by a newer poll, or gone */
			r->kind = 0;
			answer(resp, 204, "hub_poll");
			return 1;
		}
		if (!poll_answer(s, resp, 0))
			return 0;
		r->kind = 0;
		cors(s, req, resp);
		return 1;
	case R_SEND:
		if (s && same_ref(s->post, ref) && s->conn && s->paused && !s->closing)
			return 0; /* still waiting for the hub */
		r->kind = 0;
		if (!s || !same_ref(s->post, ref) || !s->conn) {
			answer_error(resp, CH_ERR_NOT_FOUND, "hub_send", "the connection is closed");
			return 1;
		}
		s->post = (ch_conn_ref){0, 0};
		ch_hub_conn_receive(s->conn, req->body.data ? req->body.data : "", req->body.len);
		answer(resp, 200, "hub_send");
		cors(s, req, resp);
		return 1;
	default: return 0;
	}
}

void ch_sessions_closed(ch_session_req *r, ch_conn_ref ref)
{
	session *s = r->kind ? by_key(r->key) : NULL;
	r->kind = 0;
	if (!s)
		return;
	if (same_ref(s->recv, ref)) {
		s->recv = (ch_conn_ref){0, 0};
		s->idle_since = ch_mono_ms();
		if (s->mode == M_SSE)
			end_session(s); /* the stream was the connection */
	}
	if (same_ref(s->post, ref))
		s->post = (ch_conn_ref){0, 0};
}

/* ---- WebSockets -------------------------------------------------------------- */

ch_err ch_sessions_ws_check(const char *id, const ch_principal *p)
{
	session *s = find(id);
	if (!s || !s->conn || !same_principal(&s->p, p))
		return CH_ERR_NOT_FOUND;
	return s->mode != M_NONE || s->closing ? CH_ERR_CONFLICT : CH_OK;
}

ch_hub_conn *ch_sessions_ws_take(const char *id, const ch_principal *p, void *t, const ch_hub_transport *tops)
{
	if (ch_sessions_ws_check(id, p))
		return NULL;
	session *s = find(id);
	ch_hub_conn *c = s->conn;
	s->conn = NULL;
	free_session(s); /* the WebSocket is the connection now: its id is no longer known */
	ch_hub_conn_rebind(c, t, tops);
	return c;
}

/* ---- time -------------------------------------------------------------------- */

static void tick_session(session *s, int64_t now)
{
	int receiving = s->recv.slot && ch_conns_get(s->recv);
	if (s->closing) {
		if (s->dropped || now >= s->close_by) {
			kill_ref(s->recv);
			end_session(s);
		} else if (!receiving && (s->mode == M_NONE || !ch_hub_conn_queued(s->conn))) {
			end_session(s); /* flushed, or never received through: nobody would read the rest */
		}
	} else if (s->mode == M_SSE) {
		if (!receiving)
			end_session(s);
	} else if (receiving) {
		ch_hub_conn_touch(s->conn); /* a held poll is a client that is there */
		if (now >= s->poll_until)
			writable(s->recv);
	} else if (now - s->idle_since >= S.o.idle_ms) {
		CH_DEBUG("hub session %.8s…: nobody polled for %lld ms: closed", s->id, (long long)(now - s->idle_since));
		end_session(s);
	}
}

void ch_sessions_tick(void)
{
	int64_t now = ch_mono_ms();
	for (size_t i = S.n; i-- > 0;) {
		session *s = S.all[i];
		if (s->conn)
			tick_session(s, now);
		else if (now - s->ended_ms >= TOMBSTONE_MS)
			free_session(s);
	}
}

void ch_sessions_fini(void)
{
	while (S.n) {
		session *s = S.all[S.n - 1];
		if (s->conn) /* the HTTP connections are gone already */
			ch_hub_conn_gone(s->conn);
		free_session(s);
	}
	ch_idmap_free(&S.by_key, NULL);
	free(S.all);
	memset(&S, 0, sizeof S);
}
