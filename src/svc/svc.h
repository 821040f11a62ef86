/* svc.h — the chat operations shared by the REST API and the hub.
 *
 * A REST send and a hub send are the same function here. A write operation is
 * one store write job: it reads what it needs, asks src/chat/ to decide
 * (status transitions, routing), persists through store.h, and collects the
 * events of the change. After the group commit, on the writer thread, it
 * publishes those events on the bus (so they leave in commit order) and only
 * then calls the caller's done callback with the result.
 * Reads run on the calling worker thread inside the caller's read transaction.
 *
 * Threading: ch_svc_* write functions may be called from any thread and never
 * block; *_wait variants block (worker threads only). done callbacks run on
 * the store writer thread and must not block.
 */
#ifndef CH_SVC_SVC_H
#define CH_SVC_SVC_H

#include <jansson.h>
#include <stdint.h>

#include "auth/principal.h"
#include "auth/token.h"
#include "core/netaddr.h"
#include "store/store.h"

typedef struct ch_svc_opts {
	ch_store *store;          /* borrowed */
	const ch_token_key *key;  /* borrowed; signs media URLs */
	int64_t media_max_bytes;
	int64_t media_url_ttl;    /* seconds; 0 = 86400 (see ch_svc_media_url_expiry) */
	const char *public_url;   /* borrowed; "" or NULL: media uris are made absolute per request */
	int outbox;               /* a cluster bus runs: every job's events also go into the store's outbox */
	const char *node_id;      /* this process in the store's nodes; "" or NULL: a random UUID */
	int64_t node_lease_ms;    /* how long the node counts as alive without a renewal; 0 = 10000 */
} ch_svc_opts;

void ch_svc_init(const ch_svc_opts *o);
/* The configured media size limit in bytes. */
int64_t ch_svc_media_max(void);

/* Outcome of an operation. result is a new reference (NULL on error);
 * message is a short client-safe reason on error. */
typedef struct ch_svc_result {
	ch_err err;
	char message[200];
	json_t *result;
} ch_svc_result;

/* Called on the writer thread after commit; takes ownership of r->result. */
typedef void (*ch_svc_done)(void *arg, ch_svc_result *r);

typedef struct ch_svc_media {
	const char *name;
	const char *format;
	int type;
	const void *data; /* decoded bytes, borrowed until done */
	size_t len;
} ch_svc_media;

/* Sends a message as the principal (operator side for company/operator, client
 * for visitors). chat_id 0 = a visitor's own open chat, created if needed.
 * origin_conn: hub connection not to echo the event to (0 = none). */
void ch_svc_send(const ch_principal *p, int64_t chat_id, const char *text, const char *client_message_id,
                 const ch_svc_media *media, uint64_t origin_conn, ch_svc_done done, void *arg);
void ch_svc_set_status(const ch_principal *p, int64_t chat_id, int status, ch_svc_done done, void *arg);
void ch_svc_take(const ch_principal *p, int64_t chat_id, ch_svc_done done, void *arg);
void ch_svc_transfer(const ch_principal *p, int64_t chat_id, int64_t operator_id, ch_svc_done done,
                     void *arg);
/* Redacts message_id of chat_id (store.h ch_store_message_redact): company
 * or an operator who sees the chat; visitors WRONG_KIND, another chat's
 * message NOT_FOUND. Result: the tombstone message; MessageRedacted(message)
 * to both sides the first time. */
void ch_svc_redact_message(const ch_principal *p, int64_t chat_id, int64_t message_id, ch_svc_done done,
                           void *arg);
/* CSAT (csat.c): the visitor p rates its chat chat_id (rating 1..5; comment
 * NULL or text, trimmed, at most CH_CSAT_COMMENT_MAX bytes of UTF-8, borrowed
 * until done). OUT_OF_RANGE for a bad rating or comment; WRONG_KIND unless p
 * is a visitor; NOT_FOUND for a chat not its own; CONFLICT when the
 * organization has CSAT off, the chat is not Closed, or it is rated since its
 * close. Result: the chat object with "csat"; ChatRated(chat) to both sides. */
void ch_svc_rate_chat(const ch_principal *p, int64_t chat_id, int rating, const char *comment, ch_svc_done done,
                      void *arg);
void ch_svc_mark_read(const ch_principal *p, int64_t chat_id, int64_t seq, ch_svc_done done, void *arg);
/* Erases client_id (svc/erasure.c, docs/privacy.md): the company only
 * (WRONG_KIND otherwise), NOT_FOUND for another company's. Blocks (worker
 * threads). Result: the receipt {clientId, erasedAt, chats, messages, media,
 * csatComments, fields}; zeros and [] when there was nothing left to erase. */
void ch_svc_client_erase_wait(const ch_principal *p, int64_t client_id, ch_svc_result *out);
void ch_svc_delete_chat(const ch_principal *p, int64_t chat_id, ch_svc_done done, void *arg);
/* Operator status (REST): Inactive/Deleted revoke its tokens, close its hub
 * connections and send its open chats back to the queue. */
void ch_svc_operator_status(int64_t company_id, int64_t operator_id, int status, ch_svc_done done, void *arg);
/* Company API keys. create stores one by its hash (the key itself is never
 * stored; result {"id"}); revoke deletes it and closes the hub connections made
 * with it ("token revoked"). */
typedef struct ch_svc_key {
	const char *name;                          /* borrowed until done */
	unsigned char hash[CH_API_KEY_HASH];
	char prefix[CH_API_KEY_PREFIX + 1];
} ch_svc_key;
void ch_svc_api_key_create(int64_t company_id, const ch_svc_key *key, ch_svc_done done, void *arg);
void ch_svc_api_key_revoke(int64_t company_id, int64_t key_id, ch_svc_done done, void *arg);
/* Sets the company's password hash (borrowed; store.h: every company token
 * issued so far is revoked) and gives the new token epoch. Blocks (worker
 * threads). */
