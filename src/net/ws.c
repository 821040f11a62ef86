/* ws.c — /chathub WebSocket connections on lws (see ws.h).
 *
 * The token is checked twice before the 101, both pure CPU: in
 * HTTP_CONFIRM_UPGRADE, where a refusal can still be a proper 401 JSON
 * response, and in FILTER_PROTOCOL_CONNECTION, where the per-session state
 * exists and URL arguments are still readable (they are not in ESTABLISHED).
 * A principal with hub_connections_per_principal connections already open
 * gets a 429 there too; an upgrade with id= names a negotiated connection
 * (net/sessions.c: 404 unknown, 409 taken) and takes it over at ESTABLISHED.
 * Writes: one lws_write per connection per loop turn: a lone queued record
 * as it is (the hub leaves LWS_PRE headroom before it), several gathered into
 * one frame (binary for a MessagePack connection, else text). A connection
 * the hub queues for goes on a list that ch_ws_flush writes at the end of the
 * loop turn, straight to the socket: asking lws for SERVER_WRITEABLE instead
 * costs two epoll_ctl calls (POLLOUT armed, then disarmed) and a loop turn per
 * write. That is safe with lws 4.1 because its lws_write buffers whatever the
 * socket did not take (buflist_out) and arms POLLOUT itself; a connection
 * with such a remainder (lws_partial_buffered), one that is closing or whose
 * client sent its close frame, and one whose queue outgrew one frame, wait
 * for SERVER_WRITEABLE as before, so the hub's queue, not lws, holds what a
 * slow reader has not read. A close waits for the queue to drain (bounded by
 * a kill timeout); a slow reader is killed at once. When the hub has as many invocations of a
 * connection in flight as it allows, it pauses reading with
 * lws_rx_flow_control: lws 4.1.6 may still deliver the rest of the frame it
 * has read (the hub holds those bytes) and keeps what follows in its own
 * buffer until reading resumes.
 * Threading: network thread only. */
#include "net/ws.h"

#include "auth/principal.h"

#include "net/http.h"
#include "net/sessions.h"
#include "net/wsguard.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "api/api.h"
#include "core/baseurl.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"

#define CLOSE_FLUSH_SECS 5
#define LINGER_SECS 2

static const ch_token_key *key;
static size_t max_per_principal;

void ch_ws_init(const ch_token_key *k, size_t connections_per_principal)
{
	key = k;
	max_per_principal = connections_per_principal;
}

/* The token from access_token, Authorization: Bearer, or X-Authorization-Key. */
static int read_token(struct lws *wsi, char *buf, int len)
{
	const char *v = lws_get_urlarg_by_name(wsi, "access_token=", buf, len); /* buf gets "name=value" */
	if (v && *v) {
		memmove(buf, v, strlen(v) + 1);
		return 0;
	}
	int n = lws_hdr_copy(wsi, buf, len, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && !strncasecmp(buf, "Bearer ", 7)) {
		memmove(buf, buf + 7, (size_t)n - 6);
		return 0;
	}
	n = lws_hdr_custom_copy(wsi, buf, len, "x-authorization-key:", 20);
	return n > 0 ? 0 : -1;
}

static ch_err verify(struct lws *wsi, ch_ws_state *s)
{
	char tok[4200];
	if (read_token(wsi, tok, sizeof tok))
		return CH_ERR_NO_TOKEN;
	ch_token_claims cl;
	size_t len = strlen(tok);
	ch_err e = ch_api_credential_verify(key, tok, len, ch_now_ms() / 1000, &cl);
	if (e)
		return e == CH_ERR_TOKEN_EXPIRED ? e : CH_ERR_NO_TOKEN;
	s->p = ch_principal_from_claims(&cl);
	s->exp_s = cl.exp;
	return ch_hub_token_revoked(&s->p) ? CH_ERR_TOKEN_REVOKED : CH_OK;
}

