/* company.c — companies and their API keys in the PostgreSQL backend
 * (store.h, "companies", "company API keys"). Only a key's SHA-256 is stored.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/postgres/pg_int.h"

static ch_err company_fetch(ch_store_tx *tx, ch_pg_stmt id, ch_pg_params *p, ch_company_row *out)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, id, p, &r);
	if (err != CH_OK)
		return err;
	out->id = ch_pg_i64(r, 0, 0);
	err = ch_pg_str(r, 0, 1, out->login, sizeof out->login);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 3, out->password_hash, sizeof out->password_hash);
	out->created_at = ch_pg_i64(r, 0, 4);
	out->token_epoch = ch_pg_i64(r, 0, 5);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_company_create(ch_store_tx *tx, const char *login, const char *name,
                                  const char *password_hash, int64_t *id_out)
{
	ch_err err = ch_store_check_company(login, name, password_hash);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_text(&p, login);
	ch_pg_text(&p, name);
	ch_pg_text(&p, password_hash);
	ch_pg_int(&p, ch_now_ms());
	int64_t id = 0;
	err = ch_pg_one_int64(tx, CH_PG_COMPANY_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND) /* ON CONFLICT DO NOTHING: the login exists */
		return CH_ERR_CONFLICT;
	if (err == CH_OK && id_out)
		*id_out = id;
	return err;
}

ch_err ch_store_pg_company_by_login(ch_store_tx *tx, const char *login, ch_company_row *out)
{
	ch_pg_params p = {0};
	ch_pg_text(&p, login);
	return company_fetch(tx, CH_PG_COMPANY_BY_LOGIN, &p, out);
}

ch_err ch_store_pg_company_get(ch_store_tx *tx, int64_t id, ch_company_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, id);
	return company_fetch(tx, CH_PG_COMPANY_BY_ID, &p, out);
}

ch_err ch_store_pg_company_set_password(ch_store_tx *tx, int64_t id, const char *password_hash)
{
	ch_err err = ch_store_check_len(password_hash, CH_HASH_MAX, 0, "password hash");
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, id);
	ch_pg_text(&p, password_hash);
	err = ch_pg_change(tx, CH_PG_COMPANY_SET_PASSWORD, &p);
	if (err == CH_OK)
		tx->principals_changed = 1; /* the company's tokens were revoked */
	return err;
}

ch_err ch_store_pg_company_revoke_tokens(ch_store_tx *tx, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, id);
	ch_err err = ch_pg_change(tx, CH_PG_COMPANY_REVOKE, &p);
	if (err == CH_OK)
		tx->principals_changed = 1;
	return err;
}

/* ---- API keys */

static ch_err key_fill(const PGresult *r, int i, ch_api_key_row *out, int with_hash)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, 0);
	out->company_id = ch_pg_i64(r, i, 1);
	ch_err err = ch_pg_str(r, i, 2, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, 3, out->prefix, sizeof out->prefix);
	out->created_at = ch_pg_i64(r, i, 4);
	if (err != CH_OK || !with_hash)
		return err;
	unsigned char *hash;
	size_t n;
	if ((err = ch_pg_bytea(r, i, 5, &hash, &n)) != CH_OK)
		return err;
	if (n == CH_API_KEY_HASH)
		memcpy(out->hash, hash, CH_API_KEY_HASH);
	free(hash);
	return n == CH_API_KEY_HASH ? CH_OK : CH_ERR_STORE;
}

static ch_err key_each(ch_store_tx *tx, ch_pg_stmt id, ch_pg_params *p, int with_hash,
                       ch_api_key_each_fn each, void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	ch_api_key_row row;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = key_fill(r, i, &row, with_hash)) == CH_OK)
			each(ctx, &row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_api_key_create(ch_store_tx *tx, int64_t company_id, const char *name,
                                  const unsigned char hash[CH_API_KEY_HASH], const char *prefix,
                                  ch_api_key_row *out)
{
	int64_t n = 0, id = 0, now = ch_now_ms();
	ch_err err = ch_store_check_api_key(name, prefix);
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_API_KEY_COUNT, &p, &n);
	if (err == CH_OK && n >= CH_API_KEYS_MAX)
		return CH_ERR_CONFLICT;
	ch_pg_text(&p, name);
	ch_pg_bytes(&p, hash, CH_API_KEY_HASH);
	ch_pg_text(&p, prefix);
	ch_pg_int(&p, now);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_API_KEY_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* the hash exists */
	if (err == CH_OK)
		tx->principals_changed = 1; /* other processes' key tables load it */
	if (err == CH_OK && out)
		ch_store_fill_api_key(out, id, company_id, name, prefix, hash, now);
	return err;
}

ch_err ch_store_pg_api_key_list(ch_store_tx *tx, int64_t company_id, ch_api_key_each_fn each, void *ctx)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	return key_each(tx, CH_PG_API_KEY_LIST, &p, 0, each, ctx);
}

ch_err ch_store_pg_api_key_all(ch_store_tx *tx, ch_api_key_each_fn each, void *ctx)
{
	return key_each(tx, CH_PG_API_KEY_ALL, NULL, 1, each, ctx);
}

ch_err ch_store_pg_api_key_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_api_key_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_API_KEY_GET, &p, &r);
	if (err == CH_OK)
		err = key_fill(r, 0, out, 0);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_api_key_revoke(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	ch_err err = ch_pg_change(tx, CH_PG_API_KEY_DELETE, &p);
	if (err == CH_OK)
		tx->principals_changed = 1;
	return err;
}
