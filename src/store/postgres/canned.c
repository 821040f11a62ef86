/* canned.c — canned responses and the organization's policy for them in the
 * PostgreSQL backend (store.h, "canned responses").
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/postgres/pg_int.h"

static ch_err canned_fill(const PGresult *r, int i, ch_canned_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	out->organization_id = ch_pg_i64(r, i, 2);
	out->operator_id = ch_pg_i64(r, i, 3);
	ch_err err = ch_pg_str(r, i, 4, out->shortcut, sizeof out->shortcut);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 5, out->title, sizeof out->title);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 6, out->text, sizeof out->text);
	out->created_at = ch_pg_i64(r, i, 7);
	return err;
}

ch_err ch_store_pg_org_set_canned_policy(ch_store_tx *tx, int64_t company_id, int64_t org_id, int allow)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, allow != 0);
	return ch_pg_change(tx, CH_PG_ORG_CANNED_POLICY, &p);
}

ch_err ch_store_pg_canned_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                                 const char *shortcut, const char *title, const char *text, ch_canned_row *out)
{
	int64_t n = 0, id = 0, now = ch_now_ms();
	ch_err err = ch_store_check_canned(shortcut, title, text);
	if (err == CH_OK)
		err = ch_store_check_canned_owner(tx, company_id, org_id, operator_id);
	if (err == CH_OK)
		err = ch_pg_budget_lock(tx, operator_id ? CH_PG_BUDGET_CANNED_OPERATOR : CH_PG_BUDGET_CANNED_ORG,
		                        operator_id ? operator_id : org_id);
	ch_pg_params c = {0};
	ch_pg_int(&c, org_id);
	ch_pg_int(&c, operator_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_CANNED_COUNT, &c, &n);
	if (err == CH_OK && n >= (operator_id ? CH_CANNED_PER_OPERATOR_MAX : CH_CANNED_PER_ORG_MAX))
		return CH_ERR_CONFLICT;
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, operator_id);
	ch_pg_text(&p, shortcut);
	ch_pg_text(&p, title);
	ch_pg_text(&p, text);
	ch_pg_int(&p, now);
	err = ch_pg_one_int64(tx, CH_PG_CANNED_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* the owner has this shortcut */
	if (err == CH_OK && out)
		ch_store_fill_canned(out, id, company_id, org_id, operator_id, shortcut, title, text, now);
	return err;
}

ch_err ch_store_pg_canned_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id,
                               ch_canned_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, operator_id > 0 ? operator_id : -1);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CANNED_LIST, &p, &r);
	ch_canned_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = canned_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_canned_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_canned_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_CANNED_GET, &p, &r);
	if (err == CH_OK)
		err = canned_fill(r, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_canned_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *shortcut,
                                 const char *title, const char *text, ch_canned_row *out)
{
	ch_err err = ch_store_check_canned(shortcut, title, text);
	if (err == CH_OK)
		err = ch_store_pg_canned_get(tx, company_id, id, out);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_pg_text(&p, shortcut);
	ch_pg_text(&p, title);
	ch_pg_text(&p, text);
	err = ch_pg_change(tx, CH_PG_CANNED_UPDATE, &p);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* the row exists: only the shortcut can have collided */
	if (err == CH_OK)
		ch_store_fill_canned(out, out->id, company_id, out->organization_id, out->operator_id, shortcut,
		                     title, text, out->created_at);
	return err;
}

ch_err ch_store_pg_canned_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return ch_pg_change(tx, CH_PG_CANNED_DELETE, &p);
}
