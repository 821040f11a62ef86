/* internal.h — private to src/hub/: the connection, shared records, and the
 * pieces hub.c and methods.c share. Network thread only. */
#ifndef CH_HUB_INTERNAL_H
#define CH_HUB_INTERNAL_H

#include <jansson.h>

#include "core/baseurl.h"
#include "core/buf.h"
#include "core/ratelimit.h"
#include "hub/hub.h"
#include "hub/protocol.h"

/* ST_CLOSING: closed by the server while calls were in progress; their
 * completions go out (in order) before the close, and meanwhile it takes no
 * input and gets no events. */
enum { ST_AUTHING, ST_HANDSHAKE, ST_READY, ST_CLOSING, ST_CLOSED };
enum { KEY_CONN = 6 };

/* One serialised record shared by every connection it is queued on. */
typedef struct hub_rec {
	int refs;
	size_t len;
	char *data; /* headroom bytes before it are ours */
} hub_rec;

/* A completion waiting for the ones before it (in-flight ring slot). */
typedef struct hub_pending {
	hub_rec *rec; /* NULL: nothing to send (no invocationId) */
	int done;
} hub_pending;

struct ch_hub_conn {
	uint64_t id;
	size_t all_idx;
	ch_principal p;
	int64_t exp_s;
	char *origin;
	char base[CH_BASE_URL_MAX]; /* absolute links for this connection ("" = leave them relative) */
	void *t;
	const ch_hub_transport *ops;
	int state;
	int present;              /* counted in presence (after a good handshake) */
	int joining;              /* operator: handshake answered once its presence is stored */
	ch_hub_proto proto;       /* chosen at the handshake */
	int text_only;            /* the transport carries text only (Server-Sent Events) */
	char fail[96];            /* auth failure, answered at the handshake */
	ch_buf inbox;             /* bytes received while the auth check runs */
	ch_hub_reader reader;
	hub_rec **q;              /* ring of queued records */
	size_t qhead, qlen, qcap, qbytes;
	int64_t opened_ms;        /* the handshake deadline counts from here */
	int64_t last_recv_ms, last_sent_ms;
	int64_t stall_ms;         /* queue non-empty since, or last completed write */
	struct { int64_t chat_id, ms; } typing[8];
	/* Invocation budget: a bucket, and refusals since the last accepted call. */
	ch_bucket budget;
	unsigned refused;
	/* Invocations in flight: numbered at dispatch, their completions queued
	 * in that order from a ring (grown up to max_in_flight slots). */
	hub_pending *pend;
	uint32_t npend;
	uint64_t seq_next, seq_out, cur_seq;
	/* At the in-flight cap: records are not taken, bytes wait here, and the
	 * transport does not read. */
	int holding, rx_stopped;
	ch_buf held;
	/* ST_CLOSING: the close to send once the calls in progress are answered */
	char close_error[96];
	int close_has_error, close_allow;
};

typedef struct hub_state {
	ch_hub_opts o;
	ch_hub_conn **all;
	size_t n, cap;
	uint64_t next_id;
	ch_ratelimit *principal_budget;
} hub_state;

extern hub_state H;

hub_rec *hub_rec_new(const ch_buf *rec);
/* A record encoded in place, no copy: hub_rec_begin empties b and reserves
 * the record's header and headroom in it; append the bytes (ch_hub_write_*);
 * hub_rec_adopt takes b's memory as the record (NULL and b freed when nothing
 * was appended). Any thread: the record may be queued on another. */
void hub_rec_begin(ch_buf *b);
hub_rec *hub_rec_adopt(ch_buf *b);
void hub_rec_unref(hub_rec *r);
/* Queues r on c (takes a reference); closes c when over its bound. */
void hub_enqueue(ch_hub_conn *c, hub_rec *r);
/* Serialises into a record and queues it on c. */
void hub_send_buf(ch_hub_conn *c, const ch_buf *b);
/* Protocol close: {"type":7,"error"} then the socket. */
void hub_close(ch_hub_conn *c, const char *error, int allow_reconnect);
ch_hub_conn *hub_conn_by_id(uint64_t id);

/* Invocations in flight (hub.c). hub_call_begin numbers the next
 * invocation (c->cur_seq); hub_call_end hands over its completion b (may be
 * empty: nothing to send), queued once every earlier completion is. */
void hub_call_begin(ch_hub_conn *c);
void hub_call_end(ch_hub_conn *c, uint64_t seq, const ch_buf *b);
/* The same with the completion already a record (takes it; NULL = nothing to send). */
void hub_call_end_rec(ch_hub_conn *c, uint64_t seq, hub_rec *rec);

/* An invocation or stream invocation (methods.c): budget, then dispatch. */
void hub_invoke(ch_hub_conn *c, const ch_hub_msg *m);

#endif
