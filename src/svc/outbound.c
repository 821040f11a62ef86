/* outbound.c — what goes out to a messaging channel: due delivery rows
 * turned into signed request bodies, and the recording of each attempt
 * (delivered; retried with backoff; given up after CH_SVC_OUTBOUND_TRIES).
 * Threading: load runs on a worker inside its read transaction; the result
 * is a store write job. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "chat/platform.h"
#include "svc/internal.h"

typedef struct due {
	ch_delivery_row *rows;
	size_t n, cap;
} due;

static void add_due(void *ctx, const ch_delivery_row *r)
{
	due *d = ctx;
	if (d->n < d->cap)
		d->rows[d->n++] = *r;
}

static void sign(const char *secret, const char *body, size_t len, char out[80])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, "sha256=", 7);
	sodium_bin2hex(out + 7, 73, mac, sizeof mac);
}

/* The request of one delivery; CH_ERR_NOT_FOUND when its message is gone
 * (deleted with its chat, or redacted before it went out: an empty tombstone
 * is nothing to send). */
static ch_err prepare(ch_store_tx *tx, const ch_delivery_row *d, ch_svc_outbound *o)
{
	ch_message_row *m = ch_xmalloc(sizeof *m);
	ch_chat_row c;
	ch_client_row cl;
	ch_org_secrets sec;
	ch_err e = ch_store_message_get(tx, d->company_id, d->message_id, m);
	if (!e && m->redacted_at)
		e = CH_ERR_NOT_FOUND;
	if (!e)
		e = ch_store_chat_get(tx, d->company_id, m->chat_id, &c);
	if (!e)
		e = ch_store_client_get(tx, d->company_id, c.client_id, &cl);
	int64_t bot = 0;
	if (!e)
		e = ch_store_chat_connection(tx, c.id, &bot);
	if (!e && bot) {
		o->delivery_id = d->id;
		o->attempts = d->attempts;
		e = svc_bot_prepare(tx, m, &c, &cl, bot, o);
		free(m);
		return e;
	}
	if (!e)
		e = ch_store_org_secrets_get(tx, d->company_id, d->organization_id, &sec);
	if (!e) {
		json_t *body = json_pack("{s:s, s:s, s:I, s:I, s:s, s:i, s:o}", "eventId", d->event_id, "type", "message",
		                         "organizationId", (json_int_t)d->organization_id, "chatId", (json_int_t)c.id,
		                         "externalUserId", cl.has_external_key ? cl.external_key : "", "source", c.source,
		                         "message", ch_svc_json_message(m, &c));
		o->body = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		o->len = o->body ? strlen(o->body) : 0;
		o->delivery_id = d->id;
		o->attempts = d->attempts;
		snprintf(o->event_id, sizeof o->event_id, "%s", d->event_id);
		snprintf(o->url, sizeof o->url, "%s", sec.outbound_url);
		sign(sec.channel_secret, o->body ? o->body : "", o->len, o->signature);
		if (!o->body || !sec.outbound_url[0]) {
			free(o->body);
			o->body = NULL;
			e = CH_ERR_NOT_FOUND;
		}
	}
	free(m);
	return e;
}

ch_err ch_svc_outbound_load(ch_store_tx *tx, int64_t now_ms, ch_svc_outbound *out, size_t max, size_t *n)
{
	due d = {.rows = ch_xcalloc(max ? max : 1, sizeof *d.rows), .cap = max};
	ch_err e = ch_store_delivery_claim(tx, now_ms, (int64_t)max, CH_SVC_OUTBOUND_LEASE_MS, add_due, &d);
	*n = 0;
	for (size_t i = 0; !e && i < d.n; i++) {
		memset(&out[*n], 0, sizeof out[*n]);
		ch_err pe = prepare(tx, &d.rows[i], &out[*n]);
		if (pe == CH_OK)
			(*n)++;
		else if (pe == CH_ERR_NOT_FOUND) /* nothing left to send: give it up */
			ch_svc_outbound_result(d.rows[i].id, d.rows[i].attempts, 0, 1, "message or outbound URL gone");
		else if (pe == CH_ERR_CONFLICT) /* a bot's message that can never go out: rejected after the job */
			(*n)++;
		else
			e = pe;
	}
	free(d.rows);
	if (e) { /* nothing is returned on an error: the bodies prepared so far go */
		for (size_t i = 0; i < *n; i++)
			free(out[i].body);
		*n = 0;
	}
	return e;
}

typedef struct result_job {
	int64_t id;
	int attempts, ok, final, retry_after_s;
	char error[256];
	char platform_id[65];
	int64_t company_id, message_id; /* a rejected bot message */
	int64_t conn_id;                /* a bot's connection: its health shows a failed attempt */
} result_job;

