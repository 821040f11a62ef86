/* ops.c — the write operations on chats (send, status, take, transfer, mark
 * read, delete) and on operators (status, requeue, drain), as store write
 * jobs. See svc.h. Threading: the job functions run on the store writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "chat/status.h"
#include "core/random.h"
#include "core/utf8.h"
#include "svc/internal.h"

/* The chat if p may see it; NOT_FOUND otherwise (also another company's). */
static ch_err visible(ch_store_tx *tx, svc_job *j, int64_t chat_id, ch_chat_row *c)
{
	ch_err e = ch_svc_chat_visible(tx, &j->p, chat_id, c);
	return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "chat not found") : e;
}

/* Theme of a new chat: the client's name, else the first words of the text. */
static void default_theme(const ch_client_row *cl, const char *text, char out[CH_NAME_MAX + 1])
{
	if (cl->name[0]) {
		snprintf(out, CH_NAME_MAX + 1, "%s", cl->name);
		return;
	}
	size_t n = 0, words = 0;
	const char *t = text ? text : "";
	while (t[n] && n < 60 && words < 6) {
		if (t[n] == ' ' && n && t[n - 1] != ' ')
			words++;
		n++;
	}
	n = ch_utf8_prefix(t, strlen(t), n); /* never cut a UTF-8 sequence */
	snprintf(out, CH_NAME_MAX + 1, "%.*s", (int)n, *t ? t : "New chat");
	if (!*t)
		snprintf(out, CH_NAME_MAX + 1, "New chat");
}

/* A visitor's open chat, created on its first message. */
static ch_err visitor_chat(ch_store_tx *tx, svc_job *j, ch_chat_row *c, int *created)
{
	ch_err e = ch_store_chat_open_for_client(tx, j->p.company_id, j->p.client_id, c);
	if (e != CH_ERR_NOT_FOUND)
		return e;
	ch_client_row cl;
	if ((e = ch_store_client_get(tx, j->p.company_id, j->p.client_id, &cl)))
		return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "visitor not found") : e;
	char theme[CH_NAME_MAX + 1];
	default_theme(&cl, j->has_media ? j->media.name : j->text, theme);
	*created = 1;
	return ch_store_chat_create(tx, j->p.company_id, cl.organization_id, cl.id, cl.source, theme, c);
}

/* An operator reply in a channel chat goes out to its bot's platform, or to
 * the organization's outbound URL: the delivery row commits with the message, so it is never
 * lost; net/outbound.c sends it. */
static ch_err queue_delivery(ch_store_tx *tx, const ch_chat_row *c, int64_t message_id)
{
	ch_org_secrets sec;
	int64_t bot = 0; /* a Telegram or Viber bot's chat (svc/bots.c) goes out through it */
	ch_err e = ch_store_chat_connection(tx, c->id, &bot);
	if (!e && !bot)
		e = ch_store_org_secrets_get(tx, c->company_id, c->organization_id, &sec);
	if (e || (!bot && !sec.outbound_url[0]))
		return e;
	char event_id[CH_GUID_LEN + 1];
	int64_t id;
	ch_random_guid(event_id);
	return ch_store_delivery_add(tx, c->company_id, c->organization_id, message_id, event_id, &id);
}

