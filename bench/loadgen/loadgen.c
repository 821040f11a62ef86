/* loadgen — ChatHub hub load generator (SignalR JSON over WebSocket).
 *
 *   loadgen held --url URL --tokens FILE --conns N [--procs P] [--hold S] [--batch B]
 *                [--source-per-proc]
 *   loadgen chat --url URL [--url URL2 ...] [--place org|spread] --tokens FILE [--rate R]
 *                [--window W] [--duration S] [--warmup S] [--reply-every K] [--procs P] [--batch B]
 *
 * One epoll loop per worker process; every worker is forked (also with
 * --procs 1) so the parent only synchronises the phases (barriers over pipes)
 * and adds up the results the workers write back.  See usage() for details. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"

#define RS '\x1e'
#define MAX_FDS_PER_PROC 19000
#define CONNECT_TIMEOUT_NS (15 * NS)
#define SETUP_TIMEOUT_NS (120 * NS) /* 19,500 connects take ~30-60 s today (server-bound) */
#define KEEPALIVE_NS (15 * NS)
#define OUTSTANDING_CAP 1000 /* open loop: unanswered sends per connection before it waits */
#define NS 1000000000LL

/* ---- options ---------------------------------------------------------- */

#define MAX_URLS 8

/* One server (process) of the cluster: several --url spread the principals. */
typedef struct {
	char host[256];
	char port[16];
	char path[512]; /* "/chathub" under the URL's path */
	struct sockaddr_storage addr;
	socklen_t addrlen;
} target;

static struct {
	bool chat;
	bool spread;          /* --place spread: visitor i on URL i mod n, not its organization's */
	bool source_per_proc; /* worker w connects from 127.0.0.(w+2) */
	target url[MAX_URLS];
	int nurls;
	const char *tokens;
	int conns, procs, batch, window, reply_every;
	double hold, rate, duration, warmup;
} opt = {
	.procs = 1, .batch = 500, .window = 4, .reply_every = 10,
	.hold = 20, .duration = 10, .warmup = 2,
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int worker_id;
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "loadgen[%d]: %s\n", worker_id, line);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "loadgen: out of memory\n");
		_exit(2);
	}
	return p;
}

/* ---- fixtures --------------------------------------------------------- */

typedef struct {
	bool op;
	int org;
	long id;
	char *token;
} principal;

static principal *princ;
static int nprinc, nvisitors, noperators;

static void load_tokens(const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "loadgen: %s: %s\n", file, strerror(errno));
		exit(2);
	}
	char line[8192], kind[16], tok[8000];
	int org;
	long id;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%15s %d %ld %7999s", kind, &org, &id, tok) != 4)
			continue;
		bool op = !strcmp(kind, "operator");
		if (!op && strcmp(kind, "visitor"))
			continue;
		princ = xrealloc(princ, sizeof *princ * (nprinc + 1));
		princ[nprinc++] = (principal){ op, org, id, strdup(tok) };
		if (op)
			noperators++;
		else
			nvisitors++;
	}
	fclose(f);
	if (!nvisitors) {
		fprintf(stderr, "loadgen: %s holds no visitor line\n", file);
		exit(2);
	}
}

/* ---- per-chat seq tracking ---------------------------------------------
 * Each side sees every seq of a chat exactly once: the other side's messages
 * as ReceiveMessage, its own as the completion's result.  A 256-seq window
 * of bits catches duplicates; gaps = seqs below the highest never seen. */

#define TRACK_WIN 256

typedef struct {
	bool init;
	long base0;    /* seqs <= base0 predate this run */
	long base;     /* every seq <= base has been seen */
	long max_seq;
	long last_recv; /* ReceiveMessage must arrive with increasing seq */
	long nseen;
	uint64_t bits[TRACK_WIN / 64];
} track;

typedef struct {
	uint64_t sent, acked, delivered, inv_errors, closed, dups, reorders, gaps;
	uint64_t connected, failed, creates, skipped;
	uint64_t sent_all, acked_all, delivered_all; /* warmup and drain included */
	double connect_s;
	hist lat;
} result;

static result R;

static bool track_bit(track *t, long seq) { return t->bits[(seq % TRACK_WIN) / 64] >> (seq % 64) & 1; }
static void track_flip(track *t, long seq) { t->bits[(seq % TRACK_WIN) / 64] ^= 1ull << (seq % 64); }

static void track_seq(track *t, long seq, bool received)
{
	if (!t->init) {
		t->init = true;
		t->base0 = t->base = t->max_seq = seq - 1;
		t->last_recv = 0;
	}
	if (received) {
		if (seq <= t->last_recv)
			R.reorders++;
		else
			t->last_recv = seq;
	}
	if (seq <= t->base || (seq <= t->base + TRACK_WIN && track_bit(t, seq))) {
		R.dups++;
		if (received && seq <= t->last_recv)
			R.reorders--; /* a duplicate, already counted once */
		return;
	}
	while (seq > t->base + TRACK_WIN) { /* too far ahead: give the oldest up */
		t->base++;
		if (track_bit(t, t->base))
			track_flip(t, t->base);
	}
	track_flip(t, seq);
	t->nseen++;
	if (seq > t->max_seq)
		t->max_seq = seq;
	while (track_bit(t, t->base + 1)) {
		t->base++;
		track_flip(t, t->base);
	}
}

static uint64_t track_gaps(const track *t)
{
	return t->init ? (uint64_t)(t->max_seq - t->base0 - t->nseen) : 0;
}

/* Operator side: one tracker per chat id (one operator connection per
 * organization and process, as bench/setup.js creates them). */
static track *optrack;
static long noptrack;

