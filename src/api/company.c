/* company.c — company login and organization management:
 * POST /api/company/get-token, POST /api/company/password, GET /api/company/status,
 * GET/POST /api/company/organization,
 * GET/PUT /api/company/organization/{id}.
 * Threading: handlers run on worker threads (get-token on the hash pool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "bus/counter.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/random.h"
#include "core/ratelimit.h"

static json_t *org_details(const ch_org_row *o, const ch_org_secrets *sec);

/* The three login buckets count failed attempts only (cluster-wide through
 * Redis when a bus_url is set, see shared_wait): per (login, address),
 * per address whatever the login, and per login from anywhere (a ceiling ten
 * times higher, against distributed guessing). A correct password is limited
 * only by the general API rate limit, so nobody can lock a company out by
 * failing on purpose from another address. */
typedef struct login_keys {
	char pair[CH_LOGIN_MAX + 96], ip[80], name[CH_LOGIN_MAX + 16];
} login_keys;

static void keys_of(ch_ctx *c, const char *login, login_keys *k)
{
	snprintf(k->pair, sizeof k->pair, "%s|%.*s", c->req->peer, CH_LOGIN_MAX, login);
	snprintf(k->ip, sizeof k->ip, "ip:%s", c->req->peer);
	snprintf(k->name, sizeof k->name, "login:%.*s", CH_LOGIN_MAX, login);
}

/* The cluster-wide counts (Redis, one minute windows) when configured: the
 * seconds until the window ends when a key is over its limit, 0 when none is,
 * -1 when Redis cannot answer (the process's own buckets decide then). */
static int shared_wait(ch_ctx *c, const login_keys *k)
{
	int64_t per_min = c->api->o.login_per_minute, n;
	const char *keys[3] = {k->pair, k->ip, k->name};
	const int64_t limit[3] = {per_min, per_min * 3, per_min * 10};
	for (int i = 0; i < 3; i++) {
		int reset;
		if (ch_counter_get(keys[i], 60000, c->now_ms, &n, &reset))
			return -1;
		if (n >= limit[i])
			return reset;
	}
	return 0;
}

/* Retry-After + 429 when any of the login's buckets is empty. */
static int login_limited(ch_ctx *c, const login_keys *k)
{
	ch_api *a = c->api;
	int wait = ch_counter_enabled() ? shared_wait(c, k) : -1;
	if (wait < 0) {
		int64_t mono = ch_mono_ms();
		wait = ch_ratelimit_peek(a->login_fail, k->pair, mono);
		if (!wait)
			wait = ch_ratelimit_peek(a->login_ip, k->ip, mono);
		if (!wait)
			wait = ch_ratelimit_peek(a->login_name, k->name, mono);
	}
	if (!wait)
		return 0;
	ch_resp_header(c->resp, "Retry-After", "%d", wait);
	ch_ctx_error(c, CH_ERR_RATE_LIMITED, "too many failed login attempts; retry in %d s", wait);
	return 1;
}

/* Counted in the process's buckets always (they decide while Redis is away)
 * and cluster-wide when configured. */
static void login_failed(ch_ctx *c, const login_keys *k)
{
	int64_t mono = ch_mono_ms();
	ch_ratelimit_take(c->api->login_fail, k->pair, mono);
	ch_ratelimit_take(c->api->login_ip, k->ip, mono);
	ch_ratelimit_take(c->api->login_name, k->name, mono);
	if (ch_counter_enabled() && (ch_counter_incr(k->pair, 60000, c->now_ms) ||
	                             ch_counter_incr(k->ip, 60000, c->now_ms) ||
	                             ch_counter_incr(k->name, 60000, c->now_ms)))
		CH_DEBUG("login limits: a failed attempt was counted by this process only");
}

/* Answers a company token of the given epoch (get-token, password). */
static void answer_token(ch_ctx *c, int64_t company_id, int64_t epoch)
{
	int64_t now = c->now_ms / 1000;
	int64_t ttl = c->api->o.company_token_ttl_s; /* 0: until revoked, as the public API's tokens */
	ch_token_claims cl = {.kind = CH_TOKEN_COMPANY, .sub = company_id, .company_id = company_id, .epoch = epoch,
	                      .iat = now, .exp = ttl ? now + ttl : 0};
	char *tok = ch_ctx_sign(c, &cl);
	if (tok)
		ch_ctx_token(c, tok);
	free(tok);
}

