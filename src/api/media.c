/* media.c — GET /api/media/{id}: the bytes of an attachment, for a token
 * that may see its chat, or for the signed URL found in the message object
 * (so <img src> works without headers). Threading: API worker threads. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/internal.h"
#include "core/clock.h"
#include "svc/svc.h"

/* The principal of the request's token, or 0 when there is no valid one. */
static int token_principal(ch_ctx *c, ch_principal *p)
{
	const char *t = c->req->authorization && !strncasecmp(c->req->authorization, "Bearer ", 7)
	                    ? c->req->authorization + 7
	                    : c->req->x_auth_key ? c->req->x_auth_key : ch_ctx_arg(c, "access_token");
	ch_token_claims cl;
	if (!t || ch_token_verify(c->api->o.key, t, strlen(t), CH_TOKEN_ANY, c->now_ms / 1000, &cl))
		return 0;
	*p = ch_principal_from_claims(&cl);
	return 1;
}

/* The stored format as a content type: a MIME type as given (when well
 * formed), a known extension mapped, anything else a download. */
static const char *content_type_of(const char *format)
{
	static const char *ext[][2] = {
		{"png", "image/png"}, {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"},
		{"webp", "image/webp"}, {"pdf", "application/pdf"}, {"txt", "text/plain"}, {"mp3", "audio/mpeg"},
		{"ogg", "audio/ogg"}, {"mp4", "video/mp4"}, {"webm", "video/webm"},
	};
	const char *f = format[0] == '.' ? format + 1 : format;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (!strcasecmp(f, ext[i][0]))
			return ext[i][1];
	const char *slash = strchr(format, '/');
	if (slash && slash != format && slash[1] && strlen(format) < 100 && !strpbrk(format, "\r\n;\" ,"))
		return format;
	return "application/octet-stream";
}

void ch_h_media_get(ch_ctx *c)
{
	ch_principal p;
	int64_t company = 0;
	const char *sig = ch_ctx_arg(c, "sig"), *co = ch_ctx_arg(c, "c");
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "media not found");
		return;
	}
	int signed_ok = sig && co && !ch_parse_id(co, &company) && ch_svc_media_sig_ok(company, c->path_id, sig);
	int have_token = !signed_ok && token_principal(c, &p);
	if (!signed_ok && !have_token) {
		ch_ctx_error(c, CH_ERR_NO_TOKEN, "a token, or the signed URL of the message, is required");
		return;
	}
	if (have_token)
		company = p.company_id;
	ch_media_row m;
	void *data = NULL;
	ch_err e = ch_store_media_get(c->tx, company, c->path_id, &m, &data);
	ch_chat_row chat;
	if (!e && have_token)
		e = ch_svc_chat_visible(c->tx, &p, m.chat_id, &chat);
	if (ch_ctx_store_failed(c, e, "media")) {
		free(data);
		return;
	}
	ch_buf_reset(&c->resp->body);
	ch_buf_append(&c->resp->body, data, (size_t)m.size);
	free(data);
	c->resp->status = 200;
	snprintf(c->resp->ctype, sizeof c->resp->ctype, "%s", content_type_of(m.format));
	c->resp->content_type = c->resp->ctype;
	ch_resp_header(c->resp, "Cache-Control", "private, max-age=86400");
	ch_resp_header(c->resp, "Content-Security-Policy", "default-src 'none'; sandbox");
}
