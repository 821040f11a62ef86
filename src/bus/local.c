/* local.c — the in-process bus: events go straight to the sink (the hub's
 * hand-over to the network thread). Threading: any thread. */
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "core/buf.h"

static ch_bus_sink sink_fn;
static ch_bus_ephemeral_hook eph_hook;
static void (*release_fn)(void *wire);

/* The target lives in the event's own block: one allocation and one free per
 * event (events are made on the store writer and freed on the network
 * thread, where every free is one into another thread's arena). */
ch_event *ch_event_new(ch_event_kind kind, unsigned audience, const char *target, json_t *args)
{
	size_t tlen = target ? strlen(target) : 0;
	ch_event *e = ch_xcalloc(1, sizeof *e + tlen + 1);
	e->kind = kind;
	e->audience = audience;
	e->target = (char *)(e + 1);
	memcpy(e->target, target ? target : "", tlen);
	e->args = args ? args : json_array();
	return e;
}

void ch_event_set_release(void (*release)(void *wire)) { release_fn = release; }

void ch_event_append(ch_event **head, ch_event *ev)
{
	while (*head)
		head = &(*head)->next;
	*head = ev;
}

void ch_event_free_list(ch_event *l)
{
	while (l) {
		ch_event *n = l->next;
		for (int i = 0; i < 2; i++)
			if (l->wire[i] && release_fn)
				release_fn(l->wire[i]);
		json_decref(l->args);
		free(l);
		l = n;
	}
}

void ch_bus_set_sink(ch_bus_sink sink) { sink_fn = sink; }

void ch_bus_publish(ch_event *list)
{
	if (!list)
		return;
	if (sink_fn)
		sink_fn(list);
	else
		ch_event_free_list(list);
}

void ch_bus_set_ephemeral_hook(ch_bus_ephemeral_hook hook) { eph_hook = hook; }

void ch_bus_publish_ephemeral(ch_event *list)
{
	if (list && eph_hook)
		eph_hook(list);
	ch_bus_publish(list);
}
