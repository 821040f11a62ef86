/* media.c — media files and messaging channels in the PostgreSQL backend
 * (store.h, "media", "channels"): a file's bytes live in a bytea column of its
 * chat's media row (sent as a binary parameter, so any byte goes through) and
 * go with the chat; the record of inbound channel messages already stored;
 * the outbound deliveries with their retries and their claims.
 *
 * Threading: these functions run inside a job or read function, on the
 * thread that owns tx; they keep no state of their own.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/utf8.h"
#include "store/postgres/pg_int.h"

#define LAST_ERROR_MAX 1024 /* bytes of an attempt's error kept for operators */

ch_err ch_store_pg_media_put(ch_store_tx *tx, int64_t company_id, int64_t chat_id, const char *name,
                             const char *format, int type, const void *data, size_t len, ch_media_row *out)
{
	if (len > (size_t)INT32_MAX || (!data && len))
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_media(name, format, type);
	if (err == CH_OK)
		err = ch_pg_owned(tx, CH_PG_CHAT_OWNED, company_id, chat_id);
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, chat_id);
	ch_pg_text(&p, name);
	ch_pg_text(&p, format);
	ch_pg_int(&p, type);
	ch_pg_int(&p, (int64_t)len);
	ch_pg_int(&p, ch_now_ms());
	ch_pg_bytes(&p, data, len);
	int64_t id = 0;
	err = ch_pg_one_int64(tx, CH_PG_MEDIA_INSERT, &p, &id);
	if (err != CH_OK || !out)
		return err;
	ch_store_fill_media(out, id, company_id, chat_id, type, len, name, format);
	return CH_OK;
}

ch_err ch_store_pg_media_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_media_row *out,
                             void **data)
{
	if (data)
		*data = NULL;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, id);
	PGresult *r = NULL;
	ch_err err = ch_pg_one(tx, CH_PG_MEDIA_GET, &p, &r);
	if (err != CH_OK)
		return err;
	out->id = ch_pg_i64(r, 0, 0);
	out->company_id = ch_pg_i64(r, 0, 1);
	out->chat_id = ch_pg_i64(r, 0, 2);
	out->type = (int)ch_pg_i64(r, 0, 5);
	out->size = ch_pg_i64(r, 0, 6);
	err = ch_pg_str(r, 0, 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_pg_str(r, 0, 4, out->format, sizeof out->format);
	unsigned char *bytes = NULL;
	size_t n = 0;
	if (err == CH_OK && data)
		err = ch_pg_bytea(r, 0, 7, &bytes, &n);
	if (err == CH_OK && data && (int64_t)n != out->size) {
		CH_ERROR("store: media %lld: cannot read its %lld bytes", (long long)out->id, (long long)out->size);
		free(bytes);
		bytes = NULL;
		err = CH_ERR_INTERNAL;
	}
	if (data)
		*data = bytes;
	PQclear(r);
	return err;
}

/* ---- channels */

/* *company_out is the company of message_id when it is a message of one of
 * org_id's chats; else CH_ERR_NOT_FOUND. */
static ch_err message_of_org(ch_store_tx *tx, int64_t org_id, int64_t message_id, int64_t *company_out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, message_id);
	ch_pg_int(&p, org_id);
	return ch_pg_one_int64(tx, CH_PG_MESSAGE_COMPANY_IN_ORG, &p, company_out);
}

static ch_err channel_find(ch_store_tx *tx, int64_t org_id, const char *ext, int64_t *message_id_out)
{
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, ext);
	return ch_pg_one_int64(tx, CH_PG_CHANNEL_FIND, &p, message_id_out);
}

ch_err ch_store_pg_channel_find(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                                int64_t *message_id_out)
{
	int64_t id = 0;
	ch_err err = ch_store_check_len(external_message_id, CH_EXTID_MAX, 0, "external message id");
	if (err == CH_OK)
		err = channel_find(tx, org_id, external_message_id, &id);
	if (err == CH_OK && message_id_out)
		*message_id_out = id; /* 0: recorded, and its message deleted since */
	return err;
}

ch_err ch_store_pg_channel_dedupe(ch_store_tx *tx, int64_t org_id, const char *external_message_id,
                                  int64_t message_id, int64_t *message_id_out)
{
	int64_t first = 0, company = 0, id = 0;
	ch_err err = ch_store_check_len(external_message_id, CH_EXTID_MAX, 0, "external message id");
	if (err == CH_OK)
		err = message_of_org(tx, org_id, message_id, &company);
	if (err == CH_ERR_NOT_FOUND) { /* no such message: still a duplicate when recorded */
		if (channel_find(tx, org_id, external_message_id, &first) == CH_OK) {
			if (message_id_out)
				*message_id_out = first;
			return CH_ERR_CONFLICT;
		}
	}
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, external_message_id);
	ch_pg_int(&p, message_id);
	ch_pg_int(&p, ch_now_ms());
	/* ON CONFLICT DO NOTHING: a record that exists (maybe another process's,
	 * just committed) answers no row, and the batch goes on. */
	err = ch_pg_one_int64(tx, CH_PG_CHANNEL_INSERT, &p, &id);
	if (err == CH_ERR_NOT_FOUND) {
		err = channel_find(tx, org_id, external_message_id, &first);
		if (err == CH_OK && message_id_out)
			*message_id_out = first;
		return err == CH_OK ? CH_ERR_CONFLICT : err;
	}
	if (err == CH_OK && message_id_out)
		*message_id_out = message_id;
	return err;
}

