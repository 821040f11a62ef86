/* methods.c — the client → server hub methods (docs/hub.md): the invocation
 * budget, argument checks, then a service call (writes) or a read on the
 * readers pool; the result comes back to the network thread and goes out as
 * the completion, in the order of the connection's invocations (hub.c).
 * Threading: network thread, except the *_run read functions (workers) and
 * the service done callbacks (store writer, or the caller when the store
 * queue is full), which encode the completion (a call's own data) and post. */
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "chat/status.h"
#include "core/clock.h"
#include "core/log.h"
#include "hub/internal.h"
#include "svc/svc.h"

#define TYPING_EVERY_MS 2000

/* One pending invocation: everything its job borrows lives here. */
typedef struct call {
	uint64_t conn_id;
	uint64_t seq;      /* its place in the connection's completion order */
	char *inv_id;
	ch_principal p;
	int64_t a, b, c;   /* integer arguments */
	char *text, *cmid, *format; /* string arguments (the message JSON is freed before the job runs) */
	ch_svc_media media;
	unsigned char *media_data;
	json_t *arg;       /* Sync argument */
	ch_svc_result res;
	ch_hub_proto proto; /* the connection's, for the completion */
	char *base;        /* the connection's link base (NULL = none) */
	hub_rec *rec;      /* the completion, encoded where the result arrived (NULL = nothing to send) */
} call;

static call *call_new(ch_hub_conn *c, const ch_hub_msg *m)
{
	call *k = ch_xcalloc(1, sizeof *k);
	k->conn_id = c->id;
	k->seq = c->cur_seq;
	k->inv_id = m->invocation_id ? ch_xstrdup(m->invocation_id) : NULL;
	k->p = c->p;
	k->proto = c->proto;
	k->base = c->base[0] ? ch_xstrdup(c->base) : NULL;
	return k;
}

static void call_free(call *k)
{
	free(k->inv_id);
	free(k->text);
	free(k->cmid);
	free(k->format);
	free(k->media_data);
	json_decref(k->arg);
	json_decref(k->res.result);
	free(k->base);
	hub_rec_unref(k->rec);
	free(k);
}

/* The error completion of the invocation being dispatched. */
static void reply_error(ch_hub_conn *c, const char *inv_id, const char *error)
{
	ch_buf b = CH_BUF_INIT;
	ch_hub_write_error(&b, c->proto, inv_id, error);
	hub_call_end(c, c->cur_seq, &b);
	ch_buf_free(&b);
}

/* The completion's record, encoded on the thread the result arrived on (the
 * store writer, a reader worker, or this one), which then frees the result's
 * JSON where it was made: the network thread only queues the bytes. */
static void encode_completion(call *k)
{
	ch_buf b = CH_BUF_INIT;
	hub_rec_begin(&b);
	if (k->res.err)
		ch_hub_write_error(&b, k->proto, k->inv_id, k->res.message[0] ? k->res.message : ch_err_text(k->res.err));
	else {
		ch_svc_media_absolute(k->res.result, k->base); /* media uris: the address the connection came to */
		ch_hub_write_result(&b, k->proto, k->inv_id, k->res.result);
	}
	k->rec = hub_rec_adopt(&b);
	json_decref(k->res.result);
	k->res.result = NULL;
}

/* Network thread: the completion of a finished call, if its connection lives. */
static void complete(void *arg)
{
	call *k = arg;
	ch_hub_conn *c = hub_conn_by_id(k->conn_id);
	if (c) {
		hub_call_end_rec(c, k->seq, k->rec);
		k->rec = NULL;
	}
	call_free(k);
}

/* Store writer thread (or the caller's when the store queue is full): a
 * service finished; hand the completion over. */
static void svc_done(void *arg, ch_svc_result *r)
{
	call *k = arg;
	k->res = *r;
	encode_completion(k);
	H.o.post(complete, k);
}

/* ---- argument helpers ------------------------------------------------------ */

