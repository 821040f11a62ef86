/* cluster.c — per-publisher apply state of the cluster bus (see cluster.h).
 * Threading: one thread, the network thread. */
#include "bus/cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/codec.h"
#include "core/buf.h"
#include "core/log.h"

#define GONE_KEEP_MS 600000 /* a gone node's tombstone: later stray messages stay ignored */

typedef struct held {
	uint64_t bseq;
	size_t len;
	struct held *next;
	unsigned char payload[];
} held;

typedef struct pub {
	char node[CH_BUS_NODE_MAX + 1];
	uint64_t applied; /* every bseq <= applied is applied or known never committed */
	uint64_t want;    /* the highest bseq known committed */
	int filling, gone, forget;
	int64_t beat_ms, heard_ms, gone_ms;
	held *held; /* bseq > applied + 1, ascending */
	size_t nheld, held_bytes;
	struct pub *next;
} pub;

struct ch_cluster {
	char self[CH_BUS_NODE_MAX + 1];
	ch_cluster_ops ops;
	int baseline;
	int64_t now_ms; /* the latest time a caller told */
	pub *pubs;
};

ch_cluster *ch_cluster_new(const char *self, const ch_cluster_ops *ops)
{
	ch_cluster *c = ch_xcalloc(1, sizeof *c);
	snprintf(c->self, sizeof c->self, "%s", self ? self : "");
	c->ops = *ops;
	return c;
}

static void held_free(pub *p)
{
	while (p->held) {
		held *h = p->held;
		p->held = h->next;
		free(h);
	}
	p->nheld = p->held_bytes = 0;
}

void ch_cluster_free(ch_cluster *c)
{
	if (!c)
		return;
	while (c->pubs) {
		pub *p = c->pubs;
		c->pubs = p->next;
		held_free(p);
		free(p);
	}
	free(c);
}

static pub *find(ch_cluster *c, const char *node)
{
	for (pub *p = c->pubs; p; p = p->next)
		if (!strcmp(p->node, node))
			return p;
	return NULL;
}

/* A publisher first heard of at seq (a batch's bseq, or a head / heartbeat
 * upto when first is 0): after the baseline it is new, so all of it is. */
static pub *get(ch_cluster *c, const char *node, uint64_t seq, int is_batch)
{
	if (!node[0] || !strcmp(node, c->self))
		return NULL;
	pub *p = find(c, node);
	if (p)
		return p->gone ? NULL : p;
	p = ch_xcalloc(1, sizeof *p);
	snprintf(p->node, sizeof p->node, "%s", node);
	p->applied = c->baseline ? 0 : is_batch ? seq - 1 : seq;
	p->want = p->applied;
	p->heard_ms = c->now_ms;
	p->next = c->pubs;
	c->pubs = p;
	return p;
}

static void apply(ch_cluster *c, pub *p, uint64_t bseq, const void *payload, size_t len)
{
	ch_event *list;
	if (ch_bus_decode(payload, len, c->self, &list))
		CH_WARN("bus: batch %llu of node %s is malformed and was skipped", (unsigned long long)bseq, p->node);
	else if (list)
		c->ops.deliver(c->ops.ctx, list);
	p->applied = bseq;
	if (p->want < bseq)
		p->want = bseq;
}

/* Applies the held batches that follow applied without a gap. */
static void release(ch_cluster *c, pub *p)
{
	while (p->held && p->held->bseq <= p->applied + 1) {
		held *h = p->held;
		p->held = h->next;
		p->nheld--;
		p->held_bytes -= h->len;
		if (h->bseq == p->applied + 1)
			apply(c, p, h->bseq, h->payload, h->len);
		free(h);
	}
}

static void hold(pub *p, uint64_t bseq, const void *payload, size_t len)
{
	held **at = &p->held;
	while (*at && (*at)->bseq < bseq)
		at = &(*at)->next;
	if ((*at && (*at)->bseq == bseq) || p->nheld >= CH_CLUSTER_HELD_MAX ||
	    p->held_bytes + len > CH_CLUSTER_HELD_BYTES)
		return; /* already held, or too much: the fill brings it */
	held *h = ch_xmalloc(sizeof *h + len);
	h->bseq = bseq;
	h->len = len;
	memcpy(h->payload, payload, len);
	h->next = *at;
	*at = h;
	p->nheld++;
	p->held_bytes += len;
}

static void maybe_fill(ch_cluster *c, pub *p)
{
	if (p->filling || p->want <= p->applied)
		return;
	p->filling = 1;
	c->ops.fill(c->ops.ctx, p->node, p->applied, p->gone ? UINT64_MAX : p->want);
}

static void unlink_pub(ch_cluster *c, pub *p)
{
	for (pub **at = &c->pubs; *at; at = &(*at)->next)
		if (*at == p) {
			*at = p->next;
			break;
		}
	held_free(p);
	free(p);
}

void ch_cluster_baseline(ch_cluster *c, const char *node, uint64_t head)
{
	pub *p = get(c, node, head, 0);
	if (p && p->applied < head)
		p->applied = p->want = head;
}

void ch_cluster_baseline_done(ch_cluster *c) { c->baseline = 1; }

