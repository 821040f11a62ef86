/* http.h — HTTP/1.1 exchanges on lws: request assembly, dispatch to the API
 * worker pools, static files, response writing.
 * Threading: network thread only (jobs run on the pools and come back through
 * net/loop.h).
 */
#ifndef CH_NET_HTTP_H
#define CH_NET_HTTP_H

#include <libwebsockets.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "core/workq.h"
#include "net/ws.h"

typedef struct ch_http_opts {
	ch_api *api;
	ch_workq *api_pool;
	ch_workq *hash_pool;
} ch_http_opts;

/* The WebSocket state inside a connection's per-session data. */
ch_ws_state *ch_http_ws_state(struct lws *wsi);
/* Size of the per-connection state lws allocates for the HTTP protocol. */
size_t ch_http_pss_size(void);
void ch_http_init(const ch_http_opts *o);
/* The lws callback of protocols[0]. */
int ch_http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len);
/* Adds extra header lines ("Name: value\r\n"…, as ch_resp.headers holds them)
 * to a response being built. 0, or -1 when they do not fit. */
int ch_http_add_headers(struct lws *wsi, const ch_buf *headers, unsigned char **pp, unsigned char *end);
/* Hands lws the POLLOUT it waits for after a keep-alive answer, for the
 * connections whose answer was written whole this loop turn (http.c, "the
 * keep-alive handover"); the loop calls it before it sleeps. */
void ch_http_settle(void);
/* Requests received whose response is not fully written yet. */
int ch_http_inflight(void);
/* From now on new TCP connections are refused (graceful shutdown). */
void ch_http_set_draining(void);

#endif
