/* client.c — a client's profile for the staff: GET and PUT /api/client/{id},
 * GET /api/client/{id}/chats; the company's DELETE /api/client/{id} (erasure)
 * and GET /api/client/{id}/export; and the visitor's own attributes, POST
 * /api/widget/{guid}/attributes (the widget's setAttributes).
 * Who may see which client and how a change merges are decided in svc/
 * (svc/client.c, chat/attrs.h): another company's client, or another
 * organization's for an operator, is 404 like a missing one.
 * Threading: handlers on API workers. */
#include <stdlib.h>

#include "api/internal.h"

static int path_ok(ch_ctx *c)
{
	if (!c->path_id_bad)
		return 1;
	ch_ctx_error(c, CH_ERR_NOT_FOUND, "client not found");
	return 0;
}

void ch_h_client_get(ch_ctx *c)
{
	if (!path_ok(c))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_client_row *row = ch_xmalloc(sizeof *row);
	if (!ch_ctx_store_failed(c, ch_svc_client_visible(c->tx, &p, c->path_id, row), "client")) {
		json_t *j = ch_svc_json_client(row);
		if (j)
			ch_ctx_json(c, 200, j);
		else
			ch_ctx_error(c, CH_ERR_INTERNAL, "internal error: the client could not be encoded");
	}
	free(row);
}

/* attributes of a body: absent or null = none, else handed to svc/ as is. */
static int attributes_of(ch_ctx *c, const json_t **out)
{
	json_t *a = json_object_get(c->body, "attributes");
	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_object(a)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "attributes: must be an object");
		return -1;
	}
	*out = a;
	return 0;
}

void ch_h_client_update(ch_ctx *c)
{
	ch_svc_client_edit e = {0};
	if (!path_ok(c) || ch_body_object(c) ||
	    ch_get_str(c, c->body, "", "name", 0, 0, CH_NAME_MAX, &e.name) < 0 ||
	    ch_get_str(c, c->body, "", "email", 0, 0, CH_EMAIL_MAX, &e.email) < 0 ||
	    ch_get_str(c, c->body, "", "phone", 0, 0, CH_PHONE_MAX, &e.phone) < 0 || attributes_of(c, &e.attributes))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_result r;
	ch_svc_client_edit_wait(&p, c->path_id, &e, &r);
	ch_ctx_reply_svc(c, &r, 200, "client");
}

static void add_chat(void *ctx, const ch_chat_row *r) { json_array_append_new(ctx, ch_svc_json_chat(r)); }

/* page (1…1,000,000) and per_page (1…100, default 20), as the chat list. */
void ch_h_client_chats(ch_ctx *c)
{
	int64_t page, per, total = 0;
	if (!path_ok(c) || ch_ctx_int_arg(c, "page", 1, 1000000, 1, &page) ||
	    ch_ctx_int_arg(c, "per_page", 1, 100, 20, &per))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	json_t *items = json_array();
	ch_err e = ch_svc_client_chats(c->tx, &p, c->path_id, (page - 1) * per, per, &total, add_chat, items);
	if (e == CH_OK)
		e = ch_svc_chats_labels(c->tx, c->who.company_id, items); /* staff chat objects carry labels */
	if (ch_ctx_store_failed(c, e, "client")) {
		json_decref(items);
		return;
	}
	ch_ctx_json(c, 200, json_pack("{s:I, s:o}", "total", (json_int_t)total, "items", items));
}

/* DELETE /api/client/{id}: the erasure's receipt (svc/erasure.c). The route
 * takes company tokens and API keys only. */
void ch_h_client_erase(ch_ctx *c)
{
	if (!path_ok(c))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_result r;
	ch_svc_client_erase_wait(&p, c->path_id, &r);
	ch_ctx_reply_svc(c, &r, 200, "client");
}

/* GET /api/client/{id}/export: page (1…1,000,000) and per_page (1…50,
 * default 10) of its chats, each with its messages (svc/erasure.c). */
void ch_h_client_export(ch_ctx *c)
{
	int64_t page, per;
	if (!path_ok(c) || ch_ctx_int_arg(c, "page", 1, 1000000, 1, &page) ||
	    ch_ctx_int_arg(c, "per_page", 1, 50, 10, &per))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	json_t *res = NULL;
	ch_err e = ch_svc_client_export(c->tx, &p, c->path_id, (page - 1) * per, per, &res);
	if (!ch_ctx_store_failed(c, e, "client")) {
		json_object_set_new(res, "page", json_integer(page));
		json_object_set_new(res, "perPage", json_integer(per));
		ch_ctx_json(c, 200, res);
	}
}

void ch_h_widget_attributes(ch_ctx *c)
{
	ch_org_row org;
	if (ch_org_of_guid_path(c, "/api/widget/", &org))
		return;
	if (org.company_id != c->who.company_id || org.id != c->who.org_id) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "unknown widget guid");
		return;
	}
	const json_t *attrs;
	if (ch_body_object(c) || attributes_of(c, &attrs))
		return;
	if (!attrs) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "attributes: required field missing");
		return;
	}
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_result r;
	ch_svc_visitor_attributes_wait(&p, attrs, &r);
	ch_ctx_reply_svc(c, &r, 200, "client");
}
