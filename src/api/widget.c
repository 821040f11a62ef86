/* widget.c — what the visitor chat widget needs, keyed by the organization's
 * widget guid: GET /api/widget/{guid}/config, POST /api/widget/{guid}/session
 * and POST /api/widget/{guid}/message (a visitor's send over HTTP: attachments
 * larger than one hub message)
 * (a visitor token, anonymous or proven by the site's userJWT). Also the hub's
 * POST /chathub/negotiate. Threading: API worker threads. */
#include <stdio.h>
#include <string.h>

#include "api/internal.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/utf8.h"
#include "core/ratelimit.h"
#include "svc/svc.h"

/* Looked up once per request: the handler and the CORS decision both need it. */
int ch_org_of_guid_path(ch_ctx *c, const char *prefix, ch_org_row *org)
{
	if (c->guid_state == 1) {
		*org = c->guid_org;
		return 0;
	}
	const char *p = c->req->path + strlen(prefix);
	const char *slash = strchr(p, '/');
	char guid[CH_GUID_LEN + 1];
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	ch_err e = CH_ERR_NOT_FOUND;
	if (c->guid_state == 0 && n == CH_GUID_LEN) {
		memcpy(guid, p, n);
		guid[n] = '\0';
		e = ch_svc_org_of_guid(c->tx, guid, &c->guid_org);
	}
	if (e == CH_ERR_NOT_FOUND) {
		c->guid_state = -1;
		ch_ctx_error(c, e, "unknown widget guid");
		return -1;
	}
	if (ch_ctx_store_failed(c, e, "widget"))
		return -1;
	c->guid_state = 1;
	*org = c->guid_org;
	return 0;
}

void ch_h_widget_config(ch_ctx *c)
{
	ch_org_row org;
	ch_org_secrets sec;
	int online = 0;
	json_t *hours = NULL;
	if (ch_org_of_guid_path(c, "/api/widget/", &org) ||
	    ch_ctx_store_failed(c, ch_svc_org_settings(c->tx, org.company_id, org.id, &sec), "widget") ||
	    ch_ctx_store_failed(c, ch_svc_org_online(c->tx, org.id, &online), "widget") ||
	    ch_ctx_store_failed(c, ch_svc_hours_public(c->tx, org.company_id, org.id, &hours), "widget"))
		return;
	ch_ctx_json(c, 200, json_pack("{s:s, s:s, s:b, s:b, s:b, s:o}", "guid", org.guid, "title", org.name,
	                              "operatorsOnline", online, "prechatForm", sec.prechat_form, "csatEnabled",
	                              org.csat_enabled, "businessHours", hours));
}

/* A still-valid visitor token of this organization → its client id, else 0. */
static int64_t reuse_visitor(ch_ctx *c, const ch_org_row *org, const char *tok)
{
	ch_token_claims cl;
	ch_client_row cr;
	if (!tok || ch_token_verify(c->api->o.key, tok, strlen(tok), CH_TOKEN_VISITOR, c->now_ms / 1000, &cl) ||
	    cl.org_id != org->id || cl.company_id != org->company_id ||
	    ch_svc_client_get(c->tx, org->company_id, cl.sub, &cr) || cr.erased_at)
		return 0; /* an erased client's visitor starts over as a new client */
	return cl.sub;
}

/* userJWT → the client key "sub:<sub>", its name and attributes claim (*attrs
 * a new reference or NULL); 1 on success, -1 after a 401. */
static int identity(ch_ctx *c, const ch_org_row *org, const char *jwt, char key[CH_EXTID_MAX + 1],
                    char name[CH_NAME_MAX + 1], json_t **attrs)
{
	ch_org_secrets sec;
	if (ch_ctx_store_failed(c, ch_svc_org_settings(c->tx, org->company_id, org->id, &sec), "widget"))
		return -1;
	ch_token_key k = {.len = strlen(sec.identity_secret)};
	memcpy(k.bytes, sec.identity_secret, k.len);
	char sub[CH_EXTID_MAX - 3];
	ch_err e = k.len >= 16 ? ch_token_verify_identity_attrs(&k, jwt, strlen(jwt), c->now_ms / 1000, sub, sizeof sub,
	                                                        name, CH_NAME_MAX + 1, attrs)
	                       : CH_ERR_NO_TOKEN;
	if (e) {
		ch_ctx_error(c, e == CH_ERR_TOKEN_EXPIRED ? e : CH_ERR_NO_TOKEN,
		             k.len < 16 ? "userJWT: this organization has no identity secret"
		                        : e == CH_ERR_TOKEN_EXPIRED ? "userJWT: expired" : "userJWT: not valid");
		return -1;
	}
	snprintf(key, CH_EXTID_MAX + 1, "sub:%s", sub);
	return 1;
}

