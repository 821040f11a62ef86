/* api.c — the route table, request pipeline and shared helpers of the REST API.
 *
 * Pipeline of one request (ch_api_handle, on a worker thread, inside one store
 * read transaction): route → method (405) → rate limit (429) → authenticate
 * (401) → token kind (403) → body size (413) → content type (415) → JSON (400)
 * → handler → CORS headers. Authentication precedes authorization, so a revoked
 * operator token answers 401 everywhere, even where it would be the wrong kind.
 */
#include "api/api.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/utf8.h"
#include "core/baseurl.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/ratelimit.h"
#include "svc/svc.h"

static const ch_route routes[] = {
	{CH_M_POST, "/api/company/get-token", ch_h_company_get_token, CH_AUTH_NONE, CH_POOL_HASH, CH_BODY_ANON, 0, ""},
	{CH_M_POST, "/api/company/password", ch_h_company_password, CH_AUTH_COMPANY, CH_POOL_HASH, 0, 0, ""},
	{CH_M_GET, "/api/company/status", ch_h_company_status, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_GET, "/api/company/organization", ch_h_org_list, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/company/organization", ch_h_org_create, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_GET, "/api/company/organization/{id}", ch_h_org_get, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_PUT, "/api/company/organization/{id}", ch_h_org_update, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_GET, "/api/company/organization/{id}/business-hours", ch_h_org_hours_get, CH_AUTH_COMPANY, CH_POOL_API,
	 CH_BODY_NONE, 0, ""},
	{CH_M_PUT, "/api/company/organization/{id}/business-hours", ch_h_org_hours_put, CH_AUTH_COMPANY, CH_POOL_API, 0,
	 0, ""},
	{CH_M_GET, "/api/company/organization/{id}/channels", ch_h_bot_list, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE,
	 0, ""},
	{CH_M_POST, "/api/company/organization/{id}/channels", ch_h_bot_create, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/company/organization/{id}/channels/{channelId}", ch_h_bot_delete, CH_AUTH_COMPANY, CH_POOL_API,
	 CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/events", ch_h_events_list, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, "organizationId after limit"},
	{CH_M_GET, "/api/reports/summary", ch_h_report_summary, CH_AUTH_COMPANY, CH_POOL_API, 0, 0,
	 "organizationId from to operatorId"},
	{CH_M_GET, "/api/reports/heatmap", ch_h_report_heatmap, CH_AUTH_COMPANY, CH_POOL_API, 0, 0,
	 "organizationId from to"},
	{CH_M_GET, "/api/company/api-keys", ch_h_api_key_list, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/company/api-keys", ch_h_api_key_create, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/company/api-keys/{id}", ch_h_api_key_revoke, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/company/webhooks", ch_h_webhook_list, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/company/webhooks", ch_h_webhook_create, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_GET, "/api/company/webhooks/{id}", ch_h_webhook_get, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/company/webhooks/{id}", ch_h_webhook_delete, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_POST, "/api/company/webhooks/{id}/enable", ch_h_webhook_enable, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_POST, "/api/company/webhooks/{id}/test", ch_h_webhook_test, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/operator", ch_h_operator_list, CH_AUTH_STAFF, CH_POOL_API, 0, 0, "organizationId includeDeleted"},
	{CH_M_GET, "/api/operator/colleagues", ch_h_operator_colleagues, CH_AUTH_OPERATOR, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/operator/synchronize", ch_h_operator_sync, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/operator/status", ch_h_operator_status, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_POST, "/api/operator/get-token", ch_h_operator_get_token, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	/* answered on the network thread: its body stays small enough to parse there */
	{CH_M_POST, "/api/operator/validate-token", ch_h_operator_validate, CH_AUTH_COMPANY, CH_POOL_INLINE,
	 CH_BODY_ANON_RAW, 0, ""},
	{CH_M_GET, "/api/canned-responses", ch_h_canned_list, CH_AUTH_STAFF, CH_POOL_API, 0, 0, "organizationId"},
	{CH_M_POST, "/api/canned-responses", ch_h_canned_create, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_PUT, "/api/canned-responses/{id}", ch_h_canned_update, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/canned-responses/{id}", ch_h_canned_delete, CH_AUTH_STAFF, CH_POOL_API, CH_BODY_NONE, 0,
	 ""},
	{CH_M_GET, "/api/labels", ch_h_label_list, CH_AUTH_STAFF, CH_POOL_API, 0, 0, "organizationId"},
	{CH_M_POST, "/api/labels", ch_h_label_create, CH_AUTH_COMPANY, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/labels/{id}", ch_h_label_delete, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/client/{id}", ch_h_client_get, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_PUT, "/api/client/{id}", ch_h_client_update, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/client/{id}", ch_h_client_erase, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/client/{id}/export", ch_h_client_export, CH_AUTH_COMPANY, CH_POOL_API, 0, 0,
	 "page per_page"},
	{CH_M_GET, "/api/client/{id}/chats", ch_h_client_chats, CH_AUTH_STAFF, CH_POOL_API, 0, 0,
	 "page per_page"},
	{CH_M_GET, "/api/chat/chats", ch_h_chat_list, CH_AUTH_STAFF, CH_POOL_API, 0, 0,
	 "page per_page search source date tg_user_id phone status organizationId operatorId label"},
	{CH_M_PUT, "/api/chat/{id}/labels", ch_h_chat_labels, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_PUT, "/api/chat/status", ch_h_chat_status, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_DELETE, "/api/chat/chats/{id}", ch_h_chat_delete, CH_AUTH_COMPANY, CH_POOL_API, CH_BODY_NONE, 0, ""},
	{CH_M_GET, "/api/chat/chats/{id}/messages", ch_h_chat_messages, CH_AUTH_STAFF, CH_POOL_API, 0, 0,
	 "afterSeq beforeSeq limit"},
	{CH_M_GET, "/api/chat/{id}/messages", ch_h_chat_messages, CH_AUTH_STAFF, CH_POOL_API, 0, 0,
	 "afterSeq beforeSeq limit"},
	{CH_M_DELETE, "/api/chat/{id}/messages/{messageId}", ch_h_chat_redact, CH_AUTH_STAFF, CH_POOL_API,
	 CH_BODY_NONE, 0, ""},
	{CH_M_POST, "/api/chat/{id}/message", ch_h_chat_send, CH_AUTH_STAFF, CH_POOL_API, CH_BODY_MEDIA, 0, ""},
	{CH_M_GET, "/api/chat/{id}/notes", ch_h_note_list, CH_AUTH_STAFF, CH_POOL_API, 0, 0, "before limit"},
	{CH_M_POST, "/api/chat/{id}/notes", ch_h_note_create, CH_AUTH_STAFF, CH_POOL_API, 0, 0, ""},
	{CH_M_GET, "/api/media/{id}", ch_h_media_get, CH_AUTH_NONE, CH_POOL_API, CH_BODY_NONE, CH_CORS_NONE, "c e sig"},
	{CH_M_GET, "/api/widget/{guid}/config", ch_h_widget_config, CH_AUTH_NONE, CH_POOL_API, CH_BODY_NONE,
	 CH_CORS_GUID, ""},
	{CH_M_POST, "/api/widget/{guid}/session", ch_h_widget_session, CH_AUTH_NONE, CH_POOL_API, CH_BODY_ANON,
	 CH_CORS_GUID, ""},
	{CH_M_POST, "/api/widget/{guid}/message", ch_h_widget_message, CH_AUTH_VISITOR, CH_POOL_API, CH_BODY_MEDIA,
	 CH_CORS_GUID, ""},
	{CH_M_POST, "/api/widget/{guid}/attributes", ch_h_widget_attributes, CH_AUTH_VISITOR, CH_POOL_API, 0,
	 CH_CORS_GUID, ""},
	{CH_M_POST, "/api/widget/{guid}/csat", ch_h_widget_csat, CH_AUTH_VISITOR, CH_POOL_API, 0, CH_CORS_GUID, ""},
	{CH_M_POST, "/api/channels/telegram/{key}", ch_h_bot_telegram, CH_AUTH_NONE, CH_POOL_API, CH_BODY_BOT,
	 CH_CORS_NONE, ""},
	{CH_M_POST, "/api/channels/viber/{key}", ch_h_bot_viber, CH_AUTH_NONE, CH_POOL_API, CH_BODY_BOT, CH_CORS_NONE,
	 ""},
	{CH_M_POST, "/api/channel/{guid}/inbound", ch_h_channel_inbound, CH_AUTH_NONE, CH_POOL_API, CH_BODY_SIGNED,
	 CH_CORS_NONE, ""},
	{CH_M_POST, "/chathub/negotiate", ch_h_negotiate, CH_AUTH_ANY, CH_POOL_API, CH_BODY_NONE, 0, "negotiateVersion"},
	{CH_M_GET, "/healthz", ch_h_healthz, CH_AUTH_NONE, CH_POOL_API, CH_BODY_NONE, CH_CORS_NONE, ""},
	{CH_M_GET, "/metrics", ch_h_metrics, CH_AUTH_NONE, CH_POOL_API, CH_BODY_NONE, CH_CORS_NONE, ""},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *method_names[] = {"GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "OTHER"};

/* ---- request / response ------------------------------------------------ */

void ch_req_free(ch_req *r)
{
	free(r->path);
	for (int i = 0; i < r->nargs; i++)
		free(r->args[i]);
	free(r->authorization);
	free(r->x_auth_key);
	free(r->accept);
	free(r->content_type);
	free(r->origin);
	free(r->host);
	free(r->forwarded_proto);
	free(r->if_none_match);
	free(r->ac_request_method);
	free(r->signature);
	free(r->tg_secret);
	free(r->viber_signature);
	free(r->user_agent);
	ch_buf_free(&r->body);
	memset(r, 0, sizeof *r);
}

void ch_resp_free(ch_resp *r)
{
	ch_buf_free(&r->body);
	ch_buf_free(&r->headers);
}

void ch_resp_header(ch_resp *r, const char *name, const char *fmt, ...)
{
	ch_buf_printf(&r->headers, "%s: ", name);
	va_list ap;
	va_start(ap, fmt);
	ch_buf_vprintf(&r->headers, fmt, ap);
	va_end(ap);
	ch_buf_puts(&r->headers, "\r\n");
}

#define NO_TOKEN_MSG "send a token as `Authorization: Bearer <token>` or `X-Authorization-Key: <token>`"

/* What ASP.NET's JwtBearer answers with a 401, so .NET handlers and SDKs that
 * react to it (refresh the token) work: `Bearer` alone when no token was sent,
 * else the error and why (quotes and backslashes folded, as the header's
 * quoted-string forbids them unescaped). */
static void www_authenticate(ch_resp *resp, ch_err err, const char *why)
{
	if (err == CH_ERR_BAD_LOGIN || (err == CH_ERR_NO_TOKEN && !strcmp(why, NO_TOKEN_MSG))) {
		ch_resp_header(resp, "WWW-Authenticate", "Bearer");
		return;
	}
	char desc[200];
	size_t n = 0;
	for (const char *p = why; *p && n < sizeof desc - 1; p++)
		desc[n++] = (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) ? '\'' : *p;
	desc[n] = '\0';
	ch_resp_header(resp, "WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"%s\"", desc);
}

static void error_vresp(ch_resp *resp, ch_err err, const char *fmt, va_list ap)
{
	ch_buf msg = CH_BUF_INIT;
	ch_buf_vprintf(&msg, fmt, ap);
	/* a message echoing the caller's bytes (a parameter's name) that are not
	 * UTF-8: jansson would refuse it and the answer lose its message */
	if (msg.data && !ch_utf8_valid(msg.data, msg.len))
		for (size_t i = 0; i < msg.len; i++)
			if ((unsigned char)msg.data[i] >= 0x80 || !msg.data[i])
				msg.data[i] = '?';
	json_t *j = json_pack("{s:i, s:s, s:s, s:i}", "status", ch_err_http_status(err), "error",
	                      ch_err_reason(err), "message", msg.data ? msg.data : "", "code",
	                      ch_err_code(err));
	if (ch_err_http_status(err) == 401)
		www_authenticate(resp, err, msg.data ? msg.data : "");
	ch_buf_free(&msg);
	ch_buf_reset(&resp->body);
	resp->status = ch_err_http_status(err);
	resp->content_type = "application/json";
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	ch_buf_puts(&resp->body, s ? s : "{\"status\":500,\"code\":5001}");
	free(s);
	json_decref(j);
}

void ch_api_error_resp(ch_resp *resp, ch_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vresp(resp, err, fmt, ap);
	va_end(ap);
}

void ch_ctx_error(ch_ctx *c, ch_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	error_vresp(c->resp, err, fmt, ap);
	va_end(ap);
	/* a full queue (the store writer's, here) says when to retry, as the 503
	 * of a full pool or body budget does (net/http.c) */
	const ch_buf *h = &c->resp->headers;
	if (err == CH_ERR_BUSY && !(h->data && strcasestr(h->data, "Retry-After:")))
		ch_resp_header(c->resp, "Retry-After", "1");
}

void ch_ctx_json(ch_ctx *c, int status, json_t *j)
{
	char base[CH_BASE_URL_MAX];
	if (ch_base_url(c->api->o.public_url, c->req->host, c->req->forwarded_proto, base))
		ch_svc_media_absolute(j, base); /* messages' media.uri, for the address this request came to */
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	json_decref(j);
	if (!s) {
		ch_ctx_error(c, CH_ERR_INTERNAL, "could not encode the response");
		return;
	}
	ch_buf_reset(&c->resp->body);
	ch_buf_puts(&c->resp->body, s);
	free(s);
	c->resp->status = status;
	c->resp->content_type = "application/json; charset=utf-8";
}

void ch_ctx_json_text(ch_ctx *c, int status, const char *text, size_t len)
{
	ch_buf_reset(&c->resp->body);
	ch_buf_append(&c->resp->body, text, len);
	c->resp->status = status;
	c->resp->content_type = "application/json; charset=utf-8";
}

void ch_ctx_text(ch_ctx *c, int status, const char *text, size_t len)
{
	ch_buf_reset(&c->resp->body);
	ch_buf_append(&c->resp->body, text, len);
	c->resp->status = status;
	c->resp->content_type = "text/plain; charset=utf-8";
}

/* Whether an Accept header lists the media type (ignoring parameters). */
static int accepts(const char *accept, const char *type)
{
	size_t tl = strlen(type);
	for (const char *p = accept; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!strncasecmp(p, type, tl) && (p[tl] == '\0' || p[tl] == ',' || p[tl] == ';' || p[tl] == ' '))
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}

int ch_ctx_accepts(ch_ctx *c, const char *type) { return accepts(c->req->accept, type); }

void ch_ctx_token(ch_ctx *c, const char *token)
{
	const char *acc = c->req->accept;
	if (accepts(acc, "application/json") && !accepts(acc, "text/plain"))
		ch_ctx_json(c, 200, json_string(token));
	else
		ch_ctx_text(c, 200, token, strlen(token));
}

const char *ch_ctx_arg(ch_ctx *c, const char *name)
{
	size_t nl = strlen(name);
	for (int i = 0; i < c->req->nargs; i++)
		if (!strncmp(c->req->args[i], name, nl) && c->req->args[i][nl] == '=')
			return c->req->args[i] + nl + 1;
	return NULL;
}

int ch_ctx_int_arg(ch_ctx *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out)
{
	const char *v = ch_ctx_arg(c, name);
	*out = def;
	if (!v || !*v)
		return 0;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (*end || end == v) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "%s: must be an integer", name);
		return -1;
	}
	if (errno == ERANGE || n < min || n > max) { /* an overflowing number is out of range, not clamped */
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s: must be from %lld to %lld", name, (long long)min,
		             (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

int ch_parse_id(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	const char *p = s + (*s == '-' || *s == '+');
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end)
		return -1;
	if (v <= 0)
		return -2;
	*out = v;
	return 0;
}

/* ---- field validation --------------------------------------------------- */

int ch_body_object(ch_ctx *c)
{
	if (!json_is_object(c->body)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

int ch_get_int(ch_ctx *c, json_t *obj, const char *prefix, const char *name, int required,
               int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v)) {
		if (!required)
			return 1;
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "%s%s: required field missing", prefix, name);
		return -1;
	}
	if (!json_is_integer(v)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "%s%s: must be an integer", prefix, name);
		return -1;
	}
	json_int_t n = json_integer_value(v);
	if (n < min || n > max) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s%s: must be from %lld to %lld", prefix, name,
		             (long long)min, (long long)max);
		return -1;
	}
	*out = n;
	return 0;
}

