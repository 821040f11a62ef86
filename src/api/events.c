/* events.c — GET /api/events: an organization's events in eventSeq order
 * (docs/api.md "Events"), for a company token or API key; another company's
 * organization is 404. A cursor older than what the retention kept answers
 * 410 with the oldest eventSeq still there, never a silent gap.
 * Threading: handler on API workers, inside the request's read transaction. */
#include <stdio.h>

#include "api/internal.h"
#include "core/baseurl.h"
#include "svc/svc.h"

#define EVENTS_PAGE_MAX 1000
#define EVENTS_PAGE_DEFAULT 100

/* The messages' media.uri, absolute for the address this request came to. */
static void absolute_media(ch_ctx *c, json_t *events)
{
	char base[CH_BASE_URL_MAX];
	if (!ch_base_url(c->api->o.public_url, c->req->host, c->req->forwarded_proto, base))
		return;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) ch_svc_media_absolute(json_object_get(ev, "message"), base);
}

void ch_h_events_list(ch_ctx *c)
{
	int64_t org, after, limit, last = 0, trimmed = 0;
	if (!ch_ctx_arg(c, "organizationId")) {
		ch_ctx_error(c, CH_ERR_MISSING_FIELD, "organizationId is required (events are kept per organization)");
		return;
	}
	if (ch_ctx_int_arg(c, "organizationId", 1, INT64_MAX, 0, &org) ||
	    ch_ctx_int_arg(c, "after", 0, INT64_MAX, 0, &after) ||
	    ch_ctx_int_arg(c, "limit", 1, EVENTS_PAGE_MAX, EVENTS_PAGE_DEFAULT, &limit))
		return;
	json_t *events = NULL;
	ch_err e = ch_svc_events_page(c->tx, c->who.company_id, org, after, limit, &events, &last, &trimmed);
	if (e == CH_ERR_GONE) {
		ch_ctx_error(c, e,
		             "events up to eventSeq %lld are no longer kept (the retention period has passed); the "
		             "oldest kept is eventSeq %lld: read from after=%lld and reconcile the rest from the objects",
		             (long long)trimmed, (long long)trimmed + 1, (long long)trimmed);
		return;
	}
	if (e == CH_ERR_OUT_OF_RANGE) {
		ch_ctx_error(c, e, "after is beyond the organization's last eventSeq (%lld)", (long long)last);
		return;
	}
	if (ch_ctx_store_failed(c, e, "organization"))
		return;
	size_t n = json_array_size(events);
	int64_t upto = n ? json_integer_value(json_object_get(json_array_get(events, n - 1), "eventSeq")) : after;
	absolute_media(c, events);
	ch_ctx_json(c, 200,
	            json_pack("{s:I, s:o, s:I, s:I, s:b}", "organizationId", (json_int_t)org, "events", events,
	                      "lastEventSeq", (json_int_t)last, "next", (json_int_t)upto, "hasMore", upto < last));
}
