/* canned.c — canned responses: GET/POST /api/canned-responses and PUT/DELETE
 * /api/canned-responses/{id}.
 *
 * A response is organization-wide (operatorId null: written by the company,
 * or by the organization's operators when its operatorsManageCanned setting
 * allows it) or an operator's personal one. Its text is stored as written:
 * placeholders such as {{client.name}} and {{operator.name}} are filled by
 * the operator's panel, never here. Who may see and change which response is
 * decided in svc/ (ch_svc_canned_*), inside the write job.
 * Threading: handlers on API workers. */
#include <string.h>

#include "api/internal.h"

static json_t *canned_json(const ch_canned_row *r)
{
	return json_pack("{s:I, s:I, s:o, s:s, s:s, s:s}", "id", (json_int_t)r->id, "organizationId",
	                 (json_int_t)r->organization_id, "operatorId",
	                 r->operator_id ? json_integer(r->operator_id) : json_null(), "shortcut", r->shortcut,
	                 "title", r->title, "text", r->text);
}

static void add_canned(void *ctx, const ch_canned_row *r) { json_array_append_new(ctx, canned_json(r)); }

/* The organization a request names, or (operators) its own by default. */
static int org_of(ch_ctx *c, const char *text, int64_t *org_id)
{
	if (!text && c->who.kind == CH_TOKEN_OPERATOR) {
		*org_id = c->who.org_id;
		return 0;
	}
	if (!text || !*text) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "organizationId: required");
		return -1;
	}
	int r = ch_parse_id(text, org_id);
	if (r)
		ch_ctx_error(c, r == -1 ? CH_ERR_BAD_JSON : CH_ERR_OUT_OF_RANGE, "organizationId: must be a positive integer");
	return r ? -1 : 0;
}

static void canned_failed(ch_ctx *c, ch_err e)
{
	if (e == CH_ERR_CONFLICT)
		ch_ctx_error(c, e,
		             "the shortcut is taken by another canned response of the same owner, or the owner's budget "
		             "(%d organization-wide responses per organization, %d personal ones per operator) is full",
		             CH_CANNED_PER_ORG_MAX, CH_CANNED_PER_OPERATOR_MAX);
	else if (e == CH_ERR_WRONG_KIND)
		ch_ctx_error(c, e, "the organization does not let its operators manage organization-wide canned responses");
	else if (e == CH_ERR_OUT_OF_RANGE || e == CH_ERR_BAD_JSON)
		ch_ctx_error(c, e, "shortcut, title or text out of range, or not valid UTF-8");
	else
		ch_ctx_store_failed(c, e, "canned response");
}

void ch_h_canned_list(ch_ctx *c)
{
	int64_t org_id;
	if (org_of(c, ch_ctx_arg(c, "organizationId"), &org_id))
		return;
	json_t *arr = json_array();
	ch_principal p = ch_principal_from_claims(&c->who);
	if (ch_ctx_store_failed(c, ch_svc_canned_list(c->tx, &p, org_id, add_canned, arr), "organization")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

/* shortcut, title and text of the body, all required. */
static int read_fields(ch_ctx *c, ch_svc_canned *in)
{
	if (ch_get_str(c, c->body, "", "shortcut", 1, 1, CH_CANNED_SHORTCUT_MAX, &in->shortcut) ||
	    ch_get_str(c, c->body, "", "title", 1, 1, CH_CANNED_TITLE_MAX, &in->title) ||
	    ch_get_str(c, c->body, "", "text", 1, 1, CH_TEXT_MAX_BYTES, &in->text))
		return -1;
	if (strspn(in->shortcut, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
	    strlen(in->shortcut)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "shortcut: only the characters A-Z a-z 0-9 _ -");
		return -1;
	}
	return 0;
}

static int read_scope(ch_ctx *c, ch_svc_canned *in)
{
	json_t *org = json_object_get(c->body, "organizationId");
	json_t *wide = json_object_get(c->body, "organizationWide");
	int64_t id = 0;
	if (wide && !json_is_null(wide) && !json_is_boolean(wide)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "organizationWide: must be true or false");
		return -1;
	}
	in->org_wide = c->who.kind != CH_TOKEN_OPERATOR || json_is_true(wide);
	if (c->who.kind != CH_TOKEN_OPERATOR && json_is_false(wide)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "organizationWide: a company writes organization-wide responses only");
		return -1;
	}
	if (ch_get_int(c, c->body, "", "organizationId", c->who.kind != CH_TOKEN_OPERATOR, 1, INT64_MAX, &id) < 0)
		return -1;
	in->org_id = org && !json_is_null(org) ? id : c->who.org_id;
	return 0;
}

void ch_h_canned_create(ch_ctx *c)
{
	ch_svc_canned in = {0};
	if (ch_body_object(c) || read_scope(c, &in) || read_fields(c, &in))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_canned_row *row = ch_xmalloc(sizeof *row);
	ch_err e = ch_svc_canned_create_wait(&p, &in, row);
	if (e)
		canned_failed(c, e);
	else
		ch_ctx_json(c, 201, canned_json(row));
	free(row);
}

void ch_h_canned_update(ch_ctx *c)
{
	ch_svc_canned in = {0};
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "canned response not found");
		return;
	}
	if (ch_body_object(c) || read_fields(c, &in))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_canned_row *row = ch_xmalloc(sizeof *row);
	ch_err e = ch_svc_canned_update_wait(&p, c->path_id, &in, row);
	if (e)
		canned_failed(c, e);
	else
		ch_ctx_json(c, 200, canned_json(row));
	free(row);
}

void ch_h_canned_delete(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "canned response not found");
		return;
	}
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = ch_svc_canned_delete_wait(&p, c->path_id);
	if (e)
		canned_failed(c, e);
	else
		ch_ctx_text(c, 200, "OK", 2);
}