/* An optional string of the body cut to at most max bytes, never inside a
 * UTF-8 character (the page a visitor came from is recorded, never refused):
 * 1 with out filled, 0 when absent or null, -1 after a 400 (not a string). */
static int truncated(ch_ctx *c, const char *name, size_t max, char *out)
{
	json_t *v = json_object_get(c->body, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "%s: must be a string", name);
		return -1;
	}
	size_t n = ch_utf8_prefix(json_string_value(v), json_string_length(v), max);
	memcpy(out, json_string_value(v), n);
	out[n] = '\0';
	return 1;
}

/* The session's page, referrer, language and the User-Agent header (cut to
 * its bound; dropped when not valid UTF-8). 0, or -1 after a 400. */
static int session_page(ch_ctx *c, ch_svc_session *s, char *url, char *ref, char *lang, char *ua)
{
	int a = truncated(c, "pageUrl", CH_URL_MAX, url), b = a < 0 ? -1 : truncated(c, "referrer", CH_URL_MAX, ref);
	int l = b < 0 ? -1 : truncated(c, "language", CH_LANGUAGE_MAX, lang);
	if (a < 0 || b < 0 || l < 0)
		return -1;
	s->page_url = a ? url : NULL;
	s->referrer = b ? ref : NULL;
	s->language = l ? lang : NULL;
	const char *h = c->req->user_agent;
	if (h && ch_utf8_valid(h, strlen(h))) {
		size_t n = ch_utf8_prefix(h, strlen(h), CH_USER_AGENT_MAX);
		memcpy(ua, h, n);
		ua[n] = '\0';
		s->user_agent = ua;
	}
	return 0;
}

/* Each new anonymous visitor is a stored row: at most sessions_per_minute per
 * address (a returning visitor or a userJWT identity is not new). */
static int new_visitor_limited(ch_ctx *c)
{
	char key[80];
	snprintf(key, sizeof key, "ip:%s", c->req->peer);
	int wait = ch_ratelimit_take(c->api->sessions, key, ch_mono_ms());
	if (!wait)
		return 0;
	ch_resp_header(c->resp, "Retry-After", "%d", wait);
	ch_ctx_error(c, CH_ERR_RATE_LIMITED, "too many new visitors from this address; retry in %d s", wait);
	return 1;
}

/* The answer's fields: the visitor's token and its open chat (null if none). */
static void session_reply(ch_ctx *c, const ch_org_row *org, int64_t client_id)
{
	ch_token_claims cl = {.kind = CH_TOKEN_VISITOR, .sub = client_id, .company_id = org->company_id,
	                      .org_id = org->id, .iat = c->now_ms / 1000,
	                      .exp = c->now_ms / 1000 + c->api->o.visitor_token_ttl_s};
	char *tok = ch_ctx_sign(c, &cl);
	if (!tok)
		return;
	ch_chat_row chat;
	ch_err e = ch_svc_client_open_chat(c->tx, org->company_id, client_id, &chat);
	json_t *chat_id = e == CH_OK ? json_integer(chat.id) : json_null();
	ch_ctx_json(c, 200, json_pack("{s:s, s:I, s:o}", "visitorToken", tok, "clientId", (json_int_t)client_id,
	                              "chatId", chat_id));
	free(tok);
}

/* Big enough for the page fields: the handler's stack stays small. */
typedef struct session_bufs {
	char key[CH_EXTID_MAX + 1], jname[CH_NAME_MAX + 1];
	char url[CH_URL_MAX + 1], ref[CH_URL_MAX + 1], lang[CH_LANGUAGE_MAX + 1], ua[CH_USER_AGENT_MAX + 1];
	char why[200];
	ch_client_row row;
} session_bufs;

