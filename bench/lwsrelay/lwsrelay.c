/* lwsrelay.c — the ceiling of ChatHub's own stack, a bench tool (never product code).
 *
 *   build/bench/lwsrelay --port P
 *
 * The same libwebsockets 4.1 + libev set-up as the server (src/net/server.c: the libev foreign loop,
 * LWS_SERVER_OPTION_LIBEV | VALIDATE_UTF8, the same buffer sizes), and nothing of ChatHub on top:
 *   - a WebSocket on /chathub speaks just enough of the SignalR JSON hub protocol for bench/loadgen, as
 *     bench/relay/relay.js does on Node's `ws`: the handshake, pings, and SendMessage(chatId | null, text,
 *     clientMessageId) relayed in memory — a visitor's message to the operators of its organization, an
 *     operator's to the chat's visitor — with a completion for every invocation. No persistence, no token
 *     verification (the JWT payload is decoded for typ, sub and oid), no JSON parser on the message path: the
 *     invocation's fields are found by scanning for the shape loadgen sends, and the text and clientMessageId
 *     are copied into the answers verbatim.
 *   - any other request answers `200` with a small JSON body (the bare-lws REST figure, next to nginx).
 * Writes as the hub writes (src/net/ws.c): records queue on the connection and go out as one text frame per
 * SERVER_WRITEABLE.
 *
 * Threading: one thread, the libev loop.
 */
#include <ev.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RS '\x1e'
#define NBUCKET 4096

typedef struct buf {
	char *p;
	size_t len, cap;
} buf;

struct conn;
typedef struct party { /* an organization's operators, or one visitor's connections (and its chat) */
	struct party *next;      /* hash chain */
	int is_org;
	long long oid;
	char *sub;               /* visitors */
	long chat;               /* visitors: their chat, 0 none */
	struct conn *conns;
} party;

typedef struct conn {
	struct lws *wsi;
	party *party, *org;
	struct conn *prev, *next; /* in party->conns */
	int op, handshaken, closing;
	buf in;                  /* a record spanning frames */
	buf out;                 /* LWS_PRE headroom + queued records */
} conn;

typedef struct chat {
	long long oid;
	party *visitor;
	long seq;
} chat;

static party *buckets[NBUCKET];
static chat *chats;
static long nchats, capchats;
static long long next_msg_id = 1;
static struct ev_loop *loop;
static struct lws_context *ctx;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "lwsrelay: out of memory\n");
		exit(1);
	}
	return p;
}

