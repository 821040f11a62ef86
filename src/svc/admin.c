/* admin.c — the writes REST makes to a company's organizations, operators and
 * visitors, each one job of the write-job runner (job.c): its principal is
 * checked in the job's transaction, like every operation's, and the REST
 * worker waits for the commit (a 200 means it is durable).
 * Threading: the *_wait functions block (worker threads); the jobs run on the
 * store writer thread and fill the caller's out rows, which the caller reads
 * only after the wait. */
#include <stdlib.h>

#include "core/buf.h"
#include "svc/internal.h"

typedef struct org_create {
	int64_t company_id;
	const char *name, *guid;
	ch_org_row *out;
} org_create;

static ch_err org_create_fn(ch_store_tx *tx, svc_job *j)
{
	const org_create *o = j->extra;
	int64_t id;
	ch_err e = ch_store_org_create(tx, o->company_id, o->name, o->guid, &id);
	return e ? e : ch_store_org_get(tx, o->company_id, id, o->out);
}

ch_err ch_svc_org_create_wait(const ch_principal *p, const char *name, const char *guid, ch_org_row *out)
{
	org_create o = {.company_id = p->company_id, .name = name, .guid = guid, .out = out};
	return svc_run_wait(org_create_fn, p, &o, NULL);
}

typedef struct org_update {
	int64_t company_id;
	const ch_svc_org_change *ch;
	ch_org_row *row;
	ch_org_secrets *settings;
} org_update;

static ch_err org_update_fn(ch_store_tx *tx, svc_job *j)
{
	const org_update *o = j->extra;
	const ch_svc_org_change *ch = o->ch;
	ch_err e = ch_store_org_update(tx, o->company_id, ch->id, ch->name, ch->origins_json, ch->max_chats);
	if (!e)
		e = ch_store_org_secrets_set(tx, o->company_id, ch->id, ch->identity_secret, ch->channel_secret,
		                             ch->outbound_url, ch->prechat_form);
	if (!e && ch->operators_manage_canned >= 0)
		e = ch_store_org_set_canned_policy(tx, o->company_id, ch->id, ch->operators_manage_canned);
	if (!e && (ch->auto_close_waiting >= 0 || ch->auto_close_open >= 0 || ch->auto_close_on_pause >= 0))
		e = ch_store_org_set_auto_close(tx, o->company_id, ch->id, ch->auto_close_waiting, ch->auto_close_open,
		                                ch->auto_close_on_pause);
	if (!e && ch->has_retention)
		e = ch_store_org_set_retention(tx, o->company_id, ch->id, ch->retention_days);
	if (!e && ch->csat_enabled >= 0)
		e = ch_store_org_set_csat(tx, o->company_id, ch->id, ch->csat_enabled);
	if (!e)
		e = ch_store_org_secrets_get(tx, o->company_id, ch->id, o->settings);
	return e ? e : ch_store_org_get(tx, o->company_id, ch->id, o->row);
}

ch_err ch_svc_org_update_wait(const ch_principal *p, const ch_svc_org_change *ch, ch_org_row *row,
                              ch_org_secrets *settings)
{
	org_update o = {.company_id = p->company_id, .ch = ch, .row = row, .settings = settings};
	return svc_run_wait(org_update_fn, p, &o, NULL);
}

typedef struct operators_sync {
	int64_t company_id;
	ch_svc_operator_sync *rows;
	size_t n;
	size_t *failed_row;
} operators_sync;

/* All rows in one job: a failing row fails the job, and the store rolls the
 * whole job back, so synchronising is all or nothing. */
static ch_err operators_sync_fn(ch_store_tx *tx, svc_job *j)
{
	const operators_sync *o = j->extra;
	for (size_t i = 0; i < o->n; i++) {
		ch_svc_operator_sync *r = &o->rows[i];
		ch_err e = ch_store_operator_upsert(tx, o->company_id, r->org_id, r->name, r->external_id, &r->out, NULL);
		if (!e && r->set_photo)
			e = ch_store_operator_set_photo(tx, o->company_id, r->out.id, r->photo, &r->out);
		if (e) {
			*o->failed_row = i;
			return e;
		}
	}
	return CH_OK;
}

