/* erasure.c — client erasure and retention in the PostgreSQL backend
 * (store.h, "erasure and retention", migration 023): a chat's messages
 * become tombstones and its media rows go, a client's profile is cleared.
 * The search indexes are expression indexes over the rows, so they follow
 * by themselves; the old row versions stay in the table files as dead tuples
 * until VACUUM (docs/privacy.md).
 *
 * Threading: these functions run inside a job, on the writer thread that
 * owns tx; they keep no state of their own.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/buf.h"
#include "store/postgres/pg_int.h"

#define NO_ARG INT64_MIN /* change() without a third parameter */

/* Runs a change statement bound with (company_id, id[, v3]); *changed gets
 * the rows it changed. */
static ch_err change(ch_store_tx *tx, ch_pg_stmt id, int64_t company_id, int64_t row_id, int64_t v3,
                     int64_t *changed)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, row_id);
	if (v3 != NO_ARG)
		ch_pg_int(&p, v3);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, &p, &r);
	if (err == CH_OK && changed)
		*changed = ch_pg_changed(r);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_chat_erase(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                              ch_erase_counts *out)
{
	int64_t messages = 0, media = 0, csat = 0;
	ch_err err = ch_pg_owned(tx, CH_PG_ERASE_CHAT_OWNED, company_id, chat_id);
	/* messages first: their media_id is the media rows' last reference */
	if (err == CH_OK)
		err = change(tx, CH_PG_ERASE_MESSAGES, company_id, chat_id, now_ms, &messages);
	if (err == CH_OK)
		err = change(tx, CH_PG_ERASE_MEDIA, company_id, chat_id, NO_ARG, &media);
	if (err == CH_OK)
		err = change(tx, CH_PG_ERASE_CSAT_COMMENT, company_id, chat_id, NO_ARG, &csat);
	if (err == CH_OK)
		err = change(tx, CH_PG_ERASE_CHAT_TEXTS, company_id, chat_id, now_ms, NULL);
	if (err == CH_OK && out) {
		out->chats += messages || media || csat;
		out->messages += messages;
		out->media += media;
		out->csat_comments += csat;
	}
	return err;
}

ch_err ch_store_pg_client_erase(ch_store_tx *tx, int64_t company_id, int64_t client_id, int64_t now_ms,
                                int64_t *erased_at_out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, client_id);
	ch_pg_int(&p, now_ms);
	int64_t at = 0;
	ch_err err = ch_pg_one_int64(tx, CH_PG_ERASE_CLIENT, &p, &at);
	if (err == CH_OK)
		tx->principals_changed = 1; /* its visitor tokens' check reads erased_at */
	if (err == CH_OK && erased_at_out)
		*erased_at_out = at;
	return err;
}

ch_err ch_store_pg_search_compact(ch_store_tx *tx)
{
	(void)tx;
	return CH_OK;
}

ch_err ch_store_pg_org_set_retention(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t days)
{
	if (days < 0 || days > CH_RETENTION_DAYS_MAX)
		return CH_ERR_OUT_OF_RANGE;
	int64_t changed = 0;
	ch_err err = change(tx, CH_PG_ORG_SET_RETENTION, company_id, org_id, days, &changed);
	return err == CH_OK && !changed ? CH_ERR_NOT_FOUND : err;
}

ch_err ch_store_pg_chat_retention_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                                      void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	ch_pg_int(&p, limit > 0 ? limit : INT64_MAX);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CHAT_RETENTION_DUE, &p, &r);
	ch_chat_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = ch_pg_chat_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}
