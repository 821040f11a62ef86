/* store.h — the storage interface of ChatHub.
 *
 * Everything the server persists goes through this header; no other module
 * contains SQL. Two backends implement it, chosen at open by
 * ch_store_opts.url: SQLite (store/sqlite/) and PostgreSQL (store/postgres/);
 * store.c dispatches (store/backend.h). tests/unit/store/ is a contract suite
 * written only against this header, and both backends run it.
 *
 * Threading model:
 *  - ch_store_read() runs a function in a read transaction on the CALLING
 *    thread, with a connection private to that thread (opened lazily). It
 *    blocks: never call it on the network thread.
 *  - ch_store_write() queues a function for the process's single writer
 *    thread. The writer takes every queued job, opens one transaction, runs
 *    the jobs, commits once (group commit), then calls every job's done
 *    callback ON THE WRITER THREAD. A job is therefore acknowledged only when
 *    it is durable. A failing job's writes are undone alone: SQLite runs each
 *    job in a savepoint; PostgreSQL keeps a job that failed having written
 *    nothing, and otherwise rolls the batch back and runs it again without
 *    that job. A job function may therefore run more than once (PostgreSQL
 *    also retries a batch after a deadlock or lock timeout): it must only
 *    write through tx and its arg, and the run that committed is the one
 *    whose results count. Several processes may write one PostgreSQL
 *    database: the lock calls below serialise what must be.
 *    The queue is bounded (ch_store_opts.queue_max): when it is full,
 *    ch_store_write does not queue and calls done(arg, CH_ERR_BUSY) at once,
 *    ON THE CALLER'S THREAD, before it returns. A caller therefore must not
 *    touch arg after the call and must not hold a lock done takes.
 *  - ch_store_write_sync() queues and waits (CLI, tests, worker threads);
 *    it is never refused (its caller is blocked, which bounds it).
 *  - The typed ch_store_<entity>_<verb>() functions take the ch_store_tx given
 *    to a job function and must only be called inside one.
 *
 * Tenant scoping: every typed function that takes a company_id only sees rows
 * of that company; a row of another company answers CH_ERR_NOT_FOUND exactly
 * like a missing one.
 *
 * Ownership: row structs use fixed buffers except where noted; strings passed
 * in are borrowed for the duration of the call.
 */
#ifndef CH_STORE_STORE_H
#define CH_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "chat/model.h" /* the domain's values and limits the rows hold */
#include "core/err.h"

#define CH_HASH_MAX 256    /* password hash string; the same as auth/password.h's (another value does not compile) */

typedef struct ch_store ch_store;
typedef struct ch_store_tx ch_store_tx;

typedef struct ch_store_opts {
	const char *url;       /* NULL or "" = SQLite at path; "sqlite:<file>"; "postgresql://…" or "postgres://…" */
	const char *node_id;   /* this process's id in a cluster (bus_log rows); NULL = none */
	const char *path;      /* database file; created if missing */
	int synchronous_full;  /* 0 = WAL + synchronous NORMAL, 1 = FULL */
	int busy_timeout_ms;   /* how long to wait on a lock held by another process */
	size_t queue_max;      /* write jobs waiting for the writer; 0 = no bound */
} ch_store_opts;

/* Opens (creating if needed) and applies pending migrations, starts the writer.
 * *applied_out (may be NULL) receives how many migrations were applied now. */
ch_err ch_store_open(const ch_store_opts *opts, ch_store **out, int *applied_out);
/* Completes every queued write, stops the writer, closes all connections. */
void ch_store_close(ch_store *s);
/* Current schema version (highest applied migration). */
int ch_store_schema_version(ch_store *s);

typedef ch_err (*ch_store_fn)(ch_store_tx *tx, void *arg);
typedef void (*ch_store_done_fn)(void *arg, ch_err err);

ch_err ch_store_read(ch_store *s, ch_store_fn fn, void *arg);
/* Queues fn for the writer; done(arg, err) runs after the commit on the
 * writer thread, or at once on the calling thread with CH_ERR_BUSY when the
 * queue is full (see above). done may be NULL. */
void ch_store_write(ch_store *s, ch_store_fn fn, void *arg, ch_store_done_fn done);
ch_err ch_store_write_sync(ch_store *s, ch_store_fn fn, void *arg);

#define CH_STORE_TIME_BUCKETS 17
#define CH_STORE_TIME_BOUNDS_US                                                                    \
	{250, 500, 1000, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 50000, 100000, 250000, 500000, 1000000, \
	 INT64_MAX}
typedef struct ch_store_stats {
	uint64_t commits;        /* group transactions committed */
	uint64_t jobs;           /* write jobs completed */
	uint64_t failed_commits;
	uint64_t batch_le[8];    /* commits with batch size <= 1,2,4,8,16,32,64,+inf (cumulative) */
	uint64_t queue_len;      /* write jobs waiting now */
	uint64_t replays;        /* PostgreSQL: batches rolled back and run again without a failed job */
	/* Time histograms, cumulative over CH_STORE_TIME_BOUNDS_US (the last is +inf):
	 * write_le per write job, from queued to its batch committed (what a caller
	 * waits for the store: queue, the batch, COMMIT); commit_le per batch, from
	 * the writer taking it to its COMMIT returning. Sums in microseconds. */
	uint64_t write_le[CH_STORE_TIME_BUCKETS], write_us_sum;
	uint64_t commit_le[CH_STORE_TIME_BUCKETS], commit_us_sum;
} ch_store_stats;
void ch_store_stats_get(ch_store *s, ch_store_stats *out);

/* Changes after every committed write that may have revoked a principal (a
 * company's or operator's token epoch, an operator's status, a Deleted
 * operator synchronised back). A cache of principals read while it had one
 * value is valid while it still has it (api/principals.c). This process's
 * writes move it before they are acknowledged; those of other processes (the
 * admin CLI) when ch_store_revocations_poll() notices them. Any thread. */
uint64_t ch_store_principals_gen(ch_store *s);
/* Reads the database's revocation counter, which every revoking commit of any
 * process moves; when it differs from the last poll, moves
 * ch_store_principals_gen() and sets *changed. A read (worker threads). */
ch_err ch_store_revocations_poll(ch_store *s, int *changed);
/* Another process revoked a principal (its bus event arrived): moves
 * ch_store_principals_gen() now rather than at the next poll. Any thread. */
void ch_store_principals_stale(ch_store *s);

/* From now on, ch_store_write() calls of the calling thread do not wake the
 * writer; ch_store_flush_wakeups() (at the end of each event-loop turn) does,
 * once. For a thread that queues many writes per turn (the network thread):
 * they become one group commit. ch_store_write_sync flushes by itself. */
void ch_store_defer_wakeups(void);
void ch_store_flush_wakeups(void);

/* Cheap liveness probe (SELECT 1). */
ch_err ch_store_ping(ch_store_tx *tx);

/* The backend's name: "sqlite" or "postgres". */
const char *ch_store_backend(ch_store *s);

/* ---- cluster bus outbox ---- */
/* Adds bytes to the running batch's outbox payload; the svc job runner calls it for a job that succeeded.
 * PostgreSQL stores the batch's payload as one bus_log row (node_id, bseq, payload) inside the batch
 * transaction, so the events exist if and only if the batch committed; a batch rolled back (or replayed)
 * drops (rebuilds) its bytes. SQLite keeps them in memory only. Writer thread. */
void ch_store_tx_add_events(ch_store_tx *tx, const void *bytes, size_t len);
typedef void (*ch_store_batch_sink)(void *ctx, uint64_t bseq, const void *payload, size_t len);
/* fn runs on the writer thread after every COMMIT that carried payload, in commit order, before that
 * batch's done callbacks. bseq counts this process's committed payload batches 1, 2, 3… with no gap. */
void ch_store_set_batch_sink(ch_store *s, ch_store_batch_sink fn, void *ctx);
typedef void (*ch_bus_log_each_fn)(void *ctx, const char *node_id, uint64_t bseq, const void *payload, size_t len);
/* node_id's rows with after < bseq <= upto (upto 0 = no bound), ascending, at most limit (0 = all). */
ch_err ch_store_bus_log_read(ch_store_tx *tx, const char *node_id, uint64_t after, uint64_t upto,
                             int64_t limit, ch_bus_log_each_fn each, void *ctx);
