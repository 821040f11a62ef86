/* webhook.c — a company's webhooks in the PostgreSQL backend (store.h,
 * "webhooks"). The budget is counted under the company's webhook budget lock
 * (ch_pg_budget_lock), so two processes creating at once cannot both pass
 * the count; a webhook's cursors go with it by cascade.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/postgres/pg_int.h"

/* Reads CH_PG_WEBHOOK_COLS of row i. */
static ch_err fill(const PGresult *r, int i, ch_webhook_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	out->organization_id = ch_pg_i64(r, i, 2);
	ch_err err = ch_pg_str(r, i, 3, out->url, sizeof out->url);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 4, out->events, sizeof out->events);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 5, out->secret, sizeof out->secret);
	out->status = (int)ch_pg_i64(r, i, 6);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 7, out->last_error, sizeof out->last_error);
	out->last_success_at = ch_pg_i64(r, i, 8);
	out->failing_since = ch_pg_i64(r, i, 9);
	out->created_at = ch_pg_i64(r, i, 10);
	return err;
}

ch_err ch_store_pg_webhook_create(ch_store_tx *tx, const ch_webhook_row *in, ch_webhook_row *out)
{
	int64_t n = 0, id = 0, now = ch_now_ms();
	if (!in->url[0] || !memchr(in->url, 0, sizeof in->url) || !memchr(in->secret, 0, sizeof in->secret) ||
	    !memchr(in->events, 0, sizeof in->events) || !in->secret[0])
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = CH_OK;
	if (in->organization_id)
		err = ch_pg_owned(tx, CH_PG_ORG_OWNED, in->company_id, in->organization_id);
	if (err == CH_OK)
		err = ch_pg_budget_lock(tx, CH_PG_BUDGET_WEBHOOKS, in->company_id);
	ch_pg_params c = {0};
	ch_pg_int(&c, in->company_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_WEBHOOK_COUNT, &c, &n);
	if (err == CH_OK && n >= CH_WEBHOOKS_PER_COMPANY_MAX)
		return CH_ERR_CONFLICT;
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, in->company_id);
	ch_pg_int(&p, in->organization_id);
	ch_pg_text(&p, in->url);
	ch_pg_text(&p, in->events);
	ch_pg_text(&p, in->secret);
	ch_pg_int(&p, now);
	err = ch_pg_one_int64(tx, CH_PG_WEBHOOK_INSERT, &p, &id);
	if (err == CH_OK && out) {
		if (out != in)
			*out = *in;
		out->id = id;
		out->status = CH_WEBHOOK_ACTIVE;
		out->last_error[0] = 0;
		out->last_success_at = out->failing_since = 0;
		out->created_at = now;
	}
	return err;
}

ch_err ch_store_pg_webhook_list(ch_store_tx *tx, int64_t company_id, ch_webhook_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_WEBHOOK_LIST, &p, &r);
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = fill(r, i, row)) == CH_OK)
			each(ctx, row);
	PQclear(r);
	free(row);
	return err;
}

ch_err ch_store_pg_webhook_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_WEBHOOK_GET, &p, &r);
	if (err == CH_OK)
		err = fill(r, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_webhook_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return ch_pg_change(tx, CH_PG_WEBHOOK_DELETE, &p);
}

ch_err ch_store_pg_webhook_enable(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_err err = ch_pg_change(tx, CH_PG_WEBHOOK_ENABLE, &p);
	ch_pg_params c = {0};
	ch_pg_int(&c, id);
	if (err == CH_OK)
		err = ch_pg_exec(tx, CH_PG_WEBHOOK_CURSORS_RESET, &c, NULL);
	if (err == CH_OK && out)
		err = ch_store_pg_webhook_get(tx, company_id, id, out);
	return err;
}
