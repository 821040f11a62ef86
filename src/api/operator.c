/* operator.c — operators of a company's organizations: list, synchronize,
 * status, operator tokens (issue and validate).
 * Threading: handlers run on API worker threads; validate-token also on the
 * network thread (CH_POOL_INLINE). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/clock.h"
#include "svc/svc.h"

#define SYNC_MAX_ROWS 1000
#define TOKEN_MAX_AHEAD_MS (24LL * 3600 * 1000)

json_t *ch_json_operator(const ch_operator_row *op)
{
	return json_pack("{s:I, s:s, s:i, s:{s:I, s:s}, s:o, s:o}", "id", (json_int_t)op->id, "name", op->name,
	                 "status", op->status, "organization", "id", (json_int_t)op->organization_id,
	                 "name", op->org_name, "externalId",
	                 op->has_external_id ? json_string(op->external_id) : json_null(), "photo",
	                 op->photo[0] ? json_string(op->photo) : json_null());
}

static void add_operator(void *ctx, const ch_operator_row *op)
{
	json_array_append_new(ctx, ch_json_operator(op));
}

void ch_h_operator_list(ch_ctx *c)
{
	const char *org = ch_ctx_arg(c, "organizationId");
	const char *del = ch_ctx_arg(c, "includeDeleted");
	int64_t org_id;
	if (!org || !*org) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "organizationId: required query parameter missing");
		return;
	}
	int r = ch_parse_id(org, &org_id);
	if (r) {
		ch_ctx_error(c, r == -1 ? CH_ERR_BAD_JSON : CH_ERR_OUT_OF_RANGE,
		             "organizationId: must be a positive integer");
		return;
	}
	if (del && strcmp(del, "true") && strcmp(del, "false")) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "includeDeleted: must be true or false");
		return;
	}
	if (c->who.kind == CH_TOKEN_OPERATOR && org_id != c->who.org_id) { /* its own organization only */
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "organization not found");
		return;
	}
	json_t *arr = json_array();
	ch_err e = ch_svc_operators(c->tx, c->who.company_id, org_id, del && !strcmp(del, "true"),
	                                  add_operator, arr);
	if (ch_ctx_store_failed(c, e, "organization")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

typedef struct colleagues {
	ch_svc_tx *tx;
	json_t *arr;
	ch_err err;
} colleagues;

static void add_colleague(void *ctx, const ch_operator_row *op)
{
	colleagues *l = ctx;
	const char *presence;
	ch_err e = ch_svc_presence_of(l->tx, op->id, &presence);
	if (e && !l->err)
		l->err = e;
	json_array_append_new(l->arr, json_pack("{s:I, s:s, s:i, s:s, s:o}", "id", (json_int_t)op->id, "name",
	                                        op->name, "status", op->status, "presence", presence, "photo",
	                                        op->photo[0] ? json_string(op->photo) : json_null()));
}

/* GET /api/operator/colleagues (operator token): the operators of the token's
 * own organization with their live presence, for the panel's transfer list. */
void ch_h_operator_colleagues(ch_ctx *c)
{
	colleagues l = {c->tx, json_array(), CH_OK};
	ch_err e = ch_svc_operators(c->tx, c->who.company_id, c->who.org_id, 0, add_colleague, &l);
	if (ch_ctx_store_failed(c, e ? e : l.err, "organization")) {
		json_decref(l.arr);
		return;
	}
	ch_ctx_json(c, 200, l.arr);
}

typedef ch_svc_operator_sync sync_row; /* set_photo: the row has "photo" ("" or null clears) */

/* A photo is shown in browsers (an <img src>): an absolute http(s) URL with
 * nothing that could leave an attribute or hide in one. */
static int photo_ok(const char *u)
{
	size_t skip = !strncasecmp(u, "https://", 8) ? 8 : !strncasecmp(u, "http://", 7) ? 7 : 0;
	if (!skip || !u[skip])
		return 0;
	for (const unsigned char *p = (const unsigned char *)u; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("\"'<>\\`", *p))
			return 0;
	return 1;
}

/* "photo": absent → keep; null or "" → remove; else a URL (photo_ok). */
static int read_photo(ch_ctx *c, json_t *row, const char *prefix, sync_row *r)
{
	json_t *v = json_object_get(row, "photo");
	r->set_photo = v != NULL;
	r->photo = "";
	if (!v || json_is_null(v))
		return 0;
	if (ch_get_str(c, row, prefix, "photo", 0, 0, CH_PHOTO_MAX, &r->photo) < 0)
		return -1;
	if (*r->photo && !photo_ok(r->photo)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%sphoto: must be an http:// or https:// URL without spaces or quotes "
		                                     "(null removes the photo)", prefix);
		return -1;
	}
	return 0;
}

