/* operator.c — operators in the SQLite backend (store.h, "operators").
 * Every function is scoped to a company: an operator or organization of
 * another company answers CH_ERR_NOT_FOUND like a missing one.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "core/clock.h"
#include "store/sqlite/sqlite_int.h"

static ch_err operator_fill(sqlite3_stmt *st, ch_operator_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->organization_id = sqlite3_column_int64(st, 1);
	out->company_id = sqlite3_column_int64(st, 2);
	out->status = sqlite3_column_int(st, 5);
	out->has_external_id = sqlite3_column_type(st, 6) != SQLITE_NULL;
	out->token_epoch = sqlite3_column_int64(st, 7);
	out->created_at = sqlite3_column_int64(st, 8);
	ch_err err = ch_store_sqlite_col_text(st, 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 4, out->org_name, sizeof out->org_name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 6, out->external_id, sizeof out->external_id);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 9, out->photo, sizeof out->photo);
	return err;
}

/* Binds ?1 company_id and ?2 a second id, the shape of most lookups here. */
static ch_err bind_scope(ch_store_tx *tx, sqlite3_stmt *st, int64_t company_id, int64_t id,
                         const char *what)
{
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, id);
	return ch_store_sqlite_bound(tx, st, rc, what);
}

/* CH_OK when org_id is one of company_id's organizations, else NOT_FOUND. */
static ch_err org_owned(ch_store_tx *tx, int64_t company_id, int64_t org_id)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_OWNED, &st);
	if (err == CH_OK)
		err = bind_scope(tx, st, company_id, org_id, "organization check");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else if (rc != SQLITE_ROW)
		err = ch_store_sqlite_fail(tx, rc, "organization check");
	ch_store_sqlite_reset(st);
	return err;
}

static ch_err operator_each(ch_store_tx *tx, sqlite3_stmt *st, ch_operator_each_fn each,
                            void *ctx)
{
	ch_operator_row row;
	ch_err err = CH_OK;
	int rc = SQLITE_DONE;
	while (err == CH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		err = operator_fill(st, &row);
		if (err == CH_OK)
			each(ctx, &row);
	}
	if (err == CH_OK && rc != SQLITE_DONE)
		err = ch_store_sqlite_fail(tx, rc, "operator list");
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_operator_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                              int include_deleted, ch_operator_each_fn each, void *ctx)
{
	sqlite3_stmt *st;
	/* An empty list and a foreign organization must answer differently. */
	ch_err err = org_owned(tx, company_id, org_id);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_LIST, &st);
	if (err == CH_OK)
		err = bind_scope(tx, st, company_id, org_id, "operator list");
	if (err == CH_OK)
		err = ch_store_sqlite_bound(tx, st, sqlite3_bind_int(st, 3, include_deleted != 0),
		                            "operator list");
	if (err == CH_OK)
		err = operator_each(tx, st, each, ctx);
	return err;
}

ch_err ch_store_sqlite_operator_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_operator_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_GET, &st);
	if (err == CH_OK)
		err = bind_scope(tx, st, company_id, id, "operator get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = operator_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "operator get");
	ch_store_sqlite_reset(st);
	return err;
}

/* *id_out is the operator of org_id with external_id, or NOT_FOUND. */
static ch_err find_by_external_id(ch_store_tx *tx, int64_t org_id, const char *external_id,
                                  int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_BY_EXTID, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, external_id);
	err = ch_store_sqlite_bound(tx, st, rc, "operator by external id");
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_one_int64(tx, st, "operator by external id", id_out);
}

static ch_err operator_insert(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                              const char *name, const char *external_id, int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, company_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, external_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 5, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "operator create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "operator create");
	if (err == CH_OK)
		*id_out = sqlite3_last_insert_rowid(tx->db);
	return err;
}

static ch_err operator_rename(ch_store_tx *tx, int64_t id, const char *name)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_RENAME, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "operator update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "operator update");
	return err;
}

ch_err ch_store_sqlite_operator_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                const char *name, const char *external_id, ch_operator_row *out,
                                int *created_out)
{
	int64_t id = 0;
	int created = 1;
	ch_err err = ch_store_check_operator(name, external_id);
	if (err == CH_OK)
		err = org_owned(tx, company_id, org_id);
	/* Only the writer runs this, inside BEGIN IMMEDIATE: no other writer can
	 * slip a row in between the lookup and the insert. */
	if (err == CH_OK && external_id) {
		err = find_by_external_id(tx, org_id, external_id, &id);
		created = err == CH_ERR_NOT_FOUND;
		if (created)
			err = CH_OK;
	}
	if (err == CH_OK)
		err = created ? operator_insert(tx, company_id, org_id, name, external_id, &id)
		              : operator_rename(tx, id, name);
	if (err == CH_OK && !created)
		tx->principals_changed = 1; /* a Deleted operator may have come back */
	if (err == CH_OK && out)
		err = ch_store_sqlite_operator_get(tx, company_id, id, out);
	if (err == CH_OK && created_out)
		*created_out = created;
	return err;
}

ch_err ch_store_sqlite_operator_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                    ch_operator_row *out)
{
	sqlite3_stmt *st;
	if (status < CH_OPERATOR_ACTIVE || status > CH_OPERATOR_DELETED)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_SET_STATUS, &st);
	if (err == CH_OK)
		err = bind_scope(tx, st, company_id, id, "operator set status");
	if (err != CH_OK)
		return err;
	tx->principals_changed = 1; /* the status and token epoch of tokens' checks */
	int rc = sqlite3_bind_int(st, 3, status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "operator set status");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "operator set status");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK && out)
		err = ch_store_sqlite_operator_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_sqlite_operator_set_photo(ch_store_tx *tx, int64_t company_id, int64_t id, const char *photo,
                                   ch_operator_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_len(photo, CH_PHOTO_MAX, 1, "operator photo");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_OPERATOR_SET_PHOTO, &st);
	if (err == CH_OK)
		err = bind_scope(tx, st, company_id, id, "operator set photo");
	if (err != CH_OK)
		return err;
	int rc = ch_store_sqlite_bind_text(st, 3, photo ? photo : "");
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "operator set photo");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "operator set photo");
	if (err == CH_OK && sqlite3_changes(tx->db) == 0)
		err = CH_ERR_NOT_FOUND;
	if (err == CH_OK && out)
		err = ch_store_sqlite_operator_get(tx, company_id, id, out);
	return err;
}