static void session(ch_ctx *c, const ch_org_row *org, session_bufs *b, json_t **jattrs)
{
	const char *vt = NULL, *ujwt = NULL;
	ch_svc_session s = {.company_id = org->company_id, .org_id = org->id};
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "visitorToken", 0, 0, 4096, &vt) < 0 ||
	    ch_get_str(c, c->body, "", "userJWT", 0, 0, 4096, &ujwt) < 0 ||
	    ch_get_str(c, c->body, "", "name", 0, 0, CH_NAME_MAX, &s.name) < 0 ||
	    ch_get_str(c, c->body, "", "email", 0, 0, CH_EMAIL_MAX, &s.email) < 0 ||
	    ch_get_str(c, c->body, "", "phone", 0, 0, CH_PHONE_MAX, &s.phone) < 0 ||
	    session_page(c, &s, b->url, b->ref, b->lang, b->ua))
		return;
	if (ujwt && *ujwt && identity(c, org, ujwt, b->key, b->jname, jattrs) < 0)
		return;
	/* a userJWT names the client; else a valid visitor token resumes it; else a new one */
	s.key = b->key[0] ? b->key : NULL;
	s.client_id = s.key ? 0 : reuse_visitor(c, org, vt);
	if (!s.client_id && !s.key && new_visitor_limited(c))
		return;
	if (!(s.name && *s.name) && b->jname[0])
		s.name = b->jname;
	s.jwt_attributes = *jattrs;
	ch_err e = ch_svc_visitor_session_wait(&s, &b->row, b->why, sizeof b->why);
	if (e == CH_ERR_OUT_OF_RANGE || e == CH_ERR_BAD_JSON)
		ch_ctx_error(c, e, "userJWT %s", b->why);
	else if (!ch_ctx_store_failed(c, e, "visitor"))
		session_reply(c, org, b->row.id);
}

void ch_h_widget_session(ch_ctx *c)
{
	ch_org_row org;
	if (ch_org_of_guid_path(c, "/api/widget/", &org))
		return;
	session_bufs *b = ch_xcalloc(1, sizeof *b);
	json_t *jattrs = NULL;
	session(c, &org, b, &jattrs);
	json_decref(jattrs);
	free(b);
}

/* The transports of docs/hub.md, with their transfer formats: Server-Sent
 * Events carry text only, so MessagePack needs one of the other two. */
static json_t *transports(void)
{
	return json_pack("[{s:s, s:[s, s]}, {s:s, s:[s]}, {s:s, s:[s, s]}]", "transport", "WebSockets",
	                 "transferFormats", "Text", "Binary", "transport", "ServerSentEvents", "transferFormats", "Text",
	                 "transport", "LongPolling", "transferFormats", "Text", "Binary");
}

/* The connection itself is registered by net/ on the network thread when this
 * answer comes back (resp->hub_negotiated), before the client can use it. */
void ch_h_negotiate(ch_ctx *c)
{
	/* ids any process of a cluster can check (auth/principal.h) */
	char id[CH_CONN_TOKEN_LEN + 1], token[CH_CONN_TOKEN_LEN + 1];
	ch_principal p = ch_principal_from_claims(&c->req->claims);
	ch_principal_conn_token(c->api->o.key, &p, id);
	ch_principal_conn_token(c->api->o.key, &p, token);
	const char *v = ch_ctx_arg(c, "negotiateVersion");
	if (v && !strcmp(v, "0")) { /* version 0: the connectionId is the id */
		ch_ctx_json(c, 200, json_pack("{s:s, s:i, s:o}", "connectionId", id, "negotiateVersion", 0,
		                              "availableTransports", transports()));
		snprintf(c->resp->hub_negotiated, sizeof c->resp->hub_negotiated, "%s", id);
		return;
	}
	ch_ctx_json(c, 200, json_pack("{s:s, s:s, s:i, s:o}", "connectionId", id, "connectionToken", token,
	                              "negotiateVersion", 1, "availableTransports", transports()));
	snprintf(c->resp->hub_negotiated, sizeof c->resp->hub_negotiated, "%s", token);
}

void ch_h_widget_message(ch_ctx *c)
{
	ch_org_row org;
	int64_t chat_id = 0;
	if (ch_org_of_guid_path(c, "/api/widget/", &org))
		return;
	if (org.company_id != c->who.company_id || org.id != c->who.org_id) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "unknown widget guid");
		return;
	}
	if (ch_body_object(c))
		return;
	json_t *id = json_object_get(c->body, "chatId");
	if (id && !json_is_null(id) && ch_get_int(c, c->body, "", "chatId", 0, 1, INT64_MAX, &chat_id) < 0)
		return;
	ch_api_send_message(c, chat_id, 1);
}
