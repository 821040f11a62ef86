/* local.c — the in-process bus: events go straight to the sink (the hub's
 * hand-over to the network thread). Threading: any thread. */
#include <stdlib.h>

#include "bus/bus.h"
#include "core/buf.h"

static ch_bus_sink sink_fn;
static ch_bus_ephemeral_hook eph_hook;

ch_event *ch_event_new(ch_event_kind kind, unsigned audience, const char *target, json_t *args)
{
	ch_event *e = ch_xcalloc(1, sizeof *e);
	e->kind = kind;
	e->audience = audience;
	e->target = ch_xstrdup(target ? target : "");
	e->args = args ? args : json_array();
	return e;
}

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
		free(l->target);
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
