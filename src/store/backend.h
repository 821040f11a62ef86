/* backend.h — private to src/store/: the operations a storage backend
 * implements, as one X-macro list, and the dispatch that store.c builds from it.
 *
 * store.h stays the only header the rest of the code includes. Its functions
 * are defined once, in store.c, as one indirect call through the ops table
 * that every ch_store and ch_store_tx carries as its FIRST member (each backend
 * defines both structs privately, starting with `const ch_store_ops *ops`).
 * A backend names its implementation ch_store_<backend>_<op> and fills its
 * table with CH_STORE_OPS_INIT(<backend>).
 *
 * List entries: X(P, return type, op, (parameters), (arguments)). The store
 * level list dispatches on its first parameter `s`, the tx list on `tx`.
 * Operations returning void are listed apart (no `return` of a void call).
 */
#ifndef CH_STORE_BACKEND_H
#define CH_STORE_BACKEND_H

#include "store/store.h"
#include "store/writeq.h"

#define CH_STORE_S_OPS(X, P)                                                                       \
	X(P, int, schema_version, (ch_store * s), (s))                                             \
	X(P, ch_err, read, (ch_store * s, ch_store_fn fn, void *arg), (s, fn, arg))               \
	X(P, uint64_t, principals_gen, (ch_store * s), (s))                                        \
	X(P, ch_err, revocations_poll, (ch_store * s, int *changed), (s, changed))

#define CH_STORE_S_VOPS(X, P)                                                                      \
	X(P, void, close, (ch_store * s), (s))                                                     \
	X(P, void, principals_stale, (ch_store * s), (s))

#define CH_STORE_TX_VOPS(X, P)                                                                     \
	X(P, void, tx_add_events, (ch_store_tx * tx, const void *bytes, size_t len), (tx, bytes, len)) \
	X(P, void, tx_add_org_event, (ch_store_tx * tx, const ch_org_event_new *ev), (tx, ev))

#define CH_STORE_TX_OPS(X, P)                                                                      \
	X(P, ch_err, ping, (ch_store_tx * tx), (tx))                                               \
	X(P, ch_err, company_create,                                                               \
	  (ch_store_tx * tx, const char *login, const char *name, const char *password_hash,      \
	   int64_t *id_out),                                                                       \
	  (tx, login, name, password_hash, id_out))                                                \
	X(P, ch_err, company_by_login, (ch_store_tx * tx, const char *login, ch_company_row *out), \
	  (tx, login, out))                                                                        \
	X(P, ch_err, company_get, (ch_store_tx * tx, int64_t id, ch_company_row *out), (tx, id, out)) \
	X(P, ch_err, company_set_password, (ch_store_tx * tx, int64_t id, const char *password_hash), \
	  (tx, id, password_hash))                                                                 \
	X(P, ch_err, company_revoke_tokens, (ch_store_tx * tx, int64_t id), (tx, id))             \
	X(P, ch_err, api_key_create,                                                               \
	  (ch_store_tx * tx, int64_t company_id, const char *name,                                 \
	   const unsigned char hash[CH_API_KEY_HASH], const char *prefix, ch_api_key_row *out),   \
	  (tx, company_id, name, hash, prefix, out))                                               \
	X(P, ch_err, api_key_list,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, ch_api_key_each_fn each, void *ctx),              \
	  (tx, company_id, each, ctx))                                                             \
	X(P, ch_err, api_key_all, (ch_store_tx * tx, ch_api_key_each_fn each, void *ctx),         \
	  (tx, each, ctx))                                                                         \
	X(P, ch_err, api_key_get,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_api_key_row *out),                 \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, api_key_revoke, (ch_store_tx * tx, int64_t company_id, int64_t id),          \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, org_create,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, const char *name, const char *guid,               \
	   int64_t *id_out),                                                                       \
	  (tx, company_id, name, guid, id_out))                                                    \
	X(P, ch_err, org_get, (ch_store_tx * tx, int64_t company_id, int64_t id, ch_org_row *out), \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, org_by_guid, (ch_store_tx * tx, const char *guid, ch_org_row *out),          \
	  (tx, guid, out))                                                                         \
	X(P, ch_err, org_update,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, const char *name,                     \
	   const char *allowed_origins_json, int64_t max_chats_per_operator),                      \
	  (tx, company_id, id, name, allowed_origins_json, max_chats_per_operator))                \
	X(P, ch_err, org_list, (ch_store_tx * tx, int64_t company_id, ch_org_each_fn each, void *ctx), \
	  (tx, company_id, each, ctx))                                                             \
	X(P, ch_err, org_list_all, (ch_store_tx * tx, ch_org_each_fn each, void *ctx),            \
	  (tx, each, ctx))                                                                         \
	X(P, ch_err, operator_list,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int include_deleted,              \
	   ch_operator_each_fn each, void *ctx),                                                   \
	  (tx, company_id, org_id, include_deleted, each, ctx))                                    \
	X(P, ch_err, operator_get,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_operator_row *out),                \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, operator_upsert,                                                              \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, const char *name,                 \
	   const char *external_id, ch_operator_row *out, int *created_out),                       \
	  (tx, company_id, org_id, name, external_id, out, created_out))                           \
	X(P, ch_err, operator_set_photo,                                                           \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, const char *photo,                    \
	   ch_operator_row *out),                                                                  \
	  (tx, company_id, id, photo, out))                                                        \
	X(P, ch_err, operator_set_status,                                                          \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, int status, ch_operator_row *out),    \
	  (tx, company_id, id, status, out))                                                       \
	CH_STORE_TX_OPS_2(X, P)

