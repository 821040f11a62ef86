/* hub.c — hub connections: auth check, handshake, record queues, fan-out of
 * bus events, keep-alive and expiry. See hub.h. Network thread only, except
 * the auth job, which runs on a reader worker. */
#include "hub/hub.h"

#include <stdlib.h>
#include <string.h>

#include "chat/presence.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "hub/index.h"
#include "hub/internal.h"
#include "svc/svc.h"

hub_state H;

void ch_hub_init(const ch_hub_opts *o)
{
	memset(&H, 0, sizeof H);
	H.o = *o;
	H.next_id = 1;
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

void hub_rec_unref(hub_rec *r)
{
	if (r && --r->refs == 0)
		free(r);
}

void hub_enqueue(ch_hub_conn *c, hub_rec *r)
{
	if (c->state == ST_CLOSED)
		return;
	if (c->qlen >= H.o.queue_max_msgs || c->qbytes + r->len > H.o.queue_max_bytes) {
		CH_WARN("hub: connection %llu does not read (%zu queued, %zu bytes): dropped",
		        (unsigned long long)c->id, c->qlen, c->qbytes);
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1008, "send queue full");
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
	if (c->qlen == 1)
		c->ops->want_write(c->t);
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
	c->last_sent_ms = ch_mono_ms();
	if (c->qlen)
		c->ops->want_write(c->t);
}

void hub_close(ch_hub_conn *c, const char *error, int allow_reconnect)
{
	if (c->state == ST_CLOSED)
		return;
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_close(&b, error, allow_reconnect);
	hub_send_buf(c, &b);
	ch_buf_free(&b);
	/* the close record goes out first; the transport closes after the queue */
	c->state = ST_CLOSED;
	c->ops->close(c->t, 1000, error ? error : "closed");
}

ch_hub_conn *hub_conn_by_id(uint64_t id)
{
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_CONN, id), &n);
	return n ? v[0] : NULL;
}

/* ---- audience registration ------------------------------------------------ */

static void keys_of(const ch_principal *p, uint64_t keys[3], size_t *n)
{
	*n = 0;
	if (p->kind == CH_TOKEN_COMPANY)
		keys[(*n)++] = HUB_KEY(KEY_COMPANY, p->company_id);
	else if (p->kind == CH_TOKEN_OPERATOR) {
		keys[(*n)++] = HUB_KEY(KEY_ORG_OPERATORS, p->org_id);
		keys[(*n)++] = HUB_KEY(KEY_OPERATOR, p->operator_id);
	} else if (p->kind == CH_TOKEN_VISITOR) {
		keys[(*n)++] = HUB_KEY(KEY_CLIENT, p->client_id);
		keys[(*n)++] = HUB_KEY(KEY_ORG_VISITORS, p->org_id);
	}
}

static void ready(ch_hub_conn *c)
{
	uint64_t keys[3];
	size_t n;
	keys_of(&c->p, keys, &n);
	for (size_t i = 0; i < n; i++)
		hub_index_add(keys[i], c);
	c->state = ST_READY;
	c->registered = 1;
	if (c->p.kind == CH_TOKEN_OPERATOR) {
		ch_presence_state st = ch_presence_connect(c->p.operator_id, c->p.org_id, ch_now_ms());
		hub_presence_changed(&c->p, st);
		if (st == CH_PRESENCE_ONLINE)
			hub_drain(c->p.company_id, c->p.org_id);
	}
}

static void unregister(ch_hub_conn *c)
{
	uint64_t keys[3];
	size_t n;
	keys_of(&c->p, keys, &n);
	for (size_t i = 0; i < n; i++)
		hub_index_remove(keys[i], c);
}

/* ---- handshake and input ---------------------------------------------------- */

static int on_record(void *ctx, const char *rec, size_t len)
{
	ch_hub_conn *c = ctx;
	char err[200];
	if (c->state == ST_HANDSHAKE) {
		ch_buf b = CH_BUF_INIT;
		ch_err e = c->fail[0] ? CH_ERR_NO_TOKEN : ch_hub_handshake_parse(rec, len, err, sizeof err);
		ch_hub_write_handshake(&b, e ? (c->fail[0] ? c->fail : err) : NULL);
		hub_send_buf(c, &b);
		ch_buf_free(&b);
		if (e) {
			c->state = ST_CLOSED;
			c->ops->close(c->t, 1000, "handshake failed");
			return 1;
		}
		ready(c);
		return 0;
	}
	if (c->state != ST_READY)
		return 1;
	ch_hub_msg m;
	if (ch_hub_msg_parse(rec, len, &m, err, sizeof err)) {
		hub_close(c, err, 0);
		return 1;
	}
	if (m.type == CH_HUB_INVOCATION)
		hub_invoke(c, &m);
	else if (m.type == CH_HUB_CLOSE) {
		ch_hub_msg_free(&m);
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1000, "client closed");
		return 1;
	} else if (m.type == CH_HUB_STREAM_INVOCATION) {
		ch_buf b = CH_BUF_INIT;
		ch_hub_write_error(&b, m.invocation_id, "streaming is not supported");
		hub_send_buf(c, &b);
		ch_buf_free(&b);
	} /* pings, completions, cancels: nothing to do */
	ch_hub_msg_free(&m);
	return 0;
}

