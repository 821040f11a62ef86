/* webhooks.c — the webhook delivery loop (see webhooks.h). At most one batch
 * is in flight: the next load waits until every request of the batch has its
 * outcome handed to svc, and svc's recording job is queued before the next
 * claim, so a cursor is never sent twice at once by this process (its lease
 * keeps the other processes off it). A batch that moved a cursor forward
 * starts the next one at once, so a receiver catching up is not paced by the
 * one-second timer. */
#include "net/webhooks.h"

#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "net/loop.h"
#include "svc/svc.h"

#define BATCH 16
#define GAUGE_EVERY 5 /* loads between two reads of the failing count */

typedef struct batch {
	ch_svc_webhook_send *s[BATCH];
	size_t n;
	int progress;
	int64_t failing; /* -1: not read this time */
} batch;

static struct {
	ch_workq *workers;
	int busy;        /* a batch is loading or out */
	int outstanding; /* its requests without an outcome yet */
	int progress;    /* its cursors that moved forward */
	unsigned loads;
	int64_t loaded_ms; /* when the last load began (monotonic) */
} W;

void ch_webhooks_init(ch_workq *workers) { W.workers = workers; }

static void load_run(void *arg);

static void submit(void)
{
	W.busy = 1;
	W.loaded_ms = ch_mono_ms();
	batch *b = ch_xcalloc(1, sizeof *b);
	b->failing = W.loads++ % GAUGE_EVERY ? -1 : 0;
	ch_workq_submit(W.workers, load_run, b);
}

static void finished(void)
{
	if (--W.outstanding > 0)
		return;
	W.busy = 0;
	if (W.progress)
		submit();
}

static void sent(void *arg, int status, const char *why, const char *body, size_t len)
{
	(void)body;
	(void)len;
	ch_svc_webhook_send *s = arg;
	ch_svc_webhook_result(s, status, why);
	W.progress += status >= 200 && status < 300;
	ch_svc_webhook_send_free(s);
	finished();
}

static void start(void *arg)
{
	batch *b = arg;
	if (b->failing >= 0)
		ch_metrics_gauge_set(CH_GAUGE_WEBHOOKS_FAILING, b->failing);
	W.outstanding = (int)b->n + 1; /* + this function's, so that the batch ends once */
	W.progress = b->progress;
	for (size_t i = 0; i < b->n; i++) {
		ch_svc_webhook_send *s = b->s[i];
		if (!s->req) { /* failed before a request (address refused, no resolution) */
			ch_svc_webhook_result(s, 0, s->why);
			ch_svc_webhook_send_free(s);
			W.outstanding--;
			continue;
		}
		ch_svc_http_post *req = s->req;
		s->req = NULL;
		req->done = sent;
		req->arg = s;
		ch_svc_http_send(req);
	}
	free(b);
	finished();
}

static void load_run(void *arg)
{
	batch *b = arg;
	ch_err e = ch_svc_webhooks_load(b->s, BATCH, &b->n, &b->progress);
	if (e)
		CH_WARN("webhooks: due deliveries could not be claimed (%s)", ch_err_text(e));
	if (b->failing >= 0 && ch_svc_webhooks_failing(&b->failing))
		b->failing = -1;
	ch_loop_post(start, b);
}

void ch_webhooks_tick(void)
{
	if (W.busy || !W.workers)
		return;
	submit();
}

void ch_webhooks_kick(void)
{
	if (W.busy || !W.workers || ch_mono_ms() - W.loaded_ms < CH_WEBHOOKS_KICK_MS)
		return;
	submit();
}