ch_err ch_svc_company_password_wait(const ch_principal *p, int64_t company_id, const char *password_hash,
                                   int64_t *epoch_out);
/* Assigns queued chats of the org to operators with capacity. */
void ch_svc_drain(int64_t company_id, int64_t org_id, ch_svc_done done, void *arg);
/* Private notes (operator side only): a company or an operator of the
 * chat's organization writes one; the result is the note (docs/api.md).
 * NoteAdded goes to the operator side (not origin_conn), Mentioned to each
 * mentioned operator. Visitors: CH_ERR_WRONG_KIND; a chat the principal does
 * not see: CH_ERR_NOT_FOUND; errors of ch_store_note_create otherwise. */
void ch_svc_note_add(const ch_principal *p, int64_t chat_id, const char *text, uint64_t origin_conn,
                     ch_svc_done done, void *arg);
/* ---- presence and this process's node ------------------------------------ */

/* Registers this process's node (blocking; at start, before the hub opens):
 * a row left by an earlier process of the same node id is dropped first. */
ch_err ch_svc_node_start(void);
/* This process's node id (NUL-terminated, at most CH_NODE_ID_MAX). */
const char *ch_svc_node_id(void);
/* The operator now holds `connections` hub connections on this process.
 * Emits OperatorPresence on a change, and then drains the org's queue when
 * the operator is online. added: one connection was just added; its state is
 * announced even when unchanged, and the caller drains (ch_svc_drain) once
 * that connection can receive the assignments. */
void ch_svc_presence_conn(int64_t company_id, int64_t org_id, int64_t operator_id, int64_t connections,
                          int added, ch_svc_done done, void *arg);
/* SetPresence: away (1) or online (0); emits OperatorPresence with the state
 * after it (offline for an operator without a connection), drains when online. */
void ch_svc_presence_set(int64_t company_id, int64_t org_id, int64_t operator_id, int away, ch_svc_done done,
                         void *arg);
/* Once a second: renews this node's lease, reaps expired nodes (their
 * operators go offline), and returns to the queue the open chats of operators
 * offline for longer than grace_ms. The result is {"republish": true} when
 * another process had reaped this node: the caller publishes every operator
 * connection it holds again (ch_svc_presence_conn). */
void ch_svc_presence_tick(int64_t grace_ms, ch_svc_done done, void *arg);
/* The auto-close sweep (autoclose.c): closes up to 100 chats due now, each
 * with a system message saying why and the events of a close, safe against
 * other processes sweeping at once. The result is {"closed": n, "more": b};
 * more: the batch was full, sweep again soon. */
void ch_svc_autoclose_sweep(ch_svc_done done, void *arg);
/* One retention sweep job (svc/erasure.c): erases up to a batch of the Closed
 * chats older than their organization's retentionDays (ch_store_chat_erase),
 * then merges the search index when it erased anything. Result: {chats,
 * messages, more}; more = a full batch (sweep again at once). */
void ch_svc_retention_sweep(ch_svc_done done, void *arg);
/* Business hours (hours.c). The drain sweep: assigns the queued chats of
 * up to 50 organizations whose opening (pending drain) is due, each under its
 * routing lock; result {"organizations": n, "more": b}. */
void ch_svc_hours_sweep(ch_svc_done done, void *arg);
/* 1 (once) when a drain this process knows of is due at now_ms: run the
 * sweep now. Any thread. */
int ch_svc_hours_due(int64_t now_ms);
/* The organization's schedule (a new reference; the default, disabled, when
 * it has none). CH_ERR_NOT_FOUND for another company's organization. */
ch_err ch_svc_hours_get(ch_store_tx *tx, int64_t company_id, int64_t org_id, json_t **out);
/* Writes the schedule (config: JSON text chat/hours.h accepted, borrowed for
 * the call), then drains the organization's queue when it is open now; one
 * job, waited for (worker threads only). CH_ERR_NOT_FOUND for another
 * company's organization. */
ch_err ch_svc_hours_set_wait(const ch_principal *p, int64_t org_id, const char *config);
/* What a visitor's widget shows: {"open", "nextOpenAt" (ISO or null),
 * "awayMessage" (or null)} at the server's wall clock (new reference). */
ch_err ch_svc_hours_public(ch_store_tx *tx, int64_t company_id, int64_t org_id, json_t **out);
/* One job putting up to 500 committed messages into the search index; the
 * result is JSON true when more wait (run it again). The hub's tick runs it. */
void ch_svc_search_catch_up(ch_svc_done done, void *arg);
/* Before a search (an API worker, outside the request's read snapshot): the
 * index catches up with what was committed (at most 16,000 messages; a full
 * writer queue or a failure leaves the index as it is, logged). */
void ch_svc_search_catch_up_wait(void);

/* Runs one of the operations above and waits for it (worker threads only):
 *   ch_svc_result r; ch_svc_wait(&r, ch_svc_set_status(p, id, s, CH_SVC_WAIT));  */
typedef struct ch_svc_waiter ch_svc_waiter;
ch_svc_waiter *ch_svc_waiter_new(void);
void ch_svc_waiter_done(void *waiter, ch_svc_result *r); /* a ch_svc_done */
/* Waits, copies the result into *out, frees the waiter. */
void ch_svc_waiter_wait(ch_svc_waiter *w, ch_svc_result *out);

/* A customer's message from a messaging channel (POST
 * /api/channel/{guid}/inbound), already authenticated by its signature. One
 * write job: an external_message_id the organization's channel delivered
 * before stores nothing and answers the first message (the record outlives the
 * message and its chat, so a replay is always a duplicate); otherwise the
 * sender becomes a client (by external_user_id), the message is sent as that
 * client, and the record is written — all in one transaction. The result is
 * {"messageId", "chatId", "duplicate"} (ids null when the first message was
 * deleted since). */
