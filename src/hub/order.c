/* order.c — each chat's live events in seq order on a cluster (see order.h
 * for the rules and why).
 * A chat holds a list of groups sorted by seq: a message and the state events
 * that came after it while something was held. Chats are kept in a map by
 * id, in a least-recently-used list (idle ones and, beyond the cap, the
 * oldest are forgotten), and those holding something in a pending list that
 * the deadline and tick walk.
 * Threading: one thread (the network thread); not thread-safe.
 */
#include "hub/order.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/idmap.h"

typedef struct group {
	int64_t seq;
	ch_event *head, **tail;
	size_t n;
	struct group *next;
} group;

typedef struct chat {
	int64_t id;
	int64_t last;      /* the last seq delivered, once started */
	int started;       /* 0: first sight, waiting for a predecessor */
	int gap;           /* started, and a gap is open since `since` */
	int64_t since;     /* when the hold (first sight) or the gap began */
	int64_t used;      /* last event, for the idle rule */
	group *held, *held_tail;
	size_t nheld;      /* events held */
	group *cur;        /* this push's last message group of the chat */
	int touched;
	struct chat *prev, *next;   /* least recently used first */
	struct chat *pprev, *pnext; /* pending: holding something */
	struct chat *tnext;         /* touched by the current push */
} chat;

/* Released events, in order, with a tail for O(1) appends. */
typedef struct sink {
	ch_event *head, **tail;
} sink;

struct ch_order {
	ch_order_limits l;
	ch_idmap map;
	size_t nchats, nheld;
	chat *lru, *lru_tail;
	chat *pending;
	ch_order_stats stats;
};

ch_order *ch_order_new(const ch_order_limits *limits)
{
	ch_order *o = ch_xcalloc(1, sizeof *o);
	if (limits)
		o->l = *limits;
	o->l.first_ms = o->l.first_ms > 0 ? o->l.first_ms : CH_ORDER_FIRST_MS;
	o->l.gap_ms = o->l.gap_ms > 0 ? o->l.gap_ms : CH_ORDER_GAP_MS;
	o->l.idle_ms = o->l.idle_ms > 0 ? o->l.idle_ms : CH_ORDER_IDLE_MS;
	o->l.held_max = o->l.held_max ? o->l.held_max : CH_ORDER_HELD_MAX;
	o->l.chats_max = o->l.chats_max ? o->l.chats_max : CH_ORDER_CHATS_MAX;
	return o;
}

static void put(sink *s, ch_event *e)
{
	e->next = NULL;
	*s->tail = e;
	s->tail = &e->next;
}

static void sink_to(sink *s, ch_event **out)
{
	while (*out)
		out = &(*out)->next;
	*out = s->head;
}

/* ---- the lists ------------------------------------------------------------ */

static void lru_unlink(ch_order *o, chat *c)
{
	*(c->prev ? &c->prev->next : &o->lru) = c->next;
	*(c->next ? &c->next->prev : &o->lru_tail) = c->prev;
	c->prev = c->next = NULL;
}

static void lru_append(ch_order *o, chat *c)
{
	c->prev = o->lru_tail;
	c->next = NULL;
	*(o->lru_tail ? &o->lru_tail->next : &o->lru) = c;
	o->lru_tail = c;
}

static void pending_set(ch_order *o, chat *c, int on)
{
	int is = c->pprev || o->pending == c;
	if (on && !is) {
		c->pnext = o->pending;
		if (o->pending)
			o->pending->pprev = c;
		o->pending = c;
		c->pprev = NULL;
	} else if (!on && is) {
		*(c->pprev ? &c->pprev->pnext : &o->pending) = c->pnext;
		if (c->pnext)
			c->pnext->pprev = c->pprev;
		c->pprev = c->pnext = NULL;
	}
}

/* ---- one chat --------------------------------------------------------------- */

/* Out goes the first held group, message first, then its state events. */
static void release_first(ch_order *o, chat *c, sink *s)
{
	group *g = c->held;
	c->held = g->next;
	if (!c->held)
		c->held_tail = NULL;
	if (c->cur == g)
		c->cur = NULL;
	if (g->seq > c->last)
		c->last = g->seq;
	c->nheld -= g->n;
	o->nheld -= g->n;
	for (ch_event *e = g->head, *next; e; e = next) {
		next = e->next;
		put(s, e);
	}
	free(g);
}

/* Everything held, in seq order (a gap given up, a cap, the chat forgotten). */
static void release_all(ch_order *o, chat *c, sink *s)
{
	while (c->held)
		release_first(o, c, s);
	c->started = 1;
	c->gap = 0;
	pending_set(o, c, 0);
}

/* Delivers what may go now; opens, moves on or closes the chat's gap. */
static void drain(ch_order *o, chat *c, int64_t now, sink *s)
{
	if (!c->held) {
		pending_set(o, c, 0);
		return;
	}
	if (!c->started) {
		if (c->held->seq != 1 && now - c->since < o->l.first_ms)
			return; /* a predecessor may still come */
		c->started = 1;
		c->last = c->held->seq - 1;
	}
	int moved = 0;
	while (c->held && c->held->seq <= c->last + 1) {
		release_first(o, c, s);
		moved = 1;
	}
	if (!c->held) {
		c->gap = 0;
		pending_set(o, c, 0);
	} else if (moved || !c->gap) {
		c->gap = 1;
		c->since = now;
	}
	if (c->nheld > o->l.held_max) {
		o->stats.cap_releases += c->nheld;
		release_all(o, c, s);
	}
}

