/* internal.h — what the REST resource files (company.c, operator.c, ops.c)
 * share: the per-request context, the route table entry, and the helpers that
 * validate input and build responses. Private to src/api/.
 * Threading: a ch_ctx lives on one worker thread for one request. */
#ifndef CH_API_INTERNAL_H
#define CH_API_INTERNAL_H

#include <jansson.h>

#include "api/api.h"
#include "svc/svc.h"

typedef struct ch_ctx ch_ctx;
typedef void (*ch_handler)(ch_ctx *c);

enum { /* which token kinds a route accepts (bitmask); 0 = no token */
	CH_AUTH_NONE = 0,
	CH_AUTH_COMPANY = 1 << CH_TOKEN_COMPANY,
	CH_AUTH_OPERATOR = 1 << CH_TOKEN_OPERATOR,
	CH_AUTH_VISITOR = 1 << CH_TOKEN_VISITOR,
	CH_AUTH_STAFF = CH_AUTH_COMPANY | CH_AUTH_OPERATOR,
	CH_AUTH_ANY = CH_AUTH_STAFF | CH_AUTH_VISITOR,
};

/* Route body limits (ch_route.max_body); a caller without a valid token gets
 * max_anonymous_body_bytes whatever the route says. */
#define CH_BODY_DEFAULT 0     /* max_body_bytes */
#define CH_BODY_MEDIA (-1)    /* sized for media_max_bytes */
#define CH_BODY_NONE (-2)     /* the endpoint reads no body */
#define CH_BODY_ANON (-3)     /* max_anonymous_body_bytes, even with a token */
#define CH_BODY_SIGNED (-4)   /* media-sized when the request carries a signature header;
                                 the handler checks it over the raw bytes, then parses */
#define CH_BODY_ANON_RAW (-5) /* max_anonymous_body_bytes, even with a token; the handler reads
                                 the raw body (ch_ctx_raw_json), ch_ctx_parse_body for what it does not know */
#define CH_BODY_BOT (-6)      /* CH_BOT_BODY_MAX whoever calls; the handler reads the raw body (a
                                 platform's webhook call: its proof is checked over the bytes first) */
#define CH_BOT_BODY_MAX 262144

/* Which origins may read a route's answers (CORS). */
enum {
	CH_CORS_SCOPE = 0, /* the token's organizations; without a valid token, any organization's list */
	CH_CORS_GUID,      /* the organization named by the {guid} segment */
	CH_CORS_NONE,      /* never: server-to-server and operational routes */
};

typedef struct ch_route {
	ch_method method;
	const char *pattern; /* "{id}" matches one path segment, "{guid}" one read by the handler */
	ch_handler handler;
	unsigned auth;
	ch_pool pool;
	int64_t max_body; /* CH_BODY_* */
	int cors;         /* CH_CORS_* */
	const char *params; /* the query parameters it takes, space-separated (access_token is always fine) */
} ch_route;

struct ch_api {
	ch_api_opts o;
	/* failed logins: per address, per (login, address) and per login */
	struct ch_ratelimit *login_ip, *login_fail, *login_name;
	struct ch_ratelimit *per_ip, *per_token, *sessions;
};

struct ch_ctx {
	ch_api *api;
	const ch_req *req;
	ch_resp *resp;
	const ch_route *route;
	ch_svc_tx *tx;         /* the request's read transaction */
	json_t *body;          /* parsed JSON body or NULL */
	int authed;
	ch_token_claims who;   /* valid when authed */
	int64_t now_ms;
	int64_t path_id;       /* the {id} segment, 0 when the route has none */
	int path_id_bad;       /* {id} was not a positive integer */
	uint64_t gen0;         /* ch_svc_principals_gen() before tx began */
	int need_store;        /* inline (tx == NULL): the answer needs the store */
	int have_claims;       /* who is a verified (maybe expired or revoked) token: its scope decides CORS */
	int guid_state;        /* the {guid} organization: 0 not looked up, 1 guid_org, -1 none */
	ch_org_row guid_org;
};

/* chat.c: reads a send body ({textMessage, author, media, clientMessageId}) and
 * stores the message in chat_id as the token's side (author must equal side:
 * 0 operator, 1 client); a visitor's chat_id 0 is its own chat, created on first use. */
void ch_api_send_message(ch_ctx *c, int64_t chat_id, int64_t side);

/* principals.c: whether a verified token's principal is still valid — CH_OK,
 * CH_ERR_NO_TOKEN (no such company or client), CH_ERR_TOKEN_REVOKED, a store
 * error; or, without a transaction (inline), CH_ERR_INTERNAL with need_store
 * set when the cache cannot tell. */