#define CH_STORE_TX_OPS_2(X, P)                                                                    \
	X(P, ch_err, org_secrets_get,                                                              \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, ch_org_secrets *out),             \
	  (tx, company_id, org_id, out))                                                           \
	X(P, ch_err, org_secrets_set,                                                              \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, const char *identity_secret,      \
	   const char *channel_secret, const char *outbound_url, int prechat_form),                \
	  (tx, company_id, org_id, identity_secret, channel_secret, outbound_url, prechat_form))   \
	X(P, ch_err, client_upsert,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int source,                       \
	   const char *external_key, const char *name, const char *phone, const char *email,       \
	   ch_client_row *out),                                                                    \
	  (tx, company_id, org_id, source, external_key, name, phone, email, out))                 \
	X(P, ch_err, client_get, (ch_store_tx * tx, int64_t company_id, int64_t id, ch_client_row *out), \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, client_update,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, const ch_client_change *ch,           \
	   ch_client_row *out),                                                                    \
	  (tx, company_id, id, ch, out))                                                           \
	X(P, ch_err, chat_create,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t client_id, int source,    \
	   const char *theme, ch_chat_row *out),                                                   \
	  (tx, company_id, org_id, client_id, source, theme, out))                                 \
	X(P, ch_err, chat_get, (ch_store_tx * tx, int64_t company_id, int64_t id, ch_chat_row *out), \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, chat_open_for_client,                                                         \
	  (ch_store_tx * tx, int64_t company_id, int64_t client_id, ch_chat_row *out),             \
	  (tx, company_id, client_id, out))                                                        \
	X(P, ch_err, chat_update,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, int status, int64_t operator_id,      \
	   ch_chat_row *out),                                                                      \
	  (tx, company_id, id, status, operator_id, out))                                          \
	X(P, ch_err, chat_set_theme,                                                               \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, const char *theme),                   \
	  (tx, company_id, id, theme))                                                             \
	X(P, ch_err, chat_delete, (ch_store_tx * tx, int64_t company_id, int64_t id),             \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, chat_list,                                                                    \
	  (ch_store_tx * tx, const ch_chat_filter *f, int64_t *total, ch_chat_each_fn each,        \
	   void *ctx),                                                                             \
	  (tx, f, total, each, ctx))                                                               \
	X(P, ch_err, search_catch_up, (ch_store_tx * tx, int64_t limit, int64_t *walked),         \
	  (tx, limit, walked))                                                                     \
	X(P, ch_err, operator_load,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, ch_load_each_fn each, void *ctx), \
	  (tx, company_id, org_id, each, ctx))                                                     \
	X(P, ch_err, message_append,                                                               \
	  (ch_store_tx * tx, const ch_message_new *m, ch_chat_row *chat, ch_message_row *out,      \
	   int *duplicate),                                                                        \
	  (tx, m, chat, out, duplicate))                                                           \
	X(P, ch_err, message_get,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_message_row *out),                 \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, message_list,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t after_seq,               \
	   int64_t before_seq, int64_t limit, ch_message_each_fn each, void *ctx),                 \
	  (tx, company_id, chat_id, after_seq, before_seq, limit, each, ctx))                      \
	X(P, ch_err, message_set_status,                                                           \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, int status, ch_message_row *out),     \
	  (tx, company_id, id, status, out))                                                       \
	X(P, ch_err, message_redact,                                                               \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t id, int64_t operator_id, \
	   ch_message_row *out),                                                                   \
	  (tx, company_id, chat_id, id, operator_id, out))                                         \
	X(P, ch_err, chat_mark_read,                                                               \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int reader_author,               \
	   int64_t upto_seq, ch_message_each_fn each, void *ctx),                                  \
	  (tx, company_id, chat_id, reader_author, upto_seq, each, ctx))                           \
	X(P, ch_err, media_put,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, const char *name,                \
	   const char *format, int type, const void *data, size_t len, ch_media_row *out),         \
	  (tx, company_id, chat_id, name, format, type, data, len, out))                           \
	X(P, ch_err, media_get,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_media_row *out, void **data),      \
	  (tx, company_id, id, out, data))                                                         \
	CH_STORE_TX_OPS_3(X, P)                                                                    \
	CH_STORE_TX_OPS_LABELS(X, P)