typedef struct ch_svc_inbound {
	int64_t company_id, org_id;
	int source;                       /* 1..4 */
	const char *external_user_id;     /* borrowed until done, like the rest */
	const char *external_message_id;
	const char *name, *phone;         /* may be NULL */
	const char *text;                 /* "" with media */
	const ch_svc_media *media;        /* NULL for none */
	int64_t connection_id;            /* a bot's connection (svc/bots.c): the chat's replies go through it; 0 none */
} ch_svc_inbound;
void ch_svc_channel_inbound(const ch_svc_inbound *in, ch_svc_done done, void *arg);

/* ---- the store, as the layers above svc/ see it --------------------------- */

/* api/ and hub/ never include store.h or call it (a ctest checks it): every
 * write is a job of the runner here, every read one of the functions below,
 * inside a read transaction opened by ch_svc_read. */
typedef ch_store_tx ch_svc_tx;
typedef ch_err (*ch_svc_read_fn)(ch_svc_tx *tx, void *arg);
/* Runs fn(tx, arg) in a read transaction on the calling thread (a connection
 * private to it) and returns its result or the store's error. Blocks: worker
 * threads only. CH_ERR_INTERNAL when ch_svc_init named no store. */
ch_err ch_svc_read(ch_svc_read_fn fn, void *arg);
/* ch_store_principals_gen: moves after every commit that may have revoked a
 * principal (api/principals.c caches by it). Any thread. */
uint64_t ch_svc_principals_gen(void);
/* The store writer's figures (GET /metrics). Any thread. */
typedef ch_store_stats ch_svc_write_stats;
void ch_svc_write_stats_get(ch_svc_write_stats *out);

/* Organizations, operators and visitors as REST changes them: each one write
 * job (the principal checked in its transaction like every job's), waited
 * for — worker threads only. CH_OK fills the out rows; else the error
 * (CH_ERR_NOT_FOUND, CH_ERR_CONFLICT, CH_ERR_TOKEN_REVOKED, CH_ERR_BUSY, a
 * store error). Strings are borrowed for the call. */
ch_err ch_svc_org_create_wait(const ch_principal *p, const char *name, const char *guid, ch_org_row *out);
typedef struct ch_svc_org_change {
	int64_t id;
	const char *name;            /* NULL: unchanged, like every field */
	const char *origins_json;    /* JSON array text */
	int64_t max_chats;           /* -1: unchanged */
	const char *identity_secret, *channel_secret, *outbound_url;
	int prechat_form;            /* -1: unchanged */
	int operators_manage_canned; /* -1: unchanged */
	int64_t auto_close_waiting, auto_close_open, auto_close_on_pause; /* minutes; -1: unchanged */
	int has_retention;           /* 0: retention_days unchanged */
	int64_t retention_days;      /* 0 = keep forever */
	int csat_enabled;            /* (ext) -1: unchanged */
} ch_svc_org_change;
/* *row and *settings get the organization as it is after the change. */
ch_err ch_svc_org_update_wait(const ch_principal *p, const ch_svc_org_change *ch, ch_org_row *row,
                              ch_org_secrets *settings);
typedef struct ch_svc_operator_sync {
	int64_t org_id;
	const char *name, *external_id; /* external_id NULL: always a new operator */
	int set_photo;                  /* 1: photo sets it ("" clears); 0: kept */
	const char *photo;
	ch_operator_row out;            /* the operator after the change */
} ch_svc_operator_sync;
/* Creates or updates every row in one job: all or nothing. On an error
 * *failed_row names the row that failed. */
ch_err ch_svc_operators_sync_wait(const ch_principal *p, ch_svc_operator_sync *rows, size_t n,
                                  size_t *failed_row);
/* Canned responses. A company writes organization-wide ones of its
 * organizations; an operator writes its own (personal) ones, and its
 * organization's organization-wide ones only when the organization's
 * operators_manage_canned is set (else CH_ERR_WRONG_KIND). Another company's,
 * another organization's or another operator's personal response is
 * CH_ERR_NOT_FOUND. Store errors as ch_store_canned_*. */
typedef struct ch_svc_canned {
	int64_t org_id;              /* create only: the operator's own org for an operator */
	int org_wide;                /* create only: 1 organization-wide, 0 the operator's own */
	const char *shortcut, *title, *text;
} ch_svc_canned;
ch_err ch_svc_canned_create_wait(const ch_principal *p, const ch_svc_canned *in, ch_canned_row *out);
ch_err ch_svc_canned_update_wait(const ch_principal *p, int64_t id, const ch_svc_canned *in, ch_canned_row *out);
ch_err ch_svc_canned_delete_wait(const ch_principal *p, int64_t id);
/* Labels. A company creates and deletes its organizations' labels (else
 * CH_ERR_WRONG_KIND); another company's organization or label is
 * CH_ERR_NOT_FOUND; store errors as ch_store_label_*. Deleting a label sends
 * ChatLabelsChanged for every chat not Closed that had it. */
ch_err ch_svc_label_create_wait(const ch_principal *p, int64_t org_id, const char *name, const char *color,
                                ch_label_row *out);
ch_err ch_svc_label_delete_wait(const ch_principal *p, int64_t id);
/* Replaces the labels of a chat the principal (company or operator) may see
 * with label_ids (borrowed for the call); out->result is the chat object with
 * its labels. ChatLabelsChanged(chatId, [label…]) to the operator side when
 * the set changed. Errors: CH_ERR_NOT_FOUND (the chat, or a label not of the
 * chat's organization), CH_ERR_OUT_OF_RANGE (more than
 * CH_LABELS_PER_CHAT_MAX, or an id twice), CH_ERR_WRONG_KIND (a visitor). */
void ch_svc_chat_labels_set_wait(const ch_principal *p, int64_t chat_id, const int64_t *label_ids, size_t n,
                                 ch_svc_result *out);
