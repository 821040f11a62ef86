/* hub.c — hub connections: auth check, handshake, record queues, fan-out of
 * bus events, invocations in flight and held input, keep-alive, deadlines and
 * expiry. See hub.h. Network thread only, except the auth job, which runs on
 * a reader worker. */
#include "hub/hub.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/idmap.h"
#include "core/log.h"
#include "core/metrics.h"
#include "hub/index.h"
#include "hub/internal.h"
#include "svc/svc.h"

hub_state H;

/* Principals whose budgets are tracked at once; past it idle ones go first. */
#define PRINCIPAL_BUDGET_KEYS 32768
/* Bytes a connection at its in-flight cap may hold unparsed (lws may still
 * deliver what it had read when asked to stop). */
#define HELD_MAX (4 * CH_HUB_MAX_MESSAGE)

/* MessagePack connections open now: the publishing threads encode an event's
 * MessagePack record ahead only while there are some. */
static int mp_conns;

/* ch_event's release hook: an event's prepared record. */
static void wire_release(void *wire) { hub_rec_unref(wire); }

void ch_hub_init(const ch_hub_opts *o)
{
	memset(&H, 0, sizeof H);
	H.o = *o;
	if (H.o.max_in_flight < 1)
		H.o.max_in_flight = 1;
	H.next_id = 1;
	H.principal_budget = ch_ratelimit_new(H.o.principal_rate, 1000, H.o.principal_burst, PRINCIPAL_BUDGET_KEYS);
	ch_event_set_release(wire_release);
}

size_t ch_hub_count(void) { return H.n; }

/* ---- records and queues --------------------------------------------------- */

hub_rec *hub_rec_new(const ch_buf *b)
{
	hub_rec *r = ch_xmalloc(sizeof *r + H.o.headroom + b->len);
	r->refs = 1;
	r->len = b->len;
	r->data = (char *)(r + 1) + H.o.headroom;
	memcpy(r->data, b->data, b->len);
	return r;
}

void hub_rec_begin(ch_buf *b)
{
	ch_buf_reset(b);
	size_t head = sizeof(hub_rec) + H.o.headroom;
	ch_buf_reserve(b, head + 256);
	memset(b->data, 0, head);
	b->len = head;
}

hub_rec *hub_rec_adopt(ch_buf *b)
{
	size_t head = sizeof(hub_rec) + H.o.headroom;
	if (b->len <= head) {
		ch_buf_free(b);
		return NULL;
	}
	size_t len;
	hub_rec *r = (hub_rec *)(void *)ch_buf_steal(b, &len);
	r->refs = 1;
	r->len = len - head;
	r->data = (char *)r + head;
	return r;
}

void hub_rec_unref(hub_rec *r)
{
	if (r && --r->refs == 0)
		free(r);
}

/* Closes a connection whose queue cannot be delivered: at once (1008, no
 * flush; a client that does not read will not read a close frame either). */
static void drop(ch_hub_conn *c, const char *why, int64_t now)
{
	CH_WARN("hub: connection %llu %s (%zu queued, %zu bytes, last write %lld ms ago): dropped",
	        (unsigned long long)c->id, why, c->qlen, c->qbytes, (long long)(now - c->stall_ms));
	c->state = ST_CLOSED;
	c->ops->close(c->t, 1008, why);
}

static int stalled(const ch_hub_conn *c, int64_t now) { return c->qlen && now - c->stall_ms > H.o.stall_ms; }

void hub_enqueue(ch_hub_conn *c, hub_rec *r)
{
	if (c->state == ST_CLOSED)
		return;
	int64_t now = ch_mono_ms();
	if (stalled(c, now)) {
		drop(c, "send queue stalled", now);
		return;
	}
	if (c->qbytes + r->len > H.o.queue_max_bytes) {
		drop(c, "send queue full", now);
		return;
	}
	if (c->qlen == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 8;
		hub_rec **nq = ch_xmalloc(ncap * sizeof *nq);
		for (size_t i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	r->refs++;
	c->q[(c->qhead + c->qlen) % c->qcap] = r;
	c->qlen++;
	c->qbytes += r->len;
	if (c->qlen == 1) {
		c->stall_ms = now; /* the stall clock starts when the queue fills */
		c->ops->want_write(c->t);
	}
}

void hub_send_buf(ch_hub_conn *c, const ch_buf *b)
{
	if (!b->len)
		return;
	hub_rec *r = hub_rec_new(b);
	hub_enqueue(c, r);
	hub_rec_unref(r);
}

const char *ch_hub_conn_peek(ch_hub_conn *c, size_t i, size_t *len)
{
	if (i >= c->qlen)
		return NULL;
	hub_rec *r = c->q[(c->qhead + i) % c->qcap];
	*len = r->len;
	return r->data;
}

void ch_hub_conn_pop(ch_hub_conn *c, size_t n)
{
	if (n > c->qlen)
		n = c->qlen;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		hub_rec *r = c->q[c->qhead];
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qbytes -= r->len;
		hub_rec_unref(r);
	}
	c->qlen -= n;
	c->last_sent_ms = c->stall_ms = ch_mono_ms(); /* a completed write restarts the stall clock */
	if (c->qlen)
		c->ops->want_write(c->t);
}

static uint64_t in_flight(const ch_hub_conn *c) { return c->seq_next - c->seq_out; }

/* The close itself: the record after everything queued, then the transport. */
static void finish_close(ch_hub_conn *c, const char *error, int allow_reconnect)
{
	ch_buf b = CH_BUF_INIT;
	if (c->state >= ST_READY)
		ch_hub_write_close(&b, c->proto, error, allow_reconnect);
	else /* before the handshake, the client waits for the handshake answer */
		ch_hub_write_handshake(&b, error ? error : "closed");
	hub_send_buf(c, &b);
	ch_buf_free(&b);
	/* the close record goes out after the queue; then the transport closes */
	c->state = ST_CLOSED;
	c->ops->close(c->t, 1000, error ? error : "closed");
}

void hub_close(ch_hub_conn *c, const char *error, int allow_reconnect)
{
	if (c->state >= ST_CLOSING)
		return;
	if (c->state == ST_READY && in_flight(c)) {
		/* the answers to its calls in progress come first, in order */
		c->state = ST_CLOSING;
		c->close_has_error = error != NULL;
		snprintf(c->close_error, sizeof c->close_error, "%s", error ? error : "");
		c->close_allow = allow_reconnect;
		ch_buf_free(&c->held); /* no more input is taken */
		c->holding = 0;
		if (c->rx_stopped) { /* read (and drop) what comes, so the socket ends cleanly */
			c->rx_stopped = 0;
			c->ops->pause(c->t, 0);
		}
		return;
	}
	finish_close(c, error, allow_reconnect);
}

ch_hub_conn *hub_conn_by_id(uint64_t id)
{
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_CONN, id), &n);
	return n ? v[0] : NULL;
}

