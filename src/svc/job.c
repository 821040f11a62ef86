/* job.c — the write-job runner of the services and the waiter for blocking
 * callers. A job runs in the store writer's group transaction; its events are
 * published on the writer thread right after COMMIT, before done, so every
 * change reaches the bus in commit order. With a cluster bus they are also
 * written into the store's outbox inside the job's transaction.
 * Threading: submit from any thread; runs and completes on the writer thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/codec.h"
#include "core/baseurl.h"
#include "core/buf.h"
#include "core/log.h"
#include "svc/internal.h"

static svc_ctx ctx;

void ch_svc_init(const ch_svc_opts *o)
{
	ctx.store = o->store;
	ctx.key = o->key;
	ctx.media_max_bytes = o->media_max_bytes;
	ctx.media_url_ttl = o->media_url_ttl > 0 ? o->media_url_ttl : 86400;
	ctx.outbox = o->outbox;
	ch_base_url(o->public_url, NULL, NULL, ctx.public_url);
	svc_presence_init(o->node_id, o->node_lease_ms);
}

const svc_ctx *ch_svc_ctx(void) { return &ctx; }
int64_t ch_svc_media_max(void) { return ctx.media_max_bytes; }

svc_job *svc_job_new(svc_fn fn, const ch_principal *p, ch_svc_done done, void *arg)
{
	svc_job *j = ch_xcalloc(1, sizeof *j);
	j->fn = fn;
	if (p)
		j->p = *p;
	j->done = done;
	j->arg = arg;
	return j;
}

ch_err svc_fail(svc_job *j, ch_err err, const char *msg)
{
	snprintf(j->res.message, sizeof j->res.message, "%s", msg);
	return err;
}

ch_event *svc_emit(svc_job *j, unsigned audience, const ch_chat_row *c, const char *target, json_t *args)
{
	if (!args) {
		CH_ERROR("chat %lld: the arguments of %s could not be encoded; the operation fails",
		         (long long)c->id, target);
		j->unencodable = 1;
		return NULL;
	}
	ch_event *e = ch_event_new(CH_EV_INVOKE, audience, target, args);
	e->company_id = c->company_id;
	e->org_id = c->organization_id;
	e->client_id = c->client_id;
	e->chat_id = c->id; /* a cluster's hubs keep each chat's events in order (hub/order.c) */
	ch_event_append(&j->events, e);
	return e;
}

void svc_result(svc_job *j, json_t *result)
{
	json_decref(j->res.result);
	j->res.result = result;
	if (!result) {
		CH_ERROR("the result of a chat operation could not be encoded; the operation fails");
		j->unencodable = 1;
	}
}

/* The job's events into the batch's outbox row: they are committed with the
 * change, so other processes get them even when this one dies before
 * publishing (bus/node.c reads them back). */
static void to_outbox(ch_store_tx *tx, svc_job *j)
{
	ch_buf b = CH_BUF_INIT;
	ch_bus_encode(j->events, NULL, &b); /* the sender's node is the batch's */
	if (b.len)
		ch_store_tx_add_events(tx, b.data, b.len);
	ch_buf_free(&b);
}

static ch_err run(ch_store_tx *tx, void *arg)
{
	svc_job *j = arg;
	ch_event_free_list(j->events); /* a retried job starts clean */
	j->events = NULL;
	json_decref(j->res.result);
	j->res.result = NULL;
	j->res.message[0] = '\0';
	j->unencodable = 0;
	ch_err e = ch_svc_principal_valid(tx, &j->p); /* revoked since the request was checked? */
	if (e)
		return svc_fail(j, e, e == CH_ERR_TOKEN_REVOKED ? "token revoked" : ch_err_text(e));
	e = j->fn(tx, j);
	/* the job's changes are rolled back with its savepoint: nothing is stored
	 * that its audience would not hear about */
	if (e == CH_OK && j->unencodable)
		e = svc_fail(j, CH_ERR_INTERNAL, "internal error: the chat could not be encoded");
	if (e == CH_OK && ctx.outbox && j->events)
		to_outbox(tx, j);
	return e;
}

static void finished(void *arg, ch_err err)
{
	svc_job *j = arg;
	j->res.err = err;
	if (err) {
		ch_event_free_list(j->events);
		json_decref(j->res.result);
		j->res.result = NULL;
		if (!j->res.message[0] || err == CH_ERR_STORE)
			snprintf(j->res.message, sizeof j->res.message, "%s", ch_err_text(err));
	} else {
		ch_bus_publish(j->events);
	}
	j->events = NULL;
	if (j->done)
		j->done(j->arg, &j->res);
	else
		json_decref(j->res.result);
	free(j);
}

void svc_submit(svc_job *j) { ch_store_write(ctx.store, run, j, finished); }

ch_err svc_run_wait(svc_fn fn, const ch_principal *p, void *extra, ch_svc_result *out)
{
	ch_svc_waiter *w = ch_svc_waiter_new();
	svc_job *j = svc_job_new(fn, p, ch_svc_waiter_done, w);
	j->extra = extra;
	svc_submit(j);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	if (out)
		*out = r;
	else
		json_decref(r.result);
	return r.err;
}

struct ch_svc_waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
	ch_svc_result r;
};

ch_svc_waiter *ch_svc_waiter_new(void)
{
	ch_svc_waiter *w = ch_xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	return w;
}

void ch_svc_waiter_done(void *arg, ch_svc_result *r)
{
	ch_svc_waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->r = *r;
	w->ready = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void ch_svc_waiter_wait(ch_svc_waiter *w, ch_svc_result *out)
{
	pthread_mutex_lock(&w->mu);
	while (!w->ready)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
	*out = w->r;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