void ch_h_company_get_token(ch_ctx *c)
{
	const char *login, *pw;
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "login", 1, 0, 4096, &login) ||
	    ch_get_str(c, c->body, "", "password", 1, 0, 4096, &pw))
		return;
	login_keys k;
	keys_of(c, login, &k);
	if (login_limited(c, &k))
		return;
	ch_company_row co;
	ch_err e = strlen(login) <= CH_LOGIN_MAX ? ch_svc_company_of_login(c->tx, login, &co)
	                                          : CH_ERR_NOT_FOUND;
	if (e == CH_ERR_NOT_FOUND) {
		ch_password_burn(c->api->o.pw_cost); /* same time as a wrong password */
		e = CH_ERR_BAD_LOGIN;
	} else if (e == CH_OK) {
		e = ch_password_verify(co.password_hash, pw, json_string_length(json_object_get(c->body, "password")));
	}
	if (e == CH_ERR_BAD_LOGIN) {
		login_failed(c, &k);
		ch_ctx_error(c, e, "bad login or password");
		return;
	}
	if (!ch_ctx_store_failed(c, e, "company"))
		answer_token(c, co.id, co.token_epoch);
}

/* POST /api/company/password: the current password is checked as get-token
 * checks it (same hash work, same failed-attempt buckets keyed by the
 * company's login), so a stolen company token can neither take the login
 * over nor guess the password faster than the login allows. A company
 * token only: an API key is not a login. The new hash moves the token epoch,
 * which revokes every company token (hub connections included); the answer is
 * a fresh one. */
void ch_h_company_password(ch_ctx *c)
{
	const char *cur, *pw;
	if (c->who.key_id) {
		ch_ctx_error(c, CH_ERR_WRONG_KIND, "the password is changed with a company token, not with an API key");
		return;
	}
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "currentPassword", 1, 0, 4096, &cur) ||
	    ch_get_str(c, c->body, "", "newPassword", 1, 1, CH_PASSWORD_MAX, &pw))
		return;
	/* no NUL inside: the JSON parser refuses \u0000 (1001) */
	ch_company_row co;
	ch_err e = ch_svc_company_get(c->tx, c->who.company_id, &co);
	if (ch_ctx_store_failed(c, e, "company"))
		return;
	login_keys k;
	keys_of(c, co.login, &k);
	if (login_limited(c, &k))
		return;
	e = ch_password_verify(co.password_hash, cur, json_string_length(json_object_get(c->body, "currentPassword")));
	if (e == CH_ERR_BAD_LOGIN) {
		login_failed(c, &k);
		ch_ctx_error(c, e, "the current password is wrong");
		return;
	}
	char hash[CH_HASH_MAX + 1];
	if (!e && ch_password_hash(pw, strlen(pw), c->api->o.pw_cost, hash))
		e = CH_ERR_INTERNAL;
	int64_t epoch = 0;
	ch_principal p = ch_principal_from_claims(&c->who);
	if (!e)
		e = ch_svc_company_password_wait(&p, co.id, hash, &epoch);
	if (!ch_ctx_store_failed(c, e, "company"))
		answer_token(c, co.id, epoch);
}

json_t *ch_json_org(const ch_org_row *o, int full)
{
	json_t *j = json_pack("{s:I, s:s}", "id", (json_int_t)o->id, "name", o->name);
	if (full) {
		json_t *origins = json_loads(o->allowed_origins, 0, NULL);
		json_object_set_new(j, "guid", json_string(o->guid));
		json_object_set_new(j, "allowedOrigins", json_is_array(origins) ? origins : json_array());
		if (!json_is_array(origins))
			json_decref(origins);
		json_object_set_new(j, "maxChatsPerOperator", json_integer(o->max_chats_per_operator));
		json_object_set_new(j, "autoCloseWaitingMinutes", json_integer(o->auto_close_waiting));
		json_object_set_new(j, "autoCloseOpenMinutes", json_integer(o->auto_close_open));
		json_object_set_new(j, "autoCloseOnPauseMinutes", json_integer(o->auto_close_on_pause));
		json_object_set_new(j, "retentionDays", json_integer(o->retention_days));
		json_object_set_new(j, "csatEnabled", json_boolean(o->csat_enabled));
		char ts[25];
		ch_iso8601_format(o->created_at, ts);
		json_object_set_new(j, "createdAt", json_string(ts));
	}
	return j;
}

static void add_org(void *ctx, const ch_org_row *o) { json_array_append_new(ctx, ch_json_org(o, 0)); }

