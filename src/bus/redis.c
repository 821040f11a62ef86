/* redis.c — hiredis asynchronous links of the cluster bus (see redis.h).
 * Threading: network thread only. */
#include "bus/redis.h"

#include <ev.h>
#include <hiredis/adapters/libev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/codec.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"

#define CONNECT_MS 1000
#define PING_EVERY_BEATS 4 /* 2 s */
#define PING_MS 1000
#define SUB_SILENT_MS 2000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef struct rlink {
	ch_bus_redis *r;
	const char *name;
	int is_sub;
	redisAsyncContext *ac;
	int connected, up; /* up: pub connected / sub subscribed to both channels */
	int subscribed;    /* subscribe confirmations so far */
	int backoff_ms;
	int64_t heard_ms; /* sub: the last message */
	ev_timer retry;    /* reconnect after backoff */
	ev_timer deadline; /* connect or PING answer */
} rlink;

struct ch_bus_redis {
	struct ev_loop *loop;
	char host[256];
	int port;
	char node[CH_BUS_NODE_MAX + 1];
	char chan_bus[160], chan_eph[160];
	ch_cluster *cluster;
	rlink pub, sub;
	ev_timer beat;
	unsigned beats;
	uint64_t upto, dropped;
};

static void link_lost(rlink *l, const char *why);

static void schedule_retry(rlink *l)
{
	l->connected = l->up = 0;
	l->subscribed = 0;
	ev_timer_stop(l->r->loop, &l->deadline);
	ev_timer_stop(l->r->loop, &l->retry);
	ev_timer_set(&l->retry, l->backoff_ms / 1000.0, 0);
	ev_timer_start(l->r->loop, &l->retry);
	l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

/* Frees our context (it has not failed by itself) and reconnects later. */
static void link_lost(rlink *l, const char *why)
{
	redisAsyncContext *ac = l->ac;
	l->ac = NULL;
	if (ac) {
		ac->data = NULL; /* its pending callbacks run with a NULL reply and find no rlink */
		redisAsyncFree(ac);
	}
	CH_WARN("bus: redis %s link to %s:%d: %s", l->name, l->r->host, l->r->port, why);
	schedule_retry(l);
}

static void on_message(redisAsyncContext *ac, void *reply, void *priv)
{
	rlink *l = ac->data;
	redisReply *m = reply;
	if (!l || !m || m->type != REDIS_REPLY_ARRAY || m->elements < 3)
		return;
	redisReply *kind = m->element[0], *data = m->element[2];
	if (kind->type != REDIS_REPLY_STRING)
		return;
	if (!strcmp(kind->str, "subscribe")) {
		if (++l->subscribed == 2) {
			l->up = 1;
			l->heard_ms = ch_mono_ms();
			CH_INFO("bus: subscribed to %s and %s", l->r->chan_bus, l->r->chan_eph);
		}
		return;
	}
	if (strcmp(kind->str, "message") || data->type != REDIS_REPLY_STRING)
		return;
	l->heard_ms = ch_mono_ms();
	ch_bus_msg msg;
	if (ch_bus_msg_parse(data->str, data->len, &msg)) {
		CH_DEBUG("bus: a malformed message on the channel was ignored");
		return;
	}
	ch_cluster *c = l->r->cluster;
	if (msg.type == CH_BUS_MSG_BATCH)
		ch_cluster_batch(c, msg.node, msg.seq, msg.payload, msg.len, l->heard_ms);
	else if (msg.type == CH_BUS_MSG_HEARTBEAT)
		ch_cluster_heartbeat(c, msg.node, msg.seq, l->heard_ms);
	else
		ch_cluster_ephemeral(c, msg.node, msg.payload, msg.len);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	rlink *l = ac->data;
	if (!l)
		return;
	if (status != REDIS_OK) { /* hiredis frees the context after this */
		l->ac = NULL;
		CH_DEBUG("bus: redis %s link: connect failed: %s", l->name, ac->errstr ? ac->errstr : "?");
		schedule_retry(l);
		return;
	}
	ev_timer_stop(l->r->loop, &l->deadline);
	l->connected = 1;
	l->backoff_ms = BACKOFF_MIN_MS;
	if (l->is_sub)
		redisAsyncCommand(ac, on_message, NULL, "SUBSCRIBE %s %s", l->r->chan_bus, l->r->chan_eph);
	else
		l->up = 1;
	CH_INFO("bus: redis %s link to %s:%d up", l->name, l->r->host, l->r->port);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	rlink *l = ac->data;
	if (!l)
		return;
	l->ac = NULL; /* hiredis frees it */
	CH_WARN("bus: redis %s link to %s:%d lost%s%s", l->name, l->r->host, l->r->port, ac->errstr ? ": " : "",
	        ac->errstr ? ac->errstr : "");
	schedule_retry(l);
}

static void connect_link(rlink *l)
{
	redisAsyncContext *ac = redisAsyncConnect(l->r->host, l->r->port);
	if (!ac || ac->err) {
		CH_DEBUG("bus: redis %s link: %s", l->name, ac && ac->errstr ? ac->errstr : "cannot connect");
		if (ac)
			redisAsyncFree(ac);
		schedule_retry(l);
		return;
	}
	ac->data = l;
	l->ac = ac;
	redisLibevAttach(l->r->loop, ac);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	ev_timer_set(&l->deadline, CONNECT_MS / 1000.0, 0);
	ev_timer_start(l->r->loop, &l->deadline);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
	connect_link(w->data);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	rlink *l = w->data;
	link_lost(l, l->connected ? "no answer to PING within 1 s" : "no connection within 1 s");
}

static void on_pong(redisAsyncContext *ac, void *reply, void *priv)
{
	rlink *l = ac->data;
	if (l && reply)
		ev_timer_stop(l->r->loop, &l->deadline);
}

static void publish(ch_bus_redis *r, const char *chan, const ch_buf *b)
{
	redisAsyncContext *ac = r->pub.up ? r->pub.ac : NULL;
	if (!ac || sdslen(ac->c.obuf) + b->len > CH_BUS_REDIS_QUEUE_MAX) {
		r->dropped++; /* subscribers fill from the outbox */
		return;
	}
	redisAsyncCommand(ac, NULL, NULL, "PUBLISH %s %b", chan, b->data, b->len);
}

static void send_beat(ch_bus_redis *r)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_msg_encode(&b, CH_BUS_MSG_HEARTBEAT, r->node, r->upto, NULL, 0);
	publish(r, r->chan_bus, &b);
	ch_buf_free(&b);
}

