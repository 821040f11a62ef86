/* bots.c — Telegram and Viber bots (svc/bots.c does the work):
 *   GET/POST /api/company/organization/{id}/channels, DELETE …/channels/{id}:
 *     a company's connections (company token or API key; the token never
 *     comes back);
 *   POST /api/channels/telegram/{key}, /api/channels/viber/{key}: the
 *     platforms' webhook calls, whose proof svc checks over the raw bytes
 *     before anything reads them.
 * Threading: API worker threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "core/baseurl.h"

static void request_base(ch_ctx *c, char base[CH_BASE_URL_MAX])
{
	ch_base_url(c->api->o.public_url, c->req->host, c->req->forwarded_proto, base);
}

typedef struct list_ctx {
	json_t *items;
	const char *base;
} list_ctx;

static void add_bot(void *ctx, const ch_channel_conn_row *r)
{
	list_ctx *l = ctx;
	json_array_append_new(l->items, ch_svc_json_bot(r, l->base));
}

void ch_h_bot_list(ch_ctx *c)
{
	char base[CH_BASE_URL_MAX];
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "organization not found");
		return;
	}
	request_base(c, base);
	list_ctx l = {json_array(), base};
	if (ch_ctx_store_failed(c, ch_svc_bots_list(c->tx, c->who.company_id, c->path_id, add_bot, &l), "organization")) {
		json_decref(l.items);
		return;
	}
	ch_ctx_json(c, 200, l.items);
}

static int read_type(ch_ctx *c, int *type)
{
	const char *t;
	if (ch_get_str(c, c->body, "", "type", 1, 1, 16, &t))
		return -1;
	*type = !strcmp(t, "telegram") ? CH_CHANNEL_TELEGRAM : !strcmp(t, "viber") ? CH_CHANNEL_VIBER : 0;
	if (!*type) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "type: \"telegram\" or \"viber\"");
		return -1;
	}
	return 0;
}

void ch_h_bot_create(ch_ctx *c)
{
	const char *name, *token;
	int type;
	char base[CH_BASE_URL_MAX], why[320];
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "organization not found");
		return;
	}
	if (ch_body_object(c) || read_type(c, &type) || ch_get_str(c, c->body, "", "name", 1, 1, CH_NAME_MAX, &name) ||
	    ch_get_str(c, c->body, "", "token", 1, 1, 200, &token))
		return;
	request_base(c, base);
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_bot_new in = {.org_id = c->path_id, .type = type, .name = name, .token = token, .base_url = base};
	ch_channel_conn_row *out = ch_xcalloc(1, sizeof *out);
	ch_err e = ch_svc_bot_create_wait(&p, &in, out, why, sizeof why);
	if (e == CH_OK)
		ch_ctx_json(c, 201, ch_svc_json_bot(out, base));
	else if (why[0])
		ch_ctx_error(c, e, "%s", why);
	else
		ch_ctx_store_failed(c, e, "organization");
	free(out);
}

void ch_h_bot_delete(ch_ctx *c)
{
	int64_t id = 0;
	const char *seg = strrchr(c->req->path, '/');
	char why[320];
	if (c->path_id_bad || strlen(seg + 1) > 20 || ch_parse_id(seg + 1, &id)) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "channel connection not found");
		return;
	}
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = ch_svc_bot_delete_wait(&p, c->path_id, id, why, sizeof why);
	if (e == CH_ERR_NOT_FOUND)
		ch_ctx_error(c, e, "channel connection not found");
	else if (!ch_ctx_store_failed(c, e, "channel connection"))
		ch_ctx_text(c, 200, "OK", 2);
}

/* A platform's webhook call: proof first (svc), then the update. */
static void inbound(ch_ctx *c, int type, const char *prefix, const char *proof)
{
	const char *key = c->req->path + strlen(prefix);
	char why[320];
	if (strlen(key) != 32 || strspn(key, "0123456789abcdef") != 32) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "channel connection not found");
		return;
	}
	ch_svc_bot_call call = {.type = type, .public_key = key, .proof = proof, .body = c->req->body.data,
	                        .len = c->req->body.len, .too_large = c->req->body_too_large};
	ch_err e = ch_svc_bot_inbound(&call, why, sizeof why);
	switch (e) {
	case CH_OK: ch_ctx_text(c, 200, "OK", 2); break;
	case CH_ERR_NOT_FOUND: ch_ctx_error(c, e, "channel connection not found"); break;
	case CH_ERR_NO_TOKEN:
		ch_ctx_error(c, e, type == CH_CHANNEL_TELEGRAM ? "X-Telegram-Bot-Api-Secret-Token is missing or wrong"
		                                              : "X-Viber-Content-Signature is missing or wrong");
		break;
	case CH_ERR_TOO_LARGE: ch_ctx_error(c, e, "the body is larger than this endpoint accepts"); break;
	case CH_ERR_BAD_JSON: ch_ctx_error(c, e, "not an update: %s", why); break;
	case CH_ERR_BUSY: ch_ctx_error(c, e, "%s", why[0] ? why : "try again later"); break;
	default: ch_ctx_store_failed(c, e, "channel connection");
	}
}

void ch_h_bot_telegram(ch_ctx *c) { inbound(c, CH_CHANNEL_TELEGRAM, "/api/channels/telegram/", c->req->tg_secret); }

void ch_h_bot_viber(ch_ctx *c) { inbound(c, CH_CHANNEL_VIBER, "/api/channels/viber/", c->req->viber_signature); }
