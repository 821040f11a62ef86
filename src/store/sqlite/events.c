/* events.c — organization events in the SQLite backend (store.h,
 * "organization events", migration 019): the batch's events numbered and
 * inserted by the writer before COMMIT, the log read in order, and the
 * retention trim.
 *
 * Threading: add and flush on the writer thread (its transaction); list and
 * head on the thread that owns tx; no state of their own. */
#include <stdlib.h>

#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

void ch_store_sqlite_tx_add_org_event(ch_store_tx *tx, const ch_org_event_new *ev)
{
	if (tx == tx->s->writer_conn)
		ch_oev_add(&tx->oevs, ev);
}

static ch_err insert_one(ch_store_tx *tx, int64_t seq, const ch_oev *e)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, e->organization_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, e->company_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, e->type);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, e->at);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, e->chat_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, e->message_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, e->client_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 9, ch_oev_data(e));
	err = ch_store_sqlite_bound(tx, st, rc, "event insert");
	return err ? err : ch_store_sqlite_step_done(tx, st, "event insert");
}

/* One organization's events of the batch: its head moves by n once. */
static ch_err flush_org(void *ctx, int64_t org_id, const ch_oev *events, size_t n)
{
	ch_store_tx *tx = ctx;
	sqlite3_stmt *st;
	int64_t last = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_HEAD_BUMP, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, org_id, (int64_t)n, "event head");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "event head", &last);
	for (size_t i = 0; err == CH_OK && i < n; i++)
		err = insert_one(tx, last - (int64_t)n + 1 + (int64_t)i, &events[i]);
	return err;
}

ch_err ch_store_sqlite_events_flush(ch_store_tx *tx) { return ch_oev_flush(&tx->oevs, flush_org, tx); }

static ch_err fill(sqlite3_stmt *st, ch_org_event_row *r)
{
	r->organization_id = sqlite3_column_int64(st, 0);
	r->seq = sqlite3_column_int64(st, 1);
	r->company_id = sqlite3_column_int64(st, 2);
	r->chat_id = sqlite3_column_int64(st, 3);
	r->message_id = sqlite3_column_int64(st, 4);
	r->client_id = sqlite3_column_int64(st, 5);
	r->at = sqlite3_column_int64(st, 6);
	ch_err err = ch_store_sqlite_col_text(st, 7, r->type, sizeof r->type);
	return err ? err : ch_store_sqlite_col_text(st, 8, r->data, sizeof r->data);
}

ch_err ch_store_sqlite_event_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,
                                  ch_org_event_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "event list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, after), "event list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 4, limit), "event list");
	if (err != CH_OK)
		return err;
	ch_org_event_row *row = ch_xmalloc(sizeof *row);
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = fill(st, row)) == CH_OK)
			each(ctx, row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "event list");
	ch_store_sqlite_reset(st);
	free(row);
	return err;
}

ch_err ch_store_sqlite_event_head(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t *last_seq,
                                  int64_t *trimmed_upto)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_HEAD, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "event head");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*last_seq = sqlite3_column_int64(st, 0);
		*trimmed_upto = sqlite3_column_int64(st, 1);
	} else {
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "event head");
	}
	ch_store_sqlite_reset(st);
	return err;
}

/* The highest seq of the organization's oldest `limit` kept events up to
 * which every event is older than older_than_ms (0: none). */
static ch_err trim_point(ch_store_tx *tx, int64_t org_id, int64_t from, int64_t older_than_ms, int64_t limit,
                         int64_t *upto)
{
	sqlite3_stmt *st;
	*upto = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_TRIM_SCAN, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, org_id, from, "event trim");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 3, limit), "event trim");
	if (err != CH_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_int64(st, 1) < older_than_ms)
		*upto = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "event trim");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err trim_org(ch_store_tx *tx, int64_t org_id, int64_t from, int64_t older_than_ms, int64_t *budget,
                       int64_t *deleted)
{
	int64_t upto = 0;
	sqlite3_stmt *st;
	ch_err err = trim_point(tx, org_id, from, older_than_ms, *budget, &upto);
	if (err != CH_OK || upto <= from)
		return err;
	if ((err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_TRIM_DELETE, &st)) == CH_OK &&
	    (err = ch_store_sqlite_bind_ids(tx, st, org_id, upto, "event trim")) == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "event trim");
	if (err == CH_OK) {
		int64_t n = sqlite3_changes(tx->db);
		*deleted += n;
		*budget -= n;
	}
	if (err == CH_OK && (err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_TRIM_MARK, &st)) == CH_OK &&
	    (err = ch_store_sqlite_bind_ids(tx, st, org_id, upto, "event trim")) == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "event trim");
	return err;
}

ch_err ch_store_sqlite_event_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t limit, int64_t *deleted)
{
	sqlite3_stmt *st;
	int64_t (*orgs)[2] = NULL;
	size_t n = 0, cap = 0;
	*deleted = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_EVENT_TRIM_ORGS, &st);
	if (err != CH_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			orgs = ch_xrealloc(orgs, cap * sizeof *orgs);
		}
		orgs[n][0] = sqlite3_column_int64(st, 0);
		orgs[n++][1] = sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "event trim");
	ch_store_sqlite_reset(st);
	int64_t budget = limit > 0 ? limit : INT64_MAX;
	for (size_t i = 0; err == CH_OK && i < n && budget > 0; i++)
		err = trim_org(tx, orgs[i][0], orgs[i][1], older_than_ms, &budget, deleted);
	free(orgs);
	return err;
}