/* ---- audience registration ------------------------------------------------ */

/* A connection is in the index under its principal's keys from its open
 * (so a close by principal reaches it in every state) to its end; fan-out
 * only delivers to ready ones. keys[0] is the principal itself. */
static void keys_of(const ch_principal *p, uint64_t keys[3], size_t *n)
{
	*n = 0;
	if (p->kind == CH_TOKEN_COMPANY)
		keys[(*n)++] = HUB_KEY(KEY_COMPANY, p->company_id);
	else if (p->kind == CH_TOKEN_OPERATOR) {
		keys[(*n)++] = HUB_KEY(KEY_OPERATOR, p->operator_id);
		keys[(*n)++] = HUB_KEY(KEY_ORG_OPERATORS, p->org_id);
	} else if (p->kind == CH_TOKEN_VISITOR) {
		keys[(*n)++] = HUB_KEY(KEY_CLIENT, p->client_id);
		keys[(*n)++] = HUB_KEY(KEY_ORG_VISITORS, p->org_id);
	}
}

static void index_conn(ch_hub_conn *c, int add)
{
	uint64_t keys[3];
	size_t n;
	keys_of(&c->p, keys, &n);
	for (size_t i = 0; i < n; i++)
		(add ? hub_index_add : hub_index_remove)(keys[i], c);
}

size_t ch_hub_principal_connections(const ch_principal *p)
{
	uint64_t keys[3];
	size_t n, count = 0;
	keys_of(p, keys, &n);
	if (n)
		hub_index_get(keys[0], &count);
	return count;
}

/* The operator's connections on this process that count for presence
 * (ready ones; a connection stays counted until it is gone). */
static int64_t present_count(int64_t operator_id)
{
	size_t n;
	int64_t count = 0;
	void **v = hub_index_get(HUB_KEY(KEY_OPERATOR, operator_id), &n);
	for (size_t i = 0; i < n; i++)
		count += ((ch_hub_conn *)v[i])->present;
	return count;
}

/* Presence is the store's (svc/presence.c): this process publishes its
 * count; the job emits OperatorPresence and drains the queue. Jobs run in
 * the order they are submitted, so the counts arrive in order. */
static void publish_presence(const ch_principal *p, int added)
{
	ch_svc_presence_conn(p->company_id, p->org_id, p->operator_id, present_count(p->operator_id), added, NULL,
	                     NULL);
}

/* The handshake answer: empty when accepted, else the error. */
static void answer_handshake(ch_hub_conn *c, const char *error)
{
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_handshake(&b, error);
	hub_send_buf(c, &b);
	ch_buf_free(&b);
}

/* A refused handshake: its answer goes out, then the transport closes. */
static void handshake_fail(ch_hub_conn *c, const char *error, const char *why)
{
	answer_handshake(c, error);
	c->state = ST_CLOSED;
	c->ops->close(c->t, 1000, why);
}

static void ready(ch_hub_conn *c)
{
	answer_handshake(c, NULL);
	c->state = ST_READY;
}

static void resume(ch_hub_conn *c);

typedef struct join {
	uint64_t conn_id;
	char fail[96];
} join;

/* Network thread: the operator's presence is stored (its OperatorPresence
 * went out, its queue drained): the handshake answer, then its input. */
static void join_finished(void *arg)
{
	join *jn = arg;
	ch_hub_conn *c = hub_conn_by_id(jn->conn_id);
	if (c && c->joining && c->state == ST_HANDSHAKE) {
		c->joining = 0;
		if (jn->fail[0]) {
			handshake_fail(c, jn->fail, "handshake failed");
		} else {
			ready(c);
			ch_svc_drain(c->p.company_id, c->p.org_id, NULL, NULL); /* its share of the queue, now it hears it */
			resume(c); /* what the client sent after its handshake */
		}
	}
	free(jn);
}

