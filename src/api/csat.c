/* csat.c — POST /api/widget/{guid}/csat: the visitor rates its closed chat
 * (docs/api.md "CSAT"; the rules are svc/csat.c's, shared with the hub's
 * RateChat). Threading: API worker threads. */
#include <stdint.h>

#include "api/internal.h"
#include "svc/svc.h"

void ch_h_widget_csat(ch_ctx *c)
{
	ch_org_row org;
	int64_t chat_id = 0, rating = 0;
	const char *comment = NULL;
	if (ch_org_of_guid_path(c, "/api/widget/", &org))
		return;
	if (org.company_id != c->who.company_id || org.id != c->who.org_id) {
		ch_ctx_error(c, CH_ERR_NOT_FOUND, "unknown widget guid");
		return;
	}
	if (ch_body_object(c) || ch_get_int(c, c->body, "", "chatId", 1, 1, INT64_MAX, &chat_id) < 0 ||
	    ch_get_int(c, c->body, "", "rating", 1, CH_CSAT_RATING_MIN, CH_CSAT_RATING_MAX, &rating) < 0 ||
	    ch_get_str(c, c->body, "", "comment", 0, 0, SIZE_MAX, &comment) < 0)
		return;
	ch_principal p = ch_principal_from_claims(&c->who);
	ch_svc_waiter *w = ch_svc_waiter_new();
	ch_svc_rate_chat(&p, chat_id, (int)rating, comment, ch_svc_waiter_done, w);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	ch_ctx_reply_svc(c, &r, 200, "chat");
}