#define CH_STORE_TX_OPS_LABELS(X, P)                                                               \
	X(P, ch_err, label_create,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, const char *name, const char *color, \
	   ch_label_row *out),                                                                     \
	  (tx, company_id, org_id, name, color, out))                                              \
	X(P, ch_err, label_list,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, ch_label_each_fn each, void *ctx), \
	  (tx, company_id, org_id, each, ctx))                                                     \
	X(P, ch_err, label_get, (ch_store_tx * tx, int64_t company_id, int64_t id, ch_label_row *out), \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, label_delete, (ch_store_tx * tx, int64_t company_id, int64_t id),            \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, chat_labels_set,                                                              \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, const int64_t *label_ids, size_t n), \
	  (tx, company_id, chat_id, label_ids, n))                                                 \
	X(P, ch_err, chat_labels,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, const int64_t *chat_ids, size_t n,                \
	   ch_chat_label_each_fn each, void *ctx),                                                 \
	  (tx, company_id, chat_ids, n, each, ctx))

#define CH_STORE_TX_OPS_3(X, P)                                                                    \
	X(P, ch_err, org_set_canned_policy,                                                        \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int allow),                       \
	  (tx, company_id, org_id, allow))                                                         \
	X(P, ch_err, canned_create,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t operator_id,              \
	   const char *shortcut, const char *title, const char *text, ch_canned_row *out),         \
	  (tx, company_id, org_id, operator_id, shortcut, title, text, out))                       \
	X(P, ch_err, canned_list,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t operator_id,              \
	   ch_canned_each_fn each, void *ctx),                                                     \
	  (tx, company_id, org_id, operator_id, each, ctx))                                        \
	X(P, ch_err, canned_get, (ch_store_tx * tx, int64_t company_id, int64_t id, ch_canned_row *out), \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, canned_update,                                                                \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, const char *shortcut,                 \
	   const char *title, const char *text, ch_canned_row *out),                               \
	  (tx, company_id, id, shortcut, title, text, out))                                        \
	X(P, ch_err, canned_delete, (ch_store_tx * tx, int64_t company_id, int64_t id),           \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, channel_find,                                                                 \
	  (ch_store_tx * tx, int64_t org_id, const char *external_message_id,                      \
	   int64_t *message_id_out),                                                               \
	  (tx, org_id, external_message_id, message_id_out))                                       \
	X(P, ch_err, channel_dedupe,                                                               \
	  (ch_store_tx * tx, int64_t org_id, const char *external_message_id, int64_t message_id,  \
	   int64_t *message_id_out),                                                               \
	  (tx, org_id, external_message_id, message_id, message_id_out))                           \
	X(P, ch_err, delivery_add,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t message_id,               \
	   const char *event_id, int64_t *id_out),                                                 \
	  (tx, company_id, org_id, message_id, event_id, id_out))                                  \
	X(P, ch_err, delivery_due,                                                                 \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, ch_delivery_each_fn each, void *ctx),  \
	  (tx, now_ms, limit, each, ctx))                                                          \
	X(P, ch_err, delivery_update,                                                              \
	  (ch_store_tx * tx, int64_t id, int status, int attempts, int64_t next_attempt_at,        \
	   const char *last_error, const char *platform_message_id),                              \
	  (tx, id, status, attempts, next_attempt_at, last_error, platform_message_id))            \
	X(P, ch_err, setting_ensure,                                                               \
	  (ch_store_tx * tx, const char *key, const char *value_if_absent, char *out,              \
	   size_t outlen),                                                                         \
	  (tx, key, value_if_absent, out, outlen))                                                 \
	X(P, ch_err, setting_get, (ch_store_tx * tx, const char *key, char *out, size_t outlen),     \
	  (tx, key, out, outlen))                                                                  \
	X(P, ch_err, bus_log_read,                                                                 \
	  (ch_store_tx * tx, const char *node_id, uint64_t after, uint64_t upto, int64_t limit,    \
	   ch_bus_log_each_fn each, void *ctx),                                                    \
	  (tx, node_id, after, upto, limit, each, ctx))                                            \
	X(P, ch_err, bus_log_heads, (ch_store_tx * tx, ch_bus_log_each_fn each, void *ctx),       \
	  (tx, each, ctx))                                                                         \
	X(P, ch_err, bus_log_trim, (ch_store_tx * tx, int64_t older_than_ms, int64_t *deleted),   \
	  (tx, older_than_ms, deleted))                                                            \
	X(P, ch_err, chat_lock,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, ch_chat_row *out),               \
	  (tx, company_id, chat_id, out))                                                          \
	X(P, ch_err, client_lock, (ch_store_tx * tx, int64_t company_id, int64_t client_id),      \
	  (tx, company_id, client_id))                                                             \
	X(P, ch_err, routing_lock, (ch_store_tx * tx, int64_t org_id), (tx, org_id))              \
	X(P, ch_err, chat_assign_if_queued,                                                        \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t operator_id,             \
	   ch_chat_row *out),                                                                      \
	  (tx, company_id, chat_id, operator_id, out))                                             \
	X(P, ch_err, delivery_claim,                                                               \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, int64_t lease_ms,                      \
	   ch_delivery_each_fn each, void *ctx),                                                   \
	  (tx, now_ms, limit, lease_ms, each, ctx)) \
	X(P, ch_err, node_register,                                                                \
	  (ch_store_tx * tx, const char *node_id, int64_t lease_ms, ch_presence_each_fn each,      \
	   void *ctx),                                                                             \
	  (tx, node_id, lease_ms, each, ctx))                                                      \
	X(P, ch_err, node_renew, (ch_store_tx * tx, const char *node_id, int64_t lease_ms, int *reaped), \
	  (tx, node_id, lease_ms, reaped))                                                         \
	X(P, ch_err, nodes_reap, (ch_store_tx * tx, ch_presence_each_fn each, void *ctx),         \
	  (tx, each, ctx))                                                                         \
	X(P, ch_err, presence_conn,                                                                \
	  (ch_store_tx * tx, const char *node_id, int64_t company_id, int64_t org_id,              \
	   int64_t operator_id, int64_t connections, ch_presence_row *out, int *changed),          \
	  (tx, node_id, company_id, org_id, operator_id, connections, out, changed))               \
	X(P, ch_err, presence_set_away,                                                            \
	  (ch_store_tx * tx, int64_t operator_id, int away, ch_presence_row *out, int *changed),   \
	  (tx, operator_id, away, out, changed))                                                   \
	X(P, ch_err, presence_touch, (ch_store_tx * tx, int64_t operator_id), (tx, operator_id))  \
	X(P, ch_err, presence_get, (ch_store_tx * tx, int64_t operator_id, ch_presence_row *out), \
	  (tx, operator_id, out))                                                                  \
	X(P, ch_err, presence_online,                                                              \
	  (ch_store_tx * tx, int64_t org_id, ch_presence_each_fn each, void *ctx),                 \
	  (tx, org_id, each, ctx))                                                                 \
	X(P, ch_err, presence_due,                                                                 \
	  (ch_store_tx * tx, int64_t grace_ms, int64_t limit, ch_presence_each_fn each, void *ctx), \
	  (tx, grace_ms, limit, each, ctx))                                                        \
	CH_STORE_TX_OPS_NOTES(X, P)                                                                \
	CH_STORE_TX_OPS_AUTOCLOSE(X, P)                                                            \
	CH_STORE_TX_OPS_HOURS(X, P)                                                                \
	CH_STORE_TX_OPS_EVENTS(X, P)                                                               \
	CH_STORE_TX_OPS_CSAT(X, P)                                                                 \
	CH_STORE_TX_OPS_ERASURE(X, P)                                                                      \
	CH_STORE_TX_OPS_WEBHOOKS(X, P)                                                             \
	CH_STORE_TX_OPS_CHANNELS(X, P)