static int feed(ch_hub_conn *c, const char *data, size_t len)
{
	int rc = ch_hub_reader_feed(&c->reader, data, len, on_record, c, NULL);
	if (rc == -1) {
		c->state = ST_CLOSED;
		c->ops->close(c->t, 1009, "message too big");
	}
	return rc == -1 ? -1 : 0;
}

int ch_hub_conn_receive(ch_hub_conn *c, const char *data, size_t len)
{
	c->last_recv_ms = ch_mono_ms();
	if (c->state == ST_CLOSED)
		return 0;
	if (c->state == ST_AUTHING) {
		if (c->inbox.len + len > CH_HUB_MAX_MESSAGE) {
			c->state = ST_CLOSED;
			c->ops->close(c->t, 1009, "message too big");
			return -1;
		}
		ch_buf_append(&c->inbox, data, len);
		return 0;
	}
	return feed(c, data, len);
}

/* ---- the auth check (principal still valid, origin allowed) ---------------- */

typedef struct auth_job {
	uint64_t conn_id;
	ch_principal p;
	char *origin;
	char fail[96];
} auth_job;

static ch_err auth_tx(ch_store_tx *tx, void *arg)
{
	auth_job *j = arg;
	ch_err e = CH_OK;
	if (j->p.kind == CH_TOKEN_COMPANY) {
		ch_company_row co;
		e = ch_store_company_get(tx, j->p.company_id, &co);
	} else if (j->p.kind == CH_TOKEN_OPERATOR) {
		ch_operator_row op;
		e = ch_store_operator_get(tx, j->p.company_id, j->p.operator_id, &op);
		if (e == CH_ERR_NOT_FOUND || (!e && (op.status != CH_OPERATOR_ACTIVE || op.token_epoch != j->p.epoch)))
			snprintf(j->fail, sizeof j->fail, "token revoked");
	} else {
		ch_client_row cl;
		e = ch_store_client_get(tx, j->p.company_id, j->p.client_id, &cl);
	}
	if (e == CH_ERR_NOT_FOUND && !j->fail[0])
		snprintf(j->fail, sizeof j->fail, "invalid token");
	else if (e && e != CH_ERR_NOT_FOUND)
		snprintf(j->fail, sizeof j->fail, "server unavailable, retry");
	if (!j->fail[0] && !ch_svc_origin_allowed(tx, &j->p, j->origin))
		snprintf(j->fail, sizeof j->fail, "origin not allowed");
	return CH_OK;
}