int ch_get_str(ch_ctx *c, json_t *obj, const char *prefix, const char *name, int required,
               size_t min_len, size_t max_len, const char **out)
{
	json_t *v = json_object_get(obj, name);
	if (!v || json_is_null(v)) {
		if (!required)
			return 1;
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "%s%s: required field missing", prefix, name);
		return -1;
	}
	if (!json_is_string(v)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "%s%s: must be a string", prefix, name);
		return -1;
	}
	size_t len = json_string_length(v);
	if (len < min_len || len > max_len) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s%s: must be %zu to %zu bytes long", prefix, name,
		             min_len, max_len);
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

int ch_ctx_store_failed(ch_ctx *c, ch_err e, const char *what)
{
	if (e == CH_OK)
		return 0;
	if (e == CH_ERR_NOT_FOUND)
		ch_ctx_error(c, e, "%s not found", what);
	else if (e == CH_ERR_STORE)
		ch_ctx_error(c, e, "the database is busy or unavailable; retry later");
	else if (e == CH_ERR_CONFLICT)
		ch_ctx_error(c, e, "%s already exists", what);
	else if (e == CH_ERR_BUSY)
		ch_ctx_error(c, e, "%s", ch_err_text(e));
	else if (e == CH_ERR_TOKEN_REVOKED) /* a write job found it revoked since the request's check */
		ch_ctx_error(c, e, "the token has been revoked");
	else
		ch_ctx_error(c, e, "internal error");
	return 1;
}