#define CH_STORE_TX_OPS_CHANNELS(X, P)                                                             \
	X(P, ch_err, delivery_by_platform_id,                                                      \
	  (ch_store_tx * tx, int64_t org_id, const char *platform_message_id, int64_t *message_id_out), \
	  (tx, org_id, platform_message_id, message_id_out))                                       \
	X(P, ch_err, channel_conn_add,                                                             \
	  (ch_store_tx * tx, const ch_channel_conn_row *in, ch_channel_conn_row *out), (tx, in, out)) \
	X(P, ch_err, channel_conn_list,                                                            \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, ch_channel_conn_each_fn each,     \
	   void *ctx),                                                                             \
	  (tx, company_id, org_id, each, ctx))                                                     \
	X(P, ch_err, channel_conn_get,                                                             \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_channel_conn_row *out),            \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, channel_conn_by_key,                                                          \
	  (ch_store_tx * tx, int type, const char *public_key, ch_channel_conn_row *out),          \
	  (tx, type, public_key, out))                                                             \
	X(P, ch_err, channel_conn_delete, (ch_store_tx * tx, int64_t company_id, int64_t id),     \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, channel_conn_health,                                                          \
	  (ch_store_tx * tx, int64_t id, int64_t webhook_at, int64_t last_inbound_at,              \
	   const char *last_error, int64_t now_ms),                                                \
	  (tx, id, webhook_at, last_inbound_at, last_error, now_ms))                               \
	X(P, ch_err, chat_set_connection, (ch_store_tx * tx, int64_t chat_id, int64_t connection_id), \
	  (tx, chat_id, connection_id))                                                            \
	X(P, ch_err, chat_connection, (ch_store_tx * tx, int64_t chat_id, int64_t *connection_id_out), \
	  (tx, chat_id, connection_id_out))

