/* platform.c — Telegram and Viber bot updates, proofs, answers and request
 * bodies (platform.h). Pure: no I/O, no store; jansson for JSON, libsodium for
 * the HMAC. Threading: pure; any thread.
 *
 * The documented shapes each parser accepts (Telegram Bot API; Viber REST bot
 * API). Ids are refused (-1) when missing, of the wrong JSON type (a string for
 * a number or the reverse, a float), negative, beyond int64 (jansson refuses
 * the whole document) or longer than their field; content that is present
 * with the wrong type (text, caption, file_id, media) is refused too; optional
 * descriptions (names, mime types, file names, sizes) of the wrong type count
 * as absent. Bodies are loaded with duplicate keys refused and \u0000 allowed
 * (NUL bytes are then dropped from texts and names, and refuse an id); jansson
 * bounds nesting (2,048 levels) and refuses invalid UTF-8 and lone surrogates.
 *
 * ch_pf_telegram_parse — an Update:
 *   {"update_id": int ≥ 0, "message": Message}; any other update (edited_message,
 *   channel_post, callback_query, …) is IGNORE. Message: "from": User {"id":
 *   int > 0, "is_bot": bool, "first_name", "last_name"} (required: there is no
 *   customer without it), "chat": {"type"} (anything but "private" is IGNORE),
 *   "text" or "caption", and at most one of
 *   "photo": [PhotoSize {"file_id", "width", "height", "file_size"}] (the
 *   largest width × height wins, then the larger file_size, then the later),
 *   "document": {"file_id", "file_name", "mime_type", "file_size"},
 *   "voice": {"file_id", "mime_type", "file_size"},
 *   "video": {"file_id", "file_name", "mime_type", "file_size"},
 *   "sticker": {"file_id", "is_animated", "is_video", "file_size"} (mime
 *   image/webp, application/x-tgsticker when animated, video/webm when video),
 *   "contact": {"phone_number", "user_id"} (the phone kept only when user_id is
 *   from.id: the customer shared their own number). A message with none of
 *   these (location, poll, …) is IGNORE; "from.is_bot": true is IGNORE.
 *
 * ch_pf_viber_parse — a callback {"event": string, …}:
 *   "webhook" → WEBHOOK_CHECK;
 *   "message" {"message_token": int ≥ 0, "sender": {"id", "name"}, "message":
 *   {"type", "text", "media", "file_name", "size"}}: text; picture → PHOTO,
 *   video → VIDEO, file → DOCUMENT (each needs an http(s) "media" URL); sticker
 *   → STICKER when it has a "media" URL; url → its "media" as the text when
 *   there is no text; contact, location and others keep only their text;
 *   "subscribed" and "conversation_started" {"user": {"id", "name"},
 *   "message_token"} → SUBSCRIBED; "unsubscribed" {"user_id", "message_token"}
 *   → UNSUBSCRIBED; "delivered" / "seen" {"message_token", "user_id"} → STATUS
 *   1 / 3; "failed" and any other event → IGNORE.
 *
 * Answers: Telegram {"ok": true, "result": {"message_id"}} or {"ok": false,
 * "error_code", "description", "parameters": ResponseParameters
 * {"retry_after"}}; Viber {"status": int, "status_message", "message_token"}.
 *
 * Texts are cut at CH_TEXT_MAX_CHARS characters on a character boundary
 * (Viber accepts 7,000), never refused; names at their field's size. */
#include "chat/platform.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/model.h"
#include "core/buf.h"
#include "core/random.h"
#include "core/utf8.h"

static int fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

static void init_inbound(ch_pf_inbound *out)
{
	memset(out, 0, sizeof *out);
	out->kind = CH_PF_IGNORE;
	out->media = CH_PF_MEDIA_NONE;
	out->file_size = -1;
}

/* The body as a JSON object, or NULL with why. */
static json_t *load_object(const char *body, size_t len, char *why, size_t whylen)
{
	if ((!body && len) || len > CH_PF_BODY_MAX) {
		fail(why, whylen, "body missing or too large");
		return NULL;
	}
	json_error_t err;
	json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (!root) {
		fail(why, whylen, "not JSON");
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		fail(why, whylen, "not a JSON object");
		return NULL;
	}
	return root;
}

/* Copies n bytes of UTF-8 (as jansson gives it: valid, maybe holding NULs) into
 * dst of cap bytes: NULs dropped, at most max_chars characters, cut on a
 * character boundary; oneline turns control characters into spaces. Returns
 * the bytes written; dst is always NUL-terminated valid UTF-8. */
