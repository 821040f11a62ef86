/* note.c — private notes over REST: GET and POST /api/chat/{id}/notes, for
 * company tokens and the operators of the chat's organization (the route
 * refuses visitor tokens; another company's or organization's chat is 404).
 * The write is svc's ch_svc_note_add, the one the hub's AddNote calls, so a
 * REST note reaches hub connections exactly like a hub one.
 * Threading: handlers on API workers. */
#include "api/internal.h"
#include "svc/svc.h"

void ch_h_note_list(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	int64_t before, limit;
	if (ch_ctx_int_arg(c, "before", 1, INT64_MAX, 0, &before) ||
	    ch_ctx_int_arg(c, "limit", 1, CH_SVC_PAGE_MAX, CH_SVC_PAGE_MAX, &limit))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	json_t *res = NULL;
	ch_err e = ch_svc_notes(c->tx, &p, c->path_id, before, limit, &res);
	if (!ch_ctx_store_failed(c, e, "chat"))
		ch_ctx_json(c, 200, res);
}

void ch_h_note_create(ch_ctx *c)
{
	const char *text;
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "text", 1, 1, CH_NOTE_TEXT_MAX, &text))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_note_add(&p, c->path_id, text, 0, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	ch_ctx_reply_svc(c, &r, 201, "chat");
}