/* each(ctx, node_id, max bseq, NULL, 0) once per node having rows (polling when Redis is down). */
ch_err ch_store_bus_log_heads(ch_store_tx *tx, ch_bus_log_each_fn each, void *ctx);
/* Deletes rows older than older_than_ms (database clock); *deleted may be NULL. */
ch_err ch_store_bus_log_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t *deleted);
/* SQLite: read/heads/trim answer CH_OK with no rows (no other process exists to replay for). */

/* ---- settings shared by every process ---------------------------------- */

#define CH_SETTING_KEY_MAX 128
#define CH_SETTING_VALUE_MAX 4096

/* Stores value_if_absent under key unless the key has a value, and copies the
 * stored value into out (outlen bytes, NUL included; CH_ERR_OUT_OF_RANGE when
 * it does not fit). A write job. Several processes starting at once all get
 * the value of the first (e.g. the JWT secret). */
ch_err ch_store_setting_ensure(ch_store_tx *tx, const char *key, const char *value_if_absent, char *out,
                               size_t outlen);
/* Copies the value stored under key into out (outlen bytes, NUL included);
 * CH_ERR_NOT_FOUND when the key has none, CH_ERR_OUT_OF_RANGE when it does
 * not fit. A read. */
ch_err ch_store_setting_get(ch_store_tx *tx, const char *key, char *out, size_t outlen);

/* The time of the last `chathub backup` (ms since the epoch, decimal), written
 * by store/backup.c on SQLite; PostgreSQL backups (pg_dump) record nothing. */
#define CH_SETTING_LAST_BACKUP "last_backup_at"

/* ---- companies -------------------------------------------------------- */

typedef struct ch_company_row {
	int64_t id;
	char login[CH_LOGIN_MAX + 1];
	char name[CH_NAME_MAX + 1];
	char password_hash[CH_HASH_MAX + 1];
	int64_t created_at; /* ms since epoch */
	int64_t token_epoch; /* company tokens carry it; moved by a revocation */
} ch_company_row;

/* CH_ERR_CONFLICT when the login exists. */
ch_err ch_store_company_create(ch_store_tx *tx, const char *login, const char *name,
                               const char *password_hash, int64_t *id_out);
ch_err ch_store_company_by_login(ch_store_tx *tx, const char *login, ch_company_row *out);
ch_err ch_store_company_get(ch_store_tx *tx, int64_t id, ch_company_row *out);
/* Sets the password hash and revokes the company's tokens (token_epoch moves). */
ch_err ch_store_company_set_password(ch_store_tx *tx, int64_t id, const char *password_hash);
/* Revokes every company token issued so far (token_epoch moves). */
ch_err ch_store_company_revoke_tokens(ch_store_tx *tx, int64_t id);

/* ---- company API keys -------------------------------------------------- */

#define CH_API_KEY_HASH 32   /* SHA-256 of the key */
#define CH_API_KEY_PREFIX 12 /* characters of the key kept to tell keys apart */
#define CH_API_KEYS_MAX 100  /* per company */

typedef struct ch_api_key_row {
	int64_t id;
	int64_t company_id;
	char name[CH_NAME_MAX + 1];
	char prefix[CH_API_KEY_PREFIX + 1];
	int64_t created_at;
	unsigned char hash[CH_API_KEY_HASH]; /* filled by ch_store_api_key_all only */
} ch_api_key_row;

typedef void (*ch_api_key_each_fn)(void *ctx, const ch_api_key_row *row);

/* Stores a key by its hash. CH_ERR_CONFLICT when the company has
 * CH_API_KEYS_MAX keys already (or, never in practice, the hash exists).
 * Moves the database's revocation counter, so that running servers (which
 * keep every key in memory) load the new key within a poll. */
ch_err ch_store_api_key_create(ch_store_tx *tx, int64_t company_id, const char *name,
                               const unsigned char hash[CH_API_KEY_HASH], const char *prefix, ch_api_key_row *out);
ch_err ch_store_api_key_list(ch_store_tx *tx, int64_t company_id, ch_api_key_each_fn each, void *ctx);
/* Every key of every company, with its hash (the server's in-memory table). */
ch_err ch_store_api_key_all(ch_store_tx *tx, ch_api_key_each_fn each, void *ctx);
/* CH_ERR_NOT_FOUND when the key was revoked (or is another company's). */
ch_err ch_store_api_key_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_api_key_row *out);
/* Revokes (deletes) a key; CH_ERR_NOT_FOUND when there is none. Moves the
 * principals generation like every revocation. */
ch_err ch_store_api_key_revoke(ch_store_tx *tx, int64_t company_id, int64_t id);

/* ---- organizations ---------------------------------------------------- */

typedef struct ch_org_row {
	int64_t id;
	int64_t company_id;
	char name[CH_NAME_MAX + 1];
	char guid[CH_GUID_LEN + 1];            /* chat-widget guid */
	char allowed_origins[CH_ORIGINS_MAX + 1]; /* JSON array text, "[]" = every origin */
	int64_t max_chats_per_operator;
	int64_t created_at;
	/* auto-close (ext): minutes of silence after which a chat of that status
	 * is closed, 0 = never (see ch_store_chat_idle_due) */
	int64_t auto_close_waiting;  /* default 1440 */
	int64_t auto_close_open;     /* default 0 */
	int64_t auto_close_on_pause; /* default 0 */
	int64_t retention_days;      /* closed chats older than this are erased; 0 = keep (migration 023) */
	int csat_enabled;            /* (ext) the visitor may rate a closed chat; default 1 */
} ch_org_row;

typedef void (*ch_org_each_fn)(void *ctx, const ch_org_row *row);

/* guid is generated by the caller (unique). */
ch_err ch_store_org_create(ch_store_tx *tx, int64_t company_id, const char *name, const char *guid,
                           int64_t *id_out);
ch_err ch_store_org_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_org_row *out);
ch_err ch_store_org_by_guid(ch_store_tx *tx, const char *guid, ch_org_row *out);
/* NULL / negative arguments leave that field unchanged. */
ch_err ch_store_org_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *name,
                           const char *allowed_origins_json, int64_t max_chats_per_operator);
/* Ascending by id. */
ch_err ch_store_org_list(ch_store_tx *tx, int64_t company_id, ch_org_each_fn each, void *ctx);
/* Every organization of every company (for server-wide policies such as CORS). */
ch_err ch_store_org_list_all(ch_store_tx *tx, ch_org_each_fn each, void *ctx);

/* ---- operators -------------------------------------------------------- */

typedef struct ch_operator_row {
	int64_t id;
	int64_t organization_id;
	int64_t company_id;
	char name[CH_NAME_MAX + 1];
	char photo[CH_PHOTO_MAX + 1]; /* "" = none */
	char org_name[CH_NAME_MAX + 1];
	int status;
	int has_external_id;
	char external_id[CH_EXTID_MAX + 1];
	int64_t token_epoch; /* bumped on every revocation */
	int64_t created_at;
} ch_operator_row;

typedef void (*ch_operator_each_fn)(void *ctx, const ch_operator_row *row);

/* Ascending by id. CH_ERR_NOT_FOUND when the org is not the company's. Deleted
 * operators are included only when include_deleted. */
ch_err ch_store_operator_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                              int include_deleted, ch_operator_each_fn each, void *ctx);
ch_err ch_store_operator_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_operator_row *out);
/* Without external_id (NULL) always creates. With one, updates the operator of
 * that org having that external_id (name; Deleted → Active) or creates it.
 * *created_out (may be NULL) says which. CH_ERR_NOT_FOUND when the org is not
 * the company's. *out receives the resulting row. */
ch_err ch_store_operator_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                const char *name, const char *external_id, ch_operator_row *out,
                                int *created_out);
/* Sets (photo non-empty) or clears (NULL or "") the operator's photo URL;
 * *out (may be NULL) receives the updated row. */
ch_err ch_store_operator_set_photo(ch_store_tx *tx, int64_t company_id, int64_t id, const char *photo,
                                   ch_operator_row *out);
/* Sets the status; Inactive and Deleted also bump token_epoch (revoking every
 * token issued before). *out (may be NULL) receives the updated row. */
ch_err ch_store_operator_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                    ch_operator_row *out);

/* ---- organizations: per-organization secrets and settings (ext) ------ */

