/* platform.h — the Telegram Bot API and the Viber REST bot API as data: an
 * inbound update or callback parsed into one flat struct, the proof a webhook
 * request carries, what a platform's answer to a send means, and the request
 * bodies the server sends. No I/O and no store: bytes in, structs out.
 *
 * Every string this module writes is NUL-terminated and valid UTF-8 without NUL
 * bytes (what the store accepts); a text longer than CH_TEXT_MAX_CHARS
 * characters is cut at a character boundary (Viber allows 7,000), never
 * refused. A platform user id that does not fit its field is refused, never
 * cut (two users would become one client).
 * Threading: pure; any thread. */
#ifndef CH_CHAT_PLATFORM_H
#define CH_CHAT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* A body larger than this is not parsed at all (the webhook's own limit is
 * lower; this bounds what a caller that forgot it would hand us). */
#define CH_PF_BODY_MAX (1024 * 1024)
/* Telegram: a photo's or document's caption, in characters. */
#define CH_PF_TELEGRAM_CAPTION_MAX 1024
/* Viber: the sender name shown with a bot's message, in characters (longer
 * names are cut by ch_pf_viber_send), and a picture's text. */
#define CH_PF_VIBER_SENDER_NAME_MAX 28
#define CH_PF_VIBER_PICTURE_TEXT_MAX 120

typedef enum {
	CH_PF_IGNORE,        /* valid, but nothing to store (an edit, a bot, a group, a kind we do not map) */
	CH_PF_MESSAGE,       /* a customer's message: text and/or media (or a contact: phone) */
	CH_PF_STATUS,        /* Viber delivered / seen of a message the bot sent */
	CH_PF_SUBSCRIBED,    /* Viber subscribed or conversation_started: create the client */
	CH_PF_UNSUBSCRIBED,  /* Viber unsubscribed */
	CH_PF_WEBHOOK_CHECK, /* Viber's set_webhook probe: answer 200 */
} ch_pf_kind;

typedef enum {
	CH_PF_MEDIA_NONE,
	CH_PF_MEDIA_PHOTO,
	CH_PF_MEDIA_DOCUMENT,
	CH_PF_MEDIA_VOICE,
	CH_PF_MEDIA_STICKER,
	CH_PF_MEDIA_VIDEO
} ch_pf_media;

typedef struct ch_pf_inbound {
	ch_pf_kind kind;
	/* Telegram: update_id, on every kind. Viber: message_token of a MESSAGE,
	 * SUBSCRIBED or UNSUBSCRIBED when given; "" on STATUS (a status is
	 * idempotent, and delivered and seen share their token: status_ref holds it),
	 * WEBHOOK_CHECK and IGNORE. Decimal text. */
	char dedupe_id[64];
	char user_id[128];   /* Telegram from.id (decimal), Viber sender.id / user.id / user_id */
	char name[256];      /* "first last" / Viber name; "" when none; valid UTF-8, cut at a boundary */
	char phone[64];      /* Telegram contact.phone_number when the user shared it; else "" */
	char text[4097 * 4]; /* text or caption (≤ 4096 characters), "" when none */
	ch_pf_media media;
	char file_ref[1024];  /* Telegram file_id (largest photo size) / Viber media URL */
	char file_name[256];  /* document file_name / Viber file_name; "" when none */
	char mime[128];       /* mime_type when given */
	int64_t file_size;    /* as announced, -1 when unknown */
	int status;           /* CH_PF_STATUS: 1 delivered, 3 seen (message status numbers) */
	char status_ref[64];  /* CH_PF_STATUS: the Viber message_token it is about */
} ch_pf_inbound;

/* 0 and *out filled; -1 with why (≤ 200 bytes; why may be NULL) for a body that
 * is not a valid update (not JSON, not an object, wrong types, missing ids).
 * *out is fully initialised either way. body is borrowed. */
int ch_pf_telegram_parse(const char *body, size_t len, ch_pf_inbound *out, char *why, size_t whylen);
int ch_pf_viber_parse(const char *body, size_t len, ch_pf_inbound *out, char *why, size_t whylen);