void ch_ctx_reply_svc(ch_ctx *c, ch_svc_result *r, int status, const char *what)
{
	if (r->err == CH_OK) {
		ch_ctx_json(c, status, r->result ? r->result : json_null());
		return;
	}
	json_decref(r->result);
	if (r->err == CH_ERR_STORE || r->err == CH_ERR_BUSY || r->err == CH_ERR_TOKEN_REVOKED)
		ch_ctx_store_failed(c, r->err, what);
	else
		ch_ctx_error(c, r->err, "%s", r->message[0] ? r->message : ch_err_text(r->err));
}

char *ch_ctx_sign(ch_ctx *c, const ch_token_claims *claims)
{
	char *tok = NULL;
	if (ch_token_sign(c->api->o.key, claims, &tok) != CH_OK) {
		ch_ctx_error(c, CH_ERR_INTERNAL, "could not sign the token");
		return NULL;
	}
	return tok;
}

/* ---- routing ------------------------------------------------------------ */

/* Matches path against pattern; a "{id}" segment captures one segment. */
static int match(const char *pattern, const char *path, const char **seg, size_t *seglen)
{
	while (*pattern && *path) {
		if (*pattern != '{') { /* the common case: one literal character */
			if (*pattern++ != *path++)
				return 0;
			continue;
		}
		/* any one segment, read by the handler ({guid}, {messageId}, …: all but {id}) */
		const char *close = strncmp(pattern, "{id}", 4) ? strchr(pattern, '}') : NULL;
		size_t any = close ? (size_t)(close - pattern) + 1 : 0;
		if (any) {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);
			if (n == 0)
				return 0;
			path += n;
			pattern += any;
			continue;
		}
		if (!strncmp(pattern, "{id}", 4)) {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);
			if (n == 0)
				return 0;
			*seg = path;
			*seglen = n;
			path += n;
			pattern += 4;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0'; /* exact: "/x/" is not "/x" */
}