typedef struct ch_org_secrets {
	char identity_secret[65];   /* signs visitors' userJWT (HS256); "" = identity disabled */
	char channel_secret[65];    /* HMAC-SHA256 key of channel inbound/outbound requests */
	char outbound_url[1025];    /* where operator replies to channel chats are POSTed; "" = none */
	int prechat_form;           /* visitor widget asks name/email first */
	int operators_manage_canned; /* operators may manage organization-wide canned responses */
} ch_org_secrets;

/* Scoped read/update. NULL strings / negative prechat_form leave fields unchanged. */
ch_err ch_store_org_secrets_get(ch_store_tx *tx, int64_t company_id, int64_t org_id, ch_org_secrets *out);
ch_err ch_store_org_secrets_set(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                const char *identity_secret, const char *channel_secret,
                                const char *outbound_url, int prechat_form);
/* Sets operators_manage_canned (0 or 1); CH_ERR_NOT_FOUND for another company's org. */
ch_err ch_store_org_set_canned_policy(ch_store_tx *tx, int64_t company_id, int64_t org_id, int allow);

/* ---- canned responses (ext) -------------------------------------------- */

#define CH_CANNED_SHORTCUT_MAX 32     /* characters of [A-Za-z0-9_-] */
#define CH_CANNED_TITLE_MAX 256       /* bytes of UTF-8 */
#define CH_CANNED_PER_ORG_MAX 1000    /* organization-wide responses per organization */
#define CH_CANNED_PER_OPERATOR_MAX 200 /* personal responses per operator */

typedef struct ch_canned_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;
	int64_t operator_id; /* 0 = organization-wide */
	char shortcut[CH_CANNED_SHORTCUT_MAX + 1];
	char title[CH_CANNED_TITLE_MAX + 1];
	char text[CH_TEXT_MAX_BYTES + 1];
	int64_t created_at;
} ch_canned_row;

typedef void (*ch_canned_each_fn)(void *ctx, const ch_canned_row *row);

/* Creates a response owned by the organization (operator_id 0) or by one of
 * its operators. CH_ERR_NOT_FOUND: the organization (or the operator in it) is
 * not the company's; CH_ERR_OUT_OF_RANGE: a bad shortcut, title or text length;
 * CH_ERR_BAD_JSON: invalid UTF-8; CH_ERR_CONFLICT: the owner has that shortcut
 * already, or its budget (CH_CANNED_PER_ORG_MAX / _PER_OPERATOR_MAX) is full. */
ch_err ch_store_canned_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                              const char *shortcut, const char *title, const char *text, ch_canned_row *out);
/* The organization's organization-wide responses, plus operator_id's own when
 * operator_id > 0; by shortcut, organization-wide first. */
ch_err ch_store_canned_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                            ch_canned_each_fn each, void *ctx);
ch_err ch_store_canned_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_canned_row *out);
/* Replaces shortcut, title and text (same checks and errors as create). */
ch_err ch_store_canned_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *shortcut,
                              const char *title, const char *text, ch_canned_row *out);
ch_err ch_store_canned_delete(ch_store_tx *tx, int64_t company_id, int64_t id);

/* ---- labels (ext) ------------------------------------------------------ */

#define CH_LABEL_NAME_MAX 64       /* bytes of UTF-8 */
#define CH_LABEL_COLOR_LEN 7       /* "#rrggbb" */
#define CH_LABELS_PER_ORG_MAX 200  /* labels per organization */
#define CH_LABELS_PER_CHAT_MAX 20  /* labels set on one chat */

typedef struct ch_label_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;
	char name[CH_LABEL_NAME_MAX + 1];
	char color[CH_LABEL_COLOR_LEN + 1]; /* "#rrggbb", lower case */
	int64_t created_at;
} ch_label_row;

typedef void (*ch_label_each_fn)(void *ctx, const ch_label_row *row);
/* One label set on one chat. */
typedef void (*ch_chat_label_each_fn)(void *ctx, int64_t chat_id, const ch_label_row *row);

/* Creates an organization's label. color NULL or "": the server chooses one
 * (a fixed palette, in turn). A name is unique per organization ignoring case
 * (the fold of store/label.c: ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic letters). CH_ERR_NOT_FOUND: the organization is not the company's;
 * CH_ERR_OUT_OF_RANGE: a name not of 1..CH_LABEL_NAME_MAX bytes or with a
 * control character, a color not "#rrggbb"; CH_ERR_BAD_JSON: invalid UTF-8;
 * CH_ERR_CONFLICT: the name is taken, or the organization has
 * CH_LABELS_PER_ORG_MAX labels. */
ch_err ch_store_label_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *name,
                             const char *color, ch_label_row *out);
/* The organization's labels by name (case-folded), then id. CH_ERR_NOT_FOUND
 * when the organization is not the company's. */
ch_err ch_store_label_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, ch_label_each_fn each,
                           void *ctx);
ch_err ch_store_label_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_label_row *out);
/* Deletes the label and takes it off every chat. */
ch_err ch_store_label_delete(ch_store_tx *tx, int64_t company_id, int64_t id);
/* Replaces the chat's labels with label_ids (n may be 0: none). Locks the
 * chat's row like ch_store_chat_lock. CH_ERR_NOT_FOUND: the chat is not the
 * company's, or a label is not a label of the chat's organization;
 * CH_ERR_OUT_OF_RANGE: more than CH_LABELS_PER_CHAT_MAX ids, or an id twice. */
ch_err ch_store_chat_labels_set(ch_store_tx *tx, int64_t company_id, int64_t chat_id, const int64_t *label_ids,
                                size_t n);
/* The labels of n chats (the company's; others' give nothing) in one query:
 * each(ctx, chat_id, label) by chat id, then label name (case-folded), id. */
ch_err ch_store_chat_labels(ch_store_tx *tx, int64_t company_id, const int64_t *chat_ids, size_t n,
                            ch_chat_label_each_fn each, void *ctx);

/* ---- clients (the customer side of chats) ----------------------------- */

typedef struct ch_client_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;
	int source;
	char name[CH_NAME_MAX + 1];
	char phone[CH_PHONE_MAX + 1];
	char email[CH_EMAIL_MAX + 1];
	int has_external_key;
	char external_key[CH_EXTID_MAX + 1]; /* channel user id, or "sub:<sub>" of a userJWT */
	int64_t created_at;                  /* first seen */
	/* the profile (migration 013): the page of the latest widget session */
	char page_url[CH_URL_MAX + 1];
	char referrer[CH_URL_MAX + 1];
	char language[CH_LANGUAGE_MAX + 1];
	char user_agent[CH_USER_AGENT_MAX + 1];
	char attributes[CH_ATTRS_JSON_MAX + 1];         /* JSON object text, "{}" = none */
	char verified_keys[CH_ATTRS_KEYS_JSON_MAX + 1]; /* JSON array of the keys a userJWT set */
	int64_t updated_at;                  /* the profile's last change (created_at at first) */
	int64_t chats_count;                 /* the client's chats, of any status */
	int64_t erased_at;                   /* 0 = not erased (migration 023) */
} ch_client_row;

/* A change of a client's profile: NULL leaves a field as it is; "" clears a
 * text field. attributes is the whole new object (JSON text) and
 * verified_keys the whole new array: merging a change into them is the
 * caller's (chat/attrs.h), the store only keeps them. */
typedef struct ch_client_change {
	const char *name, *phone, *email;
	const char *page_url, *referrer, *language, *user_agent;
	const char *attributes;    /* a JSON object of at most CH_ATTRS_JSON_MAX bytes */
	const char *verified_keys; /* a JSON array of strings */
} ch_client_change;

/* With external_key NULL always creates. With a key, returns the org's client
 * with that (source, key), updating non-NULL non-empty name/phone/email, or
 * creates it. Strings may be NULL (= empty / unchanged). A string that is not
 * valid UTF-8 answers CH_ERR_BAD_JSON and nothing is stored. */
ch_err ch_store_client_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id, int source,
                              const char *external_key, const char *name, const char *phone,
                              const char *email, ch_client_row *out);
ch_err ch_store_client_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_client_row *out);
/* Applies ch to the company's client and sets updated_at to now; *out (may
 * be NULL) gets the row after. CH_ERR_NOT_FOUND: not the company's client;
 * CH_ERR_OUT_OF_RANGE: a field over its bound, attributes not a JSON object
 * or verified_keys not an array of strings; CH_ERR_BAD_JSON: invalid UTF-8.
 * Nothing is written on an error. */
