/* bots.c — Telegram and Viber bots as native channels (see svc.h "bots"):
 * an organization's connections (created with the bot token, which is kept
 * encrypted and never returned; creating one registers its webhook with the
 * platform, removing it unregisters it), the platforms' webhook calls
 * (proof checked on the raw bytes before anything is parsed; deduplicated by
 * the platform's update or message id; media fetched from the platform with a
 * size bound) and the request each operator reply becomes (sent by the
 * delivery outbox, svc/outbound.c) with what the platform's answer means.
 * What the platforms' JSON looks like is chat/platform.c's business.
 * Threading: the _wait and inbound functions block (store, HTTP): worker
 * threads only; the configuration is set once at start. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/mediatype.h"
#include "chat/platform.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "svc/internal.h"

#define TOKEN_MAX 200
#define HOOK_PATH_TELEGRAM "/api/channels/telegram/"
#define HOOK_PATH_VIBER "/api/channels/viber/"
#define VIBER_AUTH_HEADER "x-viber-auth-token"

static struct {
	char telegram[CH_BASE_URL_MAX];
	char viber[CH_BASE_URL_MAX];
	int64_t media_max;
	int allow_private;
	unsigned char key[crypto_secretbox_KEYBYTES];
	int keyed;
} B = {.telegram = "https://api.telegram.org", .viber = "https://chatapi.viber.com/pa", .media_max = 10485760};

void ch_svc_bots_configure(const ch_svc_bots_opts *o)
{
	if (o->telegram_api_url && *o->telegram_api_url)
		ch_base_url(o->telegram_api_url, NULL, NULL, B.telegram);
	if (o->viber_api_url && *o->viber_api_url)
		ch_base_url(o->viber_api_url, NULL, NULL, B.viber);
	if (o->media_max_bytes > 0)
		B.media_max = o->media_max_bytes;
	B.allow_private = o->allow_private;
	const ch_token_key *k = ch_svc_ctx()->key;
	static const char ctx_tag[] = "chathub bot tokens v1";
	if (k && k->len >= crypto_generichash_KEYBYTES_MIN) {
		crypto_generichash(B.key, sizeof B.key, (const unsigned char *)ctx_tag, sizeof ctx_tag - 1, k->bytes,
		                   k->len);
		B.keyed = 1;
	}
}

const char *ch_svc_bot_type_name(int type)
{
	return type == CH_CHANNEL_TELEGRAM ? "telegram" : type == CH_CHANNEL_VIBER ? "viber" : "";
}

/* ---- the token at rest ------------------------------------------------------ */

