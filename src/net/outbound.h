/* outbound.h — sending operator replies to messaging channels: every second
 * the due delivery rows are loaded on the outbound pool's worker (with DNS
 * resolved there, lws 4.1 has no asynchronous resolver here; a pool of its own
 * so a slow resolver never holds up REST requests), each target refused unless
 * its address is public (core/netaddr.h), then POSTed with the lws HTTP client
 * from the network thread to the address resolved; each attempt is recorded
 * by svc.
 * Threading: network thread, except the load job. */
#ifndef CH_NET_OUTBOUND_H
#define CH_NET_OUTBOUND_H

#include <libwebsockets.h>

#include "core/workq.h"
#include "store/store.h"

#define CH_OUTBOUND_PROTOCOL "chathub-outbound"

/* ctx, store and workers are borrowed; allow_private: loopback, private,
 * link-local and CGNAT targets too (outbound_allow_private). */
void ch_outbound_init(struct lws_context *ctx, ch_store *store, ch_workq *workers, int allow_private);
/* Once a second from the server's timer. */
void ch_outbound_tick(void);
/* The lws protocol callback of CH_OUTBOUND_PROTOCOL. */
int ch_outbound_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

#endif