ch_err ch_store_client_update(ch_store_tx *tx, int64_t company_id, int64_t id, const ch_client_change *ch,
                              ch_client_row *out);

/* ---- chats ------------------------------------------------------------- */

/* ---- search (a chat list with ch_chat_filter.search) -------------------- */

#define CH_SNIPPET_MAX 512      /* bytes of a match's snippet */

/* CH_OK for NULL or a search of at most CH_SEARCH_MAX_BYTES and
 * CH_SEARCH_MAX_WORDS words (chat/model.h; separated by white space);
 * CH_ERR_OUT_OF_RANGE beyond; CH_ERR_BAD_JSON when it is not UTF-8. Pure. */
ch_err ch_store_search_check(const char *q);

/* Where a found chat matched: a field of its client, else one of its messages. */
enum { CH_MATCH_NONE = 0, CH_MATCH_MESSAGE = 1, CH_MATCH_NAME = 2, CH_MATCH_PHONE = 3, CH_MATCH_EMAIL = 4 };

typedef struct ch_chat_match {
	int field;  /* CH_MATCH_*; NONE outside a search */
	int64_t seq; /* the message's seq (CH_MATCH_MESSAGE), else 0 */
	/* Plain text around the match, each matched word between U+0002 and
	 * U+0003 (a U+0002 or U+0003 of the text itself is left out). */
	char snippet[CH_SNIPPET_MAX + 1];
} ch_chat_match;

typedef struct ch_chat_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;
	int64_t client_id;
	int64_t operator_id;        /* 0 = unassigned */
	int source;
	int status;
	char theme[CH_NAME_MAX + 1];
	int64_t last_seq;           /* seq of the newest message, 0 = none */
	int64_t operator_read_seq;  /* the operator side has read up to here */
	int64_t client_read_seq;    /* the client has read up to here */
	int64_t count_unread;       /* client messages with seq > operator_read_seq */
	int64_t created_at;
	int64_t last_message_at;    /* 0 = no message */
	int64_t queued_at;          /* when it last became New and unassigned (routing order) */
	char operator_name[CH_NAME_MAX + 1];
	char operator_photo[CH_PHOTO_MAX + 1]; /* "" = none */
	char client_name[CH_NAME_MAX + 1];
	char client_phone[CH_PHONE_MAX + 1];
	char last_message[CH_PREVIEW_MAX + 1]; /* preview of the newest message's text */
	ch_chat_match match;        /* a chat_list with a search only */
	/* CSAT (ext): the visitor's latest rating of the chat, 0 = none */
	int csat_rating;            /* 1..5 */
	int64_t csat_at;            /* when it was given (ms), 0 = never */
	char csat_comment[CH_CSAT_COMMENT_MAX + 1]; /* "" = none */
} ch_chat_row;

typedef void (*ch_chat_each_fn)(void *ctx, const ch_chat_row *row);

ch_err ch_store_chat_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t client_id,
                            int source, const char *theme, ch_chat_row *out);
ch_err ch_store_chat_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_chat_row *out);
/* The client's newest chat that is not Closed; CH_ERR_NOT_FOUND if none. */
ch_err ch_store_chat_open_for_client(ch_store_tx *tx, int64_t company_id, int64_t client_id,
                                     ch_chat_row *out);
/* Sets status and operator_id together (operator_id 0 = unassigned). When the
 * result is New and unassigned, queued_at is set to now. *out gets the row. */
ch_err ch_store_chat_update(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                            int64_t operator_id, ch_chat_row *out);
ch_err ch_store_chat_set_theme(ch_store_tx *tx, int64_t company_id, int64_t id, const char *theme);
/* Deletes the chat, its messages, its notes and its media. */
ch_err ch_store_chat_delete(ch_store_tx *tx, int64_t company_id, int64_t id);

typedef struct ch_chat_filter {
	int64_t company_id;   /* required */
	int64_t org_id;       /* 0 = any */
	int64_t operator_id;  /* 0 = any; -1 = unassigned only */
	int64_t client_id;    /* 0 = any */
	int status;           /* -1 = any */
	int not_closed;       /* 1 = status != Closed */
	int source;           /* -1 = any */
	/* NULL, or the user's words (at most CH_SEARCH_MAX_BYTES of UTF-8 and
	 * CH_SEARCH_MAX_WORDS words; never query syntax): full-text search over
	 * the text of operator and client messages and the client's name, e-mail
	 * and phone, case- and diacritic-insensitive. White space and punctuation
	 * separate words; every word must match in one message or in the client's
	 * name and e-mail together; a word of two characters or more matches as a
	 * prefix. A search made only of digits and + - ( ) . / and spaces, with
	 * three digits or more, also finds the clients whose phone's digits
	 * contain those digits (however either is written).
	 * Words with no letter or digit are no words; a search of no word finds
	 * nothing. Rows come newest activity first (oldest_queued_first is
	 * ignored) and carry their match. */
	const char *search;
	const char *phone;    /* NULL or exact client phone */
	const char *tg_user_id; /* NULL or the Telegram user id of a Telegram chat's client */
	int64_t label_id;     /* 0 = any; else only chats with this label */
	int64_t from_ms, to_ms; /* 0 = unbounded; on last activity (last_message_at, else created_at) */
	int64_t offset, limit;  /* limit 0 = no limit */
	int oldest_queued_first; /* 1 = order by queued_at, id (routing); 0 = newest activity first */
} ch_chat_filter;

/* Rows matching the filter in the asked order; *total (may be NULL) gets the
 * count of all matches ignoring offset/limit. A search beyond its bounds or
 * not UTF-8 answers CH_ERR_OUT_OF_RANGE / CH_ERR_BAD_JSON. */
ch_err ch_store_chat_list(ch_store_tx *tx, const ch_chat_filter *f, int64_t *total,
                          ch_chat_each_fn each, void *ctx);

/* A write: puts up to `limit` messages committed since the last call into the
 * search index; *walked counts the message ids it went over (fewer than limit:
 * none is left). A backend that indexes as it writes (PostgreSQL) walks none.
 * A search made after this returned walked < limit sees every message
 * committed before the call. */
ch_err ch_store_search_catch_up(ch_store_tx *tx, int64_t limit, int64_t *walked);

/* Routing load of an organization: each(ctx, operator_id, n) once for every
 * Active operator of the org, n = its assigned chats that are neither Closed
 * nor OnPause (a parked chat does not use a seat; 0 included), ascending by
 * operator id. */
typedef void (*ch_load_each_fn)(void *ctx, int64_t operator_id, int64_t open_chats);
ch_err ch_store_operator_load(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                              ch_load_each_fn each, void *ctx);

/* ---- auto-close (ext) ----------------------------------------------------- */
/* A chat is silent since the later of its newest message (any author) and the
 * last change of its status. An organization's auto_close_* minutes say how
 * long a chat of that status (Open, Waiting, OnPause) may stay silent; 0 =
 * never. New and Closed chats are never due. */

#define CH_AUTO_CLOSE_MINUTES_MAX 525600 /* one year */

/* Sets the organization's auto-close minutes; a negative value leaves that
 * one unchanged. CH_ERR_OUT_OF_RANGE above CH_AUTO_CLOSE_MINUTES_MAX (nothing
 * written); CH_ERR_NOT_FOUND for another company's organization. */
ch_err ch_store_org_set_auto_close(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t waiting,
                                   int64_t open, int64_t on_pause);
/* A read or a write: chats of every company that are due at now_ms (silent
 * for at least their organization's minutes for their status), at most limit
 * (the oldest ids), ascending by organization then id: a sweep that closes
 * them in this order takes the organizations' routing locks in one order, so
 * two processes sweeping at once never wait on each other in a cycle. Walks
 * only the chats that are not Closed. */
ch_err ch_store_chat_idle_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                              void *ctx);
/* The conditional close: sets the chat Closed only while it is still due at
 * now_ms by its organization's current minutes (nothing happened since it
 * was found due; not already closed by another process): CH_ERR_CONFLICT and
 * nothing written otherwise; CH_ERR_NOT_FOUND for a missing chat or another
 * company's. The operator stays on the chat, as with any close. *out (may be
 * NULL) gets the row after. */
