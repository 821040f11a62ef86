/* bus.h — fan-out of committed changes to whoever delivers them.
 *
 * Services publish the events of a write after its commit, from the store
 * writer's done callback, so events leave in commit order. The sink (set once
 * at start-up by the server) takes them to the hub on the network thread. The
 * default sink is in-process; a Redis sink will carry the same events between
 * processes.
 * Threading: ch_bus_publish from any thread; the sink is called on the
 * publishing thread and must hand the list over without blocking.
 */
#ifndef CH_BUS_BUS_H
#define CH_BUS_BUS_H

#include <jansson.h>
#include <stdint.h>

enum { /* audience bits */
	CH_AUD_ORG_OPERATORS = 1, /* every operator connection of org_id */
	CH_AUD_COMPANY = 2,       /* every company connection of company_id */
	CH_AUD_CLIENT = 4,        /* every visitor connection of client_id */
	CH_AUD_OPERATOR = 8,      /* every connection of operator_id */
	CH_AUD_ORG_VISITORS = 16, /* every visitor connection of org_id */
};

typedef enum ch_event_kind {
	CH_EV_INVOKE = 0,        /* send target(args) to the audience */
	CH_EV_CLOSE_OPERATOR,    /* close operator_id's connections; target = reason */
	CH_EV_CLOSE_KEY,         /* close the company's connections made with API key key_id; target = reason */
	CH_EV_CLOSE_CLIENT,      /* close client_id's visitor connections (it was erased); target = reason */
} ch_event_kind;

typedef struct ch_event {
	ch_event_kind kind;
	unsigned audience;
	int64_t company_id, org_id, client_id, operator_id;
	int64_t epoch;           /* CH_EV_CLOSE_OPERATOR: the token epoch from which tokens are valid again */
	int64_t key_id;          /* CH_EV_CLOSE_KEY */
	uint64_t exclude_conn;   /* hub connection that must not get it (the sender), 0 = none */
	int64_t chat_id;         /* the chat it belongs to, 0 = none (presence, closes, Typing) */
	int64_t seq;             /* ReceiveMessage, ReceiveMediaMessage: the message's seq; else 0 */
	char *target;            /* owned (allocated with the event) */
	json_t *args;            /* owned: the argument array; NULL once the hub encoded it (wire) */
	/* The records the delivering side encoded ahead, one per protocol (hub.h's
	 * ch_hub_prepare, on the publishing thread), opaque here: released with
	 * the event through the hook of ch_event_set_release. NULL = none. */
	void *wire[2];
	struct ch_event *next;
} ch_event;

typedef void (*ch_bus_sink)(ch_event *list);

/* Returns a new event; args is stolen (may be NULL = []). */
ch_event *ch_event_new(ch_event_kind kind, unsigned audience, const char *target, json_t *args);
/* Appends ev to the list *head (keeps order). */
void ch_event_append(ch_event **head, ch_event *ev);
void ch_event_free_list(ch_event *list);
/* Sets how an event's wire records are released (NULL = they are never set).
 * Call before any thread runs. */
void ch_event_set_release(void (*release)(void *wire));

/* Sets where published events go (NULL = dropped). Call before any thread runs. */
void ch_bus_set_sink(ch_bus_sink sink);
/* Takes ownership of list (may be NULL). */
void ch_bus_publish(ch_event *list);

/* Unlogged events (Typing): at most once, never in the outbox. They go to
 * the sink like ch_bus_publish and, on a cluster, to the hook, which sends
 * them to the other processes (it borrows the list). */
typedef void (*ch_bus_ephemeral_hook)(const ch_event *list);
void ch_bus_set_ephemeral_hook(ch_bus_ephemeral_hook hook);
/* Takes ownership of list (may be NULL). */
void ch_bus_publish_ephemeral(ch_event *list);

#endif