/* Each pattern's literal head (up to its first '{'), compared with memcmp
 * before match() walks the rest: most routes differ from a path there. */
static size_t literal_len[N_ROUTES];
static pthread_once_t literal_once = PTHREAD_ONCE_INIT;

static void literal_init(void)
{
	for (size_t i = 0; i < N_ROUTES; i++)
		literal_len[i] = strcspn(routes[i].pattern, "{");
}

/* Finds the route; *path_known says whether any method matches the path. */
static const ch_route *find_route(const ch_req *req, int *path_known, const char **seg, size_t *seglen)
{
	pthread_once(&literal_once, literal_init);
	*path_known = 0;
	const ch_route *found = NULL;
	size_t plen = strlen(req->path);
	for (size_t i = 0; i < N_ROUTES; i++) {
		const char *s = NULL;
		size_t sl = 0, lit = literal_len[i];
		int whole = routes[i].pattern[lit] == '\0'; /* no segment: the path must be the pattern */
		if ((whole ? plen != lit : plen < lit) || memcmp(req->path, routes[i].pattern, lit) ||
		    (!whole && !match(routes[i].pattern + lit, req->path + lit, &s, &sl)))
			continue;
		*path_known = 1;
		ch_method m = req->method == CH_M_HEAD ? CH_M_GET : req->method;
		if (routes[i].method == m && !found) {
			found = &routes[i];
			*seg = s;
			*seglen = sl;
		}
	}
	return found;
}

/* find_route, once per request: admission, the inline attempt and the
 * pipeline all ask (the answer travels with the request to a worker). */
