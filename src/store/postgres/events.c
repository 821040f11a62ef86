/* events.c — organization events in the PostgreSQL backend (store.h,
 * "organization events", migration 019): the batch's events numbered and
 * inserted by the writer just before COMMIT — per organization one UPDATE of
 * its head (a row lock held to COMMIT; organizations in ascending id order, so
 * two processes' batches never wait on each other in a cycle) and one INSERT of
 * all its events as a JSON array — the log read in order, and the trim.
 *
 * Threading: add and flush on the writer thread (its transaction); the rest
 * on the thread that owns tx; no state of their own. */
#include <inttypes.h>
#include <stdlib.h>

#include "core/log.h"
#include "store/postgres/pg_int.h"

void ch_store_pg_tx_add_org_event(ch_store_tx *tx, const ch_org_event_new *ev)
{
	if (tx == tx->s->writer_conn)
		ch_oev_add(&tx->oevs, ev);
}

/* [{"c":company,"t":type,"a":at,"h":chat,"m":message,"l":client,"d":{…}}, …];
 * the type is [a-z._] and the data a JSON object (events.c checked both). */
static void events_json(const ch_oev *events, size_t n, ch_buf *b)
{
	ch_buf_puts(b, "[");
	for (size_t i = 0; i < n; i++) {
		const ch_oev *e = &events[i];
		ch_buf_printf(b, "%s{\"c\":%" PRId64 ",\"t\":\"%s\",\"a\":%" PRId64 ",\"h\":%" PRId64 ",\"m\":%" PRId64
		                 ",\"l\":%" PRId64 ",\"d\":",
		              i ? "," : "", e->company_id, e->type, e->at, e->chat_id, e->message_id, e->client_id);
		ch_buf_puts(b, ch_oev_data(e));
		ch_buf_puts(b, "}");
	}
	ch_buf_append(b, "]", 2); /* with the NUL */
}

static ch_err flush_org(void *ctx, int64_t org_id, const ch_oev *events, size_t n)
{
	ch_store_tx *tx = ctx;
	ch_pg_params p = {0};
	int64_t last = 0;
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, (int64_t)n);
	ch_err err = ch_pg_one_int64(tx, CH_PG_EVENT_HEAD_BUMP, &p, &last);
	if (err != CH_OK)
		return err;
	ch_buf b = CH_BUF_INIT;
	events_json(events, n, &b);
	ch_pg_params q = {0};
	ch_pg_int(&q, org_id);
	ch_pg_int(&q, last - (int64_t)n + 1);
	ch_pg_text(&q, b.data);
	err = ch_pg_exec(tx, CH_PG_EVENT_INSERT_MANY, &q, NULL);
	ch_buf_free(&b);
	return err;
}

ch_err ch_pg_events_flush(ch_store_tx *tx) { return ch_oev_flush(&tx->oevs, flush_org, tx); }

static ch_err fill(const PGresult *r, int i, ch_org_event_row *out)
{
	out->organization_id = ch_pg_i64(r, i, 0);
	out->seq = ch_pg_i64(r, i, 1);
	out->company_id = ch_pg_i64(r, i, 2);
	out->chat_id = ch_pg_i64(r, i, 3);
	out->message_id = ch_pg_i64(r, i, 4);
	out->client_id = ch_pg_i64(r, i, 5);
	out->at = ch_pg_i64(r, i, 6);
	ch_err err = ch_pg_str(r, i, 7, out->type, sizeof out->type);
	return err ? err : ch_pg_str(r, i, 8, out->data, sizeof out->data);
}

ch_err ch_store_pg_event_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,
                              ch_org_event_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, after);
	ch_pg_int(&p, limit);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_EVENT_LIST, &p, &r);
	ch_org_event_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_event_head(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t *last_seq,
                              int64_t *trimmed_upto)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_EVENT_HEAD, &p, &r);
	if (err == CH_OK) {
		*last_seq = ch_pg_i64(r, 0, 0);
		*trimmed_upto = ch_pg_i64(r, 0, 1);
	}
	PQclear(r);
	return err;
}

static ch_err trim_org(ch_store_tx *tx, int64_t org_id, int64_t from, int64_t older_than_ms, int64_t *budget,
                       int64_t *deleted)
{
	ch_pg_params p = {0};
	int64_t upto = 0;
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, from);
	ch_pg_int(&p, older_than_ms);
	ch_pg_int(&p, *budget);
	ch_err err = ch_pg_one_int64(tx, CH_PG_EVENT_TRIM_POINT, &p, &upto);
	if (err != CH_OK || upto <= from)
		return err;
	ch_pg_params q = {0};
	ch_pg_int(&q, org_id);
	ch_pg_int(&q, upto);
	PGresult *r = NULL;
	if ((err = ch_pg_exec(tx, CH_PG_EVENT_TRIM_DELETE, &q, &r)) == CH_OK) {
		*deleted += ch_pg_changed(r);
		*budget -= ch_pg_changed(r);
	}
	PQclear(r);
	return err ? err : ch_pg_exec(tx, CH_PG_EVENT_TRIM_MARK, &q, NULL);
}

ch_err ch_store_pg_event_trim(ch_store_tx *tx, int64_t older_than_ms, int64_t limit, int64_t *deleted)
{
	PGresult *r = NULL;
	*deleted = 0;
	ch_err err = ch_pg_exec(tx, CH_PG_EVENT_TRIM_ORGS, NULL, &r);
	int64_t budget = limit > 0 ? limit : INT64_MAX;
	for (int i = 0; err == CH_OK && i < PQntuples(r) && budget > 0; i++)
		err = trim_org(tx, ch_pg_i64(r, i, 0), ch_pg_i64(r, i, 1), older_than_ms, &budget, deleted);
	PQclear(r);
	return err;
}