static int read_sync_rows(ch_ctx *c, sync_row *rows)
{
	size_t i;
	json_t *row;
	char prefix[32];
	json_array_foreach(c->body, i, row)
	{
		snprintf(prefix, sizeof prefix, "[%zu].", i);
		if (!json_is_object(row)) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "[%zu]: must be an object", i);
			return -1;
		}
		sync_row *r = &rows[i];
		if (ch_get_int(c, row, prefix, "organizationId", 1, 1, INT64_MAX, &r->org_id) ||
		    ch_get_str(c, row, prefix, "name", 1, 1, CH_NAME_MAX, &r->name) ||
		    ch_get_str(c, row, prefix, "externalId", 0, 1, CH_EXTID_MAX, &r->external_id) < 0 ||
		    read_photo(c, row, prefix, r))
			return -1;
	}
	return 0;
}

void ch_h_operator_sync(ch_ctx *c)
{
	if (!json_is_array(c->body)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "the body must be a JSON array of operators");
		return;
	}
	size_t n = json_array_size(c->body);
	if (n > SYNC_MAX_ROWS) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "at most %d operators per request", SYNC_MAX_ROWS);
		return;
	}
	sync_row *rows = ch_xcalloc(n ? n : 1, sizeof *rows);
	if (read_sync_rows(c, rows) == 0) {
		ch_principal p = ch_principal_from_claims(&c->who);
		size_t failed_row = 0;
		ch_err e = ch_svc_operators_sync_wait(&p, rows, n, &failed_row); /* all or nothing */
		if (e == CH_ERR_NOT_FOUND) {
			ch_ctx_error(c, e, "[%zu].organizationId: organization not found", failed_row);
		} else if (!ch_ctx_store_failed(c, e, "operator")) {
			json_t *arr = json_array();
			for (size_t i = 0; i < n; i++)
				json_array_append_new(arr, ch_json_operator(&rows[i].out));
			ch_ctx_json(c, 200, arr);
		}
	}
	free(rows);
}

void ch_h_operator_status(ch_ctx *c)
{
	int64_t id, status;
	if (ch_body_object(c) || ch_get_int(c, c->body, "", "id", 1, 1, INT64_MAX, &id) ||
	    ch_get_int(c, c->body, "", "status", 1, 0, 2, &status))
		return;
	/* through svc: revoking also closes hub connections and requeues chats */
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_operator_status(c->who.company_id, id, (int)status, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	json_decref(r.result);
	if (!ch_ctx_store_failed(c, r.err, "operator"))
		ch_ctx_text(c, 200, "", 0);
}

void ch_h_operator_get_token(ch_ctx *c)
{
	int64_t id, exp_ms;
	const char *exp_s;
	if (ch_body_object(c) || ch_get_int(c, c->body, "", "id", 1, 1, INT64_MAX, &id) ||
	    ch_get_str(c, c->body, "", "expiresAt", 1, 0, 64, &exp_s))
		return;
	if (ch_iso8601_parse(exp_s, strlen(exp_s), 0, &exp_ms)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "expiresAt: must be an ISO-8601 date-time like 2026-01-20T14:33:34.147Z "
		                                 "(without a zone it is UTC)");
		return;
	}
	if (exp_ms <= c->now_ms) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "expiresAt: must be in the future");
		return;
	}
	/* the public samples ask for 30 days: the token gets the 24 h an operator
	 * token may have, and validate-token reports the real expiry */
	if (exp_ms > c->now_ms + TOKEN_MAX_AHEAD_MS)
		exp_ms = c->now_ms + TOKEN_MAX_AHEAD_MS;
	ch_operator_row op;
	ch_err e = ch_svc_operator_get(c->tx, c->who.company_id, id, &op);
	if (e == CH_OK && op.status == CH_OPERATOR_DELETED)
		e = CH_ERR_NOT_FOUND;
	if (ch_ctx_store_failed(c, e, "operator"))
		return;
	if (op.status != CH_OPERATOR_ACTIVE) {
		ch_ctx_error(c, CH_ERR_NOT_ACTIVE, "operator %lld is inactive", (long long)id);
		return;
	}
	ch_token_claims cl = {.kind = CH_TOKEN_OPERATOR, .sub = op.id, .company_id = op.company_id,
	                      .org_id = op.organization_id, .epoch = op.token_epoch,
	                      .iat = c->now_ms / 1000, .exp = exp_ms / 1000}; /* never outlives expiresAt */
	char *tok = ch_ctx_sign(c, &cl);
	if (tok)
		ch_ctx_token(c, tok);
	free(tok);
}