ch_err svc_send_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	int created = 0;
	ch_err e;
	if (j->chat_id == 0 && j->p.kind == CH_TOKEN_VISITOR)
		e = visitor_chat(tx, j, &c, &created);
	else
		e = visible(tx, j, j->chat_id, &c);
	int author = ch_principal_author(&j->p);
	/* A chat queued after the message (already queued, or reopened by it) is
	 * routed after the append, which locks its row; take the org's routing
	 * lock first, as every other routing path does (org, then chat): a drain
	 * of another process that holds the org lock and wants this chat must not
	 * wait on us while we wait on it. */
	if (!e && ((c.status == CH_CHAT_NEW && !c.operator_id) ||
	           (c.status == CH_CHAT_CLOSED && ch_chat_status_after_message(c.status, author) == CH_CHAT_NEW)))
		e = ch_store_routing_lock(tx, c.organization_id);
	if (e)
		return e;
	int64_t media_id = 0;
	if (j->has_media) {
		ch_media_row mr;
		if ((e = ch_store_media_put(tx, c.company_id, c.id, j->media.name, j->media.format, j->media.type,
		                            j->media.data, j->media.len, &mr)))
			return e;
		media_id = mr.id;
	}
	ch_message_new m = {.company_id = c.company_id, .chat_id = c.id, .author = author,
	                    .operator_id = j->p.operator_id, .text = j->text,
	                    .client_message_id = j->client_message_id, .media_id = media_id,
	                    .status = CH_MSG_SUCCESS};
	ch_message_row *msg = ch_xmalloc(sizeof *msg);
	int dup = 0;
	e = ch_store_message_append(tx, &m, &c, msg, &dup); /* c follows the append */
	if (e || dup) {
		/* a retry of a stored message answers the first one, never a duplicate
		 * (a retried media upload leaves its unused copy behind) */
		if (!e)
			svc_result(j, ch_svc_json_message(msg, &c));
		free(msg);
		return e;
	}
	int old = c.status, next = ch_chat_status_after_message(c.status, author);
	int64_t op = (old == CH_CHAT_CLOSED && next == CH_CHAT_NEW) ? 0 : c.operator_id;
	if ((next != old || op != c.operator_id) &&
	    (e = ch_store_chat_update(tx, c.company_id, c.id, next, op, &c)))
		goto out;
	if (created) {
		svc_emit(j, SVC_OPERATOR_SIDE, &c, "ChatCreated", json_pack("[o]", svc_json_chat_staff(tx, j, &c)));
		svc_org_chat(tx, "chat.created", &c);
	}
	svc_org_message(tx, "message.created", &c, msg);
	json_t *mj = ch_svc_json_message(msg, &c);
	ch_event *ev = svc_emit(j, SVC_BOTH_SIDES, &c, msg->has_media ? "ReceiveMediaMessage" : "ReceiveMessage",
	                        mj ? json_pack("[O]", mj) : NULL);
	if (ev) {
		ev->exclude_conn = j->origin_conn; /* the sender gets the completion instead */
		ev->seq = msg->seq;
	}
	/* The event and the caller may read it on different threads (jansson's
	 * reference counts are atomic); only a relative media link, which each
	 * side makes absolute in place for its reader, needs a copy of its own. */
	svc_result(j, !mj ? NULL : ch_svc_media_relative(mj) ? json_deep_copy(mj) : json_incref(mj));
	json_decref(mj);
	if (next != old) {
		svc_emit(j, SVC_BOTH_SIDES, &c, "ChatStatusChanged", json_pack("[I, i]", (json_int_t)c.id, c.status));
		svc_org_chat_status(tx, &c, old);
	}
	if (author == CH_AUTHOR_OPERATOR && j->p.operator_id && (e = ch_store_presence_touch(tx, j->p.operator_id)))
		goto out;
	if (author == CH_AUTHOR_OPERATOR && c.source != CH_SOURCE_WIDGET && (e = queue_delivery(tx, &c, msg->id)))
		goto out;
	e = svc_route_chat(tx, j, &c);
	if (!e && author == CH_AUTHOR_CLIENT)
		e = svc_hours_away(tx, j, &c);
out:
	free(msg);
	return e;
}

void ch_svc_send(const ch_principal *p, int64_t chat_id, const char *text, const char *client_message_id,
                 const ch_svc_media *media, uint64_t origin_conn, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(svc_send_fn, p, done, arg);
	j->chat_id = chat_id;
	j->text = text;
	j->client_message_id = client_message_id;
	if (media) {
		j->media = *media;
		j->has_media = 1;
	}
	j->origin_conn = origin_conn;
	svc_submit(j);
}

/* A chat in this status uses no seat of its operator's capacity. */
static int frees_seat(int status) { return status == CH_CHAT_CLOSED || status == CH_CHAT_ON_PAUSE; }

