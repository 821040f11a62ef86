/* backup.h — copies of a SQLite database: an online backup taken while a
 * server writes it, and the checked restore of such a copy.
 *
 * SQLite only: a PostgreSQL store is backed up with pg_dump (docs/deploy.md).
 * Threading: any thread but the network thread (they block on file I/O and
 * on the database's locks); they open connections of their own.
 */
#ifndef CH_STORE_BACKUP_H
#define CH_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h" /* CH_SETTING_LAST_BACKUP */

/* Copies the database at db_path (borrowed) into out_path as one file of mode
 * 0600, consistent as of one commit: a read transaction is held on the
 * database for the whole copy (in WAL mode writers go on meanwhile), and the
 * pages are copied in chunks. The copy is written under a temporary name in
 * out_path's directory and renamed once complete and synced, so out_path
 * never holds half a backup. Then records the time in the database's settings
 * (CH_SETTING_LAST_BACKUP). *pages_out (may be NULL) receives the number of
 * pages copied. On failure returns an error with the reason in why. */
ch_err ch_store_backup_sqlite(const char *db_path, const char *out_path, int busy_timeout_ms, int64_t *pages_out,
                              char *why, size_t why_len);

/* Checks that file is a ChatHub SQLite database this build can open
 * (integrity_check, schema version not newer than the build's) and copies it
 * to db_path, which must not exist (temporary name, synced, renamed).
 * *version_out (may be NULL) receives the file's schema version. On failure
 * returns CH_ERR_OUT_OF_RANGE when the file is refused, another error
 * otherwise, with the reason in why. */
ch_err ch_store_restore_sqlite(const char *file, const char *db_path, int *version_out, char *why, size_t why_len);

/* The time of the last backup recorded in the database at db_path (ms since
 * the epoch), or 0 when none was. */
ch_err ch_store_last_backup_sqlite(const char *db_path, int64_t *ms_out);

#endif
