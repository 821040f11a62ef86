/* autoclose.c — auto-close in the PostgreSQL backend (store.h,
 * "auto-close"): an organization's minutes per status, the chats due, and the
 * conditional close. The close is one UPDATE whose WHERE is the due
 * condition: under READ COMMITTED a chat another transaction changed
 * meanwhile (a message, a status change, another process's close) is checked
 * again as that transaction left it, after waiting for its commit, so two
 * processes sweeping at once close a chat once.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>

#include "core/buf.h"
#include "store/postgres/pg_int.h"

static void param_minutes(ch_pg_params *p, int64_t minutes)
{
	if (minutes < 0)
		ch_pg_null(p);
	else
		ch_pg_int(p, minutes);
}

ch_err ch_store_pg_org_set_auto_close(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t waiting,
                                      int64_t open, int64_t on_pause)
{
	if (waiting > CH_AUTO_CLOSE_MINUTES_MAX || open > CH_AUTO_CLOSE_MINUTES_MAX ||
	    on_pause > CH_AUTO_CLOSE_MINUTES_MAX)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	param_minutes(&p, waiting);
	param_minutes(&p, open);
	param_minutes(&p, on_pause);
	return ch_pg_change(tx, CH_PG_ORG_SET_AUTO_CLOSE, &p);
}

ch_err ch_store_pg_chat_idle_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each,
                                 void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	ch_pg_int(&p, limit > 0 ? limit : 0);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CHAT_IDLE_DUE, &p, &r);
	ch_chat_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = ch_pg_chat_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_chat_close_if_idle(ch_store_tx *tx, int64_t company_id, int64_t chat_id, int64_t now_ms,
                                      ch_chat_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_CHAT_OWNED, &p, &r);
	PQclear(r);
	if (err != CH_OK)
		return err;
	ch_pg_int(&p, now_ms);
	err = ch_pg_change(tx, CH_PG_CHAT_CLOSE_IF_IDLE, &p);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* no longer due: a message, a status change, a close */
	if (err == CH_OK && out)
		err = ch_store_pg_chat_get(tx, company_id, chat_id, out);
	return err;
}