static int token_seal(const char *token, ch_channel_conn_row *r)
{
	size_t n = strlen(token);
	if (!B.keyed || crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n > sizeof r->token_enc)
		return -1;
	randombytes_buf(r->token_enc, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(r->token_enc + crypto_secretbox_NONCEBYTES, (const unsigned char *)token, n,
	                      r->token_enc, B.key);
	r->token_enc_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	return 0;
}

/* The connection's token into out (TOKEN_MAX + 1 bytes); -1 when it cannot
 * be opened (another server secret). */
static int token_open(const ch_channel_conn_row *r, char out[TOKEN_MAX + 1])
{
	size_t over = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
	out[0] = '\0';
	if (!B.keyed || r->token_enc_len <= over || r->token_enc_len - over > TOKEN_MAX)
		return -1;
	size_t n = r->token_enc_len - over;
	if (crypto_secretbox_open_easy((unsigned char *)out, r->token_enc + crypto_secretbox_NONCEBYTES,
	                               r->token_enc_len - crypto_secretbox_NONCEBYTES, r->token_enc, B.key))
		return -1;
	out[n] = '\0';
	return 0;
}

/* Telegram: <digits>:<letters, digits, '_', '-'>; Viber: letters, digits and
 * '-'. Either goes into a URL path or a header, so nothing else is allowed. */
static const char *token_shape(int type, const char *t)
{
	size_t n = strlen(t);
	if (n < 20 || n > TOKEN_MAX)
		return "token: not a bot token (20 to 200 characters)";
	const char *colon = strchr(t, ':');
	if (type == CH_CHANNEL_TELEGRAM && (!colon || colon == t))
		return "token: a Telegram bot token looks like 123456789:AA… (as @BotFather gives it)";
	for (const char *p = t; *p; p++) {
		int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		         (type == CH_CHANNEL_TELEGRAM && (*p == '_' || (*p == ':' && p == colon)));
		if (!ok || (type == CH_CHANNEL_TELEGRAM && p < colon && (*p < '0' || *p > '9')))
			return type == CH_CHANNEL_TELEGRAM ? "token: a Telegram bot token looks like 123456789:AA… (as @BotFather gives it)"
			                                   : "token: a Viber bot token has only letters, digits and '-'";
	}
	return NULL;
}

/* ---- platform calls --------------------------------------------------------- */

/* The URL of a Bot API method: Telegram's carries the token, Viber's takes
 * it in a header (X-Viber-Auth-Token). */
static void method_url(int type, const char *token, const char *method, char *out, size_t n)
{
	if (type == CH_CHANNEL_TELEGRAM)
		snprintf(out, n, "%s/bot%s/%s", B.telegram, token, method);
	else
		snprintf(out, n, "%s/%s", B.viber, method);
}

/* A call of the platform's Bot API for connection r (token in clear). */
static void platform_call(int type, const char *token, const char *method, const char *body, size_t len,
                          ch_svc_http_answer *ans)
{
	char url[CH_BASE_URL_MAX + TOKEN_MAX + 64];
	ch_svc_http_call_in in = {.url = url, .body = body, .len = len, .allow_private = 1};
	method_url(type, token, method, url, sizeof url);
	if (type == CH_CHANNEL_VIBER) {
		in.h[0].name = VIBER_AUTH_HEADER;
		in.h[0].value = token;
		in.nh = 1;
	}
	ch_svc_http_call(&in, ans);
}

/* What a platform said of a call (its verdict as chat/platform.c reads a
 * send's answer): 0 when it took it; else why. */
static int platform_ok(int type, const ch_svc_http_answer *ans, char *why, size_t whylen)
{
	const char *name = type == CH_CHANNEL_TELEGRAM ? "Telegram" : "Viber";
	if (!ans->status) {
		snprintf(why, whylen, "%s could not be reached: %s", name, ans->why);
		return -1;
	}
	ch_pf_answer a;
	if (type == CH_CHANNEL_TELEGRAM)
		ch_pf_telegram_answer(ans->status, ans->body, ans->len, &a);
	else
		ch_pf_viber_answer(ans->status, ans->body, ans->len, &a);
	if (a.verdict != CH_PF_SENT)
		snprintf(why, whylen, "%s refused: %s", name, a.error);
	return a.verdict == CH_PF_SENT ? 0 : -1;
}

void ch_svc_bot_webhook_url(const ch_channel_conn_row *r, const char *base, char *out, size_t n)
{
	const char *pub = ch_svc_ctx()->public_url;
	snprintf(out, n, "%s%s%s", pub[0] ? pub : base ? base : "",
	         r->type == CH_CHANNEL_TELEGRAM ? HOOK_PATH_TELEGRAM : HOOK_PATH_VIBER, r->public_key);
}

/* Registers (url non-empty) or removes the connection's webhook. */
static int webhook_set(const ch_channel_conn_row *r, const char *token, const char *url, char *why, size_t whylen)
{
	ch_svc_http_answer ans;
	char *body = NULL;
	const char *method;
	if (r->type == CH_CHANNEL_TELEGRAM) {
		body = url[0] ? ch_pf_telegram_set_webhook(url, r->secret) : strdup("{}");
		method = url[0] ? "setWebhook" : "deleteWebhook";
	} else {
		body = ch_pf_viber_set_webhook(url);
		method = "set_webhook";
	}
	if (!body) {
		snprintf(why, whylen, "the request could not be built");
		return -1;
	}
	platform_call(r->type, token, method, body, strlen(body), &ans);
	free(body);
	int rc = platform_ok(r->type, &ans, why, whylen);
	ch_svc_http_answer_free(&ans);
	return rc;
}

/* ---- connections ------------------------------------------------------------- */

typedef struct conn_job {
	ch_channel_conn_row *row;
	int64_t id;
	int64_t webhook_at, inbound_at;
	const char *error;
} conn_job;

static ch_err add_fn(ch_store_tx *tx, svc_job *j)
{
	const conn_job *c = j->extra;
	if (j->p.kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	ch_err e = ch_store_channel_conn_add(tx, c->row, c->row); /* NOT_FOUND: not the company's organization */
	if (e == CH_ERR_CONFLICT)
		return svc_fail(j, e, "this organization already has the most channel connections allowed (20)");
	return e;
}

static ch_err delete_fn(ch_store_tx *tx, svc_job *j)
{
	const conn_job *c = j->extra;
	return ch_store_channel_conn_delete(tx, j->p.company_id, c->id);
}

static ch_err health_fn(ch_store_tx *tx, svc_job *j)
{
	const conn_job *c = j->extra;
	return ch_store_channel_conn_health(tx, c->id, c->webhook_at, c->inbound_at, c->error, ch_now_ms());
}

/* Records a connection's health (a write job, waited for). */
static void health_note(int64_t id, int64_t webhook_at, int64_t inbound_at, const char *error)
{
	conn_job c = {.id = id, .webhook_at = webhook_at, .inbound_at = inbound_at, .error = error};
	ch_principal none = {0};
	if (svc_run_wait(health_fn, &none, &c, NULL))
		CH_WARN("bots: connection %lld: its health could not be recorded", (long long)id);
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char raw[32];
	randombytes_buf(raw, bytes);
	sodium_bin2hex(out, 2 * bytes + 1, raw, bytes);
	sodium_memzero(raw, sizeof raw);
}

ch_err ch_svc_bot_create_wait(const ch_principal *p, const ch_svc_bot_new *in, ch_channel_conn_row *out,
                              char *why, size_t whylen)
{
	why[0] = '\0';
	if (p->kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	const char *bad = token_shape(in->type, in->token);
	if (bad) {
		snprintf(why, whylen, "%s", bad);
		return CH_ERR_OUT_OF_RANGE;
	}
	ch_channel_conn_row *r = ch_xcalloc(1, sizeof *r);
	r->company_id = p->company_id;
	r->organization_id = in->org_id;
	r->type = in->type;
	snprintf(r->name, sizeof r->name, "%s", in->name);
	random_hex(r->public_key, 16);
	if (in->type == CH_CHANNEL_TELEGRAM)
		random_hex(r->secret, 32);
	snprintf(r->token_hint, sizeof r->token_hint, "%s", in->token + strlen(in->token) - 4);
	r->created_at = ch_now_ms();
	if (token_seal(in->token, r)) {
		free(r);
		snprintf(why, whylen, "the server has no key to keep bot tokens with");
		return CH_ERR_INTERNAL;
	}
	conn_job c = {.row = r};
	ch_svc_result res = {0};
	ch_err e = svc_run_wait(add_fn, p, &c, &res);
	if (e) {
		snprintf(why, whylen, "%s", res.message);
		json_decref(res.result);
		free(r);
		return e;
	}
	/* registered after the row exists: Viber checks the URL before it answers */
	char url[CH_BASE_URL_MAX + 64];
	ch_svc_bot_webhook_url(r, in->base_url, url, sizeof url);
	if (webhook_set(r, in->token, url, why, whylen)) {
		c.id = r->id;
		svc_run_wait(delete_fn, p, &c, NULL);
		free(r);
		return CH_ERR_OUT_OF_RANGE;
	}
	r->webhook_at = ch_now_ms();
	health_note(r->id, r->webhook_at, -1, "");
	*out = *r;
	sodium_memzero(r, sizeof *r);
	free(r);
	return CH_OK;
}

typedef struct get_arg {
	int64_t company_id, id;
	ch_channel_conn_row *row;
} get_arg;

static ch_err get_tx(ch_svc_tx *tx, void *arg)
{
	get_arg *g = arg;
	return ch_store_channel_conn_get(tx, g->company_id, g->id, g->row);
}

ch_err ch_svc_bot_delete_wait(const ch_principal *p, int64_t org_id, int64_t id, char *why, size_t whylen)
{
	why[0] = '\0';
	if (p->kind != CH_TOKEN_COMPANY)
		return CH_ERR_WRONG_KIND;
	ch_channel_conn_row *r = ch_xcalloc(1, sizeof *r);
	get_arg g = {p->company_id, id, r};
	ch_err e = ch_svc_read(get_tx, &g);
	if (!e && r->organization_id != org_id)
		e = CH_ERR_NOT_FOUND;
	if (!e) {
		char token[TOKEN_MAX + 1];
		/* the platform is told first; a platform that cannot be reached does
		 * not keep the connection (the webhook then gets 404s, which the
		 * platforms give up on) */
		if (token_open(r, token) == 0 && webhook_set(r, token, "", why, whylen))
			CH_INFO("bots: connection %lld removed; unregistering its webhook failed: %s", (long long)id, why);
		sodium_memzero(token, sizeof token);
		why[0] = '\0';
		conn_job c = {.id = id};
		e = svc_run_wait(delete_fn, p, &c, NULL);
	}
	sodium_memzero(r, sizeof *r);
	free(r);
	return e;
}

ch_err ch_svc_bots_list(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_channel_conn_each_fn each, void *ctx)
{
	return ch_store_channel_conn_list(tx, company_id, org_id, each, ctx);
}

json_t *ch_svc_json_bot(const ch_channel_conn_row *r, const char *base)
{
	char url[CH_BASE_URL_MAX + 64], hint[16];
	ch_svc_bot_webhook_url(r, base, url, sizeof url);
	snprintf(hint, sizeof hint, "…%s", r->token_hint);
	json_t *err = r->last_error[0] && ch_utf8_valid(r->last_error, strlen(r->last_error))
	                  ? json_string(r->last_error)
	                  : json_null();
	return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:{s:b, s:o, s:o, s:o, s:o}}", "id", (json_int_t)r->id,
	                 "organizationId", (json_int_t)r->organization_id, "type", ch_svc_bot_type_name(r->type), "name",
	                 r->name, "tokenHint", hint, "webhookUrl", url, "createdAt", svc_json_time(r->created_at),
	                 "health", "webhookRegistered", r->webhook_at != 0, "registeredAt", svc_json_time(r->webhook_at),
	                 "lastInboundAt", svc_json_time(r->last_inbound_at), "lastError", err, "lastErrorAt",
	                 svc_json_time(r->last_error_at));
}

/* ---- the platforms' webhook calls ------------------------------------------ */

typedef struct key_arg {
	int type;
	const char *key;
	ch_channel_conn_row *row;
	const char *dedupe;
	int64_t found;
} key_arg;

static ch_err by_key_tx(ch_svc_tx *tx, void *arg)
{
	key_arg *k = arg;
	return ch_store_channel_conn_by_key(tx, k->type, k->key, k->row);
}

static ch_err seen_tx(ch_svc_tx *tx, void *arg)
{
	key_arg *k = arg;
	return ch_store_channel_find(tx, k->row->organization_id, k->dedupe, &k->found);
}

static int proof_ok(const ch_svc_bot_call *call, const ch_channel_conn_row *r)
{
	if (r->type == CH_CHANNEL_TELEGRAM)
		return ch_pf_telegram_secret_ok(call->proof, r->secret);
	char token[TOKEN_MAX + 1];
	int ok = token_open(r, token) == 0 &&
	         ch_pf_viber_signature_ok(call->proof, token, call->body ? call->body : "", call->len);
	sodium_memzero(token, sizeof token);
	return ok;
}

/* A file name safe to store and serve: its last path part, printable ASCII
 * or UTF-8, no quotes; else fallback. */
static void safe_name(const char *name, const char *fallback, char *out, size_t n)
{
	const char *slash = strrchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	if (!*base || !ch_utf8_valid(base, strlen(base)) || strpbrk(base, "\"\\\r\n") || strlen(base) >= n) {
		snprintf(out, n, "%s", fallback);
		return;
	}
	snprintf(out, n, "%s", base);
}

/* The extension of a file name, lower case, letters and digits only. */
static void extension(const char *name, const char *fallback, char out[16])
{
	const char *dot = strrchr(name, '.');
	size_t n = 0;
	if (dot)
		for (const char *p = dot + 1; *p && n < 10; p++) {
			char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
			if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) {
				n = 0;
				break;
			}
			out[n++] = ch;
		}
	out[n] = '\0';
	if (!n || (dot && strlen(dot + 1) > 10))
		snprintf(out, 16, "%s", fallback);
}