static track *op_track(long chat)
{
	if (chat < 0 || chat > 50000000)
		return NULL;
	if (chat >= noptrack) {
		long n = noptrack ? noptrack : 1024;
		while (n <= chat)
			n *= 2;
		optrack = xrealloc(optrack, sizeof *optrack * n);
		memset(optrack + noptrack, 0, sizeof *optrack * (n - noptrack));
		noptrack = n;
	}
	return &optrack[chat];
}

/* ---- buffers & connections ------------------------------------------- */

typedef struct {
	char *p;
	size_t off, len, cap;
} buf;

static void buf_reserve(buf *b, size_t extra)
{
	if (b->off && b->off == b->len)
		b->off = b->len = 0;
	if (b->len + extra <= b->cap)
		return;
	if (b->off) { /* compact before growing */
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->len + extra <= b->cap)
			return;
	}
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + extra)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

static void buf_free(buf *b)
{
	free(b->p);
	*b = (buf){ 0 };
}

enum { C_IDLE, C_CONNECTING, C_HTTP, C_HANDSHAKE, C_OPEN, C_DEAD };

typedef struct {
	int fd, state, pidx;
	bool epollout;
	int64_t started, last_sent;
	buf out, in, text;
	/* chat */
	long chat_id;
	int outstanding;
	uint64_t nmsg, nrecv;
	track vt; /* visitor side of its own chat */
} conn;

static conn *conns;
static int nconns;
static int epfd;
static int n_open, n_inflight; /* connecting or handshaking */
static uint32_t rng = 2463534242u;
static char nonce[24];

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void conn_close(conn *c, bool failed)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == C_OPEN) {
		n_open--;
		if (failed)
			R.closed++;
	} else if (c->state != C_IDLE && c->state != C_DEAD) {
		n_inflight--;
		if (failed)
			R.failed++;
	}
	c->state = C_DEAD;
	buf_free(&c->out);
	buf_free(&c->in);
	buf_free(&c->text);
}

static void set_epollout(conn *c, bool on)
{
	if (c->epollout == on)
		return;
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->epollout = on;
}

/* Write what the kernel takes; the rest waits for EPOLLOUT. */
static void conn_flush(conn *c)
{
	while (c->out.off < c->out.len) {
		ssize_t n = write(c->fd, c->out.p + c->out.off, c->out.len - c->out.off);
		if (n > 0) {
			c->out.off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_epollout(c, true);
			return;
		}
		conn_close(c, true);
		return;
	}
	c->out.off = c->out.len = 0;
	if (c->epollout)
		set_epollout(c, false);
}

/* Queue one masked client frame (RFC 6455 §5.3) and try to send it. */
static void ws_send(conn *c, int opcode, const char *data, size_t len)
{
	if (c->fd < 0)
		return;
	buf_reserve(&c->out, len + 14);
	uint8_t *h = (uint8_t *)c->out.p + c->out.len;
	size_t hl = 2;
	h[0] = 0x80 | (uint8_t)opcode;
	if (len < 126) {
		h[1] = 0x80 | (uint8_t)len;
	} else if (len < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	uint32_t k = xorshift();
	uint8_t *mask = h + hl;
	memcpy(mask, &k, 4);
	uint8_t *p = mask + 4;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)data[i] ^ mask[i & 3];
	c->out.len += hl + 4 + len;
	c->last_sent = now_ns();
	if (!c->epollout)
		conn_flush(c);
}

static const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The server a principal talks to: its organization's (operators always; visitors
 * too unless --place spread, where visitor i goes to URL i mod n). */
static target *target_of(int pidx)
{
	const principal *p = &princ[pidx];
	int k = !p->op && opt.spread ? pidx : p->org;
	return &opt.url[(k % opt.nurls + opt.nurls) % opt.nurls];
}

static void conn_start(conn *c)
{
	target *t = target_of(c->pidx);
	if (!t->addrlen) {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
		if (getaddrinfo(t->host, t->port, &hints, &ai)) {
			fprintf(stderr, "loadgen: cannot resolve %s\n", t->host);
			_exit(2);
		}
		memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
		t->addrlen = ai->ai_addrlen;
		freeaddrinfo(ai);
	}
	c->started = now_ns();
	c->state = C_CONNECTING;
	n_inflight++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		logf_("socket: %s", strerror(errno));
		conn_close(c, true);
		return;
	}
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef LOADGEN_TEST_SNDBUF
	/* Test build: a tiny send buffer makes partial writes / EAGAIN common. */
	int sndbuf = LOADGEN_TEST_SNDBUF;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
#endif
	if (opt.source_per_proc) {
		/* One loopback address has ~28,000 ephemeral ports to one server address: each
		 * worker connects from an address of its own. The port is chosen at connect(). */
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)worker_id) };
#ifdef IP_BIND_ADDRESS_NO_PORT
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) < 0) {
			logf_("bind 127.0.0.%d: %s", worker_id + 2, strerror(errno));
			conn_close(c, true);
			return;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&t->addr, t->addrlen) < 0 && errno != EINPROGRESS) {
		logf_("connect: %s", strerror(errno));
		conn_close(c, true);
		return;
	}
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	c->epollout = true;
	epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static void send_upgrade(conn *c)
{
	char key[25];
	for (int i = 0; i < 22; i++)
		key[i] = b64[xorshift() % 64];
	memcpy(key + 22, "==", 3); /* 16 random bytes in base64 */
	const char *tok = princ[c->pidx].token;
	const target *t = target_of(c->pidx);
	size_t n = strlen(tok) + strlen(t->path) + 512;
	buf_reserve(&c->out, n);
	c->out.len += (size_t)snprintf(c->out.p + c->out.len, n,
				       "GET %s?access_token=%s HTTP/1.1\r\nHost: %s:%s\r\n"
				       "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				       "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
				       t->path, tok, t->host, t->port, key);
	c->state = C_HTTP;
	conn_flush(c);
}