static ch_err status_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	ch_err e = visible(tx, j, j->chat_id, &c);
	/* a reopen routes, and a close or a pause that frees an operator's seat
	 * (an OnPause chat is not load) drains: take the org's routing lock
	 * before the update locks the chat (org, then chat, like every routing
	 * path), and decide on the chat as it is under it */
	if (!e && ((c.status == CH_CHAT_CLOSED && j->status == CH_CHAT_NEW) ||
	           (frees_seat(j->status) && c.operator_id)) &&
	    !(e = ch_store_routing_lock(tx, c.organization_id)))
		e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	if (!ch_chat_transition_allowed(c.status, j->status))
		return svc_fail(j, CH_ERR_CONFLICT, "conflict: illegal status transition");
	if (c.status != j->status) {
		int old = c.status;
		int64_t freed = frees_seat(j->status) && !frees_seat(old) ? c.operator_id : 0;
		int64_t op = j->status == CH_CHAT_NEW ? 0 : c.operator_id;
		if (!op && j->status == CH_CHAT_OPEN && j->p.kind == CH_TOKEN_OPERATOR)
			op = j->p.operator_id;
		if ((e = ch_store_chat_update(tx, c.company_id, c.id, j->status, op, &c)))
			return e;
		svc_emit(j, SVC_BOTH_SIDES, &c, "ChatStatusChanged", json_pack("[I, i]", (json_int_t)c.id, c.status));
		svc_org_chat_status(tx, &c, old);
		if (old == CH_CHAT_CLOSED && c.status == CH_CHAT_NEW)
			e = svc_route_chat(tx, j, &c);
		else if (freed)
			e = svc_drain_org(tx, j, c.company_id, c.organization_id);
		if (!e)
			e = ch_store_chat_get(tx, c.company_id, c.id, &c);
	}
	if (!e)
		svc_result(j, svc_json_chat_for(tx, j, &c));
	return e;
}

void ch_svc_set_status(const ch_principal *p, int64_t chat_id, int status, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(status_fn, p, done, arg);
	j->chat_id = chat_id;
	j->status = status;
	svc_submit(j);
}

static ch_err take_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	ch_err e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	if (j->p.kind != CH_TOKEN_OPERATOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "only operators take chats");
	if (c.operator_id == j->p.operator_id && c.status != CH_CHAT_CLOSED) {
		svc_result(j, svc_json_chat_for(tx, j, &c));
		return CH_OK;
	}
	if (c.status != CH_CHAT_NEW || c.operator_id)
		return svc_fail(j, CH_ERR_CONFLICT, "conflict: the chat is not in the queue");
	int old = c.status;
	/* under the org's routing lock, and only while still queued: another
	 * process may have routed it since it was read */
	if ((e = ch_store_routing_lock(tx, c.organization_id)))
		return e;
	e = ch_store_chat_assign_if_queued(tx, c.company_id, c.id, j->p.operator_id, &c);
	if (e == CH_ERR_CONFLICT)
		return svc_fail(j, e, "conflict: the chat is not in the queue");
	if (e || (e = ch_store_presence_touch(tx, j->p.operator_id)))
		return e;
	svc_emit_assignment(tx, j, &c, old);
	svc_result(j, svc_json_chat_for(tx, j, &c));
	return CH_OK;
}

void ch_svc_take(const ch_principal *p, int64_t chat_id, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(take_fn, p, done, arg);
	j->chat_id = chat_id;
	svc_submit(j);
}