/* What a media kind is stored as. */
static void media_shape(const ch_pf_inbound *in, char name[256], char format[16], int *type)
{
	switch (in->media) {
	case CH_PF_MEDIA_PHOTO:
		*type = CH_MEDIA_PHOTO;
		safe_name(in->file_name, "photo.jpg", name, 256);
		extension(name, "jpg", format);
		break;
	case CH_PF_MEDIA_STICKER:
		*type = CH_MEDIA_PHOTO;
		safe_name("", "sticker.webp", name, 256);
		snprintf(format, 16, "webp");
		break;
	case CH_PF_MEDIA_VOICE:
		*type = CH_MEDIA_AUDIO;
		safe_name("", "voice.ogg", name, 256);
		snprintf(format, 16, "ogg");
		break;
	case CH_PF_MEDIA_VIDEO:
		*type = CH_MEDIA_VIDEO;
		safe_name(in->file_name, "video.mp4", name, 256);
		extension(name, "mp4", format);
		break;
	default:
		*type = CH_MEDIA_FILE;
		safe_name(in->file_name, "document", name, 256);
		extension(name, "bin", format);
	}
}

/* Telegram's file path as getFile gives it: relative, no "..", a plain set
 * of characters (it goes into the download URL). */
static int file_path_ok(const char *p)
{
	if (!*p || *p == '/' || strstr(p, ".."))
		return 0;
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("_-./", *p)))
			return 0;
	return 1;
}

