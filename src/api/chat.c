/* chat.c — chats and messages over REST: GET /api/chat/chats, PUT
 * /api/chat/status, DELETE /api/chat/chats/{id}, message history (both paths),
 * POST /api/chat/{id}/message. Writes go through src/svc/, the same functions
 * the hub uses, so a REST send reaches hub clients exactly like a hub send.
 * Threading: API worker threads. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/clock.h"
#include "svc/svc.h"

static ch_principal who(ch_ctx *c) { return ch_principal_from_claims(&c->who); }

/* date=D (that day) or date=FROM&date=TO, each an ISO date or date-time. */
static int date_args(ch_ctx *c, ch_chat_filter *f)
{
	const char *d[2] = {NULL, NULL};
	int n = 0;
	for (int i = 0; i < c->req->nargs; i++)
		if (!strncmp(c->req->args[i], "date=", 5)) {
			if (n == 2) {
				ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "date: give one day or a from/to pair");
				return -1;
			}
			d[n++] = c->req->args[i] + 5;
		}
	int64_t ms[2];
	for (int i = 0; i < n; i++)
		if (ch_iso8601_parse(d[i], strlen(d[i]), 1, &ms[i])) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "date: must be an ISO-8601 date like 2026-01-28");
			return -1;
		}
	if (n == 1) {
		f->from_ms = ms[0];
		f->to_ms = ms[0] + 86400000 - 1;
	} else if (n == 2) {
		f->from_ms = ms[0];
		f->to_ms = strlen(d[1]) == 10 ? ms[1] + 86400000 - 1 : ms[1];
	}
	return 0;
}

static void add_chat(void *ctx, const ch_chat_row *r) { json_array_append_new(ctx, ch_svc_json_chat(r)); }

/* search=: the user's words (store.h bounds them); white space alone is no
 * search. 0 with *out set (NULL: none), or -1 after the error reply. */
static int search_arg(ch_ctx *c, const char **out)
{
	const char *v = ch_ctx_arg(c, "search");
	*out = NULL;
	if (!v || !v[strspn(v, " \t\r\n\f\v")])
		return 0;
	ch_err e = ch_svc_search_check(v);
	if (e == CH_ERR_BAD_JSON) {
		ch_ctx_error(c, e, "search: must be UTF-8 text");
		return -1;
	}
	if (e != CH_OK) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "search: at most %d bytes and %d words", CH_SEARCH_MAX_BYTES,
		             CH_SEARCH_MAX_WORDS);
		return -1;
	}
	*out = v;
	return 0;
}

void ch_h_chat_list(ch_ctx *c)
{
	ch_chat_filter f = {.company_id = c->who.company_id, .status = -1, .source = -1};
	int64_t page, per, status, source, org, op, label;
	if (ch_ctx_int_arg(c, "page", 1, 1000000, 1, &page) || ch_ctx_int_arg(c, "per_page", 1, 100, 20, &per) ||
	    ch_ctx_int_arg(c, "status", 0, 4, -1, &status) || ch_ctx_int_arg(c, "source", 1, 4, -1, &source) ||
	    ch_ctx_int_arg(c, "organizationId", 1, INT64_MAX, 0, &org) || ch_ctx_int_arg(c, "operatorId", 1, INT64_MAX, 0, &op) ||
	    ch_ctx_int_arg(c, "label", 1, INT64_MAX, 0, &label) || date_args(c, &f) || search_arg(c, &f.search))
		return;
	f.label_id = label; /* another tenant's or organization's label matches none of these chats */
	f.status = (int)status;
	f.source = (int)source;
	f.org_id = org;
	f.operator_id = op;
	if (c->who.kind == CH_TOKEN_OPERATOR) {
		if (org && org != c->who.org_id) { /* another organization: nothing to see */
			ch_ctx_json(c, 200, json_pack("{s:i, s:[]}", "total", 0, "items"));
			return;
		}
		f.org_id = c->who.org_id;
	}
	const char *phone = ch_ctx_arg(c, "phone");
	const char *tg = ch_ctx_arg(c, "tg_user_id");
	f.phone = phone && *phone ? phone : NULL;
	f.tg_user_id = tg && *tg ? tg : NULL;
	f.offset = (page - 1) * per;
	f.limit = per;
	int64_t total = 0;
	json_t *items = json_array();
	ch_err e = ch_svc_chats_find(c->tx, &f, &total, add_chat, items);
	if (!e) /* one read for the page's labels */
		e = ch_svc_chats_labels(c->tx, c->who.company_id, items);
	if (ch_ctx_store_failed(c, e, "chat")) {
		json_decref(items);
		return;
	}
	ch_ctx_json(c, 200, json_pack("{s:I, s:o}", "total", (json_int_t)total, "items", items));
}

