/* org.c — organizations, their secrets and settings, and their operators in
 * the PostgreSQL backend (store.h, "organizations", "operators"). Every
 * lookup but by_guid and list_all is scoped to a company: another company's
 * row answers CH_ERR_NOT_FOUND like a missing one.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "store/postgres/pg_int.h"

static ch_err org_fill(const PGresult *r, int i, ch_org_row *out)
{
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	ch_err err = ch_pg_str(r, i, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 3, out->guid, sizeof out->guid);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 4, out->allowed_origins, sizeof out->allowed_origins);
	out->max_chats_per_operator = ch_pg_i64(r, i, 5);
	out->created_at = ch_pg_i64(r, i, 6);
	out->auto_close_waiting = ch_pg_i64(r, i, 7);
	out->auto_close_open = ch_pg_i64(r, i, 8);
	out->auto_close_on_pause = ch_pg_i64(r, i, 9);
	out->csat_enabled = (int)ch_pg_i64(r, i, 10);
	out->retention_days = ch_pg_i64(r, i, 11);
	return err;
}

static ch_err org_fetch(ch_store_tx *tx, ch_pg_stmt id, ch_pg_params *p, ch_org_row *out)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, p, &r);
	if (err == CH_OK)
		err = org_fill(r, 0, out);
	PQclear(r);
	return err;
}

static ch_err org_each(ch_store_tx *tx, ch_pg_stmt id, ch_pg_params *p, ch_org_each_fn each, void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	ch_org_row row;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = org_fill(r, i, &row)) == CH_OK)
			each(ctx, &row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_org_create(ch_store_tx *tx, int64_t company_id, const char *name, const char *guid,
                              int64_t *id_out)
{
	ch_err err = ch_store_check_org(name, guid);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_text(&p, name);
	ch_pg_text(&p, guid);
	ch_pg_int(&p, ch_now_ms());
	int64_t id = 0;
	err = ch_pg_one_int64(tx, CH_PG_ORG_INSERT, &p, &id);
	if (err == CH_OK) /* the company's webhooks of all organizations take it too */
		err = ch_pg_webhook_cursors_new_org(tx, company_id, id);
	if (err == CH_OK && id_out)
		*id_out = id;
	return err;
}

ch_err ch_store_pg_org_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_org_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return org_fetch(tx, CH_PG_ORG_GET, &p, out);
}

ch_err ch_store_pg_org_by_guid(ch_store_tx *tx, const char *guid, ch_org_row *out)
{
	ch_pg_params p = {0};
	ch_pg_text(&p, guid);
	return org_fetch(tx, CH_PG_ORG_BY_GUID, &p, out);
}

ch_err ch_store_pg_org_update(ch_store_tx *tx, int64_t company_id, int64_t id, const char *name,
                              const char *allowed_origins_json, int64_t max_chats_per_operator)
{
	ch_err err = ch_store_check_org_update(name, allowed_origins_json);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_pg_text(&p, name);
	ch_pg_text(&p, allowed_origins_json);
	if (max_chats_per_operator < 0)
		ch_pg_null(&p);
	else
		ch_pg_int(&p, max_chats_per_operator);
	return ch_pg_change(tx, CH_PG_ORG_UPDATE, &p);
}

ch_err ch_store_pg_org_list(ch_store_tx *tx, int64_t company_id, ch_org_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	return org_each(tx, CH_PG_ORG_LIST, &p, each, ctx);
}

ch_err ch_store_pg_org_list_all(ch_store_tx *tx, ch_org_each_fn each, void *ctx)
{
	return org_each(tx, CH_PG_ORG_LIST_ALL, NULL, each, ctx);
}

ch_err ch_store_pg_org_secrets_get(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                   ch_org_secrets *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_ORG_SECRETS_GET, &p, &r);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 0, out->identity_secret, sizeof out->identity_secret);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 1, out->channel_secret, sizeof out->channel_secret);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 2, out->outbound_url, sizeof out->outbound_url);
	if (err == CH_OK)
		out->prechat_form = (int)ch_pg_i64(r, 0, 3);
	if (err == CH_OK)
		out->operators_manage_canned = (int)ch_pg_i64(r, 0, 4);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_org_secrets_set(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                   const char *identity_secret, const char *channel_secret,
                                   const char *outbound_url, int prechat_form)
{
	ch_err err = ch_store_check_org_secrets(identity_secret, channel_secret, outbound_url);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, identity_secret);
	ch_pg_text(&p, channel_secret);
	ch_pg_text(&p, outbound_url);
	if (prechat_form < 0)
		ch_pg_null(&p);
	else
		ch_pg_int(&p, prechat_form != 0);
	return ch_pg_change(tx, CH_PG_ORG_SECRETS_SET, &p);
}