void ch_cluster_batch(ch_cluster *c, const char *node, uint64_t bseq, const void *payload, size_t len,
                      int64_t now_ms)
{
	c->now_ms = now_ms;
	pub *p = bseq ? get(c, node, bseq, 1) : NULL;
	if (!p || bseq <= p->applied)
		return;
	p->heard_ms = now_ms;
	if (bseq == p->applied + 1) {
		apply(c, p, bseq, payload, len);
		release(c, p);
		return;
	}
	hold(p, bseq, payload, len);
	if (p->want < bseq - 1)
		p->want = bseq - 1;
	maybe_fill(c, p);
}

static void upto_known(ch_cluster *c, pub *p, uint64_t upto, int64_t now_ms)
{
	if (upto > p->want) {
		p->want = upto;
		p->heard_ms = now_ms;
	}
	maybe_fill(c, p);
}

void ch_cluster_heartbeat(ch_cluster *c, const char *node, uint64_t upto, int64_t now_ms)
{
	c->now_ms = now_ms;
	pub *p = get(c, node, upto, 0);
	if (!p)
		return;
	p->beat_ms = p->heard_ms = now_ms;
	upto_known(c, p, upto, now_ms);
}

void ch_cluster_head(ch_cluster *c, const char *node, uint64_t head, int64_t now_ms)
{
	c->now_ms = now_ms;
	pub *p = get(c, node, head, 0);
	if (p)
		upto_known(c, p, head, now_ms);
}

void ch_cluster_ephemeral(ch_cluster *c, const char *node, const void *payload, size_t len)
{
	if (!node[0] || !strcmp(node, c->self))
		return;
	ch_event *list;
	if (ch_bus_decode(payload, len, c->self, &list))
		CH_WARN("bus: an ephemeral message of node %s is malformed and was dropped", node);
	else if (list)
		c->ops.deliver(c->ops.ctx, list);
}

/* After a complete fill up to upto: what the log does not hold never
 * committed; skip to the next held batch (or upto) and go on. */
static void skip_missing(ch_cluster *c, pub *p, uint64_t upto)
{
	while (p->applied < upto) {
		if (p->held && p->held->bseq <= upto) {
			p->applied = p->held->bseq - 1; /* > applied: a held bseq is never applied + 1 */
			release(c, p);
		} else {
			p->applied = upto;
		}
	}
	release(c, p);
}

void ch_cluster_fill_done(ch_cluster *c, const char *node, uint64_t after, uint64_t upto,
                          const ch_cluster_row *rows, size_t n, int complete, int ok)
{
	pub *p = find(c, node);
	if (!p)
		return;
	p->filling = 0;
	if (!ok)
		return; /* the next tick asks again */
	uint64_t last = after;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].bseq <= after || rows[i].bseq > upto || rows[i].bseq <= last)
			continue; /* outside what was asked, or out of order: not trusted */
		last = rows[i].bseq;
		if (rows[i].bseq <= p->applied)
			continue;
		if (rows[i].bseq != p->applied + 1)
			skip_missing(c, p, rows[i].bseq - 1);
		if (rows[i].bseq == p->applied + 1) {
			apply(c, p, rows[i].bseq, rows[i].payload, rows[i].len);
			release(c, p);
		}
	}
	if (complete && upto != UINT64_MAX)
		skip_missing(c, p, upto);
	if (p->gone && complete) {
		p->forget = 1; /* read to its end: only the tombstone stays */
		held_free(p);
		return;
	}
	if (!complete && p->want < last + 1)
		p->want = last + 1; /* cut by the row limit: there is more */
	maybe_fill(c, p);
}

void ch_cluster_node_gone(ch_cluster *c, const char *node)
{
	pub *p = get(c, node, 0, 0);
	if (!p)
		return;
	p->gone = 1;
	p->gone_ms = c->now_ms;
	if (!p->filling) {
		p->filling = 1;
		c->ops.fill(c->ops.ctx, p->node, p->applied, UINT64_MAX);
	}
}

void ch_cluster_tick(ch_cluster *c, int64_t now_ms)
{
	c->now_ms = now_ms;
	for (pub *p = c->pubs, *next; p; p = next) {
		next = p->next;
		if (p->gone && p->forget && now_ms - p->gone_ms > GONE_KEEP_MS) {
			unlink_pub(c, p);
			continue;
		}
		if (p->gone && !p->forget && !p->filling) {
			p->filling = 1;
			c->ops.fill(c->ops.ctx, p->node, p->applied, UINT64_MAX);
		} else if (!p->gone) {
			maybe_fill(c, p);
		}
	}
}

int ch_cluster_stale(const ch_cluster *c, int64_t now_ms)
{
	for (const pub *p = c->pubs; p; p = p->next)
		if (!p->gone && now_ms - p->beat_ms > CH_CLUSTER_STALE_MS && now_ms - p->heard_ms < CH_CLUSTER_QUIET_MS)
			return 1;
	return 0;
}

uint64_t ch_cluster_applied(const ch_cluster *c, const char *node)
{
	for (const pub *p = c->pubs; p; p = p->next)
		if (!strcmp(p->node, node))
			return p->applied;
	return 0;
}