static void buf_add(buf *b, const char *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap : 1024;
		while (b->cap < b->len + n)
			b->cap *= 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static unsigned hash(const char *s, long long n)
{
	unsigned h = 2166136261u ^ (unsigned)n;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKET;
}

static party *party_get(int is_org, long long oid, const char *sub)
{
	unsigned h = hash(is_org ? NULL : sub, is_org ? oid : -1);
	for (party *p = buckets[h]; p; p = p->next)
		if (p->is_org == is_org && (is_org ? p->oid == oid : !strcmp(p->sub, sub)))
			return p;
	party *p = calloc(1, sizeof *p);
	if (!p)
		exit(1);
	p->is_org = is_org;
	p->oid = oid;
	p->sub = is_org ? NULL : strdup(sub);
	p->next = buckets[h];
	buckets[h] = p;
	return p;
}

/* Queues one record (with its separator) on a connection; one frame per writeable. */
static void queue(conn *c, const char *rec, size_t n)
{
	if (c->closing || !c->handshaken)
		return;
	if (!c->out.len) {
		char pre[LWS_PRE] = { 0 };
		buf_add(&c->out, pre, LWS_PRE);
		lws_callback_on_writable(c->wsi);
	}
	buf_add(&c->out, rec, n);
}

static void write_out(conn *c)
{
	if (c->out.len <= LWS_PRE)
		return;
	size_t n = c->out.len - LWS_PRE;
	c->out.len = 0;
	lws_write(c->wsi, (unsigned char *)c->out.p + LWS_PRE, n, LWS_WRITE_TEXT);
}

/* Finds `"key":` in a record and returns what follows, or NULL. */
static const char *field(const char *r, size_t len, const char *key)
{
	char pat[40];
	int n = snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = memmem(r, len, pat, (size_t)n);
	return p ? p + n : NULL;
}

/* The end of the JSON string starting at the quote s (past its closing quote), or NULL. */
static const char *string_end(const char *s, const char *end)
{
	if (s >= end || *s != '"')
		return NULL;
	for (s++; s < end; s++) {
		if (*s == '\\')
			s++;
		else if (*s == '"')
			return s + 1;
	}
	return NULL;
}

static void complete_error(conn *c, const char *id, int idlen, const char *why)
{
	char out[256];
	int n = snprintf(out, sizeof out, "{\"type\":3,\"invocationId\":%.*s,\"error\":\"%s\"}%c", idlen, id, why, RS);
	queue(c, out, (size_t)n);
}

/* SendMessage(chatId|null, "text", "clientMessageId"|null): relays and completes. */
static void send_message(conn *c, const char *r, size_t len, const char *id, int idlen)
{
	const char *end = r + len, *a = field(r, len, "arguments");
	if (!a || *a != '[')
		return complete_error(c, id, idlen, "bad arguments");
	a++;
	long chat_arg = 0;
	if (!strncmp(a, "null", 4))
		a += 4;
	else
		chat_arg = strtol(a, (char **)&a, 10);
	if (*a++ != ',')
		return complete_error(c, id, idlen, "bad arguments");
	const char *text = a, *text_end = string_end(a, end);
	if (!text_end || *text_end != ',')
		return complete_error(c, id, idlen, "bad arguments");
	const char *cmid = text_end + 1, *cmid_end = !strncmp(cmid, "null", 4) ? cmid + 4 : string_end(cmid, end);
	if (!cmid_end)
		return complete_error(c, id, idlen, "bad arguments");
	long cid = chat_arg;
	if (!c->op && !chat_arg)
		cid = c->party->chat;
	if (!c->op && !cid) {
		if (nchats + 1 >= capchats) {
			capchats = capchats ? capchats * 2 : 1024;
			chats = xrealloc(chats, sizeof *chats * (size_t)capchats);
		}
		cid = ++nchats;
		chats[cid] = (chat){ .oid = c->org->oid, .visitor = c->party, .seq = 0 };
		c->party->chat = cid;
	}
	if (cid <= 0 || cid > nchats || (c->op ? chats[cid].oid != c->org->oid : chats[cid].visitor != c->party))
		return complete_error(c, id, idlen, "not found");
	chat *ch = &chats[cid];
	char when[32];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	char msg[1024];
	int m = snprintf(msg, sizeof msg, "{\"id\":%lld,\"chatId\":%ld,\"seq\":%ld,\"author\":%d,\"textMessage\":%.*s,"
	                 "\"clientMessageId\":%.*s,\"createdAt\":\"%s\"}", next_msg_id++, cid, ++ch->seq, c->op ? 0 : 1,
	                 (int)(text_end - text), text, (int)(cmid_end - cmid), cmid, when);
	if (m <= 0 || m >= (int)sizeof msg - 100)
		return complete_error(c, id, idlen, "too long");
	char ev[1200];
	int n = snprintf(ev, sizeof ev, "{\"type\":1,\"target\":\"ReceiveMessage\",\"arguments\":[%s]}%c", msg, RS);
	/* both sides of the chat except the sending connection, as ChatHub does */
	party *org = party_get(1, ch->oid, NULL);
	for (conn *o = org->conns; o; o = o->next)
		if (o != c)
			queue(o, ev, (size_t)n);
	for (conn *v = ch->visitor->conns; v; v = v->next)
		if (v != c)
			queue(v, ev, (size_t)n);
	n = snprintf(ev, sizeof ev, "{\"type\":3,\"invocationId\":%.*s,\"result\":%s}%c", idlen, id, msg, RS);
	queue(c, ev, (size_t)n);
}

static void on_record(conn *c, const char *r, size_t len)
{
	if (!c->handshaken) {
		if (!memmem(r, len, "\"protocol\":\"json\"", 17)) {
			c->closing = 1;
			return;
		}
		c->handshaken = 1;
		queue(c, "{}\x1e", 3);
		return;
	}
	const char *t = field(r, len, "type");
	if (!t)
		return;
	if (*t == '7')
		c->closing = 1;
	if (*t != '1')
		return;
	const char *id = field(r, len, "invocationId"), *id_end = id ? string_end(id, r + len) : NULL;
	const char *target = field(r, len, "target");
	if (!target || strncmp(target, "\"SendMessage\"", 13)) {
		if (id_end)
			complete_error(c, id, (int)(id_end - id), "unknown method");
		return;
	}
	send_message(c, r, len, id_end ? id : "null", id_end ? (int)(id_end - id) : 4);
}

static void on_receive(conn *c, const char *p, size_t n)
{
	const char *end = p + n, *rs;
	while ((rs = memchr(p, RS, (size_t)(end - p)))) {
		if (c->in.len) { /* the record began in an earlier frame */
			buf_add(&c->in, p, (size_t)(rs - p));
			buf_add(&c->in, "", 1); /* the scans stop at a NUL, as they stop at the separator in place */
			on_record(c, c->in.p, c->in.len - 1);
			c->in.len = 0;
		} else {
			on_record(c, p, (size_t)(rs - p));
		}
		p = rs + 1;
	}
	if (p < end)
		buf_add(&c->in, p, (size_t)(end - p));
}

/* The JWT's payload, decoded without verifying it: typ, sub, oid. */
static int claims(struct lws *wsi, conn *c)
{
	char tok[2048];
	const char *t = lws_get_urlarg_by_name(wsi, "access_token=", tok, sizeof tok);
	if (!t) {
		if (lws_hdr_copy(wsi, tok, sizeof tok, WSI_TOKEN_HTTP_AUTHORIZATION) <= 7 || strncmp(tok, "Bearer ", 7))
			return -1;
		t = tok + 7;
	}
	const char *dot = strchr(t, '.'), *dot2 = dot ? strchr(dot + 1, '.') : NULL;
	if (!dot2)
		return -1;
	char b64[2048], payload[2048];
	size_t n = (size_t)(dot2 - dot - 1);
	if (n + 4 >= sizeof b64)
		return -1;
	memcpy(b64, dot + 1, n);
	while (n % 4)
		b64[n++] = '=';
	b64[n] = 0;
	int len = lws_b64_decode_string(b64, payload, sizeof payload - 1); /* takes base64url too */
	if (len <= 0)
		return -1;
	json_t *j = json_loadb(payload, (size_t)len, 0, NULL);
	const char *typ = json_string_value(json_object_get(j, "typ"));
	json_t *sub = json_object_get(j, "sub");
	char subs[64];
	if (json_is_string(sub))
		snprintf(subs, sizeof subs, "%s", json_string_value(sub));
	else
		snprintf(subs, sizeof subs, "%lld", (long long)json_integer_value(sub));
	long long oid = json_integer_value(json_object_get(j, "oid"));
	int ok = typ && sub && json_object_get(j, "oid") && (!strcmp(typ, "operator") || !strcmp(typ, "visitor"));
	if (ok) {
		c->op = !strcmp(typ, "operator");
		c->org = party_get(1, oid, NULL);
		c->party = c->op ? c->org : party_get(0, 0, subs);
	}
	json_decref(j);
	return ok ? 0 : -1;
}

static int answer_http(struct lws *wsi)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr;
	static const char body[] = "{\"ok\":true}";
	if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", sizeof body - 1, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int write_http_body(struct lws *wsi)
{
	static const char body[] = "{\"ok\":true}";
	unsigned char b[LWS_PRE + sizeof body];
	memcpy(b + LWS_PRE, body, sizeof body - 1);
	if (lws_write(wsi, b + LWS_PRE, sizeof body - 1, LWS_WRITE_HTTP_FINAL) < (int)sizeof body - 1)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void conn_unlink(conn *c)
{
	if (!c->party)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->party->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->party = NULL;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	conn *c = user;
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return answer_http(wsi);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return write_http_body(wsi);
	case LWS_CALLBACK_ESTABLISHED:
		memset(c, 0, sizeof *c);
		c->wsi = wsi;
		if (claims(wsi, c))
			return -1;
		c->next = c->party->conns;
		if (c->next)
			c->next->prev = c;
		c->party->conns = c;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		on_receive(c, in, len);
		return c->closing ? -1 : 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		write_out(c);
		return c->closing ? -1 : 0;
	case LWS_CALLBACK_CLOSED:
		conn_unlink(c);
		free(c->in.p);
		free(c->out.p);
		c->in.p = c->out.p = NULL;
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static struct lws_protocols protocols[] = {
	{"http", callback, sizeof(conn), 0, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)w, (void)revents;
	lws_context_destroy(ctx);
	ev_break(l, EVBREAK_ALL);
}

int main(int argc, char **argv)
{
	int port = 18530;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = atoi(argv[++i]);
		} else {
			fprintf(stderr, "usage: lwsrelay [--port P]  (bench/lwsrelay/lwsrelay.c says what it does)\n");
			return !strcmp(argv[i], "--help") ? 0 : 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	loop = ev_default_loop(EVFLAG_AUTO);
	lws_set_log_level(LLL_ERR, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	/* as src/net/server.c's create_context */
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	info.foreign_loops = (void **)&loop;
	info.timeout_secs = 30;
	info.keepalive_timeout = 30;
	info.max_http_header_data = 8192;
	info.max_http_header_pool = 1024;
	info.pt_serv_buf_size = 64 * 1024;
	info.vhost_name = "lwsrelay";
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "lwsrelay: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	ev_signal sigterm, sigint;
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_start(loop, &sigterm);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigint);
	fprintf(stderr, "lwsrelay: listening on 127.0.0.1:%d\n", port);
	ev_run(loop, 0);
	return 0;
}