static size_t put_text(char *dst, size_t cap, const char *s, size_t n, size_t max_chars, int oneline)
{
	size_t o = 0, chars = 0, i = 0;
	if (!cap)
		return 0;
	while (s && i < n && chars < max_chars) {
		unsigned char c = (unsigned char)s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (i + k > n)
			break;
		if (!c) {
			i++;
			continue;
		}
		if (o + k >= cap)
			break;
		if (oneline && (c < 0x20 || c == 0x7f))
			dst[o++] = ' ';
		else {
			memcpy(dst + o, s + i, k);
			o += k;
		}
		i += k;
		chars++;
	}
	dst[o] = 0;
	if (!ch_utf8_valid(dst, o)) {
		dst[0] = 0;
		o = 0;
	}
	return o;
}

/* A string member: 1 present (s, n set), 0 absent or null, -1 another type. */
static int str_of(const json_t *obj, const char *key, const char **s, size_t *n)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 1;
}

/* An optional description (name, mime, file name) into dst; a wrong type is
 * as if absent. */
static void put_desc(char *dst, size_t cap, const json_t *obj, const char *key)
{
	const char *s;
	size_t n;
	if (str_of(obj, key, &s, &n) == 1)
		put_text(dst, cap, s, n, cap, 1);
}

/* An integer id ≥ min as decimal text. */
static int put_int_id(char *dst, size_t cap, const json_t *v, json_int_t min)
{
	if (!json_is_integer(v) || json_integer_value(v) < min)
		return -1;
	snprintf(dst, cap, "%lld", (long long)json_integer_value(v));
	return 0;
}