/* The customer's file into *ans (its body the bytes). 0; 1 when it is larger
 * than the limit (why says so); -1 when it could not be fetched (why). */
static int media_fetch(const ch_channel_conn_row *r, const ch_pf_inbound *in, ch_svc_http_answer *ans, char *why,
                       size_t whylen)
{
	char token[TOKEN_MAX + 1], url[CH_BASE_URL_MAX + TOKEN_MAX + 1100];
	memset(ans, 0, sizeof *ans);
	if (in->file_size > B.media_max) {
		snprintf(why, whylen, "a file of %lld bytes is larger than channel_media_max_bytes (%lld)",
		         (long long)in->file_size, (long long)B.media_max);
		return 1;
	}
	if (token_open(r, token)) {
		snprintf(why, whylen, "the bot token cannot be read with this server's secret");
		return -1;
	}
	ch_svc_http_call_in get = {.url = url, .method = "GET", .answer_max = (size_t)B.media_max, .timeout_s = 60};
	if (r->type == CH_CHANNEL_TELEGRAM) {
		json_t *q = json_pack("{s:s}", "file_id", in->file_ref);
		char *body = q ? json_dumps(q, JSON_COMPACT) : NULL;
		json_decref(q);
		char path[1024] = "";
		int64_t size = -1;
		platform_call(r->type, token, "getFile", body ? body : "{}", body ? strlen(body) : 2, ans);
		free(body);
		int ok = ans->status / 100 == 2 && ans->body &&
		         ch_pf_telegram_file_path(ans->body, ans->len, path, sizeof path, &size) == 0 && file_path_ok(path);
		ch_svc_http_answer_free(ans);
		if (!ok) {
			sodium_memzero(token, sizeof token);
			snprintf(why, whylen, "Telegram's getFile gave no usable file path");
			return -1;
		}
		if (size > B.media_max) {
			sodium_memzero(token, sizeof token);
			snprintf(why, whylen, "a file of %lld bytes is larger than channel_media_max_bytes (%lld)",
			         (long long)size, (long long)B.media_max);
			return 1;
		}
		snprintf(url, sizeof url, "%s/file/bot%s/%s", B.telegram, token, path);
		get.allow_private = 1;
	} else {
		snprintf(url, sizeof url, "%s", in->file_ref); /* a URL the callback named: checked like any other */
		get.allow_private = B.allow_private;
	}
	sodium_memzero(token, sizeof token);
	ch_svc_http_call(&get, ans);
	sodium_memzero(url, sizeof url);
	if (ans->status / 100 == 2)
		return 0;
	int larger = strstr(ans->why, "larger than") != NULL;
	snprintf(why, whylen, "%s", larger ? "the file is larger than channel_media_max_bytes" : ans->why[0] ? ans->why : "the download failed");
	if (!larger && ans->status)
		snprintf(why, whylen, "the download answered HTTP %d", ans->status);
	ch_svc_http_answer_free(ans);
	return larger ? 1 : -1;
}

