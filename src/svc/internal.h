/* internal.h — private to src/svc/: the context, the write-job runner and the
 * routing helpers shared by the operation files. */
#ifndef CH_SVC_INTERNAL_H
#define CH_SVC_INTERNAL_H

#include "bus/bus.h"
#include "core/baseurl.h"
#include "svc/svc.h"

typedef struct svc_ctx {
	ch_store *store;
	const ch_token_key *key;
	int64_t media_max_bytes;
	int64_t media_url_ttl;
	char public_url[CH_BASE_URL_MAX]; /* "" = absolutized per request (ch_svc_media_absolute) */
	int outbox;                       /* events also go into the store's outbox (cluster bus) */
} svc_ctx;

const svc_ctx *ch_svc_ctx(void);

/* One write operation: fn runs inside the store write job and fills res and
 * events; the runner publishes events after commit and calls done. */
typedef struct svc_job svc_job;
typedef ch_err (*svc_fn)(ch_store_tx *tx, svc_job *j);

struct svc_job {
	svc_fn fn;
	ch_principal p;
	int64_t chat_id, operator_id, org_id, company_id, seq;
	int64_t message_id;
	int status;
	const char *text, *client_message_id;
	const void *extra; /* operation-specific parameters (channel.c) */
	ch_svc_media media;
	int has_media;
	uint64_t origin_conn;
	ch_event *events;
	int unencodable; /* an event or the result could not be built: the job fails */
	ch_svc_result res;
	ch_svc_done done;
	void *arg;
};

/* Allocates a job for fn; the caller fills the parameters, then svc_submit. */
svc_job *svc_job_new(svc_fn fn, const ch_principal *p, ch_svc_done done, void *arg);
void svc_submit(svc_job *j);
/* Submits fn with extra (caller-owned, alive until the job is done) and waits;
 * out (may be NULL: the result is dropped) gets the result. Returns its error. */
ch_err svc_run_wait(svc_fn fn, const ch_principal *p, void *extra, ch_svc_result *out);
/* Sets the error message of the job's result and returns err. */
ch_err svc_fail(svc_job *j, ch_err err, const char *msg);

/* Event helpers: an invocation of target(args) to the chat's audience. args
 * NULL (a json_pack that failed) emits nothing, returns NULL and fails the job:
 * an event is never published with empty arguments. Takes ownership of args. */
ch_event *svc_emit(svc_job *j, unsigned audience, const ch_chat_row *c, const char *target, json_t *args);
/* Sets the job's result (takes ownership); NULL fails the job the same way,
 * never answering a success with a null body. */
void svc_result(svc_job *j, json_t *result);
#define SVC_BOTH_SIDES (CH_AUD_ORG_OPERATORS | CH_AUD_COMPANY | CH_AUD_CLIENT)
#define SVC_OPERATOR_SIDE (CH_AUD_ORG_OPERATORS | CH_AUD_COMPANY)

/* The send of ch_svc_send inside a job: j->p, chat_id, text,
 * client_message_id, media, origin_conn as ch_svc_send sets them. */
/* A time (ms) as an ISO 8601 string, or null for 0 (json.c). */
json_t *svc_json_time(int64_t ms);
ch_err svc_send_fn(ch_store_tx *tx, svc_job *j);
/* svc/bots.c: the platform request of bot delivery o (delivery_id and
 * attempts set) for message m of chat c (client cl) through connection
 * conn_id: CH_OK; CH_ERR_CONFLICT with o->why when it can never go out (the
 * connection removed, its token unreadable, media without public_url for
 * Viber): the delivery is then rejected (ch_svc_outbound_reject). */
ch_err svc_bot_prepare(ch_store_tx *tx, const ch_message_row *m, const ch_chat_row *c, const ch_client_row *cl,
                       int64_t conn_id, ch_svc_outbound *o);

/* Routing inside a write job. */
ch_err svc_route_chat(ch_store_tx *tx, svc_job *j, ch_chat_row *chat);
ch_err svc_drain_org(ch_store_tx *tx, svc_job *j, int64_t company_id, int64_t org_id);
/* Under the org's routing lock: the operator's open chats back to the queue, then the drain. */
ch_err svc_requeue_operator(ch_store_tx *tx, svc_job *j, int64_t company_id, int64_t org_id, int64_t operator_id);
/* hours.c, under the org's routing lock: *closed = 1 outside the
 * organization's business hours, and then its drain at the next opening is
 * asked for (store and this process's sweep hint). */
ch_err svc_hours_closed(ch_store_tx *tx, int64_t company_id, int64_t org_id, int *closed);
/* hours.c: after a client's message, a chat still queued outside business
 * hours gets the away auto-reply (when on), once per chat; c follows. */
ch_err svc_hours_away(ch_store_tx *tx, svc_job *j, ch_chat_row *c);
/* presence.c: the node id (NULL/"" = random) and lease, from ch_svc_init. */
void svc_presence_init(const char *node_id, int64_t lease_ms);
/* Emits ChatAssigned (+ ChatStatusChanged when the status changed). */
void svc_emit_assignment(ch_store_tx *tx, svc_job *j, const ch_chat_row *c, int old_status);
/* labels.c: the chat object with its labels (operator side), or NULL with
 * the job failed (unencodable) when it cannot be built. */
json_t *svc_json_chat_staff(ch_store_tx *tx, svc_job *j, const ch_chat_row *c);
/* events.c: records an organization event in the job's transaction (numbered
 * when the batch commits). type: a dotted lower-case name ("chat.created");
 * chat-scoped: organization, company, chat and client from c; message_id 0 =
 * none. data (takes ownership; NULL = {}): a small JSON object that never
 * holds user-typed text, as the objects are read when the event is. */
void svc_org_event(ch_store_tx *tx, const char *type, const ch_chat_row *c, int64_t message_id,
                   json_t *data);
void svc_org_event_client(ch_store_tx *tx, const char *type, int64_t company_id, int64_t org_id,
                          int64_t client_id, json_t *data);
/* The common shapes: a status change (chat.closed when it closed, else
 * chat.status_changed: {status, previousStatus, operatorId}); a chat event with
 * {status, operatorId}; a message event with {seq, author}. */
void svc_org_chat_status(ch_store_tx *tx, const ch_chat_row *c, int old_status);
void svc_org_chat(ch_store_tx *tx, const char *type, const ch_chat_row *c);
void svc_org_message(ch_store_tx *tx, const char *type, const ch_chat_row *c,
                     const ch_message_row *m);
/* The chat object as the job's principal sees it: with labels for the
 * company and operators, without for anyone else. */
json_t *svc_json_chat_for(ch_store_tx *tx, svc_job *j, const ch_chat_row *c);

#endif