void ch_h_chat_status(ch_ctx *c)
{
	int64_t id, status;
	if (ch_body_object(c) || ch_get_int(c, c->body, "", "id", 1, 1, INT64_MAX, &id) ||
	    ch_get_int(c, c->body, "", "status", 1, 0, 4, &status))
		return;
	ch_principal p = who(c);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_set_status(&p, id, (int)status, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	ch_ctx_reply_svc(c, &r, 200, "chat");
}

void ch_h_chat_delete(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	ch_principal p = who(c);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_delete_chat(&p, c->path_id, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	if (r.err) {
		ch_ctx_reply_svc(c, &r, 200, "chat");
		return;
	}
	json_decref(r.result);
	ch_ctx_text(c, 200, "OK", 2);
}

/* Without paging parameters: the whole history from seq 1, at most
 * CH_SVC_HISTORY_MAX messages; when there are more, a Link header names the
 * page after the last one returned. */
static void whole_history(ch_ctx *c, const ch_principal *p)
{
	json_t *res = NULL;
	/* seqs run 1, 2, … in a chat: below HISTORY_MAX + 2 are the first HISTORY_MAX + 1 */
	ch_err e = ch_svc_messages(c->tx, p, c->path_id, 0, CH_SVC_HISTORY_MAX + 2, CH_SVC_HISTORY_MAX + 1, &res);
	if (ch_ctx_store_failed(c, e, "chat"))
		return;
	if (json_array_size(res) > CH_SVC_HISTORY_MAX) {
		json_array_remove(res, CH_SVC_HISTORY_MAX);
		json_int_t last = json_integer_value(json_object_get(json_array_get(res, CH_SVC_HISTORY_MAX - 1), "seq"));
		ch_resp_header(c->resp, "Link", "<%s?afterSeq=%" JSON_INTEGER_FORMAT "&limit=%d>; rel=\"next\"",
		               c->req->path, last, CH_SVC_PAGE_MAX);
	}
	ch_ctx_json(c, 200, res);
}

void ch_h_chat_messages(ch_ctx *c)
{
	int64_t after, before, limit;
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	ch_principal p = who(c);
	const char *a = ch_ctx_arg(c, "afterSeq");
	if (!a && !ch_ctx_arg(c, "beforeSeq") && !ch_ctx_arg(c, "limit")) {
		whole_history(c, &p);
		return;
	}
	if (ch_ctx_int_arg(c, "afterSeq", 0, INT64_MAX, 0, &after) || ch_ctx_int_arg(c, "beforeSeq", 0, INT64_MAX, 0, &before) ||
	    ch_ctx_int_arg(c, "limit", 1, CH_SVC_PAGE_MAX, 50, &limit))
		return;
	/* afterSeq=0 pages from the start: the first `limit` are the newest below limit+1 */
	if (a && after == 0 && (before == 0 || before > limit + 1))
		before = limit + 1;
	json_t *res = NULL;
	ch_err e = ch_svc_messages(c->tx, &p, c->path_id, after, before, limit, &res);
	if (!ch_ctx_store_failed(c, e, "chat"))
		ch_ctx_json(c, 200, res);
}

/* DELETE /api/chat/{id}/messages/{messageId}: the tombstone. Visitor tokens
 * are refused by the route (staff only); a bad id of either kind is 404. */
void ch_h_chat_redact(ch_ctx *c)
{
	int64_t id = 0;
	const char *seg = strrchr(c->req->path, '/');
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	if (!seg || strlen(seg + 1) > 20 || ch_parse_id(seg + 1, &id)) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "message not found");
		return;
	}
	ch_principal p = who(c);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_redact_message(&p, c->path_id, id, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	ch_ctx_reply_svc(c, &r, 200, "message");
}

/* Characters of UTF-8 text (jansson validated it). */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* media: {"name","format","dataBase64","type"} → decoded bytes in *data. */
int ch_read_media(ch_ctx *c, json_t *m, ch_svc_media *out, unsigned char **data)
{
	const char *name, *format = "", *b64;
	int64_t type;
	if (!json_is_object(m)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "media: must be an object");
		return -1;
	}
	if (ch_get_str(c, m, "media.", "name", 1, 1, CH_NAME_MAX, &name) ||
	    ch_get_str(c, m, "media.", "format", 0, 0, CH_FORMAT_MAX, &format) < 0 ||
	    ch_get_str(c, m, "media.", "dataBase64", 1, 1, SIZE_MAX, &b64) ||
	    ch_get_int(c, m, "media.", "type", 1, 1, 4, &type))
		return -1;
	size_t b64len = strlen(b64), len = 0;
	if ((int64_t)(b64len / 4 * 3) > ch_svc_media_max() + 3) {
		ch_ctx_error(c, CH_ERR_TOO_LARGE, "media: larger than %lld bytes", (long long)ch_svc_media_max());
		return -1;
	}
	*data = ch_xmalloc(b64len + 1);
	int bad = sodium_base642bin(*data, b64len + 1, b64, b64len, " \r\n", &len, NULL, sodium_base64_VARIANT_ORIGINAL);
	if (bad || (int64_t)len > ch_svc_media_max()) {
		free(*data); /* nothing for the caller to free after a failure */
		*data = NULL;
		if (bad)
			ch_ctx_error(c, CH_ERR_BAD_JSON, "media.dataBase64: not valid base64");
		else
			ch_ctx_error(c, CH_ERR_TOO_LARGE, "media: larger than %lld bytes", (long long)ch_svc_media_max());
		return -1;
	}
	*out = (ch_svc_media){name, format ? format : "", (int)type, *data, len};
	return 0;
}