#define CH_STORE_TX_OPS_EVENTS(X, P)                                                               \
	X(P, ch_err, event_list,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t after, int64_t limit,     \
	   ch_org_event_each_fn each, void *ctx),                                                  \
	  (tx, company_id, org_id, after, limit, each, ctx))                                       \
	X(P, ch_err, event_head,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t *last_seq,                \
	   int64_t *trimmed_upto),                                                                 \
	  (tx, company_id, org_id, last_seq, trimmed_upto))                                        \
	X(P, ch_err, event_trim,                                                                   \
	  (ch_store_tx * tx, int64_t older_than_ms, int64_t limit, int64_t *deleted),              \
	  (tx, older_than_ms, limit, deleted))

#define CH_STORE_TX_OPS_WEBHOOKS(X, P)                                                             \
	X(P, ch_err, webhook_create, (ch_store_tx * tx, const ch_webhook_row *in, ch_webhook_row *out), \
	  (tx, in, out))                                                                           \
	X(P, ch_err, webhook_list,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, ch_webhook_each_fn each, void *ctx),              \
	  (tx, company_id, each, ctx))                                                             \
	X(P, ch_err, webhook_get,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_webhook_row *out),                 \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, webhook_delete, (ch_store_tx * tx, int64_t company_id, int64_t id),          \
	  (tx, company_id, id))                                                                    \
	X(P, ch_err, webhook_enable,                                                               \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_webhook_row *out),                 \
	  (tx, company_id, id, out))                                                               \
	X(P, ch_err, webhook_cursor_claim,                                                         \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, int64_t lease_ms,                      \
	   ch_webhook_cursor_each_fn each, void *ctx),                                             \
	  (tx, now_ms, limit, lease_ms, each, ctx))                                                \
	X(P, ch_err, webhook_cursor_update, (ch_store_tx * tx, const ch_webhook_attempt *a), (tx, a)) \
	X(P, ch_err, webhook_cursors,                                                              \
	  (ch_store_tx * tx, int64_t company_id, int64_t id, ch_webhook_cursor_each_fn each,       \
	   void *ctx),                                                                             \
	  (tx, company_id, id, each, ctx))                                                         \
	X(P, ch_err, webhook_failing_count, (ch_store_tx * tx, int64_t *n), (tx, n))