static const ch_route *route_of(const ch_req *req, int *path_known, const char **seg, size_t *seglen)
{
	ch_req *r = (ch_req *)req;
	if (!r->route_looked_up) {
		const char *s = NULL;
		size_t sl = 0;
		const ch_route *found = find_route(req, &r->route_known, &s, &sl);
		r->route_index = found ? (int)(found - routes) : -1;
		r->route_seg_off = s ? (size_t)(s - req->path) : 0;
		r->route_seg_len = s ? sl : 0;
		r->route_looked_up = 1;
	}
	*path_known = r->route_known;
	*seg = r->route_seg_len ? r->path + r->route_seg_off : NULL;
	*seglen = r->route_seg_len;
	return r->route_index >= 0 ? &routes[r->route_index] : NULL;
}

void ch_api_routes_each(ch_api_route_fn fn, void *ctx)
{
	for (size_t i = 0; i < N_ROUTES; i++)
		fn(ctx, method_names[routes[i].method], routes[i].pattern, routes[i].auth, routes[i].params);
}

int ch_api_owns_path(const char *path)
{
	return !strncmp(path, "/api/", 5) || !strcmp(path, "/api") || !strcmp(path, "/healthz") ||
	       !strcmp(path, "/metrics") || !strncmp(path, "/chathub", 8) || ch_demo_owns(path);
}

static void allow_header(ch_ctx *c)
{
	ch_buf allow = CH_BUF_INIT;
	for (size_t i = 0; i < N_ROUTES; i++) {
		const char *s;
		size_t sl;
		if (match(routes[i].pattern, c->req->path, &s, &sl))
			ch_buf_printf(&allow, "%s%s", allow.len ? ", " : "", method_names[routes[i].method]);
	}
	ch_buf_puts(&allow, ", OPTIONS");
	ch_resp_header(c->resp, "Allow", "%s", allow.data);
	ch_buf_free(&allow);
}

/* ---- tokens and rate limits ---------------------------------------------- */

/* ?access_token= (what browsers send where they cannot set headers). */
static const char *access_token_arg(const ch_req *req)
{
	for (int i = 0; i < req->nargs; i++)
		if (!strncmp(req->args[i], "access_token=", 13))
			return req->args[i] + 13;
	return NULL;
}

const char *ch_api_token_text(const ch_req *req, size_t *len)
{
	const char *t = req->authorization;
	if (t && *t) {
		if (strncasecmp(t, "Bearer ", 7))
			return NULL;
		t += 7;
	} else {
		t = req->x_auth_key;
		if (t && !strncasecmp(t, "Bearer ", 7))
			t += 7;
	}
	if (!t)
		t = access_token_arg(req);
	if (!t)
		return NULL;
	while (*t == ' ')
		t++;
	size_t n = strlen(t);
	while (n && t[n - 1] == ' ')
		n--;
	*len = n;
	return n ? t : NULL;
}

/* Verifies the request's token once (signature, expiry, claims); later steps
 * read req->token_err and req->claims. */
static void check_token(ch_api *a, ch_req *req, int64_t now_ms)
{
	if (req->token_checked)
		return;
	size_t len = 0;
	const char *t = ch_api_token_text(req, &len);
	req->token_checked = 1;
	req->token_err = t ? ch_api_credential_verify(a->o.key, t, len, now_ms / 1000, &req->claims) : CH_ERR_NO_TOKEN;
}

/* Seconds to wait when key's bucket is empty, else 0 (and a token is taken). */
static int ip_wait(ch_api *a, const ch_req *req, int64_t now_ms)
{
	char key[80];
	snprintf(key, sizeof key, "ip:%s", req->peer);
	return ch_ratelimit_take(a->per_ip, key, now_ms);
}

/* Per principal, so one integration cannot starve the others behind one IP. */
static int token_wait(ch_api *a, const ch_token_claims *cl, int64_t now_ms)
{
	char key[64];
	snprintf(key, sizeof key, "%d:%lld", (int)cl->kind, (long long)cl->sub);
	return ch_ratelimit_take(a->per_token, key, now_ms);
}

/* ---- admission (network thread, before the body is read) ----------------- */

int64_t ch_api_media_body_max(const ch_api *a)
{
	/* base64 of the largest attachment + the JSON around it */
	return a->o.media_max_bytes / 3 * 4 + 4 + a->o.max_body_bytes;
}

/* A signature header of the right shape (its value is checked later, over the bytes). */
static int signature_shaped(const char *sig)
{
	if (!sig || strncmp(sig, "sha256=", 7) || strlen(sig + 7) != 64)
		return 0;
	return strspn(sig + 7, "0123456789abcdefABCDEF") == 64;
}

static int64_t body_limit(ch_api *a, const ch_route *r, const ch_req *req)
{
	int authed = req->token_checked && req->token_err == CH_OK;
	switch (r->max_body) {
	case CH_BODY_MEDIA: return authed ? ch_api_media_body_max(a) : a->o.anon_body_bytes;
	case CH_BODY_SIGNED: return signature_shaped(req->signature) ? ch_api_media_body_max(a) : a->o.anon_body_bytes;
	case CH_BODY_DEFAULT: return authed ? a->o.max_body_bytes : a->o.anon_body_bytes;
	case CH_BODY_BOT: return CH_BOT_BODY_MAX;
	default: return a->o.anon_body_bytes; /* ANON, NONE (a body there is read and ignored) */
	}
}