static void join_done(void *arg, ch_svc_result *r)
{
	join *jn = arg;
	if (r->err)
		snprintf(jn->fail, sizeof jn->fail, "%s", r->err == CH_ERR_BUSY ? ch_err_text(r->err)
		                                                                 : "server unavailable, retry");
	json_decref(r->result);
	H.o.post(join_finished, jn);
}

/* An operator's good handshake: presence first (one job), so that once the
 * client is answered, every process routes to it. */
static void join_presence(ch_hub_conn *c)
{
	c->present = 1;
	c->joining = 1;
	join *jn = ch_xcalloc(1, sizeof *jn);
	jn->conn_id = c->id;
	ch_svc_presence_conn(c->p.company_id, c->p.org_id, c->p.operator_id, present_count(c->p.operator_id), 1,
	                     join_done, jn);
}

/* ---- invocations in flight ------------------------------------------------ */

/* Room for one more call in the ring: most connections never have more than
 * a few in flight, so it starts small and doubles up to max_in_flight. */
static void pend_reserve(ch_hub_conn *c)
{
	if (in_flight(c) < c->npend)
		return;
	uint32_t n = c->npend ? c->npend * 2 : 4;
	if (n > (uint32_t)H.o.max_in_flight)
		n = (uint32_t)H.o.max_in_flight;
	hub_pending *np = ch_xcalloc(n, sizeof *np);
	for (uint64_t s = c->seq_out; s != c->seq_next; s++)
		np[s % n] = c->pend[s % c->npend];
	free(c->pend);
	c->pend = np;
	c->npend = n;
}

void hub_call_begin(ch_hub_conn *c)
{
	pend_reserve(c); /* the cap is never passed: input waits at it */
	c->cur_seq = c->seq_next++;
}


void hub_call_end(ch_hub_conn *c, uint64_t seq, const ch_buf *b)
{
	hub_call_end_rec(c, seq, b->len ? hub_rec_new(b) : NULL);
}

void hub_call_end_rec(ch_hub_conn *c, uint64_t seq, hub_rec *rec)
{
	hub_pending *slot = &c->pend[seq % c->npend];
	slot->rec = rec;
	slot->done = 1;
	/* completions go out in the order of their invocations */
	while (c->seq_out != c->seq_next) {
		slot = &c->pend[c->seq_out % c->npend];
		if (!slot->done)
			break;
		if (slot->rec) {
			hub_enqueue(c, slot->rec);
			hub_rec_unref(slot->rec);
		}
		*slot = (hub_pending){0};
		c->seq_out++;
	}
	if (c->state == ST_CLOSING) {
		if (!in_flight(c))
			finish_close(c, c->close_has_error ? c->close_error : NULL, c->close_allow);
		return;
	}
	if (c->holding && !c->joining && in_flight(c) < (uint32_t)H.o.max_in_flight)
		resume(c);
}

/* ---- handshake and input ---------------------------------------------------- */

/* on_record: closed / at the in-flight cap / the framing changed (what
 * follows a MessagePack handshake is length-prefixed) */
enum { FEED_STOP = 1, FEED_HOLD = 2, FEED_REFRAME = 3 };

static int on_handshake(ch_hub_conn *c, const char *rec, size_t len)
{
	char err[200];
	ch_hub_proto proto = CH_HUB_JSON;
	ch_err e = c->fail[0] ? CH_ERR_NO_TOKEN : ch_hub_handshake_parse(rec, len, &proto, err, sizeof err);
	if (!e && proto == CH_HUB_MSGPACK && c->text_only) {
		snprintf(err, sizeof err, "The 'messagepack' protocol needs a binary transport: Server-Sent Events carry "
		                          "text only (use WebSockets or Long Polling).");
		e = CH_ERR_BAD_JSON;
	}
	if (e) {
		handshake_fail(c, c->fail[0] ? c->fail : err, "handshake failed");
		return FEED_STOP;
	}
	c->proto = proto;
	if (proto == CH_HUB_MSGPACK) {
		c->reader.binary = 1; /* what follows is length-prefixed */
		__atomic_add_fetch(&mp_conns, 1, __ATOMIC_RELAXED);
	}
	if (c->p.kind == CH_TOKEN_OPERATOR) {
		join_presence(c);
		return FEED_HOLD; /* the rest waits for the answer (join_finished) */
	}
	ready(c);
	return proto == CH_HUB_MSGPACK ? FEED_REFRAME : 0;
}

static int on_record(void *ctx, const char *rec, size_t len)
{
	ch_hub_conn *c = ctx;
	char err[200];
	if (c->state == ST_HANDSHAKE)
		return on_handshake(c, rec, len);
	if (c->state != ST_READY)
		return FEED_STOP;
	ch_hub_msg m;
	if (ch_hub_msg_parse(c->proto, rec, len, &m, err, sizeof err)) {
		hub_close(c, err, 0);
		return FEED_STOP;
	}
	if (m.type == CH_HUB_INVOCATION || m.type == CH_HUB_STREAM_INVOCATION)
		hub_invoke(c, &m);
	else if (m.type == CH_HUB_CLOSE) {
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1000, "client closed");
	} /* pings, completions, cancels: nothing to do */
	ch_hub_msg_free(&m);
	if (c->state == ST_CLOSED)
		return FEED_STOP;
	/* at the cap, the next records wait for completions */
	return in_flight(c) >= (uint32_t)H.o.max_in_flight ? FEED_HOLD : 0;
}