ch_err ch_store_pg_delivery_add(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t message_id,
                                const char *event_id, int64_t *id_out)
{
	int64_t company = 0, id = 0;
	ch_err err = ch_store_check_len(event_id, CH_GUID_LEN, 0, "delivery event id");
	if (err == CH_OK)
		err = message_of_org(tx, org_id, message_id, &company);
	if (err == CH_OK && company != company_id)
		err = CH_ERR_NOT_FOUND;
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, company_id);
	ch_pg_int(&p, org_id);
	ch_pg_int(&p, message_id);
	ch_pg_text(&p, event_id);
	ch_pg_int(&p, ch_now_ms());
	err = ch_pg_one_int64(tx, CH_PG_DELIVERY_INSERT, &p, &id);
	if (err == CH_OK && id_out)
		*id_out = id;
	return err;
}

static ch_err delivery_each(ch_store_tx *tx, ch_pg_stmt id, const ch_pg_params *p,
                            ch_delivery_each_fn each, void *ctx)
{
	PGresult *r = NULL;
	ch_err err = ch_pg_exec(tx, id, p, &r);
	ch_delivery_row row;
	for (int i = 0; err == CH_OK && i < PQntuples(r); i++) {
		row.id = ch_pg_i64(r, i, 0);
		row.company_id = ch_pg_i64(r, i, 1);
		row.organization_id = ch_pg_i64(r, i, 2);
		row.message_id = ch_pg_i64(r, i, 3);
		row.attempts = (int)ch_pg_i64(r, i, 5);
		row.next_attempt_at = ch_pg_i64(r, i, 6);
		row.status = (int)ch_pg_i64(r, i, 7);
		row.chat_id = ch_pg_i64(r, i, 8);
		err = ch_pg_str(r, i, 4, row.event_id, sizeof row.event_id);
		if (err == CH_OK)
			err = ch_pg_str(r, i, 9, row.platform_message_id, sizeof row.platform_message_id);
		if (err == CH_OK)
			each(ctx, &row);
	}
	PQclear(r);
	return err;
}

static void bind_limit(ch_pg_params *p, int64_t limit)
{
	if (limit > 0)
		ch_pg_int(p, limit);
	else
		ch_pg_null(p);
}

ch_err ch_store_pg_delivery_due(ch_store_tx *tx, int64_t now_ms, int64_t limit, ch_delivery_each_fn each,
                                void *ctx)
{
	if (limit < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	bind_limit(&p, limit);
	return delivery_each(tx, CH_PG_DELIVERY_DUE, &p, each, ctx);
}

ch_err ch_store_pg_delivery_claim(ch_store_tx *tx, int64_t now_ms, int64_t limit, int64_t lease_ms,
                                  ch_delivery_each_fn each, void *ctx)
{
	if (limit < 0 || lease_ms < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_pg_params p = {0};
	ch_pg_int(&p, now_ms);
	bind_limit(&p, limit);
	ch_pg_int(&p, lease_ms);
	return delivery_each(tx, CH_PG_DELIVERY_CLAIM, &p, each, ctx);
}

ch_err ch_store_pg_delivery_update(ch_store_tx *tx, int64_t id, int status, int attempts,
                                   int64_t next_attempt_at, const char *last_error,
                                   const char *platform_message_id)
{
	if (status < 0 || status > 2 || attempts < 0)
		return CH_ERR_OUT_OF_RANGE;
	ch_err err = ch_store_check_len(platform_message_id, CH_PLATFORM_MESSAGE_ID_MAX, 1, "platform message id");
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, id);
	ch_pg_int(&p, status);
	ch_pg_int(&p, attempts);
	ch_pg_int(&p, next_attempt_at);
	/* A diagnostic, not data: a long one is cut on a UTF-8 boundary. */
	if (last_error)
		ch_pg_textn(&p, last_error, ch_utf8_prefix(last_error, strlen(last_error), LAST_ERROR_MAX));
	else
		ch_pg_null(&p);
	ch_pg_text(&p, platform_message_id); /* NULL: the stored id stays */
	return ch_pg_change(tx, CH_PG_DELIVERY_UPDATE, &p);
}

ch_err ch_store_pg_delivery_by_platform_id(ch_store_tx *tx, int64_t org_id, const char *platform_message_id,
                                           int64_t *message_id_out)
{
	int64_t id = 0;
	ch_err err = ch_store_check_len(platform_message_id, CH_PLATFORM_MESSAGE_ID_MAX, 0, "platform message id");
	if (err == CH_OK && !platform_message_id[0])
		return CH_ERR_NOT_FOUND;
	if (err != CH_OK)
		return err;
	ch_pg_params p = {0};
	ch_pg_int(&p, org_id);
	ch_pg_text(&p, platform_message_id);
	err = ch_pg_one_int64(tx, CH_PG_DELIVERY_BY_PLATFORM_ID, &p, &id);
	if (err == CH_OK && message_id_out)
		*message_id_out = id;
	return err;
}
