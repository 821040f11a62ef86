/* labels.c — labels: GET/POST /api/labels, DELETE /api/labels/{id}, and
 * PUT /api/chat/{id}/labels (the labels set on a chat).
 *
 * A label is an organization's {id, organizationId, name, color}; the company
 * creates and deletes them, the organization's operators read them and set
 * them on the organization's chats. Who may do what to which organization's
 * labels is decided in svc/ (labels.c), in the write job.
 * Threading: handlers on API workers. */
#include <string.h>

#include "api/internal.h"

static void add_label(void *ctx, const ch_label_row *r) { json_array_append_new(ctx, ch_svc_json_label(r)); }

void ch_h_label_list(ch_ctx *c)
{
	int64_t org_id = c->who.kind == CH_TOKEN_OPERATOR ? c->who.org_id : 0;
	const char *text = ch_ctx_arg(c, "organizationId");
	if (text || c->who.kind != CH_TOKEN_OPERATOR) {
		int r = text && *text ? ch_parse_id(text, &org_id) : -3;
		if (r) {
			ch_ctx_error(c, r == -3 ? CH_ERR_MISSING_FIELD : r == -1 ? CH_ERR_BAD_JSON : CH_ERR_OUT_OF_RANGE,
			             r == -3 ? "organizationId: required" : "organizationId: must be a positive integer");
			return;
		}
	}
	json_t *arr = json_array();
	ch_principal p = ch_principal_from_claims(&c->who);
	if (ch_ctx_store_failed(c, ch_svc_labels(c->tx, &p, org_id, add_label, arr), "organization")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

void ch_h_label_create(ch_ctx *c)
{
	int64_t org_id;
	const char *name, *color = NULL;
	if (ch_body_object(c) || ch_get_int(c, c->body, "", "organizationId", 1, 1, INT64_MAX, &org_id) ||
	    ch_get_str(c, c->body, "", "name", 1, 1, CH_LABEL_NAME_MAX, &name) ||
	    ch_get_str(c, c->body, "", "color", 0, CH_LABEL_COLOR_LEN, CH_LABEL_COLOR_LEN, &color) < 0)
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_label_row row;
	ch_err e = ch_svc_label_create_wait(&p, org_id, name, color, &row);
	if (e == CH_ERR_CONFLICT)
		ch_ctx_error(c, e, "the organization has a label of this name (case ignored), or its %d labels already",
		             CH_LABELS_PER_ORG_MAX);
	else if (e == CH_ERR_OUT_OF_RANGE)
		ch_ctx_error(c, e, "name: no control characters; color: \"#rrggbb\"");
	else if (e == CH_ERR_BAD_JSON)
		ch_ctx_error(c, e, "name: not valid UTF-8");
	else if (!ch_ctx_store_failed(c, e, "organization"))
		ch_ctx_json(c, 201, ch_svc_json_label(&row));
}

void ch_h_label_delete(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "label not found");
		return;
	}
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = ch_svc_label_delete_wait(&p, c->path_id);
	if (!ch_ctx_store_failed(c, e, "label"))
		ch_ctx_text(c, 200, "OK", 2);
}

/* labelIds: an array of at most CH_LABELS_PER_CHAT_MAX distinct positive
 * integers, checked before anything is read (10,000 ids answer here). */
static int read_ids(ch_ctx *c, int64_t ids[CH_LABELS_PER_CHAT_MAX], size_t *n)
{
	json_t *arr = json_object_get(c->body, "labelIds"), *v;
	size_t i;
	if (!arr || json_is_null(arr)) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "labelIds: required field missing");
		return -1;
	}
	if (!json_is_array(arr)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "labelIds: must be an array of label ids");
		return -1;
	}
	if (json_array_size(arr) > CH_LABELS_PER_CHAT_MAX) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "labelIds: at most %d labels", CH_LABELS_PER_CHAT_MAX);
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		if (!json_is_integer(v)) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "labelIds[%zu]: must be an integer", i);
			return -1;
		}
		ids[i] = json_integer_value(v);
		if (ids[i] < 1) {
			ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "labelIds[%zu]: must be a positive integer", i);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (ids[k] == ids[i]) {
				ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "labelIds[%zu]: label %lld is given twice", i,
				             (long long)ids[i]);
				return -1;
			}
	}
	*n = json_array_size(arr);
	return 0;
}

void ch_h_chat_labels(ch_ctx *c)
{
	int64_t ids[CH_LABELS_PER_CHAT_MAX];
	size_t n = 0;
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "chat not found");
		return;
	}
	if (ch_body_object(c) || read_ids(c, ids, &n))
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_result r;
	ch_svc_chat_labels_set_wait(&p, c->path_id, ids, n, &r);
	ch_ctx_reply_svc(c, &r, 200, "chat");
}