/* ---- a client's profile (client.c) -------------------------------------- */

/* A staff edit (PUT /api/client/{id}) or a visitor's setAttributes: NULL
 * fields are left as they are ("" clears a text field); attributes is a
 * change merged as chat/attrs.h says (borrowed; NULL = none). */
typedef struct ch_svc_client_edit {
	const char *name, *email, *phone;
	const json_t *attributes;
} ch_svc_client_edit;
/* Staff: one write job; the result is the client object, or CH_ERR_NOT_FOUND
 * (another company's client, or for an operator another organization's),
 * CH_ERR_OUT_OF_RANGE / CH_ERR_BAD_JSON naming the attribute rule (message).
 * Emits ClientUpdated when the profile changed. */
void ch_svc_client_edit_wait(const ch_principal *p, int64_t client_id, const ch_svc_client_edit *edit,
                             ch_svc_result *out);
/* A visitor's own attributes (keys a userJWT verified are kept): the result is
 * {"attributes", "verifiedAttributes", "ignored": [keys left as they were]}.
 * Emits ClientUpdated when they changed and the client has a chat. */
void ch_svc_visitor_attributes_wait(const ch_principal *p, const json_t *attributes, ch_svc_result *out);
/* What one widget session (POST /api/widget/{guid}/session) records. */
typedef struct ch_svc_session {
	int64_t company_id, org_id;
	int64_t client_id;            /* a resumed visitor (its token's); 0: by key, or a new client */
	const char *key;              /* a userJWT's "sub:<sub>"; NULL: anonymous */
	const char *name, *email, *phone; /* the pre-chat form or the userJWT's name; NULL or "": kept */
	const char *page_url, *referrer, *language, *user_agent; /* NULL: kept; already bounded */
	const json_t *jwt_attributes; /* the userJWT's attributes claim (verified keys); NULL: none */
} ch_svc_session;
/* One write job: the client (resumed, found by key or created) with the
 * session's fields and attributes; *out gets it. Emits ClientUpdated when the
 * profile changed and the client has a chat. Errors as ch_svc_client_edit_wait
 * with why (whylen bytes) the message; CH_ERR_NOT_FOUND for a resumed client
 * that is gone or of another organization. */
ch_err ch_svc_visitor_session_wait(const ch_svc_session *s, ch_client_row *out, char *why, size_t whylen);
/* The client if a staff principal may see it (company: its company's;
 * operator: of its organization); CH_ERR_NOT_FOUND otherwise. A read. */
ch_err ch_svc_client_visible(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, ch_client_row *out);
/* The chats of a client the principal may see, newest activity first,
 * offset/limit as the chat list; *total counts them all. A read. */
ch_err ch_svc_client_chats(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, int64_t offset, int64_t limit,
                           int64_t *total, ch_chat_each_fn each, void *ctx);
/* GET /api/client/{id}/export: {exportedAt, client, total, chats: [chat +
 * {messages, messagesTruncated}]} for the chats offset…offset+limit (newest
 * activity first), at most 2,000 messages in all; the company only
 * (NOT_FOUND else). */
ch_err ch_svc_client_export(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, int64_t offset,
                            int64_t limit, json_t **out);
/* The client object (a new reference; NULL, logged, when it cannot be built). */
json_t *ch_svc_json_client(const ch_client_row *r);


/* ---- reads (inside the caller's read transaction) ---------------------- */

/* Whether the principal a token named is still valid now, in this
 * transaction: a company's or operator's token epoch unchanged, the operator
 * Active, the client still there and not erased. CH_OK, CH_ERR_TOKEN_REVOKED, CH_ERR_NO_TOKEN
 * (no such client) or a store error. Every write job checks it before it acts
 * (so nothing is done for a principal revoked before the job's commit), and so
 * do Sync and history reads: revocation reaches requests already in flight. */
ch_err ch_svc_principal_valid(ch_store_tx *tx, const ch_principal *p);
/* The chat if the principal may see it (CH_ERR_NOT_FOUND otherwise). */
ch_err ch_svc_chat_visible(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, ch_chat_row *out);
/* Sync: see docs/hub.md. arg is the invocation's argument (borrowed, may be NULL). */
ch_err ch_svc_sync(ch_store_tx *tx, const ch_principal *p, json_t *arg, json_t **result);
/* A page of messages asked for with a limit, and the most one history answer
 * without paging parameters holds (docs/api.md). */
#define CH_SVC_PAGE_MAX 200
#define CH_SVC_HISTORY_MAX 1000
/* Messages of a visible chat, ascending (limit clamped to 1..CH_SVC_HISTORY_MAX + 1,
 * the one past the cap telling the caller there is more). */
ch_err ch_svc_messages(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, int64_t after_seq,
                       int64_t before_seq, int64_t limit, json_t **result);

/* A page of the notes of a chat the principal sees: the newest `limit`
 * (clamped to 1..CH_SVC_PAGE_MAX) with an id below before_id (0: of all),
 * oldest first (a JSON array); CH_ERR_WRONG_KIND for a visitor. */
ch_err ch_svc_notes(ch_store_tx *tx, const ch_principal *p, int64_t chat_id, int64_t before_id, int64_t limit,
                    json_t **result);

/* The database answers (GET /healthz). */
ch_err ch_svc_ping(ch_svc_tx *tx);
/* When the last `chathub backup` was made (ms since the epoch), or 0 when
 * none is recorded (never, or a PostgreSQL store: pg_dump records nothing). */
ch_err ch_svc_last_backup_ms(ch_svc_tx *tx, int64_t *ms_out);
/* Rows as REST shows them (tenant-scoped like the store: another company's row
 * is CH_ERR_NOT_FOUND). each is called once per row, ascending by id. */
