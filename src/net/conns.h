/* conns.h — live connections by (slot, generation).
 *
 * Asynchronous results must never hold a struct lws * (the connection may be
 * gone when they arrive). They hold a ch_conn_ref instead; looking it up
 * returns the connection only if that slot still holds the same generation.
 * Threading: network thread only.
 */
#ifndef CH_NET_CONNS_H
#define CH_NET_CONNS_H

#include <stdint.h>

typedef struct ch_conn_ref {
	uint32_t slot; /* 0 = none */
	uint32_t gen;
} ch_conn_ref;

/* Registers ptr (a struct lws *) and returns its reference. */
ch_conn_ref ch_conns_add(void *ptr);
/* The registered pointer, or NULL when the connection is gone. */
void *ch_conns_get(ch_conn_ref ref);
/* Forgets the connection; later lookups of ref return NULL. */
void ch_conns_remove(ch_conn_ref ref);
/* Frees the table. */
void ch_conns_fini(void);

#endif
