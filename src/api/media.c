/* media.c — GET /api/media/{id}: the bytes of an attachment, for a token
 * that may see its chat (checked like every other route: expiry, revocation),
 * or for the signed, expiring URL found in the message object (so <img src>
 * works without headers). Only types a browser renders inertly are served as
 * themselves; everything else is a download, so an uploaded HTML page or
 * script never runs or loads from this origin.
 * Threading: API worker threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "chat/mediatype.h"
#include "core/buf.h"
#include "svc/svc.h"

#define TOKEN_MAX_AGE 86400 /* Cache-Control of media fetched with a token */

const char *ch_api_media_type(const char *format) { return ch_media_mime(format); }

void ch_api_content_disposition(const char *name, ch_buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	ch_buf_puts(out, "attachment; filename*=UTF-8''");
	if (!name || !*name)
		name = "download";
	/* RFC 8187: attr-char stays, every other byte is %XX */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("!#$&+-.^_`|~", *p)) {
			ch_buf_append(out, p, 1);
		} else {
			char pct[3] = {'%', hex[*p >> 4], hex[*p & 15]};
			ch_buf_append(out, pct, 3);
		}
	}
}

/* The caller's right to the media: the signed URL (company from it, *max_age
 * until it expires), else a token (*tok with its principal). -1 after the 401. */
static int media_access(ch_ctx *c, int64_t *company, ch_principal *p, int *tok, int64_t *max_age)
{
	const char *sig = ch_ctx_arg(c, "sig"), *co = ch_ctx_arg(c, "c"), *e = ch_ctx_arg(c, "e");
	int64_t now = c->now_ms / 1000;
	ch_err se = CH_ERR_NO_TOKEN;
	if (co && !ch_parse_id(co, company))
		se = ch_svc_media_sig_check(*company, c->path_id, e, sig, now);
	if (se == CH_OK) {
		*max_age = strtoll(e, NULL, 10) - now;
		return 0;
	}
	size_t len = 0;
	const char *t = ch_api_token_text(c->req, &len);
	ch_token_claims cl;
	if (t) {
		if (ch_api_token_check(c, &cl))
			return -1;
		*p = ch_principal_from_claims(&cl);
		*company = p->company_id;
		*tok = 1;
		*max_age = TOKEN_MAX_AGE;
		return 0;
	}
	if (se == CH_ERR_TOKEN_EXPIRED)
		ch_ctx_error(c, se, "this media link has expired; reload the conversation to get a new one");
	else if (sig || e || co)
		ch_ctx_error(c, CH_ERR_NO_TOKEN, "this media link is not valid");
	else
		ch_ctx_error(c, CH_ERR_NO_TOKEN, "a token, or the signed URL of the message, is required");
	return -1;
}

void ch_h_media_get(ch_ctx *c)
{
	/* on every answer of this route, errors included: nothing here is a page */
	ch_resp_header(c->resp, "Content-Security-Policy", "default-src 'none'; sandbox");
	ch_principal p;
	int64_t company = 0, max_age = 0;
	int tok = 0;
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "media not found");
		return;
	}
	if (media_access(c, &company, &p, &tok, &max_age))
		return;
	ch_media_row m;
	void *data = NULL;
	ch_err e = ch_svc_media_get(c->tx, company, c->path_id, &m, &data);
	ch_chat_row chat;
	if (!e && tok)
		e = ch_svc_chat_visible(c->tx, &p, m.chat_id, &chat);
	if (ch_ctx_store_failed(c, e, "media")) {
		free(data);
		return;
	}
	ch_buf_reset(&c->resp->body);
	ch_buf_append(&c->resp->body, data, (size_t)m.size);
	free(data);
	c->resp->status = 200;
	const char *type = ch_api_media_type(m.format);
	snprintf(c->resp->ctype, sizeof c->resp->ctype, "%s", type ? type : "application/octet-stream");
	c->resp->content_type = c->resp->ctype;
	if (!type) {
		ch_buf cd = CH_BUF_INIT;
		ch_api_content_disposition(m.name, &cd);
		ch_resp_header(c->resp, "Content-Disposition", "%s", cd.data);
		ch_buf_free(&cd);
	}
	ch_resp_header(c->resp, "Cache-Control", "private, max-age=%lld", (long long)max_age);
}
