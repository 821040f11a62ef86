/* sqlite_sql.h — every SQL statement the SQLite backend runs at request rate,
 * as one declarative table: X(ID, "SQL"). Each connection prepares a statement
 * once, on first use, and keeps it (see conn.c); the ID indexes that cache.
 * Private to src/store/sqlite/. Parameters are numbered so one value can be
 * used twice and the binding code reads like the SQL.
 */
#ifndef CH_STORE_SQLITE_SQL_H
#define CH_STORE_SQLITE_SQL_H

#include "store/sqlite/sqlite_erasure_sql.h"
#include "store/sqlite/sqlite_events_sql.h"
#include "store/sqlite/sqlite_note_sql.h"
#include "store/sqlite/sqlite_presence_sql.h"

#define CH_SQL_COMPANY_COLS "id, login, name, password_hash, created_at, token_epoch"
#define CH_SQL_API_KEY_COLS "id, company_id, name, prefix, created_at"
#define CH_SQL_CANNED_COLS "id, company_id, organization_id, operator_id, shortcut, title, text, created_at"
#define CH_SQL_ORG_COLS \
	"id, company_id, name, guid, allowed_origins, max_chats_per_operator, created_at, " \
	"auto_close_waiting_minutes, auto_close_open_minutes, auto_close_on_pause_minutes, " \
	"csat_enabled, retention_days"
#define CH_SQL_OPERATOR_FROM                                                                      \
	"SELECT o.id, o.organization_id, o.company_id, o.name, g.name, o.status, o.external_id, " \
	"o.token_epoch, o.created_at, COALESCE(o.photo, '') FROM operators o "                    \
	"JOIN organizations g ON g.id = o.organization_id "