typedef struct subscribe_arg {
	const ch_pf_inbound *in;
	const ch_channel_conn_row *r;
} subscribe_arg;

/* Viber's subscribed / conversation_started, or a shared contact: the
 * customer as a client (no chat until they write), and the connection's
 * health shows it. */
static ch_err subscribed_fn(ch_store_tx *tx, svc_job *j)
{
	const subscribe_arg *s = j->extra;
	const ch_pf_inbound *in = s->in;
	ch_client_row cl;
	ch_err e = ch_store_client_upsert(tx, s->r->company_id, s->r->organization_id, s->r->type, in->user_id,
	                                  in->name[0] ? in->name : NULL, in->phone[0] ? in->phone : NULL, NULL, &cl);
	if (e == CH_ERR_BAD_JSON)
		return svc_fail(j, e, "the sender's name is not valid text");
	return e ? e : ch_store_channel_conn_health(tx, s->r->id, -1, ch_now_ms(), NULL, ch_now_ms());
}

static ch_err subscribe(const ch_channel_conn_row *r, const ch_pf_inbound *in)
{
	ch_principal none = {0};
	subscribe_arg s = {.in = in, .r = r};
	return svc_run_wait(subscribed_fn, &none, &s, NULL);
}

typedef struct status_arg {
	int64_t company_id, org_id;
	const char *ref;
	int64_t message_id, chat_id, client_id, seq;
} status_arg;

