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
#include "core/utf8.h"
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

/* Its cursors: one per organization it takes, at the organization's latest eventSeq. */
static ch_err cursors_init(ch_store_tx *tx, int64_t id, int64_t company_id, int64_t org_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSORS_INIT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, org_id);
	err = ch_store_sqlite_bound(tx, st, rc, "webhook cursors");
	return err ? err : ch_store_sqlite_step_done(tx, st, "webhook cursors");
}

ch_err ch_store_sqlite_webhook_cursors_new_org(ch_store_tx *tx, int64_t company_id, int64_t org_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSORS_NEW_ORG, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "webhook cursors");
	return err ? err : ch_store_sqlite_step_done(tx, st, "webhook cursors");
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
	int64_t id = sqlite3_last_insert_rowid(tx->db);
	if (err == CH_OK)
		err = cursors_init(tx, id, in->company_id, in->organization_id);
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

/* ---- delivery cursors ------------------------------------------------------ */

/* Reads a cursor's columns from column first on (after the webhook's when claimed). */
static void cursor_fill(sqlite3_stmt *st, int first, ch_webhook_cursor_row *out)
{
	out->organization_id = sqlite3_column_int64(st, first);
	out->last_seq = sqlite3_column_int64(st, first + 1);
	out->attempts = sqlite3_column_int(st, first + 2);
	out->first_failure_at = sqlite3_column_int64(st, first + 3);
	out->next_attempt_at = sqlite3_column_int64(st, first + 4);
}

static ch_err lease(ch_store_tx *tx, const ch_webhook_cursor_row *c)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSOR_LEASE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, c->hook.id, c->organization_id, "webhook claim");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, c->lease_until), "webhook claim");
	return err ? err : ch_store_sqlite_step_done(tx, st, "webhook claim");
}

ch_err ch_store_sqlite_webhook_cursor_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                                            ch_webhook_cursor_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	if (limit <= 0 || limit > 1000 || lease_ms < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSOR_CLAIMABLE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, limit, "webhook claim");
	if (err != CH_OK)
		return err;
	ch_webhook_cursor_row *rows = ch_xcalloc((size_t)limit, sizeof *rows);
	size_t n = 0;
	int rc;
	while (err == CH_OK && n < (size_t)limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = fill(st, &rows[n].hook)) == CH_OK) {
			cursor_fill(st, 11, &rows[n]);
			rows[n++].lease_until = now_ms + lease_ms;
		}
	if (err == CH_OK && n < (size_t)limit && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "webhook claim");
	ch_store_sqlite_reset(st);
	/* one writer: nobody claims between the read and the leases */
	for (size_t i = 0; err == CH_OK && i < n; i++)
		err = lease(tx, &rows[i]);
	for (size_t i = 0; err == CH_OK && i < n; i++)
		each(ctx, &rows[i]);
	free(rows);
	return err;
}

/* Statement id over (?1 webhook id, ?2 value). */
static ch_err hook_set(ch_store_tx *tx, ch_stmt_id id, int64_t webhook_id, int64_t v, const char *text)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, id, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, webhook_id);
	if (rc == SQLITE_OK)
		rc = text ? sqlite3_bind_text(st, 2, text, (int)ch_utf8_prefix(text, strlen(text), CH_WEBHOOK_ERROR_MAX),
		                              SQLITE_STATIC)
		          : sqlite3_bind_int64(st, 2, v);
	err = ch_store_sqlite_bound(tx, st, rc, "webhook state");
	return err ? err : ch_store_sqlite_step_done(tx, st, "webhook state");
}

ch_err ch_store_sqlite_webhook_cursor_update(ch_store_tx *tx, const ch_webhook_attempt *a)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSOR_UPDATE, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, a->webhook_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, a->organization_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, a->lease_until);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, a->last_seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, a->attempts);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, a->first_failure_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, a->next_attempt_at);
	err = ch_store_sqlite_bound(tx, st, rc, "webhook cursor");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "webhook cursor");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		return CH_ERR_CONFLICT; /* the lease is no longer this one */
	if (err == CH_OK && a->delivered)
		err = hook_set(tx, CH_STMT_WEBHOOK_DELIVERED, a->webhook_id, a->now_ms, NULL);
	if (err == CH_OK && a->error)
		err = hook_set(tx, CH_STMT_WEBHOOK_FAILED, a->webhook_id, 0, a->error);
	if (err == CH_OK && a->failing)
		err = hook_set(tx, CH_STMT_WEBHOOK_MARK_FAILING, a->webhook_id, a->now_ms, NULL);
	return err;
}

ch_err ch_store_sqlite_webhook_cursors(ch_store_tx *tx, int64_t company_id, int64_t id,
                                       ch_webhook_cursor_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_WEBHOOK_GET, company_id, id, "webhook check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_CURSOR_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "webhook cursors");
	if (err != CH_OK)
		return err;
	ch_webhook_cursor_row *row = ch_xcalloc(1, sizeof *row);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cursor_fill(st, 0, row);
		each(ctx, row);
	}
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "webhook cursors");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_webhook_failing_count(ch_store_tx *tx, int64_t *n)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_WEBHOOK_FAILING_COUNT, &st);
	return err ? err : ch_store_sqlite_one_int64(tx, st, "webhook failing", n);
}