/* ---- hub protocol ----------------------------------------------------- */

static struct {
	int64_t t0, t1;    /* measured window (by send stamp) */
	bool sending;      /* the run phase: visitors send, operators reply */
	bool stopped;      /* after t1 nobody sends */
	int64_t last_activity;
} run;

static void hub_send(conn *c, const char *s, int len)
{
	ws_send(c, 1, s, (size_t)len);
}

/* SendMessage(chatId|null, "bench <ns> <uid>", uid): the text carries the send
 * stamp so the receiving side, on the same CLOCK_MONOTONIC, gets the
 * end-to-end latency; the uid (with a per-run nonce) keeps clientMessageIds
 * unique across reruns on the same fixtures. */
static void send_message(conn *c, int64_t stamp, bool create)
{
	char uid[64], msg[256];
	snprintf(uid, sizeof uid, "%s.%dc%dn%llu", nonce, worker_id, (int)(c - conns),
		 (unsigned long long)c->nmsg++);
	char kind = create ? 'c' : stamp >= run.t0 && stamp < run.t1 ? 'm' : 'w';
	char chat[24] = "null";
	if (!create)
		snprintf(chat, sizeof chat, "%ld", c->chat_id);
	int n = snprintf(msg, sizeof msg,
			 "{\"type\":1,\"invocationId\":\"%c%llu\",\"target\":\"SendMessage\","
			 "\"arguments\":[%s,\"%s %lld %s\",\"%s\"]}%c",
			 kind, (unsigned long long)c->nmsg, chat, create ? "hello" : "bench",
			 (long long)stamp, uid, uid, RS);
	if (kind == 'm')
		R.sent++;
	if (kind != 'c')
		R.sent_all++;
	c->outstanding++;
	hub_send(c, msg, n);
}

static void on_completion(conn *c, json_t *j)
{
	const char *id = json_string_value(json_object_get(j, "invocationId"));
	json_t *res = json_object_get(j, "result");
	c->outstanding--;
	run.last_activity = now_ns();
	if (!id)
		return;
	if (json_object_get(j, "error")) {
		R.inv_errors++;
		const char *e = json_string_value(json_object_get(j, "error"));
		if (R.inv_errors <= 5)
			logf_("completion error: %s", e ? e : "?");
		return;
	}
	long chat = (long)json_integer_value(json_object_get(res, "chatId"));
	long seq = (long)json_integer_value(json_object_get(res, "seq"));
	if (id[0] == 'm')
		R.acked++;
	if (id[0] != 'c')
		R.acked_all++;
	bool op = princ[c->pidx].op;
	if (id[0] == 'c') {
		c->chat_id = chat;
		R.creates++;
	}
	track *t = op ? op_track(chat) : &c->vt;
	if (t && seq > 0)
		track_seq(t, seq, false);
	/* Closed loop: a completion frees a slot of the visitor's window. */
	if (!op && id[0] != 'c' && run.sending && !run.stopped && opt.rate <= 0)
		send_message(c, now_ns(), false);
}

static void on_receive(conn *c, json_t *m)
{
	long chat = (long)json_integer_value(json_object_get(m, "chatId"));
	long seq = (long)json_integer_value(json_object_get(m, "seq"));
	const char *text = json_string_value(json_object_get(m, "textMessage"));
	bool op = princ[c->pidx].op;
	run.last_activity = now_ns();
	track *t = op ? op_track(chat) : (chat == c->chat_id ? &c->vt : NULL);
	if (t && seq > 0)
		track_seq(t, seq, true);
	if (!text || strncmp(text, "bench ", 6))
		return;
	int64_t stamp = strtoll(text + 6, NULL, 10);
	R.delivered_all++;
	if (stamp >= run.t0 && stamp < run.t1) {
		R.delivered++;
		int64_t lat = now_ns() - stamp;
		hist_add(&R.lat, lat > 0 ? (uint64_t)lat / 1000 : 0);
	}
	/* Operators answer every k-th visitor message they get. */
	if (op && (long)json_integer_value(json_object_get(m, "author")) == 1 &&
	    ++c->nrecv % (uint64_t)opt.reply_every == 0 && run.sending && !run.stopped) {
		long saved = c->chat_id;
		c->chat_id = chat;
		send_message(c, now_ns(), false);
		c->chat_id = saved;
	}
}

static void on_record(conn *c, char *r, size_t len)
{
	if (c->state == C_HANDSHAKE) {
		if (len >= 2 && r[0] == '{' && r[1] == '}') {
			c->state = C_OPEN;
			n_inflight--;
			n_open++;
			return;
		}
		if (R.failed < 5)
			logf_("handshake refused: %.*s", (int)(len > 200 ? 200 : len), r);
		conn_close(c, true);
		return;
	}
	/* Hot path: skip pings and events we do not look at without parsing. */
	if (len < 64 && memmem(r, len, "\"type\":6", 8))
		return;
	bool is_completion = memmem(r, len, "\"type\":3", 8) != NULL;
	bool is_receive = !is_completion && memmem(r, len, "\"target\":\"ReceiveMessage\"", 25);
	if (!is_completion && !is_receive) {
		if (memmem(r, len, "\"type\":7", 8)) {
			if (R.closed < 5)
				logf_("server closed the hub: %.*s", (int)(len > 200 ? 200 : len), r);
			conn_close(c, true);
		}
		return;
	}
	json_error_t err;
	json_t *j = json_loadb(r, len, 0, &err);
	if (!j) {
		logf_("bad JSON from server: %s", err.text);
		return;
	}
	if (is_completion)
		on_completion(c, j);
	else
		on_receive(c, json_array_get(json_object_get(j, "arguments"), 0));
	json_decref(j);
}

/* Records are 0x1E-terminated in the stream of text payloads: a frame may
 * hold several, a record may span frames, so split the concatenation. */