/* Proofs, over the raw bytes, in constant time for a given length. 1 when the
 * request proves it comes from the platform, else 0 (a NULL or empty header,
 * secret or token is never a proof). The Telegram secret is compared as given;
 * the Viber signature is the hex (either case) HMAC-SHA256 of the body keyed
 * with the bot token. */
int ch_pf_telegram_secret_ok(const char *header_value /* may be NULL */, const char *secret);
int ch_pf_viber_signature_ok(const char *header_hex /* may be NULL */, const char *token, const char *body,
                             size_t len);

/* What a platform's answer to a send means. */
typedef enum { CH_PF_SENT, CH_PF_RETRY, CH_PF_REJECTED } ch_pf_verdict;
typedef struct ch_pf_answer {
	ch_pf_verdict verdict;
	int retry_after_s;            /* CH_PF_RETRY: Telegram parameters.retry_after, else 0 (use backoff) */
	char platform_message_id[65]; /* CH_PF_SENT: Telegram result.message_id, Viber message_token */
	char error[256];              /* what to show: "Forbidden: bot was blocked by the user", "HTTP 502" … */
} ch_pf_answer;
/* http_status 0 means no answer at all (connection failed, timed out). body
 * may be NULL. retry_after_s is at most CH_PF_RETRY_AFTER_MAX. */
#define CH_PF_RETRY_AFTER_MAX 86400
void ch_pf_telegram_answer(int http_status, const char *body, size_t len, ch_pf_answer *out);
void ch_pf_viber_answer(int http_status, const char *body, size_t len, ch_pf_answer *out);

/* Request bodies: new malloc'd NUL-terminated strings (the caller frees), or
 * NULL when an argument is NULL where a value is needed or not valid UTF-8.
 * Telegram's chat_id goes out as a JSON integer when it is a decimal int64,
 * else as a string. */
char *ch_pf_telegram_send_text(const char *chat_id, const char *text);
char *ch_pf_viber_send(const char *receiver, const char *sender_name, const char *text,
                       const char *media_url /* NULL: text */, int media_type /* CH_MEDIA_* */,
                       const char *file_name, int64_t size);
/* secret NULL or "": no secret_token. url "" removes the webhook. */
char *ch_pf_telegram_set_webhook(const char *url, const char *secret);
char *ch_pf_viber_set_webhook(const char *url /* "" removes */);

/* multipart/form-data (RFC 7578) for sendPhoto / sendDocument: 0 with *body
 * and *len a new buffer (the caller frees) and content_type
 * "multipart/form-data; boundary=…", -1 when an argument is unusable (chat_id
 * not decimal, field not "photo" or "document", a caption not valid UTF-8).
 * The boundary is random and checked not to occur in any part. The file name
 * is written quoted without quotes, backslashes or control characters; a mime
 * that is not a type/subtype token becomes application/octet-stream. data
 * and the strings are borrowed; caption may be NULL. */
int ch_pf_telegram_multipart(const char *chat_id, const char *field /* "photo" | "document" */,
                             const char *file_name, const char *mime, const void *data, size_t n,
                             const char *caption, char **body, size_t *len, char content_type[128]);
/* The same with a boundary given (1..70 characters of [0-9A-Za-z'()+_,-./:=?]):
 * -1 also when "--boundary" occurs in a part. ch_pf_telegram_multipart calls
 * it with fresh random boundaries until one does not occur. */
int ch_pf_multipart_with(const char *boundary, const char *chat_id, const char *field, const char *file_name,
                         const char *mime, const void *data, size_t n, const char *caption, char **body,
                         size_t *len, char content_type[128]);

/* getFile's answer → file_path and file_size (-1 unknown); -1 when not ok or
 * when file_path is missing, does not fit, or is not a plain relative path
 * ([A-Za-z0-9._/-], no "..", not starting with '/'). */
int ch_pf_telegram_file_path(const char *body, size_t len, char *path, size_t pathlen, int64_t *size);

#endif
