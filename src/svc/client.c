/* client.c — a client's profile (docs/api.md, "Client profile"): what the
 * operator side sees of a client, the staff's edits, the visitor's own
 * attributes, and what each widget session records (the page it came from,
 * the browser, the pre-chat form, a userJWT's verified attributes).
 * Each write is one store write job that locks the client, merges the change
 * (chat/attrs.h), writes only when something changed and then emits
 * ClientUpdated(client) to the operator side of the client's organization
 * (never to visitors).
 * Threading: the *_wait functions block (worker threads); the job functions
 * run on the store writer; the reads on the caller's thread in its read
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat/attrs.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "svc/internal.h"

static json_t *iso(int64_t ms)
{
	char ts[25];
	ch_iso8601_format(ms, ts);
	return json_string(ts);
}

json_t *ch_svc_json_client(const ch_client_row *r)
{
	json_t *attrs = json_loads(r->attributes, 0, NULL), *ver = json_loads(r->verified_keys, 0, NULL);
	json_t *j = json_pack("{s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:o, s:o}", "id",
	                      (json_int_t)r->id, "organizationId", (json_int_t)r->organization_id, "source", r->source,
	                      "name", r->name, "email", r->email, "phone", r->phone, "pageUrl", r->page_url,
	                      "referrer", r->referrer, "language", r->language, "userAgent", r->user_agent,
	                      "firstSeenAt", iso(r->created_at), "updatedAt", iso(r->updated_at ? r->updated_at
	                                                                                         : r->created_at),
	                      "chatsCount", (json_int_t)r->chats_count, "attributes",
	                      json_is_object(attrs) ? attrs : json_object(), "verifiedAttributes",
	                      json_is_array(ver) ? ver : json_array());
	if (!json_is_object(attrs))
		json_decref(attrs);
	if (!json_is_array(ver))
		json_decref(ver);
	if (j) { /* an erased client (svc/erasure.c) keeps its id, organization and chats, nothing else */
		json_object_set_new(j, "erased", json_boolean(r->erased_at != 0));
		json_object_set_new(j, "erasedAt", r->erased_at ? iso(r->erased_at) : json_null());
	}
	if (!j)
		CH_ERROR("client %lld: its JSON object cannot be built (a text field is not valid UTF-8)",
		         (long long)r->id);
	return j;
}

ch_err ch_svc_client_visible(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, ch_client_row *out)
{
	if (client_id <= 0 || (p->kind != CH_TOKEN_COMPANY && p->kind != CH_TOKEN_OPERATOR))
		return CH_ERR_NOT_FOUND;
	ch_err e = ch_store_client_get(tx, p->company_id, client_id, out);
	if (!e && p->kind == CH_TOKEN_OPERATOR && out->organization_id != p->org_id)
		e = CH_ERR_NOT_FOUND;
	return e;
}

ch_err ch_svc_client_chats(ch_svc_tx *tx, const ch_principal *p, int64_t client_id, int64_t offset, int64_t limit,
                           int64_t *total, ch_chat_each_fn each, void *ctx)
{
	ch_client_row *cl = ch_xmalloc(sizeof *cl);
	ch_err e = ch_svc_client_visible(tx, p, client_id, cl);
	ch_chat_filter f = {.company_id = p->company_id, .org_id = e ? 0 : cl->organization_id,
	                    .client_id = client_id, .status = -1, .source = -1, .offset = offset, .limit = limit};
	free(cl);
	return e ? e : ch_store_chat_list(tx, &f, total, each, ctx);
}

/* ClientUpdated(client) to the operator side of its organization, and the
 * organization event client.updated. */
static void emit_updated(ch_store_tx *tx, svc_job *j, const ch_client_row *r)
{
	svc_org_event_client(tx, "client.updated", r->company_id, r->organization_id, r->id, NULL);
	json_t *cj = ch_svc_json_client(r);
	if (!cj) {
		j->unencodable = 1;
		return;
	}
	json_t *args = json_pack("[o]", cj);
	if (!args) { /* never an event with empty arguments */
		j->unencodable = 1;
		return;
	}
	ch_event *ev = ch_event_new(CH_EV_INVOKE, SVC_OPERATOR_SIDE, "ClientUpdated", args);
	ev->company_id = r->company_id;
	ev->org_id = r->organization_id;
	ch_event_append(&j->events, ev);
}

/* Whether ch would change any field of r. */
static int differs(const ch_client_row *r, const ch_client_change *ch)
{
	const char *now[] = {ch->name, ch->phone, ch->email, ch->page_url, ch->referrer, ch->language,
	                     ch->user_agent, ch->attributes, ch->verified_keys};
	const char *was[] = {r->name, r->phone, r->email, r->page_url, r->referrer, r->language,
	                     r->user_agent, r->attributes, r->verified_keys};
	for (size_t i = 0; i < sizeof now / sizeof now[0]; i++)
		if (now[i] && strcmp(now[i], was[i]))
			return 1;
	return 0;
}

/* Merges attrs (may be NULL) as who into *row's, then writes ch (with the
 * merged texts) when anything differs; *changed says whether it wrote, and
 * *ignored (may be NULL) gets the keys a visitor could not touch. */
