/* label.c — labels and the labels set on chats in the PostgreSQL backend
 * (store.h, "labels"). A name's uniqueness is the UNIQUE (organization,
 * name_key) constraint that the insert skips (ON CONFLICT DO NOTHING) and
 * answers as CH_ERR_CONFLICT; id lists travel as one bigint[] parameter.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "store/label.h"
#include "store/postgres/pg_int.h"

/* Reads CH_PG_LABEL_COLS from column first on. */
static ch_err label_fill(const PGresult *r, int i, int first, ch_label_row *out)
{
	memset(out, 0, sizeof *out);
	out->id = ch_pg_i64(r, i, first);
	out->company_id = ch_pg_i64(r, i, first + 1);
	out->organization_id = ch_pg_i64(r, i, first + 2);
	ch_err err = ch_pg_str(r, i, first + 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, i, first + 4, out->color, sizeof out->color);
	out->created_at = ch_pg_i64(r, i, first + 5);
	return err;
}

ch_err ch_store_pg_label_create(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *name,
                                const char *color, ch_label_row *out)
{
	int64_t n = 0, id = 0, now = ch_now_ms();
	char key[CH_LABEL_NAME_MAX + 1], col[CH_LABEL_COLOR_LEN + 1];
	ch_err err = ch_store_label_check(name, color);
	if (err == CH_OK)
		err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err == CH_OK)
		err = ch_pg_budget_lock(tx, CH_PG_BUDGET_LABELS, org_id);
	ch_pg_params c = {0};
	ch_pg_int(&c, org_id);
	if (err == CH_OK)
		err = ch_pg_one_int64(tx, CH_PG_LABEL_COUNT, &c, &n);
	if (err == CH_OK && n >= CH_LABELS_PER_ORG_MAX)
		return CH_ERR_CONFLICT;
	if (err != CH_OK)
		return err;
	ch_store_label_key(name, key);
	ch_store_label_color(color, n, col);
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, name);
	ch_pg_text(&p, key);
	ch_pg_text(&p, col);
	ch_pg_int(&p, now);
	err = ch_pg_one_int64(tx, CH_PG_LABEL_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND)
		return CH_ERR_CONFLICT; /* the organization has this name */
	if (err == CH_OK && out) {
		memset(out, 0, sizeof *out);
		out->id = id;
		out->company_id = company_id;
		out->organization_id = org_id;
		memcpy(out->name, name, strlen(name) + 1);
		memcpy(out->color, col, sizeof col);
		out->created_at = now;
	}
	return err;
}

ch_err ch_store_pg_label_list(ch_store_tx *tx, int64_t company_id, int64_t org_id, ch_label_each_fn each,
                              void *ctx)
{
	ch_err err = ch_pg_owned(tx, CH_PG_ORG_OWNED, company_id, org_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	PGresult *r = NULL;
	err = ch_pg_exec(tx, CH_PG_LABEL_LIST, &p, &r);
	ch_label_row row;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = label_fill(r, i, 0, &row)) == CH_OK)
			each(ctx, &row);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_label_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_label_row *out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_LABEL_GET, &p, &r);
	if (err == CH_OK)
		err = label_fill(r, 0, 0, out);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_label_delete(ch_store_tx *tx, int64_t company_id, int64_t id)
{
	/* the chats' rows follow by cascade */
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	return ch_pg_change(tx, CH_PG_LABEL_DELETE, &p);
}

/* Whether all n labels (an array literal, no repeats) are the organization's. */
static ch_err all_in_org(ch_store_tx *tx, int64_t company_id, int64_t org_id, const char *ids, size_t n)
{
	int64_t found = 0;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, ids);
	ch_err err = ch_pg_one_int64(tx, CH_PG_LABEL_COUNT_IN_ORG, &p, &found);
	return err ? err : (size_t)found == n ? CH_OK : CH_ERR_NOT_FOUND;
}

static ch_err replace(ch_store_tx *tx, int64_t chat_id, const char *ids, size_t n)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, chat_id);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CHAT_LABELS_CLEAR, &p, &r);
	PQclear(r);
	if (err != CH_OK || n == 0)
		return err;
	ch_pg_text(&p, ids);
	r = NULL;
	err = ch_pg_exec(tx, CH_PG_CHAT_LABELS_ADD, &p, &r);
	PQclear(r);
	return err;
}

ch_err ch_store_pg_chat_labels_set(ch_store_tx *tx, int64_t company_id, int64_t chat_id, const int64_t *label_ids,
                                   size_t n)
{
	ch_chat_row *chat = ch_xmalloc(sizeof *chat);
	ch_err err = ch_store_label_ids_check(label_ids, n);
	if (err == CH_OK) /* locked: PUTs of one chat replace its rows one after the other */
		err = ch_store_pg_chat_lock(tx, company_id, chat_id, chat);
	char *ids = ch_store_ids_text(label_ids, n, '{', '}');
	if (err == CH_OK && n)
		err = all_in_org(tx, company_id, chat->organization_id, ids, n);
	if (err == CH_OK)
		err = replace(tx, chat_id, ids, n);
	free(ids);
	free(chat);
	return err;
}

ch_err ch_store_pg_chat_labels(ch_store_tx *tx, int64_t company_id, const int64_t *chat_ids, size_t n,
                               ch_chat_label_each_fn each, void *ctx)
{
	if (n == 0)
		return CH_OK;
	char *ids = ch_store_ids_text(chat_ids, n, '{', '}');
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_text(&p, ids);
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, CH_PG_CHAT_LABELS_OF, &p, &r);
	ch_label_row row;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++)
		if ((err = label_fill(r, i, 1, &row)) == CH_OK)
			each(ctx, ch_pg_i64(r, i, 0), &row);
	PQclear(r);
	free(ids);
	return err;
}