/* A string id or reference: 1..cap-1 bytes, no NUL, no control character. */
static int put_str_id(char *dst, size_t cap, const json_t *v)
{
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (!n || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

static int64_t size_of(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) && json_integer_value(v) >= 0 ? (int64_t)json_integer_value(v) : -1;
}

/* "text", else "caption": -1 when present with another type. */
static int put_message_text(ch_pf_inbound *out, const json_t *msg, const char *k1, const char *k2)
{
	const char *s;
	size_t n;
	int r = str_of(msg, k1, &s, &n);
	if (r == 0 && k2)
		r = str_of(msg, k2, &s, &n);
	if (r < 0)
		return -1;
	if (r == 1)
		put_text(out->text, sizeof out->text, s, n, CH_TEXT_MAX_CHARS, 0);
	return 0;
}

/* ---------------------------------------------------------------- Telegram */

/* Spaces at either end of a name go. */
static void trim(char *s)
{
	size_t n = strlen(s), a = 0;
	while (n && s[n - 1] == ' ')
		n--;
	while (a < n && s[a] == ' ')
		a++;
	memmove(s, s + a, n - a);
	s[n - a] = 0;
}

static void tg_name(ch_pf_inbound *out, const json_t *from)
{
	char last[sizeof out->name] = "";
	put_desc(out->name, sizeof out->name, from, "first_name");
	put_desc(last, sizeof last, from, "last_name");
	trim(out->name);
	trim(last);
	size_t o = strlen(out->name);
	if (last[0] && o && o + 2 < sizeof out->name)
		out->name[o++] = ' ';
	put_text(out->name + o, sizeof out->name - o, last, strlen(last), sizeof out->name, 1);
}

/* The largest of a photo's sizes. */
static int tg_photo(ch_pf_inbound *out, const json_t *sizes, char *why, size_t whylen)
{
	if (!json_is_array(sizes))
		return fail(why, whylen, "message.photo: not an array");
	const json_t *best = NULL;
	int64_t best_area = -1, best_bytes = -1;
	size_t i;
	json_t *ps;
	json_array_foreach(sizes, i, ps)
	{
		char ref[sizeof out->file_ref];
		if (!json_is_object(ps) || put_str_id(ref, sizeof ref, json_object_get(ps, "file_id")))
			continue;
		int64_t w = size_of(ps, "width"), h = size_of(ps, "height"), b = size_of(ps, "file_size");
		/* a side past 2^20 is no photo: bounded so that the product cannot overflow */
		int64_t area = (w < 0 || h < 0 || w > (1 << 20) || h > (1 << 20)) ? 0 : w * h;
		if (area > best_area || (area == best_area && b >= best_bytes)) {
			best = ps;
			best_area = area;
			best_bytes = b;
		}
	}
	if (!best)
		return fail(why, whylen, "message.photo: no size with a file_id");
	put_str_id(out->file_ref, sizeof out->file_ref, json_object_get(best, "file_id"));
	out->file_size = best_bytes;
	out->media = CH_PF_MEDIA_PHOTO;
	return 0;
}

/* document, voice, video, sticker: one object with a file_id. */
static int tg_file(ch_pf_inbound *out, const json_t *f, ch_pf_media media, const char *what, char *why,
                   size_t whylen)
{
	char msg[96];
	if (!json_is_object(f) || put_str_id(out->file_ref, sizeof out->file_ref, json_object_get(f, "file_id"))) {
		snprintf(msg, sizeof msg, "message.%s: not an object with a file_id", what);
		return fail(why, whylen, msg);
	}
	out->media = media;
	out->file_size = size_of(f, "file_size");
	put_desc(out->file_name, sizeof out->file_name, f, "file_name");
	put_desc(out->mime, sizeof out->mime, f, "mime_type");
	if (media == CH_PF_MEDIA_STICKER) {
		const char *m = json_is_true(json_object_get(f, "is_animated")) ? "application/x-tgsticker"
		                : json_is_true(json_object_get(f, "is_video")) ? "video/webm"
		                                                                : "image/webp";
		snprintf(out->mime, sizeof out->mime, "%s", m);
	}
	return 0;
}

/* A phone number as given: digits, '+', spaces, '-', '(' and ')'. */
static void tg_contact(ch_pf_inbound *out, const json_t *contact, json_int_t from_id)
{
	const char *s;
	size_t n;
	json_t *uid = json_object_get(contact, "user_id");
	if (!json_is_integer(uid) || json_integer_value(uid) != from_id)
		return;
	if (str_of(contact, "phone_number", &s, &n) != 1 || !n || n >= sizeof out->phone ||
	    strspn(s, "0123456789+ -()") != n)
		return;
	memcpy(out->phone, s, n);
	out->phone[n] = 0;
}

static int tg_media(ch_pf_inbound *out, const json_t *msg, json_int_t from_id, char *why, size_t whylen)
{
	static const struct {
		const char *key;
		ch_pf_media media;
	} files[] = {{"document", CH_PF_MEDIA_DOCUMENT},
	             {"voice", CH_PF_MEDIA_VOICE},
	             {"video", CH_PF_MEDIA_VIDEO},
	             {"sticker", CH_PF_MEDIA_STICKER}};
	json_t *v = json_object_get(msg, "photo");
	if (v)
		return tg_photo(out, v, why, whylen);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if ((v = json_object_get(msg, files[i].key)))
			return tg_file(out, v, files[i].media, files[i].key, why, whylen);
	if (json_is_object(v = json_object_get(msg, "contact")))
		tg_contact(out, v, from_id);
	return 0;
}

static int tg_update(ch_pf_inbound *out, const json_t *root, char *why, size_t whylen)
{
	if (put_int_id(out->dedupe_id, sizeof out->dedupe_id, json_object_get(root, "update_id"), 0))
		return fail(why, whylen, "update_id: missing or not a non-negative integer");
	json_t *msg = json_object_get(root, "message");
	if (!msg)
		return 0; /* an edit, a channel post, a callback query…: nothing we store */
	if (!json_is_object(msg))
		return fail(why, whylen, "message: not an object");
	json_t *from = json_object_get(msg, "from");
	if (!json_is_object(from))
		return fail(why, whylen, "message.from: missing or not an object");
	json_t *id = json_object_get(from, "id");
	if (put_int_id(out->user_id, sizeof out->user_id, id, 1))
		return fail(why, whylen, "message.from.id: missing or not a positive integer");
	json_t *bot = json_object_get(from, "is_bot");
	if (bot && !json_is_boolean(bot))
		return fail(why, whylen, "message.from.is_bot: not a boolean");
	const char *s;
	size_t n;
	json_t *chat = json_object_get(msg, "chat");
	if (json_is_true(bot) || (json_is_object(chat) && str_of(chat, "type", &s, &n) == 1 && strcmp(s, "private")))
		return 0; /* another bot, or a group the bot was added to */
	tg_name(out, from);
	if (put_message_text(out, msg, "text", "caption"))
		return fail(why, whylen, "message.text or caption: not a string");
	if (tg_media(out, msg, json_integer_value(id), why, whylen))
		return -1;
	if (out->text[0] || out->media != CH_PF_MEDIA_NONE || out->phone[0])
		out->kind = CH_PF_MESSAGE;
	return 0;
}

int ch_pf_telegram_parse(const char *body, size_t len, ch_pf_inbound *out, char *why, size_t whylen)
{
	init_inbound(out);
	json_t *root = load_object(body, len, why, whylen);
	if (!root)
		return -1;
	int r = tg_update(out, root, why, whylen);
	json_decref(root);
	if (r)
		init_inbound(out);
	return r;
}

/* ------------------------------------------------------------------- Viber */

/* An http(s) URL the server may fetch. */
static int vb_media(ch_pf_inbound *out, const json_t *m)
{
	if (put_str_id(out->file_ref, sizeof out->file_ref, json_object_get(m, "media")) ||
	    (strncmp(out->file_ref, "https://", 8) && strncmp(out->file_ref, "http://", 7))) {
		out->file_ref[0] = 0;
		return -1;
	}
	return 0;
}

static int vb_message(ch_pf_inbound *out, const json_t *root, char *why, size_t whylen)
{
	if (put_int_id(out->dedupe_id, sizeof out->dedupe_id, json_object_get(root, "message_token"), 0))
		return fail(why, whylen, "message_token: missing or not a non-negative integer");
	json_t *sender = json_object_get(root, "sender");
	if (!json_is_object(sender) || put_str_id(out->user_id, sizeof out->user_id, json_object_get(sender, "id")))
		return fail(why, whylen, "sender.id: missing, too long or not a string");
	put_desc(out->name, sizeof out->name, sender, "name");
	trim(out->name);
	json_t *m = json_object_get(root, "message");
	const char *type, *url;
	size_t n;
	if (!json_is_object(m) || str_of(m, "type", &type, &n) != 1)
		return fail(why, whylen, "message.type: missing or not a string");
	if (put_message_text(out, m, "text", NULL))
		return fail(why, whylen, "message.text: not a string");
	ch_pf_media media = !strcmp(type, "picture") ? CH_PF_MEDIA_PHOTO
	                    : !strcmp(type, "video") ? CH_PF_MEDIA_VIDEO
	                    : !strcmp(type, "file")  ? CH_PF_MEDIA_DOCUMENT
	                                             : CH_PF_MEDIA_NONE;
	if (media != CH_PF_MEDIA_NONE) {
		if (vb_media(out, m))
			return fail(why, whylen, "message.media: missing, too long or not an http(s) URL");
		out->media = media;
		out->file_size = size_of(m, "size");
		put_desc(out->file_name, sizeof out->file_name, m, "file_name");
	} else if (!strcmp(type, "sticker") && !vb_media(out, m)) {
		out->media = CH_PF_MEDIA_STICKER;
	} else if (!strcmp(type, "url") && !out->text[0] && str_of(m, "media", &url, &n) == 1) {
		put_text(out->text, sizeof out->text, url, n, CH_TEXT_MAX_CHARS, 0);
	}
	if (out->text[0] || out->media != CH_PF_MEDIA_NONE)
		out->kind = CH_PF_MESSAGE;
	return 0;
}

/* message_token when present (must then be valid) into dst. */
static int vb_token(char *dst, size_t cap, const json_t *root)
{
	json_t *t = json_object_get(root, "message_token");
	return t ? put_int_id(dst, cap, t, 0) : 0;
}

static int vb_user(ch_pf_inbound *out, const json_t *root, ch_pf_kind kind, char *why, size_t whylen)
{
	if (vb_token(out->dedupe_id, sizeof out->dedupe_id, root))
		return fail(why, whylen, "message_token: not a non-negative integer");
	if (kind == CH_PF_UNSUBSCRIBED) {
		if (put_str_id(out->user_id, sizeof out->user_id, json_object_get(root, "user_id")))
			return fail(why, whylen, "user_id: missing, too long or not a string");
	} else {
		json_t *user = json_object_get(root, "user");
		if (!json_is_object(user) || put_str_id(out->user_id, sizeof out->user_id, json_object_get(user, "id")))
			return fail(why, whylen, "user.id: missing, too long or not a string");
		put_desc(out->name, sizeof out->name, user, "name");
		trim(out->name);
	}
	out->kind = kind;
	return 0;
}

static int vb_status(ch_pf_inbound *out, const json_t *root, int status, char *why, size_t whylen)
{
	if (put_int_id(out->status_ref, sizeof out->status_ref, json_object_get(root, "message_token"), 0))
		return fail(why, whylen, "message_token: missing or not a non-negative integer");
	json_t *uid = json_object_get(root, "user_id");
	if (uid && put_str_id(out->user_id, sizeof out->user_id, uid))
		return fail(why, whylen, "user_id: too long or not a string");
	out->kind = CH_PF_STATUS;
	out->status = status;
	return 0;
}

static int vb_callback(ch_pf_inbound *out, const json_t *root, char *why, size_t whylen)
{
	const char *ev;
	size_t n;
	if (str_of(root, "event", &ev, &n) != 1)
		return fail(why, whylen, "event: missing or not a string");
	if (!strcmp(ev, "webhook")) {
		out->kind = CH_PF_WEBHOOK_CHECK;
		return 0;
	}
	if (!strcmp(ev, "message"))
		return vb_message(out, root, why, whylen);
	if (!strcmp(ev, "subscribed") || !strcmp(ev, "conversation_started"))
		return vb_user(out, root, CH_PF_SUBSCRIBED, why, whylen);
	if (!strcmp(ev, "unsubscribed"))
		return vb_user(out, root, CH_PF_UNSUBSCRIBED, why, whylen);
	if (!strcmp(ev, "delivered"))
		return vb_status(out, root, CH_MSG_SUCCESS, why, whylen);
	if (!strcmp(ev, "seen"))
		return vb_status(out, root, CH_MSG_READ, why, whylen);
	return 0; /* failed, client_status, anything newer: nothing to store */
}

int ch_pf_viber_parse(const char *body, size_t len, ch_pf_inbound *out, char *why, size_t whylen)
{
	init_inbound(out);
	json_t *root = load_object(body, len, why, whylen);
	if (!root)
		return -1;
	int r = vb_callback(out, root, why, whylen);
	json_decref(root);
	if (r)
		init_inbound(out);
	return r;
}

/* ------------------------------------------------------------------ Proofs */

int ch_pf_telegram_secret_ok(const char *header_value, const char *secret)
{
	if (!header_value || !secret || !secret[0])
		return 0;
	size_t n = strlen(secret);
	if (strlen(header_value) != n)
		return 0;
	return sodium_memcmp(header_value, secret, n) == 0;
}

int ch_pf_viber_signature_ok(const char *header_hex, const char *token, const char *body, size_t len)
{
	unsigned char given[crypto_auth_hmacsha256_BYTES], mac[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;
	if (!header_hex || !token || !token[0] || (!body && len) || strlen(header_hex) != 2 * sizeof given)
		return 0;
	if (sodium_hex2bin(given, sizeof given, header_hex, 2 * sizeof given, NULL, &n, NULL) || n != sizeof given)
		return 0;
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)token, strlen(token));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)(body ? body : ""), len);
	crypto_auth_hmacsha256_final(&st, mac);
	return sodium_memcmp(mac, given, sizeof mac) == 0;
}