#define CH_STORE_TX_OPS_NOTES(X, P)                                                                \
	X(P, ch_err, note_create,                                                                  \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t operator_id,             \
	   const char *text, const int64_t *mentions, size_t n_mentions, ch_note_row *out),        \
	  (tx, company_id, chat_id, operator_id, text, mentions, n_mentions, out))                 \
	X(P, ch_err, note_list,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t before_id, int64_t limit, \
	   ch_note_each_fn each, void *ctx),                                                       \
	  (tx, company_id, chat_id, before_id, limit, each, ctx))

#define CH_STORE_TX_OPS_AUTOCLOSE(X, P)                                                            \
	X(P, ch_err, org_set_auto_close,                                                           \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t waiting, int64_t open,    \
	   int64_t on_pause),                                                                      \
	  (tx, company_id, org_id, waiting, open, on_pause))                                       \
	X(P, ch_err, chat_idle_due,                                                                \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each, void *ctx),      \
	  (tx, now_ms, limit, each, ctx))                                                          \
	X(P, ch_err, chat_close_if_idle,                                                           \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t now_ms, ch_chat_row *out), \
	  (tx, company_id, chat_id, now_ms, out))

#define CH_STORE_TX_OPS_HOURS(X, P)                                                                \
	X(P, ch_err, hours_get,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, char config[CH_HOURS_CONFIG_MAX], \
	   int64_t *drain_at),                                                                     \
	  (tx, company_id, org_id, config, drain_at))                                              \
	X(P, ch_err, hours_set, (ch_store_tx * tx, int64_t company_id, int64_t org_id, const char *config), \
	  (tx, company_id, org_id, config))                                                        \
	X(P, ch_err, hours_drain_at, (ch_store_tx * tx, int64_t org_id, int64_t at), (tx, org_id, at)) \
	X(P, ch_err, hours_due,                                                                    \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, ch_hours_due_fn each, void *ctx,       \
	   int64_t *next),                                                                         \
	  (tx, now_ms, limit, each, ctx, next))                                                    \
	X(P, ch_err, hours_drained, (ch_store_tx * tx, int64_t org_id, int64_t at), (tx, org_id, at)) \
	X(P, ch_err, chat_away_replied,                                                            \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int *first),                     \
	  (tx, company_id, chat_id, first))

#define CH_STORE_TX_OPS_CSAT(X, P)                                                                 \
	X(P, ch_err, org_set_csat, (ch_store_tx * tx, int64_t company_id, int64_t org_id, int enabled), \
	  (tx, company_id, org_id, enabled))                                                       \
	X(P, ch_err, chat_rate,                                                                    \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int rating, const char *comment, \
	   int64_t now_ms, ch_chat_row *out),                                                      \
	  (tx, company_id, chat_id, rating, comment, now_ms, out))

