/* sessions.h — negotiated hub connections and the HTTP transports that use
 * them: Server-Sent Events and Long Polling (each with HTTP POST for what
 * the client sends), as TransportProtocols.md describes, and the WebSocket
 * upgrade that names a negotiated connection with id=.
 *
 * POST /chathub/negotiate (api/widget.c) answers a connection token; when
 * that answer comes back to the network thread, net/http.c registers it
 * here and a hub connection opens at once (so it counts against the
 * principal's connections, and its handshake deadline runs from now). Then:
 *   GET /chathub?id=      receives: a poll (Long Polling), or with
 *                         Accept: text/event-stream a stream (SSE)
 *   POST /chathub?id=     sends: the body goes to the hub like WebSocket bytes
 *   DELETE /chathub?id=   closes
 * Every request carries a token of the principal that negotiated.
 * Threading: network thread only.
 */
#ifndef CH_NET_SESSIONS_H
#define CH_NET_SESSIONS_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "auth/principal.h"
#include "auth/token.h"
#include "core/err.h"
#include "hub/hub.h"
#include "hub/protocol.h"
#include "net/conns.h"

/* The largest POST body: what the hub may hold of a connection at its
 * in-flight cap (four messages); past it 413. */
#define CH_SESSIONS_POST_MAX (4 * CH_HUB_MAX_MESSAGE)

typedef struct ch_sessions_opts {
	const ch_token_key *key;  /* borrowed: verifies every request's token */
	size_t per_principal;     /* hub connections per principal (0 = no limit) */
	int64_t poll_ms;          /* a poll with nothing to answer is held this long */
	int64_t idle_ms;          /* no poll or stream held for this long: closed */
} ch_sessions_opts;

void ch_sessions_init(const ch_sessions_opts *o);
/* Frees every entry; the hub's connections must be gone already. */
void ch_sessions_fini(void);

/* A negotiation was answered: opens the hub connection known as id (base:
 * the address the negotiation came to, for absolute links). Returns CH_OK, or
 * CH_ERR_RATE_LIMITED when the principal holds as many hub connections as it may. */
ch_err ch_sessions_negotiated(const char *id, const ch_principal *p, int64_t exp_s, const char *origin,
                              const char *base);

/* What an HTTP request of the transports is, inside net/http.c's
 * per-connection data. */
typedef struct ch_session_req {
	int kind;     /* 0: none; else a transport request (held: a poll, a stream, a send) */
	uint64_t key; /* its connection */
} ch_session_req;

/* Whether req (headers in) is a request of the transports: GET, POST or
 * DELETE on /chathub that is not a WebSocket upgrade. Marks r. */
int ch_sessions_claim(const ch_req *req, ch_session_req *r);
/* The request is complete. Returns 1 with resp filled (write it now), or 0:
 * the request is held (a poll, a stream, a send waiting for the hub) and
 * ch_sessions_writeable answers it. */
int ch_sessions_request(struct lws *wsi, ch_conn_ref ref, ch_session_req *r, const ch_req *req, ch_resp *resp);
/* WRITEABLE of a held request: 1 with resp filled, 0 nothing to do (a
 * stream wrote what there was), -1 close the HTTP connection. */
int ch_sessions_writeable(struct lws *wsi, ch_conn_ref ref, ch_session_req *r, const ch_req *req, ch_resp *resp);
/* The HTTP connection of a held request closed. */
void ch_sessions_closed(ch_session_req *r, ch_conn_ref ref);

/* A WebSocket upgrade with id=: CH_OK when p may attach to that negotiated
 * connection, CH_ERR_NOT_FOUND (no such connection, or another principal's),
 * CH_ERR_CONFLICT (it already has a transport). */
ch_err ch_sessions_ws_check(const char *id, const ch_principal *p);
/* 1 when this process negotiated id (whoever for, whatever its state). */
int ch_sessions_known(const char *id);
/* Hands the negotiated connection over to the WebSocket (t, ops); NULL when
 * it is gone meanwhile. */
ch_hub_conn *ch_sessions_ws_take(const char *id, const ch_principal *p, void *t, const ch_hub_transport *ops);

/* Once a second, after ch_hub_tick: polls held too long, connections nobody
 * polls, closes to finish. */
void ch_sessions_tick(void);
/* Negotiated connections known now (closed ones kept a moment included). */
size_t ch_sessions_count(void);

#endif
