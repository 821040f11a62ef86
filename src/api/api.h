/* api.h — the REST API as pure request → response functions.
 *
 * The network layer (net/http.c) turns an HTTP exchange into a ch_req. When
 * the headers have arrived — before any byte of the body is read — it asks
 * ch_api_admit() what this request may cost: the per-address and per-token
 * rate limits, the token's signature and expiry, and so the largest body this
 * caller may send to this route. Then it reads the body (within that limit and
 * the server's body budget), runs ch_api_handle() on the pool admission named,
 * and writes the ch_resp back. Handlers therefore never see lws or sockets, may
 * block on the store, and can be driven directly by tests and fuzzers
 * (tests/fuzz/).
 *
 * Threading: ch_api_admit() is cheap (no I/O) and runs on the network thread;
 * ch_api_handle() blocks (store, password hashing) and runs on worker threads.
 * The ch_api context is read-only after creation except for its thread-safe
 * rate limiters.
 */
#ifndef CH_API_API_H
#define CH_API_API_H

#include <stddef.h>
#include <stdint.h>

#include "auth/password.h"
#include "auth/token.h"
#include "core/buf.h"
#include "svc/svc.h" /* the store, as the API reaches it */

typedef enum ch_method {
	CH_M_GET, CH_M_POST, CH_M_PUT, CH_M_DELETE, CH_M_OPTIONS, CH_M_HEAD, CH_M_PATCH, CH_M_OTHER
} ch_method;

#define CH_REQ_MAX_ARGS 32

typedef struct ch_req {
	uint64_t id;            /* for logs */
	ch_method method;
	char *path;             /* owned; without the query */
	char *args[CH_REQ_MAX_ARGS]; /* owned; URL-decoded "name=value" query args */
	int nargs;
	int arg_too_long;       /* a query arg did not fit (4095 bytes): not in args, the request is a 400 */
	char too_long_name[65]; /* the first such arg's name (up to 64 bytes), for the 400's message */
	char *authorization;    /* owned or NULL: each header as received */
	char *x_auth_key;
	char *accept;
	char *content_type;
	char *origin;
	char *host;             /* Host, for absolute links (core/baseurl.h) */
	char *forwarded_proto;  /* X-Forwarded-Proto */
	char *if_none_match;
	char *ac_request_method; /* Access-Control-Request-Method */
	char *signature;        /* X-ChatHub-Signature (channel requests) */
	char *tg_secret;        /* X-Telegram-Bot-Api-Secret-Token (a Telegram bot's webhook calls) */
	char *viber_signature;  /* X-Viber-Content-Signature (a Viber bot's) */
	char *user_agent;       /* User-Agent (a widget session records it) */
	char peer[64];          /* client IP */
	ch_buf body;
	int body_too_large;     /* the body was over the limit and discarded */
	int limits_charged;     /* ch_api_admit already took its rate-limit tokens */
	int token_checked;      /* ch_api_admit verified the token: token_err, claims */
	ch_err token_err;       /* CH_OK, CH_ERR_NO_TOKEN (none, malformed, bad signature), ..._EXPIRED */
	ch_token_claims claims; /* valid when token_err is CH_OK or CH_ERR_TOKEN_EXPIRED */
	int64_t body_reserved;  /* bytes of the body budget this request holds (net/) */
	void *peer_ref;         /* the address's accounting entry (net/), or NULL */
	/* the route table's answer for this path and method, looked up once (api.c) */
	int route_looked_up;
	int route_index;        /* -1: none */
	int route_known;        /* some method has this path */
	size_t route_seg_off, route_seg_len; /* the {id} segment within path */
} ch_req;

typedef struct ch_resp {
	int status;
	const char *content_type; /* static string or ctype, NULL = no body type */
	char ctype[128];          /* a content type computed per response */
	const char *route;        /* static label for metrics */
	ch_buf body;
	ch_buf headers;           /* extra "Name: value\r\n" lines */
	int close;                /* close the connection after this response */
	/* A negotiate answer: the id its client will name the connection by
	 * (connectionToken, or connectionId for negotiateVersion 0); net/
	 * registers the hub connection before the answer is written. */
	char hub_negotiated[64];
} ch_resp;

