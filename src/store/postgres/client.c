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
	out->updated_at = ch_pg_i64(r, 0, 15);
	out->chats_count = ch_pg_i64(r, 0, 16);
	out->erased_at = ch_pg_i64(r, 0, 17);
	struct {
		int col;
		char *dst;
		size_t cap;
	} t[] = {{4, out->name, sizeof out->name},
	         {5, out->phone, sizeof out->phone},
	         {6, out->email, sizeof out->email},
	         {7, out->external_key, sizeof out->external_key},
	         {9, out->page_url, sizeof out->page_url},
	         {10, out->referrer, sizeof out->referrer},
	         {11, out->language, sizeof out->language},
	         {12, out->user_agent, sizeof out->user_agent},
	         {13, out->attributes, sizeof out->attributes},
	         {14, out->verified_keys, sizeof out->verified_keys}};
	for (size_t i = 0; err == CH_OK && i < sizeof t / sizeof t[0]; i++)
		err = ch_pg_str(r, 0, t[i].col, t[i].dst, t[i].cap);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_client_update(ch_store_tx *tx, int64_t company_id, int64_t id, const ch_client_change *ch,
                                 ch_client_row *out)
{
	ch_err err = ch_store_check_client_change(ch);
	if (err != CH_OK)
		return err;
	const char *v[] = {ch->name,       ch->phone,    ch->email,      ch->page_url,     ch->referrer,
	                   ch->language, ch->user_agent, ch->attributes, ch->verified_keys};
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		ch_pg_text(&p, v[i]);
	ch_pg_int(&p, ch_now_ms());
	err = ch_pg_change(tx, CH_PG_CLIENT_CHANGE, &p);
	if (err == CH_OK && out)
		err = ch_store_pg_client_get(tx, company_id, id, out);
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
