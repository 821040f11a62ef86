/* media.c — media files in the SQLite backend (store.h, "media"): the bytes
 * live in a BLOB column of their chat's media row and go with the chat.
 * Scoped to a company: another company's chat or media answers
 * CH_ERR_NOT_FOUND.
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
#include "store/sqlite/sqlite_int.h"

ch_err ch_store_sqlite_media_put(ch_store_tx *tx, int64_t company_id, int64_t chat_id, const char *name,
                          const char *format, int type, const void *data, size_t len, ch_media_row *out)
{
	sqlite3_stmt *st;
	ch_err err = len > (size_t)INT64_MAX || (!data && len) ? CH_ERR_OUT_OF_RANGE : CH_OK;
	if (err == CH_OK)
		err = ch_store_check_media(name, format, type);
	if (err == CH_OK)
		err = ch_store_sqlite_owned(tx, CH_STMT_CHAT_OWNED, company_id, chat_id, "chat check");
	if (err == CH_OK)
		err = ch_store_sqlite_prep(tx, CH_STMT_MEDIA_INSERT, &st);
	if (err != CH_OK)
		return err;
	int rc = sqlite3_bind_int64(st, 1, company_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, chat_id);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 3, name);
	if (rc == SQLITE_OK)
		rc = ch_store_sqlite_bind_text(st, 4, format);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(st, 5, type);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, (int64_t)len);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 7, ch_now_ms());
	/* A NULL pointer would bind SQL NULL: an empty file is a zero-length blob. */
	if (rc == SQLITE_OK)
		rc = len ? sqlite3_bind_blob64(st, 8, data, len, SQLITE_STATIC)
		         : sqlite3_bind_zeroblob(st, 8, 0);
	err = ch_store_sqlite_bound(tx, st, rc, "media put");
	if (err == CH_OK)
		err = ch_store_sqlite_step_done(tx, st, "media put");
	if (err != CH_OK || !out)
		return err;
	ch_store_fill_media(out, sqlite3_last_insert_rowid(tx->db), company_id, chat_id, type, len, name,
	                    format);
	return CH_OK;
}

static ch_err media_fill(sqlite3_stmt *st, ch_media_row *out, void **data)
{
	out->id = sqlite3_column_int64(st, 0);
	out->company_id = sqlite3_column_int64(st, 1);
	out->chat_id = sqlite3_column_int64(st, 2);
	out->type = sqlite3_column_int(st, 5);
	out->size = sqlite3_column_int64(st, 6);
	ch_err err = ch_store_sqlite_col_text(st, 3, out->name, sizeof out->name);
	if (err == CH_OK)
		err = ch_store_sqlite_col_text(st, 4, out->format, sizeof out->format);
	if (err != CH_OK || !data)
		return err;
	const void *blob = sqlite3_column_blob(st, 7);
	int n = sqlite3_column_bytes(st, 7);
	if ((n > 0 && !blob) || n != out->size) {
		/* NULL with a size is out of memory; a size mismatch, a corrupt row. */
		CH_ERROR("store: media %lld: cannot read its %lld bytes", (long long)out->id,
		         (long long)out->size);
		return CH_ERR_INTERNAL;
	}
	*data = ch_xmalloc(n > 0 ? (size_t)n : 1);
	if (n > 0)
		memcpy(*data, blob, (size_t)n);
	return CH_OK;
}

ch_err ch_store_sqlite_media_get(ch_store_tx *tx, int64_t company_id, int64_t id, ch_media_row *out,
                          void **data)
{
	sqlite3_stmt *st;
	if (data)
		*data = NULL;
	ch_err err = ch_store_sqlite_prep(tx, CH_STMT_MEDIA_GET, &st);
	if (err == CH_OK)
		err = ch_store_sqlite_bind_ids(tx, st, company_id, id, "media get");
	if (err != CH_OK)
		return err;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = media_fill(st, out, data);
	else if (rc == SQLITE_DONE)
		err = CH_ERR_NOT_FOUND;
	else
		err = ch_store_sqlite_fail(tx, rc, "media get");
	ch_store_sqlite_reset(st);
	return err;
}