/* Writes a complete HTTP error response (JSON body) from a callback. */
static void write_error(struct lws *wsi, ch_err e, const char *msg)
{
	ch_resp r = {0};
	ch_api_error_resp(&r, e, "%s", msg);
	if (e == CH_ERR_RATE_LIMITED) /* over the connection cap: when one has closed */
		ch_resp_header(&r, "Retry-After", "5");
	unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	int bad = lws_add_http_common_headers(wsi, (unsigned)r.status, "application/json", r.body.len, &p, end);
	if (!bad) /* the error's own headers (WWW-Authenticate on a 401) */
		bad = ch_http_add_headers(wsi, &r.headers, &p, end);
	if (bad || lws_finalize_http_header(wsi, &p, end) || (size_t)(end - p) < r.body.len) {
		ch_resp_free(&r);
		return;
	}
	memcpy(p, r.body.data, r.body.len);
	p += r.body.len;
	lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
	ch_resp_free(&r);
}

int ch_ws_confirm_upgrade(struct lws *wsi, ch_ws_state *s, const char *protocol)
{
	char uri[128] = "";
	lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	if (strcmp(uri, "/chathub") && strcmp(uri, "/chathub/")) {
		write_error(wsi, CH_ERR_NOT_FOUND, "WebSocket connections go to /chathub");
		return 1;
	}
	/* lws drops these without an answer; a client deserves a 4xx */
	char ver[8] = "";
	lws_hdr_copy(wsi, ver, sizeof ver, WSI_TOKEN_VERSION);
	if (lws_hdr_total_length(wsi, WSI_TOKEN_KEY) <= 0 || strcmp(ver, "13")) {
		write_error(wsi, CH_ERR_BAD_JSON, "a WebSocket upgrade needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13");
		return 1;
	}
	ch_err e = verify(wsi, s);
	if (e) {
		write_error(wsi, e, e == CH_ERR_TOKEN_EXPIRED   ? "the token has expired"
		                    : e == CH_ERR_TOKEN_REVOKED ? "the token has been revoked"
		                                                : "a valid token is required (access_token)");
		return 1;
	}
	char arg[128];
	const char *id = lws_get_urlarg_by_name(wsi, "id=", arg, sizeof arg);
	if (id && *id) { /* a negotiated connection, counted since its negotiation */
		e = ch_sessions_ws_check(id, &s->p);
		if (e == CH_ERR_NOT_FOUND && ch_principal_conn_token_valid(key, &s->p, id)) {
			/* negotiated by another process of the cluster (or before a restart):
			 * a connection of its own here, like one that skipped negotiation */
			e = CH_OK;
		} else {
			if (e)
				write_error(wsi, e, e == CH_ERR_CONFLICT ? "this hub connection already has a transport"
				                                         : "no such hub connection (negotiate again)");
			return e ? 1 : 0;
		}
	}
	if (max_per_principal && ch_hub_principal_connections(&s->p) >= max_per_principal) {
		write_error(wsi, CH_ERR_RATE_LIMITED, "too many hub connections for this token");
		return 1;
	}
	return 0;
}

/* The connections the hub queued for this loop turn (ch_ws_flush). */
static ch_ws_state *flush_head;
static ch_ws_state *flushing; /* the one being written: what it still holds waits for WRITEABLE */

static void flush_unlist(ch_ws_state *s)
{
	if (!s->flush_listed)
		return;
	if (s->flush_prev)
		s->flush_prev->flush_next = s->flush_next;
	else
		flush_head = s->flush_next;
	if (s->flush_next)
		s->flush_next->flush_prev = s->flush_prev;
	s->flush_prev = s->flush_next = NULL;
	s->flush_listed = 0;
}

static void want_write(void *t)
{
	struct lws *wsi = t;
	ch_ws_state *s = ch_http_ws_state(wsi);
	if (s == flushing || s->close_code || s->peer_closed || lws_get_network_wsi(wsi) != wsi) {
		lws_callback_on_writable(wsi);
		return;
	}
	if (s->flush_listed)
		return;
	s->flush_listed = 1;
	s->flush_prev = NULL;
	s->flush_next = flush_head;
	if (flush_head)
		flush_head->flush_prev = s;
	flush_head = s;
}