void ch_h_chat_send(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	ch_api_send_message(c, c->path_id, 0);
}

void ch_api_send_message(ch_ctx *c, int64_t chat_id, int64_t side)
{
	const char *text = "", *cmid = NULL;
	int64_t author = side;
	unsigned char *data = NULL;
	ch_svc_media media;
	json_t *m;
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "textMessage", 0, 0, CH_TEXT_MAX_BYTES, &text) < 0 ||
	    ch_get_int(c, c->body, "", "author", 0, side, side, &author) < 0 ||
	    ch_get_str(c, c->body, "", "clientMessageId", 0, 1, CH_EXTID_MAX, &cmid) < 0)
		return;
	if (!text)
		text = "";
	if (utf8_chars(text) > CH_TEXT_MAX_CHARS) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "textMessage: at most %d characters", CH_TEXT_MAX_CHARS);
		return;
	}
	m = json_object_get(c->body, "media");
	int has_media = m && !json_is_null(m);
	if (has_media && ch_read_media(c, m, &media, &data)) {
		free(data);
		return;
	}
	if (!*text && !has_media) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "textMessage: required (or media)");
		return;
	}
	ch_principal p = who(c);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_send(&p, chat_id, text, cmid, has_media ? &media : NULL, 0, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	free(data);
	ch_ctx_reply_svc(c, &r, 200, "chat");
}