/* ----------------------------------------------------------------- Answers */

static void init_answer(ch_pf_answer *out)
{
	memset(out, 0, sizeof *out);
	out->verdict = CH_PF_RETRY;
}

static void answer_error(ch_pf_answer *out, const json_t *root, const char *key, int http_status)
{
	const char *s;
	size_t n;
	if (root && str_of(root, key, &s, &n) == 1 && put_text(out->error, sizeof out->error, s, n, sizeof out->error, 1))
		return;
	snprintf(out->error, sizeof out->error, "HTTP %d", http_status);
}

/* A Telegram error the request itself causes (it can never succeed), or one
 * that passes (rate limit, the platform down, the token being fixed). */
static ch_pf_verdict tg_error_verdict(int code)
{
	if (code == 400 || code == 403)
		return CH_PF_REJECTED; /* chat not found, bot blocked, user deactivated, bad request */
	if (code == 401 || code == 404 || code == 408 || code == 409 || code == 429)
		return CH_PF_RETRY; /* token revoked or wrong (the admin fixes it), timeouts, flood control */
	return code >= 400 && code < 500 ? CH_PF_REJECTED : CH_PF_RETRY;
}

void ch_pf_telegram_answer(int http_status, const char *body, size_t len, ch_pf_answer *out)
{
	init_answer(out);
	if (http_status <= 0) {
		snprintf(out->error, sizeof out->error, "no answer from the platform");
		return;
	}
	json_t *root = load_object(body, len, NULL, 0);
	if (!root) {
		snprintf(out->error, sizeof out->error, "HTTP %d: unparsable answer", http_status);
		return;
	}
	json_t *ec = json_object_get(root, "error_code");
	int code = json_is_integer(ec) && json_integer_value(ec) > 0 && json_integer_value(ec) < 1000
	               ? (int)json_integer_value(ec)
	               : http_status;
	int ok2xx = http_status >= 200 && http_status < 300;
	if (ok2xx && json_is_true(json_object_get(root, "ok"))) {
		out->verdict = CH_PF_SENT;
		put_int_id(out->platform_message_id, sizeof out->platform_message_id,
		           json_object_get(json_object_get(root, "result"), "message_id"), 0);
	} else if (http_status == 429 || code == 429) {
		json_t *ra = json_object_get(json_object_get(root, "parameters"), "retry_after");
		json_int_t s = json_is_integer(ra) ? json_integer_value(ra) : 0;
		out->retry_after_s = s < 0 ? 0 : s > CH_PF_RETRY_AFTER_MAX ? CH_PF_RETRY_AFTER_MAX : (int)s;
		answer_error(out, root, "description", 429);
	} else {
		/* a 2xx that is not ok names its error in error_code, else it passes */
		out->verdict = tg_error_verdict(ok2xx && !json_is_integer(ec) ? 500 : ok2xx ? code : http_status);
		answer_error(out, root, "description", http_status);
	}
	json_decref(root);
}

