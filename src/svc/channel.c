/* channel.c — a messaging channel's inbound message as one write job (see
 * ch_svc_channel_inbound in svc.h): the dedupe record is read first and
 * written with the message, in the same transaction, so no retry or replay
 * can store a message twice — not after its chat was closed, not after it
 * was deleted.
 * Threading: submit from any thread; the job runs on the store writer. */
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/clock.h"
#include "svc/internal.h"

/* The answer for an external message id recorded before. */
static ch_err duplicate(ch_store_tx *tx, svc_job *j, const ch_svc_inbound *in, int64_t first)
{
	json_t *mid = json_null(), *chat = json_null();
	if (first) {
		ch_message_row *m = ch_xmalloc(sizeof *m);
		ch_err e = ch_store_message_get(tx, in->company_id, first, m);
		if (e == CH_OK) {
			mid = json_integer(first);
			chat = json_integer(m->chat_id);
		}
		free(m);
		if (e && e != CH_ERR_NOT_FOUND)
			return e;
	}
	j->res.result = json_pack("{s:o, s:o, s:b}", "messageId", mid, "chatId", chat, "duplicate", 1);
	return CH_OK;
}

static ch_err inbound_fn(ch_store_tx *tx, svc_job *j)
{
	const ch_svc_inbound *in = j->extra;
	int64_t first = 0;
	ch_err e = ch_store_channel_find(tx, in->org_id, in->external_message_id, &first);
	if (e == CH_OK)
		return duplicate(tx, j, in, first);
	if (e != CH_ERR_NOT_FOUND)
		return e;
	ch_client_row cl;
	if ((e = ch_store_client_upsert(tx, in->company_id, in->org_id, in->source, in->external_user_id, in->name,
	                                in->phone, NULL, &cl)))
		return e == CH_ERR_BAD_JSON ? svc_fail(j, e, "the sender's name or phone is not valid text") : e;
	char cmid[CH_EXTID_MAX + 8];
	snprintf(cmid, sizeof cmid, "ext:%s", in->external_message_id);
	j->p = (ch_principal){.kind = CH_TOKEN_VISITOR, .company_id = in->company_id, .org_id = in->org_id,
	                      .client_id = cl.id};
	j->chat_id = 0;
	j->client_message_id = cmid;
	e = svc_send_fn(tx, j);
	j->p = (ch_principal){0}; /* the job itself acts for the channel, checked by its signature */
	if (e)
		return e;
	json_t *msg = j->res.result;
	int64_t id = json_integer_value(json_object_get(msg, "id"));
	int64_t chat = json_integer_value(json_object_get(msg, "chatId"));
	j->client_message_id = NULL; /* cmid lives on this stack frame only */
	if ((e = ch_store_channel_dedupe(tx, in->org_id, in->external_message_id, id, NULL)))
		return e;
	/* a bot's chat answers through the connection the customer last wrote to,
	 * and the connection's health shows the message */
	if (in->connection_id && ((e = ch_store_chat_set_connection(tx, chat, in->connection_id)) ||
	                          (e = ch_store_channel_conn_health(tx, in->connection_id, -1, ch_now_ms(), NULL,
	                                                            ch_now_ms()))))
		return e;
	j->res.result = json_pack("{s:I, s:I, s:b}", "messageId", (json_int_t)id, "chatId", (json_int_t)chat,
	                          "duplicate", 0);
	json_decref(msg);
	return CH_OK;
}

void ch_svc_channel_inbound(const ch_svc_inbound *in, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(inbound_fn, NULL, done, arg);
	j->extra = in;
	j->text = in->text;
	if (in->media) {
		j->media = *in->media;
		j->has_media = 1;
	}
	svc_submit(j);
}