static int arg_id(json_t *args, size_t i, int64_t *out, int allow_null)
{
	json_t *v = json_array_get(args, i);
	if (allow_null && (!v || json_is_null(v))) {
		*out = 0;
		return 0;
	}
	if (json_is_string(v)) { /* some clients send ids as strings */
		char *end;
		long long n = strtoll(json_string_value(v), &end, 10);
		if (*end || n <= 0)
			return -1;
		*out = n;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int arg_int(json_t *args, size_t i, int64_t *out)
{
	json_t *v = json_array_get(args, i);
	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static const char *arg_str(json_t *args, size_t i)
{
	json_t *v = json_array_get(args, i);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Characters (code points) of valid UTF-8 text (jansson validated it). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static int text_ok(const char *t) { return t && utf8_chars(t) <= CH_TEXT_MAX_CHARS; }

static const char *cmid_arg(json_t *args, size_t i, int *bad)
{
	json_t *v = json_array_get(args, i);
	*bad = 0;
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > CH_EXTID_MAX) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* ---- methods ---------------------------------------------------------------- */

static void m_send(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	int bad;
	const char *text = arg_str(m->args, 1), *cmid = cmid_arg(m->args, 2, &bad);
	if (arg_id(m->args, 0, &chat, c->p.kind == CH_TOKEN_VISITOR) || !text || bad) {
		reply_error(c, m->invocation_id, "bad arguments: SendMessage(chatId, text, clientMessageId?)");
		return;
	}
	if (!text_ok(text) || (!*text)) {
		reply_error(c, m->invocation_id, "text must be 1 to 4096 characters");
		return;
	}
	call *k = call_new(c, m);
	k->text = ch_xstrdup(text);
	k->cmid = cmid ? ch_xstrdup(cmid) : NULL;
	ch_svc_send(&k->p, chat, k->text, k->cmid, NULL, c->id, svc_done, k);
}

static json_t *media_field(json_t *o, const char *pascal, const char *camel)
{
	json_t *v = json_object_get(o, pascal);
	return v ? v : json_object_get(o, camel);
}

static void m_send_media(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	int bad;
	json_t *o = json_array_get(m->args, 1);
	const char *cmid = cmid_arg(m->args, 2, &bad);
	json_t *name = media_field(o, "Name", "name"), *fmt = media_field(o, "Format", "format"),
	       *data = media_field(o, "DataBase64", "dataBase64"), *type = media_field(o, "Type", "type");
	if (arg_id(m->args, 0, &chat, c->p.kind == CH_TOKEN_VISITOR) || !json_is_object(o) || bad ||
	    !json_is_string(name) || !json_is_string(data) || !json_is_integer(type) ||
	    json_integer_value(type) < 1 || json_integer_value(type) > 4 || (fmt && !json_is_string(fmt)) ||
	    json_string_length(name) > CH_NAME_MAX) {
		reply_error(c, m->invocation_id, "bad arguments: SendMediaMessage(chatId, {Name, Format, DataBase64, Type})");
		return;
	}
	call *k = call_new(c, m);
	size_t cap = json_string_length(data), len = 0;
	k->media_data = ch_xmalloc(cap + 1);
	if (sodium_base642bin(k->media_data, cap + 1, json_string_value(data), cap, " \r\n", &len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL)) {
		call_free(k);
		reply_error(c, m->invocation_id, "DataBase64 is not valid base64");
		return;
	}
	k->text = ch_xstrdup(json_string_value(name));
	k->cmid = cmid ? ch_xstrdup(cmid) : NULL;
	k->format = ch_xstrdup(fmt ? json_string_value(fmt) : "");
	k->media = (ch_svc_media){k->text, k->format, (int)json_integer_value(type), k->media_data, len};
	ch_svc_send(&k->p, chat, "", k->cmid, &k->media, c->id, svc_done, k);
}

static void m_status(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, st;
	if (!ch_chat_status_requester_allowed(c->p.kind)) {
		reply_error(c, m->invocation_id, "visitors cannot change a chat's status");
		return;
	}
	if (arg_id(m->args, 0, &chat, 0) || arg_int(m->args, 1, &st) || !ch_chat_status_valid((int)st)) {
		reply_error(c, m->invocation_id, "bad arguments: SetChatStatus(chatId, status 0..4)");
		return;
	}
	call *k = call_new(c, m);
	ch_svc_set_status(&k->p, chat, (int)st, svc_done, k);
}

static void m_mark_read(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, seq;
	if (arg_id(m->args, 0, &chat, 0) || arg_int(m->args, 1, &seq) || seq < 0) {
		reply_error(c, m->invocation_id, "bad arguments: MarkRead(chatId, seq)");
		return;
	}
	call *k = call_new(c, m);
	ch_svc_mark_read(&k->p, chat, seq, svc_done, k);
}

static void m_redact(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, id;
	if (c->p.kind == CH_TOKEN_VISITOR) {
		reply_error(c, m->invocation_id, "visitors cannot redact messages");
		return;
	}
	if (arg_id(m->args, 0, &chat, 0) || arg_id(m->args, 1, &id, 0)) {
		reply_error(c, m->invocation_id, "bad arguments: RedactMessage(chatId, messageId)");
		return;
	}
	call *k = call_new(c, m);
	ch_svc_redact_message(&k->p, chat, id, svc_done, k);
}

/* RateChat(chatId, rating, comment?): the visitor's CSAT (svc/csat.c). The
 * rating must be a JSON integer ("5" is refused); the comment a string or
 * null. */
static void m_rate(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	json_t *r = json_array_get(m->args, 1), *t = json_array_get(m->args, 2);
	if (c->p.kind != CH_TOKEN_VISITOR) {
		reply_error(c, m->invocation_id, "only the chat's visitor can rate it");
		return;
	}
	if (arg_id(m->args, 0, &chat, 0) || !json_is_integer(r) || (t && !json_is_null(t) && !json_is_string(t)) ||
	    json_array_size(m->args) > 3) {
		reply_error(c, m->invocation_id, "bad arguments: RateChat(chatId, rating, comment)");
		return;
	}
	json_int_t v = json_integer_value(r);
	call *k = call_new(c, m);
	k->text = json_is_string(t) ? ch_xstrdup(json_string_value(t)) : NULL;
	ch_svc_rate_chat(&k->p, chat, v < 0 || v > 100 ? 0 : (int)v, k->text, svc_done, k);
}

static void m_take(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	if (c->p.kind != CH_TOKEN_OPERATOR || arg_id(m->args, 0, &chat, 0)) {
		reply_error(c, m->invocation_id, c->p.kind != CH_TOKEN_OPERATOR ? "only operators take chats"
		                                                                : "bad arguments: TakeChat(chatId)");
		return;
	}
	call *k = call_new(c, m);
	ch_svc_take(&k->p, chat, svc_done, k);
}

static void m_transfer(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, op;
	if (c->p.kind == CH_TOKEN_VISITOR || arg_id(m->args, 0, &chat, 0) || arg_id(m->args, 1, &op, 0)) {
		reply_error(c, m->invocation_id, "bad arguments: TransferChat(chatId, operatorId)");
		return;
	}
	call *k = call_new(c, m);
	ch_svc_transfer(&k->p, chat, op, svc_done, k);
}

static void m_presence(ch_hub_conn *c, const ch_hub_msg *m)
{
	const char *s = arg_str(m->args, 0);
	if (c->p.kind != CH_TOKEN_OPERATOR || !s || (strcmp(s, "online") && strcmp(s, "away"))) {
		reply_error(c, m->invocation_id, "bad arguments: SetPresence(\"online\" | \"away\"), operators only");
		return;
	}
	/* completes once the new state is stored (and the queue drained) */
	call *k = call_new(c, m);
	ch_svc_presence_set(c->p.company_id, c->p.org_id, c->p.operator_id, !strcmp(s, "away"), svc_done, k);
}

static ch_err sync_tx(ch_svc_tx *tx, void *arg)
{
	call *k = arg;
	return ch_svc_sync(tx, &k->p, k->arg, &k->res.result);
}

static ch_err messages_tx(ch_svc_tx *tx, void *arg)
{
	call *k = arg;
	return ch_svc_messages(tx, &k->p, k->a, 0, k->b, k->c, &k->res.result);
}

/* Typing: svc finds the chat's sides and tells the other one. */
static ch_err typing_tx(ch_svc_tx *tx, void *arg)
{
	call *k = arg;
	return ch_svc_typing(tx, &k->p, k->a, k->conn_id);
}

typedef struct read_call {
	call *k;
	ch_svc_read_fn fn;
} read_call;

static void read_run(void *arg)
{
	read_call *r = arg;
	ch_err e = ch_svc_read(r->fn, r->k);
	if (e) {
		r->k->res.err = e;
		json_decref(r->k->res.result);
		r->k->res.result = NULL;
		snprintf(r->k->res.message, sizeof r->k->res.message, "%s",
		         e == CH_ERR_NOT_FOUND ? "chat not found" : e == CH_ERR_BAD_JSON ? "bad arguments" : ch_err_text(e));
	}
	encode_completion(r->k);
	H.o.post(complete, r->k);
	free(r);
}

static void read_submit(call *k, ch_svc_read_fn fn)
{
	read_call *r = ch_xmalloc(sizeof *r);
	r->k = k;
	r->fn = fn;
	if (ch_workq_try_submit(H.o.readers, read_run, r) == 0)
		return;
	free(r); /* the readers are swamped: answer so now rather than queue */
	k->res.err = CH_ERR_BUSY;
	snprintf(k->res.message, sizeof k->res.message, "%s", ch_err_text(CH_ERR_BUSY));
	encode_completion(k);
	complete(k);
}

static void m_sync(ch_hub_conn *c, const ch_hub_msg *m)
{
	json_t *a = json_array_get(m->args, 0);
	if (a && !json_is_null(a) && !json_is_object(a)) {
		reply_error(c, m->invocation_id, "bad arguments: Sync({\"chats\": {\"<chatId>\": lastSeq}})");
		return;
	}
	call *k = call_new(c, m);
	k->arg = a ? json_deep_copy(a) : NULL; /* the worker must not share the message's JSON */
	read_submit(k, sync_tx);
}

static void m_messages(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, before = 0, limit = 50;
	json_t *b = json_array_get(m->args, 1), *l = json_array_get(m->args, 2);
	if (arg_id(m->args, 0, &chat, 0) || (b && !json_is_null(b) && arg_int(m->args, 1, &before)) ||
	    (l && !json_is_null(l) && arg_int(m->args, 2, &limit)) || before < 0) {
		reply_error(c, m->invocation_id, "bad arguments: GetMessages(chatId, beforeSeq | null, limit)");
		return;
	}
	call *k = call_new(c, m);
	k->a = chat;
	k->b = before;
	k->c = limit < 1 ? 1 : limit > CH_SVC_PAGE_MAX ? CH_SVC_PAGE_MAX : limit;
	read_submit(k, messages_tx);
}

/* Private notes: the operator side only; a visitor's connection never learns
 * whether a chat has any (refused here, before any read). */
static int staff_only(ch_hub_conn *c, const ch_hub_msg *m)
{
	if (c->p.kind == CH_TOKEN_COMPANY || c->p.kind == CH_TOKEN_OPERATOR)
		return 1;
	reply_error(c, m->invocation_id, "visitors cannot use notes");
	return 0;
}

static void m_add_note(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	const char *text = arg_str(m->args, 1);
	if (!staff_only(c, m))
		return;
	if (arg_id(m->args, 0, &chat, 0) || !text) {
		reply_error(c, m->invocation_id, "bad arguments: AddNote(chatId, text)");
		return;
	}
	if (!*text || strlen(text) > CH_NOTE_TEXT_MAX) {
		reply_error(c, m->invocation_id, "text must be 1 to 16384 bytes of UTF-8");
		return;
	}
	call *k = call_new(c, m);
	k->text = ch_xstrdup(text);
	ch_svc_note_add(&k->p, chat, k->text, c->id, svc_done, k);
}

static ch_err notes_tx(ch_svc_tx *tx, void *arg)
{
	call *k = arg;
	return ch_svc_notes(tx, &k->p, k->a, k->b, k->c, &k->res.result);
}

static void m_get_notes(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat, before = 0, limit = CH_SVC_PAGE_MAX;
	json_t *l = json_array_get(m->args, 2);
	if (!staff_only(c, m))
		return;
	if (arg_id(m->args, 0, &chat, 0) || arg_id(m->args, 1, &before, 1) ||
	    (l && !json_is_null(l) && (arg_int(m->args, 2, &limit) || limit < 1))) {
		reply_error(c, m->invocation_id, "bad arguments: GetNotes(chatId, beforeId | null, limit)");
		return;
	}
	call *k = call_new(c, m);
	k->a = chat;
	k->b = before;
	k->c = limit;
	read_submit(k, notes_tx);
}

static int typing_throttled(ch_hub_conn *c, int64_t chat)
{
	int64_t now = ch_mono_ms();
	size_t oldest = 0;
	for (size_t i = 0; i < 8; i++) {
		if (c->typing[i].chat_id == chat) {
			if (now - c->typing[i].ms < TYPING_EVERY_MS)
				return 1;
			c->typing[i].ms = now;
			return 0;
		}
		if (c->typing[i].ms < c->typing[oldest].ms)
			oldest = i;
	}
	c->typing[oldest].chat_id = chat;
	c->typing[oldest].ms = now;
	return 0;
}

static void m_typing(ch_hub_conn *c, const ch_hub_msg *m)
{
	int64_t chat;
	if (arg_id(m->args, 0, &chat, 0)) {
		reply_error(c, m->invocation_id, "bad arguments: Typing(chatId)");
		return;
	}
	call *k = call_new(c, m);
	if (typing_throttled(c, chat)) {
		encode_completion(k);
		complete(k); /* answered, nothing sent */
		return;
	}
	k->a = chat;
	read_submit(k, typing_tx);
}

static const struct {
	const char *target;
	void (*fn)(ch_hub_conn *c, const ch_hub_msg *m);
} methods[] = {
	{"SendMessage", m_send}, {"SendMediaMessage", m_send_media}, {"Sync", m_sync},
	{"GetMessages", m_messages}, {"MarkRead", m_mark_read}, {"Typing", m_typing},
	{"SetChatStatus", m_status}, {"TakeChat", m_take}, {"TransferChat", m_transfer},
	{"SetPresence", m_presence}, {"AddNote", m_add_note}, {"GetNotes", m_get_notes},
	{"RedactMessage", m_redact}, {"RateChat", m_rate},
};

/* One token from the connection's bucket and one from its principal's.
 * Returns 1 when the invocation may run. */
static int within_budget(ch_hub_conn *c)
{
	int64_t now = ch_mono_ms();
	if (!ch_bucket_take(&c->budget, H.o.rate, H.o.burst, now))
		return 0;
	char key[48];
	snprintf(key, sizeof key, "%d:%lld", c->p.kind,
	         (long long)(c->p.kind == CH_TOKEN_OPERATOR  ? c->p.operator_id
	                     : c->p.kind == CH_TOKEN_VISITOR ? c->p.client_id
	                                                     : c->p.company_id));
	if (ch_ratelimit_take(H.principal_budget, key, now) == 0)
		return 1;
	ch_bucket_refund(&c->budget, H.o.burst); /* refused, so not spent */
	return 0;
}

void hub_invoke(ch_hub_conn *c, const ch_hub_msg *m)
{
	hub_call_begin(c);
	if (!within_budget(c)) {
		/* a client that keeps going past its refusals is not listening */
		if (++c->refused > (unsigned)H.o.burst) {
			CH_WARN("hub: connection %llu keeps invoking over its budget: closed", (unsigned long long)c->id);
			uint64_t seq = c->cur_seq;
			hub_close(c, "too many invocations", 0); /* after the answers already due */
			ch_buf none = CH_BUF_INIT;
			hub_call_end(c, seq, &none); /* this call has no answer of its own */
			return;
		}
		reply_error(c, m->invocation_id, "rate limit: too many invocations, slow down");
		return;
	}
	c->refused = 0;
	if (m->type == CH_HUB_STREAM_INVOCATION) {
		reply_error(c, m->invocation_id, "streaming is not supported");
		return;
	}
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (!strcasecmp(methods[i].target, m->target)) {
			methods[i].fn(c, m);
			return;
		}
	char err[160];
	snprintf(err, sizeof err, "Unknown hub method '%.64s'", m->target);
	reply_error(c, m->invocation_id, err);
}