/* Keeps bytes the hub does not take now; too many → the connection goes. */
static int hold(ch_hub_conn *c, const char *data, size_t len)
{
	if (c->held.len + len > HELD_MAX) {
		CH_WARN("hub: connection %llu sends past its in-flight cap (%zu bytes held): dropped",
		        (unsigned long long)c->id, c->held.len + len);
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1008, "flood");
		return -1;
	}
	ch_buf_append(&c->held, data, len);
	return 0;
}

static int feed(ch_hub_conn *c, const char *data, size_t len)
{
	size_t used = 0;
	int rc = ch_hub_reader_feed(&c->reader, data, len, on_record, c, &used);
	while (rc == FEED_REFRAME) { /* the rest in the protocol's own framing */
		data += used;
		len -= used;
		rc = ch_hub_reader_feed(&c->reader, data, len, on_record, c, &used);
	}
	if (rc == -1) {
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1009, "message too big");
		return -1;
	}
	if (rc != FEED_HOLD)
		return 0;
	c->holding = 1;
	if (!c->rx_stopped) {
		c->rx_stopped = 1;
		c->ops->pause(c->t, 1);
	}
	return used < len ? hold(c, data + used, len - used) : 0;
}

/* Under the cap again: the held records in order, then the socket. */
static void resume(ch_hub_conn *c)
{
	ch_buf in = c->held;
	memset(&c->held, 0, sizeof c->held);
	c->holding = 0;
	if (in.len)
		feed(c, in.data, in.len); /* may reach the cap again and hold the rest */
	ch_buf_free(&in);
	if (!c->holding && c->rx_stopped && c->state == ST_READY) {
		c->rx_stopped = 0;
		c->last_recv_ms = ch_mono_ms(); /* it could not send while we did not read */
		c->ops->pause(c->t, 0);
	}
}

int ch_hub_conn_receive(ch_hub_conn *c, const char *data, size_t len)
{
	c->last_recv_ms = ch_mono_ms();
	if (c->state >= ST_CLOSING)
		return 0; /* read and dropped: closing */
	if (c->state == ST_AUTHING) {
		if (c->inbox.len + len > CH_HUB_MAX_MESSAGE) {
			c->state = ST_CLOSED;
			c->ops->close(c->t, 1009, "message too big");
			return -1;
		}
		ch_buf_append(&c->inbox, data, len);
		return 0;
	}
	if (c->holding)
		return hold(c, data, len);
	return feed(c, data, len);
}

/* ---- revoked tokens, known in memory ---------------------------------------- */

/* Per principal kind: id → the lowest token epoch still valid (+1, so never
 * NULL). Learned from revocations this process committed and from the auth
 * checks that found a token revoked, so the next upgrade with such a token is
 * refused with a 401 before it starts, not at its handshake. Epochs only grow:
 * an entry is never wrong, only possibly behind the database. */
static ch_idmap revoked[CH_TOKEN_VISITOR + 1];

static int64_t principal_id(const ch_principal *p)
{
	return p->kind == CH_TOKEN_OPERATOR ? p->operator_id : p->kind == CH_TOKEN_COMPANY ? p->company_id : 0;
}

static void note_revoked(ch_token_kind kind, int64_t id, int64_t valid_from)
{
	if (!id || (kind != CH_TOKEN_OPERATOR && kind != CH_TOKEN_COMPANY))
		return;
	intptr_t have = (intptr_t)ch_idmap_get(&revoked[kind], id);
	if (have - 1 < valid_from)
		ch_idmap_put(&revoked[kind], id, (void *)(intptr_t)(valid_from + 1));
}

int ch_hub_token_revoked(const ch_principal *p)
{
	int64_t id = principal_id(p);
	if (!id || (p->kind != CH_TOKEN_OPERATOR && p->kind != CH_TOKEN_COMPANY))
		return 0;
	intptr_t valid_from = (intptr_t)ch_idmap_get(&revoked[p->kind], id);
	return valid_from && p->epoch < valid_from - 1;
}

/* ---- the auth check (principal still valid, origin allowed) ---------------- */

typedef struct auth_job {
	uint64_t conn_id;
	ch_principal p;
	char *origin;
	int recheck; /* of a connection that passed once: only the principal is checked again */
	char fail[96];
} auth_job;

static ch_err auth_tx(ch_svc_tx *tx, void *arg)
{
	auth_job *j = arg;
	ch_err e = ch_svc_principal_valid(tx, &j->p); /* epoch, status, existence */
	if (e == CH_ERR_TOKEN_REVOKED)
		snprintf(j->fail, sizeof j->fail, "token revoked");
	else if (e == CH_ERR_NO_TOKEN || e == CH_ERR_NOT_FOUND)
		snprintf(j->fail, sizeof j->fail, "invalid token");
	else if (e)
		snprintf(j->fail, sizeof j->fail, "server unavailable, retry");
	if (!j->fail[0] && !j->recheck && !ch_svc_origin_allowed(tx, &j->p, j->origin))
		snprintf(j->fail, sizeof j->fail, "origin not allowed");
	return CH_OK;
}