ch_err ch_store_chat_close_if_idle(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                                   ch_chat_row *out);

/* ---- business hours (ext, migration 022) -------------------------------- */
/* An organization's schedule is a JSON text chat/hours.h checks (the store
 * keeps it as given); no row = none (always open). drain_at is the opening
 * when chats were left queued because the organization was closed: the
 * drain sweep (svc/hours.c) assigns them then. */

#define CH_HOURS_CONFIG_MAX 8192 /* bytes of the schedule's text, NUL included */

/* The organization's schedule into config ("" when it has none) and its
 * pending drain (0 = none). CH_ERR_NOT_FOUND for another company's org. */
ch_err ch_store_hours_get(ch_store_tx *tx, int64_t company_id, int64_t org_id, char config[CH_HOURS_CONFIG_MAX],
                          int64_t *drain_at);
/* Writes the organization's schedule (borrowed; at most
 * CH_HOURS_CONFIG_MAX - 1 bytes, else CH_ERR_OUT_OF_RANGE) and clears its
 * pending drain. CH_ERR_NOT_FOUND for another company's org. */
ch_err ch_store_hours_set(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *config);
/* Asks for a drain of the organization at `at` (Unix ms), or earlier when
 * one is pending sooner. An organization without a schedule: nothing. */
ch_err ch_store_hours_drain_at(ch_store_tx *tx, int64_t org_id, int64_t at);
typedef void (*ch_hours_due_fn)(void *ctx, int64_t company_id, int64_t org_id, int64_t drain_at);
/* Organizations whose pending drain is due at now_ms (at most limit, by
 * organization id), and *next (may be NULL) the earliest pending drain after
 * now_ms (0 = none). */
ch_err ch_store_hours_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_hours_due_fn each, void *ctx,
                          int64_t *next);
/* Clears the organization's pending drain while it is still `at` (a later
 * request made meanwhile stays). */
ch_err ch_store_hours_drained(ch_store_tx *tx, int64_t org_id, int64_t at);
/* Marks the chat's away auto-reply as posted: *first = 1 the first time, 0
 * after (once per chat, across processes). CH_ERR_NOT_FOUND for another
 * company's chat. */
ch_err ch_store_chat_away_replied(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int *first);

/* ---- CSAT (ext) ------------------------------------------------------------ */
/* A visitor's rating of a closed chat (1..5, an optional comment); the chat
 * row carries the latest one (csat_*). */

#define CH_CSAT_RATING_MIN 1
#define CH_CSAT_RATING_MAX 5

/* Sets the organization's csat_enabled (0 or 1); CH_ERR_NOT_FOUND for another
 * company's organization. */
ch_err ch_store_org_set_csat(ch_store_tx *tx, int64_t company_id, int64_t org_id, int enabled);
/* Records the rating of chat chat_id at now_ms (comment: "" or NULL = none,
 * at most CH_CSAT_COMMENT_MAX bytes, stored as given) only while the chat is
 * Closed and not rated since it was closed (a chat reopened and closed again
 * may be rated again; the new rating replaces the old one). csat_at becomes
 * the later of now_ms and the close's time, so the rating always counts for
 * that close. CH_ERR_CONFLICT and nothing written when the chat is not Closed
 * or already rated since its close; CH_ERR_OUT_OF_RANGE for a rating outside
 * 1..5 or a longer comment; CH_ERR_NOT_FOUND for a missing chat or another
 * company's. *out (may be NULL) gets the row after. */
ch_err ch_store_chat_rate(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int rating, const char *comment,
                          int64_t now_ms, ch_chat_row *out);

/* ---- locks between processes (write jobs) ------------------------------- */
/* Held until the batch commits or rolls back. On SQLite, where one writer
 * runs every job in turn, they are plain reads or no-ops. */

/* ch_store_chat_get that also locks the chat's row (PostgreSQL SELECT … FOR
 * NO KEY UPDATE): the row read is current until the batch ends, so a job
 * that appends or changes the chat after it decides on what it read. */
ch_err ch_store_chat_lock(ch_store_tx *tx, int64_t company_id, int64_t chat_id, ch_chat_row *out);
/* Locks the client (before finding or creating its open chat): two requests
 * of one visitor on two processes end up in one chat. CH_ERR_NOT_FOUND when
 * the client is not the company's. */
ch_err ch_store_client_lock(ch_store_tx *tx, int64_t company_id, int64_t client_id);
/* Serialises routing decisions of one organization across processes
 * (PostgreSQL pg_advisory_xact_lock). */
ch_err ch_store_routing_lock(ch_store_tx *tx, int64_t org_id);
/* Assigns the chat to operator_id and makes it Open only while it is still New
 * and unassigned: CH_ERR_CONFLICT when it no longer is (another process took
 * it), CH_ERR_NOT_FOUND for a missing chat or an operator of another
 * organization. *out (may be NULL) gets the row. */
ch_err ch_store_chat_assign_if_queued(ch_store_tx *tx, int64_t company_id, int64_t chat_id,
                                      int64_t operator_id, ch_chat_row *out);

/* ---- cluster nodes and operator presence (write jobs, unless said) ------ */
/* Each process is a node with a lease it renews; it publishes how many hub
 * connections each operator holds on it (operator_conns). An operator is
 * online while it has a connection on a node whose lease runs and it has not
 * said "away"; offline otherwise. Expired nodes are reaped by any process:
 * their connections go, and operators left without any become offline at the
 * node's last renewal. Times are the database's clock where it has one
 * (SQLite: this process's), in milliseconds. */

#define CH_NODE_ID_MAX 64

enum { CH_PRESENCE_ROW_OFFLINE = 0, CH_PRESENCE_ROW_ONLINE = 1, CH_PRESENCE_ROW_AWAY = 2 };

typedef struct ch_presence_row {
	int64_t operator_id, company_id, org_id;
	int state;             /* CH_PRESENCE_ROW_* */
	int64_t connections;   /* on live nodes, every process together */
	int64_t idle_since;    /* ms: last assignment or operator message */
	int64_t offline_since; /* ms; 0 while connected */
} ch_presence_row;

typedef void (*ch_presence_each_fn)(void *ctx, const ch_presence_row *row);

/* Registers node_id with a lease of lease_ms. A row left by an earlier
 * process of the same id is dropped first, as a reap would (each reports the
 * operators that became offline; each may be NULL). */
ch_err ch_store_node_register(ch_store_tx *tx, const char *node_id, int64_t lease_ms,
                              ch_presence_each_fn each, void *ctx);
/* Extends the lease; *reaped = 1 (and nothing written) when the node is gone:
 * the caller registers again and publishes its connections again. */
ch_err ch_store_node_renew(ch_store_tx *tx, const char *node_id, int64_t lease_ms, int *reaped);
/* Deletes nodes whose lease ran out and their connections; each(ctx, row)
 * for every operator that became offline (only one caller reports a node). */
ch_err ch_store_nodes_reap(ch_store_tx *tx, ch_presence_each_fn each, void *ctx);
/* Sets the number of hub connections the operator holds on node_id (an
 * absolute count, so a repeated job is harmless; 0 removes it), then its
 * presence: connected clears offline_since; the last connection anywhere
 * sets it to now and forgets "away". *out (may be NULL) gets the row after,
 * *changed (may be NULL) whether the state changed. CH_ERR_NOT_FOUND when
 * node_id is not registered (it was reaped: register and publish again). */
ch_err ch_store_presence_conn(ch_store_tx *tx, const char *node_id, int64_t company_id, int64_t org_id,
                              int64_t operator_id, int64_t connections, ch_presence_row *out, int *changed);
/* "away" (1) or "online" (0) for a connected operator; an operator with no
 * connection stays offline (nothing written). *out and *changed as above. */
ch_err ch_store_presence_set_away(ch_store_tx *tx, int64_t operator_id, int away, ch_presence_row *out,
                                  int *changed);
/* Records activity (an assignment, a message) for "longest idle"; an
 * operator that never connected has no row and nothing happens. */
ch_err ch_store_presence_touch(ch_store_tx *tx, int64_t operator_id);
/* A read or a write: the operator's presence; an operator that never
 * connected answers CH_OK with state offline and zeros. */