ch_err ch_api_principal_check(ch_ctx *c, const ch_token_claims *cl);

/* api.c: verifies the request's token (once per request: admission may have
 * done it) and that its principal is still valid (the same checks as every
 * authenticated route), claims into *out; or writes the error response (401
 * 2001/2002/2003, 503) and returns -1. */
int ch_api_token_check(ch_ctx *c, ch_token_claims *out);
void ch_api_principals_reset(void); /* tests */

/* demo.c: the /demo/api/ endpoints, run outside a transaction (see demo.c). */
int ch_demo_owns(const char *path);
void ch_demo_handle(ch_api *a, const ch_req *req, ch_resp *resp);

/* Error response (JSON body of err); the message is formatted. */
void ch_ctx_error(ch_ctx *c, ch_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Replies with status and j serialised compactly. Takes ownership of j. */
void ch_ctx_json(ch_ctx *c, int status, json_t *j);
/* Replies with a text/plain body. */
void ch_ctx_text(ch_ctx *c, int status, const char *text, size_t len);
/* Whether the request's Accept header lists the media type (parameters ignored). */
int ch_ctx_accepts(ch_ctx *c, const char *type);
/* Token-returning endpoints: raw text, or a JSON string when Accept asks for it. */
void ch_ctx_token(ch_ctx *c, const char *token);
/* Value of query argument name, or NULL. Borrowed from the request. */
const char *ch_ctx_arg(ch_ctx *c, const char *name);
/* Integer query argument name in [min, max], def when absent or empty: 0, or
 * -1 after answering 400 (1001 not an integer, 1003 out of range). */
/* Replies with a finished service call: its result with status (200, 201),
 * else its error (the store's, a full queue and a revoked token as
 * ch_ctx_store_failed says them; others with the service's message). Takes
 * ownership of r->result. */
void ch_ctx_reply_svc(ch_ctx *c, ch_svc_result *r, int status, const char *what);
int ch_ctx_int_arg(ch_ctx *c, const char *name, int64_t min, int64_t max, int64_t def, int64_t *out);

/* Field readers. where names the field for messages ("[2].name"). Each returns
 * 0 with *out set, 1 when the field is absent and not required, -1 after
 * writing the error response (1001 wrong type, 1002 missing, 1003 range). */
int ch_get_int(ch_ctx *c, json_t *obj, const char *prefix, const char *name, int required,
               int64_t min, int64_t max, int64_t *out);
int ch_get_str(ch_ctx *c, json_t *obj, const char *prefix, const char *name, int required,
               size_t min_len, size_t max_len, const char **out);
/* Requires the body to be a JSON object (1001 otherwise). */
int ch_body_object(ch_ctx *c);
/* Parses the raw body into c->body (for CH_BODY_SIGNED routes, after their
 * signature check): 413, 415, too many JSON values and malformed JSON answer
 * here. 0 ok, -1 after writing the error response. */
int ch_ctx_parse_body(ch_ctx *c);
/* The raw body of a CH_BODY_ANON_RAW route, when it may be parsed at all
 * (within its limit, sent as application/json): 1 with *text (borrowed,
 * not NUL-terminated, maybe NULL when empty) and *len; else 0, and
 * ch_ctx_parse_body answers why. */
int ch_ctx_raw_json(ch_ctx *c, const char **text, size_t *len);
/* Replies with status and JSON text (len bytes) written by the caller. */
void ch_ctx_json_text(ch_ctx *c, int status, const char *text, size_t len);
/* Parses a positive int64 from text; 0 ok, -1 not a number/overflow, -2 <= 0. */
int ch_parse_id(const char *s, int64_t *out);
/* Maps a store error to a response when it is not CH_OK; returns 1 if it did. */
int ch_ctx_store_failed(ch_ctx *c, ch_err e, const char *what);
/* Signs a token; on failure writes a 500 and returns NULL. Caller free()s. */
char *ch_ctx_sign(ch_ctx *c, const ch_token_claims *claims);

/* Handlers, one file per resource. */
void ch_h_company_get_token(ch_ctx *c);
void ch_h_company_password(ch_ctx *c);
void ch_h_company_status(ch_ctx *c);
void ch_h_org_list(ch_ctx *c);
void ch_h_org_create(ch_ctx *c);
void ch_h_org_get(ch_ctx *c);
void ch_h_org_update(ch_ctx *c);
void ch_h_org_hours_get(ch_ctx *c);
void ch_h_org_hours_put(ch_ctx *c);
void ch_h_canned_list(ch_ctx *c);
void ch_h_canned_create(ch_ctx *c);
void ch_h_canned_update(ch_ctx *c);
void ch_h_canned_delete(ch_ctx *c);
void ch_h_label_list(ch_ctx *c);
void ch_h_label_create(ch_ctx *c);
void ch_h_label_delete(ch_ctx *c);
void ch_h_webhook_list(ch_ctx *c);
void ch_h_webhook_get(ch_ctx *c);
void ch_h_webhook_create(ch_ctx *c);
void ch_h_webhook_delete(ch_ctx *c);
void ch_h_webhook_enable(ch_ctx *c);
void ch_h_webhook_test(ch_ctx *c);
void ch_h_chat_labels(ch_ctx *c);
void ch_h_api_key_list(ch_ctx *c);
void ch_h_api_key_create(ch_ctx *c);
void ch_h_api_key_revoke(ch_ctx *c);
void ch_h_operator_list(ch_ctx *c);
void ch_h_operator_colleagues(ch_ctx *c);
void ch_h_operator_sync(ch_ctx *c);
void ch_h_operator_status(ch_ctx *c);
void ch_h_operator_get_token(ch_ctx *c);
void ch_h_operator_validate(ch_ctx *c);
void ch_h_healthz(ch_ctx *c);
void ch_h_chat_list(ch_ctx *c);
void ch_h_chat_status(ch_ctx *c);
void ch_h_chat_delete(ch_ctx *c);
void ch_h_chat_messages(ch_ctx *c);
void ch_h_chat_redact(ch_ctx *c);
/* client.c: erasure and export (company only) */
void ch_h_client_erase(ch_ctx *c);
void ch_h_client_export(ch_ctx *c);
void ch_h_chat_send(ch_ctx *c);
/* note.c */
void ch_h_events_list(ch_ctx *c);
void ch_h_report_summary(ch_ctx *c);
void ch_h_report_heatmap(ch_ctx *c);
void ch_h_note_list(ch_ctx *c);
void ch_h_note_create(ch_ctx *c);
void ch_h_media_get(ch_ctx *c);
void ch_h_widget_config(ch_ctx *c);
void ch_h_widget_session(ch_ctx *c);
void ch_h_widget_message(ch_ctx *c);
void ch_h_widget_attributes(ch_ctx *c);
/* csat.c */
void ch_h_widget_csat(ch_ctx *c);
void ch_h_client_get(ch_ctx *c);
void ch_h_client_update(ch_ctx *c);
void ch_h_client_chats(ch_ctx *c);
void ch_h_negotiate(ch_ctx *c);
void ch_h_channel_inbound(ch_ctx *c);
void ch_h_bot_list(ch_ctx *c);
void ch_h_bot_create(ch_ctx *c);
void ch_h_bot_delete(ch_ctx *c);
void ch_h_bot_telegram(ch_ctx *c);
void ch_h_bot_viber(ch_ctx *c);
/* The organization named by the {guid} segment after prefix; -1 after a 404. */
int ch_org_of_guid_path(ch_ctx *c, const char *prefix, ch_org_row *org);
/* media: {"name","format","dataBase64","type"} decoded into *out; *data is a
 * malloc'd buffer the caller frees after success (NULL after a failure). */
int ch_read_media(ch_ctx *c, json_t *m, ch_svc_media *out, unsigned char **data);
void ch_h_metrics(ch_ctx *c);

/* media.c: the content type a stored media `format` is served as — an image,
 * audio, video or PDF type given as a MIME type (parameters ignored) or a
 * known extension, any case; a static string — or NULL: serve it as
 * application/octet-stream with ch_api_content_disposition. */
const char *ch_api_media_type(const char *format);
/* media.c: appends `attachment; filename*=UTF-8''<name percent-encoded>`. */
void ch_api_content_disposition(const char *name, ch_buf *out);

/* operator.c: validate-token's body when it is `{"token":"…"}` — JSON
 * whitespace allowed between its parts, the string printable ASCII without
 * escapes: what callers send, and what jansson would read as that one member
 * with those bytes. 1 with *tok and *len (borrowed from text), else 0: the
 * body goes through jansson and its answers (escapes, other members, other
 * types, malformed text). */
int ch_api_token_body(const char *text, size_t n, const char **tok, size_t *len);

/* JSON of rows, shared by the handlers that return them. New references. */
json_t *ch_json_org(const ch_org_row *o, int full);
json_t *ch_json_operator(const ch_operator_row *op);

#endif
