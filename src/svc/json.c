/* json.c — the chat and message objects of the API, and signed media URLs.
 * Threading: pure (the key is read-only after ch_svc_init); any thread. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "svc/internal.h"

json_t *svc_json_time(int64_t ms)
{
	char ts[25];
	if (!ms)
		return json_null();
	ch_iso8601_format(ms, ts);
	return json_string(ts);
}

static json_t *str_or_null(const char *s) { return *s ? json_string(s) : json_null(); }

/* An operator as chats and messages name it: {id, name, photo}. */
static json_t *operator_ref(int64_t id, const char *name, const char *photo)
{
	return id ? json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "name", name, "photo", str_or_null(photo))
	          : json_null();
}

/* Where a found chat matched (a chat list with a search). */
static json_t *match_json(const ch_chat_match *m)
{
	static const char *const fields[] = {[CH_MATCH_MESSAGE] = "message", [CH_MATCH_NAME] = "name",
	                                     [CH_MATCH_PHONE] = "phone", [CH_MATCH_EMAIL] = "email"};
	return json_pack("{s:s, s:o, s:s}", "field", fields[m->field], "seq",
	                 m->field == CH_MATCH_MESSAGE ? json_integer(m->seq) : json_null(), "snippet",
	                 m->snippet);
}

json_t *ch_svc_json_chat(const ch_chat_row *c)
{
	json_t *op = operator_ref(c->operator_id, c->operator_name, c->operator_photo);
	json_t *client = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)c->client_id, "name", c->client_name,
	                           "phone", c->client_phone);
	json_t *j = json_pack("{s:I, s:s, s:o, s:i, s:I, s:I, s:i, s:o, s:o, s:o, s:I, s:s}", "id",
	                      (json_int_t)c->id, "theme", c->theme, "operator", op, "chatStatus", c->status,
	                      "countUnread", (json_int_t)c->count_unread, "organizationId",
	                      (json_int_t)c->organization_id, "source", c->source, "client", client, "createdAt",
	                      svc_json_time(c->created_at), "lastMessageAt", svc_json_time(c->last_message_at),
	                      "lastSeq", (json_int_t)c->last_seq, "lastMessage", c->last_message);
	if (j) /* the public sample's name for source (additive) */
		json_object_set_new(j, "messSource", json_integer(c->source));
	if (j && c->match.field != CH_MATCH_NONE)
		json_object_set_new(j, "match", match_json(&c->match));
	if (j) /* (ext) the visitor's latest rating (docs/api.md "CSAT"), null when none */
		json_object_set_new(j, "csat",
		                    c->csat_rating ? json_pack("{s:i, s:o, s:o}", "rating", c->csat_rating, "comment",
		                                               str_or_null(c->csat_comment), "at", svc_json_time(c->csat_at))
		                                   : json_null());
	if (!j) /* jansson refuses text that is not UTF-8: the row holds some */
		CH_ERROR("chat %lld: its JSON object cannot be built (a text field is not valid UTF-8)",
		         (long long)c->id);
	return j;
}

json_t *ch_svc_json_message(const ch_message_row *m, const ch_chat_row *chat)
{
	json_t *op = operator_ref(m->operator_id, m->operator_name, m->operator_photo);
	json_t *media = json_null();
	if (m->has_media) {
		char url[CH_SVC_MEDIA_URL_MAX];
		ch_svc_media_url(m->company_id, m->media.id, ch_now_ms() / 1000, url);
		/* uri: absolute, the public sample's name; relative here unless public_url
		 * is set, and then made absolute per request (ch_svc_media_absolute) */
		char uri[CH_BASE_URL_MAX + CH_SVC_MEDIA_URL_MAX];
		snprintf(uri, sizeof uri, "%s%s", ch_svc_ctx()->public_url, url);
		media = json_pack("{s:I, s:s, s:s, s:i, s:I, s:s, s:s}", "id", (json_int_t)m->media.id, "name",
		                  m->media.name, "format", m->media.format, "type", m->media.type, "size",
		                  (json_int_t)m->media.size, "url", url, "uri", uri);
	}
	json_t *j = json_pack("{s:I, s:I, s:I, s:i, s:o, s:s, s:o, s:i, s:o, s:o}", "id", (json_int_t)m->id,
	                      "chatId", (json_int_t)m->chat_id, "seq", (json_int_t)m->seq, "author", m->author,
	                      "operator", op, "textMessage", m->text, "media", media, "status", m->status,
	                      "createdAt", svc_json_time(m->created_at), "clientMessageId",
	                      m->has_client_message_id ? json_string(m->client_message_id) : json_null());
	if (j) { /* the public sample's names (additive): message = textMessage, the client's phone */
		json_object_set_new(j, "message", json_string(m->text));
		json_object_set_new(j, "phone", chat ? str_or_null(chat->client_phone) : json_null());
	}
	if (j && m->redacted_at) /* a tombstone says so; a normal message has no "redacted" */
		json_object_set_new(j, "redacted",
		                    json_pack("{s:o, s:o}", "at", svc_json_time(m->redacted_at), "by",
		                              m->redacted_by ? json_pack("{s:I, s:s}", "id", (json_int_t)m->redacted_by,
		                                                         "name", m->redacted_by_name)
		                                             : json_null()));
	if (!j)
		CH_ERROR("message %lld of chat %lld: its JSON object cannot be built (a text field is not valid UTF-8)",
		         (long long)m->id, (long long)m->chat_id);
	return j;
}