ch_err ch_svc_operators_sync_wait(const ch_principal *p, ch_svc_operator_sync *rows, size_t n,
                                  size_t *failed_row)
{
	size_t failed = 0;
	operators_sync o = {.company_id = p->company_id, .rows = rows, .n = n,
	                    .failed_row = failed_row ? failed_row : &failed};
	return n ? svc_run_wait(operators_sync_fn, p, &o, NULL) : CH_OK;
}

typedef struct canned_job {
	int64_t id;
	const ch_svc_canned *in;
	ch_canned_row *out;
} canned_job;

/* Whether an operator may manage its organization's organization-wide responses. */
static ch_err canned_org_wide_allowed(ch_store_tx *tx, const ch_principal *p)
{
	ch_org_secrets sec;
	ch_err e = ch_store_org_secrets_get(tx, p->company_id, p->org_id, &sec);
	return e ? e : sec.operators_manage_canned ? CH_OK : CH_ERR_WRONG_KIND;
}

/* The response if the principal may change it (see svc.h). */
static ch_err canned_writable(ch_store_tx *tx, const ch_principal *p, int64_t id, ch_canned_row *row)
{
	ch_err e = ch_store_canned_get(tx, p->company_id, id, row);
	if (e || p->kind != CH_TOKEN_OPERATOR)
		return e;
	if (row->organization_id != p->org_id || (row->operator_id && row->operator_id != p->operator_id))
		return CH_ERR_NOT_FOUND;
	return row->operator_id ? CH_OK : canned_org_wide_allowed(tx, p);
}

static ch_err canned_create_fn(ch_store_tx *tx, svc_job *j)
{
	const canned_job *c = j->extra;
	const ch_principal *p = &j->p;
	int64_t owner = 0;
	ch_err e = CH_OK;
	if (p->kind == CH_TOKEN_OPERATOR) {
		if (c->in->org_id != p->org_id)
			return CH_ERR_NOT_FOUND;
		if (c->in->org_wide)
			e = canned_org_wide_allowed(tx, p);
		else
			owner = p->operator_id;
	}
	return e ? e : ch_store_canned_create(tx, p->company_id, c->in->org_id, owner, c->in->shortcut, c->in->title,
	                                      c->in->text, c->out);
}

ch_err ch_svc_canned_create_wait(const ch_principal *p, const ch_svc_canned *in, ch_canned_row *out)
{
	canned_job c = {.in = in, .out = out};
	return svc_run_wait(canned_create_fn, p, &c, NULL);
}

static ch_err canned_update_fn(ch_store_tx *tx, svc_job *j)
{
	const canned_job *c = j->extra;
	ch_err e = canned_writable(tx, &j->p, c->id, c->out);
	return e ? e : ch_store_canned_update(tx, j->p.company_id, c->id, c->in->shortcut, c->in->title, c->in->text,
	                                      c->out);
}

ch_err ch_svc_canned_update_wait(const ch_principal *p, int64_t id, const ch_svc_canned *in, ch_canned_row *out)
{
	canned_job c = {.id = id, .in = in, .out = out};
	return svc_run_wait(canned_update_fn, p, &c, NULL);
}

static ch_err canned_delete_fn(ch_store_tx *tx, svc_job *j)
{
	const canned_job *c = j->extra;
	ch_err e = canned_writable(tx, &j->p, c->id, c->out);
	return e ? e : ch_store_canned_delete(tx, j->p.company_id, c->id);
}

ch_err ch_svc_canned_delete_wait(const ch_principal *p, int64_t id)
{
	ch_canned_row *row = ch_xmalloc(sizeof *row);
	canned_job c = {.id = id, .out = row};
	ch_err e = svc_run_wait(canned_delete_fn, p, &c, NULL);
	free(row);
	return e;
}