/* Viber statuses no retry can change: bad or missing data, a receiver not
 * registered or not subscribed, the bot's account blocked, a device that cannot
 * receive bot messages. */
static int vb_permanent(json_int_t status)
{
	return status == 3 || status == 4 || status == 5 || status == 6 || status == 7 || status == 11;
}

void ch_pf_viber_answer(int http_status, const char *body, size_t len, ch_pf_answer *out)
{
	init_answer(out);
	if (http_status <= 0) {
		snprintf(out->error, sizeof out->error, "no answer from the platform");
		return;
	}
	if (http_status < 200 || http_status >= 300) {
		snprintf(out->error, sizeof out->error, "HTTP %d", http_status);
		return;
	}
	json_t *root = load_object(body, len, NULL, 0);
	json_t *st = root ? json_object_get(root, "status") : NULL;
	if (!json_is_integer(st)) {
		snprintf(out->error, sizeof out->error, "HTTP %d: unparsable answer", http_status);
		json_decref(root);
		return;
	}
	json_int_t status = json_integer_value(st);
	if (status == 0) {
		out->verdict = CH_PF_SENT;
		put_int_id(out->platform_message_id, sizeof out->platform_message_id,
		           json_object_get(root, "message_token"), 0);
	} else {
		out->verdict = vb_permanent(status) ? CH_PF_REJECTED : CH_PF_RETRY;
		const char *s;
		size_t n;
		if (str_of(root, "status_message", &s, &n) != 1 ||
		    !put_text(out->error, sizeof out->error, s, n, sizeof out->error, 1))
			snprintf(out->error, sizeof out->error, "Viber status %lld", (long long)status);
	}
	json_decref(root);
}