static void auth_done(void *arg)
{
	auth_job *j = arg;
	ch_hub_conn *c = hub_conn_by_id(j->conn_id);
	if (!strcmp(j->fail, "token revoked"))
		note_revoked(j->p.kind, principal_id(&j->p), j->p.epoch + 1);
	if (c && j->recheck) {
		/* a store failure on a recheck proves nothing: only a verdict closes */
		if (!strcmp(j->fail, "token revoked") || !strcmp(j->fail, "invalid token"))
			hub_close(c, j->fail, 0);
	} else if (c && c->state == ST_AUTHING) {
		snprintf(c->fail, sizeof c->fail, "%s", j->fail);
		c->state = ST_HANDSHAKE;
		ch_buf in = c->inbox;
		memset(&c->inbox, 0, sizeof c->inbox);
		if (in.len)
			feed(c, in.data, in.len);
		ch_buf_free(&in);
	}
	free(j->origin);
	free(j);
}

static void auth_run(void *arg)
{
	auth_job *j = arg;
	if (ch_svc_read(auth_tx, j))
		snprintf(j->fail, sizeof j->fail, "server unavailable, retry");
	H.o.post(auth_done, j);
}

void ch_hub_recheck_principals(void)
{
	for (size_t i = 0; i < H.n; i++) {
		ch_hub_conn *c = H.all[i];
		if (c->state >= ST_CLOSING || (c->p.kind != CH_TOKEN_COMPANY && c->p.kind != CH_TOKEN_OPERATOR))
			continue;
		auth_job *j = ch_xcalloc(1, sizeof *j);
		j->conn_id = c->id;
		j->p = c->p;
		j->recheck = 1;
		ch_workq_submit(H.o.readers, auth_run, j); /* must run: a revocation has to reach it */
	}
}

/* The token's signature and expiry were checked at the upgrade; this job
 * checks what needs the database (the principal still valid, the origin). */
ch_hub_conn *ch_hub_conn_open(const ch_principal *p, int64_t exp_s, const char *origin, const char *base,
                              void *t, const ch_hub_transport *ops)
{
	ch_hub_conn *c = ch_xcalloc(1, sizeof *c);
	c->id = H.next_id++;
	snprintf(c->base, sizeof c->base, "%s", base ? base : "");
	c->p = *p;
	c->exp_s = exp_s;
	c->t = t;
	c->ops = ops;
	c->state = ST_AUTHING;
	c->opened_ms = c->last_recv_ms = c->last_sent_ms = ch_mono_ms();
	ch_bucket_init(&c->budget, H.o.burst, c->opened_ms);
	if (H.n == H.cap) {
		H.cap = H.cap ? H.cap * 2 : 256;
		H.all = ch_xrealloc(H.all, H.cap * sizeof *H.all);
	}
	c->all_idx = H.n;
	H.all[H.n++] = c;
	hub_index_add(HUB_KEY(KEY_CONN, c->id), c);
	index_conn(c, 1);
	ch_metrics_gauge_add(CH_GAUGE_HUB_CONNECTIONS, 1);
	auth_job *j = ch_xcalloc(1, sizeof *j);
	j->conn_id = c->id;
	j->p = *p;
	j->origin = origin ? ch_xstrdup(origin) : NULL;
	if (ch_workq_try_submit(H.o.readers, auth_run, j)) {
		/* the readers are swamped: the handshake answers so, at once */
		free(j->origin);
		free(j);
		snprintf(c->fail, sizeof c->fail, "%s", ch_err_text(CH_ERR_BUSY));
		c->state = ST_HANDSHAKE;
	}
	return c;
}

void ch_hub_conn_rebind(ch_hub_conn *c, void *t, const ch_hub_transport *ops)
{
	c->t = t;
	c->ops = ops;
	if (c->rx_stopped)
		ops->pause(t, 1);
	if (c->qlen)
		ops->want_write(t);
}

void ch_hub_conn_touch(ch_hub_conn *c) { c->last_recv_ms = ch_mono_ms(); }
void ch_hub_conn_set_text_only(ch_hub_conn *c) { c->text_only = 1; }
int ch_hub_conn_binary(const ch_hub_conn *c) { return c->proto == CH_HUB_MSGPACK; }
size_t ch_hub_conn_queued(const ch_hub_conn *c) { return c->qlen; }

/* An operator's connection is gone: its count is published again, and the
 * grace period runs in the store (the tick). Not while shutting down: the
 * node's lease runs out instead, and whoever reaps it starts the grace. */
static int shutting_down;

void ch_hub_shutdown(void) { shutting_down = 1; }

static void operator_left(const ch_principal *p)
{
	if (!shutting_down)
		publish_presence(p, 0);
}

void ch_hub_conn_gone(ch_hub_conn *c)
{
	if (c->proto == CH_HUB_MSGPACK)
		__atomic_sub_fetch(&mp_conns, 1, __ATOMIC_RELAXED);
	index_conn(c, 0);
	if (c->present)
		operator_left(&c->p);
	hub_index_remove(HUB_KEY(KEY_CONN, c->id), c);
	H.all[c->all_idx] = H.all[--H.n];
	H.all[c->all_idx]->all_idx = c->all_idx;
	for (size_t i = 0; i < c->qlen; i++)
		hub_rec_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
	for (uint32_t i = 0; i < c->npend; i++)
		hub_rec_unref(c->pend[i].rec);
	free(c->pend);
	ch_buf_free(&c->held);
	ch_buf_free(&c->inbox);
	ch_hub_reader_free(&c->reader);
	free(c->origin);
	free(c);
	ch_metrics_gauge_add(CH_GAUGE_HUB_CONNECTIONS, -1);
}