void ch_h_org_list(ch_ctx *c)
{
	json_t *arr = json_array();
	ch_err e = ch_svc_orgs(c->tx, c->who.company_id, add_org, arr);
	if (ch_ctx_store_failed(c, e, "organization")) {
		json_decref(arr);
		return;
	}
	ch_ctx_json(c, 200, arr);
}

void ch_h_org_create(ch_ctx *c)
{
	const char *name;
	char guid[CH_GUID_LEN + 1];
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "name", 1, 1, CH_NAME_MAX, &name))
		return;
	ch_random_guid(guid);
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_org_row row;
	ch_err e = ch_svc_org_create_wait(&p, name, guid, &row);
	if (!ch_ctx_store_failed(c, e, "organization"))
		ch_ctx_json(c, 201, ch_json_org(&row, 0));
}

static int org_id_or_404(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "organization not found");
		return -1;
	}
	return 0;
}

void ch_h_org_get(ch_ctx *c)
{
	ch_org_row o;
	ch_org_secrets sec;
	if (org_id_or_404(c))
		return;
	ch_err e = ch_svc_org_get(c->tx, c->who.company_id, c->path_id, &o);
	if (!e)
		e = ch_svc_org_settings(c->tx, c->who.company_id, c->path_id, &sec);
	if (!ch_ctx_store_failed(c, e, "organization"))
		ch_ctx_json(c, 200, org_details(&o, &sec));
}

/* The organization with its settings (company tokens only). */
static json_t *org_details(const ch_org_row *o, const ch_org_secrets *sec)
{
	json_t *j = ch_json_org(o, 1);
	/* the secrets are never answered: whoever set one has it; the answer says whether one is set */
	json_object_set_new(j, "identitySecretSet", json_boolean(sec->identity_secret[0] != '\0'));
	json_object_set_new(j, "channelSecretSet", json_boolean(sec->channel_secret[0] != '\0'));
	json_object_set_new(j, "outboundUrl", json_string(sec->outbound_url));
	json_object_set_new(j, "prechatForm", json_boolean(sec->prechat_form));
	json_object_set_new(j, "operatorsManageCanned", json_boolean(sec->operators_manage_canned));
	return j;
}

/* A host name is checked at each delivery, after resolution; a literal
 * address can be refused at once. */
static int outbound_url_refused(ch_ctx *c, const char *url)
{
	ch_netaddr_url u;
	uint32_t a;
	int allow_private = c->api->o.outbound_allow_private;
	const char *why = ch_netaddr_url_parse(url, &u);
	if (why) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "outboundUrl: %s", why);
		return 1;
	}
	if (ch_netaddr_parse_v4(u.host, &a) || ch_netaddr_is_public(a, allow_private))
		return 0;
	ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "outboundUrl: %s is a %s address; deliveries go only to %s", u.host,
	             ch_netaddr_kind_name(ch_netaddr_kind_v4(a)),
	             allow_private ? "public, loopback, private, link-local and CGNAT addresses" : "public addresses");
	return 1;
}

static int read_settings(ch_ctx *c, ch_svc_org_change *j)
{
	const char *url = NULL;
	json_t *pf = json_object_get(c->body, "prechatForm");
	json_t *mc = json_object_get(c->body, "operatorsManageCanned");
	json_t *cs = json_object_get(c->body, "csatEnabled");
	if (ch_get_str(c, c->body, "", "identitySecret", 0, 16, 64, &j->identity_secret) < 0 ||
	    ch_get_str(c, c->body, "", "channelSecret", 0, 16, 64, &j->channel_secret) < 0 ||
	    ch_get_str(c, c->body, "", "outboundUrl", 0, 0, 1024, &url) < 0)
		return -1;
	if (url && *url && outbound_url_refused(c, url))
		return -1;
	if (pf && !json_is_null(pf) && !json_is_boolean(pf)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "prechatForm: must be true or false");
		return -1;
	}
	if (mc && !json_is_null(mc) && !json_is_boolean(mc)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "operatorsManageCanned: must be true or false");
		return -1;
	}
	if (cs && !json_is_null(cs) && !json_is_boolean(cs)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "csatEnabled: must be true or false");
		return -1;
	}
	j->outbound_url = url;
	j->prechat_form = json_is_boolean(pf) ? json_is_true(pf) : -1;
	j->operators_manage_canned = json_is_boolean(mc) ? json_is_true(mc) : -1;
	j->csat_enabled = json_is_boolean(cs) ? json_is_true(cs) : -1;
	return 0;
}

