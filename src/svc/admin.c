/* admin.c — the writes REST makes to a company's organizations, operators and
 * visitors, each one job of the write-job runner (job.c): its principal is
 * checked in the job's transaction, like every operation's, and the REST
 * worker waits for the commit (a 200 means it is durable).
 * Threading: the *_wait functions block (worker threads); the jobs run on the
 * store writer thread and fill the caller's out rows, which the caller reads
 * only after the wait. */
#include "core/buf.h"
#include "svc/internal.h"

/* Submits fn with params (caller-owned, alive until the job is done) and waits. */
static ch_err run_wait(svc_fn fn, const ch_principal *p, void *params)
{
	ch_svc_waiter *w = ch_svc_waiter_new();
	svc_job *j = svc_job_new(fn, p, ch_svc_waiter_done, w);
	j->extra = params;
	svc_submit(j);
	ch_svc_result r;
	ch_svc_waiter_wait(w, &r);
	json_decref(r.result);
	return r.err;
}

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
	return run_wait(org_create_fn, p, &o);
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
	if (!e)
		e = ch_store_org_secrets_get(tx, o->company_id, ch->id, o->settings);
	return e ? e : ch_store_org_get(tx, o->company_id, ch->id, o->row);
}

ch_err ch_svc_org_update_wait(const ch_principal *p, const ch_svc_org_change *ch, ch_org_row *row,
                              ch_org_secrets *settings)
{
	org_update o = {.company_id = p->company_id, .ch = ch, .row = row, .settings = settings};
	return run_wait(org_update_fn, p, &o);
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
	return n ? run_wait(operators_sync_fn, p, &o) : CH_OK;
}

typedef struct visitor_create {
	int64_t company_id, org_id;
	const char *key, *name, *email;
	ch_client_row *out;
} visitor_create;

static ch_err visitor_create_fn(ch_store_tx *tx, svc_job *j)
{
	const visitor_create *v = j->extra;
	return ch_store_client_upsert(tx, v->company_id, v->org_id, CH_SOURCE_WIDGET, v->key, v->name, NULL, v->email,
	                              v->out);
}

ch_err ch_svc_visitor_create_wait(int64_t company_id, int64_t org_id, const char *key, const char *name,
                                  const char *email, ch_client_row *out)
{
	visitor_create v = {.company_id = company_id, .org_id = org_id, .key = key, .name = name, .email = email,
	                    .out = out};
	return run_wait(visitor_create_fn, NULL, &v);
}