/* ---- fan-out ------------------------------------------------------------ */

static const struct {
	unsigned bit;
	int kind;
} audience_keys[] = {
	{CH_AUD_ORG_OPERATORS, KEY_ORG_OPERATORS}, {CH_AUD_COMPANY, KEY_COMPANY}, {CH_AUD_CLIENT, KEY_CLIENT},
	{CH_AUD_OPERATOR, KEY_OPERATOR}, {CH_AUD_ORG_VISITORS, KEY_ORG_VISITORS},
};

static int64_t audience_id(const ch_event *ev, int kind)
{
	switch (kind) {
	case KEY_COMPANY: return ev->company_id;
	case KEY_CLIENT: return ev->client_id;
	case KEY_OPERATOR: return ev->operator_id;
	default: return ev->org_id;
	}
}

/* The records of one event: one per protocol, and, when it carries media
 * whose uri is relative (no public_url), one per protocol and link base,
 * so that each connection gets the address it came to. Made on first use. */
typedef struct based_rec {
	ch_hub_proto proto;
	char *base;
	hub_rec *r;
} based_rec;

typedef struct event_recs {
	const ch_event *ev;
	int relative;
	hub_rec *plain[2];
	based_rec *based;
	size_t nbased;
} event_recs;

static hub_rec *encode_event(const ch_event *ev, ch_hub_proto proto, json_t *args)
{
	ch_buf b = CH_BUF_INIT;
	hub_rec_begin(&b);
	ch_hub_write_invocation(&b, proto, ev->target, args);
	return hub_rec_adopt(&b);
}

/* An event prepared without the record of proto (its first connection of
 * that protocol came after the event was encoded): its arguments again, from
 * its JSON record. */
static hub_rec *encode_from_wire(const ch_event *ev, ch_hub_proto proto)
{
	const hub_rec *j = ev->wire[CH_HUB_JSON];
	json_t *root = j ? json_loadb(j->data, j->len - 1, 0, NULL) : NULL; /* without the record separator */
	hub_rec *r = encode_event(ev, proto, json_object_get(root, "arguments"));
	json_decref(root);
	return r;
}

/* The record a connection gets: the one encoded ahead, else one per protocol
 * made here on first use. */
static hub_rec *event_rec(event_recs *e, const ch_hub_conn *c)
{
	if (!e->relative || !c->base[0]) {
		if (e->ev->wire[c->proto])
			return e->ev->wire[c->proto];
		if (!e->plain[c->proto])
			e->plain[c->proto] = e->ev->args ? encode_event(e->ev, c->proto, e->ev->args)
			                                 : encode_from_wire(e->ev, c->proto);
		return e->plain[c->proto];
	}
	for (size_t i = 0; i < e->nbased; i++)
		if (e->based[i].proto == c->proto && !strcmp(e->based[i].base, c->base))
			return e->based[i].r;
	json_t *args = json_deep_copy(e->ev->args);
	ch_svc_media_absolute(args, c->base);
	e->based = ch_xrealloc(e->based, (e->nbased + 1) * sizeof *e->based);
	e->based[e->nbased] = (based_rec){c->proto, ch_xstrdup(c->base), encode_event(e->ev, c->proto, args)};
	json_decref(args);
	return e->based[e->nbased++].r;
}

void ch_hub_prepare(ch_event *list)
{
	int mp = __atomic_load_n(&mp_conns, __ATOMIC_RELAXED) > 0;
	for (ch_event *ev = list; ev; ev = ev->next) {
		/* media links made absolute per connection need the arguments */
		if (ev->kind != CH_EV_INVOKE || !ev->args || ev->wire[CH_HUB_JSON] || ch_svc_media_relative(ev->args))
			continue;
		ev->wire[CH_HUB_JSON] = encode_event(ev, CH_HUB_JSON, ev->args);
		if (mp)
			ev->wire[CH_HUB_MSGPACK] = encode_event(ev, CH_HUB_MSGPACK, ev->args);
		json_decref(ev->args);
		ev->args = NULL;
	}
}

static void event_recs_free(event_recs *e)
{
	hub_rec_unref(e->plain[0]);
	hub_rec_unref(e->plain[1]);
	for (size_t i = 0; i < e->nbased; i++) {
		free(e->based[i].base);
		hub_rec_unref(e->based[i].r);
	}
	free(e->based);
}

/* One serialisation per protocol (and link base), made ahead (ch_hub_prepare)
 * or here, queued on every connection of the audience. */
static void deliver_invoke(const ch_event *ev)
{
	event_recs r = {.ev = ev, .relative = ev->args && ch_svc_media_relative(ev->args)};
	for (size_t k = 0; k < sizeof audience_keys / sizeof audience_keys[0]; k++) {
		if (!(ev->audience & audience_keys[k].bit))
			continue;
		int64_t id = audience_id(ev, audience_keys[k].kind);
		size_t n;
		void **v = hub_index_get(HUB_KEY(audience_keys[k].kind, id), &n);
		for (size_t i = 0; i < n; i++) {
			ch_hub_conn *c = v[i];
			if (c->id != ev->exclude_conn && c->state == ST_READY && c->p.company_id == ev->company_id)
				hub_enqueue(c, event_rec(&r, c));
		}
	}
	event_recs_free(&r);
}

