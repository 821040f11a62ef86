/* channel.c — messaging channels in the SQLite backend (store.h,
 * "channels"): the record of inbound messages already stored (dedupe by the
 * channel's own message id) and the outbound deliveries with their retries.
 * Both go with their message, hence with its chat (ON DELETE CASCADE).
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/utf8.h"
#include "store/sqlite/sqlite_int.h"

#define LAST_ERROR_MAX 1024 /* bytes of an attempt's error kept for operators */

/* *company_out is the company of message_id when it is a message of one of
 * org_id's chats; else CH_ERR_NOT_FOUND. */
static ch_err message_of_org(ch_store_tx *tx, int64_t org_id, int64_t message_id,
                             int64_t *company_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MESSAGE_COMPANY_IN_ORG, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, message_id, org_id, "message check");
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_one_int64(tx, st, "message check", company_out);
}

/* The message an org's external message id was stored as, or NOT_FOUND. */
static ch_err channel_find(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                           int64_t *message_id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_FIND, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, external_message_id);
	err = ch_store_sqlite_bound(tx, st, rc, "channel dedupe");
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_one_int64(tx, st, "channel dedupe", message_id_out);
}

ch_err ch_store_sqlite_channel_find(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                             int64_t *message_id_out)
{
	ch_err err = ch_store_check_len(external_message_id, CH_EXTID_MAX, 0, "external message id");
	int64_t id = 0;
	if (err == CH_OK)
		err = channel_find(tx, org_id, external_message_id, &id);
	if (err == CH_OK && message_id_out)
		*message_id_out = id; /* 0: recorded, and its message deleted since */
	return err;
}

ch_err ch_store_sqlite_channel_dedupe(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                               int64_t message_id, int64_t *message_id_out)
{
	sqlite3_stmt *st;
	int64_t first = 0, company = 0;
	ch_err err = ch_store_check_len(external_message_id, CH_EXTID_MAX, 0,
	                                       "external message id");
	if (err == CH_OK)
		err = channel_find(tx, org_id, external_message_id, &first);
	if (err == CH_OK) {
		if (message_id_out)
			*message_id_out = first;
		return CH_ERR_CONFLICT;
	}
	if (err != CH_ERR_NOT_FOUND)
		return err;
	err = message_of_org(tx, org_id, message_id, &company);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CHANNEL_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, external_message_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, message_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "channel dedupe");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "channel dedupe");
	if (err == CH_OK && message_id_out)
		*message_id_out = message_id;
	return err;
}

ch_err ch_store_sqlite_delivery_add(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t message_id,
                             const char *event_id, int64_t *id_out)
{
	sqlite3_stmt *st;
	int64_t company = 0;
	ch_err err = ch_store_check_len(event_id, CH_GUID_LEN, 0, "delivery event id");
	/* The message's chat ties it to the org and the org to its company. */
	if (err == CH_OK)
		err = message_of_org(tx, org_id, message_id, &company);
	if (err == CH_OK && company != company_id)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, message_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, event_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "delivery add");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "delivery add");
	if (err == CH_OK && id_out)
		*id_out = sqlite3_last_insert_rowid(tx->db);
	return err;
}

static ch_err delivery_fill(sqlite3_stmt *st, ch_delivery_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->message_id = sqlite3_column_int64(st, 3);
	out->attempts = sqlite3_column_int(st, 5);
	out->next_attempt_at = sqlite3_column_int64(st, 6);
	out->status = sqlite3_column_int(st, 7);
	out->chat_id = sqlite3_column_int64(st, 8);
	ch_err err = ch_store_sqlite_col_text(st, 4, out->event_id, sizeof out->event_id);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 9, out->platform_message_id, sizeof out->platform_message_id);
	return err;
}

ch_err ch_store_sqlite_delivery_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_delivery_each_fn each,
                             void *ctx)
{
	sqlite3_stmt *st;
	if (limit < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_DUE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, ch_store_sqlite_limit(limit),
		                               "delivery due");
	if (err != CH_OK)
		return err;
	ch_delivery_row row;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = delivery_fill(st, &row);
		if (err == CH_OK)
			each(ctx, &row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "delivery due");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_delivery_update(ch_store_tx *tx, int64_t id, int status, int attempts,
                                int64_t next_attempt_at, const char *last_error,
                                const char *platform_message_id)
{
	sqlite3_stmt *st;
	if (status < 0 || status > 2 || attempts < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_len(platform_message_id, CH_PLATFORM_MESSAGE_ID_MAX, 1, "platform message id");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_UPDATE, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, attempts);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, next_attempt_at);
	/* A diagnostic, not data: a long one (a peer's error page) is cut, on a
	 * UTF-8 boundary, rather than failing the record of the attempt. */
	if (rc == SQLITE_OK && last_error) {
		size_t n = ch_utf8_prefix(last_error, strlen(last_error), LAST_ERROR_MAX);
		rc = sqlite3_bind_text(st, 5, last_error, (int)n, SQLITE_STATIC);
	} else if (rc == SQLITE_OK) {
		rc = sqlite3_bind_null(st, 5);
	}
	if (rc == SQLITE_OK) /* NULL binds NULL: the stored id stays */
		rc = ch_store_sqlite_bind_text(st, 6, platform_message_id);
	err = ch_store_sqlite_bound(tx, st, rc, "delivery update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "delivery update");
	return ch_store_sqlite_matched(tx, err);
}

/* Leases the claimed rows, then hands them out (no statement is running when
 * each is called). */
static ch_err lease_and_emit(ch_store_tx *tx, ch_delivery_row *rows, size_t n, int64_t until,
                             ch_delivery_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = CH_OK;
	for (size_t i = 0; err == CH_OK && i < n; i++) {
		err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_LEASE, &st);
		if (err == CH_OK)
			err = ch_store_sqlite_bind_ids(tx, st, rows[i].id, until, "delivery lease");
		if (err == CH_OK)
			err = ch_store_sqlite_step_done(tx, st, "delivery lease");
	}
	for (size_t i = 0; err == CH_OK && i < n; i++)
		each(ctx, &rows[i]);
	return err;
}

ch_err ch_store_sqlite_delivery_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                                      ch_delivery_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	if (limit < 0 || lease_ms < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_CLAIMABLE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, now_ms, ch_store_sqlite_limit(limit), "delivery claim");
	if (err != CH_OK)
		return err;
	ch_delivery_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			rows = ch_xrealloc(rows, cap * sizeof *rows);
		}
		err = delivery_fill(st, &rows[n++]);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "delivery claim");
	ch_store_sqlite_reset(st);
	if (err == CH_OK)
		err = lease_and_emit(tx, rows, n, now_ms + lease_ms, each, ctx);
	free(rows);
	return err;
}

ch_err ch_store_sqlite_delivery_by_platform_id(ch_store_tx *tx, int64_t org_id, const char *platform_message_id,
                                               int64_t *message_id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_len(platform_message_id, CH_PLATFORM_MESSAGE_ID_MAX, 0, "platform message id");
	if (err == CH_OK && !platform_message_id[0])
		return CH_ERR_NOT_FOUND;
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_DELIVERY_BY_PLATFORM_ID, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, platform_message_id);
	err = ch_store_sqlite_bound(tx, st, rc, "delivery by platform id");
	int64_t id = 0;
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "delivery by platform id", &id);
	if (err == CH_OK && message_id_out)
		*message_id_out = id;
	return err;
}
