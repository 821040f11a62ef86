/* ws.h — the WebSocket side of the lws callback: /chathub upgrades
 * (authenticated before the 101), bytes to the hub, hub records to the socket.
 * Threading: network thread only. */
#ifndef CH_NET_WS_H
#define CH_NET_WS_H

#include <libwebsockets.h>

#include "auth/token.h"
#include "hub/hub.h"

typedef struct ch_ws_state {
	ch_hub_conn *conn;
	ch_principal p;   /* from the token, set before the upgrade */
	int64_t exp_s;
	char *origin;
	char *base;       /* the address it came to, for absolute links (core/baseurl.h) */
	char sid[65];     /* id= of a negotiated connection, or "" */
	int authed;
	int close_code;   /* close after the queue drains */
	int lingering;    /* close frame sent, FIN sent: input is read and dropped until the client closes */
	int peer_closed;  /* the client sent its close frame: lws answers it, we only write from WRITEABLE */
	char close_why[64];
	struct lws *wsi;  /* set at ESTABLISHED */
	struct ch_ws_state *flush_prev, *flush_next; /* on the list ch_ws_flush writes */
	int flush_listed;
} ch_ws_state;

/* key verifies tokens; a principal may hold connections_per_principal hub
 * connections at once (0 = no limit). */
void ch_ws_init(const ch_token_key *key, size_t connections_per_principal);
/* LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: 401/404/429 before the 101. Returns the
 * callback's return value. */
int ch_ws_confirm_upgrade(struct lws *wsi, ch_ws_state *s, const char *protocol);
/* Ends connections whose client broke the framing rules (after each loop turn). */
void ch_ws_sweep(void);
/* Writes what the hub queued this loop turn, one frame per connection, to
 * every connection whose socket lws holds nothing back for (at the end of
 * each loop turn, before the loop sleeps). */
void ch_ws_flush(void);
/* Every WebSocket callback reason. */
int ch_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, ch_ws_state *s, void *in, size_t len);

#endif