ch_err ch_store_presence_get(ch_store_tx *tx, int64_t operator_id, ch_presence_row *out);
/* A read or a write: each online operator of the org (connected on a live
 * node, not away), ascending by operator id. */
ch_err ch_store_presence_online(ch_store_tx *tx, int64_t org_id, ch_presence_each_fn each, void *ctx);
/* Operators offline for at least grace_ms whose chats were not requeued yet
 * for this offline period, at most limit, oldest first: each is marked done
 * and reported once (PostgreSQL: SKIP LOCKED, so processes sweeping at once
 * share the work and never report one twice). */
ch_err ch_store_presence_due(ch_store_tx *tx, int64_t grace_ms, int64_t limit, ch_presence_each_fn each,
                             void *ctx);

/* ---- messages ---------------------------------------------------------- */

typedef struct ch_media_row {
	int64_t id;
	int64_t company_id;
	int64_t chat_id;
	char name[CH_NAME_MAX + 1];
	char format[CH_FORMAT_MAX + 1]; /* MIME type or extension as given */
	int type;                        /* CH_MEDIA_* */
	int64_t size;
} ch_media_row;

typedef struct ch_message_row {
	int64_t id;
	int64_t chat_id;
	int64_t company_id;
	int64_t seq;
	int author;
	int64_t operator_id;               /* 0 = none */
	char operator_name[CH_NAME_MAX + 1];
	char operator_photo[CH_PHOTO_MAX + 1]; /* "" = none */
	char text[CH_TEXT_MAX_BYTES + 1];
	int status;
	int has_media;
	ch_media_row media;
	int has_client_message_id;
	char client_message_id[CH_EXTID_MAX + 1];
	int64_t created_at;
	int64_t redacted_at;                   /* 0 = not redacted */
	int64_t redacted_by;                   /* operator who redacted it, 0 = the company */
	char redacted_by_name[CH_NAME_MAX + 1];
} ch_message_row;

typedef void (*ch_message_each_fn)(void *ctx, const ch_message_row *row);

typedef struct ch_message_new {
	int64_t company_id;
	int64_t chat_id;
	int author;
	int64_t operator_id;            /* author operator, 0 otherwise */
	const char *text;               /* may be NULL = "" */
	const char *client_message_id;  /* NULL = none */
	int64_t media_id;               /* 0 = none; from ch_store_media_put in the same chat */
	int status;                     /* initial status (CH_MSG_SUCCESS) */
} ch_message_new;

/* Appends a message: seq = chat.last_seq + 1, updates the chat's last_seq,
 * last_message_at and preview. When client_message_id already exists in the
 * chat, nothing is written: *out gets the stored message and *duplicate = 1.
 * chat (may be NULL) is the chat's row as read earlier in the same job: its
 * last_seq numbers the message, and the append moves it the way the chat
 * moved (last_seq, last_message_at, preview, count_unread), so the caller
 * need not read it again. out may be NULL. */
ch_err ch_store_message_append(ch_store_tx *tx, const ch_message_new *m, ch_chat_row *chat,
                               ch_message_row *out, int *duplicate);
/* One message by id, scoped to the company. */
ch_err ch_store_message_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_message_row *out);
/* Ascending by seq. after_seq/before_seq 0 = unbounded. With only before_seq
 * (or neither) it returns the newest `limit` rows before it, still ascending. */
ch_err ch_store_message_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t after_seq,
                             int64_t before_seq, int64_t limit, ch_message_each_fn each, void *ctx);
/* Redacts message id of chat chat_id: its text becomes "", its media is
 * deleted (with its bytes), redacted_at = now and redacted_by = operator_id
 * (0 = the company); id, seq, author, status and times stay. The chat's
 * preview is cleared when it was that message (the chat's last). A message
 * already redacted is left as it is. *out (may be NULL) gets the tombstone;
 * NOT_FOUND unless the message is that chat's and company's. */
/* Sets the company's message id to status (CH_MSG_*: a channel's verdict on
 * a reply, e.g. Rejected when the platform refused it); *out (may be NULL)
 * gets the row after. NOT_FOUND: not the company's message; OUT_OF_RANGE: not
 * a status. */
ch_err ch_store_message_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                   ch_message_row *out);
ch_err ch_store_message_redact(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t id,
                               int64_t operator_id, ch_message_row *out);
/* The reader side marks read up to seq: for reader = operator side, client
 * messages with seq <= upto become Read and chat.operator_read_seq = max(old,
 * upto); for reader = client, operator (and system) messages and client_read_seq.
 * each (may be NULL) gets every message whose status changed. */
ch_err ch_store_chat_mark_read(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int reader_author,
                               int64_t upto_seq, ch_message_each_fn each, void *ctx);

/* ---- private notes (ext) -------------------------------------------------- */
/* An operator's note on a chat, for the operator side only. A note is no
 * message: it takes no seq and leaves the chat's last_seq, preview, unread
 * count and activity as they are. */

#define CH_NOTE_TEXT_MAX CH_TEXT_MAX_BYTES /* bytes of UTF-8 */
#define CH_NOTES_PER_CHAT_MAX 1000
#define CH_NOTE_MENTIONS_MAX 50            /* distinct operators one note mentions */

typedef struct ch_note_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;               /* the chat's */
	int64_t chat_id;
	int64_t operator_id;                   /* 0 = written with a company token */
	char operator_name[CH_NAME_MAX + 1];
	char operator_photo[CH_PHOTO_MAX + 1]; /* "" = none */
	char text[CH_NOTE_TEXT_MAX + 1];
	size_t n_mentions;
	int64_t mentions[CH_NOTE_MENTIONS_MAX]; /* operator ids, as given */
	int64_t after_seq;                     /* the chat's last_seq when it was written */
	int64_t created_at;
} ch_note_row;

typedef void (*ch_note_each_fn)(void *ctx, const ch_note_row *row);

/* Adds a note to the company's chat, after_seq = the chat's last_seq (the
 * chat's row is locked, as ch_store_chat_lock does, so the budget holds
 * between processes). operator_id 0: none (a company wrote it). mentions are
 * stored as given (the caller resolves them). CH_ERR_NOT_FOUND: the chat is
 * not the company's, or operator_id is not an operator of its organization;
 * CH_ERR_OUT_OF_RANGE: text empty or longer than CH_NOTE_TEXT_MAX bytes, or
 * more than CH_NOTE_MENTIONS_MAX mentions; CH_ERR_BAD_JSON: text not valid
 * UTF-8; CH_ERR_CONFLICT: the chat has CH_NOTES_PER_CHAT_MAX notes already.
 * out (may be NULL) gets the stored note. */
ch_err ch_store_note_create(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t operator_id,
                            const char *text, const int64_t *mentions, size_t n_mentions, ch_note_row *out);
/* The chat's newest `limit` notes with an id below before_id (0: the newest
 * of all), newest first (none for another company's chat). */
ch_err ch_store_note_list(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t before_id, int64_t limit,
                          ch_note_each_fn each, void *ctx);

/* ---- organization events (ext, migration 019) ----------------------------- */
/* Everything a company may follow (chats, messages, clients, ratings) as one
 * log per organization, numbered 1, 2, 3… without gaps (eventSeq). A job adds
 * its events to the running batch (ch_store_tx_add_org_event); the writer
 * numbers and inserts them just before COMMIT, organization by organization in
 * ascending id order, so they are committed with the change or not at all, and
 * two processes' batches never wait on each other's heads in a cycle. An event
 * row holds ids and a small JSON object, never user-typed text: its objects are
 * read when the event is (so a redaction or an erasure reaches the log too). */

#define CH_EVENT_TYPE_MAX 32   /* bytes of a type name, "message.status_changed" */
#define CH_EVENT_DATA_MAX 1024 /* bytes of an event's JSON data */

typedef struct ch_org_event_new {
	int64_t company_id;
	int64_t organization_id;
	int64_t chat_id;    /* 0 = none */
	int64_t message_id; /* 0 = none */
	int64_t client_id;  /* 0 = none */
	int64_t at;         /* ms */
	const char *type;   /* borrowed; at most CH_EVENT_TYPE_MAX bytes */
	const char *data;   /* borrowed JSON object text, at most CH_EVENT_DATA_MAX bytes; NULL = "{}" */
} ch_org_event_new;