ch_err ch_svc_company_of_login(ch_svc_tx *tx, const char *login, ch_company_row *out);
ch_err ch_svc_company_get(ch_svc_tx *tx, int64_t company_id, ch_company_row *out);
ch_err ch_svc_orgs(ch_svc_tx *tx, int64_t company_id, ch_org_each_fn each, void *ctx);
ch_err ch_svc_org_get(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_org_row *out);
/* The organization of a widget (or channel) guid, whatever its company. */
ch_err ch_svc_org_of_guid(ch_svc_tx *tx, const char *guid, ch_org_row *out);
/* Its secrets and widget settings (identity and channel secrets, outbound URL, pre-chat form). */
ch_err ch_svc_org_settings(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_org_secrets *out);
/* CH_ERR_NOT_FOUND when the organization is not the company's. */
ch_err ch_svc_operators(ch_svc_tx *tx, int64_t company_id, int64_t org_id, int include_deleted,
                        ch_operator_each_fn each, void *ctx);
ch_err ch_svc_operator_get(ch_svc_tx *tx, int64_t company_id, int64_t operator_id, ch_operator_row *out);
/* The operator's presence: *state "online", "away" or "offline" (static). */
ch_err ch_svc_presence_of(ch_svc_tx *tx, int64_t operator_id, const char **state);
/* Whether any operator of the org is online. */
ch_err ch_svc_org_online(ch_svc_tx *tx, int64_t org_id, int *online);
ch_err ch_svc_client_get(ch_svc_tx *tx, int64_t company_id, int64_t client_id, ch_client_row *out);
/* The client's newest chat that is not Closed; CH_ERR_NOT_FOUND if none. */
ch_err ch_svc_client_open_chat(ch_svc_tx *tx, int64_t company_id, int64_t client_id, ch_chat_row *out);
/* The chats matching f (GET /api/chat/list); *total counts every match. */
/* Whether a chat list's search= is within its bounds (store.h,
 * ch_store_search_check): CH_OK, CH_ERR_OUT_OF_RANGE or CH_ERR_BAD_JSON. */
ch_err ch_svc_search_check(const char *q);
ch_err ch_svc_chats_find(ch_svc_tx *tx, const ch_chat_filter *f, int64_t *total, ch_chat_each_fn each,
                         void *ctx);
/* A stored medium; *data is a new malloc'd buffer of out->size bytes. */
ch_err ch_svc_media_get(ch_svc_tx *tx, int64_t company_id, int64_t media_id, ch_media_row *out, void **data);
/* The canned responses the principal sees in an organization: a company its
 * organization-wide ones, an operator (of that organization only) those and its
 * own. CH_ERR_NOT_FOUND for an organization not the principal's. */
ch_err ch_svc_canned_list(ch_svc_tx *tx, const ch_principal *p, int64_t org_id, ch_canned_each_fn each,
                          void *ctx);
/* An organization's labels by name: a company's any organization's, an
 * operator's its own (another is CH_ERR_NOT_FOUND). */
ch_err ch_svc_labels(ch_svc_tx *tx, const ch_principal *p, int64_t org_id, ch_label_each_fn each, void *ctx);
/* Sets "labels": [label…] on each chat object of chats (an array of chat
 * objects, or one), read in one store call: for the operator side only (the
 * visitor side never sees labels). */
ch_err ch_svc_chats_labels(ch_svc_tx *tx, int64_t company_id, json_t *chats);
/* A company's API keys (no hashes); one of them (CH_ERR_NOT_FOUND once revoked);
 * every key of every company with its hash (the server's table of keys). */
ch_err ch_svc_api_keys(ch_svc_tx *tx, int64_t company_id, ch_api_key_each_fn each, void *ctx);
ch_err ch_svc_api_key_get(ch_svc_tx *tx, int64_t company_id, int64_t key_id, ch_api_key_row *out);
ch_err ch_svc_api_keys_all(ch_svc_tx *tx, ch_api_key_each_fn each, void *ctx);
/* Typing: tells the other side of a chat the principal may see (not the
 * origin_conn hub connection) that it types. */
ch_err ch_svc_typing(ch_svc_tx *tx, const ch_principal *p, int64_t chat_id, uint64_t origin_conn);

/* Whether a browser Origin may act for p: its organizations' allowedOrigins
 * (company: any of its orgs; operator/visitor: its org; NULL p: any org on the
 * server). An empty list allows every origin; no Origin is always allowed. */
int ch_svc_origin_allowed(ch_store_tx *tx, const ch_principal *p, const char *origin);

/* ---- outbound channel deliveries ----------------------------------------- */

#define CH_SVC_OUTBOUND_TRIES 8
/* A loaded delivery is leased to this process this long: far above one
 * attempt (the DNS lookup, then at most CH_SVC_OUTBOUND_TIMEOUT_S for the
 * request), so no other process sends it meanwhile; recording the attempt
 * ends the lease. A process killed with a lease leaves it to expire: another
 * one sends the delivery then. */
#define CH_SVC_OUTBOUND_LEASE_MS 60000
#define CH_SVC_OUTBOUND_TIMEOUT_S 30

typedef struct ch_svc_outbound {
	int64_t delivery_id;
	int attempts;
	char url[1025];
	char event_id[CH_GUID_LEN + 1];
	char signature[80]; /* "sha256=<hex>" */
	char *body;         /* malloc'd JSON (or a bot's multipart body) */
	size_t len;
	/* a bot's delivery (svc/bots.c): the platform (CH_CHANNEL_*; 0 for the API
	 * channel), what its answer is read for, and its request's own headers */
	int platform;
	int64_t company_id, message_id, conn_id;
	char content_type[128]; /* "" = application/json */
	struct {
		char name[40];     /* lower case; "" = none (Viber's x-viber-auth-token) */
		char value[201];
	} header;              /* one header of the request's own */
	char why[200];         /* why it can never be sent (svc/bots.c) */
} ch_svc_outbound;

