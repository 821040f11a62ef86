/* channel.c — POST /api/channel/{guid}/inbound: a messaging channel (or a
 * bridge) posts a customer's message, signed with the organization's channel
 * secret (X-ChatHub-Signature: sha256=<hex HMAC-SHA256 of the body>). The
 * customer becomes a client keyed by externalUserId; the message is sent
 * through svc like any client message; an externalMessageId seen before
 * stores nothing (svc/channel.c: checked and recorded in the same write job).
 * The signature is checked over the raw bytes before the body is parsed.
 * Threading: API worker threads. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"

/* Constant-time check of "sha256=<hex>" over the raw body. */
static int signature_ok(ch_ctx *c, const char *secret)
{
	const char *sig = c->req->signature;
	if (!sig || strncmp(sig, "sha256=", 7) || strlen(sig + 7) != 64)
		return 0;
	unsigned char mac[crypto_auth_hmacsha256_BYTES], given[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;
	if (sodium_hex2bin(given, sizeof given, sig + 7, 64, NULL, &n, NULL) || n != sizeof given)
		return 0;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)(c->req->body.data ? c->req->body.data : ""),
	                              c->req->body.len);
	crypto_auth_hmacsha256_final(&st, mac);
	return sodium_memcmp(mac, given, sizeof mac) == 0;
}

void ch_h_channel_inbound(ch_ctx *c)
{
	ch_org_row org;
	ch_org_secrets sec;
	/* cheap checks on the raw bytes first: the organization, its secret, the
	 * signature; only a request that proved where it comes from is parsed */
	if (ch_org_of_guid_path(c, "/api/channel/", &org) ||
	    ch_ctx_store_failed(c, ch_svc_org_settings(c->tx, org.company_id, org.id, &sec), "channel"))
		return;
	if (!sec.channel_secret[0]) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "this organization has no channel (set channelSecret)");
		return;
	}
	if (c->req->body_too_large) {
		ch_ctx_error(c, CH_ERR_TOO_LARGE, "the body is larger than this endpoint accepts");
		return;
	}
	if (!signature_ok(c, sec.channel_secret)) {
		ch_ctx_error(c, CH_ERR_NO_TOKEN, "X-ChatHub-Signature must be sha256=<hex HMAC-SHA256 of the body>");
		return;
	}
	if (ch_ctx_parse_body(c))
		return;
	const char *user, *ext, *name = NULL, *phone = NULL, *text = "";
	int64_t source = CH_SOURCE_API;
	if (ch_body_object(c) || ch_get_str(c, c->body, "", "externalUserId", 1, 1, CH_EXTID_MAX, &user) ||
	    ch_get_str(c, c->body, "", "externalMessageId", 1, 1, CH_EXTID_MAX - 4, &ext) ||
	    ch_get_str(c, c->body, "", "name", 0, 0, CH_NAME_MAX, &name) < 0 ||
	    ch_get_str(c, c->body, "", "phone", 0, 0, CH_PHONE_MAX, &phone) < 0 ||
	    ch_get_str(c, c->body, "", "text", 0, 0, CH_TEXT_MAX_BYTES, &text) < 0 ||
	    ch_get_int(c, c->body, "", "source", 0, 1, 4, &source) < 0)
		return;
	json_t *m = json_object_get(c->body, "media");
	unsigned char *data = NULL;
	ch_svc_media media;
	int has_media = m && !json_is_null(m);
	if (!has_media && (!text || !*text)) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "text: required (or media)");
		return;
	}
	if (has_media && ch_read_media(c, m, &media, &data))
		return;
	ch_svc_inbound in = {.company_id = org.company_id, .org_id = org.id, .source = (int)source,
	                     .external_user_id = user, .external_message_id = ext, .name = name, .phone = phone,
	                     .text = text ? text : "", .media = has_media ? &media : NULL};
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_channel_inbound(&in, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	free(data);
	if (r.err) {
		json_decref(r.result);
		ch_ctx_error(c, r.err, "%s", r.message);
		return;
	}
	ch_ctx_json(c, 200, r.result);
}