/* Minutes of silence per status after which a chat is closed; 0 = never. */
static int read_auto_close(ch_ctx *c, ch_svc_org_change *j)
{
	const int64_t max = CH_AUTO_CLOSE_MINUTES_MAX;
	if (ch_get_int(c, c->body, "", "autoCloseWaitingMinutes", 0, 0, max, &j->auto_close_waiting) < 0 ||
	    ch_get_int(c, c->body, "", "autoCloseOpenMinutes", 0, 0, max, &j->auto_close_open) < 0 ||
	    ch_get_int(c, c->body, "", "autoCloseOnPauseMinutes", 0, 0, max, &j->auto_close_on_pause) < 0)
		return -1;
	/* days after which closed chats are erased (docs/privacy.md); 0 = keep */
	j->retention_days = -1;
	if (ch_get_int(c, c->body, "", "retentionDays", 0, 0, CH_RETENTION_DAYS_MAX, &j->retention_days) < 0)
		return -1;
	j->has_retention = j->retention_days >= 0;
	return 0;
}

/* An allowed origin is scheme://host[:port] with nothing after it. */
static int valid_origin(const char *s)
{
	const char *p = !strncmp(s, "https://", 8) ? s + 8 : !strncmp(s, "http://", 7) ? s + 7 : NULL;
	if (!p || !*p || strlen(s) > 255)
		return 0;
	for (; *p; p++)
		if (*p == '/' || *p == '?' || *p == '#' || *p == ' ' || (unsigned char)*p < 0x21)
			return 0;
	return 1;
}

static int read_origins(ch_ctx *c, char **out)
{
	json_t *v = json_object_get(c->body, "allowedOrigins");
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_array(v)) {
		ch_ctx_error(c, CH_ERR_BAD_JSON, "allowedOrigins: must be an array of strings");
		return -1;
	}
	if (json_array_size(v) > 16) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "allowedOrigins: at most 16 origins");
		return -1;
	}
	size_t i;
	json_t *o;
	json_array_foreach(v, i, o)
	{
		if (!json_is_string(o)) {
			ch_ctx_error(c, CH_ERR_BAD_JSON, "allowedOrigins[%zu]: must be a string", i);
			return -1;
		}
		if (!valid_origin(json_string_value(o))) {
			ch_ctx_error(c, CH_ERR_OUT_OF_RANGE,
			             "allowedOrigins[%zu]: must be an origin like https://shop.example.com", i);
			return -1;
		}
	}
	*out = json_dumps(v, JSON_COMPACT);
	return 0;
}

void ch_h_org_update(ch_ctx *c)
{
	ch_svc_org_change j = {.id = c->path_id, .max_chats = -1, .prechat_form = -1,
	                       .operators_manage_canned = -1, .auto_close_waiting = -1, .auto_close_open = -1,
	                       .auto_close_on_pause = -1, .csat_enabled = -1};
	char *origins = NULL;
	if (org_id_or_404(c) || ch_body_object(c) ||
	    ch_get_str(c, c->body, "", "name", 0, 1, CH_NAME_MAX, &j.name) < 0 ||
	    ch_get_int(c, c->body, "", "maxChatsPerOperator", 0, 1, 1000, &j.max_chats) < 0 ||
	    read_auto_close(c, &j) < 0 || read_settings(c, &j) < 0 || read_origins(c, &origins) < 0)
		return;
	j.origins_json = origins;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_org_row row;
	ch_org_secrets sec;
	ch_err e = ch_svc_org_update_wait(&p, &j, &row, &sec);
	free(origins);
	if (!ch_ctx_store_failed(c, e, "organization"))
		ch_ctx_json(c, 200, org_details(&row, &sec));
}

/* GET /api/company/status: what the console's home page shows; one cheap
 * read (the setting `chathub backup` writes). */
void ch_h_company_status(ch_ctx *c)
{
	int64_t ms = 0;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = ch_svc_principal_valid(c->tx, &p); /* revoked by another process a moment ago? */
	if (!e)
		e = ch_svc_last_backup_ms(c->tx, &ms);
	if (ch_ctx_store_failed(c, e, "status"))
		return;
	char ts[25];
	if (ms > 0)
		ch_iso8601_format(ms, ts);
	ch_ctx_json(c, 200, json_pack("{s:o}", "lastBackupAt", ms > 0 ? json_string(ts) : json_null()));
}