#define CH_SQLITE_STMTS(X)                                                                         \
	X(BEGIN, "BEGIN")                                                                          \
	X(BEGIN_IMMEDIATE, "BEGIN IMMEDIATE")                                                      \
	X(COMMIT, "COMMIT")                                                                        \
	X(ROLLBACK, "ROLLBACK")                                                                    \
	X(SAVEPOINT, "SAVEPOINT job")                                                              \
	X(RELEASE, "RELEASE job")                                                                  \
	X(ROLLBACK_TO, "ROLLBACK TO job")                                                          \
	X(PING, "SELECT 1")                                                                        \
	X(COMPANY_INSERT,                                                                          \
	  "INSERT INTO companies (login, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)") \
	X(COMPANY_BY_ID, "SELECT " CH_SQL_COMPANY_COLS " FROM companies WHERE id = ?1")            \
	X(COMPANY_BY_LOGIN, "SELECT " CH_SQL_COMPANY_COLS " FROM companies WHERE login = ?1")      \
	/* A new password revokes the company tokens issued so far. */                           \
	X(COMPANY_SET_PASSWORD,                                                                    \
	  "UPDATE companies SET password_hash = ?2, token_epoch = token_epoch + 1 WHERE id = ?1")  \
	X(COMPANY_REVOKE, "UPDATE companies SET token_epoch = token_epoch + 1 WHERE id = ?1")      \
	X(REVOCATIONS_BUMP, "UPDATE revocations SET gen = gen + 1 WHERE id = 1")                   \
	X(REVOCATIONS_GET, "SELECT gen FROM revocations WHERE id = 1")                             \
	X(API_KEY_INSERT,                                                                          \
	  "INSERT INTO api_keys (company_id, name, hash, prefix, created_at) VALUES (?1, ?2, ?3, ?4, ?5)") \
	X(API_KEY_COUNT, "SELECT COUNT(*) FROM api_keys WHERE company_id = ?1")                    \
	X(API_KEY_LIST, "SELECT " CH_SQL_API_KEY_COLS " FROM api_keys WHERE company_id = ?1 ORDER BY id") \
	X(API_KEY_ALL, "SELECT " CH_SQL_API_KEY_COLS ", hash FROM api_keys ORDER BY id")            \
	X(API_KEY_GET, "SELECT " CH_SQL_API_KEY_COLS " FROM api_keys WHERE company_id = ?1 AND id = ?2") \
	X(API_KEY_DELETE, "DELETE FROM api_keys WHERE company_id = ?1 AND id = ?2")                \
	X(ORG_INSERT,                                                                              \
	  "INSERT INTO organizations (company_id, name, guid, created_at) VALUES (?1, ?2, ?3, ?4)") \
	X(ORG_GET, "SELECT " CH_SQL_ORG_COLS " FROM organizations WHERE company_id = ?1 AND id = ?2") \
	X(ORG_BY_GUID, "SELECT " CH_SQL_ORG_COLS " FROM organizations WHERE guid = ?1")            \
	X(ORG_OWNED, "SELECT 1 FROM organizations WHERE company_id = ?1 AND id = ?2")              \
	X(ORG_UPDATE,                                                                              \
	  "UPDATE organizations SET name = COALESCE(?3, name), "                                   \
	  "allowed_origins = COALESCE(?4, allowed_origins), "                                      \
	  "max_chats_per_operator = COALESCE(?5, max_chats_per_operator) "                         \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(ORG_LIST,                                                                                \
	  "SELECT " CH_SQL_ORG_COLS " FROM organizations WHERE company_id = ?1 ORDER BY id")       \
	X(ORG_LIST_ALL, "SELECT " CH_SQL_ORG_COLS " FROM organizations ORDER BY id")               \
	X(OPERATOR_GET, CH_SQL_OPERATOR_FROM "WHERE o.company_id = ?1 AND o.id = ?2")              \
	X(OPERATOR_LIST,                                                                           \
	  CH_SQL_OPERATOR_FROM "WHERE o.company_id = ?1 AND o.organization_id = ?2 "               \
	                       "AND (?3 OR o.status <> 2) ORDER BY o.id")                          \
	X(OPERATOR_BY_EXTID,                                                                       \
	  "SELECT id FROM operators WHERE organization_id = ?1 AND external_id = ?2")              \
	X(OPERATOR_INSERT,                                                                         \
	  "INSERT INTO operators (organization_id, company_id, name, status, external_id, "        \
	  "token_epoch, created_at, updated_at) VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?5)")            \
	/* Re-synchronising a Deleted (2) operator brings it back as Active (0). */                \
	X(OPERATOR_RENAME,                                                                         \
	  "UPDATE operators SET name = ?2, status = CASE status WHEN 2 THEN 0 ELSE status END, "   \
	  "updated_at = ?3 WHERE id = ?1")                                                         \
	/* Any status but Active (0) revokes the tokens issued so far. */                          \
	X(OPERATOR_SET_PHOTO,                                                                      \
	  "UPDATE operators SET photo = NULLIF(?3, ''), updated_at = ?4 "                          \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(OPERATOR_SET_STATUS,                                                                     \
	  "UPDATE operators SET status = ?3, token_epoch = token_epoch + (?3 <> 0), "              \
	  "updated_at = ?4 WHERE company_id = ?1 AND id = ?2")                                     \
	CH_SQLITE_STMTS_CHATS(X)

/* ---- second half of store.h: secrets, clients, chats, messages, media,
 * channels (migration 002). */

#define CH_SQL_CLIENT_COLS                                                                         \
	"id, company_id, organization_id, source, name, phone, email, external_key, created_at, "  \
	"page_url, referrer, language, user_agent, attributes, verified_keys, updated_at, "        \
	"(SELECT COUNT(*) FROM chats WHERE chats.client_id = clients.id), erased_at"

/* A chat row as ch_chat_row wants it (count_unread: kept by CHAT_APPENDED
 * and CHAT_READ_OPERATOR, migration 003). */
#define CH_SQL_CHAT_COLS                                                                           \
	"c.id, c.company_id, c.organization_id, c.client_id, COALESCE(c.operator_id, 0), "         \
	"c.source, c.status, c.theme, c.last_seq, c.operator_read_seq, c.client_read_seq, "        \
	"c.count_unread, c.created_at, c.last_message_at, c.queued_at, "                           \
	"COALESCE(o.name, ''), cl.name, cl.phone, c.last_message, COALESCE(o.photo, ''), "         \
	"c.csat_rating, c.csat_comment, c.csat_at "
#define CH_SQL_CHAT_NCOLS 23 /* columns of CH_SQL_CHAT_COLS */
#define CH_SQL_CHAT_JOIN                                                                           \
	"FROM chats c JOIN clients cl ON cl.id = c.client_id "                                     \
	"LEFT JOIN operators o ON o.id = c.operator_id "
#define CH_SQL_CHAT_FROM "SELECT " CH_SQL_CHAT_COLS CH_SQL_CHAT_JOIN

/* ch_chat_filter but its search, one parameter per field; "no filter"
 * values make a term true. */
#define CH_SQL_CHAT_FILTER                                                                         \
	"AND (?2 = 0 OR c.organization_id = ?2) "                                                  \
	"AND (?3 = 0 OR (?3 = -1 AND c.operator_id IS NULL) OR c.operator_id = ?3) "               \
	"AND (?4 = 0 OR c.client_id = ?4) AND (?5 < 0 OR c.status = ?5) "                          \
	"AND (?6 = 0 OR c.status <> 4) AND (?7 < 0 OR c.source = ?7) "                             \
	"AND (?8 IS NULL OR cl.phone = ?8) AND (?9 = 0 OR c.activity_at >= ?9) "                   \
	"AND (?10 = 0 OR c.activity_at <= ?10) "                                                   \
	"AND (?11 IS NULL OR (c.source = 2 AND cl.external_key = ?11)) "                           \
	"AND (?12 = 0 OR EXISTS (SELECT 1 FROM chat_labels x WHERE x.chat_id = c.id "             \
	"AND x.label_id = ?12)) "

#define CH_SQL_CHAT_NEWEST " ORDER BY c.activity_at DESC, c.id DESC LIMIT ?13 OFFSET ?14"
#define CH_SQL_CHAT_QUEUED " ORDER BY c.queued_at, c.id LIMIT ?13 OFFSET ?14"
#define CH_SQL_CHAT_COUNT "SELECT COUNT(*) FROM chats c JOIN clients cl ON cl.id = c.client_id "

/* A search (migration 012): ?15 the FTS5 query of the messages, ?16 the
 * clients'. hit: the company's chats with a matching message and the newest
 * one's id; who: the company's clients that match. Both are computed once. */
#define CH_SQL_SEARCH_WITH                                                                         \
	"WITH hit (chat_id, mid) AS MATERIALIZED (SELECT m.chat_id, MAX(m.id) FROM messages_fts "   \
	"JOIN messages m ON m.id = messages_fts.rowid WHERE messages_fts MATCH ?15 "               \
	"AND m.company_id = ?1 GROUP BY m.chat_id), "                                              \
	"who (id) AS MATERIALIZED (SELECT w.id FROM clients_fts JOIN clients w "                   \
	"ON w.id = clients_fts.rowid WHERE clients_fts MATCH ?16 AND w.company_id = ?1) "
#define CH_SQL_SEARCH_WHERE                                                                        \
	"LEFT JOIN hit h ON h.chat_id = c.id WHERE c.company_id = ?1 "                             \
	"AND (h.mid IS NOT NULL OR c.client_id IN who) "

/* The list's driving condition, one per index. A unary + keeps the planner off
 * the company index where a narrower one serves (company_id is then only
 * checked, still scoping every row). */
#define CH_SQL_BY_COMPANY "WHERE c.company_id = ?1 "
#define CH_SQL_BY_ORG "WHERE c.organization_id = ?2 AND +c.company_id = ?1 "
#define CH_SQL_BY_OPERATOR "WHERE c.operator_id = ?3 AND +c.company_id = ?1 "
#define CH_SQL_BY_CLIENT "WHERE c.client_id = ?4 AND +c.company_id = ?1 "
#define CH_SQL_BY_QUEUE                                                                            \
	"WHERE c.organization_id = ?2 AND c.status = 0 AND c.operator_id IS NULL "                 \
	"AND +c.company_id = ?1 "

#define CH_SQL_MESSAGE_FROM                                                                        \
	"SELECT m.id, m.chat_id, m.company_id, m.seq, m.author, COALESCE(m.operator_id, 0), "      \
	"COALESCE(o.name, ''), m.text, m.status, m.media_id, d.name, d.format, d.type, d.size, "   \
	"m.client_message_id, m.created_at, COALESCE(o.photo, ''), m.redacted_at, "                 \
	"COALESCE(m.redacted_by, 0), COALESCE(r.name, '') FROM messages m "                         \
	"LEFT JOIN operators o ON o.id = m.operator_id LEFT JOIN media d ON d.id = m.media_id "    \
	"LEFT JOIN operators r ON r.id = m.redacted_by "

#define CH_SQL_DELIVERY_COLS \
	"id, company_id, organization_id, message_id, event_id, attempts, next_attempt_at, status, " \
	"COALESCE(chat_id, 0), platform_message_id"

#define CH_SQLITE_STMTS_CHATS(X)                                                                   \
	X(ORG_CANNED_POLICY,                                                                       \
	  "UPDATE organizations SET operators_manage_canned = ?3 WHERE company_id = ?1 AND id = ?2") \
	/* A shortcut the owner has already inserts nothing (CONFLICT). */                       \
	X(CANNED_INSERT,                                                                           \
	  "INSERT OR IGNORE INTO canned_responses (company_id, organization_id, operator_id, "     \
	  "shortcut, title, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                \
	X(CANNED_COUNT,                                                                            \
	  "SELECT COUNT(*) FROM canned_responses WHERE organization_id = ?1 AND operator_id = ?2") \
	X(CANNED_LIST,                                                                             \
	  "SELECT " CH_SQL_CANNED_COLS " FROM canned_responses WHERE company_id = ?1 AND "         \
	  "organization_id = ?2 AND (operator_id = 0 OR operator_id = ?3) "                       \
	  "ORDER BY operator_id <> 0, shortcut")                                                   \
	X(CANNED_GET,                                                                              \
	  "SELECT " CH_SQL_CANNED_COLS " FROM canned_responses WHERE company_id = ?1 AND id = ?2") \
	X(CANNED_UPDATE,                                                                           \
	  "UPDATE OR IGNORE canned_responses SET shortcut = ?3, title = ?4, text = ?5 "            \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(CANNED_DELETE, "DELETE FROM canned_responses WHERE company_id = ?1 AND id = ?2")         \
	X(ORG_SECRETS_GET,                                                                         \
	  "SELECT identity_secret, channel_secret, outbound_url, prechat_form, operators_manage_canned FROM organizations " \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(ORG_SECRETS_SET,                                                                         \
	  "UPDATE organizations SET identity_secret = COALESCE(?3, identity_secret), "             \
	  "channel_secret = COALESCE(?4, channel_secret), outbound_url = COALESCE(?5, outbound_url), " \
	  "prechat_form = COALESCE(?6, prechat_form) WHERE company_id = ?1 AND id = ?2")           \
	X(CLIENT_GET, "SELECT " CH_SQL_CLIENT_COLS " FROM clients WHERE company_id = ?1 AND id = ?2") \
	X(CLIENT_BY_KEY,                                                                           \
	  "SELECT id FROM clients WHERE organization_id = ?1 AND source = ?2 AND external_key = ?3") \
	X(CLIENT_INSERT,                                                                           \
	  "INSERT INTO clients (organization_id, company_id, source, name, phone, email, "         \
	  "external_key, created_at, updated_at) VALUES (?1, ?2, ?3, COALESCE(?4, ''), "           \
	  "COALESCE(?5, ''), COALESCE(?6, ''), ?7, ?8, ?8)")                                       \
	/* NULL or empty keeps what the client had. */                                             \
	X(CLIENT_UPDATE,                                                                           \
	  "UPDATE clients SET name = COALESCE(NULLIF(?2, ''), name), "                             \
	  "phone = COALESCE(NULLIF(?3, ''), phone), email = COALESCE(NULLIF(?4, ''), email) "      \
	  "WHERE id = ?1")                                                                         \
	X(CLIENT_IN_ORG,                                                                           \
	  "SELECT 1 FROM clients WHERE company_id = ?1 AND organization_id = ?2 AND id = ?3")      \
	/* NULL keeps a field (ch_client_change). */                                               \
	X(CLIENT_CHANGE,                                                                           \
	  "UPDATE clients SET name = COALESCE(?3, name), phone = COALESCE(?4, phone), "            \
	  "email = COALESCE(?5, email), page_url = COALESCE(?6, page_url), "                       \
	  "referrer = COALESCE(?7, referrer), language = COALESCE(?8, language), "                 \
	  "user_agent = COALESCE(?9, user_agent), attributes = COALESCE(?10, attributes), "        \
	  "verified_keys = COALESCE(?11, verified_keys), updated_at = ?12 "                        \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(CHAT_INSERT,                                                                             \
	  "INSERT INTO chats (company_id, organization_id, client_id, source, status, theme, "     \
	  "created_at, activity_at, queued_at) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?6, ?6)")        \
	X(CHAT_GET, CH_SQL_CHAT_FROM "WHERE c.company_id = ?1 AND c.id = ?2")                      \
	X(CHAT_OWNED, "SELECT 1 FROM chats WHERE company_id = ?1 AND id = ?2")                     \
	X(CHAT_OPEN_FOR_CLIENT,                                                                    \
	  CH_SQL_CHAT_FROM "WHERE c.client_id = ?2 AND +c.company_id = ?1 AND c.status <> 4 "      \
	                   "ORDER BY c.id DESC LIMIT 1")                                           \
	X(CHAT_STATE,                                                                              \
	  "SELECT organization_id, last_seq, operator_read_seq, client_read_seq FROM chats "       \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	/* queued_at moves only when the chat becomes New and unassigned: one                      \
	 * already waiting keeps its place in the queue. */                                        \
	X(CHAT_UPDATE,                                                                             \
	  "UPDATE chats SET status = ?3, operator_id = NULLIF(?4, 0), queued_at = CASE "           \
	  "WHEN ?3 = 0 AND ?4 = 0 AND NOT (status = 0 AND operator_id IS NULL) THEN ?5 "           \
	  "ELSE queued_at END, status_at = CASE WHEN status <> ?3 THEN ?5 ELSE status_at END "     \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(CHAT_SET_THEME, "UPDATE chats SET theme = ?3 WHERE company_id = ?1 AND id = ?2")         \
	/* Messages, media, channel records and deliveries go by ON DELETE CASCADE. */             \
	X(CHAT_DELETE, "DELETE FROM chats WHERE company_id = ?1 AND id = ?2")                      \
	/* ?5: 1 for a client's message (it is unread by the operator side). */                     \
	X(CHAT_APPENDED,                                                                           \
	  "UPDATE chats SET last_seq = ?2, last_message_at = ?3, activity_at = ?3, "               \
	  "last_message = ?4, count_unread = count_unread + ?5 WHERE id = ?1")                     \
	X(CHAT_READ_OPERATOR,                                                                      \
	  "UPDATE chats SET operator_read_seq = MAX(operator_read_seq, ?2), count_unread = ("      \
	  "SELECT COUNT(*) FROM messages u WHERE u.chat_id = ?1 AND u.seq > "                      \
	  "MAX(operator_read_seq, ?2) AND u.author = 1) WHERE id = ?1")                            \
	X(CHAT_READ_CLIENT, "UPDATE chats SET client_read_seq = MAX(client_read_seq, ?2) WHERE id = ?1") \
	X(CHAT_LIST_COMPANY, CH_SQL_CHAT_FROM CH_SQL_BY_COMPANY CH_SQL_CHAT_FILTER CH_SQL_CHAT_NEWEST) \
	X(CHAT_LIST_ORG, CH_SQL_CHAT_FROM CH_SQL_BY_ORG CH_SQL_CHAT_FILTER CH_SQL_CHAT_NEWEST)     \
	X(CHAT_LIST_OPERATOR, CH_SQL_CHAT_FROM CH_SQL_BY_OPERATOR CH_SQL_CHAT_FILTER CH_SQL_CHAT_NEWEST) \
	X(CHAT_LIST_CLIENT, CH_SQL_CHAT_FROM CH_SQL_BY_CLIENT CH_SQL_CHAT_FILTER CH_SQL_CHAT_NEWEST) \
	X(CHAT_LIST_QUEUE, CH_SQL_CHAT_FROM CH_SQL_BY_QUEUE CH_SQL_CHAT_FILTER CH_SQL_CHAT_QUEUED) \
	X(CHAT_LIST_QUEUED, CH_SQL_CHAT_FROM CH_SQL_BY_COMPANY CH_SQL_CHAT_FILTER CH_SQL_CHAT_QUEUED) \
	X(CHAT_COUNT_COMPANY, CH_SQL_CHAT_COUNT CH_SQL_BY_COMPANY CH_SQL_CHAT_FILTER)              \
	X(CHAT_COUNT_ORG, CH_SQL_CHAT_COUNT CH_SQL_BY_ORG CH_SQL_CHAT_FILTER)                      \
	X(CHAT_COUNT_OPERATOR, CH_SQL_CHAT_COUNT CH_SQL_BY_OPERATOR CH_SQL_CHAT_FILTER)            \
	X(CHAT_COUNT_CLIENT, CH_SQL_CHAT_COUNT CH_SQL_BY_CLIENT CH_SQL_CHAT_FILTER)                \
	X(CHAT_COUNT_QUEUE, CH_SQL_CHAT_COUNT CH_SQL_BY_QUEUE CH_SQL_CHAT_FILTER)                  \
	/* A page of found chats with, after the chat's columns, the newest          \
	 * matching message's id (0: none), whether the client matched, and the      \
	 * count of every found chat (so that one statement serves a page). */       \
	X(CHAT_SEARCH,                                                                             \
	  CH_SQL_SEARCH_WITH "SELECT " CH_SQL_CHAT_COLS ", COALESCE(h.mid, 0), "                   \
	  "c.client_id IN who, COUNT(*) OVER () " CH_SQL_CHAT_JOIN CH_SQL_SEARCH_WHERE             \
	  CH_SQL_CHAT_FILTER CH_SQL_CHAT_NEWEST)                                                   \
	X(CHAT_SEARCH_COUNT,                                                                       \
	  CH_SQL_SEARCH_WITH CH_SQL_CHAT_COUNT CH_SQL_SEARCH_WHERE CH_SQL_CHAT_FILTER)             \
	/* The match of one found chat: the client's highlighted name and e-mail    \
	 * (?1 client, ?2 the clients' query), or the message's seq and snippet     \
	 * (?1 message, ?2 the messages' query); the marks are search.h's. */        \
	X(SEARCH_CLIENT_MATCH,                                                                     \
	  "SELECT highlight(clients_fts, 0, ?3, ?4), highlight(clients_fts, 1, ?3, ?4) "           \
	  "FROM clients_fts WHERE clients_fts MATCH ?2 AND rowid = ?1")                            \
	X(SEARCH_MESSAGE_MATCH,                                                                    \
	  "SELECT m.seq, snippet(messages_fts, 0, ?3, ?4, '…', 16) FROM messages_fts "             \
	  "JOIN messages m ON m.id = messages_fts.rowid "                                          \
	  "WHERE messages_fts MATCH ?2 AND messages_fts.rowid = ?1")                               \
	X(FTS5_API, "SELECT fts5(?1)")                                                             \
	/* migration 017: the messages above messages_upto wait for the index */                 \
	X(SEARCH_UPTO, "SELECT messages_upto FROM search_progress WHERE id = 1")                   \
	X(SEARCH_NEXT,                                                                             \
	  "SELECT COALESCE(MAX(id), ?1), COUNT(*) FROM (SELECT id FROM messages WHERE id > ?1 "    \
	  "ORDER BY id LIMIT ?2)")                                                                 \
	X(SEARCH_INDEX,                                                                            \
	  "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages "                  \
	  "WHERE id > ?1 AND id <= ?2 AND author <> 2 AND text <> ''")                             \
	X(SEARCH_SET_UPTO, "UPDATE search_progress SET messages_upto = ?1 WHERE id = 1")           \
	X(OPERATOR_NAME, "SELECT name, COALESCE(photo, '') FROM operators WHERE company_id = ?1 AND id = ?2")           \
	X(OPERATOR_IN_ORG,                                                                         \
	  "SELECT 1 FROM operators WHERE company_id = ?1 AND organization_id = ?2 AND id = ?3")    \
	X(OPERATOR_LOAD,                                                                           \
	  "SELECT o.id, (SELECT COUNT(*) FROM chats c WHERE c.operator_id = o.id AND c.status <> 4 " \
	  "AND c.status <> 3) FROM operators o WHERE o.company_id = ?1 AND o.organization_id = ?2 AND o.status = 0 "  \
	  "ORDER BY o.id")                                                                         \
	X(MESSAGE_GET, CH_SQL_MESSAGE_FROM "WHERE m.company_id = ?1 AND m.id = ?2")                \
	X(MESSAGE_BY_CLIENT_ID, CH_SQL_MESSAGE_FROM "WHERE m.chat_id = ?1 AND m.client_message_id = ?2") \
	X(MESSAGE_INSERT,                                                                          \
	  "INSERT INTO messages (company_id, chat_id, seq, author, operator_id, text, status, "    \
	  "media_id, client_message_id, created_at) "                                              \
	  "VALUES (?1, ?2, ?3, ?4, NULLIF(?5, 0), ?6, ?7, NULLIF(?8, 0), ?9, ?10)")                \
	/* The first `limit` after ?3 and before ?4 (both bounds always bound). */                 \
	X(MESSAGE_LIST_AFTER,                                                                      \
	  CH_SQL_MESSAGE_FROM "WHERE m.chat_id = ?2 AND +m.company_id = ?1 AND m.seq > ?3 "        \
	                      "AND m.seq < ?4 ORDER BY m.seq LIMIT ?5")                            \
	/* The newest `limit` before ?4, turned back to ascending (column 4 = seq). */             \
	X(MESSAGE_LIST_BEFORE,                                                                     \
	  "SELECT * FROM (" CH_SQL_MESSAGE_FROM "WHERE m.chat_id = ?2 AND +m.company_id = ?1 "     \
	  "AND m.seq < ?4 ORDER BY m.seq DESC LIMIT ?5) ORDER BY 4")                               \
	/* Messages of authors ?4/?5 that a read up to ?3 changes (?2: read so far;                \
	 * everything at or below it was marked when it was read). */                              \
	X(MESSAGE_UNREAD_IDS,                                                                      \
	  "SELECT id FROM messages WHERE chat_id = ?1 AND author IN (?4, ?5) AND seq > ?2 "        \
	  "AND seq <= ?3 AND status IN (0, 1) ORDER BY seq")                                       \
	X(MESSAGE_MARK_READ,                                                                       \
	  "UPDATE messages SET status = 3 WHERE chat_id = ?1 AND author IN (?4, ?5) AND seq > ?2 " \
	  "AND seq <= ?3 AND status IN (0, 1)")                                                    \
	X(MEDIA_INSERT,                                                                            \
	  "INSERT INTO media (company_id, chat_id, name, format, type, size, created_at, data) "   \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")                                               \
	X(MESSAGE_SET_STATUS, "UPDATE messages SET status = ?3 WHERE company_id = ?1 AND id = ?2")  \
	X(MESSAGE_REDACT,                                                                          \
	  "UPDATE messages SET text = '', media_id = NULL, redacted_at = ?3, "                     \
	  "redacted_by = NULLIF(?4, 0) WHERE company_id = ?1 AND id = ?2 AND redacted_at = 0")     \
	/* The media's bytes go with it, unless another message still shows it. */                 \
	X(MEDIA_DELETE_UNUSED,                                                                     \
	  "DELETE FROM media WHERE company_id = ?1 AND id = ?2 AND NOT EXISTS "                    \
	  "(SELECT 1 FROM messages WHERE media_id = ?2)")                                          \
	X(CHAT_PREVIEW_CLEAR,                                                                      \
	  "UPDATE chats SET last_message = '' WHERE company_id = ?1 AND id = ?2 AND last_seq = ?3") \
	X(MEDIA_IN_CHAT,                                                                           \
	  "SELECT name, format, type, size FROM media WHERE company_id = ?1 AND chat_id = ?2 "     \
	  "AND id = ?3")                                                                           \
	X(MEDIA_GET,                                                                               \
	  "SELECT id, company_id, chat_id, name, format, type, size, data FROM media "             \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(MESSAGE_COMPANY_IN_ORG,                                                                  \
	  "SELECT m.company_id FROM messages m JOIN chats c ON c.id = m.chat_id "                  \
	  "WHERE m.id = ?1 AND c.organization_id = ?2")                                            \
	X(CHANNEL_FIND,                                                                            \
	  "SELECT message_id FROM channel_inbound WHERE organization_id = ?1 "                     \
	  "AND external_message_id = ?2")                                                          \
	X(CHANNEL_INSERT,                                                                          \
	  "INSERT INTO channel_inbound (organization_id, external_message_id, message_id, "        \
	  "created_at) VALUES (?1, ?2, ?3, ?4)")                                                   \
	X(DELIVERY_INSERT,                                                                         \
	  "INSERT INTO deliveries (company_id, organization_id, message_id, event_id, attempts, "  \
	  "next_attempt_at, status, created_at, chat_id) VALUES (?1, ?2, ?3, ?4, 0, ?5, 0, ?5, "    \
	  "(SELECT chat_id FROM messages WHERE id = ?3))")                                         \
	X(DELIVERY_DUE,                                                                            \
	  "SELECT " CH_SQL_DELIVERY_COLS " FROM deliveries WHERE status = 0 "                      \
	  "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2")                       \
	X(DELIVERY_UPDATE,                                                                         \
	  "UPDATE deliveries SET status = ?2, attempts = ?3, next_attempt_at = ?4, "               \
	  "last_error = ?5, platform_message_id = COALESCE(?6, platform_message_id), "             \
	  "lease_until = 0 WHERE id = ?1")                                                         \
	CH_SQLITE_STMTS_CLUSTER(X)                                                                 \
	CH_SQLITE_STMTS_LABELS(X)                                                                  \
	CH_SQLITE_PRESENCE_STMTS(X)                                                                \
	CH_SQLITE_NOTE_STMTS(X)                                                                    \
	CH_SQLITE_STMTS_AUTOCLOSE(X)                                                               \
	CH_SQLITE_STMTS_HOURS(X)                                                                   \
	CH_SQLITE_EVENTS_STMTS(X)                                                                  \
	CH_SQLITE_STMTS_CSAT(X)                                                                    \
	CH_SQLITE_STMTS_ERASURE(X)                                                                      \
	CH_SQLITE_STMTS_WEBHOOKS(X)                                                                \
	CH_SQLITE_STMTS_CHANNEL_CONNS(X)

/* ---- labels (migration 014). An id list is a JSON array text read by
 * json_each, so that one prepared statement takes any number of ids. */
#define CH_SQL_LABEL_COLS "l.id, l.company_id, l.organization_id, l.name, l.color, l.created_at"
#define CH_SQLITE_STMTS_LABELS(X)                                                                  \
	/* A name the organization has already (its key) inserts nothing (CONFLICT). */            \
	X(LABEL_INSERT,                                                                            \
	  "INSERT OR IGNORE INTO labels (company_id, organization_id, name, name_key, color, "     \
	  "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                           \
	X(LABEL_COUNT, "SELECT COUNT(*) FROM labels WHERE organization_id = ?1")                   \
	X(LABEL_LIST,                                                                              \
	  "SELECT " CH_SQL_LABEL_COLS " FROM labels l WHERE l.company_id = ?1 AND "                \
	  "l.organization_id = ?2 ORDER BY l.name_key, l.id")                                      \
	X(LABEL_GET, "SELECT " CH_SQL_LABEL_COLS " FROM labels l WHERE l.company_id = ?1 AND l.id = ?2") \
	X(LABEL_DELETE, "DELETE FROM labels WHERE company_id = ?1 AND id = ?2")                    \
	X(LABEL_COUNT_IN_ORG,                                                                      \
	  "SELECT COUNT(*) FROM labels WHERE company_id = ?1 AND organization_id = ?2 "            \
	  "AND id IN (SELECT value FROM json_each(?3))")                                           \
	X(CHAT_LABELS_CLEAR, "DELETE FROM chat_labels WHERE chat_id = ?1")                         \
	X(CHAT_LABELS_ADD, "INSERT INTO chat_labels (chat_id, label_id) SELECT ?1, value FROM json_each(?2)") \
	X(CHAT_LABELS_OF,                                                                          \
	  "SELECT x.chat_id, " CH_SQL_LABEL_COLS " FROM chat_labels x JOIN labels l ON "           \
	  "l.id = x.label_id WHERE x.chat_id IN (SELECT value FROM json_each(?2)) AND "            \
	  "l.company_id = ?1 ORDER BY x.chat_id, l.name_key, l.id")

/* ---- several processes on one database (migration 008) */
#define CH_SQLITE_STMTS_CLUSTER(X)                                                                 \
	X(SETTING_INSERT, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING") \
	X(SETTING_GET, "SELECT value FROM settings WHERE key = ?1")                                \
	X(CLIENT_OWNED, "SELECT 1 FROM clients WHERE company_id = ?1 AND id = ?2")                 \
	X(CHAT_ASSIGN_QUEUED,                                                                      \
	  "UPDATE chats SET status = 1, operator_id = ?3, status_at = ?4 WHERE company_id = ?1 "   \
	  "AND id = ?2 AND status = 0 AND operator_id IS NULL")                                    \
	/* A chat's deliveries in order: none while an earlier one of its chat is \
	 * pending (waiting for its retry, or leased). */                                         \
	X(DELIVERY_CLAIMABLE,                                                                      \
	  "SELECT " CH_SQL_DELIVERY_COLS " FROM deliveries d WHERE d.status = 0 "                  \
	  "AND d.next_attempt_at <= ?1 AND d.lease_until <= ?1 AND NOT EXISTS (SELECT 1 FROM "     \
	  "deliveries e WHERE e.chat_id = d.chat_id AND e.status = 0 AND e.id < d.id) "           \
	  "ORDER BY d.next_attempt_at, d.id LIMIT ?2")                                             \
	X(DELIVERY_LEASE, "UPDATE deliveries SET lease_until = ?2 WHERE id = ?1")

/* ---- auto-close (migration 015) */
/* The minutes chat t of organization g may stay silent in its status; 0 = never. */
#define CH_SQL_IDLE_MINUTES(t, g)                                                                  \
	"(CASE " t ".status WHEN 1 THEN " g ".auto_close_open_minutes WHEN 2 THEN "              \
	g ".auto_close_waiting_minutes WHEN 3 THEN " g ".auto_close_on_pause_minutes ELSE 0 END)"
/* Chat t of organization g is due at the time now: silent for its minutes. */
#define CH_SQL_IDLE_DUE(t, g, now)                                                                 \
	CH_SQL_IDLE_MINUTES(t, g) " > 0 AND MAX(" t ".activity_at, " t ".status_at) <= " now       \
	" - 60000 * " CH_SQL_IDLE_MINUTES(t, g)

#define CH_SQLITE_STMTS_AUTOCLOSE(X)                                                               \
	X(ORG_SET_AUTO_CLOSE,                                                                      \
	  "UPDATE organizations SET "                                                              \
	  "auto_close_waiting_minutes = COALESCE(?3, auto_close_waiting_minutes), "                \
	  "auto_close_open_minutes = COALESCE(?4, auto_close_open_minutes), "                      \
	  "auto_close_on_pause_minutes = COALESCE(?5, auto_close_on_pause_minutes) "               \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	/* Only the chats that are not Closed, through chats_operator_open (its key,              \
	 * the operator, is one no message moves); organizations by their key. */                 \
	X(CHAT_IDLE_DUE,                                                                           \
	  CH_SQL_CHAT_FROM "WHERE c.id IN (SELECT d.id FROM chats d INDEXED BY chats_operator_open " \
	  "CROSS JOIN organizations g ON g.id = d.organization_id WHERE d.status <> 4 AND "        \
	  CH_SQL_IDLE_DUE("d", "g", "?1") " ORDER BY d.id LIMIT ?2) ORDER BY c.organization_id, c.id") \
	X(CHAT_CLOSE_IF_IDLE,                                                                      \
	  "UPDATE chats SET status = 4, status_at = ?3 WHERE company_id = ?1 AND id = ?2 "         \
	  "AND status <> 4 AND EXISTS (SELECT 1 FROM organizations g WHERE "                       \
	  "g.id = chats.organization_id AND " CH_SQL_IDLE_DUE("chats", "g", "?3") ")")

/* ---- webhooks (migration 020) */
#define CH_SQL_WEBHOOK_COLS                                                                        \
	"id, company_id, COALESCE(organization_id, 0), url, events, secret, status, last_error, " \
	"last_success_at, failing_since, created_at"
#define CH_SQL_WEBHOOK_COLS_W "w.id, w.company_id, COALESCE(w.organization_id, 0), w.url, w.events, w.secret, w.status, " \
	"w.last_error, w.last_success_at, w.failing_since, w.created_at"
#define CH_SQLITE_STMTS_WEBHOOKS(X)                                                                \
	X(WEBHOOK_COUNT, "SELECT COUNT(*) FROM webhooks WHERE company_id = ?1")                    \
	X(WEBHOOK_INSERT,                                                                          \
	  "INSERT INTO webhooks (company_id, organization_id, url, events, secret, created_at) "   \
	  "VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6)")                                            \
	X(WEBHOOK_LIST, "SELECT " CH_SQL_WEBHOOK_COLS " FROM webhooks WHERE company_id = ?1 ORDER BY id") \
	X(WEBHOOK_GET, "SELECT " CH_SQL_WEBHOOK_COLS " FROM webhooks WHERE company_id = ?1 AND id = ?2") \
	X(WEBHOOK_DELETE, "DELETE FROM webhooks WHERE company_id = ?1 AND id = ?2")                \
	X(WEBHOOK_ENABLE,                                                                          \
	  "UPDATE webhooks SET status = 0, failing_since = 0, last_error = '' "                    \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(WEBHOOK_CURSORS_RESET,                                                                   \
	  "UPDATE webhook_cursors SET attempts = 0, first_failure_at = 0, next_attempt_at = 0 "    \
	  "WHERE webhook_id = ?1") \
	X(WEBHOOK_CURSORS_INIT,                                                                    \
	  "INSERT INTO webhook_cursors (webhook_id, organization_id, last_seq) SELECT ?1, o.id, "  \
	  "COALESCE((SELECT h.last_seq FROM org_event_heads h WHERE h.organization_id = o.id), 0) " \
	  "FROM organizations o WHERE o.company_id = ?2 AND (?3 = 0 OR o.id = ?3)")      \
	X(WEBHOOK_CURSORS_NEW_ORG,                                                                 \
	  "INSERT INTO webhook_cursors (webhook_id, organization_id) SELECT id, ?2 FROM webhooks " \
	  "WHERE company_id = ?1 AND organization_id IS NULL")                                     \
	X(WEBHOOK_CURSOR_CLAIMABLE,                                                                \
	  "SELECT " CH_SQL_WEBHOOK_COLS_W ", c.organization_id, c.last_seq, c.attempts, "       \
	  "c.first_failure_at, c.next_attempt_at " "FROM webhook_cursors c JOIN webhooks w ON w.id = c.webhook_id "  \
	  "JOIN org_event_heads h ON h.organization_id = c.organization_id WHERE w.status = 0 "  \
	  "AND c.next_attempt_at <= ?1 AND c.lease_until <= ?1 AND h.last_seq > c.last_seq "  \
	  "ORDER BY c.next_attempt_at, c.webhook_id, c.organization_id LIMIT ?2")                                        \
	X(WEBHOOK_CURSOR_LEASE,                                                                    \
	  "UPDATE webhook_cursors SET lease_until = ?3 WHERE webhook_id = ?1 AND organization_id = ?2") \
	X(WEBHOOK_CURSOR_UPDATE,                                                                   \
	  "UPDATE webhook_cursors SET last_seq = ?4, attempts = ?5, first_failure_at = ?6, "     \
	  "next_attempt_at = ?7, lease_until = 0 WHERE webhook_id = ?1 AND organization_id = ?2 " \
	  "AND lease_until = ?3")                                                                 \
	X(WEBHOOK_DELIVERED,                                                                       \
	  "UPDATE webhooks SET last_success_at = ?2, last_error = '' WHERE id = ?1")               \
	X(WEBHOOK_FAILED, "UPDATE webhooks SET last_error = ?2 WHERE id = ?1")                      \
	X(WEBHOOK_MARK_FAILING,                                                                    \
	  "UPDATE webhooks SET status = 1, failing_since = ?2 WHERE id = ?1 AND status = 0")      \
	X(WEBHOOK_CURSOR_LIST,                                                                     \
	  "SELECT c.organization_id, c.last_seq, c.attempts, c.first_failure_at, c.next_attempt_at " \
	  "FROM webhook_cursors c JOIN webhooks w ON w.id = c.webhook_id WHERE w.company_id = ?1 " \
	  "AND c.webhook_id = ?2 ORDER BY c.organization_id")                                     \
	X(WEBHOOK_FAILING_COUNT, "SELECT COUNT(*) FROM webhooks WHERE status = 1")

/* ---- channel connections (migration 025) */
#define CH_SQL_CHANNEL_CONN_COLS                                                                   \
	"id, company_id, organization_id, type, name, public_key, token_enc, token_hint, secret, " \
	"created_at, webhook_at, last_inbound_at, last_error, last_error_at"
#define CH_SQLITE_STMTS_CHANNEL_CONNS(X)                                                           \
	X(CHANNEL_CONN_COUNT, "SELECT COUNT(*) FROM channel_connections WHERE organization_id = ?1") \
	X(CHANNEL_CONN_INSERT,                                                                     \
	  "INSERT INTO channel_connections (company_id, organization_id, type, name, public_key, " \
	  "token_enc, token_hint, secret, created_at, webhook_at, last_inbound_at, last_error, "  \
	  "last_error_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")        \
	X(CHANNEL_CONN_LIST,                                                                       \
	  "SELECT " CH_SQL_CHANNEL_CONN_COLS " FROM channel_connections WHERE company_id = ?1 "    \
	  "AND organization_id = ?2 ORDER BY id")                                                  \
	X(CHANNEL_CONN_GET,                                                                        \
	  "SELECT " CH_SQL_CHANNEL_CONN_COLS " FROM channel_connections WHERE company_id = ?1 "    \
	  "AND id = ?2")                                                                           \
	X(CHANNEL_CONN_BY_KEY,                                                                     \
	  "SELECT " CH_SQL_CHANNEL_CONN_COLS " FROM channel_connections WHERE type = ?1 "          \
	  "AND public_key = ?2")                                                                   \
	X(CHANNEL_CONN_DELETE, "DELETE FROM channel_connections WHERE company_id = ?1 AND id = ?2") \
	/* -1 keeps a time; a NULL error keeps it, '' clears it with its time. */                 \
	X(CHANNEL_CONN_HEALTH,                                                                     \
	  "UPDATE channel_connections SET "                                                        \
	  "webhook_at = CASE WHEN ?2 < 0 THEN webhook_at ELSE ?2 END, "                            \
	  "last_inbound_at = CASE WHEN ?3 < 0 THEN last_inbound_at ELSE ?3 END, "                  \
	  "last_error = COALESCE(?4, last_error), "                                                \
	  "last_error_at = CASE WHEN ?4 IS NULL THEN last_error_at WHEN ?4 = '' THEN 0 ELSE ?5 END " \
	  "WHERE id = ?1")                                                                         \
	X(CHAT_SET_CONNECTION,                                                                     \
	  "UPDATE chats SET connection_id = NULLIF(?2, 0) WHERE id = ?1 AND (?2 = 0 OR EXISTS "    \
	  "(SELECT 1 FROM channel_connections k WHERE k.id = ?2 AND "                              \
	  "k.organization_id = chats.organization_id))")                                           \
	X(CHAT_CONNECTION, "SELECT COALESCE(connection_id, 0) FROM chats WHERE id = ?1")          \
	X(DELIVERY_BY_PLATFORM_ID,                                                                 \
	  "SELECT message_id FROM deliveries WHERE organization_id = ?1 AND "                      \
	  "platform_message_id = ?2 AND platform_message_id <> '' ORDER BY id DESC LIMIT 1")

/* ---- business hours (migration 022) */
#define CH_SQLITE_STMTS_HOURS(X)                                                                   \
	X(HOURS_GET,                                                                               \
	  "SELECT COALESCE(h.config, ''), COALESCE(h.drain_at, 0) FROM organizations g "           \
	  "LEFT JOIN business_hours h ON h.organization_id = g.id WHERE g.company_id = ?1 AND g.id = ?2") \
	X(HOURS_SET,                                                                               \
	  "INSERT INTO business_hours (organization_id, config, drain_at) VALUES (?1, ?2, 0) "     \
	  "ON CONFLICT (organization_id) DO UPDATE SET config = excluded.config, drain_at = 0")    \
	X(HOURS_DRAIN_AT,                                                                          \
	  "UPDATE business_hours SET drain_at = ?2 WHERE organization_id = ?1 "                    \
	  "AND (drain_at = 0 OR drain_at > ?2)")                                                   \
	X(HOURS_DUE,                                                                               \
	  "SELECT g.company_id, h.organization_id, h.drain_at FROM business_hours h "              \
	  "JOIN organizations g ON g.id = h.organization_id WHERE h.drain_at > 0 AND h.drain_at <= ?1 " \
	  "ORDER BY h.organization_id LIMIT ?2")                                                   \
	X(HOURS_NEXT, "SELECT COALESCE(MIN(drain_at), 0) FROM business_hours WHERE drain_at > ?1") \
	X(HOURS_DRAINED, "UPDATE business_hours SET drain_at = 0 WHERE organization_id = ?1 AND drain_at = ?2") \
	X(CHAT_AWAY_REPLIED,                                                                       \
	  "UPDATE chats SET away_replied = 1 WHERE company_id = ?1 AND id = ?2 AND away_replied = 0")

/* ---- CSAT (migration 021): a rating counts for the close it follows. */
#define CH_SQLITE_STMTS_CSAT(X)                                                                    \
	X(ORG_SET_CSAT, "UPDATE organizations SET csat_enabled = ?3 WHERE company_id = ?1 AND id = ?2") \
	X(CHAT_RATE,                                                                               \
	  "UPDATE chats SET csat_rating = ?3, csat_comment = ?4, csat_at = MAX(?5, status_at) "   \
	  "WHERE company_id = ?1 AND id = ?2 AND status = 4 AND (csat_at = 0 OR csat_at < status_at)")

#endif