static void forget(ch_order *o, chat *c, sink *s)
{
	if (c->held) {
		o->stats.cap_releases += c->nheld;
		release_all(o, c, s);
	}
	pending_set(o, c, 0);
	lru_unlink(o, c);
	ch_idmap_del(&o->map, c->id);
	o->nchats--;
	free(c);
}

static chat *chat_get(ch_order *o, int64_t id, int64_t now, sink *s)
{
	chat *c = ch_idmap_get(&o->map, id);
	if (c) {
		lru_unlink(o, c);
		lru_append(o, c);
		c->used = now;
		return c;
	}
	/* release rather than grow; a chat of this push is never the one (they
	 * moved to the end, so only when every chat is of this push) */
	if (o->nchats >= o->l.chats_max && o->lru && !o->lru->touched)
		forget(o, o->lru, s);
	c = ch_xcalloc(1, sizeof *c);
	c->id = id;
	c->used = now;
	ch_idmap_put(&o->map, id, c);
	lru_append(o, c);
	o->nchats++;
	return c;
}

static void group_add(group *g, ch_event *e)
{
	e->next = NULL;
	*g->tail = e;
	g->tail = &e->next;
	g->n++;
}

/* A message joins the held groups at its seq (after any equal one). */
static group *hold_message(ch_order *o, chat *c, ch_event *e, int64_t now)
{
	group *g = ch_xcalloc(1, sizeof *g);
	g->seq = e->seq;
	g->tail = &g->head;
	group_add(g, e);
	if (!c->held) {
		c->held = c->held_tail = g;
		c->since = now;
		c->gap = 0;
	} else if (c->held_tail->seq <= g->seq) { /* the usual case: in order */
		c->held_tail->next = g;
		c->held_tail = g;
	} else {
		group **at = &c->held;
		while ((*at)->seq <= g->seq)
			at = &(*at)->next;
		g->next = *at;
		*at = g;
	}
	c->nheld++;
	o->nheld++;
	pending_set(o, c, 1);
	return g;
}

/* ---- the interface ----------------------------------------------------------- */

static int is_message(const ch_event *e) { return e->kind == CH_EV_INVOKE && e->seq > 0; }

/* One event of the push: out now, or into its chat's groups. */
static void take(ch_order *o, ch_event *e, int64_t now, sink *s, chat **touched)
{
	if (!e->chat_id) {
		put(s, e);
		return;
	}
	chat *c;
	if (is_message(e)) {
		c = chat_get(o, e->chat_id, now, s);
		c->cur = hold_message(o, c, e, now);
	} else {
		c = ch_idmap_get(&o->map, e->chat_id);
		group *g = c ? (c->cur ? c->cur : c->held_tail) : NULL;
		if (!g) {
			put(s, e); /* nothing of the chat waits: it keeps its place */
			return;
		}
		group_add(g, e);
		c->nheld++;
		o->nheld++;
	}
	if (!c->touched) {
		c->touched = 1;
		c->tnext = *touched;
		*touched = c;
	}
}

void ch_order_push(ch_order *o, ch_event *list, int64_t now_ms, ch_event **out)
{
	sink s = {NULL, &s.head};
	chat *touched = NULL;
	for (ch_event *e = list, *next; e; e = next) {
		next = e->next;
		take(o, e, now_ms, &s, &touched);
	}
	/* drained after the whole list: a batch's state events stay behind its
	 * message even when the message goes out at once */
	while (touched) {
		chat *c = touched;
		touched = c->tnext;
		c->touched = 0;
		c->cur = NULL;
		drain(o, c, now_ms, &s);
	}
	sink_to(&s, out);
}

static int64_t deadline_of(const ch_order *o, const chat *c)
{
	return c->since + (c->started ? o->l.gap_ms : o->l.first_ms);
}

void ch_order_tick(ch_order *o, int64_t now_ms, ch_event **out)
{
	sink s = {NULL, &s.head};
	for (chat *c = o->pending, *next; c; c = next) {
		next = c->pnext;
		if (deadline_of(o, c) > now_ms)
			continue;
		if (c->started) {
			o->stats.gap_releases++;
			release_all(o, c, &s);
		} else {
			drain(o, c, now_ms, &s);
		}
	}
	while (o->lru && now_ms - o->lru->used >= o->l.idle_ms)
		forget(o, o->lru, &s);
	sink_to(&s, out);
}

int64_t ch_order_deadline(const ch_order *o)
{
	int64_t d = INT64_MAX;
	for (const chat *c = o->pending; c; c = c->pnext)
		if (deadline_of(o, c) < d)
			d = deadline_of(o, c);
	return d;
}

void ch_order_flush(ch_order *o, ch_event **out)
{
	sink s = {NULL, &s.head};
	while (o->pending)
		release_all(o, o->pending, &s);
	sink_to(&s, out);
}

void ch_order_free(ch_order *o)
{
	if (!o)
		return;
	ch_event *rest = NULL;
	ch_order_flush(o, &rest);
	ch_event_free_list(rest);
	while (o->lru) {
		chat *c = o->lru;
		o->lru = c->next;
		free(c);
	}
	ch_idmap_free(&o->map, NULL);
	free(o);
}

size_t ch_order_chats(const ch_order *o) { return o->nchats; }
size_t ch_order_held(const ch_order *o) { return o->nheld; }
ch_order_stats ch_order_get_stats(const ch_order *o) { return o->stats; }