json_t *ch_svc_json_note(const ch_note_row *n)
{
	json_t *mentions = json_array();
	for (size_t i = 0; i < n->n_mentions; i++)
		json_array_append_new(mentions, json_integer(n->mentions[i]));
	json_t *j = json_pack("{s:I, s:I, s:I, s:o, s:s, s:o, s:I, s:o}", "id", (json_int_t)n->id, "chatId",
	                      (json_int_t)n->chat_id, "organizationId", (json_int_t)n->organization_id, "operator",
	                      operator_ref(n->operator_id, n->operator_name, n->operator_photo), "text", n->text,
	                      "mentions", mentions, "afterSeq", (json_int_t)n->after_seq, "createdAt",
	                      svc_json_time(n->created_at));
	if (!j)
		CH_ERROR("note %lld of chat %lld: its JSON object cannot be built (a text field is not valid UTF-8)",
		         (long long)n->id, (long long)n->chat_id);
	return j;
}

/* media.uri of one message object, prefixed with base when still relative. */
static void absolute_uri(json_t *msg, const char *base, size_t blen)
{
	json_t *media = json_object_get(msg, "media");
	json_t *uri = json_object_get(media, "uri");
	const char *u = json_string_value(uri);
	if (!u || u[0] != '/')
		return;
	size_t n = strlen(u);
	char *abs = ch_xmalloc(blen + n + 1);
	memcpy(abs, base, blen);
	memcpy(abs + blen, u, n + 1);
	json_object_set_new(media, "uri", json_string(abs));
	free(abs);
}

static int relative_uri(const json_t *msg)
{
	const char *u = json_string_value(json_object_get(json_object_get(msg, "media"), "uri"));
	return u && u[0] == '/';
}

int ch_svc_media_relative(const json_t *j)
{
	size_t i;
	json_t *v;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		if (relative_uri(v))
			return 1;
		return 0;
	}
	return relative_uri(j) || (json_object_get(j, "messages") && ch_svc_media_relative(json_object_get(j, "messages")));
}

void ch_svc_media_absolute(json_t *j, const char *base)
{
	size_t blen = base ? strlen(base) : 0;
	if (!blen || !j)
		return;
	size_t i;
	json_t *v;
	if (json_is_array(j)) { /* [message…] (history, an event's arguments) */
		json_array_foreach(j, i, v)
		if (json_is_object(v))
			absolute_uri(v, base, blen);
		return;
	}
	absolute_uri(j, base, blen);                                    /* a message */
	ch_svc_media_absolute(json_object_get(j, "messages"), base); /* a Sync result */
}

/* The URL's MAC: HMAC-SHA256 with the token key over "media:<company>:<id>:<e>"
 * (the prefix keeps it apart from every other use of the key), cut to 128
 * bits, which are plenty for a URL capability. */
static void media_sig(int64_t company_id, int64_t media_id, int64_t exp, char hex[33])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char msg[96];
	int n = snprintf(msg, sizeof msg, "media:%lld:%lld:%lld", (long long)company_id, (long long)media_id,
	                 (long long)exp);
	const ch_token_key *k = ch_svc_ctx()->key;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, k->bytes, k->len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, (unsigned long long)n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 33, mac, 16);
}

int64_t ch_svc_media_url_expiry(int64_t now_s)
{
	int64_t ttl = ch_svc_ctx()->media_url_ttl;
	/* rounded: the URL of a media stays the same for a while (browser caches),
	 * and is valid between ttl and 2 × ttl from now */
	return (now_s / ttl + 2) * ttl;
}

void ch_svc_media_url(int64_t company_id, int64_t media_id, int64_t now_s, char out[CH_SVC_MEDIA_URL_MAX])
{
	char sig[33];
	int64_t exp = ch_svc_media_url_expiry(now_s);
	media_sig(company_id, media_id, exp, sig);
	snprintf(out, CH_SVC_MEDIA_URL_MAX, "/api/media/%lld?c=%lld&e=%lld&sig=%s", (long long)media_id,
	         (long long)company_id, (long long)exp, sig);
}

/* e as the URL carries it: 1 to 18 decimal digits, no sign, no leading zero. */
static int parse_exp(const char *e, int64_t *out)
{
	size_t n = e ? strlen(e) : 0;
	if (!n || n > 18 || e[0] == '0' || strspn(e, "0123456789") != n)
		return -1;
	*out = strtoll(e, NULL, 10);
	return 0;
}

ch_err ch_svc_media_sig_check(int64_t company_id, int64_t media_id, const char *e, const char *sig,
                              int64_t now_s)
{
	int64_t exp;
	char want[33];
	if (!sig || parse_exp(e, &exp))
		return CH_ERR_NO_TOKEN;
	media_sig(company_id, media_id, exp, want);
	if (strlen(sig) != 32 || sodium_memcmp(sig, want, 32) != 0)
		return CH_ERR_NO_TOKEN;
	/* authentic, so e is the one we issued: only now may it be late */
	return now_s >= exp ? CH_ERR_TOKEN_EXPIRED : CH_OK;
}