static void close_operator(const ch_event *ev)
{
	note_revoked(CH_TOKEN_OPERATOR, ev->operator_id, ev->epoch);
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_OPERATOR, ev->operator_id), &n);
	/* hub_close does not unregister (that happens when the transport is gone) */
	for (size_t i = 0; i < n; i++)
		hub_close(v[i], ev->target, 0);
}

/* A revoked API key: the company's connections made with it. */
static void close_key(const ch_event *ev)
{
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_COMPANY, ev->company_id), &n);
	for (size_t i = 0; i < n; i++)
		if (((ch_hub_conn *)v[i])->p.key_id == ev->key_id)
			hub_close(v[i], ev->target, 0);
}

/* An erased client: its visitor connections (its tokens are revoked). */
static void close_client(const ch_event *ev)
{
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_CLIENT, ev->client_id), &n);
	for (size_t i = 0; i < n; i++)
		hub_close(v[i], ev->target, 0);
}

void ch_hub_deliver(ch_event *list)
{
	for (ch_event *ev = list; ev; ev = ev->next) {
		if (ev->kind == CH_EV_INVOKE)
			deliver_invoke(ev);
		else if (ev->kind == CH_EV_CLOSE_OPERATOR)
			close_operator(ev);
		else if (ev->kind == CH_EV_CLOSE_KEY)
			close_key(ev);
		else if (ev->kind == CH_EV_CLOSE_CLIENT)
			close_client(ev);
	}
	ch_event_free_list(list);
}

/* ---- time ----------------------------------------------------------------- */

/* Publishes every operator's count again: this node had been reaped. */
static void republish(void)
{
	ch_idmap seen = {0};
	for (size_t i = 0; i < H.n; i++) {
		ch_hub_conn *c = H.all[i];
		if (!c->present || ch_idmap_get(&seen, c->p.operator_id))
			continue;
		ch_idmap_put(&seen, c->p.operator_id, c);
		publish_presence(&c->p, 0);
	}
	ch_idmap_free(&seen, NULL);
}

static int tick_in_flight;

static void tick_finished(void *arg)
{
	tick_in_flight = 0;
	if (arg)
		republish();
}

/* Store writer (or this thread when the queue is full). */
static void tick_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int again = !r->err && json_is_true(json_object_get(r->result, "republish"));
	json_decref(r->result);
	H.o.post(tick_finished, again ? (void *)1 : NULL);
}

/* Once a second: the node's lease, dead nodes, the grace sweep (one job). */
static void presence_tick(void)
{
	if (tick_in_flight || shutting_down)
		return;
	tick_in_flight = 1;
	ch_svc_presence_tick(H.o.offline_grace_ms, tick_done, NULL);
}

/* ---- the auto-close sweep ------------------------------------------------- */

static int sweep_in_flight;
static int64_t next_sweep_ms; /* monotonic; 0 = at the next tick */

static void sweep_finished(void *more)
{
	sweep_in_flight = 0;
	if (more)
		next_sweep_ms = 0; /* a full batch: the rest at the next tick */
}

/* Store writer (or this thread when the queue is full). */
static void sweep_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int more = !r->err && json_is_true(json_object_get(r->result, "more"));
	if (r->err && r->err != CH_ERR_BUSY)
		CH_WARN("auto-close sweep failed: %s (again at the next period)", r->message);
	json_decref(r->result);
	H.o.post(sweep_finished, more ? (void *)1 : NULL);
}

/* Every auto_close_every_ms, one sweep job (svc/autoclose.c) at a time. */
static void autoclose_tick(int64_t mono)
{
	if (!H.o.auto_close_every_ms || sweep_in_flight || shutting_down || mono < next_sweep_ms)
		return;
	next_sweep_ms = mono + H.o.auto_close_every_ms;
	sweep_in_flight = 1;
	ch_svc_autoclose_sweep(sweep_done, NULL);
}

/* Every retention_every_ms, one retention sweep (svc/erasure.c) at a time,
 * at once again while a full batch says more wait. */
static int retention_in_flight;
static int64_t next_retention_ms;

static void retention_finished(void *more)
{
	retention_in_flight = 0;
	if (more)
		next_retention_ms = 0;
}

static void retention_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int more = !r->err && json_is_true(json_object_get(r->result, "more"));
	if (r->err && r->err != CH_ERR_BUSY)
		CH_WARN("retention sweep failed: %s (again at the next period)", r->message);
	json_decref(r->result);
	H.o.post(retention_finished, more ? (void *)1 : NULL);
}

static void retention_tick(int64_t mono)
{
	if (!H.o.retention_every_ms || retention_in_flight || shutting_down || mono < next_retention_ms)
		return;
	next_retention_ms = mono + H.o.retention_every_ms;
	retention_in_flight = 1;
	ch_svc_retention_sweep(retention_done, NULL);
}

/* ---- the business-hours drain sweep ---------------------------------------- */

