/* hours.c — business hours in the PostgreSQL backend (store.h, "business
 * hours"): the schedule text per organization, its pending drain, and the
 * once-per-chat mark of the away auto-reply (a conditional UPDATE: under
 * READ COMMITTED a second process waits for the first's commit, then finds
 * the mark set and changes nothing).
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "store/postgres/pg_int.h"

ch_err ch_store_pg_hours_get(ch_store_tx *tx, int64_t company_id, int64_t org_id, char config[CH_HOURS_CONFIG_MAX],
                             int64_t *drain_at)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_HOURS_GET, &p, &r);
	if (err == CH_OK) {
		err = ch_pg_str(r, 0, 0, config, CH_HOURS_CONFIG_MAX);
		*drain_at = ch_pg_i64(r, 0, 1);
	}
	PQclear(r);
	return err;
}

ch_err ch_store_pg_hours_set(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *config)
{
	if (!config || strlen(config) >= CH_HOURS_CONFIG_MAX)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, config);
	return ch_pg_exec(tx, CH_PG_HOURS_SET, &p, NULL);
}

static ch_err org_at(ch_store_tx *tx, ch_pg_stmt id, int64_t a, int64_t b, int64_t *changed)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, a);
	ch_pg_int(&p, b);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, &p, &r);
	if (err == CH_OK && changed)
		*changed = ch_pg_changed(r);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_hours_drain_at(ch_store_tx *tx, int64_t org_id, int64_t at)
{
	return org_at(tx, CH_PG_HOURS_DRAIN_AT, org_id, at, NULL);
}

ch_err ch_store_pg_hours_drained(ch_store_tx *tx, int64_t org_id, int64_t at)
{
	return org_at(tx, CH_PG_HOURS_DRAINED, org_id, at, NULL);
}

ch_err ch_store_pg_hours_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_hours_due_fn each, void *ctx,
                             int64_t *next)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	ch_pg_int(&p, limit > 0 ? limit : INT64_MAX);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_HOURS_DUE, &p, &r);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		each(ctx, ch_pg_i64(r, i, 0), ch_pg_i64(r, i, 1), ch_pg_i64(r, i, 2));
	PQclear(r);
	if (err != CH_OK || !next)
		return err;
	ch_pg_params q = {0};
	ch_pg_int(&q, now_ms);
	return ch_pg_one_int64(tx, CH_PG_HOURS_NEXT, &q, next);
}

ch_err ch_store_pg_chat_away_replied(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int *first)
{
	*first = 0;
	ch_err err = ch_pg_owned(tx, CH_PG_CHAT_OWNED, company_id, chat_id);
	int64_t n = 0;
	if (err == CH_OK)
		err = org_at(tx, CH_PG_CHAT_AWAY_REPLIED, company_id, chat_id, &n);
	*first = err == CH_OK && n > 0;
	return err;
}
