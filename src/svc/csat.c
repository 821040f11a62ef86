/* csat.c — CSAT (ext, docs/api.md "CSAT"): the visitor rates its closed chat
 * 1-5 with an optional comment, over the hub (RateChat) or REST
 * (POST /api/widget/{guid}/csat); shared by both.
 *
 * Only the chat's own visitor rates it, only while it is Closed, only when its
 * organization has CSAT on, and once per close (store.h ch_store_chat_rate: a
 * chat reopened and closed again may be rated again, the new rating
 * replacing the old). The chat object then carries "csat"; ChatRated(chat)
 * goes to both sides (the staff object with labels to the operator side) and
 * the organization event csat.submitted ({rating}) is recorded in the same
 * transaction.
 * The comment is the visitor's text: it is never put in the event's data.
 * Threading: the job runs on the store writer. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "svc/internal.h"

/* The comment without leading and trailing white space, or NULL when it is
 * not valid UTF-8 or longer than CH_CSAT_COMMENT_MAX bytes once trimmed. */
static const char *trimmed(const char *s, char out[CH_CSAT_COMMENT_MAX + 1])
{
	size_t n = s ? strlen(s) : 0;
	static const char space[] = " \t\r\n\v\f";
	while (n && *s && strchr(space, *s)) {
		s++;
		n--;
	}
	while (n && strchr(space, s[n - 1]))
		n--;
	if (n > CH_CSAT_COMMENT_MAX || (n && !ch_utf8_valid(s, n)))
		return NULL;
	if (n)
		memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* Checks the caller, the chat and its organization; 0 or the job's error. */
static ch_err may_rate(ch_store_tx *tx, svc_job *j, ch_chat_row *c)
{
	ch_org_row *o;
	ch_err e = ch_svc_chat_visible(tx, &j->p, j->chat_id, c);
	if (e)
		return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "chat not found") : e;
	o = ch_xmalloc(sizeof *o);
	e = ch_store_org_get(tx, c->company_id, c->organization_id, o);
	int on = !e && o->csat_enabled;
	free(o);
	if (e)
		return e;
	if (!on)
		return svc_fail(j, CH_ERR_CONFLICT, "conflict: this organization does not ask for ratings");
	if (c->status != CH_CHAT_CLOSED)
		return svc_fail(j, CH_ERR_CONFLICT, "conflict: only a closed chat can be rated");
	return CH_OK;
}

static ch_err rate_fn(ch_store_tx *tx, svc_job *j)
{
	char comment[CH_CSAT_COMMENT_MAX + 1];
	if (j->p.kind != CH_TOKEN_VISITOR)
		return svc_fail(j, CH_ERR_WRONG_KIND, "only the chat's visitor can rate it");
	if (j->status < CH_CSAT_RATING_MIN || j->status > CH_CSAT_RATING_MAX)
		return svc_fail(j, CH_ERR_OUT_OF_RANGE, "rating must be an integer from 1 to 5");
	if (!trimmed(j->text, comment))
		return svc_fail(j, CH_ERR_OUT_OF_RANGE, "comment must be at most 1000 bytes of UTF-8");
	ch_chat_row *c = ch_xmalloc(sizeof *c);
	ch_err e = may_rate(tx, j, c);
	if (!e && (e = ch_store_chat_rate(tx, c->company_id, c->id, j->status, comment, ch_now_ms(), c)) ==
	              CH_ERR_CONFLICT)
		e = svc_fail(j, e, "conflict: this chat is already rated");
	if (!e) {
		svc_emit(j, SVC_OPERATOR_SIDE, c, "ChatRated", json_pack("[o]", svc_json_chat_staff(tx, j, c)));
		svc_emit(j, CH_AUD_CLIENT, c, "ChatRated", json_pack("[o]", ch_svc_json_chat(c)));
		/* the comment is the visitor's text: the event carries the chat, read when the event is */
		svc_org_event(tx, "csat.submitted", c, 0, json_pack("{s:i}", "rating", j->status));
		svc_result(j, ch_svc_json_chat(c));
	}
	free(c);
	return e;
}

void ch_svc_rate_chat(const ch_principal *p, int64_t chat_id, int rating, const char *comment, ch_svc_done done,
                      void *arg)
{
	svc_job *j = svc_job_new(rate_fn, p, done, arg);
	j->chat_id = chat_id;
	j->status = rating;
	j->text = comment;
	svc_submit(j);
}
