/* http_call.c — one outbound HTTP request and its answer, waited for (see
 * ch_svc_http_send_wait and ch_svc_http_call in svc.h): the request sent by
 * the one outbound client (net/outbound.c) on the network thread, the
 * answer's body kept up to a bound. Used where a caller cannot go on without
 * the answer: a webhook's test ping, registering a bot's webhook, fetching a
 * customer's media.
 * Threading: worker threads only (it blocks: DNS, then the wait). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "svc/internal.h"

typedef struct call_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs, finished, status;
	char why[256];
	ch_buf body;
} call_wait;

static void call_unref(call_wait *w)
{
	pthread_mutex_lock(&w->mu);
	int last = --w->refs == 0;
	pthread_mutex_unlock(&w->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	ch_buf_free(&w->body);
	free(w);
}

static void call_done(void *arg, int status, const char *why, const char *body, size_t len)
{
	call_wait *w = arg;
	pthread_mutex_lock(&w->mu);
	w->status = status;
	snprintf(w->why, sizeof w->why, "%s", why ? why : "");
	if (body && len)
		ch_buf_append(&w->body, body, len);
	w->finished = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	call_unref(w);
}

/* Waits for w at most timeout_s (and a second for the client to cut it);
 * 1 with out filled when it finished. */
static int call_wait_for(call_wait *w, int timeout_s, ch_svc_http_answer *out)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s + 1;
	pthread_mutex_lock(&w->mu);
	while (!w->finished && pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
		;
	int finished = w->finished;
	if (finished) {
		out->status = w->status;
		snprintf(out->why, sizeof out->why, "%s", w->why);
		out->body = ch_buf_steal(&w->body, &out->len);
	}
	pthread_mutex_unlock(&w->mu);
	return finished;
}

void ch_svc_http_send_wait(ch_svc_http_post *req, ch_svc_http_answer *out)
{
	memset(out, 0, sizeof *out);
	call_wait *w = ch_xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->refs = 2; /* this waiter and the client's answer */
	if (req->timeout_s <= 0)
		req->timeout_s = CH_SVC_HTTP_CALL_TIMEOUT_S;
	req->done = call_done;
	req->arg = w;
	int timeout_s = req->timeout_s;
	ch_svc_http_send(req);
	if (!call_wait_for(w, timeout_s, out))
		snprintf(out->why, sizeof out->why, "no answer within %d s", timeout_s);
	call_unref(w);
}

void ch_svc_http_call(const ch_svc_http_call_in *in, ch_svc_http_answer *out)
{
	memset(out, 0, sizeof *out);
	ch_netaddr_url u;
	char ip[16];
	if (ch_netaddr_target(in->url, in->allow_private, &u, ip, out->why, sizeof out->why))
		return;
	ch_svc_http_post *req = ch_xcalloc(1, sizeof *req);
	req->u = u;
	memcpy(req->ip, ip, sizeof req->ip);
	req->method = in->method;
	snprintf(req->content_type, sizeof req->content_type, "%s", in->content_type ? in->content_type : "");
	if (in->body && in->len) {
		req->body = ch_xmalloc(in->len);
		memcpy(req->body, in->body, in->len);
		req->len = in->len;
	}
	req->timeout_s = in->timeout_s;
	for (size_t i = 0; i < in->nh && i < CH_SVC_HTTP_HEADERS; i++) {
		snprintf(req->h[i].name, sizeof req->h[i].name, "%s", in->h[i].name);
		snprintf(req->h[i].value, sizeof req->h[i].value, "%s", in->h[i].value);
		req->nh = i + 1;
	}
	req->answer_max = in->answer_max ? in->answer_max : 65536;
	ch_svc_http_send_wait(req, out);
}

void ch_svc_http_answer_free(ch_svc_http_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
}