static ch_err change_client(ch_store_tx *tx, svc_job *j, ch_client_row *row, ch_client_change *ch,
                            const json_t *attrs, int who, int *changed, json_t **ignored)
{
	ch_attrs_result m = {0};
	char why[200];
	*changed = 0;
	if (attrs) {
		ch_err e = ch_attrs_merge(row->attributes, row->verified_keys, attrs, who, &m, why, sizeof why);
		if (e)
			return svc_fail(j, e, why);
		ch->attributes = m.attributes;
		ch->verified_keys = m.verified_keys;
		if (ignored)
			*ignored = json_incref(m.ignored);
	}
	ch_err e = CH_OK;
	if (differs(row, ch)) {
		e = ch_store_client_update(tx, row->company_id, row->id, ch, row);
		*changed = !e;
	}
	ch_attrs_result_free(&m);
	return e;
}

typedef struct client_job {
	int64_t client_id;
	const ch_svc_client_edit *edit;
	const ch_svc_session *session;
	ch_client_row *row; /* the client after the job */
} client_job;

/* PUT /api/client/{id}: name, email, phone and any attribute. */
static ch_err staff_edit_fn(ch_store_tx *tx, svc_job *j)
{
	const client_job *c = j->extra;
	ch_err e = ch_store_client_lock(tx, j->p.company_id, c->client_id);
	if (!e)
		e = ch_svc_client_visible(tx, &j->p, c->client_id, c->row);
	if (e)
		return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "client not found") : e;
	ch_client_change ch = {.name = c->edit->name, .email = c->edit->email, .phone = c->edit->phone};
	int changed;
	if ((e = change_client(tx, j, c->row, &ch, c->edit->attributes, CH_ATTRS_STAFF, &changed, NULL)))
		return e;
	if (changed)
		emit_updated(tx, j, c->row);
	svc_result(j, ch_svc_json_client(c->row));
	return CH_OK;
}

void ch_svc_client_edit_wait(const ch_principal *p, int64_t client_id, const ch_svc_client_edit *edit,
                             ch_svc_result *out)
{
	ch_client_row *row = ch_xmalloc(sizeof *row);
	client_job c = {.client_id = client_id, .edit = edit, .row = row};
	svc_run_wait(staff_edit_fn, p, &c, out);
	free(row);
}

/* The widget's setAttributes: the visitor's own client; verified keys stay. */
static ch_err visitor_attrs_fn(ch_store_tx *tx, svc_job *j)
{
	const client_job *c = j->extra;
	ch_err e = ch_store_client_lock(tx, j->p.company_id, j->p.client_id);
	if (!e)
		e = ch_store_client_get(tx, j->p.company_id, j->p.client_id, c->row);
	if (e)
		return e;
	ch_client_change ch = {0};
	json_t *ignored = NULL;
	int changed;
	if ((e = change_client(tx, j, c->row, &ch, c->edit->attributes, CH_ATTRS_VISITOR, &changed, &ignored)))
		return e;
	if (changed && c->row->chats_count > 0)
		emit_updated(tx, j, c->row);
	json_t *attrs = json_loads(c->row->attributes, 0, NULL), *ver = json_loads(c->row->verified_keys, 0, NULL);
	svc_result(j, json_pack("{s:o, s:o, s:o}", "attributes", attrs ? attrs : json_object(), "verifiedAttributes",
	                        ver ? ver : json_array(), "ignored", ignored ? ignored : json_array()));
	return CH_OK;
}

void ch_svc_visitor_attributes_wait(const ch_principal *p, const json_t *attributes, ch_svc_result *out)
{
	ch_client_row *row = ch_xmalloc(sizeof *row);
	ch_svc_client_edit edit = {.attributes = attributes};
	client_job c = {.edit = &edit, .row = row};
	svc_run_wait(visitor_attrs_fn, p, &c, out);
	free(row);
}

/* "" is "not given" for the fields a session only fills in. */
static const char *given(const char *s) { return s && *s ? s : NULL; }

/* A widget session: the client resumed, found by its userJWT key or new; then
 * what the session tells of it. */
static ch_err session_fn(ch_store_tx *tx, svc_job *j)
{
	const client_job *c = j->extra;
	const ch_svc_session *s = c->session;
	ch_err e;
	if (s->client_id) {
		e = ch_store_client_lock(tx, s->company_id, s->client_id);
		if (!e)
			e = ch_store_client_get(tx, s->company_id, s->client_id, c->row);
		if (!e && c->row->organization_id != s->org_id)
			e = CH_ERR_NOT_FOUND;
	} else {
		e = ch_store_client_upsert(tx, s->company_id, s->org_id, CH_SOURCE_WIDGET, s->key, given(s->name),
		                           given(s->phone), given(s->email), c->row);
		if (!e && s->key)
			e = ch_store_client_lock(tx, s->company_id, c->row->id);
	}
	if (e)
		return e == CH_ERR_NOT_FOUND ? svc_fail(j, e, "visitor not found") : e;
	ch_client_change ch = {.name = given(s->name), .email = given(s->email), .phone = given(s->phone),
	                       .page_url = s->page_url, .referrer = s->referrer, .language = s->language,
	                       .user_agent = s->user_agent};
	int changed;
	if ((e = change_client(tx, j, c->row, &ch, s->jwt_attributes, CH_ATTRS_IDENTITY, &changed, NULL)))
		return e;
	if (changed && c->row->chats_count > 0)
		emit_updated(tx, j, c->row);
	svc_result(j, json_pack("{s:I}", "clientId", (json_int_t)c->row->id));
	return CH_OK;
}

ch_err ch_svc_visitor_session_wait(const ch_svc_session *s, ch_client_row *out, char *why, size_t whylen)
{
	client_job c = {.session = s, .row = out};
	ch_svc_result r;
	svc_run_wait(session_fn, NULL, &c, &r);
	json_decref(r.result);
	if (r.err && why)
		snprintf(why, whylen, "%s", r.message);
	return r.err;
}