static void on_beat(struct ev_loop *loop, ev_timer *w, int revents)
{
	ch_bus_redis *r = w->data;
	send_beat(r);
	rlink *p = &r->pub;
	if (p->up && ++r->beats % PING_EVERY_BEATS == 0 && !ev_is_active(&p->deadline)) {
		redisAsyncCommand(p->ac, on_pong, NULL, "PING");
		ev_timer_set(&p->deadline, PING_MS / 1000.0, 0);
		ev_timer_start(loop, &p->deadline);
	}
	/* our own heartbeat echoes back on a working subscribe rlink */
	if (r->sub.up && p->up && ch_mono_ms() - r->sub.heard_ms > SUB_SILENT_MS)
		link_lost(&r->sub, "nothing received for 2 s, not even our own heartbeat");
}

static void link_init(ch_bus_redis *r, rlink *l, const char *name, int is_sub)
{
	l->r = r;
	l->name = name;
	l->is_sub = is_sub;
	l->backoff_ms = BACKOFF_MIN_MS;
	ev_timer_init(&l->retry, on_retry, 0, 0);
	ev_timer_init(&l->deadline, on_deadline, 0, 0);
	l->retry.data = l->deadline.data = l;
}

ch_bus_redis *ch_bus_redis_start(const ch_bus_redis_opts *o)
{
	ch_bus_redis *r = ch_xcalloc(1, sizeof *r);
	if (ch_netaddr_redis_url(o->url, r->host, sizeof r->host, &r->port, NULL)) { /* PUB/SUB spans the databases */
		CH_ERROR("bus_url: expected redis://HOST:PORT[/DB], got \"%s\"", o->url ? o->url : "");
		free(r);
		return NULL;
	}
	const char *prefix = o->prefix && *o->prefix ? o->prefix : "chathub";
	r->loop = o->loop;
	r->cluster = o->cluster;
	snprintf(r->node, sizeof r->node, "%s", o->node_id);
	snprintf(r->chan_bus, sizeof r->chan_bus, "%s:bus", prefix);
	snprintf(r->chan_eph, sizeof r->chan_eph, "%s:eph", prefix);
	link_init(r, &r->pub, "publish", 0);
	link_init(r, &r->sub, "subscribe", 1);
	ev_timer_init(&r->beat, on_beat, CH_BUS_REDIS_BEAT_MS / 1000.0, CH_BUS_REDIS_BEAT_MS / 1000.0);
	r->beat.data = r;
	ev_timer_start(r->loop, &r->beat);
	connect_link(&r->pub);
	connect_link(&r->sub);
	return r;
}

static void link_close(rlink *l)
{
	ev_timer_stop(l->r->loop, &l->retry);
	ev_timer_stop(l->r->loop, &l->deadline);
	if (l->ac) {
		redisAsyncContext *ac = l->ac;
		l->ac = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
	}
	l->up = l->connected = 0;
}

void ch_bus_redis_stop(ch_bus_redis *r)
{
	if (!r)
		return;
	ev_timer_stop(r->loop, &r->beat);
	link_close(&r->pub);
	link_close(&r->sub);
	free(r);
}

void ch_bus_redis_publish_batch(ch_bus_redis *r, uint64_t bseq, const void *payload, size_t len)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_msg_encode(&b, CH_BUS_MSG_BATCH, r->node, bseq, payload, len);
	publish(r, r->chan_bus, &b);
	ch_buf_free(&b);
	if (bseq > r->upto)
		r->upto = bseq;
}

void ch_bus_redis_publish_ephemeral(ch_bus_redis *r, const void *payload, size_t len)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_msg_encode(&b, CH_BUS_MSG_EPHEMERAL, r->node, 0, payload, len);
	publish(r, r->chan_eph, &b);
	ch_buf_free(&b);
}

int ch_bus_redis_subscribed(const ch_bus_redis *r) { return r && r->sub.up; }
uint64_t ch_bus_redis_dropped(const ch_bus_redis *r) { return r ? r->dropped : 0; }
