/* demo.c — the server side of the /demo/ pages (only with `serve --demo`).
 *
 * An integrator's backend gets an operator token by walking the public API:
 * company token → organizations → operators → operator token. The demo's
 * "operator CRM" page needs exactly that, so these endpoints walk the same
 * four requests through the real request pipeline (ch_api_handle: routing,
 * rate limits, authentication, the handlers) and report each step:
 *
 *   GET  /demo/api/site                         → {"guid", "organization", "steps"}
 *   POST /demo/api/operator-token?operator=Bob  → {"token", "expiresAt", "operator", "organization", "steps"}
 *
 * They run outside a store transaction (each sub-request opens its own) on the
 * hash pool, because the first step verifies the demo password.
 * Threading: API worker threads. */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "api/internal.h"
#include "core/clock.h"

#define DEMO_TOKEN_HOURS 8

/* One public API request through the full pipeline. Returns its status;
 * *out (caller frees with ch_resp_free) holds the response. */
static int sub_request(ch_api *a, const ch_req *orig, ch_method m, const char *path, const char *arg,
                       const char *token, const char *body, ch_resp *out)
{
	char auth[4096];
	ch_req r = {.id = orig->id, .method = m, .path = (char *)path};
	memcpy(r.peer, orig->peer, sizeof r.peer);
	if (arg)
		r.args[r.nargs++] = (char *)arg;
	if (token) {
		snprintf(auth, sizeof auth, "Bearer %s", token);
		r.authorization = auth;
	}
	r.accept = "text/plain";
	if (body) {
		r.content_type = "application/json";
		ch_buf_puts(&r.body, body);
	}
	memset(out, 0, sizeof *out);
	ch_api_handle(a, &r, out);
	ch_buf_free(&r.body);
	return out->status;
}

static void step(json_t *steps, const char *call, int status)
{
	json_array_append_new(steps, json_pack("{s:s, s:i}", "request", call, "status", status));
}

static void reply(ch_resp *resp, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	resp->status = status;
	resp->content_type = "application/json; charset=utf-8";
	resp->route = "demo";
	ch_buf_puts(&resp->body, s ? s : "{}");
	ch_resp_header(resp, "Cache-Control", "no-store");
	free(s);
	json_decref(j);
}

static void fail(ch_resp *resp, int status, json_t *steps, const char *what, const ch_resp *sub)
{
	json_t *j = json_pack("{s:s, s:o}", "error", what, "steps", steps);
	if (sub && sub->body.len)
		json_object_set_new(j, "detail", json_stringn(sub->body.data, sub->body.len));
	reply(resp, status, j);
}

/* The body of a sub-response as JSON (NULL if it is not). */
static json_t *parse(const ch_resp *r)
{
	return json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
}

/* Steps 1 and 2: the company token and the first organization. */
static int company_and_org(ch_api *a, const ch_req *req, json_t *steps, char *token, size_t n,
                           json_t **org, ch_resp *resp)
{
	ch_resp s;
	char body[256];
	snprintf(body, sizeof body, "{\"login\":\"%s\",\"password\":\"%s\"}", CH_DEMO_LOGIN, CH_DEMO_PASSWORD);
	int st = sub_request(a, req, CH_M_POST, "/api/company/get-token", NULL, NULL, body, &s);
	step(steps, "POST /api/company/get-token", st);
	if (st != 200 || s.body.len >= n) {
		fail(resp, 502, steps, "the demo company cannot log in", &s);
		ch_resp_free(&s);
		return -1;
	}
	memcpy(token, s.body.data, s.body.len);
	token[s.body.len] = '\0';
	ch_resp_free(&s);

	st = sub_request(a, req, CH_M_GET, "/api/company/organization", NULL, token, NULL, &s);
	step(steps, "GET /api/company/organization", st);
	json_t *list = st == 200 ? parse(&s) : NULL;
	json_t *first = json_array_get(list, 0);
	if (!first) {
		fail(resp, 502, steps, "the demo company has no organization", &s);
		json_decref(list);
		ch_resp_free(&s);
		return -1;
	}
	char path[64];
	snprintf(path, sizeof path, "/api/company/organization/%lld",
	         (long long)json_integer_value(json_object_get(first, "id")));
	json_decref(list);
	ch_resp_free(&s);

	st = sub_request(a, req, CH_M_GET, path, NULL, token, NULL, &s); /* its widget guid */
	step(steps, "GET /api/company/organization/{id}", st);
	*org = st == 200 ? parse(&s) : NULL;
	if (!json_is_string(json_object_get(*org, "guid"))) {
		fail(resp, 502, steps, "the demo organization cannot be read", &s);
		json_decref(*org);
		ch_resp_free(&s);
		return -1;
	}
	ch_resp_free(&s);
	return 0;
}