/* Up to max due deliveries, each ready to send and leased to this process
 * (bodies are malloc'd: the caller frees them). A write: call it inside a
 * write job, so that two processes never claim one delivery. On an error *n
 * is 0 and nothing is left to free. A bot's delivery that can never go out
 * comes with why set and no body: the caller, after the job, passes it to
 * ch_svc_outbound_reject instead of sending it (the job may run twice, the
 * rejection's events must not). */
ch_err ch_svc_outbound_load(ch_store_tx *tx, int64_t now_ms, ch_svc_outbound *out, size_t max, size_t *n);
/* Records an attempt (a store write; any thread): delivered, or retried with
 * backoff, or given up (final, or after CH_SVC_OUTBOUND_TRIES). */
void ch_svc_outbound_result(int64_t delivery_id, int attempts, int ok, int final, const char *error);
/* A bot delivery's answer (status 0: none, why says why; body the answer's
 * bytes): sent (the platform's message id kept), retried (after the
 * platform's retry_after when it gave one), or rejected: given up and the
 * message shown Rejected (status 2). Any thread. */
void ch_svc_outbound_answered(const ch_svc_outbound *o, int status, const char *why, const char *body, size_t len);
/* Gives bot delivery o up and shows its message Rejected, with o->why as the
 * delivery's last error (an asynchronous job). Any thread. */
void ch_svc_outbound_reject(const ch_svc_outbound *o);

/* ---- outbound HTTP POSTs ------------------------------------------------- */

/* One POST to a resolved, checked address, sent by the lws HTTP client of
 * net/outbound.c (the one outbound client: channel deliveries, webhooks),
 * which registers itself with ch_svc_http_sender_set at start. */
#define CH_SVC_HTTP_HEADERS 8
typedef struct ch_svc_http_post {
	ch_netaddr_url u;  /* the URL's parts (host for Host:, port, path, tls) */
	char ip[16];       /* the address connected to (ch_netaddr_resolve_v4) */
	char *body;        /* malloc'd; the sender frees it */
	size_t len;
	int timeout_s;     /* the whole request at most this long (0: the HTTP timeouts of lws) */
	size_t nh;         /* headers besides Content-Type and Content-Length */
	struct {
		char name[40]; /* lower case, without the colon */
		char value[160];
	} h[CH_SVC_HTTP_HEADERS];
	/* Optional. method: NULL is POST ("GET" sends no body); content_type: ""
	 * is application/json. answer_max > 0 keeps up to that many bytes of the
	 * answer's body for done; an answer longer than that is cut off there:
	 * status 0, why "the answer is larger than <answer_max> bytes". */
	const char *method;
	char content_type[128];
	size_t answer_max;
	/* Called once, on the network thread: status the HTTP status of the
	 * answer (2xx = delivered), or 0 with why saying what failed (why may be
	 * NULL with a status); body/len the answer's body as kept (NULL, 0 without
	 * answer_max). */
	void (*done)(void *arg, int status, const char *why, const char *body, size_t len);
	void *arg;
} ch_svc_http_post;
/* Takes ownership of req (body and req free()d by the sender after done); any thread. */
typedef void (*ch_svc_http_send_fn)(ch_svc_http_post *req);
void ch_svc_http_sender_set(ch_svc_http_send_fn fn);
/* Sends through the registered sender; without one, done(arg, 0, "…") at once. */
void ch_svc_http_send(ch_svc_http_post *req);

/* ---- Telegram and Viber bots (svc/bots.c) ------------------------------------ */

typedef struct ch_svc_bots_opts {
	const char *telegram_api_url; /* "" or NULL: https://api.telegram.org */
	const char *viber_api_url;    /* "" or NULL: https://chatapi.viber.com/pa */
	int64_t media_max_bytes;      /* a customer's file at most this large */
	int allow_private;            /* outbound_allow_private: for media URLs a Viber callback names */
} ch_svc_bots_opts;
/* After ch_svc_init (the token key encrypts bot tokens). */
void ch_svc_bots_configure(const ch_svc_bots_opts *o);
int64_t ch_svc_bots_media_max(void);
/* "telegram", "viber" or "". Static. */
const char *ch_svc_bot_type_name(int type);
typedef struct ch_svc_bot_new {
	int64_t org_id;
	int type;             /* CH_CHANNEL_* */
	const char *name;     /* checked by the caller (≤ CH_NAME_MAX, UTF-8) */
	const char *token;    /* the bot token as the platform gave it */
	const char *base_url; /* the request's base (ch_base_url): the webhook's when public_url is not set */
} ch_svc_bot_new;
/* Creates a connection for company principal p and registers its webhook
 * with the platform (why: the platform's refusal or what failed). Errors:
 * WRONG_KIND, NOT_FOUND (org), OUT_OF_RANGE (token shape, or the platform
 * refused: nothing stays stored), CONFLICT (the org's limit). Blocks. */
ch_err ch_svc_bot_create_wait(const ch_principal *p, const ch_svc_bot_new *in, ch_channel_conn_row *out,
                              char *why, size_t whylen);
/* Unregisters the webhook (best effort) and removes the connection. Blocks. */
ch_err ch_svc_bot_delete_wait(const ch_principal *p, int64_t org_id, int64_t id, char *why, size_t whylen);
ch_err ch_svc_bots_list(ch_svc_tx *tx, int64_t company_id, int64_t org_id, ch_channel_conn_each_fn each, void *ctx);
/* {id, organizationId, type, name, tokenHint, webhookUrl, createdAt, health:{…}}: never the token. */
json_t *ch_svc_json_bot(const ch_channel_conn_row *r, const char *base);
void ch_svc_bot_webhook_url(const ch_channel_conn_row *r, const char *base, char *out, size_t n);
/* A platform's call of a connection's webhook. */
typedef struct ch_svc_bot_call {
	int type;               /* CH_CHANNEL_* of the path */
	const char *public_key; /* the path's {connection} */
	const char *proof;      /* X-Telegram-Bot-Api-Secret-Token / X-Viber-Content-Signature, or NULL */
	const char *body;       /* the raw bytes (borrowed) */
	size_t len;
	int too_large;          /* the body was cut at the limit */
} ch_svc_bot_call;
/* CH_OK (answer 200: stored, a replay, or nothing to store); NOT_FOUND (no
 * such connection), NO_TOKEN (the proof is missing or wrong: nothing was
 * parsed), TOO_LARGE, BAD_JSON (why), BUSY (a file could not be fetched now:
 * the platform should try again), or the store's error. Blocks. */