static ch_err transfer_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	ch_operator_row op;
	ch_err e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	if (j->p.kind == CH_TOKEN_VISITOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "visitors cannot transfer chats");
	/* decided on the chat as it is under the org's routing lock */
	if ((e = ch_store_routing_lock(tx, c.organization_id)) || (e = visible(tx, j, j->chat_id, &c)))
		return e;
	e = ch_store_operator_get(tx, c.company_id, j->operator_id, &op);
	if (e == CH_ERR_NOT_FOUND || (!e && (op.organization_id != c.organization_id ||
	                                     op.status == CH_OPERATOR_DELETED)))
		return svc_fail(j, CH_ERR_NOT_FOUND, "operator not found in this organization");
	if (e)
		return e;
	if (op.status != CH_OPERATOR_ACTIVE)
		return svc_fail(j, CH_ERR_NOT_ACTIVE, "operator not active");
	if (c.status == CH_CHAT_CLOSED)
		return svc_fail(j, CH_ERR_CONFLICT, "conflict: the chat is closed");
	int old = c.status;
	int64_t from = c.operator_id;
	int status = c.status == CH_CHAT_NEW ? CH_CHAT_OPEN : c.status;
	if ((e = ch_store_chat_update(tx, c.company_id, c.id, status, op.id, &c)))
		return e;
	svc_emit_assignment(tx, j, &c, old);
	if (from && from != op.id)
		e = svc_drain_org(tx, j, c.company_id, c.organization_id);
	if (!e)
		svc_result(j, svc_json_chat_for(tx, j, &c));
	return e;
}

void ch_svc_transfer(const ch_principal *p, int64_t chat_id, int64_t operator_id, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(transfer_fn, p, done, arg);
	j->chat_id = chat_id;
	j->operator_id = operator_id;
	svc_submit(j);
}

typedef struct read_marks {
	svc_job *j;
	const ch_chat_row *c;
	unsigned audience;
	int64_t changed;
} read_marks;

/* Exactly (messageId, status), as the public sample binds it: a typed client
 * (.NET On<long, int>) drops an event with more arguments. */
static void emit_read(void *ctx, const ch_message_row *m)
{
	read_marks *r = ctx;
	r->changed++;
	svc_emit(r->j, r->audience, r->c, "MessageStatusChanged", json_pack("[I, i]", (json_int_t)m->id, m->status));
}

static ch_err mark_read_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	ch_err e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	int reader = ch_principal_author(&j->p);
	read_marks r = {j, &c, reader == CH_AUTHOR_CLIENT ? SVC_OPERATOR_SIDE : CH_AUD_CLIENT, 0};
	e = ch_store_chat_mark_read(tx, c.company_id, c.id, reader, j->seq, emit_read, &r);
	/* the whole chat's receipt, for clients that track reads by seq (the
	 * widgets): both sides, so the reader's other tabs follow too */
	if (!e && r.changed) {
		int64_t upto = j->seq < c.last_seq ? j->seq : c.last_seq;
		const char *by = reader == CH_AUTHOR_CLIENT ? "client" : "operator";
		svc_emit(j, SVC_BOTH_SIDES, &c, "MessagesRead", json_pack("[I, I, s]", (json_int_t)c.id, (json_int_t)upto, by));
		/* one event for the receipt, not one per message it marked */
		svc_org_event(tx, "message.status_changed", &c, 0,
		              json_pack("{s:i, s:I, s:s, s:I}", "status", CH_MSG_READ, "uptoSeq", (json_int_t)upto, "reader",
		                        by, "messages", (json_int_t)r.changed));
	}
	return e;
}

void ch_svc_mark_read(const ch_principal *p, int64_t chat_id, int64_t seq, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(mark_read_fn, p, done, arg);
	j->chat_id = chat_id;
	j->seq = seq;
	svc_submit(j);
}

static ch_err delete_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	ch_err e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	if ((e = ch_store_chat_delete(tx, c.company_id, c.id)))
		return e;
	svc_org_event(tx, "chat.deleted", &c, 0, json_pack("{s:I}", "chatId", (json_int_t)c.id));
	return c.operator_id && c.status != CH_CHAT_CLOSED ? svc_drain_org(tx, j, c.company_id, c.organization_id)
	                                                    : CH_OK;
}

void ch_svc_delete_chat(const ch_principal *p, int64_t chat_id, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(delete_fn, p, done, arg);
	j->chat_id = chat_id;
	svc_submit(j);
}

