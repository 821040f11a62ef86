/* webhook.c — a company's webhooks in the SQLite backend (store.h,
 * "webhooks"). The budget is counted in the write job (one writer runs every
 * job in turn, so the count stays true until the insert); a webhook's cursors
 * go with it by cascade.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

/* Reads CH_SQL_WEBHOOK_COLS. */
static ch_err fill(sqlite3_stmt *st, ch_webhook_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	ch_err err = ch_store_sqlite_col_text(st, 3, out->url, sizeof out->url);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 4, out->events, sizeof out->events);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 5, out->secret, sizeof out->secret);
	out->status = sqlite3_column_int(st, 6);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 7, out->last_error, sizeof out->last_error);
	out->last_success_at = sqlite3_column_int64(st, 8);
	out->failing_since = sqlite3_column_int64(st, 9);
	out->created_at = sqlite3_column_int64(st, 10);
	return err;
}

static ch_err count_of(ch_store_tx *tx, int64_t company_id, int64_t *n)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_COUNT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, company_id), "webhook count");
	return err ? err : ch_store_sqlite_one_int64(tx, st, "webhook count", n);
}

static ch_err insert(ch_store_tx *tx, const ch_webhook_row *in, int64_t now)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, in->company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, in->organization_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, in->url);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, in->events);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, in->secret);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, now);
	err = ch_store_sqlite_bound(tx, st, rc, "webhook create");
	return err ? err : ch_store_sqlite_step_done(tx, st, "webhook create");
}

ch_err ch_store_sqlite_webhook_create(ch_store_tx *tx, const ch_webhook_row *in, ch_webhook_row *out)
{
	int64_t n = 0, now = ch_now_ms();
	if (!in->url[0] || memchr(in->url, 0, sizeof in->url) == NULL || !memchr(in->secret, 0, sizeof in->secret) ||
	    !memchr(in->events, 0, sizeof in->events) || !in->secret[0])
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = CH_OK;
	if (in->organization_id)
		err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, in->company_id, in->organization_id,
		                            "organization check");
	if (err == CH_OK)
		err = count_of(tx, in->company_id, &n);
	if (err == CH_OK && n >= CH_WEBHOOKS_PER_COMPANY_MAX)
		return CH_ERR_CONFLICT;
	if (err == CH_OK)
		err = insert(tx, in, now);
	if (err == CH_OK && out) {
		int64_t id = sqlite3_last_insert_rowid(tx->db);
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

ch_err ch_store_sqlite_webhook_list(ch_store_tx *tx, int64_t company_id, ch_webhook_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, company_id), "webhook list");
	if (err != CH_OK)
		return err;
	ch_webhook_row *row = ch_xmalloc(sizeof *row);
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = fill(st, row)) == CH_OK)
			each(ctx, row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "webhook list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_webhook_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "webhook get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = fill(st, out);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "webhook get");
	ch_store_sqlite_reset(st);
	return err;
}

/* Statement id over (company_id, id): CH_ERR_NOT_FOUND when it matched no row. */
static ch_err change(ch_store_tx *tx, ch_stmt_id id_stmt, int64_t company_id, int64_t id, const char *what)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id_stmt, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, what);
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, what);
	return ch_store_sqlite_matched(tx, err);
}

ch_err ch_store_sqlite_webhook_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	return change(tx, CH_STMT_WEBHOOK_DELETE, company_id, id, "webhook delete");
}

ch_err ch_store_sqlite_webhook_enable(ch_store_tx *tx, int64_t company_id, int64_t id, ch_webhook_row *out)
{
	sqlite3_stmt *st;
	ch_err err = change(tx, CH_STMT_WEBHOOK_ENABLE, company_id, id, "webhook enable");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSORS_RESET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, id), "webhook enable");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "webhook enable");
	if (err == CH_OK && out)
		err = ch_store_sqlite_webhook_get(tx, company_id, id, out);
	return err;
}