typedef struct ch_org_event_row {
	int64_t organization_id;
	int64_t seq;
	int64_t company_id;
	int64_t chat_id, message_id, client_id;
	int64_t at;
	char type[CH_EVENT_TYPE_MAX + 1];
	char data[CH_EVENT_DATA_MAX + 1];
} ch_org_event_row;

typedef void (*ch_org_event_each_fn)(void *ctx, const ch_org_event_row *row);

/* Adds an event to the running write batch (copied; a job that fails takes
 * its events with it). Only on the writer's transaction; elsewhere nothing. */
void ch_store_tx_add_org_event(ch_store_tx *tx, const ch_org_event_new *ev);
/* The organization's events with seq > after, ascending, at most limit; none
 * for another company's organization. */
ch_err ch_store_event_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,
                           ch_org_event_each_fn each, void *ctx);
/* The organization's latest seq and the highest seq trimmed away (0, 0 when
 * it has none); CH_ERR_NOT_FOUND for another company's organization. */
ch_err ch_store_event_head(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t *last_seq,
                           int64_t *trimmed_upto);
/* A write job: deletes events older than older_than_ms, at most limit of
 * them, oldest of each organization first (an organization's log keeps no
 * hole: trimmed_upto moves to the highest seq deleted). */
ch_err ch_store_event_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t limit, int64_t *deleted);

/* ---- media ------------------------------------------------------------- */

ch_err ch_store_media_put(ch_store_tx *tx, int64_t company_id, int64_t chat_id, const char *name,
                          const char *format, int type, const void *data, size_t len, ch_media_row *out);
/* *data is a new malloc'd buffer of out->size bytes (free()). */
ch_err ch_store_media_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_media_row *out,
                          void **data);

/* ---- channels ---------------------------------------------------------- */

/* Whether the org's channel already delivered external_message_id: CH_OK with
 * the message it was stored as (0 when that message was deleted since — the
 * record outlives it, so a replay stays a duplicate), or CH_ERR_NOT_FOUND. */
ch_err ch_store_channel_find(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                             int64_t *message_id_out);
/* Records that the org's channel delivered external_message_id as message_id.
 * CH_ERR_CONFLICT when it was already recorded; *message_id_out (may be NULL)
 * then gets the message it was stored as. */
ch_err ch_store_channel_dedupe(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                               int64_t message_id, int64_t *message_id_out);

typedef struct ch_delivery_row {
	int64_t id;
	int64_t company_id;
	int64_t organization_id;
	int64_t message_id;
	char event_id[CH_GUID_LEN + 1];
	int attempts;
	int64_t next_attempt_at;
	int status; /* 0 pending, 1 delivered, 2 gave up */
	int64_t chat_id;                /* its message's chat (migration 025) */
	char platform_message_id[65];   /* what the platform called what was sent; "" = none yet */
} ch_delivery_row;

typedef void (*ch_delivery_each_fn)(void *ctx, const ch_delivery_row *row);

ch_err ch_store_delivery_add(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t message_id,
                             const char *event_id, int64_t *id_out);
/* Pending deliveries with next_attempt_at <= now_ms, oldest first, at most limit. */
ch_err ch_store_delivery_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_delivery_each_fn each,
                             void *ctx);
/* A write job for senders: pending deliveries with next_attempt_at <= now_ms
 * whose lease has run out, oldest first, at most limit, each leased until
 * now_ms + lease_ms so that no other caller (process) gets it meanwhile
 * (PostgreSQL: FOR UPDATE SKIP LOCKED). ch_store_delivery_update ends it.
 * A chat's deliveries go out in order: one is claimable only when no pending
 * delivery of its chat has a lower id (whether that one waits for its retry
 * or is leased by another caller), so a claim hands out at most one per chat. */
ch_err ch_store_delivery_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                               ch_delivery_each_fn each, void *ctx);
#define CH_PLATFORM_MESSAGE_ID_MAX 64
/* Records an attempt: status 1 delivered, 2 gave up, 0 retry at next_attempt_at.
 * platform_message_id (at most CH_PLATFORM_MESSAGE_ID_MAX bytes, else
 * OUT_OF_RANGE): what the platform called the message sent; NULL keeps it. */
ch_err ch_store_delivery_update(ch_store_tx *tx, int64_t id, int status, int attempts,
                                int64_t next_attempt_at, const char *last_error,
                                const char *platform_message_id);
/* The message of the org's delivery that the platform called
 * platform_message_id (the latest such delivery), or CH_ERR_NOT_FOUND (also
 * for ""). */
ch_err ch_store_delivery_by_platform_id(ch_store_tx *tx, int64_t org_id, const char *platform_message_id,
                                        int64_t *message_id_out);

/* ---- channel connections (migration 025) ---------------------------------- */

/* A connection is one bot of one organization on a messaging platform; the
 * numbers are the chat sources of those platforms. */
#define CH_CHANNEL_VIBER 1
#define CH_CHANNEL_TELEGRAM 2
#define CH_CHANNELS_PER_ORG_MAX 20
#define CH_CHANNEL_TOKEN_ENC_MAX 512 /* bytes of the encrypted bot token */
#define CH_CHANNEL_ERROR_MAX 1024    /* bytes of last_error kept (cut on a UTF-8 boundary) */

typedef struct ch_channel_conn_row {
	int64_t id, company_id, organization_id;
	int type;                                     /* CH_CHANNEL_VIBER / CH_CHANNEL_TELEGRAM */
	char name[CH_NAME_MAX + 1];
	char public_key[33];                          /* 32 lowercase hex: its webhook URL's key */
	unsigned char token_enc[CH_CHANNEL_TOKEN_ENC_MAX]; /* opaque to the store */
	size_t token_enc_len;
	char token_hint[8];                           /* the token's last characters */
	char secret[65];                              /* Telegram: 64 lowercase hex; Viber: "" */
	int64_t created_at, webhook_at, last_inbound_at, last_error_at; /* ms; 0 = never */
	char last_error[CH_CHANNEL_ERROR_MAX + 1];
} ch_channel_conn_row;

typedef void (*ch_channel_conn_each_fn)(void *ctx, const ch_channel_conn_row *row);

/* A new connection from every field of in but id (created_at 0: now).
 * CH_ERR_NOT_FOUND when in->organization_id is not in->company_id's,
 * CH_ERR_CONFLICT when the organization has CH_CHANNELS_PER_ORG_MAX already
 * (counted under a lock every process takes) or the public key is taken,
 * CH_ERR_OUT_OF_RANGE for a type, key, secret, token or text out of its
 * bounds, CH_ERR_BAD_JSON for a name that is not UTF-8. *out (may be NULL,
 * may be in): the row as stored. */
ch_err ch_store_channel_conn_add(ch_store_tx *tx, const ch_channel_conn_row *in, ch_channel_conn_row *out);
/* The organization's connections, oldest first; CH_ERR_NOT_FOUND when org_id
 * is not the company's. */
ch_err ch_store_channel_conn_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                  ch_channel_conn_each_fn each, void *ctx);
/* CH_ERR_NOT_FOUND when it is not the company's. */
ch_err ch_store_channel_conn_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_channel_conn_row *out);
/* Any company's connection by its public key (the inbound webhook path); the
 * type must match too, else CH_ERR_NOT_FOUND. */
ch_err ch_store_channel_conn_by_key(ch_store_tx *tx, int type, const char *public_key, ch_channel_conn_row *out);
/* CH_ERR_NOT_FOUND when it is not the company's. Its chats keep their
 * connection_id (ids are never used again). */
ch_err ch_store_channel_conn_delete(ch_store_tx *tx, int64_t company_id, int64_t id);
/* Health: webhook_at and last_inbound_at: -1 keeps the stored value;
 * last_error: NULL keeps it, "" clears it (and last_error_at = 0), else sets
 * it (cut on a UTF-8 boundary at CH_CHANNEL_ERROR_MAX bytes) with
 * last_error_at = now_ms. CH_ERR_NOT_FOUND when there is no such connection. */
ch_err ch_store_channel_conn_health(ch_store_tx *tx, int64_t id, int64_t webhook_at, int64_t last_inbound_at,
                                    const char *last_error, int64_t now_ms);
/* The connection the chat came through (0 clears it). CH_ERR_NOT_FOUND when
 * there is no such chat, or connection_id is not a connection of the chat's
 * organization. */