static ch_err status_tx(ch_svc_tx *tx, void *arg)
{
	status_arg *s = arg;
	ch_err e = ch_store_delivery_by_platform_id(tx, s->org_id, s->ref, &s->message_id);
	ch_message_row *m = e ? NULL : ch_xmalloc(sizeof *m);
	if (!e)
		e = ch_store_message_get(tx, s->company_id, s->message_id, m);
	ch_chat_row c;
	if (!e)
		e = ch_store_chat_get(tx, s->company_id, m->chat_id, &c);
	if (!e) {
		s->chat_id = c.id;
		s->client_id = c.client_id;
		s->seq = m->seq;
	}
	free(m);
	return e;
}

/* Viber's "seen": the customer read up to that message (the earlier ones
 * too), as if the visitor's widget had marked it; "delivered" is what a
 * stored message already says (status 1). */
static ch_err status_seen(const ch_channel_conn_row *r, const ch_pf_inbound *in)
{
	if (in->status != CH_MSG_READ)
		return CH_OK;
	status_arg s = {.company_id = r->company_id, .org_id = r->organization_id, .ref = in->status_ref};
	ch_err e = ch_svc_read(status_tx, &s);
	if (e)
		return e == CH_ERR_NOT_FOUND ? CH_OK : e; /* not one of ours (any more): nothing to mark */
	ch_principal p = {.kind = CH_TOKEN_VISITOR, .company_id = r->company_id, .org_id = r->organization_id,
	                  .client_id = s.client_id};
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_mark_read(&p, s.chat_id, s.seq, ch_svc_waiter_done, w);
	ch_svc_result res;
	ch_svc_waiter_wait(w, &res);
	json_decref(res.result);
	return res.err == CH_ERR_NOT_FOUND ? CH_OK : res.err;
}