static void text_append(conn *c, const char *p, size_t n)
{
	buf *t = &c->text;
	buf_reserve(t, n);
	memcpy(t->p + t->len, p, n);
	t->len += n;
	char *s = t->p + t->off, *end = t->p + t->len, *rs;
	while (c->state != C_DEAD && (rs = memchr(s, RS, (size_t)(end - s)))) {
		on_record(c, s, (size_t)(rs - s));
		s = rs + 1;
		if (c->state == C_DEAD)
			return; /* buffers are gone */
	}
	t->off = (size_t)(s - t->p);
}

/* Parse complete frames from c->in; leave a partial one for the next read. */
static void ws_parse(conn *c)
{
	buf *b = &c->in;
	while (c->state != C_DEAD) {
		uint8_t *p = (uint8_t *)b->p + b->off;
		size_t avail = b->len - b->off;
		if (avail < 2)
			break;
		int opcode = p[0] & 0x0f;
		bool masked = p[1] & 0x80;
		uint64_t len = p[1] & 0x7f;
		size_t hl = 2;
		if (len == 126) {
			if (avail < 4)
				break;
			len = (uint64_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (len == 127) {
			if (avail < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | p[2 + i];
			hl = 10;
		}
		if (masked)
			hl += 4;
		if (len > (64u << 20)) {
			logf_("frame of %llu bytes: giving up the connection", (unsigned long long)len);
			conn_close(c, true);
			return;
		}
		if (avail < hl + len)
			break;
		char *payload = (char *)p + hl;
		if (masked)
			for (uint64_t i = 0; i < len; i++)
				payload[i] ^= (char)p[hl - 4 + (i & 3)];
		b->off += hl + len;
		switch (opcode) {
		case 0: /* continuation */
		case 1:
		case 2:
			text_append(c, payload, len);
			break;
		case 8: { /* close: answer it, then drop the socket */
			int code = len >= 2 ? ((uint8_t)payload[0] << 8 | (uint8_t)payload[1]) : 0;
			static int nlogged;
			if (nlogged++ < 5)
				logf_("server closed the WebSocket (code %d%s%.*s)", code, len > 2 ? ": " : "",
				      (int)(len > 2 ? len - 2 : 0), payload + 2);
			ws_send(c, 8, payload, len >= 2 ? 2 : 0);
			conn_close(c, true);
			return;
		}
		case 9:
			ws_send(c, 10, payload, len);
			break;
		default: /* pong and unknown: nothing to do */
			break;
		}
	}
	if (c->state != C_DEAD && b->off == b->len)
		b->off = b->len = 0;
}

static void on_http(conn *c)
{
	buf *b = &c->in;
	char *hdr = memmem(b->p + b->off, b->len - b->off, "\r\n\r\n", 4);
	if (!hdr) {
		if (b->len - b->off > 16384)
			conn_close(c, true);
		return;
	}
	if (strncmp(b->p + b->off, "HTTP/1.1 101", 12)) {
		char *eol = memchr(b->p + b->off, '\r', b->len - b->off);
		if (R.failed < 5)
			logf_("upgrade refused: %.*s", (int)(eol - (b->p + b->off)), b->p + b->off);
		conn_close(c, true);
		return;
	}
	b->off = (size_t)(hdr + 4 - b->p);
	c->state = C_HANDSHAKE;
	static const char hs[] = "{\"protocol\":\"json\",\"version\":1}\x1e";
	ws_send(c, 1, hs, sizeof hs - 1);
	ws_parse(c); /* frames may follow the headers in the same read */
}

static void on_readable(conn *c)
{
	for (;;) {
		buf_reserve(&c->in, 4096); /* most reads are one small frame */
		ssize_t n = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
		if (n > 0) {
			c->in.len += (size_t)n;
			if (c->state == C_HTTP)
				on_http(c);
			else
				ws_parse(c);
			if (c->state == C_DEAD)
				return;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		static int nlogged;
		if (n == 0 && c->state == C_OPEN && nlogged++ < 5)
			logf_("server closed the connection%s", nlogged == 5 ? " (not logging more)" : "");
		conn_close(c, true);
		return;
	}
}

static void on_event(conn *c, uint32_t ev)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || (ev & (EPOLLERR | EPOLLHUP))) {
			if (R.failed < 5)
				logf_("connect: %s", strerror(err ? err : ECONNRESET));
			conn_close(c, true);
			return;
		}
		send_upgrade(c); /* its flush drops EPOLLOUT once the request is out */
		return;
	}
	if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
		on_readable(c);
	if (c->state != C_DEAD && (ev & EPOLLOUT))
		conn_flush(c);
}

/* One turn of the loop: wait at most timeout_ms, handle what is ready, time
 * out stuck connects and keep idle connections alive. */
static void poll_once(int timeout_ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(epfd, evs, 512, timeout_ms);
	for (int i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
	static int64_t last_scan;
	int64_t now = now_ns();
	if (now - last_scan < NS)
		return;
	last_scan = now;
	for (int i = 0; i < nconns; i++) {
		conn *c = &conns[i];
		if ((c->state == C_CONNECTING || c->state == C_HTTP || c->state == C_HANDSHAKE) &&
		    now - c->started > CONNECT_TIMEOUT_NS) {
			if (R.failed < 5)
				logf_("connection %d: no handshake after 15 s", i);
			conn_close(c, true);
		} else if (c->state == C_OPEN && now - c->last_sent >= KEEPALIVE_NS) {
			static const char ping[] = "{\"type\":6}\x1e";
			hub_send(c, ping, sizeof ping - 1);
		}
	}
}

/* Open every connection, at most opt.batch handshakes in flight. */
static void connect_all(int64_t deadline)
{
	int next = 0;
	int64_t t_start = now_ns(), last_log = t_start;
	while (now_ns() < deadline) {
		while (next < nconns && n_inflight < opt.batch)
			conn_start(&conns[next++]);
		if (next == nconns && n_inflight == 0)
			break;
		poll_once(10);
		if (now_ns() - last_log >= NS) {
			last_log = now_ns();
			logf_("connecting: %d open, %llu failed, %d of %d started", n_open,
			      (unsigned long long)R.failed, next, nconns);
		}
	}
	for (int i = 0; i < nconns; i++) /* what did not make it by the deadline */
		if (conns[i].state != C_OPEN && conns[i].state != C_DEAD) {
			conn_close(&conns[i], true);
		} else if (conns[i].state == C_IDLE) {
			conns[i].state = C_DEAD;
			R.failed++;
		}
	R.connect_s = (double)(now_ns() - t_start) / NS;
	logf_("%d open, %llu failed in %.2f s", n_open, (unsigned long long)R.failed, R.connect_s);
}

/* ---- phases across processes ----------------------------------------
 * Worker → parent: one byte per barrier, then the result struct.
 * Parent → worker: an int64 (a CLOCK_MONOTONIC instant) per barrier. */

static int to_parent = -1, from_parent = -1;

static int64_t barrier(int64_t deadline)
{
	char b = 'r';
	if (write(to_parent, &b, 1) != 1)
		_exit(3);
	int64_t v;
	for (;;) {
		struct pollfd p = { .fd = from_parent, .events = POLLIN };
		int ms = (int)((deadline - now_ns()) / 1000000);
		/* Keep answering pings while the other workers catch up. */
		poll_once(0);
		if (poll(&p, 1, ms > 20 ? 20 : ms < 0 ? 0 : ms) > 0) {
			if (read(from_parent, &v, sizeof v) != sizeof v)
				_exit(3);
			return v;
		}
		if (now_ns() > deadline)
			_exit(3);
	}
}

static void worker_held(void)
{
	int64_t deadline = now_ns() + SETUP_TIMEOUT_NS;
	connect_all(deadline);
	int64_t go = barrier(now_ns() + SETUP_TIMEOUT_NS + 5 * NS);
	int64_t end = go + (int64_t)(opt.hold * NS), last_log = now_ns();
	while (now_ns() < end && n_open > 0) {
		poll_once(50);
		if (now_ns() - last_log >= 5 * NS) {
			last_log = now_ns();
			logf_("holding: %d open", n_open);
		}
	}
	R.connected = (uint64_t)n_open;
	R.failed = (uint64_t)nconns - R.connected;
}

static void worker_chat(void)
{
	int64_t setup_deadline = now_ns() + SETUP_TIMEOUT_NS;
	connect_all(setup_deadline);
	R.connected = (uint64_t)n_open;
	/* All operators online everywhere before any chat exists, so each chat is
	 * assigned and every operator sees it from its first message. */
	barrier(setup_deadline + 5 * NS);
	int nvis = 0;
	for (int i = 0; i < nconns; i++)
		if (conns[i].state == C_OPEN && !princ[conns[i].pidx].op) {
			send_message(&conns[i], now_ns(), true);
			nvis++;
		}
	for (;;) { /* until each live visitor has its answer */
		int pending = 0;
		for (int i = 0; i < nconns; i++)
			if (conns[i].state == C_OPEN)
				pending += conns[i].outstanding;
		if (!pending || now_ns() >= setup_deadline)
			break;
		poll_once(10);
	}
	logf_("%llu of %d chats ready", (unsigned long long)R.creates, nvis);
	int64_t go = barrier(setup_deadline + 5 * NS);
	run.t0 = go + (int64_t)(opt.warmup * NS);
	run.t1 = run.t0 + (int64_t)(opt.duration * NS);
	int64_t deadline = go + (int64_t)((opt.warmup + opt.duration + 30) * NS);
	while (now_ns() < go)
		poll_once(1);
	run.sending = true;

	/* The visitors of this worker that can send. */
	conn **vis = xrealloc(NULL, sizeof *vis * (nconns + 1));
	int nv = 0;
	for (int i = 0; i < nconns; i++)
		if (conns[i].state == C_OPEN && !princ[conns[i].pidx].op && conns[i].chat_id > 0)
			vis[nv++] = &conns[i];
	if (opt.rate <= 0) {
		for (int i = 0; i < nv; i++)
			for (int w = 0; w < opt.window; w++)
				send_message(vis[i], now_ns(), false);
	}
	/* Open loop: this worker's share of the rate, message k due at go + k/rate,
	 * stamped with that due time so a stall shows in the latency. */
	double rate = opt.rate * (double)nv / (nvisitors ? nvisitors : 1);
	uint64_t k = 0;
	int rr = 0;
	int64_t last_log = now_ns();
	while (now_ns() < run.t1 && now_ns() < deadline && n_open > 0) {
		if (opt.rate > 0 && nv > 0) {
			int64_t now = now_ns();
			for (;;) {
				int64_t due = go + (int64_t)((double)k * NS / rate);
				if (due > now || due >= run.t1)
					break;
				k++;
				int tries = 0;
				for (; tries < nv; tries++) {
					conn *c = vis[rr++ % nv];
					if (c->state == C_OPEN && c->outstanding < OUTSTANDING_CAP) {
						send_message(c, due, false);
						break;
					}
				}
				if (tries == nv) /* every visitor gone or 1000 behind */
					R.skipped++;
			}
		}
		poll_once(opt.rate > 0 ? 1 : 10);
		if (now_ns() - last_log >= 2 * NS) {
			last_log = now_ns();
			logf_("%s: sent %llu acked %llu delivered %llu (measured so far)",
			      now_ns() < run.t0 ? "warmup" : "run", (unsigned long long)R.sent,
			      (unsigned long long)R.acked, (unsigned long long)R.delivered);
		}
	}
	run.stopped = true;
	/* Drain: every own invocation answered and nothing arriving for 300 ms. */
	int64_t drain_end = now_ns() + 10 * NS;
	if (drain_end > deadline)
		drain_end = deadline;
	run.last_activity = now_ns();
	while (now_ns() < drain_end && n_open > 0) {
		int out = 0;
		for (int i = 0; i < nconns; i++)
			if (conns[i].state == C_OPEN)
				out += conns[i].outstanding;
		if (!out && now_ns() - run.last_activity > 300 * 1000000LL)
			break;
		poll_once(5);
	}
	for (int i = 0; i < nconns; i++)
		R.gaps += track_gaps(&conns[i].vt);
	for (long i = 0; i < noptrack; i++)
		R.gaps += track_gaps(&optrack[i]);
	free(vis);
}

static void run_worker(int w, int nworkers)
{
	worker_id = w;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	rng ^= (uint32_t)(getpid() * 2654435761u) ^ (uint32_t)now_ns();
	if (!rng)
		rng = 1;
	if (!opt.chat) {
		/* held: this worker's share, cycling through the visitor tokens */
		int share = opt.conns / nworkers + (w < opt.conns % nworkers);
		int first = w * (opt.conns / nworkers) + (w < opt.conns % nworkers ? w : opt.conns % nworkers);
		int *vis = xrealloc(NULL, sizeof *vis * nprinc);
		int nv = 0;
		for (int i = 0; i < nprinc; i++)
			if (!princ[i].op)
				vis[nv++] = i;
		conns = calloc((size_t)share + 1, sizeof *conns);
		for (int i = 0; i < share; i++)
			conns[i] = (conn){ .fd = -1, .pidx = vis[(first + i) % nv] };
		nconns = share;
		free(vis);
		worker_held();
	} else {
		conns = calloc((size_t)nprinc + 1, sizeof *conns);
		for (int i = w; i < nprinc; i += nworkers)
			conns[nconns++] = (conn){ .fd = -1, .pidx = i };
		worker_chat();
	}
	if (write(to_parent, &R, sizeof R) != (ssize_t)sizeof R)
		_exit(3);
	_exit(0);
}

/* ---- parent ----------------------------------------------------------- */

/* Says on stderr when the measured window starts and ends ("loadgen: window
 * start" / "loadgen: window end"), so that bench/run.sh can read the server's
 * counters (/metrics, perf stat) over the window alone. The workers measure by
 * the same go stamp; their results come only after the window. */
static void mark_window(int64_t go)
{
	int64_t at[2] = { go + (int64_t)(opt.warmup * NS), go + (int64_t)((opt.warmup + opt.duration) * NS) };
	for (int i = 0; i < 2; i++) {
		int64_t d;
		while ((d = at[i] - now_ns()) > 0) {
			struct timespec ts = { .tv_sec = d / NS, .tv_nsec = d % NS };
			nanosleep(&ts, NULL);
		}
		fprintf(stderr, "loadgen: window %s\n", i ? "end" : "start");
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage:\n"
		"  loadgen held --url URL --tokens FILE --conns N [--procs P] [--hold S] [--batch B]\n"
		"               [--source-per-proc]\n"
		"  loadgen chat --url URL [--url URL2 ...] [--place org|spread] --tokens FILE [--rate R]\n"
		"               [--window W] [--duration S] [--warmup S] [--reply-every K] [--procs P] [--batch B]\n"
		"\n"
		"Load generator for ChatHub's hub (/chathub, SignalR JSON over WebSocket). FILE is what\n"
		"bench/setup.js writes: lines `operator <org> <id> <token>` and `visitor <org> <id> <token>`.\n"
		"Progress goes to stderr, one JSON line of results to stdout.\n"
		"\n"
		"held  opens N hub connections with the visitor tokens (cycling), at most B handshakes\n"
		"      in flight (default 500), sends a hub ping every 15 s and holds them S seconds\n"
		"      (default 20) once all are open, then prints\n"
		"      {\"scenario\":\"held\",\"target\":N,\"connected\":n,\"failed\":f,\"connect_s\":t}\n"
		"      (connected = still open at the end of the hold; connect_s = time to open them).\n"
		"      \"connect phase over\" on stderr marks the moment to sample the server. Each\n"
		"      process stays under %d fds: use --procs P (P workers, N/P each) above that.\n"
		"      --source-per-proc: worker w connects from 127.0.0.(w+2) (one source address has\n"
		"      about 28,000 ephemeral ports towards one server address; Linux routes 127/8 to lo).\n"
		"chat  connects every operator and visitor of FILE (split over P processes); each visitor\n"
		"      opens its chat with SendMessage(null, ...), then after S warmup seconds (default 2)\n"
		"      the run is measured for --duration seconds (default 10):\n"
		"        --rate R    open loop, R visitor messages/s in total, evenly over the visitors\n"
		"        (no rate)   closed loop, each visitor keeps W SendMessage outstanding (--window,\n"
		"                    default 4): saturation\n"
		"      Operators answer every K-th message they receive (--reply-every, default 10).\n"
		"      Latency is send → ReceiveMessage on the other side (CLOCK_MONOTONIC stamp in the\n"
		"      text). A message counts when its send stamp lies in the measured window; after the\n"
		"      window the loadgen drains (≤ 10 s) so sent, acked and delivered should agree.\n"
		"      Every ReceiveMessage/completion seq is checked per chat: gaps, dups, reorders.\n"
		"      errors = error completions + connections lost + gaps + dups + reorders. Prints\n"
		"      {\"scenario\":\"chat\",\"mode\":\"open|closed\",\"rate\":R,\"duration_s\":S,\"sent\":..,\n"
		"       \"acked\":..,\"delivered\":..,\"msgs_per_s\":..,\"p50_ms\":..,\"p90_ms\":..,\"p99_ms\":..,\n"
		"       \"p999_ms\":..,\"max_ms\":..,\"errors\":..,\"gaps\":..,\"dups\":..}\n"
		"      msgs_per_s = delivered (both directions) / duration. Also: reorders, skipped (open\n"
		"      loop sends not made: every visitor 1,000 behind), connected, failed.\n"
		"\n"
		"In chat, stderr says \"loadgen: window start\" and \"loadgen: window end\" as the measured window\n"
		"opens and closes (bench/run.sh reads the server's counters then).\n"
		"Never hangs: connecting/creating chats is capped at 120 s, the run at warmup+duration+30 s.\n"
		"URL: http://HOST:PORT[/prefix] (ws:// too); the hub is PREFIX/chathub. Several --url\n"
		"(up to %d, one per process of a cluster): an organization's operator and visitors go to\n"
		"URL org mod n (--place org, the default), or with --place spread the operator does and\n"
		"visitor i (its line in FILE) goes to URL i mod n, so most messages cross processes.\n",
		MAX_FDS_PER_PROC, MAX_URLS);
}

static void parse_url(const char *url)
{
	if (opt.nurls == MAX_URLS) {
		fprintf(stderr, "loadgen: at most %d --url\n", MAX_URLS);
		exit(2);
	}
	target *t = &opt.url[opt.nurls++];
	const char *p = url;
	if (!strncmp(p, "http://", 7) || !strncmp(p, "ws://", 5))
		p = strchr(p, '/') + 2;
	else if (strstr(p, "://")) {
		fprintf(stderr, "loadgen: only http:// and ws:// URLs (no TLS)\n");
		exit(2);
	}
	const char *slash = strchr(p, '/');
	size_t hl = slash ? (size_t)(slash - p) : strlen(p);
	char hostport[sizeof t->host];
	snprintf(hostport, sizeof hostport, "%.*s", (int)hl, p);
	char *colon = strrchr(hostport, ':');
	if (colon) {
		*colon = 0;
		snprintf(t->port, sizeof t->port, "%s", colon + 1);
	} else {
		strcpy(t->port, "80");
	}
	snprintf(t->host, sizeof t->host, "%s", hostport);
	const char *path = slash ? slash : "";
	size_t pl = strlen(path);
	while (pl && path[pl - 1] == '/')
		pl--;
	if (pl >= 8 && !strncmp(path + pl - 8, "/chathub", 8))
		snprintf(t->path, sizeof t->path, "%.*s", (int)pl, path);
	else
		snprintf(t->path, sizeof t->path, "%.*s/chathub", (int)pl, path);
}

static double ms(uint64_t us) { return (double)us / 1000.0; }

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "chat"))
		opt.chat = true;
	else if (strcmp(argv[1], "held")) {
		fprintf(stderr, "loadgen: unknown scenario '%s' (held or chat; --help)\n", argv[1]);
		return 2;
	}
	static const struct option lo[] = {
		{ "url", 1, 0, 'u' },      { "tokens", 1, 0, 't' },   { "conns", 1, 0, 'n' },
		{ "procs", 1, 0, 'p' },    { "hold", 1, 0, 'H' },     { "batch", 1, 0, 'b' },
		{ "rate", 1, 0, 'r' },     { "window", 1, 0, 'w' },   { "duration", 1, 0, 'd' },
		{ "warmup", 1, 0, 'W' },   { "reply-every", 1, 0, 'k' }, { "help", 0, 0, 'h' },
		{ "place", 1, 0, 'P' },    { "source-per-proc", 0, 0, 'S' },
		{ 0, 0, 0, 0 },
	};
	bool have_url = false, bad_place = false;
	int ch;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'u': parse_url(optarg); have_url = true; break;
		case 'P': opt.spread = !strcmp(optarg, "spread"); bad_place = !opt.spread && strcmp(optarg, "org"); break;
		case 'S': opt.source_per_proc = true; break;
		case 't': opt.tokens = optarg; break;
		case 'n': opt.conns = atoi(optarg); break;
		case 'p': opt.procs = atoi(optarg); break;
		case 'H': opt.hold = atof(optarg); break;
		case 'b': opt.batch = atoi(optarg); break;
		case 'r': opt.rate = atof(optarg); break;
		case 'w': opt.window = atoi(optarg); break;
		case 'd': opt.duration = atof(optarg); break;
		case 'W': opt.warmup = atof(optarg); break;
		case 'k': opt.reply_every = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!have_url || bad_place || !opt.tokens || (!opt.chat && opt.conns <= 0) || opt.procs < 1 || opt.procs > 64 ||
	    opt.batch < 1 || opt.window < 1 || opt.reply_every < 1 || opt.duration <= 0 ||
	    opt.warmup < 0 || opt.hold < 0) {
		fprintf(stderr, "loadgen: missing or bad option (--help)\n");
		return 2;
	}
	load_tokens(opt.tokens);
	int per_proc = opt.chat ? (nprinc + opt.procs - 1) / opt.procs : (opt.conns + opt.procs - 1) / opt.procs;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (per_proc + 64 > (long)rl.rlim_cur || per_proc > MAX_FDS_PER_PROC) {
		fprintf(stderr, "loadgen: %d connections per process exceed the fd budget (%d, limit %ld): "
				"use --procs %d\n",
			per_proc, MAX_FDS_PER_PROC, (long)rl.rlim_cur,
			(per_proc * opt.procs + MAX_FDS_PER_PROC - 1) / MAX_FDS_PER_PROC);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(nonce, sizeof nonce, "%x%x", (unsigned)getpid(), (unsigned)(now_ns() & 0xffffff));

	int P = opt.procs;
	int up[64][2], down[64][2];
	pid_t pids[64];
	for (int w = 0; w < P; w++) {
		if (pipe2(up[w], O_CLOEXEC) || pipe2(down[w], O_CLOEXEC)) {
			perror("loadgen: pipe");
			return 2;
		}
		pids[w] = fork();
		if (pids[w] < 0) {
			perror("loadgen: fork");
			return 2;
		}
		if (!pids[w]) {
			to_parent = up[w][1];
			from_parent = down[w][0];
			run_worker(w, P);
		}
		close(up[w][1]);
		close(down[w][0]);
	}
	/* Deadline for everything: the workers' own caps plus slack; then kill. */
	int64_t t_start = now_ns();
	int64_t hard = t_start + (opt.chat ? 2 * SETUP_TIMEOUT_NS + (int64_t)((opt.warmup + opt.duration + 40) * NS)
					   : SETUP_TIMEOUT_NS + (int64_t)((opt.hold + 20) * NS));
	int nbarriers = opt.chat ? 2 : 1;
	bool dead[64] = { 0 };
	for (int b = 0; b < nbarriers; b++) {
		for (int w = 0; w < P; w++) {
			char x;
			struct pollfd p = { .fd = up[w][0], .events = POLLIN };
			int msl = (int)((hard - now_ns()) / 1000000);
			if (dead[w] || poll(&p, 1, msl > 0 ? msl : 0) <= 0 || read(up[w][0], &x, 1) != 1)
				dead[w] = true;
		}
		/* Everyone starts together, a little later so all workers see it coming. */
		int64_t go = now_ns() + 100 * 1000000LL;
		if (b == nbarriers - 1 && !opt.chat)
			fprintf(stderr, "loadgen: connect phase over, holding %.0f s\n", opt.hold);
		for (int w = 0; w < P; w++)
			if (!dead[w] && write(down[w][1], &go, sizeof go) != sizeof go)
				dead[w] = true;
		if (b == nbarriers - 1 && opt.chat)
			mark_window(go);
	}
	result total = { 0 };
	int lost = 0;
	for (int w = 0; w < P; w++) {
		result *r = malloc(sizeof *r);
		size_t got = 0;
		while (!dead[w] && got < sizeof *r) {
			struct pollfd p = { .fd = up[w][0], .events = POLLIN };
			int msl = (int)((hard - now_ns()) / 1000000);
			if (poll(&p, 1, msl > 0 ? msl : 0) <= 0)
				break;
			ssize_t n = read(up[w][0], (char *)r + got, sizeof *r - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got < sizeof *r) {
			fprintf(stderr, "loadgen: worker %d gave no result; killing it\n", w);
			kill(pids[w], SIGKILL);
			lost++;
		} else {
			total.sent += r->sent;
			total.acked += r->acked;
			total.delivered += r->delivered;
			total.inv_errors += r->inv_errors;
			total.closed += r->closed;
			total.dups += r->dups;
			total.reorders += r->reorders;
			total.gaps += r->gaps;
			total.connected += r->connected;
			total.creates += r->creates;
			total.skipped += r->skipped;
			total.sent_all += r->sent_all;
			total.acked_all += r->acked_all;
			total.delivered_all += r->delivered_all;
			total.failed += r->failed;
			if (r->connect_s > total.connect_s)
				total.connect_s = r->connect_s;
			hist_merge(&total.lat, &r->lat);
		}
		free(r);
	}
	for (int w = 0; w < P; w++)
		waitpid(pids[w], NULL, 0);

	if (!opt.chat) {
		uint64_t failed = (uint64_t)opt.conns - total.connected;
		printf("{\"scenario\":\"held\",\"target\":%d,\"connected\":%llu,\"failed\":%llu,\"connect_s\":%.2f}\n",
		       opt.conns, (unsigned long long)total.connected, (unsigned long long)failed, total.connect_s);
		return lost ? 1 : 0;
	}
	fprintf(stderr, "loadgen: chats created %llu; all messages incl. warmup: sent %llu acked %llu "
			"delivered %llu; error completions %llu, connections lost %llu, sends skipped %llu\n",
		(unsigned long long)total.creates, (unsigned long long)total.sent_all,
		(unsigned long long)total.acked_all, (unsigned long long)total.delivered_all,
		(unsigned long long)total.inv_errors, (unsigned long long)total.closed,
		(unsigned long long)total.skipped);
	uint64_t errors = total.inv_errors + total.closed + total.gaps + total.dups + total.reorders;
	hist *h = &total.lat;
	printf("{\"scenario\":\"chat\",\"mode\":\"%s\",\"rate\":%.0f,\"duration_s\":%g,\"sent\":%llu,"
	       "\"acked\":%llu,\"delivered\":%llu,\"msgs_per_s\":%.1f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
	       "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"errors\":%llu,\"gaps\":%llu,\"dups\":%llu,"
	       "\"reorders\":%llu,\"skipped\":%llu,\"connected\":%llu,\"failed\":%llu}\n",
	       opt.rate > 0 ? "open" : "closed", opt.rate > 0 ? opt.rate : 0, opt.duration,
	       (unsigned long long)total.sent, (unsigned long long)total.acked,
	       (unsigned long long)total.delivered, (double)total.delivered / opt.duration,
	       ms(hist_quantile(h, 0.50)), ms(hist_quantile(h, 0.90)), ms(hist_quantile(h, 0.99)),
	       ms(hist_quantile(h, 0.999)), ms(h->max), (unsigned long long)errors,
	       (unsigned long long)total.gaps, (unsigned long long)total.dups,
	       (unsigned long long)total.reorders, (unsigned long long)total.skipped,
	       (unsigned long long)total.connected,
	       (unsigned long long)total.failed);
	return lost ? 1 : 0;
}