ch_err ch_store_chat_set_connection(ch_store_tx *tx, int64_t chat_id, int64_t connection_id);
/* *connection_id_out: the chat's connection, 0 (and CH_OK) when it has none
 * (it may since have been removed); CH_ERR_NOT_FOUND when there is no such chat. */
ch_err ch_store_chat_connection(ch_store_tx *tx, int64_t chat_id, int64_t *connection_id_out);

/* ---- webhooks (migration 020) -------------------------------------------- */

#define CH_WEBHOOK_URL_MAX 2048      /* bytes */
#define CH_WEBHOOK_EVENTS_MAX 511    /* the event types, comma-separated */
#define CH_WEBHOOK_SECRET_MAX 63
#define CH_WEBHOOKS_PER_COMPANY_MAX 20
#define CH_WEBHOOK_ERROR_MAX 255

enum { CH_WEBHOOK_ACTIVE = 0, CH_WEBHOOK_FAILING = 1 };

typedef struct ch_webhook_row {
	int64_t id, company_id;
	int64_t organization_id;                  /* 0: every organization of the company */
	char url[CH_WEBHOOK_URL_MAX + 1];
	char events[CH_WEBHOOK_EVENTS_MAX + 1];   /* "chat.created,message.created"; "" = all */
	char secret[CH_WEBHOOK_SECRET_MAX + 1];
	int status;                               /* CH_WEBHOOK_ACTIVE / CH_WEBHOOK_FAILING */
	char last_error[CH_WEBHOOK_ERROR_MAX + 1];
	int64_t last_success_at, failing_since, created_at; /* ms; 0 = never */
} ch_webhook_row;

typedef void (*ch_webhook_each_fn)(void *ctx, const ch_webhook_row *row);

/* A new webhook of in->company_id (in's id, status and times are ignored):
 * CH_ERR_NOT_FOUND when in->organization_id (not 0) is not the company's,
 * CH_ERR_CONFLICT when the company has CH_WEBHOOKS_PER_COMPANY_MAX already
 * (counted under a lock every process takes), CH_ERR_OUT_OF_RANGE when a
 * text does not fit. *out: the row as stored. */
ch_err ch_store_webhook_create(ch_store_tx *tx, const ch_webhook_row *in, ch_webhook_row *out);
/* The company's webhooks, by id. */
ch_err ch_store_webhook_list(ch_store_tx *tx, int64_t company_id, ch_webhook_each_fn each, void *ctx);
/* CH_ERR_NOT_FOUND when it is not the company's. */
ch_err ch_store_webhook_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out);
/* Deletes it with its cursors; CH_ERR_NOT_FOUND when it is not the company's. */
ch_err ch_store_webhook_delete(ch_store_tx *tx, int64_t company_id, int64_t id);
/* Makes it active again (failing_since and the error cleared) and its cursors
 * due at once with no attempts counted: deliveries resume from each cursor.
 * *out (may be NULL): the row after. */
ch_err ch_store_webhook_enable(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out);

/* Delivery cursors: for each (webhook, organization) the last eventSeq
 * delivered. A webhook's cursors are made with it, at each organization's
 * latest eventSeq (it gets the events from its creation on); an organization
 * created later gets a cursor at 0 in every webhook of all organizations. */
typedef struct ch_webhook_cursor_row {
	ch_webhook_row hook; /* its webhook, secret included (claim only) */
	int64_t organization_id, last_seq;
	int attempts;        /* failed attempts at the event after last_seq */
	int64_t first_failure_at, next_attempt_at; /* ms; 0 = none */
	int64_t lease_until; /* claim: this claim's lease, the token of its update */
} ch_webhook_cursor_row;

typedef void (*ch_webhook_cursor_each_fn)(void *ctx, const ch_webhook_cursor_row *row);

/* A write job for senders: up to limit cursors of active webhooks that are
 * due (next_attempt_at <= now_ms), not leased (lease_until <= now_ms) and
 * behind their organization's latest eventSeq, oldest due first, each leased
 * until now_ms + lease_ms so that no other caller (process) gets it meanwhile
 * (PostgreSQL: FOR UPDATE SKIP LOCKED). ch_store_webhook_cursor_update ends it. */
ch_err ch_store_webhook_cursor_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                                     ch_webhook_cursor_each_fn each, void *ctx);

/* What an attempt (or a skip over events the webhook does not take) did. */
typedef struct ch_webhook_attempt {
	int64_t webhook_id, organization_id;
	int64_t lease_until;    /* the claim's: applied only while the cursor holds this lease */
	int64_t last_seq;       /* the cursor after (moved by a delivery or a skip) */
	int attempts;           /* failed attempts at the next event (0 after a delivery) */
	int64_t first_failure_at, next_attempt_at;
	int delivered;          /* a request answered 2xx: last_success_at = now_ms, last_error cleared */
	const char *error;      /* a failed request: the webhook's last_error (NULL: unchanged) */
	int failing;            /* mark the webhook failing (failing_since = now_ms) */
	int64_t now_ms;
} ch_webhook_attempt;

/* Records it and ends the lease; CH_ERR_CONFLICT when the cursor no longer
 * holds that lease (it expired and another claim took it: nothing changed). */
ch_err ch_store_webhook_cursor_update(ch_store_tx *tx, const ch_webhook_attempt *a);
/* The cursors of the company's webhook id, by organization (hook not filled);
 * CH_ERR_NOT_FOUND when the webhook is not the company's. */
ch_err ch_store_webhook_cursors(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_cursor_each_fn each,
                                void *ctx);
/* Webhooks of every company marked failing. */
ch_err ch_store_webhook_failing_count(ch_store_tx *tx, int64_t *n);

/* ---- erasure and retention (migration 023) -------------------------------- */

/* What an erasure changed; each call adds to it. */
typedef struct ch_erase_counts {
	int64_t chats;    /* chats in which a message or a media row was erased */
	int64_t messages; /* messages that became tombstones */
	int64_t media;    /* media rows deleted (with their bytes) */
	int64_t csat_comments; /* CSAT comments cleared (migration 021; the rating stays) */
} ch_erase_counts;

/* Erases chat chat_id of the company: every message not yet redacted becomes
 * a tombstone like ch_store_message_redact's (text "", media gone,
 * redacted_at = now_ms, redacted_by = the company), every media row of the
 * chat is deleted, the chat's preview, theme (the client's name) and CSAT
 * comment are cleared, and the chat records when it was erased (the
 * retention sweep's mark). seq, author, status, times and the CSAT rating
 * stay. Adds to *out what changed
 * (nothing the second time). NOT_FOUND: not the company's chat. */
ch_err ch_store_chat_erase(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                           ch_erase_counts *out);
/* Clears client_id's profile: name, phone, e-mail, page URL, referrer,
 * language, user agent, attributes ({}), verified keys ([]), and its external
 * key (NULL: the channel user or userJWT subject is a new client next time);
 * erased_at = now_ms unless it was erased before (it keeps the first time);
 * its visitor tokens are revoked (the principals generation moves).
 * *erased_at_out gets erased_at. Its chats are the caller's
 * (ch_store_chat_erase). NOT_FOUND: not the company's client. */
ch_err ch_store_client_erase(ch_store_tx *tx, int64_t company_id, int64_t client_id, int64_t now_ms,
                             int64_t *erased_at_out);
/* After erasures: SQLite merges the search indexes' segments into one
 * (FTS5 'optimize'), so that no old segment still holds an erased word; with
 * secure_delete the freed pages are zeroed. PostgreSQL: nothing (dead tuples
 * stay until VACUUM, docs/privacy.md). A write job; its cost grows with the
 * index (the whole index is rewritten). */
ch_err ch_store_search_compact(ch_store_tx *tx);

#define CH_RETENTION_DAYS_MAX 3650
/* Sets the organization's retention_days (0 = keep forever, at most
 * CH_RETENTION_DAYS_MAX, else OUT_OF_RANGE). NOT_FOUND: not the company's. */
ch_err ch_store_org_set_retention(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t days);
/* The retention sweep's work, at most limit chats by id: Closed chats of
 * organizations with a retention_days whose last activity (their newest
 * message, else their creation) is older than now_ms minus that many days,
 * and that had activity since they were last erased (ch_store_chat_erase
 * records when). Erasing one takes it off this list until it has activity
 * again. */
ch_err ch_store_chat_retention_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                                   void *ctx);

#endif
