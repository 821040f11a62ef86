/* model.h — the chat domain's vocabulary: the values of a chat's, a
 * message's and an operator's status, who wrote a message, what a medium is,
 * where a client came from, and the limits of the texts and names the domain
 * holds. They are the public API's numbers (docs/api.md), so a value never
 * changes meaning; the store persists them as they are (store.h includes this
 * header) and every layer above reads them from here.
 * Threading: constants only.
 */
#ifndef CH_CHAT_MODEL_H
#define CH_CHAT_MODEL_H

/* ---- limits (bytes unless said otherwise) ------------------------------- */

#define CH_LOGIN_MAX 128     /* a company's login */
#define CH_NAME_MAX 256      /* names and themes, UTF-8 */
#define CH_EXTID_MAX 128     /* external ids: an operator's, a client's key, a clientMessageId */
#define CH_GUID_LEN 36       /* 8-4-4-4-12 hex: an organization's widget guid, event ids */
#define CH_ORIGINS_MAX 4096  /* JSON text of an organization's allowed-origins array */
#define CH_PHOTO_MAX 2048    /* an operator's photo URL */
#define CH_SEARCH_MAX_BYTES 256 /* a search's words, UTF-8 (chat/search.h) */
#define CH_SEARCH_MAX_WORDS 16  /* ... separated by white space */
#define CH_PHONE_MAX 64      /* a client's phone */
#define CH_EMAIL_MAX 256     /* a client's email */
#define CH_PREVIEW_MAX 256   /* the newest message's text kept on its chat */
#define CH_TEXT_MAX_CHARS 4096 /* a message's text, in characters */
#define CH_TEXT_MAX_BYTES (4 * CH_TEXT_MAX_CHARS)
#define CH_CSAT_COMMENT_MAX 1000 /* a visitor's comment on its rating of a chat */
#define CH_FORMAT_MAX 128    /* a medium's MIME type or extension as given */
/* A client's profile (docs/api.md, "Client"): the page of the visitor's latest
 * widget session, its browser, and custom attributes. */
#define CH_URL_MAX 2048        /* a page URL or referrer, in bytes */
#define CH_LANGUAGE_MAX 35     /* a BCP 47 language tag as the browser gives it */
#define CH_USER_AGENT_MAX 512  /* a User-Agent header, in bytes */
#define CH_ATTRS_MAX_KEYS 50   /* attributes per client */
#define CH_ATTR_KEY_MAX 64     /* bytes of [A-Za-z0-9_.-] */
#define CH_ATTR_VALUE_MAX 1024 /* bytes of a string value */
#define CH_ATTRS_JSON_MAX 8192 /* the attributes object as compact JSON, in bytes */
/* The verified keys as a JSON array of strings: fits 50 keys of 64 bytes. */
#define CH_ATTRS_KEYS_JSON_MAX (CH_ATTRS_MAX_KEYS * (CH_ATTR_KEY_MAX + 3) + 2)

/* ---- values ------------------------------------------------------------- */

/* An operator's status; Inactive and Deleted revoke its tokens. */
enum { CH_OPERATOR_ACTIVE = 0, CH_OPERATOR_INACTIVE = 1, CH_OPERATOR_DELETED = 2 };

/* Where a client (and so its chats) came from. */
enum { CH_SOURCE_VIBER = 1, CH_SOURCE_TELEGRAM = 2, CH_SOURCE_WIDGET = 3, CH_SOURCE_API = 4 };

/* A chat's status (chat/status.h: the transitions). */
enum { CH_CHAT_NEW = 0, CH_CHAT_OPEN = 1, CH_CHAT_WAITING = 2, CH_CHAT_ON_PAUSE = 3, CH_CHAT_CLOSED = 4 };

/* Who wrote a message: the operator side (an operator or the company), the
 * client, or the server itself. */
enum { CH_AUTHOR_OPERATOR = 0, CH_AUTHOR_CLIENT = 1, CH_AUTHOR_SYSTEM = 2 };

/* A message's status, as its reader sees it. */
enum { CH_MSG_NEW = 0, CH_MSG_SUCCESS = 1, CH_MSG_REJECTED = 2, CH_MSG_READ = 3 };

/* What a message's medium is. */
enum { CH_MEDIA_PHOTO = 1, CH_MEDIA_VIDEO = 2, CH_MEDIA_AUDIO = 3, CH_MEDIA_FILE = 4 };

#endif