/* validate-token's answers, written as text: a fixed shape of two booleans,
 * two integers or nulls, a timestamp and a constant error (nothing to escape). */
static void validate_reply(ch_ctx *c, const char *error, const ch_token_claims *cl)
{
	char out[256];
	int n;
	if (error) {
		n = snprintf(out, sizeof out,
		             "{\"isValid\":false,\"valid\":false,\"operatorId\":null,\"clientId\":null,"
		             "\"expiresAt\":null,\"error\":\"%s\"}", error);
	} else {
		char ts[25];
		ch_iso8601_format(cl->exp * 1000, ts);
		n = snprintf(out, sizeof out,
		             "{\"isValid\":true,\"valid\":true,\"operatorId\":%lld,\"clientId\":%lld,"
		             "\"expiresAt\":\"%s\",\"error\":null}", (long long)cl->sub, (long long)cl->company_id, ts);
	}
	ch_ctx_json_text(c, 200, out, (size_t)n);
}

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

int ch_api_token_body(const char *text, size_t n, const char **tok, size_t *len)
{
	static const char key[] = "\"token\"";
	const char *p = text, *end = text + n;
	if (!text || (p = json_ws(p, end)) == end || *p++ != '{')
		return 0;
	p = json_ws(p, end);
	if ((size_t)(end - p) < sizeof key - 1 || memcmp(p, key, sizeof key - 1))
		return 0;
	p = json_ws(p + sizeof key - 1, end);
	if (p == end || *p++ != ':' || (p = json_ws(p, end)) == end || *p++ != '"')
		return 0;
	const char *s = p;
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x7f)
		p++;
	if (p == end || *p != '"')
		return 0;
	*tok = s;
	*len = (size_t)(p - s);
	p = json_ws(p + 1, end);
	if (p == end || *p++ != '}')
		return 0;
	return json_ws(p, end) == end;
}

/* The operator token of the body: 0, or -1 after answering (413, 415, 400). */
static int read_token(ch_ctx *c, const char **tok, size_t *len)
{
	const char *text;
	size_t n;
	if (ch_ctx_raw_json(c, &text, &n) && ch_api_token_body(text, n, tok, len))
		return 0;
	if (ch_ctx_parse_body(c) || ch_body_object(c) || ch_get_str(c, c->body, "", "token", 1, 0, 1u << 20, tok))
		return -1;
	*len = json_string_length(json_object_get(c->body, "token"));
	return 0;
}

void ch_h_operator_validate(ch_ctx *c)
{
	const char *tok;
	size_t len;
	if (read_token(c, &tok, &len))
		return;
	ch_token_claims cl;
	ch_err e = ch_token_verify(c->api->o.key, tok, len, CH_TOKEN_OPERATOR, c->now_ms / 1000, &cl);
	if ((e == CH_OK || e == CH_ERR_TOKEN_EXPIRED) && cl.company_id != c->who.company_id)
		e = CH_ERR_NO_TOKEN; /* another company's operator: not ours to vouch for */
	if (e == CH_ERR_TOKEN_EXPIRED) {
		validate_reply(c, "Token expired", NULL);
		return;
	}
	if (e != CH_OK) {
		validate_reply(c, "Invalid token", NULL);
		return;
	}
	e = ch_api_principal_check(c, &cl); /* status and token epoch, cached */
	if (c->need_store)
		return;
	if (e == CH_ERR_STORE || e == CH_ERR_INTERNAL) {
		ch_ctx_store_failed(c, e, "operator");
		return;
	}
	if (e != CH_OK)
		validate_reply(c, "Token revoked", NULL);
	else
		validate_reply(c, NULL, &cl);
}
