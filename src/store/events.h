/* events.h — private to src/store/: the organization events a write batch has
 * added (ch_store_tx_add_org_event), kept on the writer's transaction until the
 * backend numbers and inserts them just before COMMIT (store.h, "organization
 * events"). Threading: the writer thread's, like the transaction holding it. */
#ifndef CH_STORE_EVENTS_H
#define CH_STORE_EVENTS_H

#include <stddef.h>

#include "store/store.h"

#define CH_OEV_SMALL 96 /* data this short is kept in the event itself */

/* The writer adds one per message, so an event costs no allocation of its own
 * unless its data is longer than CH_OEV_SMALL (the list's array is reused from
 * batch to batch). */
typedef struct ch_oev {
	int64_t company_id, organization_id, chat_id, message_id, client_id, at;
	size_t ord;                       /* the order it was added in */
	char type[CH_EVENT_TYPE_MAX + 1];
	char small[CH_OEV_SMALL];         /* the JSON object text when it fits */
	char *heap;                       /* else an owned copy; NULL when small holds it */
} ch_oev;

/* The event's JSON object text. */
static inline const char *ch_oev_data(const ch_oev *e) { return e->heap ? e->heap : e->small; }

typedef struct ch_oev_list {
	ch_oev *v;
	size_t n, cap;
} ch_oev_list;

/* Copies ev (an invalid type or data that is too long is logged and stored as
 * "{}" data: the change it records still commits). */
void ch_oev_add(ch_oev_list *l, const ch_org_event_new *ev);
/* Drops the events added after the first n (a failed job's). */
void ch_oev_truncate(ch_oev_list *l, size_t n);
void ch_oev_free(ch_oev_list *l);

/* Sorts the events by organization (ascending id, added order within one) and
 * calls fn once per organization with its events; stops at fn's first error.
 * The list is emptied afterwards, whatever the outcome. */
typedef ch_err (*ch_oev_org_fn)(void *ctx, int64_t org_id, const ch_oev *events, size_t n);
ch_err ch_oev_flush(ch_oev_list *l, ch_oev_org_fn fn, void *ctx);

#endif