/* ----------------------------------------------------------- Request bodies */

/* A new string, or NULL (and root released) when something was NULL or not
 * valid UTF-8 along the way. */
static char *dump(json_t *root, int ok)
{
	char *s = ok && root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return s;
}

/* 1 when s is [-]digits that fit an int64. */
static int decimal_int64(const char *s, long long *v)
{
	const char *d = s[0] == '-' ? s + 1 : s;
	size_t n = strlen(d);
	if (!n || n > 19 || strspn(d, "0123456789") != n)
		return 0;
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && !*end;
}

static json_t *chat_id_value(const char *chat_id)
{
	long long v;
	return decimal_int64(chat_id, &v) ? json_integer(v) : json_string(chat_id);
}

char *ch_pf_telegram_send_text(const char *chat_id, const char *text)
{
	if (!chat_id || !text)
		return NULL;
	json_t *root = json_object();
	int ok = !json_object_set_new(root, "chat_id", chat_id_value(chat_id));
	ok = ok && !json_object_set_new(root, "text", json_string(text));
	return dump(root, ok);
}

/* The sender name Viber shows: at most CH_PF_VIBER_SENDER_NAME_MAX characters,
 * never empty (Viber requires one). */
static json_t *vb_sender(const char *name)
{
	char cut[CH_PF_VIBER_SENDER_NAME_MAX * 4 + 1];
	if (!name || !ch_utf8_valid(name, strlen(name)) ||
	    !put_text(cut, sizeof cut, name, strlen(name), CH_PF_VIBER_SENDER_NAME_MAX, 1))
		snprintf(cut, sizeof cut, "ChatHub");
	return json_pack("{s:s}", "name", cut);
}

