/* fill.h — private to src/store/: the result rows a write fills from what it
 * wrote, without reading them back, the same in both backends (so a row a
 * write answers equals the row a later read returns, whichever the backend). */
#ifndef CH_STORE_FILL_H
#define CH_STORE_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Clears the row's parts that m's references (media, operator) fill. */
void ch_store_fill_refs_clear(ch_message_row *row, const ch_message_new *m);
/* The rest of the appended message's row (its text and client message id
 * were bounded by ch_store_check_message_new). */
void ch_store_fill_appended(ch_message_row *row, const ch_message_new *m, int64_t id, int64_t seq,
                            int64_t now);
/* The chat row read earlier in the job, moved as the append moved the chat:
 * last message (preview of n bytes), its time and seq, the unread count. */
void ch_store_fill_chat_appended(ch_chat_row *c, const ch_message_row *msg, const char *preview,
                                 size_t n);
void ch_store_fill_api_key(ch_api_key_row *out, int64_t id, int64_t company_id, const char *name,
                           const char *prefix, const unsigned char hash[CH_API_KEY_HASH], int64_t now);
void ch_store_fill_canned(ch_canned_row *out, int64_t id, int64_t company_id, int64_t org_id, int64_t operator_id,
                          const char *shortcut, const char *title, const char *text, int64_t created_at);
void ch_store_fill_media(ch_media_row *out, int64_t id, int64_t company_id, int64_t chat_id, int type,
                         size_t len, const char *name, const char *format);

/* A note's mentions as the mentions column holds them: "12,15" ("" none);
 * cap CH_NOTE_MENTIONS_TEXT is always enough for CH_NOTE_MENTIONS_MAX ids. */
#define CH_NOTE_MENTIONS_TEXT (CH_NOTE_MENTIONS_MAX * 21 + 1)
void ch_store_fill_mentions_text(const int64_t *ids, size_t n, char out[CH_NOTE_MENTIONS_TEXT]);
/* The column's text back into row->mentions (ids past the maximum are dropped). */
void ch_store_fill_note_mentions(ch_note_row *row, const char *text);

#endif