static void close_conn(void *t, int code, const char *why)
{
	struct lws *wsi = t;
	ch_ws_state *s = ch_http_ws_state(wsi);
	if (code == 1008) { /* a reader that does not read will not read the close frame either */
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		return;
	}
	if (!s->close_code) {
		s->close_code = code;
		snprintf(s->close_why, sizeof s->close_why, "%s", why ? why : "");
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, CLOSE_FLUSH_SECS);
	}
	lws_callback_on_writable(wsi);
}

static void pause_rx(void *t, int paused) { lws_rx_flow_control(t, paused ? 0 : 1); }

static const ch_hub_transport transport = {want_write, close_conn, pause_rx};

/* lws has usually sent its own close frame already and would then wait for
 * the client's answer indefinitely (a kill timeout is not honoured in that
 * state): shutting the socket down makes lws see the end and free it. */
static void end_violator(void *wsi) { shutdown(lws_get_socket_fd(wsi), SHUT_RDWR); }

static void close_violator(void *wsi) { close_conn(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, "protocol error"); }

void ch_ws_sweep(void)
{
	if (ch_wsguard_pending()) /* no clock read on the common path */
		ch_wsguard_sweep(ch_mono_ms(), close_violator, end_violator);
}

/* The records a WRITEABLE sends together, as one frame: the network
 * thread's scratch buffer (LWS_PRE headroom, then records back to back). */
#define GATHER_MAX (256u * 1024u)
static unsigned char *gather;

/* Copies the queue's first records into gather, up to GATHER_MAX bytes (the
 * first always fits: a record is at most 64 KiB). Returns the bytes copied
 * and, in *n, the records. */
static size_t gather_queue(ch_hub_conn *c, size_t *n)
{
	if (!gather)
		gather = ch_xmalloc(LWS_PRE + GATHER_MAX);
	size_t bytes = 0, len;
	const char *rec;
	for (*n = 0; (rec = ch_hub_conn_peek(c, *n, &len)) != NULL && bytes + len <= GATHER_MAX; ++*n) {
		memcpy(gather + LWS_PRE + bytes, rec, len);
		bytes += len;
	}
	return bytes;
}

/* A close the server decides: the close frame after everything queued, then
 * a half close (FIN) while what the client still sends is read and dropped,
 * until it closes too or LINGER_SECS pass. Closing a socket that has unread
 * input resets it, and a reset makes the client's TCP discard what it had not
 * read yet — the last answers and the close itself, exactly what a client that
 * was flooding us needs to see. */
static void linger(struct lws *wsi, ch_ws_state *s)
{
	/* the frame itself (lws writes close frames only in its own close flow):
	 * FIN + close opcode, unmasked, then the code and the reason (< 126 bytes) */
	unsigned char frame[LWS_PRE + 4 + sizeof s->close_why], *p = frame + LWS_PRE;
	size_t n = strlen(s->close_why);
	p[0] = 0x88;
	p[1] = (unsigned char)(2 + n);
	p[2] = (unsigned char)(s->close_code >> 8);
	p[3] = (unsigned char)(s->close_code & 0xff);
	memcpy(p + 4, s->close_why, n);
	lws_write(wsi, p, 4 + n, LWS_WRITE_RAW);
	shutdown(lws_get_socket_fd(wsi), SHUT_WR);
	s->lingering = 1;
	lws_rx_flow_control(wsi, 1);
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LINGER_SECS);
}

/* One frame with the queue's first records. Returns -1 when the connection
 * is broken, else 0. */
