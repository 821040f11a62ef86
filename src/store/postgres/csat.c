/* csat.c — CSAT in the PostgreSQL backend (store.h, "CSAT"): an
 * organization's csat_enabled and a visitor's rating of a closed chat. The
 * rating is one conditional UPDATE (Closed, and not rated since the close):
 * under READ COMMITTED a second process rating the same chat at once waits
 * for the first's commit, re-checks the condition on the row it left and
 * changes nothing, so a close is rated once.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "store/postgres/pg_int.h"

ch_err ch_store_pg_org_set_csat(ch_store_tx *tx, int64_t company_id, int64_t org_id, int enabled)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, enabled ? 1 : 0);
	return ch_pg_change(tx, CH_PG_ORG_SET_CSAT, &p);
}

ch_err ch_store_pg_chat_rate(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int rating, const char *comment,
                             int64_t now_ms, ch_chat_row *out)
{
	const char *text = comment ? comment : "";
	if (rating < CH_CSAT_RATING_MIN || rating > CH_CSAT_RATING_MAX || strlen(text) > CH_CSAT_COMMENT_MAX)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_CHAT_OWNED, &p, &r);
	PQclear(r);
	if (err != CH_OK)
		return err;
	ch_pg_int(&p, rating);
	ch_pg_text(&p, text);
	ch_pg_int(&p, now_ms);
	err = ch_pg_change(tx, CH_PG_CHAT_RATE, &p);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* not Closed, or rated since its close */
	if (err == CH_OK && out)
		err = ch_store_pg_chat_get(tx, company_id, chat_id, out);
	return err;
}
