/* hours.c — an organization's business hours (docs/api.md, "Business
 * hours"): GET and PUT /api/company/organization/{id}/business-hours
 * (company token). The schedule's rules are chat/hours.c's; whether its
 * time zone exists is a read of the zone file (core/tz.c), which is why it
 * is checked here, on an API worker, and not on the network thread.
 * Threading: API worker threads. */
#include <stdlib.h>

#include "api/internal.h"
#include "chat/hours.h"
#include "svc/svc.h"

static int org_id_ok(ch_ctx *c)
{
	if (c->path_id_bad) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "organization not found");
		return 0;
	}
	return 1;
}

void ch_h_org_hours_get(ch_ctx *c)
{
	json_t *h = NULL;
	if (!org_id_ok(c))
		return;
	ch_err e = ch_svc_hours_get(c->tx, c->who.company_id, c->path_id, &h);
	if (e == CH_ERR_NOT_FOUND)
		ch_ctx_error(c, e, "organization not found");
	else if (!ch_ctx_store_failed(c, e, "business hours"))
		ch_ctx_json(c, 200, h);
}

void ch_h_org_hours_put(ch_ctx *c)
{
	ch_hours *h = ch_xmalloc(sizeof *h);
	char why[200];
	if (!org_id_ok(c) || ch_body_object(c))
		goto out;
	if (ch_hours_parse(c->body, h, why, sizeof why)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "%s", why);
		goto out;
	}
	if (!ch_tz_get(h->zone)) {
		ch_ctx_error(c, CH_ERR_OUT_OF_RANGE, "timeZone: unknown time zone \"%s\"", h->zone);
		goto out;
	}
	json_t *norm = ch_hours_json(h); /* stored as it is shown: sorted holidays, every day */
	char *text = json_dumps(norm, JSON_COMPACT);
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_err e = text ? ch_svc_hours_set_wait(&p, c->path_id, text) : CH_ERR_INTERNAL;
	free(text);
	if (e == CH_ERR_NOT_FOUND)
		ch_ctx_error(c, e, "organization not found");
	else if (!ch_ctx_store_failed(c, e, "business hours"))
		ch_ctx_json(c, 200, json_incref(norm));
	json_decref(norm);
out:
	free(h);
}