/* Erasure and retention (migration 023). */
#define CH_STORE_TX_OPS_ERASURE(X, P)                                                              \
	X(P, ch_err, chat_erase,                                                                   \
	  (ch_store_tx * tx, int64_t company_id, int64_t chat_id, int64_t now_ms,                  \
	   ch_erase_counts *out),                                                                  \
	  (tx, company_id, chat_id, now_ms, out))                                                  \
	X(P, ch_err, client_erase,                                                                 \
	  (ch_store_tx * tx, int64_t company_id, int64_t client_id, int64_t now_ms,                \
	   int64_t *erased_at_out),                                                                \
	  (tx, company_id, client_id, now_ms, erased_at_out))                                      \
	X(P, ch_err, search_compact, (ch_store_tx * tx), (tx))                                      \
	X(P, ch_err, org_set_retention,                                                            \
	  (ch_store_tx * tx, int64_t company_id, int64_t org_id, int64_t days),                    \
	  (tx, company_id, org_id, days))                                                          \
	X(P, ch_err, chat_retention_due,                                                           \
	  (ch_store_tx * tx, int64_t now_ms, int64_t limit, ch_chat_each_fn each, void *ctx),      \
	  (tx, now_ms, limit, each, ctx))

/* One field per operation. */
#define CH_STORE_OP_FIELD(P, ret, op, params, args) ret(*op) params;

typedef struct ch_store_ops {
	const char *name; /* "sqlite", "postgres" */
	CH_STORE_S_OPS(CH_STORE_OP_FIELD, _)
	CH_STORE_S_VOPS(CH_STORE_OP_FIELD, _)
	CH_STORE_TX_OPS(CH_STORE_OP_FIELD, _)
	CH_STORE_TX_VOPS(CH_STORE_OP_FIELD, _)
} ch_store_ops;

/* What store.c reads of a backend's ch_store_tx: its first member. */
typedef struct ch_store_head {
	const ch_store_ops *ops;
} ch_store_head;

/* The first member of a backend's ch_store: the ops, then the writer queue
 * (writeq.c), which store.c drives itself: queueing, ch_store_write_sync,
 * the deferred wake-up, the stats and the batch sink are the same for every
 * backend; only the writer thread's transaction handling is the backend's. */
typedef struct ch_store_common {
	const ch_store_ops *ops;
	ch_writeq wq;
} ch_store_common;

/* Prototypes of a backend's implementation: CH_STORE_OPS_DECLARE(sqlite). */
#define CH_STORE_OP_DECL(P, ret, op, params, args) ret ch_store_##P##_##op params;
#define CH_STORE_OPS_DECLARE(P)                                                                    \
	CH_STORE_S_OPS(CH_STORE_OP_DECL, P)                                                        \
	CH_STORE_S_VOPS(CH_STORE_OP_DECL, P)                                                       \
	CH_STORE_TX_OPS(CH_STORE_OP_DECL, P)                                                       \
	CH_STORE_TX_VOPS(CH_STORE_OP_DECL, P)

/* The initializer of a backend's table: {.name = "sqlite", CH_STORE_OPS_INIT(sqlite)}. */
#define CH_STORE_OP_INIT(P, ret, op, params, args) .op = ch_store_##P##_##op,
#define CH_STORE_OPS_INIT(P)                                                                       \
	CH_STORE_S_OPS(CH_STORE_OP_INIT, P) CH_STORE_S_VOPS(CH_STORE_OP_INIT, P)                   \
	CH_STORE_TX_OPS(CH_STORE_OP_INIT, P) CH_STORE_TX_VOPS(CH_STORE_OP_INIT, P)

/* Each backend's open; store.c chooses by URL. */
ch_err ch_store_sqlite_open(const ch_store_opts *opts, const char *path, ch_store **out,
                            int *applied_out);
ch_err ch_store_pg_open(const ch_store_opts *opts, ch_store **out, int *applied_out);

/* Deferred wake-ups (ch_store_defer_wakeups): writeq.c asks this after
 * queueing; 1 = the wake-up is deferred to ch_store_flush_wakeups,
 * 0 = the backend wakes its writer now. */
int ch_store_backend_defer_wake(ch_store *s);

#endif