static json_t *org_brief(json_t *org)
{
	return json_pack("{s:O, s:O, s:O}", "id", json_object_get(org, "id"), "name", json_object_get(org, "name"),
	                 "guid", json_object_get(org, "guid"));
}

static void site(ch_api *a, const ch_req *req, ch_resp *resp)
{
	char token[4096];
	json_t *steps = json_array(), *org = NULL;
	if (company_and_org(a, req, steps, token, sizeof token, &org, resp))
		return;
	reply(resp, 200, json_pack("{s:O, s:o, s:o}", "guid", json_object_get(org, "guid"), "organization",
	                           org_brief(org), "steps", steps));
	json_decref(org);
}

/* The operator named by ?operator= (case-insensitive), else the first Active one. */
static json_t *pick_operator(json_t *ops, const char *want)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		const char *name = json_string_value(json_object_get(op, "name"));
		if (json_integer_value(json_object_get(op, "status")) != 0 || !name)
			continue;
		if (!want || !*want || !strcasecmp(name, want))
			return op;
	}
	return NULL;
}

static void operator_token(ch_api *a, const ch_req *req, ch_resp *resp)
{
	char token[4096], path_arg[64], body[256], expires[25];
	json_t *steps = json_array(), *org = NULL;
	if (company_and_org(a, req, steps, token, sizeof token, &org, resp))
		return;
	const char *want = NULL;
	for (int i = 0; i < req->nargs; i++)
		if (!strncmp(req->args[i], "operator=", 9))
			want = req->args[i] + 9;

	ch_resp s;
	snprintf(path_arg, sizeof path_arg, "organizationId=%lld",
	         (long long)json_integer_value(json_object_get(org, "id")));
	int st = sub_request(a, req, CH_M_GET, "/api/operator", path_arg, token, NULL, &s);
	step(steps, "GET /api/operator?organizationId=…", st);
	json_t *ops = st == 200 ? parse(&s) : NULL;
	json_t *op = pick_operator(ops, want);
	if (!op) {
		fail(resp, 404, steps, "no such active operator in the demo organization", NULL);
		goto out;
	}
	ch_resp_free(&s);

	ch_iso8601_format(ch_now_ms() + (int64_t)DEMO_TOKEN_HOURS * 3600 * 1000, expires);
	snprintf(body, sizeof body, "{\"id\":%lld,\"expiresAt\":\"%s\"}",
	         (long long)json_integer_value(json_object_get(op, "id")), expires);
	st = sub_request(a, req, CH_M_POST, "/api/operator/get-token", NULL, token, body, &s);
	step(steps, "POST /api/operator/get-token", st);
	if (st != 200) {
		fail(resp, 502, steps, "the operator token was refused", &s);
		goto out;
	}
	json_t *j = json_pack("{s:s%, s:s, s:{s:O, s:O}, s:o, s:o}", "token", s.body.data, s.body.len,
	                      "expiresAt", expires, "operator", "id", json_object_get(op, "id"), "name",
	                      json_object_get(op, "name"), "organization", org_brief(org), "steps", steps);
	reply(resp, 200, j);
out:
	ch_resp_free(&s);
	json_decref(ops);
	json_decref(org);
}

int ch_demo_owns(const char *path)
{
	return !strncmp(path, "/demo/api/", 10);
}

void ch_demo_handle(ch_api *a, const ch_req *req, ch_resp *resp)
{
	int is_site = !strcmp(req->path, "/demo/api/site");
	int is_token = !strcmp(req->path, "/demo/api/operator-token");
	if (!a->o.demo || (!is_site && !is_token)) {
		resp->route = "not_found";
		ch_api_error_resp(resp, CH_ERR_NOT_FOUND, "no such endpoint: %s (the demo runs with serve --demo)",
		                  req->path);
		return;
	}
	if ((is_site && req->method != CH_M_GET) || (is_token && req->method != CH_M_POST)) {
		resp->route = "method_not_allowed";
		ch_resp_header(resp, "Allow", "%s", is_site ? "GET" : "POST");
		ch_api_error_resp(resp, CH_ERR_METHOD, "%s only", is_site ? "GET" : "POST");
		return;
	}
	if (is_site)
		site(a, req, resp);
	else
		operator_token(a, req, resp);
}
