/* client.c — clients (the customer side of chats) in the PostgreSQL backend
 * (store.h, "clients"). A client with an external key is found again by
 * (organization, source, key) with one INSERT … ON CONFLICT, so two processes
 * upserting the same visitor at once end with one row. Scoped to a company.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/postgres/pg_int.h"

ch_err ch_store_pg_client_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_client_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_CLIENT_GET, &p, &r);
	if (err != CH_OK)
		return err;
	out->id = ch_pg_i64(r, 0, 0);
	out->company_id = ch_pg_i64(r, 0, 1);
	out->organization_id = ch_pg_i64(r, 0, 2);
	out->source = (int)ch_pg_i64(r, 0, 3);
	out->has_external_key = !ch_pg_isnull(r, 0, 7);
	out->created_at = ch_pg_i64(r, 0, 8);
	err = ch_pg_str(r, 0, 4, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 5, out->phone, sizeof out->phone);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 6, out->email, sizeof out->email);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 7, out->external_key, sizeof out->external_key);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_client_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id, int source,
                                 const char *external_key, const char *name, const char *phone,
                                 const char *email, ch_client_row *out)
{
	ch_err err = ch_store_check_client(source, external_key, name, phone, email);
	if (err == CH_OK)
		err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, source);
	ch_pg_text(&p, name);
	ch_pg_text(&p, phone);
	ch_pg_text(&p, email);
	ch_pg_text(&p, external_key);
	ch_pg_int(&p, ch_now_ms());
	int64_t id = 0;
	err = ch_pg_one_int64(tx, external_key ? CH_PG_CLIENT_UPSERT : CH_PG_CLIENT_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND)
		err = CH_ERR_INTERNAL;
	if (err == CH_OK && out)
		err = ch_store_pg_client_get(tx, company_id, id, out);
	return err;
}
