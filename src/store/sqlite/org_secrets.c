/* org_secrets.c — per-organization secrets and settings in the SQLite backend
 * (store.h, "organizations: per-organization secrets and settings"): the
 * columns migration 002 adds to organizations. Scoped to a company like
 * org.c: another company's organization answers CH_ERR_NOT_FOUND.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_org_secrets_get(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                ch_org_secrets *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_ORG_SECRETS_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, org_id, "organization secrets");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		err = ch_store_sqlite_col_text(st, 0, out->identity_secret,
		                               sizeof out->identity_secret);
		if (err == CH_OK)
			err = ch_store_sqlite_col_text(st, 1, out->channel_secret,
			                               sizeof out->channel_secret);
		if (err == CH_OK)
			err = ch_store_sqlite_col_text(st, 2, out->outbound_url,
			                               sizeof out->outbound_url);
		out->prechat_form = sqlite3_column_int(st, 3);
		out->operators_manage_canned = sqlite3_column_int(st, 4);
	} else if (rc == SQLITE_DONE) {
		err = CH_ERR_NOT_FOUND;
	} else {
		err = ch_store_sqlite_fail(tx, rc, "organization secrets");
	}
	ch_store_sqlite_reset(st);
	return err;
}

ch_err ch_store_sqlite_org_secrets_set(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                const char *identity_secret, const char *channel_secret,
                                const char *outbound_url, int prechat_form)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_org_secrets(identity_secret, channel_secret, outbound_url);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_ORG_SECRETS_SET, &st);
	if (err != CH_OK)
		return err;
	/* NULL parameters keep the column (COALESCE in the statement). */
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, org_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, identity_secret);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, channel_secret);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, outbound_url);
	if (rc == SQLITE_OK)
		rc = prechat_form < 0 ? sqlite3_bind_null(st, 6)
		                      : sqlite3_bind_int(st, 6, prechat_form != 0);
	err = ch_store_sqlite_bound(tx, st, rc, "organization secrets update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "organization secrets update");
	return ch_store_sqlite_matched(tx, err);
}