void ch_api_admit(ch_api *a, ch_req *req, ch_api_admission *ad)
{
	/* wall time for token expiry; the in-memory buckets measure durations */
	int64_t now = ch_now_ms(), mono = ch_mono_ms();
	memset(ad, 0, sizeof *ad);
	ad->pool = CH_POOL_API;
	ad->max_body = a->o.anon_body_bytes;
	req->limits_charged = 1;
	if ((ad->retry_after = ip_wait(a, req, mono))) {
		ad->reject = CH_ERR_RATE_LIMITED;
		return;
	}
	if (ch_demo_owns(req->path)) {
		ad->pool = CH_POOL_HASH; /* its first step verifies the demo password */
		return;
	}
	int known;
	const char *seg;
	size_t sl;
	const ch_route *r = route_of(req, &known, &seg, &sl);
	if (!r || req->method == CH_M_OPTIONS)
		return; /* 404, 405, preflights: answered by the pipeline, no body wanted */
	ad->pool = r->pool;
	if (r->auth != CH_AUTH_NONE) {
		check_token(a, req, now);
		if (req->token_err == CH_OK && (ad->retry_after = token_wait(a, &req->claims, mono))) {
			ad->reject = CH_ERR_RATE_LIMITED;
			return;
		}
	}
	ad->max_body = body_limit(a, r, req);
}

/* ---- authentication ----------------------------------------------------- */

/* Checks that the principal behind verified claims still exists and, for
 * operators, is Active with the token's revocation epoch. */
int ch_api_token_check(ch_ctx *c, ch_token_claims *out)
{
	ch_req *req = (ch_req *)c->req;
	check_token(c->api, req, c->now_ms);
	ch_token_claims cl = req->claims;
	ch_err e = req->token_err;
	c->have_claims = e == CH_OK || e == CH_ERR_TOKEN_EXPIRED;
	c->who = cl; /* its scope decides CORS, even when refused below */
	if (e == CH_OK)
		e = ch_api_principal_check(c, &cl);
	if (c->need_store)
		return -1;
	switch (e) {
	case CH_OK: break;
	case CH_ERR_TOKEN_EXPIRED: ch_ctx_error(c, e, "the token has expired; get a new one"); return -1;
	case CH_ERR_TOKEN_REVOKED: ch_ctx_error(c, e, "the token has been revoked"); return -1;
	case CH_ERR_STORE: ch_ctx_store_failed(c, e, ""); return -1;
	default:
		c->have_claims = 0;
		ch_ctx_error(c, CH_ERR_NO_TOKEN, "the token is malformed or not valid");
		return -1;
	}
	*out = cl;
	return 0;
}

static int authenticate(ch_ctx *c)
{
	size_t len = 0;
	if (!ch_api_token_text(c->req, &len)) {
		ch_ctx_error(c, CH_ERR_NO_TOKEN, NO_TOKEN_MSG);
		return -1;
	}
	ch_token_claims cl;
	if (ch_api_token_check(c, &cl))
		return -1;
	c->authed = 1;
	if (!(c->route->auth & (1u << cl.kind))) {
		ch_ctx_error(c, CH_ERR_WRONG_KIND, "a %s token cannot be used here; this endpoint needs a %s token",
		             ch_token_kind_name(cl.kind),
		             c->route->auth == CH_AUTH_COMPANY ? "company" : "company or operator");
		return -1;
	}
	return 0;
}

/* ---- CORS --------------------------------------------------------------- */

/* The organization of the {guid} segment, looked up once per request. */
static const ch_org_row *guid_org(ch_ctx *c)
{
	if (!c->guid_state && c->tx) {
		ch_resp scratch = {0};
		ch_resp *real = c->resp;
		c->resp = &scratch; /* a lookup for CORS answers nothing itself */
		const char *p = strstr(c->req->path, "/api/widget/") == c->req->path ? "/api/widget/" : "/api/channel/";
		ch_org_of_guid_path(c, p, &c->guid_org);
		c->resp = real;
		ch_resp_free(&scratch);
	}
	return c->guid_state == 1 ? &c->guid_org : NULL;
}

/* The route whose CORS rule applies to this path (any method: preflights). */
static int cors_rule(const ch_ctx *c)
{
	if (c->route)
		return c->route->cors;
	for (size_t i = 0; i < N_ROUTES; i++) {
		const char *s;
		size_t sl;
		if (match(routes[i].pattern, c->req->path, &s, &sl))
			return routes[i].cors;
	}
	return CH_CORS_SCOPE;
}

/* Whether the request's Origin may read the response (see docs/api.md, CORS):
 * a {guid} route by that organization's list (any origin for the 404 of an
 * unknown guid); otherwise the scope of the
 * token (valid, or verified but expired or revoked) — a company's
 * organizations, an operator's or visitor's own; with no token, any
 * organization's list (logins, preflights, which carry none). */
static int origin_allowed(ch_ctx *c)
{
	switch (cors_rule(c)) {
	case CH_CORS_NONE: return 0;
	case CH_CORS_GUID: {
		const ch_org_row *o = guid_org(c);
		if (!o) /* an unknown guid's 404 says nothing of anyone: a widget may read it and say so */
			return c->guid_state == -1;
		ch_principal p = {.kind = CH_TOKEN_VISITOR, .company_id = o->company_id, .org_id = o->id};
		return ch_svc_origin_allowed(c->tx, &p, c->req->origin);
	}
	default: {
		ch_principal p = ch_principal_from_claims(&c->who);
		return ch_svc_origin_allowed(c->tx, c->have_claims ? &p : NULL, c->req->origin);
	}
	}
}