static ch_err result_tx(ch_store_tx *tx, void *arg)
{
	result_job *j = arg;
	int tries = j->attempts + 1;
	int gave_up = !j->ok && (j->final || tries >= CH_SVC_OUTBOUND_TRIES);
	/* backoff: 1, 2, 4, 8 … seconds, at most 10 minutes; or when the
	 * platform said to come back (Telegram's retry_after) */
	int64_t wait_ms = 1000LL << (tries < 10 ? tries - 1 : 9);
	if (j->retry_after_s > 0)
		wait_ms = 1000LL * j->retry_after_s;
	ch_err e = j->conn_id && !j->ok ? ch_store_channel_conn_health(tx, j->conn_id, -1, -1, j->error, ch_now_ms())
	                                : CH_OK;
	if (e == CH_ERR_NOT_FOUND) /* the connection was removed meanwhile */
		e = CH_OK;
	return e ? e : ch_store_delivery_update(tx, j->id, j->ok ? 1 : gave_up ? 2 : 0, tries,
	                                ch_now_ms() + (wait_ms > 600000 ? 600000 : wait_ms), j->ok ? "" : j->error,
	                                j->platform_id[0] ? j->platform_id : NULL);
}

static void result_done(void *arg, ch_err e)
{
	(void)e;
	free(arg);
}

static result_job *result_new(int64_t delivery_id, int attempts, int ok, int final, const char *error)
{
	result_job *j = ch_xcalloc(1, sizeof *j);
	j->id = delivery_id;
	j->attempts = attempts;
	j->ok = ok;
	j->final = final;
	snprintf(j->error, sizeof j->error, "%s", error ? error : "");
	return j;
}

void ch_svc_outbound_result(int64_t delivery_id, int attempts, int ok, int final, const char *error)
{
	ch_store_write(ch_svc_ctx()->store, result_tx, result_new(delivery_id, attempts, ok, final, error), result_done);
}

/* A rejected bot message: the delivery given up, the message Rejected, and
 * the operator side told (as a status change). */
static ch_err reject_fn(ch_store_tx *tx, svc_job *j)
{
	result_job *r = (result_job *)j->extra;
	ch_err e = result_tx(tx, r);
	ch_message_row *m = e ? NULL : ch_xmalloc(sizeof *m);
	if (!e)
		e = ch_store_message_set_status(tx, r->company_id, r->message_id, CH_MSG_REJECTED, m);
	ch_chat_row c;
	if (!e)
		e = ch_store_chat_get(tx, r->company_id, m->chat_id, &c);
	if (!e) {
		svc_emit(j, SVC_BOTH_SIDES, &c, "MessageStatusChanged",
		         json_pack("[I, i]", (json_int_t)r->message_id, CH_MSG_REJECTED));
		svc_org_event(tx, "message.status_changed", &c, r->message_id,
		              json_pack("{s:i, s:s}", "status", CH_MSG_REJECTED, "reason", r->error));
	}
	free(m);
	return e == CH_ERR_NOT_FOUND ? CH_OK : e; /* a message deleted since: the delivery still ends */
}

static void reject_done(void *arg, ch_svc_result *res)
{
	json_decref(res->result);
	free(arg);
}

static void reject(const ch_svc_outbound *o, const char *why)
{
	result_job *r = result_new(o->delivery_id, o->attempts, 0, 1, why);
	r->company_id = o->company_id;
	r->message_id = o->message_id;
	r->conn_id = o->conn_id;
	svc_job *j = svc_job_new(reject_fn, NULL, reject_done, r);
	j->extra = r;
	svc_submit(j);
}

void ch_svc_outbound_reject(const ch_svc_outbound *o) { reject(o, o->why); }

void ch_svc_outbound_answered(const ch_svc_outbound *o, int status, const char *why, const char *body, size_t len)
{
	ch_pf_answer a;
	if (o->platform == CH_CHANNEL_TELEGRAM)
		ch_pf_telegram_answer(status, body, len, &a);
	else
		ch_pf_viber_answer(status, body, len, &a);
	if (!status && why) /* no answer at all (retried): what the client saw */
		snprintf(a.error, sizeof a.error, "%s", why);
	if (a.verdict == CH_PF_REJECTED) {
		reject(o, a.error);
		return;
	}
	result_job *r = result_new(o->delivery_id, o->attempts, a.verdict == CH_PF_SENT, 0, a.error);
	r->conn_id = o->conn_id;
	r->retry_after_s = a.verdict == CH_PF_RETRY ? a.retry_after_s : 0;
	if (a.verdict == CH_PF_SENT)
		snprintf(r->platform_id, sizeof r->platform_id, "%s", a.platform_message_id);
	ch_store_write(ch_svc_ctx()->store, result_tx, r, result_done);
}
