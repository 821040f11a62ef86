/* client.c — clients (the customer side of chats) in the SQLite backend
 * (store.h, "clients"). A client with an external key (a channel's user id,
 * or "sub:<sub>" of a userJWT) is found again by (organization, source, key);
 * one without is anonymous and created every time. Scoped to a company: a
 * client or organization of another company answers CH_ERR_NOT_FOUND.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/sqlite_int.h"

static ch_err client_fill(sqlite3_stmt *st, ch_client_row *out)
{
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->organization_id = sqlite3_column_int64(st, 2);
	out->source = sqlite3_column_int(st, 3);
	out->has_external_key = sqlite3_column_type(st, 7) != SQLITE_NULL;
	out->created_at = sqlite3_column_int64(st, 8);
	out->updated_at = sqlite3_column_int64(st, 15);
	out->chats_count = sqlite3_column_int64(st, 16);
	out->erased_at = sqlite3_column_int64(st, 17);
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
	ch_err err = CH_OK;
	for (size_t i = 0; err == CH_OK && i < sizeof t / sizeof t[0]; i++)
		err = ch_store_sqlite_col_text(st, t[i].col, t[i].dst, t[i].cap);
	return err;
}

ch_err ch_store_sqlite_client_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_client_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "client get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = client_fill(st, out);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "client get");
	ch_store_sqlite_reset(st);
	return err;
}

/* *id_out is the org's client with (source, key), or CH_ERR_NOT_FOUND. */
static ch_err find_by_key(ch_store_tx *tx, int64_t org_id, int source, const char *key,
                          int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_BY_KEY, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 2, source);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, key);
	err = ch_store_sqlite_bound(tx, st, rc, "client by key");
	if (err != CH_OK)
		return err;
	return ch_store_sqlite_one_int64(tx, st, "client by key", id_out);
}

typedef struct client_fields {
	int64_t company_id, org_id;
	int source;
	const char *key, *name, *phone, *email;
} client_fields;

static ch_err client_insert(ch_store_tx *tx, const client_fields *f, int64_t *id_out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, f->org_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, f->company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 3, f->source);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, f->name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 5, f->phone);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 6, f->email);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 7, f->key);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 8, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "client create");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "client create");
	if (err == CH_OK)
		*id_out = sqlite3_last_insert_rowid(tx->db);
	return err;
}

static ch_err client_update(ch_store_tx *tx, int64_t id, const client_fields *f)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_UPDATE, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 2, f->name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, f->phone);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, f->email);
	err = ch_store_sqlite_bound(tx, st, rc, "client update");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "client update");
	return err;
}

ch_err ch_store_sqlite_client_upsert(ch_store_tx *tx, int64_t company_id, int64_t org_id, int source,
                              const char *external_key, const char *name, const char *phone,
                              const char *email, ch_client_row *out)
{
	client_fields f = {company_id, org_id, source, external_key, name, phone, email};
	int64_t id = 0;
	int found = 0;
	ch_err err = ch_store_check_client(source, external_key, name, phone, email);
	if (err == CH_OK)
		err = ch_store_sqlite_owned(tx, CH_STMT_ORG_OWNED, company_id, org_id,
		                            "organization check");
	/* Only the writer runs this, inside BEGIN IMMEDIATE: nothing can slip a
	 * row in between the lookup and the insert. */
	if (err == CH_OK && external_key) {
		err = find_by_key(tx, org_id, source, external_key, &id);
		found = err == CH_OK;
		if (err == CH_ERR_NOT_FOUND)
			err = CH_OK;
	}
	if (err == CH_OK)
		err = found ? client_update(tx, id, &f) : client_insert(tx, &f, &id);
	if (err == CH_OK && out)
		err = ch_store_sqlite_client_get(tx, company_id, id, out);
	return err;
}

ch_err ch_store_sqlite_client_update(ch_store_tx *tx, int64_t company_id, int64_t id, const ch_client_change *ch,
                                     ch_client_row *out)
{
	sqlite3_stmt *st;
	ch_err err = ch_store_check_client_change(ch);
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_CLIENT_CHANGE, &st);
	if (err != CH_OK)
		return err;
	const char *v[] = {ch->name,       ch->phone,    ch->email,      ch->page_url,     ch->referrer,
	                   ch->language, ch->user_agent, ch->attributes, ch->verified_keys};
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, id);
	for (int i = 0; rc == SQLITE_OK && i < (int)(sizeof v / sizeof v[0]); i++)
		rc = ch_store_sqlite_bind_text(st, 3 + i, v[i]);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 12, ch_now_ms());
	err = ch_store_sqlite_bound(tx, st, rc, "client update");
	if (err == CH_OK)
		err = ch_store_sqlite_matched(tx, ch_store_sqlite_step_done(tx, st, "client update"));
	if (err == CH_OK && out)
		err = ch_store_sqlite_client_get(tx, company_id, id, out);
	return err;
}