char *ch_pf_viber_send(const char *receiver, const char *sender_name, const char *text, const char *media_url,
                       int media_type, const char *file_name, int64_t size)
{
	if (!receiver || (!media_url && !text))
		return NULL;
	json_t *root = json_object();
	int ok = !json_object_set_new(root, "receiver", json_string(receiver));
	ok = ok && !json_object_set_new(root, "min_api_version", json_integer(1));
	ok = ok && !json_object_set_new(root, "sender", vb_sender(sender_name));
	const char *type = !media_url                     ? "text"
	                   : media_type == CH_MEDIA_PHOTO ? "picture"
	                   : media_type == CH_MEDIA_VIDEO ? "video"
	                                                  : "file";
	ok = ok && !json_object_set_new(root, "type", json_string(type));
	if (!media_url || media_type == CH_MEDIA_PHOTO) /* a picture's text is its caption, required */
		ok = ok && !json_object_set_new(root, "text", json_string(text ? text : ""));
	if (media_url)
		ok = ok && !json_object_set_new(root, "media", json_string(media_url));
	if (media_url && media_type != CH_MEDIA_PHOTO && size >= 0)
		ok = ok && !json_object_set_new(root, "size", json_integer(size));
	if (media_url && media_type != CH_MEDIA_PHOTO && media_type != CH_MEDIA_VIDEO)
		ok = ok && !json_object_set_new(root, "file_name",
		                                json_string(file_name && file_name[0] ? file_name : "file"));
	return dump(root, ok);
}

char *ch_pf_telegram_set_webhook(const char *url, const char *secret)
{
	if (!url)
		return NULL;
	json_t *root = json_object();
	int ok = !json_object_set_new(root, "url", json_string(url));
	if (url[0]) {
		/* only what becomes a chat: edits and the rest never reach us */
		ok = ok && !json_object_set_new(root, "allowed_updates", json_pack("[s]", "message"));
		if (secret && secret[0])
			ok = ok && !json_object_set_new(root, "secret_token", json_string(secret));
	}
	return dump(root, ok);
}

char *ch_pf_viber_set_webhook(const char *url)
{
	if (!url)
		return NULL;
	json_t *root = json_object();
	int ok = !json_object_set_new(root, "url", json_string(url));
	if (url[0]) {
		ok = ok && !json_object_set_new(root, "event_types",
		                                json_pack("[s,s,s,s,s,s]", "delivered", "seen", "failed", "subscribed",
		                                          "unsubscribed", "conversation_started"));
		ok = ok && !json_object_set_new(root, "send_name", json_true());
		ok = ok && !json_object_set_new(root, "send_photo", json_false());
	}
	return dump(root, ok);
}

/* --------------------------------------------------------------- Multipart */

#define BCHARS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?"
#define TCHARS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$&^_.+-"

/* The file name as a quoted-string can hold it: no '"', '\\' or control
 * characters, at most 255 bytes cut on a character boundary, "file" when
 * nothing is left or it is not UTF-8. */
static void safe_file_name(char out[256], const char *name)
{
	size_t o = 0;
	for (const char *p = name ? name : ""; *p && o < 255; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
			out[o++] = (char)c;
	}
	/* the 255-byte cut may split the last character: drop its bytes */
	for (int k = 0; k < 3 && o && !ch_utf8_valid(out, o); k++)
		o--;
	out[o] = 0;
	if (!o || !ch_utf8_valid(out, o))
		snprintf(out, 256, "file");
}

/* type "/" subtype, both tokens (RFC 9110), else application/octet-stream. */
static const char *safe_mime(const char *mime)
{
	const char *slash = mime ? strchr(mime, '/') : NULL;
	size_t n = mime ? strlen(mime) : 0;
	if (!slash || slash == mime || !slash[1] || n > 100 || strspn(mime, TCHARS) != (size_t)(slash - mime) ||
	    strspn(slash + 1, TCHARS) != strlen(slash + 1))
		return "application/octet-stream";
	return mime;
}