void ch_req_free(ch_req *r);  /* frees members, not r */
void ch_resp_free(ch_resp *r);/* frees members, not r */
void ch_resp_header(ch_resp *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef struct ch_api_opts {
	const ch_token_key *key;  /* borrowed */
	ch_pw_cost pw_cost;
	int64_t company_token_ttl_s;
	int64_t login_per_minute;
	int64_t rate_per_second, rate_burst;
	int64_t max_body_bytes;
	int64_t anon_body_bytes;   /* max_anonymous_body_bytes */
	int64_t max_json_values;
	int64_t media_max_bytes;
	int64_t visitor_token_ttl_s;
	int64_t sessions_per_minute; /* new visitors per address */
	const char *metrics_token; /* borrowed; "" = loopback peers only */
	const char *public_url;   /* borrowed; "" = absolute links from each request's Host */
	int demo;                 /* serve the /demo/api/ endpoints (serve --demo) */
	int outbound_allow_private; /* outboundUrl may name loopback/private/link-local/CGNAT addresses */
} ch_api_opts;

/* The company `serve --demo` seeds, and the demo pages log in as. */
#define CH_DEMO_LOGIN "demo"
#define CH_DEMO_PASSWORD "demo"

typedef struct ch_api ch_api;

/* Reads through svc/ (the table of API keys): call after ch_svc_init. */
ch_api *ch_api_new(const ch_api_opts *o);
void ch_api_free(ch_api *a);

/* CH_POOL_INLINE: cheap requests ch_api_try_inline() may answer on the calling
 * (network) thread from memory; when it cannot, they run on the API pool. */
typedef enum ch_pool { CH_POOL_API, CH_POOL_HASH, CH_POOL_INLINE } ch_pool;

/* What admission decided for a request whose headers have arrived. */
typedef struct ch_api_admission {
	ch_pool pool;      /* where ch_api_handle() runs it */
	int64_t max_body;  /* the largest body this caller may send here */
	ch_err reject;     /* CH_OK, or the answer to give at once (rate limited) */
	int retry_after;   /* seconds, with reject */
} ch_api_admission;

/* Admission of a request before its body is read: cheap checks first, on the
 * network thread, no I/O. Charges the per-address bucket (and the per-token
 * one when the token verifies), verifies the token's signature and expiry
 * (req->token_checked; the principal's revocation is checked later, with the
 * store), and sizes the body limit for this route and this caller: routes
 * without a valid token get max_anonymous_body_bytes; media-sized bodies only
 * for a verified token (or a signed channel request). */
void ch_api_admit(ch_api *a, ch_req *req, ch_api_admission *out);
/* Company API keys (api/keys.c), held in memory so any thread can recognise
 * one without the store. shaped: whether text looks like a key ("chk_…");
 * verify: CH_OK with company claims (key_id set, no expiry) for a key the
 * server knows, CH_ERR_NO_TOKEN otherwise; reload: the whole table from the
 * store (at start, and when the revocation counter moved; a worker thread). */
#define CH_API_KEY_LEN (4 + 43) /* "chk_" + base64url of 32 random bytes */
int ch_api_key_shaped(const char *text, size_t len);
/* A new random key: its text (shown once, never stored), hash and prefix. */
void ch_api_key_new(char text[CH_API_KEY_LEN + 1], unsigned char hash[CH_API_KEY_HASH],
                    char prefix[CH_API_KEY_PREFIX + 1]);
ch_err ch_api_key_verify(const char *text, size_t len, ch_token_claims *out);
ch_err ch_api_keys_reload(void);
/* The integration guide's development token: an operator token of the demo
 * operator, only once ch_api_dev_token_enable ran (serve --demo; it logs a
 * warning). Reads the demo operator from the store. */
#define CH_DEV_TOKEN "test-token-for-development"
ch_err ch_api_dev_token_enable(void);
/* Any credential a request or hub connection presents: an API key, the
 * development token (when enabled), else a signed token (ch_token_verify,
 * any kind). CH_OK fills *out. */
ch_err ch_api_credential_verify(const ch_token_key *key, const char *text, size_t len, int64_t now_s,
                                ch_token_claims *out);
/* The largest body any request may send (media routes), for sizing buffers. */
int64_t ch_api_media_body_max(const ch_api *a);
/* Every route of the API, in table order: its method ("GET"), path pattern
 * ("/api/chat/{id}/messages"), the token kinds it takes (a bitmask of
 * 1 << ch_token_kind; 0 = none) and its query parameters (space-separated).
 * `chathub routes` prints them; a test keeps web/openapi.json equal to them. */
typedef void (*ch_api_route_fn)(void *ctx, const char *method, const char *pattern, unsigned auth,
                                const char *params);
void ch_api_routes_each(ch_api_route_fn fn, void *ctx);
/* Whether path belongs to the API (so unknown paths under it answer JSON 404
 * rather than falling through to static files). */
int ch_api_owns_path(const char *path);
/* Runs the request to completion. Blocks. resp must be zeroed by the caller. */
void ch_api_handle(ch_api *a, const ch_req *req, ch_resp *resp);
/* For a CH_POOL_INLINE route: answers from memory (cached principals, no store
 * transaction, no blocking) and returns 1, or returns 0 with resp still zeroed
 * when the request needs the store — then run ch_api_handle() on a worker. */
int ch_api_try_inline(ch_api *a, ch_req *req, ch_resp *resp);
/* The token a request carries (Authorization: Bearer, X-Authorization-Key,
 * or the access_token parameter), trimmed; NULL when there is none. */
const char *ch_api_token_text(const ch_req *req, size_t *len);
/* Fills resp with the JSON error body of err (used by net/ for its own errors). */
void ch_api_error_resp(ch_resp *resp, ch_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