static int hours_in_flight;
static int64_t next_hours_ms; /* monotonic; 0 = at the next tick */

static void hours_finished(void *more)
{
	hours_in_flight = 0;
	if (more)
		next_hours_ms = 0;
}

/* Store writer (or this thread when the queue is full). */
static void hours_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int more = !r->err && json_is_true(json_object_get(r->result, "more"));
	if (r->err && r->err != CH_ERR_BUSY)
		CH_WARN("business-hours sweep failed: %s (again at the next period)", r->message);
	json_decref(r->result);
	H.o.post(hours_finished, more ? (void *)1 : NULL);
}

/* At the second a drain this process asked for is due (svc/hours.c), and
 * every hours_every_ms for the others', one sweep at a time. */
static void hours_tick(int64_t now_ms, int64_t mono)
{
	if (hours_in_flight || shutting_down)
		return;
	int periodic = H.o.hours_every_ms && mono >= next_hours_ms;
	if (!ch_svc_hours_due(now_ms) && !periodic)
		return;
	if (periodic)
		next_hours_ms = mono + H.o.hours_every_ms;
	hours_in_flight = 1;
	ch_svc_hours_sweep(hours_done, NULL);
}

/* Once a minute, the organization events older than the retention are
 * deleted (svc/events.c), one job at a time, at once again while a full
 * batch says more wait. Several processes may trim: deleting is idempotent. */
static int trim_in_flight;
static int64_t next_trim_ms;

static void trim_finished(void *arg)
{
	trim_in_flight = 0;
	if (arg)
		next_trim_ms = 0;
}

static void trim_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int more = !r->err && json_is_true(json_object_get(r->result, "more"));
	if (r->err && r->err != CH_ERR_BUSY)
		CH_WARN("events retention trim failed: %s (again in a minute)", r->message);
	json_decref(r->result);
	H.o.post(trim_finished, more ? (void *)1 : NULL);
}

static void trim_tick(int64_t mono)
{
	if (!H.o.events_retention_ms || trim_in_flight || shutting_down || mono < next_trim_ms)
		return;
	next_trim_ms = mono + 60000;
	trim_in_flight = 1;
	ch_svc_events_trim(H.o.events_retention_ms, trim_done, NULL);
}

/* The search index's catch-up (svc/search.c): one job at a time, every tick,
 * and again at once while a full chunk says more wait. */
static int index_in_flight;

static void index_tick(void);

static void index_finished(void *arg)
{
	index_in_flight = 0;
	if (arg && !shutting_down)
		index_tick();
}

/* Store writer (or this thread when the queue is full). */
static void index_done(void *arg, ch_svc_result *r)
{
	(void)arg;
	int more = !r->err && json_is_true(r->result);
	if (r->err && r->err != CH_ERR_BUSY)
		CH_WARN("search index catch-up failed: %s (again at the next tick)", r->message);
	json_decref(r->result);
	H.o.post(index_finished, more ? (void *)1 : NULL);
}

static void index_tick(void)
{
	if (index_in_flight || shutting_down)
		return;
	index_in_flight = 1;
	ch_svc_search_catch_up(index_done, NULL);
}

/* One connection's timers; ping holds the shared ping records, one per
 * protocol (created lazily). */
static void tick_conn(ch_hub_conn *c, int64_t now_ms, int64_t mono, hub_rec **ping)
{
	if (c->exp_s && c->exp_s * 1000 <= now_ms) {
		hub_close(c, "token expired", 0);
	} else if (c->state < ST_READY && mono - c->opened_ms >= H.o.handshake_ms) {
		/* the handshake deadline: trickled bytes do not extend it */
		handshake_fail(c, "handshake timed out", "handshake timed out");
	} else if (stalled(c, mono)) {
		drop(c, "send queue stalled", mono);
	} else if (!c->rx_stopped && mono - c->last_recv_ms > H.o.idle_ms) {
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1001, "idle");
	} else if (c->state == ST_READY && mono - c->last_sent_ms >= H.o.ping_ms && c->qlen == 0) {
		if (!ping[c->proto]) {
			ch_buf b = CH_BUF_INIT;
			ch_hub_write_ping(&b, c->proto);
			ping[c->proto] = hub_rec_new(&b);
			ch_buf_free(&b);
		}
		hub_enqueue(c, ping[c->proto]);
		c->last_sent_ms = mono;
	}
}

void ch_hub_tick(int64_t now_ms)
{
	int64_t mono = ch_mono_ms();
	hub_rec *ping[2] = {NULL, NULL};
	for (size_t i = 0; i < H.n; i++)
		if (H.all[i]->state < ST_CLOSING)
			tick_conn(H.all[i], now_ms, mono, ping);
	hub_rec_unref(ping[0]);
	hub_rec_unref(ping[1]);
	presence_tick();
	autoclose_tick(mono);
	retention_tick(mono);
	hours_tick(now_ms, mono);
	trim_tick(mono);
	index_tick();
}

void ch_hub_fini(void)
{
	hub_index_clear();
	for (size_t k = 0; k < sizeof revoked / sizeof revoked[0]; k++)
		ch_idmap_free(&revoked[k], NULL);
	ch_ratelimit_free(H.principal_budget);
	H.principal_budget = NULL;
	free(H.all);
	H.all = NULL;
	H.n = H.cap = 0;
}