static void add_cors(ch_ctx *c, int preflight)
{
	if (!c->req->origin || !*c->req->origin || !c->tx || !origin_allowed(c))
		return;
	ch_resp_header(c->resp, "Access-Control-Allow-Origin", "%s", c->req->origin);
	ch_resp_header(c->resp, "Vary", "Origin");
	if (preflight) {
		ch_resp_header(c->resp, "Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS");
		ch_resp_header(c->resp, "Access-Control-Allow-Headers",
		               "Authorization, X-Authorization-Key, Content-Type, Accept, X-Requested-With, "
		               "X-SignalR-User-Agent");
		ch_resp_header(c->resp, "Access-Control-Max-Age", "600");
	} else {
		ch_resp_header(c->resp, "Access-Control-Expose-Headers", "Retry-After, Link, WWW-Authenticate");
	}
}

/* ---- the pipeline ------------------------------------------------------- */

static int rate_limited(ch_ctx *c)
{
	if (c->req->limits_charged)
		return 0;
	int wait = ip_wait(c->api, c->req, c->now_ms);
	if (wait) {
		ch_resp_header(c->resp, "Retry-After", "%d", wait);
		ch_ctx_error(c, CH_ERR_RATE_LIMITED, "too many requests; retry in %d s", wait);
		return 1;
	}
	return 0;
}

static int token_rate_limited(ch_ctx *c)
{
	if (c->req->limits_charged)
		return 0;
	int wait = token_wait(c->api, &c->who, c->now_ms);
	if (!wait)
		return 0;
	ch_resp_header(c->resp, "Retry-After", "%d", wait);
	ch_ctx_error(c, CH_ERR_RATE_LIMITED, "too many requests for this token; retry in %d s", wait);
	return 1;
}

static int is_json_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	size_t n = strlen("application/json");
	return !strncasecmp(ct, "application/json", n) && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* An upper bound on the values in JSON text, without parsing it: every value
 * after the first follows a ',', ':', '[' or '{' outside strings. A parse costs
 * far more memory than the text, so this is checked before jansson runs. */
static size_t json_values_bound(const char *s, size_t n)
{
	size_t count = 1;
	int in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == ',' || ch == ':' || ch == '[' || ch == '{') {
			count++;
		}
	}
	return count;
}

int ch_ctx_parse_body(ch_ctx *c)
{
	const ch_req *r = c->req;
	if (r->body_too_large) {
		ch_ctx_error(c, CH_ERR_TOO_LARGE, "the body is larger than this endpoint accepts");
		return -1;
	}
	if (!is_json_type(r->content_type)) {
		ch_ctx_error(c, CH_ERR_MEDIA_TYPE, "send the body as `Content-Type: application/json`");
		return -1;
	}
	const char *text = r->body.data ? r->body.data : "";
	if (json_values_bound(text, r->body.len) > (size_t)c->api->o.max_json_values) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "the body has more than %lld JSON values",
		             (long long)c->api->o.max_json_values);
		return -1;
	}
	json_error_t jerr;
	c->body = json_loadb(text, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!c->body) {
		const char *why = strstr(jerr.text, "JSON_ALLOW_NUL") ? "\\u0000 is not allowed in strings" : jerr.text;
		ch_ctx_error(c, CH_ERR_BAD_JSON, "malformed JSON at line %d, column %d: %s", jerr.line,
		             jerr.column, why);
		return -1;
	}
	return 0;
}

int ch_ctx_raw_json(ch_ctx *c, const char **text, size_t *len)
{
	const ch_req *r = c->req;
	if (r->body_too_large || !is_json_type(r->content_type))
		return 0;
	*text = r->body.data;
	*len = r->body.len;
	return 1;
}

static int parse_body(ch_ctx *c)
{
	const ch_req *r = c->req;
	int64_t kind = c->route->max_body;
	if ((r->method != CH_M_POST && r->method != CH_M_PUT && r->method != CH_M_PATCH) || kind == CH_BODY_NONE ||
	    kind == CH_BODY_SIGNED || kind == CH_BODY_ANON_RAW || kind == CH_BODY_BOT)
		return 0; /* no body, or the handler parses it (after checking its signature) */
	return ch_ctx_parse_body(c);
}

/* Whether name (n bytes) is one of a route's space-separated parameters. */
static int takes_param(const char *params, const char *name, size_t n)
{
	for (const char *p = params; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && !strncmp(p, name, n))
			return 1;
		p += len + (p[len] == ' ');
	}
	return 0;
}

/* A query parameter the route does not take is a 400 naming it: a filter
 * silently ignored would answer something else than what was asked. */
static int unknown_param(ch_ctx *c)
{
	if (c->req->arg_too_long) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "query parameter `%s` is longer than 4095 bytes", c->req->too_long_name);
		return 1;
	}
	for (int i = 0; i < c->req->nargs; i++) {
		const char *a = c->req->args[i];
		size_t n = strcspn(a, "=");
		if (takes_param(c->route->params, a, n) || (n == 12 && !strncmp(a, "access_token", 12)))
			continue;
		ch_ctx_error(c, CH_ERR_BAD_JSON, "unknown query parameter `%.*s`%s%s", (int)(n > 64 ? 64 : n), a,
		             *c->route->params ? "; this endpoint takes: " : "; this endpoint takes none",
		             c->route->params);
		return 1;
	}
	return 0;
}