static int occurs(const void *hay, size_t n, const char *delim)
{
	return hay && n && memmem(hay, n, delim, strlen(delim)) != NULL;
}

static void part_head(ch_buf *b, const char *boundary, const char *name)
{
	ch_buf_printf(b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n", boundary, name);
}

/* -1: an unusable argument; -2: the boundary occurs in a part. */
static int multipart(const char *boundary, const char *chat_id, const char *field, const char *file_name,
                     const char *mime, const void *data, size_t n, const char *caption, char **body, size_t *len,
                     char content_type[128])
{
	size_t bl = boundary ? strlen(boundary) : 0;
	long long id;
	if (!bl || bl > 70 || strspn(boundary, BCHARS) != bl || !chat_id || !decimal_int64(chat_id, &id) || !field ||
	    (strcmp(field, "photo") && strcmp(field, "document")) || (!data && n) ||
	    (caption && !ch_utf8_valid(caption, strlen(caption))))
		return -1;
	char fname[256], delim[80];
	safe_file_name(fname, file_name);
	snprintf(delim, sizeof delim, "--%s", boundary);
	if (occurs(data, n, delim) || occurs(caption, caption ? strlen(caption) : 0, delim) ||
	    occurs(fname, strlen(fname), delim) || occurs(chat_id, strlen(chat_id), delim))
		return -2;
	ch_buf b = CH_BUF_INIT;
	part_head(&b, boundary, "chat_id");
	ch_buf_printf(&b, "\r\n%s\r\n", chat_id);
	if (caption && caption[0]) {
		part_head(&b, boundary, "caption");
		ch_buf_printf(&b, "\r\n%s\r\n", caption);
	}
	ch_buf_printf(&b, "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n", boundary, field,
	              fname);
	ch_buf_printf(&b, "Content-Type: %s\r\n\r\n", safe_mime(mime));
	ch_buf_append(&b, data, n);
	ch_buf_printf(&b, "\r\n--%s--\r\n", boundary);
	*body = b.data;
	*len = b.len;
	snprintf(content_type, 128, "multipart/form-data; boundary=%s", boundary);
	return 0;
}

int ch_pf_multipart_with(const char *boundary, const char *chat_id, const char *field, const char *file_name,
                         const char *mime, const void *data, size_t n, const char *caption, char **body,
                         size_t *len, char content_type[128])
{
	*body = NULL;
	*len = 0;
	return multipart(boundary, chat_id, field, file_name, mime, data, n, caption, body, len, content_type) ? -1
	                                                                                                       : 0;
}

int ch_pf_telegram_multipart(const char *chat_id, const char *field, const char *file_name, const char *mime,
                             const void *data, size_t n, const char *caption, char **body, size_t *len,
                             char content_type[128])
{
	*body = NULL;
	*len = 0;
	/* 128 random bits: a collision is a file made to hold this boundary, and
	 * it cannot know the next one */
	for (int attempt = 0; attempt < 8; attempt++) {
		unsigned char r[16];
		char boundary[8 + 2 * sizeof r + 1];
		ch_random_bytes(r, sizeof r);
		memcpy(boundary, "chathub-", 8);
		for (size_t i = 0; i < sizeof r; i++)
			snprintf(boundary + 8 + 2 * i, 3, "%02x", r[i]);
		int e = multipart(boundary, chat_id, field, file_name, mime, data, n, caption, body, len, content_type);
		if (e != -2)
			return e;
	}
	return -1;
}

/* ------------------------------------------------------------------ getFile */

static int plain_path(const char *p, size_t n)
{
	static const char ok[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._/-";
	return n && p[0] != '/' && strspn(p, ok) == n && !strstr(p, "..");
}

int ch_pf_telegram_file_path(const char *body, size_t len, char *path, size_t pathlen, int64_t *size)
{
	if (path && pathlen)
		path[0] = 0;
	if (size)
		*size = -1;
	json_t *root = load_object(body, len, NULL, 0);
	if (!root)
		return -1;
	json_t *result = json_object_get(root, "result");
	const char *s;
	size_t n;
	int r = -1;
	if (json_is_true(json_object_get(root, "ok")) && json_is_object(result) &&
	    str_of(result, "file_path", &s, &n) == 1 && plain_path(s, n) && path && n < pathlen) {
		memcpy(path, s, n + 1);
		if (size)
			*size = size_of(result, "file_size");
		r = 0;
	}
	json_decref(root);
	return r;
}