ch_err ch_svc_bot_inbound(const ch_svc_bot_call *call, char *why, size_t whylen);

/* ---- one HTTP request, waited for (svc/http_call.c) ------------------------ */

#define CH_SVC_HTTP_CALL_TIMEOUT_S 15
typedef struct ch_svc_http_call_in {
	const char *url;          /* http(s)://… */
	const char *method;       /* NULL: POST */
	const char *content_type; /* NULL: application/json */
	const char *body;         /* borrowed (copied); NULL with GET */
	size_t len;
	size_t nh;
	struct {
		const char *name; /* lower case, without the colon */
		const char *value;
	} h[CH_SVC_HTTP_HEADERS];
	int allow_private;  /* 1 for addresses the operator configured; the outbound_allow_private setting else */
	size_t answer_max;  /* bytes of the answer kept (0: 64 KiB); a longer answer fails the call */
	int timeout_s;      /* 0: CH_SVC_HTTP_CALL_TIMEOUT_S */
} ch_svc_http_call_in;
typedef struct ch_svc_http_answer {
	int status;     /* the HTTP status; 0 when there was no answer (why says why) */
	char why[256];
	char *body;     /* malloc'd, NUL-terminated, or NULL; ch_svc_http_answer_free */
	size_t len;
} ch_svc_http_answer;
/* Sends req (takes ownership; its done and arg are set here) and waits for
 * its answer, at most req->timeout_s (0: CH_SVC_HTTP_CALL_TIMEOUT_S): out
 * as the client reported it, or status 0 with "no answer within <n> s".
 * Blocks: worker threads only. */
void ch_svc_http_send_wait(ch_svc_http_post *req, ch_svc_http_answer *out);
/* Resolves in->url, sends the request and waits for its answer (at most its
 * timeout). Blocks: worker threads only. */
void ch_svc_http_call(const ch_svc_http_call_in *in, ch_svc_http_answer *out);
void ch_svc_http_answer_free(ch_svc_http_answer *a);

/* ---- webhooks (svc/webhooks.c) ------------------------------------------- */

#define CH_SVC_WEBHOOK_SECRET_TAG "whsec_"
/* Whether type (n bytes) is an event type a webhook may subscribe to. */
int ch_svc_webhook_event_known(const char *type, size_t n);
/* The known event types, comma-separated (for error messages). Static. */
const char *ch_svc_webhook_event_types(void);
/* {id, url, organizationId|null, events:[…], secretPrefix, status:"active"|"failing",
 * lastError|null, lastSuccessAt|null, failingSince|null, createdAt}; with_secret adds "secret". */
json_t *ch_svc_json_webhook(const ch_webhook_row *r, int with_secret);
ch_err ch_svc_webhooks(ch_svc_tx *tx, int64_t company_id, ch_webhook_each_fn each, void *ctx);
ch_err ch_svc_webhook_get(ch_svc_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out);
/* Adds to webhook object o its "organizations": [{organizationId, lastEventSeq,
 * failedAttempts, nextAttemptAt}] (its delivery cursors). */
ch_err ch_svc_webhook_add_cursors(ch_svc_tx *tx, int64_t company_id, int64_t id, json_t *o);
/* Creates one for the company principal p (in: url, organization_id, events;
 * the secret is made here, *out has it). Errors as ch_store_webhook_create. */
ch_err ch_svc_webhook_create_wait(const ch_principal *p, const ch_webhook_row *in, ch_webhook_row *out);
ch_err ch_svc_webhook_delete_wait(const ch_principal *p, int64_t id);
ch_err ch_svc_webhook_enable_wait(const ch_principal *p, int64_t id, ch_webhook_row *out);
/* "t=<t>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>" into out. */
#define CH_SVC_WEBHOOK_SIG_MAX 96
void ch_svc_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                         char out[CH_SVC_WEBHOOK_SIG_MAX]);
/* A POST of body (takes ownership) to webhook r, signed now, with the
 * webhook headers (User-Agent, X-ChatHub-Event-Id, -Event-Seq, -Webhook-Id,
 * -Signature); the URL's parts and the address (ip) as resolved by the caller. */
ch_svc_http_post *ch_svc_webhook_post(const ch_webhook_row *r, const ch_netaddr_url *u, const char *ip,
                                      const char *event_id, int64_t event_seq, char *body);
/* Sends webhook r (read by the caller: its company's) a signed ping
 * ({"type":"ping", "eventSeq":0, …}, never stored) and waits for the answer,
 * at most CH_SVC_WEBHOOK_TIMEOUT_S seconds: *status the receiver's HTTP
 * status, or 0 with why (does not resolve, refused address, connection
 * error, timeout). Blocks (resolves the host here): worker threads only. */
void ch_svc_webhook_test_wait(const ch_webhook_row *r, int allow_private, int *status, char *why, size_t whylen);

/* ---- JSON of the API objects (new references) -------------------------- */

/* NULL (logged) when a text field of the row is not valid UTF-8. A message's
 * media.url is signed afresh, at the time of the call. */
/* ---- webhook deliveries (svc/webhook_delivery.c) ---- */