static void run(ch_ctx *c)
{
	if (c->req->method == CH_M_OPTIONS) {
		c->resp->status = 204;
		c->resp->route = "preflight";
		allow_header(c);
		add_cors(c, 1);
		return;
	}
	int known;
	const char *seg = NULL;
	size_t sl = 0;
	c->route = route_of(c->req, &known, &seg, &sl);
	if (!c->route) {
		c->resp->route = known ? "method_not_allowed" : "not_found";
		if (known) {
			allow_header(c);
			ch_ctx_error(c, CH_ERR_METHOD, "%s is not allowed on %s",
			             method_names[c->req->method], c->req->path);
		} else {
			ch_ctx_error(c, CH_ERR_NOT_FOUND, "no such endpoint: %s", c->req->path);
		}
		goto cors;
	}
	c->resp->route = c->route->pattern;
	if (seg) {
		char tmp[32];
		if (sl >= sizeof tmp || (memcpy(tmp, seg, sl), tmp[sl] = '\0', ch_parse_id(tmp, &c->path_id)))
			c->path_id_bad = 1;
	}
	if (c->route->pool != CH_POOL_HASH && rate_limited(c))
		goto cors;
	if (c->route->auth != CH_AUTH_NONE && (authenticate(c) || token_rate_limited(c)))
		goto cors;
	if (unknown_param(c) || parse_body(c))
		goto cors;
	c->route->handler(c);
cors:
	if (!c->need_store)
		add_cors(c, 0);
}

static ch_err run_in_tx(ch_svc_tx *tx, void *arg)
{
	ch_ctx *c = arg;
	c->tx = tx;
	run(c);
	return CH_OK;
}

/* A chat search (GET /api/chat/chats?search= with a word) sees every message
 * committed before it: the search index catches up first (svc/search.c),
 * before the request's read snapshot begins. Nothing is read or checked yet:
 * at worst an unauthenticated request costs one writer job that finds
 * nothing to index, as an anonymous widget session costs a write. */
static void search_catch_up(const ch_req *req)
{
	if (req->method != CH_M_GET || strcmp(req->path, "/api/chat/chats") != 0)
		return;
	for (int i = 0; i < req->nargs; i++) {
		const char *v = req->args[i];
		if (strncmp(v, "search=", 7) != 0)
			continue;
		for (v += 7; *v; v++)
			if (*v != ' ' && *v != '+' && *v != '\t') {
				ch_svc_search_catch_up_wait();
				return;
			}
	}
}

void ch_api_handle(ch_api *a, const ch_req *req, ch_resp *resp)
{
	if (ch_demo_owns(req->path)) {
		ch_demo_handle(a, req, resp); /* walks sub-requests, each in its own transaction */
		return;
	}
	search_catch_up(req);
	ch_ctx c = {.api = a, .req = req, .resp = resp, .now_ms = ch_now_ms(),
	            .gen0 = ch_svc_principals_gen()};
	ch_err e = ch_svc_read(run_in_tx, &c);
	if (e != CH_OK && !resp->status) {
		resp->route = "store_error";
		ch_api_error_resp(resp, e, "the database is unavailable; retry later");
	}
	if (!resp->status) {
		CH_ERROR("request %llu: handler produced no response", (unsigned long long)req->id);
		ch_api_error_resp(resp, CH_ERR_INTERNAL, "internal error");
	}
	json_decref(c.body);
}

int ch_api_try_inline(ch_api *a, ch_req *req, ch_resp *resp)
{
	int known;
	const char *seg;
	size_t sl;
	const ch_route *r = route_of(req, &known, &seg, &sl);
	/* CORS reads the organizations' allow-lists: with an Origin, the store decides */
	if (!r || r->pool != CH_POOL_INLINE || (req->origin && *req->origin) || req->method == CH_M_OPTIONS)
		return 0;
	ch_ctx c = {.api = a, .req = req, .resp = resp, .now_ms = ch_now_ms()};
	run(&c);
	json_decref(c.body);
	if (!c.need_store)
		return 1;
	ch_resp_free(resp);
	memset(resp, 0, sizeof *resp);
	return 0;
}

ch_api *ch_api_new(const ch_api_opts *o)
{
	ch_api *a = ch_xcalloc(1, sizeof *a);
	a->o = *o;
	double per_min = (double)o->login_per_minute;
	/* failed logins only: per (login, address); per address at three times that, whatever the
	 * login; per login from anywhere at ten times, so that nobody can lock a company out by
	 * failing from another address (company.c) */
	a->login_ip = ch_ratelimit_new(per_min * 3, 60000, per_min * 3, 100000);
	a->login_fail = ch_ratelimit_new(per_min, 60000, per_min, 100000);
	a->login_name = ch_ratelimit_new(per_min * 10, 60000, per_min * 10, 100000);
	a->per_ip = ch_ratelimit_new((double)o->rate_per_second, 1000, (double)o->rate_burst, 100000);
	a->per_token = ch_ratelimit_new((double)o->rate_per_second, 1000, (double)o->rate_burst, 100000);
	a->sessions = ch_ratelimit_new((double)o->sessions_per_minute, 60000, (double)o->sessions_per_minute, 100000);
	if (ch_api_keys_reload())
		CH_WARN("api keys: the table could not be loaded; keys work once it is (next revocation poll)");
	return a;
}

void ch_api_free(ch_api *a)
{
	if (!a)
		return;
	ch_ratelimit_free(a->login_ip);
	ch_ratelimit_free(a->login_fail);
	ch_ratelimit_free(a->login_name);
	ch_ratelimit_free(a->per_ip);
	ch_ratelimit_free(a->per_token);
	ch_ratelimit_free(a->sessions);
	free(a);
}
