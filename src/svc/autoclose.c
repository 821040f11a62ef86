/* autoclose.c — the auto-close sweep (docs/api.md "Auto-close"): one write
 * job finds the chats whose client side has been silent for longer than
 * their organization allows in their status (ch_store_chat_idle_due) and
 * closes each: a system message saying why, then status Closed, with the
 * events a close by an operator has, then the organization's queue is
 * drained when an operator's seat was freed.
 *
 * Several processes may sweep at once: each chat is taken under its
 * organization's routing lock and its row lock (org, then chat, as every
 * routing path), and closed by the store's conditional close, which writes
 * nothing when the chat is no longer due (a message arrived, its status
 * changed, another process closed it). Only a chat actually closed gets the
 * message, so it is written once.
 * Threading: the job runs on the store writer thread. */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "svc/internal.h"

#define SWEEP_BATCH 100

typedef struct due_list {
	ch_chat_row *v;
	size_t n;
} due_list;

static void add_due(void *ctx, const ch_chat_row *row)
{
	due_list *l = ctx;
	if (l->n < SWEEP_BATCH)
		l->v[l->n++] = *row;
}

static int64_t minutes_of(const ch_org_row *o, int status)
{
	switch (status) {
	case CH_CHAT_OPEN: return o->auto_close_open;
	case CH_CHAT_WAITING: return o->auto_close_waiting;
	case CH_CHAT_ON_PAUSE: return o->auto_close_on_pause;
	default: return 0;
	}
}

/* "24 hours", "1 hour", "90 minutes". */
static void duration(int64_t minutes, char *out, size_t cap)
{
	if (minutes % 60 == 0)
		snprintf(out, cap, "%lld hour%s", (long long)(minutes / 60), minutes == 60 ? "" : "s");
	else
		snprintf(out, cap, "%lld minute%s", (long long)minutes, minutes == 1 ? "" : "s");
}

/* The system message of a chat closed in status after minutes of silence. */
static void reason(int status, int64_t minutes, char *out, size_t cap)
{
	char d[48];
	duration(minutes, d, sizeof d);
	if (status == CH_CHAT_WAITING)
		snprintf(out, cap, "Closed automatically: no reply from the client for %s.", d);
	else if (status == CH_CHAT_ON_PAUSE)
		snprintf(out, cap, "Closed automatically: on pause with no new message for %s.", d);
	else
		snprintf(out, cap, "Closed automatically: no new message for %s.", d);
}

/* The message, then the status, to both sides, in that order. */
static ch_err announce(ch_store_tx *tx, svc_job *j, ch_chat_row *c, int old_status, int64_t minutes)
{
	char text[160];
	reason(old_status, minutes, text, sizeof text);
	ch_message_new m = {.company_id = c->company_id, .chat_id = c->id, .author = CH_AUTHOR_SYSTEM,
	                    .text = text, .status = CH_MSG_SUCCESS};
	ch_message_row *msg = ch_xmalloc(sizeof *msg);
	ch_err e = ch_store_message_append(tx, &m, c, msg, NULL); /* c follows the append */
	if (!e) {
		ch_event *ev = svc_emit(j, SVC_BOTH_SIDES, c, "ReceiveMessage", json_pack("[o]", ch_svc_json_message(msg, c)));
		if (ev)
			ev->seq = msg->seq;
		svc_org_message(tx, "message.created", c, msg);
		svc_emit(j, SVC_BOTH_SIDES, c, "ChatStatusChanged", json_pack("[I, i]", (json_int_t)c->id, c->status));
		svc_org_chat_status(tx, c, old_status);
	}
	free(msg);
	return e;
}

/* One due chat; *closed = 1 when this job closed it. */
static ch_err close_one(ch_store_tx *tx, svc_job *j, const ch_chat_row *due, int64_t now, int *closed)
{
	ch_org_row org;
	ch_chat_row *c = ch_xmalloc(sizeof *c);
	*closed = 0;
	ch_err e = ch_store_routing_lock(tx, due->organization_id);
	if (!e)
		e = ch_store_org_get(tx, due->company_id, due->organization_id, &org);
	if (!e)
		e = ch_store_chat_lock(tx, due->company_id, due->id, c); /* its status as it is now */
	int old = c->status;
	if (!e)
		e = ch_store_chat_close_if_idle(tx, due->company_id, due->id, now, c);
	if (e == CH_ERR_CONFLICT || e == CH_ERR_NOT_FOUND) {
		free(c); /* something happened since it was found, or it was deleted */
		return CH_OK;
	}
	if (!e)
		e = announce(tx, j, c, old, minutes_of(&org, old));
	if (!e && c->operator_id && old != CH_CHAT_ON_PAUSE) /* a seat was freed */
		e = svc_drain_org(tx, j, c->company_id, c->organization_id);
	*closed = !e;
	free(c);
	return e;
}

static ch_err sweep_fn(ch_store_tx *tx, svc_job *j)
{
	int64_t now = ch_now_ms();
	due_list l = {.v = ch_xcalloc(SWEEP_BATCH, sizeof *l.v)};
	ch_err e = ch_store_chat_idle_due(tx, now, SWEEP_BATCH, add_due, &l);
	int64_t n = 0;
	for (size_t i = 0; !e && i < l.n; i++) {
		int closed;
		e = close_one(tx, j, &l.v[i], now, &closed);
		n += closed;
	}
	if (!e)
		svc_result(j, json_pack("{s:I, s:b}", "closed", (json_int_t)n, "more", l.n == SWEEP_BATCH));
	free(l.v);
	return e;
}

void ch_svc_autoclose_sweep(ch_svc_done done, void *arg)
{
	svc_submit(svc_job_new(sweep_fn, NULL, done, arg));
}