static void auth_done(void *arg)
{
	auth_job *j = arg;
	ch_hub_conn *c = hub_conn_by_id(j->conn_id);
	if (c && c->state == ST_AUTHING) {
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
	if (ch_store_read(H.o.store, auth_tx, j))
		snprintf(j->fail, sizeof j->fail, "server unavailable, retry");
	H.o.post(auth_done, j);
}

/* Operator-epoch revocation is checked by the token layer at upgrade time;
 * this job checks what needs the database. */
ch_hub_conn *ch_hub_conn_open(const ch_principal *p, int64_t exp_s, const char *origin, void *t,
                              const ch_hub_transport *ops)
{
	ch_hub_conn *c = ch_xcalloc(1, sizeof *c);
	c->id = H.next_id++;
	c->p = *p;
	c->exp_s = exp_s;
	c->t = t;
	c->ops = ops;
	c->state = ST_AUTHING;
	c->last_recv_ms = c->last_sent_ms = ch_mono_ms();
	if (H.n == H.cap) {
		H.cap = H.cap ? H.cap * 2 : 256;
		H.all = ch_xrealloc(H.all, H.cap * sizeof *H.all);
	}
	c->all_idx = H.n;
	H.all[H.n++] = c;
	hub_index_add(HUB_KEY(KEY_CONN, c->id), c);
	ch_metrics_gauge_add(CH_GAUGE_HUB_CONNECTIONS, 1);
	auth_job *j = ch_xcalloc(1, sizeof *j);
	j->conn_id = c->id;
	j->p = *p;
	j->origin = origin ? ch_xstrdup(origin) : NULL;
	ch_workq_submit(H.o.readers, auth_run, j);
	return c;
}

typedef struct grace {
	int64_t company_id, org_id, operator_id, deadline_ms;
	struct grace *next;
} grace;
static grace *graces;

/* An operator's last connection closed: presence, then the grace timer. */
static int shutting_down;

void ch_hub_shutdown(void) { shutting_down = 1; }

static void operator_left(const ch_principal *p)
{
	ch_presence_state st = ch_presence_disconnect(p->operator_id, ch_now_ms());
	if (st != CH_PRESENCE_OFFLINE || shutting_down)
		return;
	hub_presence_changed(p, st);
	grace *g = ch_xcalloc(1, sizeof *g);
	*g = (grace){p->company_id, p->org_id, p->operator_id, ch_mono_ms() + H.o.offline_grace_ms, graces};
	graces = g;
}

void ch_hub_conn_gone(ch_hub_conn *c)
{
	if (c->registered) {
		unregister(c);
		if (c->p.kind == CH_TOKEN_OPERATOR)
			operator_left(&c->p);
	}
	hub_index_remove(HUB_KEY(KEY_CONN, c->id), c);
	H.all[c->all_idx] = H.all[--H.n];
	H.all[c->all_idx]->all_idx = c->all_idx;
	for (size_t i = 0; i < c->qlen; i++)
		hub_rec_unref(c->q[(c->qhead + i) % c->qcap]);
	free(c->q);
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

/* One serialisation, queued on every connection of the audience. */
static void deliver_invoke(const ch_event *ev)
{
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_invocation(&b, ev->target, ev->args);
	hub_rec *r = hub_rec_new(&b);
	ch_buf_free(&b);
	for (size_t k = 0; k < sizeof audience_keys / sizeof audience_keys[0]; k++) {
		if (!(ev->audience & audience_keys[k].bit))
			continue;
		int64_t id = audience_id(ev, audience_keys[k].kind);
		size_t n;
		void **v = hub_index_get(HUB_KEY(audience_keys[k].kind, id), &n);
		for (size_t i = 0; i < n; i++) {
			ch_hub_conn *c = v[i];
			if (c->id != ev->exclude_conn && c->state == ST_READY && c->p.company_id == ev->company_id)
				hub_enqueue(c, r);
		}
	}
	hub_rec_unref(r);
}

static void close_operator(const ch_event *ev)
{
	size_t n;
	void **v = hub_index_get(HUB_KEY(KEY_OPERATOR, ev->operator_id), &n);
	/* hub_close does not unregister (that happens when the transport is gone) */
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
	}
	ch_event_free_list(list);
}

static const char *presence_name(int st)
{
	return st == CH_PRESENCE_ONLINE ? "online" : st == CH_PRESENCE_AWAY ? "away" : "offline";
}

void hub_presence_changed(const ch_principal *p, int state)
{
	ch_event *ev = ch_event_new(CH_EV_INVOKE, CH_AUD_ORG_OPERATORS, "OperatorPresence",
	                            json_pack("[I, s]", (json_int_t)p->operator_id, presence_name(state)));
	ev->company_id = p->company_id;
	ev->org_id = p->org_id;
	/* visitors only learn whether anyone is there to answer */
	ch_event *vis = ch_event_new(CH_EV_INVOKE, CH_AUD_ORG_VISITORS, "OperatorPresence",
	                             json_pack("[i, s]", 0, ch_presence_online(p->org_id, NULL, 0) ? "online" : "offline"));
	vis->company_id = p->company_id;
	vis->org_id = p->org_id;
	ev->next = vis;
	ch_hub_deliver(ev);
}

void hub_drain(int64_t company_id, int64_t org_id) { ch_svc_drain(company_id, org_id, NULL, NULL); }

/* ---- time ----------------------------------------------------------------- */

static void check_graces(int64_t mono)
{
	for (grace **g = &graces; *g;) {
		if ((*g)->deadline_ms > mono) {
			g = &(*g)->next;
			continue;
		}
		grace *done = *g;
		*g = done->next;
		ch_presence_entry pe;
		if (ch_presence_get(done->operator_id, &pe) || pe.connections == 0)
			ch_svc_requeue_operator(done->company_id, done->org_id, done->operator_id, NULL, NULL);
		free(done);
	}
}

void ch_hub_tick(int64_t now_ms)
{
	int64_t mono = ch_mono_ms();
	static int64_t started;
	if (!started)
		started = mono;
	else if (started > 0 && mono - started >= H.o.offline_grace_ms) {
		started = -1; /* once: operators who never came back after a restart */
		ch_svc_requeue_absent(NULL, NULL);
	}
	hub_rec *ping = NULL;
	for (size_t i = 0; i < H.n; i++) {
		ch_hub_conn *c = H.all[i];
		if (c->state == ST_CLOSED)
			continue;
		if (c->exp_s && c->exp_s * 1000 <= now_ms) {
			hub_close(c, "token expired", 0);
		} else if (mono - c->last_recv_ms > H.o.idle_ms) {
			c->state = ST_CLOSED;
			c->ops->close(c->t, 1001, "idle");
		} else if (c->state == ST_READY && mono - c->last_sent_ms >= H.o.ping_ms && c->qlen == 0) {
			if (!ping) {
				ch_buf b = CH_BUF_INIT;
				ch_hub_write_ping(&b);
				ping = hub_rec_new(&b);
				ch_buf_free(&b);
			}
			hub_enqueue(c, ping);
			c->last_sent_ms = mono;
		}
	}
	hub_rec_unref(ping);
	check_graces(mono);
}

void ch_hub_fini(void)
{
	while (graces) {
		grace *g = graces;
		graces = g->next;
		free(g);
	}
	hub_index_clear();
	free(H.all);
	H.all = NULL;
	H.n = H.cap = 0;
}