/* A customer's message: stored once (the dedupe record commits with it). */
static ch_err inbound_message(const ch_channel_conn_row *r, const ch_pf_inbound *in, char *why, size_t whylen)
{
	char dedupe[96];
	snprintf(dedupe, sizeof dedupe, "%s%lld:%s", r->type == CH_CHANNEL_TELEGRAM ? "tg" : "vb", (long long)r->id,
	         in->dedupe_id);
	key_arg k = {.row = (ch_channel_conn_row *)r, .dedupe = dedupe};
	ch_err e = ch_svc_read(seen_tx, &k);
	if (e != CH_ERR_NOT_FOUND)
		return e; /* CH_OK: a replay, stored before */
	ch_svc_http_answer file = {0};
	ch_svc_media media = {0};
	char name[256], format[16];
	if (in->media != CH_PF_MEDIA_NONE) {
		int rc = media_fetch(r, in, &file, why, whylen);
		if (rc > 0) { /* too large: the update is left out, and the connection says why */
			health_note(r->id, -1, ch_now_ms(), why);
			why[0] = '\0';
			return CH_OK;
		}
		if (rc < 0)
			return CH_ERR_BUSY; /* the platform tries again later */
		media_shape(in, name, format, &media.type);
		media.name = name;
		media.format = format;
		media.data = file.body;
		media.len = file.len;
	}
	if (!in->text[0] && !media.len) { /* a shared contact: the client's phone; else nothing to show */
		ch_svc_http_answer_free(&file);
		return in->phone[0] ? subscribe(r, in) : CH_OK;
	}
	ch_svc_inbound m = {.company_id = r->company_id, .org_id = r->organization_id, .source = r->type,
	                    .external_user_id = in->user_id, .external_message_id = dedupe,
	                    .name = in->name[0] ? in->name : NULL, .phone = in->phone[0] ? in->phone : NULL,
	                    .text = in->text, .media = media.len ? &media : NULL, .connection_id = r->id};
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_channel_inbound(&m, ch_svc_waiter_done, w);
	ch_svc_result res;
	ch_svc_waiter_wait(w, &res);
	ch_svc_http_answer_free(&file);
	json_decref(res.result);
	if (res.err)
		snprintf(why, whylen, "%s", res.message);
	return res.err;
}

ch_err ch_svc_bot_inbound(const ch_svc_bot_call *call, char *why, size_t whylen)
{
	why[0] = '\0';
	ch_channel_conn_row *r = ch_xcalloc(1, sizeof *r);
	ch_pf_inbound *in = NULL;
	key_arg k = {.type = call->type, .key = call->public_key, .row = r};
	ch_err e = ch_svc_read(by_key_tx, &k);
	if (!e && call->too_large)
		e = CH_ERR_TOO_LARGE;
	else if (!e && !proof_ok(call, r))
		e = CH_ERR_NO_TOKEN; /* nothing of the body was read */
	if (e)
		goto out;
	in = ch_xcalloc(1, sizeof *in);
	int rc = call->type == CH_CHANNEL_TELEGRAM ? ch_pf_telegram_parse(call->body, call->len, in, why, whylen)
	                                           : ch_pf_viber_parse(call->body, call->len, in, why, whylen);
	if (rc) {
		e = CH_ERR_BAD_JSON;
		goto out;
	}
	switch (in->kind) {
	case CH_PF_MESSAGE:
		e = inbound_message(r, in, why, whylen);
		break;
	case CH_PF_SUBSCRIBED:
		e = subscribe(r, in);
		break;
	case CH_PF_STATUS:
		e = status_seen(r, in);
		break;
	default: /* unsubscribed, the webhook check, what we do not take: 200 */
		break;
	}
out:
	sodium_memzero(r, sizeof *r);
	free(r);
	free(in);
	return e;
}

/* ---- what an operator's reply becomes ----------------------------------------- */

static ch_err cannot_send(ch_svc_outbound *o, const char *why)
{
	snprintf(o->why, sizeof o->why, "%s", why);
	return CH_ERR_CONFLICT;
}

