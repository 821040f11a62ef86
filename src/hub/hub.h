/* hub.h — the /chathub hub: connections, handshake, invocations, fan-out.
 *
 * Transport-agnostic: net/ws.c (WebSockets) and net/sessions.c (Server-Sent
 * Events and Long Polling, with HTTP POST for the client's bytes) feed it
 * bytes and write what it queues, in the JSON or the MessagePack protocol
 * the connection chose at its handshake (a broadcast is serialised once per
 * protocol). Each connection has a queue of shared, ref-counted records (one
 * serialisation per broadcast, however many receivers); a connection whose
 * queue has not moved for stall_ms, or holds more than queue_max_bytes, is
 * closed, never allowed to grow memory or slow the others.
 * What a client may ask is bounded too: an invocation budget per connection
 * and per principal, at most max_in_flight invocations per connection (then
 * its input waits and the transport stops reading), a handshake deadline.
 * Blocking work (auth check, Sync, history) runs on the readers pool and the
 * store writer; results come back through the post function given at init.
 * Threading: network thread only, except where noted.
 */
#ifndef CH_HUB_HUB_H
#define CH_HUB_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "auth/principal.h"
#include "bus/bus.h"
#include "core/workq.h"

typedef struct ch_hub_conn ch_hub_conn;

typedef struct ch_hub_transport {
	void (*want_write)(void *t);                      /* ask for a writable callback */
	void (*close)(void *t, int ws_code, const char *why); /* close the connection now */
	/* Stop (1) or resume (0) reading the socket. Bytes the transport had
	 * already read may still be delivered after a stop. */
	void (*pause)(void *t, int paused);
} ch_hub_transport;

typedef struct ch_hub_opts {
	ch_workq *readers;                         /* Sync, history, Typing, auth check (try_submit) */
	void (*post)(void (*fn)(void *), void *);  /* run fn on the network thread */
	size_t headroom;                           /* bytes reserved before each record (LWS_PRE) */
	int64_t ping_ms, idle_ms;                  /* hub_keep_alive_interval, hub_client_timeout */
	int64_t offline_grace_ms;
	int64_t auto_close_every_ms;               /* the auto-close sweep's period; 0 = never */
	int64_t retention_every_ms;                /* the retention sweep's period; 0 = never */
	int64_t hours_every_ms;                    /* the business-hours drain sweep's period; 0 = only when due */
	int64_t events_retention_ms;               /* organization events kept; 0 = never trimmed */
	int64_t handshake_ms;                      /* open → handshake done, else closed */
	size_t queue_max_bytes;                    /* queued bytes per connection */
	int64_t stall_ms;                          /* queued output, no completed write: closed */
	double rate, burst;                        /* invocations per second per connection */
	double principal_rate, principal_burst;    /* the same across a principal's connections */
	int max_in_flight;                         /* per connection */
} ch_hub_opts;

void ch_hub_init(const ch_hub_opts *o);
/* Shutdown begins: closing connections no longer broadcast or start timers. */
void ch_hub_shutdown(void);
/* Frees the hub's state; call after every connection is gone. */
void ch_hub_fini(void);

/* A new connection authenticated by token (expiring at exp_s): a WebSocket
 * at its open, or a negotiated connection at its negotiation. origin (may be
 * NULL) is checked against the organization's allow-list. base (may be NULL
 * or "") is the address the connection came to (ch_base_url of its Host):
 * media uris in its events and results are made absolute with it. */
ch_hub_conn *ch_hub_conn_open(const ch_principal *p, int64_t exp_s, const char *origin, const char *base,
                              void *transport, const ch_hub_transport *ops);
/* Bytes from the client (WebSocket frames or POST bodies, in order). Returns 0, or -1 after
 * calling ops->close (protocol error, oversize). */
int ch_hub_conn_receive(ch_hub_conn *c, const char *data, size_t len);
/* The i-th record waiting to be written (0 = the next): a pointer to its
 * bytes (headroom bytes before it are writable), or NULL past the queue. */
const char *ch_hub_conn_peek(ch_hub_conn *c, size_t i, size_t *len);
/* The first n queued records were written; asks for the next WRITEABLE if
 * more is queued. */
void ch_hub_conn_pop(ch_hub_conn *c, size_t n);
/* The transport is gone: forget the connection (pending results are dropped).
 * Never from inside a transport callback the hub made. */
void ch_hub_conn_gone(ch_hub_conn *c);
/* Another transport takes the connection over (a WebSocket attaching to a
 * negotiated connection): later callbacks go to ops with t. */
void ch_hub_conn_rebind(ch_hub_conn *c, void *transport, const ch_hub_transport *ops);
/* The client is there though it sends nothing (a Long Polling client does not
 * ping; its polls show it is alive): the idle rule starts again. */
void ch_hub_conn_touch(ch_hub_conn *c);
/* The transport carries text only (Server-Sent Events): a MessagePack
 * handshake is refused. */
void ch_hub_conn_set_text_only(ch_hub_conn *c);
/* 1 when the connection speaks MessagePack (binary frames), else 0. */
int ch_hub_conn_binary(const ch_hub_conn *c);
/* Records queued for the connection. */
size_t ch_hub_conn_queued(const ch_hub_conn *c);

/* Once a second: pings, idle and token-expiry closes, offline grace. */
void ch_hub_tick(int64_t now_ms);
/* Encodes the records of list's events ahead (ev->wire), so that the network
 * thread only queues bytes, and frees their JSON arguments on the calling
 * thread, the one that made them. Events whose media links are made absolute
 * per connection keep their arguments (encoded at delivery). Any thread: the
 * publishing one, before the hand-over. */
void ch_hub_prepare(ch_event *list);
/* Delivers committed events (takes ownership). Network thread. */
void ch_hub_deliver(ch_event *list);
/* Hub connections open now. */
size_t ch_hub_count(void);
/* Connections of principal p open now, in any state (authenticating,
 * handshaking, ready, closing). */
size_t ch_hub_principal_connections(const ch_principal *p);
/* Checks again, against the database, the principal of every company and
 * operator connection, and closes those revoked since ("token revoked"): for
 * revocations this process was not told of (the admin CLI's, seen by the poll
 * of the database's revocation counter). Its own close them at commit. */
void ch_hub_recheck_principals(void);
/* Whether p's token is known revoked (its epoch is older than a revocation
 * this process committed or saw): the upgrade is then refused with a 401.
 * Unknown is not valid: the handshake's check against the store decides. */
int ch_hub_token_revoked(const ch_principal *p);

#endif
