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
#include "core/utf8.h"
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
	ch_pg_params k = {0};
	ch_pg_int(&k, id);
	ch_pg_int(&k, in->company_id);
	ch_pg_int(&k, in->organization_id);
	if (err == CH_OK) /* its cursors, at each organization's latest eventSeq */
		err = ch_pg_exec(tx, CH_PG_WEBHOOK_CURSORS_INIT, &k, NULL);
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

/* ---- delivery cursors ------------------------------------------------------ */

ch_err ch_pg_webhook_cursors_new_org(ch_store_tx *tx, int64_t company_id, int64_t org_id)
{
	/* The company's webhook lock orders this with a webhook being created:
	 * whichever commits second sees the other (its next statement reads after
	 * the lock), so a new organization never misses a new all-organizations
	 * webhook's cursor. */
	ch_err err = ch_pg_budget_lock(tx, CH_PG_BUDGET_WEBHOOKS, company_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	return ch_pg_exec(tx, CH_PG_WEBHOOK_CURSORS_NEW_ORG, &p, NULL);
}

static void cursor_fill(const PGresult *r, int i, int first, ch_webhook_cursor_row *out)
{
	out->organization_id = ch_pg_i64(r, i, first);
	out->last_seq = ch_pg_i64(r, i, first + 1);
	out->attempts = (int)ch_pg_i64(r, i, first + 2);
	out->first_failure_at = ch_pg_i64(r, i, first + 3);
	out->next_attempt_at = ch_pg_i64(r, i, first + 4);
}

ch_err ch_store_pg_webhook_cursor_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                                        ch_webhook_cursor_each_fn each, void *ctx)
{
	if (limit <= 0 || limit > 1000 || lease_ms < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	ch_pg_int(&p, limit);
	ch_pg_int(&p, lease_ms);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_WEBHOOK_CURSOR_CLAIM, &p, &r);
	ch_webhook_cursor_row *row = ch_xcalloc(1, sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = fill(r, i, &row->hook)) == CH_OK) {
			cursor_fill(r, i, 11, row);
			row->lease_until = ch_pg_i64(r, i, 16);
			each(ctx, row);
		}
	PQclear(r);
	free(row);
	return err;
}

/* Statement id over ($1 webhook id, $2 value). */
static ch_err hook_set(ch_store_tx *tx, ch_pg_stmt id, int64_t webhook_id, int64_t v, const char *text)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, webhook_id);
	if (text) /* a diagnostic, not data: a long one is cut on a UTF-8 boundary */
		ch_pg_textn(&p, text, ch_utf8_prefix(text, strlen(text), CH_WEBHOOK_ERROR_MAX));
	else
		ch_pg_int(&p, v);
	return ch_pg_exec(tx, id, &p, NULL);
}

ch_err ch_store_pg_webhook_cursor_update(ch_store_tx *tx, const ch_webhook_attempt *a)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, a->webhook_id);
	ch_pg_int(&p, a->organization_id);
	ch_pg_int(&p, a->lease_until);
	ch_pg_int(&p, a->last_seq);
	ch_pg_int(&p, a->attempts);
	ch_pg_int(&p, a->first_failure_at);
	ch_pg_int(&p, a->next_attempt_at);
	ch_err err = ch_pg_change(tx, CH_PG_WEBHOOK_CURSOR_UPDATE, &p);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* the lease is no longer this one */
	if (err == CH_OK && a->delivered)
		err = hook_set(tx, CH_PG_WEBHOOK_DELIVERED, a->webhook_id, a->now_ms, NULL);
	if (err == CH_OK && a->error)
		err = hook_set(tx, CH_PG_WEBHOOK_FAILED, a->webhook_id, 0, a->error);
	if (err == CH_OK && a->failing)
		err = hook_set(tx, CH_PG_WEBHOOK_MARK_FAILING, a->webhook_id, a->now_ms, NULL);
	return err;
}

ch_err ch_store_pg_webhook_cursors(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_cursor_each_fn each,
                                   void *ctx)
{
	ch_err err = ch_pg_owned(tx, CH_PG_WEBHOOK_GET, company_id, id);
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	if (err == CH_OK)
		err = ch_pg_exec(tx, CH_PG_WEBHOOK_CURSOR_LIST, &p, &r);
	ch_webhook_cursor_row *row = ch_xcalloc(1, sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++) {
		cursor_fill(r, i, 0, row);
		each(ctx, row);
	}
	PQclear(r);
	free(row);
	return err;
}

ch_err ch_store_pg_webhook_failing_count(ch_store_tx *tx, int64_t *n)
{
	return ch_pg_one_int64(tx, CH_PG_WEBHOOK_FAILING_COUNT, NULL, n);
}