static int send_queue(struct lws *wsi, ch_ws_state *s)
{
	size_t len, n = 1;
	const char *rec = ch_hub_conn_peek(s->conn, 0, &len);
	if (!rec)
		return 0;
	/* A lone record goes from the queue as it is; several go out as one
	 * frame (SignalR records end with 0x1E, and a frame may carry several):
	 * one system call however far the connection is behind. */
	size_t more;
	unsigned char *out = (unsigned char *)rec;
	if (ch_hub_conn_peek(s->conn, 1, &more)) {
		len = gather_queue(s->conn, &n);
		out = gather + LWS_PRE;
	}
	if (lws_write(wsi, out, len, ch_hub_conn_binary(s->conn) ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)len)
		return -1;
	ch_hub_conn_pop(s->conn, n);
	return 0;
}

static int writeable(struct lws *wsi, ch_ws_state *s)
{
	flush_unlist(s); /* written now, not again at the end of the turn */
	if (s->conn && ch_hub_conn_peek(s->conn, 0, &(size_t){0})) {
		if (send_queue(wsi, s))
			return -1;
		if (s->close_code)
			lws_callback_on_writable(wsi); /* the close frame follows the queue */
		return 0;
	}
	if (s->close_code && !s->lingering)
		linger(wsi, s);
	return 0;
}

void ch_ws_flush(void)
{
	ch_ws_state *s;
	while ((s = flush_head) != NULL) {
		flush_unlist(s);
		if (!s->conn)
			continue;
		if (s->close_code || s->peer_closed || lws_partial_buffered(s->wsi)) {
			lws_callback_on_writable(s->wsi); /* lws sends its remainder first */
			continue;
		}
		flushing = s;
		int bad = send_queue(s->wsi, s);
		flushing = NULL;
		if (bad) /* lws marked the socket unusable: it closes at its next service */
			lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
}

int ch_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, ch_ws_state *s, void *in, size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		memset(s, 0, sizeof *s);
		if (verify(wsi, s))
			return 1;
		char origin[256], host[256], proto[16], base[CH_BASE_URL_MAX];
		if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) > 0)
			s->origin = ch_xstrdup(origin);
		if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
			host[0] = '\0';
		if (lws_hdr_custom_copy(wsi, proto, sizeof proto, "x-forwarded-proto:", 18) <= 0)
			proto[0] = '\0';
		if (ch_base_url(NULL, host, proto, base))
			s->base = ch_xstrdup(base);
		char arg[128];
		const char *id = lws_get_urlarg_by_name(wsi, "id=", arg, sizeof arg);
		/* a negotiated connection of this process; an id negotiated by
		 * another one (verify) connects like one that skipped negotiation */
		snprintf(s->sid, sizeof s->sid, "%s", id && !ch_sessions_ws_check(id, &s->p) ? id : "");
		s->authed = 1;
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED:
		if (!s->authed)
			return -1;
		s->wsi = wsi;
		ch_wsguard_watch(lws_get_socket_fd(wsi), wsi);
		if (s->sid[0]) /* the negotiated connection, from now on over this socket */
			s->conn = ch_sessions_ws_take(s->sid, &s->p, wsi, &transport);
		else
			s->conn = ch_hub_conn_open(&s->p, s->exp_s, s->origin, s->base, wsi, &transport);
		return s->conn ? 0 : -1;
	case LWS_CALLBACK_RECEIVE:
		if (ch_wsguard_violated(lws_get_socket_fd(wsi))) { /* RFC 6455 5.1 */
			static const char why[] = "client frames must be masked, without RSV bits";
			lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)why, sizeof why - 1);
			return -1;
		}
		if (!s->conn || s->close_code)
			return 0;
		ch_hub_conn_receive(s->conn, in, len); /* errors close through the transport */
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return writeable(wsi, s);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		s->peer_closed = 1;
		return 0;
	case LWS_CALLBACK_CLOSED:
		flush_unlist(s);
		ch_wsguard_unwatch(lws_get_socket_fd(wsi));
		if (s->conn)
			ch_hub_conn_gone(s->conn);
		s->conn = NULL;
		free(s->origin);
		s->origin = NULL;
		free(s->base);
		s->base = NULL;
		return 0;
	default:
		return 0;
	}
}