/* The tombstone goes to both sides as one event, in the chat's order like
 * MessageStatusChanged; a second redaction answers it again and emits nothing. */
static ch_err redact_fn(ch_store_tx *tx, svc_job *j)
{
	ch_chat_row c;
	if (j->p.kind == CH_TOKEN_VISITOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "visitors cannot redact messages");
	ch_err e = visible(tx, j, j->chat_id, &c);
	if (e)
		return e;
	int64_t by = j->p.kind == CH_TOKEN_OPERATOR ? j->p.operator_id : 0;
	ch_message_row *m = ch_xmalloc(sizeof *m);
	e = ch_store_message_get(tx, c.company_id, j->message_id, m);
	int was = !e && m->chat_id == c.id && m->redacted_at;
	/* a theme made of the message's first words (default_theme) goes with it */
	int theme_of_it = !e && !was && m->chat_id == c.id && c.theme[0] &&
	                  (!strncmp(m->text, c.theme, strlen(c.theme)) || (m->has_media && !strcmp(m->media.name, c.theme)));
	if (!e || e == CH_ERR_NOT_FOUND)
		e = ch_store_message_redact(tx, c.company_id, c.id, j->message_id, by, m);
	if (!e && theme_of_it && !(e = ch_store_chat_set_theme(tx, c.company_id, c.id, "")))
		c.theme[0] = '\0';
	if (e == CH_ERR_NOT_FOUND)
		e = svc_fail(j, e, "message not found");
	if (!e && !was) {
		svc_emit(j, SVC_BOTH_SIDES, &c, "MessageRedacted", json_pack("[o]", ch_svc_json_message(m, &c)));
		svc_org_message(tx, "message.redacted", &c, m);
	}
	if (!e)
		svc_result(j, ch_svc_json_message(m, &c));
	free(m);
	return e;
}

void ch_svc_redact_message(const ch_principal *p, int64_t chat_id, int64_t message_id, ch_svc_done done,
                           void *arg)
{
	svc_job *j = svc_job_new(redact_fn, p, done, arg);
	j->chat_id = chat_id;
	j->message_id = message_id;
	svc_submit(j);
}

/* ---- operators ----------------------------------------------------------- */

typedef struct open_list {
	ch_chat_row *rows;
	size_t n, cap;
} open_list;

static void add_open(void *ctx, const ch_chat_row *row)
{
	open_list *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->rows = ch_xrealloc(l->rows, l->cap * sizeof *l->rows);
	}
	l->rows[l->n++] = *row;
}

ch_err svc_requeue_operator(ch_store_tx *tx, svc_job *j, int64_t company_id, int64_t org_id, int64_t operator_id)
{
	open_list l = {0};
	ch_chat_filter f = {.company_id = company_id, .org_id = org_id, .operator_id = operator_id,
	                    .status = -1, .not_closed = 1, .source = -1};
	ch_err e = ch_store_routing_lock(tx, org_id);
	if (!e)
		e = ch_store_chat_list(tx, &f, NULL, add_open, &l);
	for (size_t i = 0; !e && i < l.n; i++) {
		int old = l.rows[i].status;
		if ((e = ch_store_chat_update(tx, company_id, l.rows[i].id, CH_CHAT_NEW, 0, &l.rows[i])))
			break;
		svc_emit_assignment(tx, j, &l.rows[i], old);
	}
	free(l.rows);
	return e ? e : svc_drain_org(tx, j, company_id, org_id);
}

static ch_err operator_status_fn(ch_store_tx *tx, svc_job *j)
{
	ch_operator_row op;
	ch_err e = ch_store_operator_set_status(tx, j->company_id, j->operator_id, j->status, &op);
	if (e == CH_ERR_NOT_FOUND)
		return svc_fail(j, e, "operator not found");
	if (e || j->status == CH_OPERATOR_ACTIVE)
		return e;
	ch_event *close = ch_event_new(CH_EV_CLOSE_OPERATOR, CH_AUD_OPERATOR, "token revoked", NULL);
	close->company_id = op.company_id;
	close->org_id = op.organization_id;
	close->operator_id = op.id;
	close->epoch = op.token_epoch; /* tokens of an older epoch are revoked */
	ch_event_append(&j->events, close);
	return svc_requeue_operator(tx, j, op.company_id, op.organization_id, op.id);
}

