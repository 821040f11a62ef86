/* label.h — private to src/store/: what both backends do the same way for
 * labels (store.h, "labels"): the checks of a name and a color, the case fold
 * that makes a name unique per organization ignoring case, the colors the
 * server chooses, and the text form of an id list that one statement takes.
 * Threading: pure functions; any thread. */
#ifndef CH_STORE_LABEL_H
#define CH_STORE_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A name of 1..CH_LABEL_NAME_MAX bytes of valid UTF-8 (else CH_ERR_BAD_JSON)
 * without a control character (else CH_ERR_OUT_OF_RANGE); a color NULL or ""
 * (the server chooses) or "#rrggbb" in either case (else CH_ERR_OUT_OF_RANGE). */
ch_err ch_store_label_check(const char *name, const char *color);
/* The name's key of uniqueness: name with every upper-case letter of ASCII,
 * Latin-1, Latin Extended-A, Greek and Cyrillic (U+0400-U+04FF) replaced by
 * its lower-case form, and final sigma by sigma. Never longer than name;
 * out holds CH_LABEL_NAME_MAX + 1 bytes. name must be valid UTF-8. */
void ch_store_label_key(const char *name, char out[CH_LABEL_NAME_MAX + 1]);
/* The color a label gets: color in lower case, or (NULL or "") the palette's
 * color number n (the organization's count of labels), in turn. */
void ch_store_label_color(const char *color, int64_t n, char out[CH_LABEL_COLOR_LEN + 1]);
/* "<open>id,id,…<close>" (a JSON array "[…]" for SQLite's json_each, an array
 * literal "{…}" for PostgreSQL): a new string the caller frees. */
char *ch_store_ids_text(const int64_t *ids, size_t n, char open, char close);
/* CH_ERR_OUT_OF_RANGE when n > CH_LABELS_PER_CHAT_MAX or an id repeats. */
ch_err ch_store_label_ids_check(const int64_t *ids, size_t n);

#endif