/* A claimed cursor is leased to this process this long: far above one attempt
 * (the DNS lookup, then the request's CH_SVC_WEBHOOK_TIMEOUT_S), so no other
 * process sends its event meanwhile; recording the attempt ends the lease. A
 * process killed with a lease leaves it to expire: another one resumes then. */
#define CH_SVC_WEBHOOK_LEASE_MS 30000
#define CH_SVC_WEBHOOK_TIMEOUT_S 10
/* webhook_retry_hours (as ms), webhook_backoff_max_ms, outbound_allow_private. */
void ch_svc_webhooks_configure(int64_t retry_ms, int64_t backoff_max_ms, int allow_private);
/* One cursor's next request. */
typedef struct ch_svc_webhook_send {
	ch_webhook_cursor_row cur; /* as claimed (its lease is the update's token) */
	int64_t seq;               /* the eventSeq sent */
	ch_svc_http_post *req;     /* the request to send (done/arg for the caller to set), or NULL: */
	char why[256];             /* why it could not be made (unresolved, refused address): a failed attempt */
} ch_svc_webhook_send;
/* Claims up to max due cursors (a store write), reads each one's next event
 * it takes, moves the cursors over events they do not take, and resolves the
 * URLs: out[0..*n) are new (free()), each to send or to record as failed with
 * ch_svc_webhook_result; *progress counts cursors moved without a request.
 * Blocks: worker threads only. */
ch_err ch_svc_webhooks_load(ch_svc_webhook_send **out, size_t max, size_t *n, int *progress);
/* Records the outcome of s (status 2xx: delivered; else failed with why, or
 * "HTTP <status>"): an asynchronous store write, any thread. s stays the caller's. */
void ch_svc_webhook_result(const ch_svc_webhook_send *s, int status, const char *why);
/* Frees s (its copy of the webhook's secret wiped); NULL is a no-op. */
void ch_svc_webhook_send_free(ch_svc_webhook_send *s);
/* Webhooks marked failing, of every company (a read: worker threads). */
ch_err ch_svc_webhooks_failing(int64_t *n);

/* ---- organization events (events.c) ---- */
/* The organization's events with eventSeq > after, ascending, at most limit,
 * as a new JSON array of event objects with their chat, message and client as
 * they are now; *last_seq_out the organization's latest eventSeq, *trimmed_out
 * (may be NULL) the highest one deleted by the retention. CH_ERR_NOT_FOUND:
 * not the company's organization; CH_ERR_GONE: after < *trimmed_out (events
 * were deleted); CH_ERR_OUT_OF_RANGE: after > *last_seq_out. */
ch_err ch_svc_events_page(ch_svc_tx *tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,
                          json_t **events_out, int64_t *last_seq_out, int64_t *trimmed_out);
/* A write job deleting events older than retention_ms (a bounded number per
 * job; the result says {deleted, more}). */
void ch_svc_events_trim(int64_t retention_ms, ch_svc_done done, void *arg);

/* ---- reports (reports.c, docs/reports.md) ---- */
#define REPORT_EVENTS_MAX 500000 /* events a report reads at most (the log up to its range's end) */
typedef struct ch_report_query {
	int64_t org_id;
	int64_t operator_id;      /* 0 = every operator */
	int64_t from_day, to_day; /* days since 1970-01-01 in the organization's zone, both included */
	int heatmap;              /* 1: client messages by weekday x hour instead of the summary */
} ch_report_query;
/* The report as a new JSON object (docs/api.md "Reports"), computed from the
 * organization's events. CH_ERR_NOT_FOUND: not the company's organization;
 * CH_ERR_OUT_OF_RANGE with why: the log is longer than REPORT_EVENTS_MAX. */
ch_err ch_svc_report(ch_svc_tx *tx, int64_t company_id, const ch_report_query *q, json_t **out, char *why,
                     size_t whylen);

json_t *ch_svc_json_chat(const ch_chat_row *c);
/* {id, organizationId, name, color}. */
json_t *ch_svc_json_label(const ch_label_row *r);
/* A private note: {id, chatId, organizationId, operator, text, mentions,
 * afterSeq, createdAt}. */
json_t *ch_svc_json_note(const ch_note_row *n);
/* Makes the media uris in j absolute with base (a request's ch_base_url):
 * j is a message, an array of messages (a history, an event's arguments) or
 * a Sync result; anything else is left alone. No-op for an empty base or
 * uris already absolute (public_url). */
void ch_svc_media_absolute(json_t *j, const char *base);
/* Whether j (same shapes) holds a media uri still relative. */
int ch_svc_media_relative(const json_t *j);
/* chat (borrowed, may be NULL): the message's chat, for the client's phone. */
json_t *ch_svc_json_message(const ch_message_row *m, const ch_chat_row *chat);

/* ---- signed media URLs ---------------------------------------------------- */

#define CH_SVC_MEDIA_URL_MAX 160
/* When a media URL signed at now_s expires (Unix seconds): now rounded down
 * to a multiple of media_url_ttl, plus twice the ttl — between ttl and 2 × ttl
 * away, and the same URL for a whole ttl (browser caches keep working). */
int64_t ch_svc_media_url_expiry(int64_t now_s);
/* The signed media URL path "/api/media/<id>?c=<company>&e=<expiry>&sig=<hex>"
 * at now_s: the MAC covers "media:<company>:<id>:<expiry>". */
void ch_svc_media_url(int64_t company_id, int64_t media_id, int64_t now_s, char out[CH_SVC_MEDIA_URL_MAX]);
/* Checks a signed URL's e and sig (query text, borrowed, may be NULL) at
 * now_s, in constant time: CH_OK; CH_ERR_TOKEN_EXPIRED when it is authentic
 * but now_s >= e; CH_ERR_NO_TOKEN when it is not ours (any e or sig altered). */
ch_err ch_svc_media_sig_check(int64_t company_id, int64_t media_id, const char *e, const char *sig,
                              int64_t now_s);

#endif