void ch_svc_operator_status(int64_t company_id, int64_t operator_id, int status, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(operator_status_fn, NULL, done, arg);
	j->company_id = company_id;
	j->operator_id = operator_id;
	j->status = status;
	svc_submit(j);
}

static ch_err api_key_create_fn(ch_store_tx *tx, svc_job *j)
{
	const ch_svc_key *k = j->extra;
	ch_api_key_row row;
	ch_err e = ch_store_api_key_create(tx, j->company_id, k->name, k->hash, k->prefix, &row);
	if (e == CH_ERR_CONFLICT)
		return svc_fail(j, e, "this company has as many API keys as it may; revoke one first");
	if (!e)
		j->res.result = json_pack("{s:I}", "id", (json_int_t)row.id);
	return e;
}

void ch_svc_api_key_create(int64_t company_id, const ch_svc_key *key, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(api_key_create_fn, NULL, done, arg);
	j->company_id = company_id;
	j->extra = key;
	svc_submit(j);
}

static ch_err api_key_revoke_fn(ch_store_tx *tx, svc_job *j)
{
	ch_err e = ch_store_api_key_revoke(tx, j->company_id, j->operator_id);
	if (e == CH_ERR_NOT_FOUND)
		return svc_fail(j, e, "API key not found");
	if (e)
		return e;
	ch_event *close = ch_event_new(CH_EV_CLOSE_KEY, CH_AUD_COMPANY, "token revoked", NULL);
	close->company_id = j->company_id;
	close->key_id = j->operator_id;
	ch_event_append(&j->events, close);
	return CH_OK;
}

void ch_svc_api_key_revoke(int64_t company_id, int64_t key_id, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(api_key_revoke_fn, NULL, done, arg);
	j->company_id = company_id;
	j->operator_id = key_id; /* the job's id slot */
	svc_submit(j);
}

/* The new hash and, read back in the same transaction, the company's new
 * token epoch (the password change moved it), so the caller can sign the one
 * token that is valid from now on. */
static ch_err company_password_fn(ch_store_tx *tx, svc_job *j)
{
	ch_company_row row;
	ch_err e = ch_store_company_set_password(tx, j->company_id, j->text);
	if (!e)
		e = ch_store_company_get(tx, j->company_id, &row);
	if (e == CH_ERR_NOT_FOUND)
		return svc_fail(j, e, "company not found");
	if (!e)
		svc_result(j, json_pack("{s:I}", "epoch", (json_int_t)row.token_epoch));
	return e;
}

/* p: the caller, checked inside the job's transaction like every write's: a
 * token revoked since its request was checked (by another process's change,
 * whose event has not arrived yet) changes nothing. */
ch_err ch_svc_company_password_wait(const ch_principal *p, int64_t company_id, const char *password_hash,
                                   int64_t *epoch_out)
{
	ch_svc_waiter *w = ch_svc_waiter_new();
	svc_job *j = svc_job_new(company_password_fn, p, ch_svc_waiter_done, w);
	j->company_id = company_id;
	j->text = password_hash;
	svc_submit(j);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	if (!r.err)
		*epoch_out = json_integer_value(json_object_get(r.result, "epoch"));
	json_decref(r.result);
	return r.err;
}

static ch_err drain_fn(ch_store_tx *tx, svc_job *j) { return svc_drain_org(tx, j, j->company_id, j->org_id); }

void ch_svc_drain(int64_t company_id, int64_t org_id, ch_svc_done done, void *arg)
{
	svc_job *j = svc_job_new(drain_fn, NULL, done, arg);
	j->company_id = company_id;
	j->org_id = org_id;
	svc_submit(j);
}
