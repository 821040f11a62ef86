/* check.h — private to src/store/: the argument checks of store operations
 * that do not depend on the backend's SQL dialect, so that each rule (a
 * field's length bound, an enum's range, valid UTF-8) lives once and both
 * backends refuse the same input with the same error before they write. */
#ifndef CH_STORE_CHECK_H
#define CH_STORE_CHECK_H

#include <stddef.h>

#include "store/store.h"

/* CH_OK when s (borrowed) is at most max bytes, or NULL and nullable; else
 * CH_ERR_OUT_OF_RANGE, logged with `what` (the API layer validates first, so
 * this is a guard). */
ch_err ch_store_check_len(const char *s, size_t max, int nullable, const char *what);

ch_err ch_store_check_company(const char *login, const char *name, const char *password_hash);
ch_err ch_store_check_api_key(const char *name, const char *prefix);
ch_err ch_store_check_org(const char *name, const char *guid);
/* A note's text (1..CH_NOTE_TEXT_MAX bytes of UTF-8) and mention count. */
ch_err ch_store_check_note(const char *text, size_t n_mentions);
/* A canned response's shortcut ([A-Za-z0-9_-]{1,32}), title and text. */
ch_err ch_store_check_canned(const char *shortcut, const char *title, const char *text);
/* The organization is the company's and operator_id (0 = none) one of its
 * operators; CH_ERR_NOT_FOUND otherwise. Reads through store.h, inside tx. */
ch_err ch_store_check_canned_owner(ch_store_tx *tx, int64_t company_id, int64_t org_id, int64_t operator_id);
/* NULL fields are left as they are. */
ch_err ch_store_check_org_update(const char *name, const char *allowed_origins_json);
ch_err ch_store_check_org_secrets(const char *identity_secret, const char *channel_secret,
                                  const char *outbound_url);
ch_err ch_store_check_operator(const char *name, const char *external_id);
ch_err ch_store_check_client(int source, const char *key, const char *name, const char *phone,
                             const char *email);
/* A profile change: lengths, UTF-8, attributes a JSON object and
 * verified_keys a JSON array of strings (NULL fields are not checked). */
ch_err ch_store_check_client_change(const ch_client_change *ch);
ch_err ch_store_check_chat_create(int source, const char *theme);
ch_err ch_store_check_chat_update(int status, int64_t operator_id);
ch_err ch_store_check_chat_filter(const ch_chat_filter *f);
/* The type, name and format of a media file (its size bound is the backend's). */
ch_err ch_store_check_media(const char *name, const char *format, int type);
ch_err ch_store_check_message_new(const ch_message_new *m);
ch_err ch_store_check_setting(const char *key, const char *value);
ch_err ch_store_check_node(const char *node_id, int64_t lease_ms);
/* A new channel connection (ch_store_channel_conn_add): type, name (1..CH_NAME_MAX
 * bytes of UTF-8), public key (32 lowercase hex), token (1..CH_CHANNEL_TOKEN_ENC_MAX
 * bytes), hint, secret (Telegram: 64 lowercase hex; Viber: ""), times >= 0, and
 * every text NUL-terminated inside its field. */
ch_err ch_store_check_channel_conn(const ch_channel_conn_row *in);
/* A public key as the store keeps it: 32 lowercase hex characters. */
int ch_store_check_public_key(const char *key);

#endif