/* ---- operators */

static ch_err operator_fill(const PGresult *r, int i, ch_operator_row *out)
{
	out->id = ch_pg_i64(r, i, 0);
	out->organization_id = ch_pg_i64(r, i, 1);
	out->company_id = ch_pg_i64(r, i, 2);
	out->status = (int)ch_pg_i64(r, i, 5);
	out->has_external_id = !ch_pg_isnull(r, i, 6);
	out->token_epoch = ch_pg_i64(r, i, 7);
	out->created_at = ch_pg_i64(r, i, 8);
	ch_err err = ch_pg_str(r, i, 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 4, out->org_name, sizeof out->org_name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 6, out->external_id, sizeof out->external_id);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 9, out->photo, sizeof out->photo);
	return err;
}

ch_err ch_store_pg_operator_list(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                 int include_deleted, ch_operator_each_fn each, void *ctx)
{
	/* An empty list and a foreign organization must answer differently. */
	ch_err err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, include_deleted != 0);
	PGresult *r = NULL;
	err = ch_pg_exec(tx, CH_PG_OPERATOR_LIST, &p, &r);
	ch_operator_row *row = ch_xmalloc(sizeof *row);
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = operator_fill(r, i, row)) == CH_OK)
			each(ctx, row);
	free(row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_operator_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_operator_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_OPERATOR_GET, &p, &r);
	if (err == CH_OK)
		err = operator_fill(r, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_operator_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id,
                                   const char *name, const char *external_id, ch_operator_row *out,
                                   int *created_out)
{
	ch_err err = ch_store_check_operator(name, external_id);
	if (err == CH_OK)
		err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, company_id);
	ch_pg_text(&p, name);
	ch_pg_text(&p, external_id);
	ch_pg_int(&p, ch_now_ms());
	PGresult *r = NULL;
	/* With an external id one statement finds or creates it, even when another
	 * process syncs the same operator at the same moment. */
	err = ch_pg_one(tx, external_id ? CH_PG_OPERATOR_UPSERT : CH_PG_OPERATOR_INSERT, &p, &r);
	if (err != CH_OK)
		return err == CH_ERR_NOT_FOUND ? CH_ERR_INTERNAL : err;
	int64_t id = ch_pg_i64(r, 0, 0);
	int created = external_id ? (int)ch_pg_i64(r, 0, 1) : 1;
	PQclear(r);
	if (!created)
		tx->principals_changed = 1; /* a Deleted operator may have come back */
	if (out)
		err = ch_store_pg_operator_get(tx, company_id, id, out);
	if (err == CH_OK && created_out)
		*created_out = created;
	return err;
}

ch_err ch_store_pg_operator_set_status(ch_store_tx *tx, int64_t company_id, int64_t id, int status,
                                       ch_operator_row *out)
{
	if (status < CH_OPERATOR_ACTIVE || status > CH_OPERATOR_DELETED)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_pg_int(&p, status);
	ch_pg_int(&p, ch_now_ms());
	ch_err err = ch_pg_change(tx, CH_PG_OPERATOR_SET_STATUS, &p);
	if (err == CH_OK)
		tx->principals_changed = 1; /* the status and token epoch of tokens' checks */
	if (err == CH_OK && out)
		err = ch_store_pg_operator_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_pg_operator_set_photo(ch_store_tx *tx, int64_t company_id, int64_t id, const char *photo,
                                      ch_operator_row *out)
{
	ch_err err = ch_store_check_len(photo, CH_PHOTO_MAX, 1, "operator photo");
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_pg_text(&p, photo ? photo : "");
	ch_pg_int(&p, ch_now_ms());
	err = ch_pg_change(tx, CH_PG_OPERATOR_SET_PHOTO, &p);
	if (err == CH_OK && out)
		err = ch_store_pg_operator_get(tx, company_id, id, out);
	return err;
}