/* Telegram: sendMessage, or the file itself in sendPhoto / sendDocument. */
static ch_err telegram_request(ch_store_tx *tx, const ch_message_row *m, const char *chat_id, const char *token,
                               ch_svc_outbound *o)
{
	const char *method = "sendMessage";
	if (!m->has_media) {
		o->body = ch_pf_telegram_send_text(chat_id, m->text);
	} else {
		ch_media_row mr;
		void *data = NULL;
		ch_err e = ch_store_media_get(tx, m->company_id, m->media.id, &mr, &data);
		if (e)
			return e == CH_ERR_NOT_FOUND ? cannot_send(o, "the message's file is gone") : e;
		int photo = mr.type == CH_MEDIA_PHOTO;
		method = photo ? "sendPhoto" : "sendDocument";
		const char *mime = ch_media_mime(mr.format);
		if (!mime)
			mime = "application/octet-stream";
		int rc = ch_pf_telegram_multipart(chat_id, photo ? "photo" : "document", mr.name, mime, data,
		                                  (size_t)mr.size, m->text, &o->body, &o->len, o->content_type);
		free(data);
		if (rc)
			return cannot_send(o, "the file could not be put into a request");
	}
	if (!o->body)
		return cannot_send(o, "the request could not be built");
	if (!m->has_media)
		o->len = strlen(o->body);
	method_url(CH_CHANNEL_TELEGRAM, token, method, o->url, sizeof o->url);
	return CH_OK;
}

/* Viber: send_message; a file goes as a link the platform fetches (a signed
 * media URL under public_url). */
static ch_err viber_request(const ch_message_row *m, const ch_channel_conn_row *r, const char *receiver,
                            const char *token, ch_svc_outbound *o)
{
	char url[CH_BASE_URL_MAX + CH_SVC_MEDIA_URL_MAX] = "";
	const char *pub = ch_svc_ctx()->public_url;
	if (m->has_media) {
		if (!pub[0])
			return cannot_send(o, "public_url is not set: Viber fetches a reply's file from a public URL");
		char path[CH_SVC_MEDIA_URL_MAX];
		ch_svc_media_url(m->company_id, m->media.id, ch_now_ms() / 1000, path);
		snprintf(url, sizeof url, "%s%s", pub, path);
	}
	const char *sender = m->operator_name[0] ? m->operator_name : r->name;
	o->body = ch_pf_viber_send(receiver, sender, m->text, m->has_media ? url : NULL, m->media.type, m->media.name,
	                           m->media.size);
	if (!o->body)
		return cannot_send(o, "the request could not be built");
	o->len = strlen(o->body);
	method_url(CH_CHANNEL_VIBER, token, "send_message", o->url, sizeof o->url);
	snprintf(o->header.name, sizeof o->header.name, VIBER_AUTH_HEADER);
	snprintf(o->header.value, sizeof o->header.value, "%s", token);
	return CH_OK;
}

ch_err svc_bot_prepare(ch_store_tx *tx, const ch_message_row *m, const ch_chat_row *c, const ch_client_row *cl,
                       int64_t conn_id, ch_svc_outbound *o)
{
	o->company_id = m->company_id;
	o->message_id = m->id;
	o->conn_id = conn_id;
	ch_channel_conn_row *r = ch_xcalloc(1, sizeof *r);
	char token[TOKEN_MAX + 1] = "";
	ch_err e = ch_store_channel_conn_get(tx, c->company_id, conn_id, r);
	if (e == CH_ERR_NOT_FOUND)
		e = cannot_send(o, "the channel connection was removed");
	else if (!e && !cl->has_external_key)
		e = cannot_send(o, "the customer has no platform id");
	else if (!e && token_open(r, token))
		e = cannot_send(o, "the bot token cannot be read with this server's secret");
	if (!e) {
		o->platform = r->type;
		e = r->type == CH_CHANNEL_TELEGRAM ? telegram_request(tx, m, cl->external_key, token, o)
		                                   : viber_request(m, r, cl->external_key, token, o);
	}
	if (e) {
		free(o->body);
		o->body = NULL;
	}
	sodium_memzero(token, sizeof token);
	sodium_memzero(r, sizeof *r);
	free(r);
	return e;
}
