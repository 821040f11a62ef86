/* label.c — labels and the labels set on chats in the SQLite backend
 * (store.h, "labels"). A name's uniqueness is the UNIQUE (organization,
 * name_key) constraint that the insert skips (OR IGNORE) and answers as
 * CH_ERR_CONFLICT; budgets are counted in the write job (one writer runs every
 * job in turn, so the count stays true until the insert).
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/label.h"
#include "store/sqlite/sqlite_int.h"

/* Reads CH_SQL_LABEL_COLS from column first on. */
static ch_err label_fill(sqlite3_stmt *st, int first, ch_label_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, first);
	out->company_id = sqlite3_column_int64(st, first + 1);
	out->organization_id = sqlite3_column_int64(st, first + 2);
	ch_err err = ch_store_sqlite_col_text(st, first + 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, first + 4, out->color, sizeof out->color);
	out->created_at = sqlite3_column_int64(st, first + 5);
	return err;
}

static ch_err count_of(ch_store_tx *tx, int64_t org_id, int64_t *n)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_COUNT, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, org_id), "label count");
	return err ? err : ch_store_sqlite_one_int64(tx, st, "label count", n);
}

static ch_err insert(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *name, const char *key,
                     const char *color, int64_t now)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, key);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, color);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, now);
	err = ch_store_sqlite_bound(tx, st, rc, "label create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "label create");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		return CH_ERR_CONFLICT; /* the organization has this name */
	return err;
}

ch_err ch_store_sqlite_label_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *name,
                                    const char *color, ch_label_row *out)
{
	int64_t n = 0, now = ch_now_ms();
	char key[CH_LABEL_NAME_MAX + 1], col[CH_LABEL_COLOR_LEN + 1];
	ch_err err = ch_store_label_check(name, color);
	if (err == CH_OK)
		err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id, "organization check");
	if (err == CH_OK)
		err = count_of(tx, org_id, &n);
	if (err == CH_OK && n >= CH_LABELS_PER_ORG_MAX)
		return CH_ERR_CONFLICT;
	if (err != CH_OK)
		return err;
	ch_store_label_key(name, key);
	ch_store_label_color(color, n, col);
	err = insert(tx, company_id, org_id, name, key, col, now);
	if (err == CH_OK && out) {
		memset(out, 0, sizeof *out);
		out->id = sqlite3_last_insert_rowid(tx->db);
		out->company_id = company_id;
		out->organization_id = org_id;
		memcpy(out->name, name, strlen(name) + 1);
		memcpy(out->color, col, sizeof col);
		out->created_at = now;
	}
	return err;
}

ch_err ch_store_sqlite_label_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, ch_label_each_fn each,
                                  void *ctx)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id, "organization check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_LIST, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "label list");
	if (err != CH_OK)
		return err;
	ch_label_row row;
	int rc;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = label_fill(st, 0, &row)) == CH_OK)
			each(ctx, &row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "label list");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_label_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_label_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "label get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = label_fill(st, 0, out);
	else
		err = rc == SQLITE_DONE ? CH_ERR_NOT_FOUND : ch_store_sqlite_fail(tx, rc, "label get");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_label_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	sqlite3_stmt *st;
	/* the chats' rows follow by cascade */
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_DELETE, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "label delete");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "label delete");
	return ch_store_sqlite_matched(tx, err);
}

/* Whether all n labels (ids as JSON text, no repeats) are the organization's. */
static ch_err all_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *ids, size_t n)
{
	sqlite3_stmt *st;
	int64_t found = 0;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_LABEL_COUNT_IN_ORG, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "label check");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, ch_store_sqlite_bind_text(st, 3, ids), "label check");
	if (err == CH_OK)
		err = ch_store_sqlite_one_int64(tx, st, "label check", &found);
	return err ? err : (size_t)found == n ? CH_OK : CH_ERR_NOT_FOUND;
}

static ch_err replace(ch_store_tx *tx, int64_t chat_id, const char *ids, size_t n)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_LABELS_CLEAR, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int64(st, 1, chat_id), "chat labels");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "chat labels");
	if (err != CH_OK || n == 0)
		return err;
	err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_LABELS_ADD, &st);
	int rc = SQLITE_OK;
	if (err == CH_OK && (rc = sqlite3_bind_int64(st, 1, chat_id)) == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, ids);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, rc, "chat labels");
	return err ? err : ch_store_sqlite_step_done(tx, st, "chat labels");
}

ch_err ch_store_sqlite_chat_labels_set(ch_store_tx *tx, int64_t company_id, int64_t chat_id,
                                       const int64_t *label_ids, size_t n)
{
	ch_chat_row *chat = ch_xmalloc(sizeof *chat);
	ch_err err = ch_store_label_ids_check(label_ids, n);
	if (err == CH_OK)
		err = ch_store_sqlite_chat_lock(tx, company_id, chat_id, chat);
	char *ids = ch_store_ids_text(label_ids, n, '[', ']');
	if (err == CH_OK && n)
		err = all_in_org(tx, company_id, chat->organization_id, ids, n);
	if (err == CH_OK)
		err = replace(tx, chat_id, ids, n);
	free(ids);
	free(chat);
	return err;
}

ch_err ch_store_sqlite_chat_labels(ch_store_tx *tx, int64_t company_id, const int64_t *chat_ids, size_t n,
                                   ch_chat_label_each_fn each, void *ctx)
{
	if (n == 0)
		return CH_OK;
	sqlite3_stmt *st;
	char *ids = ch_store_ids_text(chat_ids, n, '[', ']');
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CHAT_LABELS_OF, &st);
	int rc = SQLITE_OK;
	if (err == CH_OK && (rc = sqlite3_bind_int64(st, 1, company_id)) == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, ids);
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, rc, "chat labels of");
	if (err != CH_OK) {
		free(ids);
		return err;
	}
	ch_label_row row;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = label_fill(st, 1, &row)) == CH_OK)
			each(ctx, sqlite3_column_int64(st, 0), &row);
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "chat labels of");
	ch_store_sqlite_reset(st);
	free(ids);
	return err;
}
