/* pg_sql.h — every SQL statement the PostgreSQL backend runs at request rate,
 * as one declarative table: X(ID, "SQL"). Each connection prepares a statement
 * once, on first use (and again after a reconnect; see conn.c); the ID indexes
 * that cache. The statements are those of ../sqlite/sqlite_sql.h in
 * PostgreSQL's dialect: $n parameters with explicit types where a "no filter"
 * value would leave them ambiguous, GREATEST for SQLite's scalar MAX, ILIKE for
 * SQLite's ASCII case-insensitive LIKE, RETURNING instead of last_insert_rowid,
 * ON CONFLICT instead of a lookup before an insert. Private to src/store/postgres/.
 */
#ifndef CH_STORE_PG_SQL_H
#define CH_STORE_PG_SQL_H

#include "store/postgres/pg_erasure_sql.h"
#include "store/postgres/pg_events_sql.h"
#include "store/postgres/pg_note_sql.h"
#include "store/postgres/pg_presence_sql.h"

#define CH_PG_COMPANY_COLS "id, login, name, password_hash, created_at, token_epoch"
#define CH_PG_API_KEY_COLS "id, company_id, name, prefix, created_at"
#define CH_PG_CANNED_COLS "id, company_id, organization_id, operator_id, shortcut, title, text, created_at"
#define CH_PG_ORG_COLS                                                                             \
	"id, company_id, name, guid, allowed_origins, max_chats_per_operator, created_at, "        \
	"auto_close_waiting_minutes, auto_close_open_minutes, auto_close_on_pause_minutes, "       \
	"csat_enabled, retention_days"
#define CH_PG_OPERATOR_FROM                                                                        \
	"SELECT o.id, o.organization_id, o.company_id, o.name, g.name, o.status, o.external_id, " \
	"o.token_epoch, o.created_at, COALESCE(o.photo, '') FROM operators o "                    \
	"JOIN organizations g ON g.id = o.organization_id "

#define CH_PG_STMTS(X)                                                                             \
	X(BEGIN, "BEGIN")                                                                          \
	X(BEGIN_READ, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")                           \
	X(COMMIT, "COMMIT")                                                                        \
	X(ROLLBACK, "ROLLBACK")                                                                    \
	X(PING, "SELECT 1")                                                                        \
	/* A duplicate login answers no row (CONFLICT) without aborting the batch. */             \
	X(COMPANY_INSERT,                                                                          \
	  "INSERT INTO companies (login, name, password_hash, created_at) VALUES ($1, $2, $3, $4) " \
	  "ON CONFLICT (login) DO NOTHING RETURNING id")                                          \
	X(COMPANY_BY_ID, "SELECT " CH_PG_COMPANY_COLS " FROM companies WHERE id = $1")             \
	X(COMPANY_BY_LOGIN, "SELECT " CH_PG_COMPANY_COLS " FROM companies WHERE login = $1")       \
	X(COMPANY_SET_PASSWORD,                                                                    \
	  "UPDATE companies SET password_hash = $2, token_epoch = token_epoch + 1 WHERE id = $1")  \
	X(COMPANY_REVOKE, "UPDATE companies SET token_epoch = token_epoch + 1 WHERE id = $1")      \
	X(REVOCATIONS_BUMP, "UPDATE revocations SET gen = gen + 1 WHERE id = 1")                   \
	X(REVOCATIONS_GET, "SELECT gen FROM revocations WHERE id = 1")                             \
	X(API_KEY_INSERT,                                                                          \
	  "INSERT INTO api_keys (company_id, name, hash, prefix, created_at) "                     \
	  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING RETURNING id")               \
	X(API_KEY_COUNT, "SELECT COUNT(*) FROM api_keys WHERE company_id = $1")                    \
	X(API_KEY_LIST, "SELECT " CH_PG_API_KEY_COLS " FROM api_keys WHERE company_id = $1 ORDER BY id") \
	X(API_KEY_ALL, "SELECT " CH_PG_API_KEY_COLS ", hash FROM api_keys ORDER BY id")             \
	X(API_KEY_GET, "SELECT " CH_PG_API_KEY_COLS " FROM api_keys WHERE company_id = $1 AND id = $2") \
	X(API_KEY_DELETE, "DELETE FROM api_keys WHERE company_id = $1 AND id = $2")                \
	X(ORG_INSERT,                                                                              \
	  "INSERT INTO organizations (company_id, name, guid, created_at) VALUES ($1, $2, $3, $4) " \
	  "RETURNING id")                                                                          \
	X(ORG_GET, "SELECT " CH_PG_ORG_COLS " FROM organizations WHERE company_id = $1 AND id = $2") \
	X(ORG_BY_GUID, "SELECT " CH_PG_ORG_COLS " FROM organizations WHERE guid = $1")             \
	X(ORG_OWNED, "SELECT 1 FROM organizations WHERE company_id = $1 AND id = $2")              \
	X(ORG_UPDATE,                                                                              \
	  "UPDATE organizations SET name = COALESCE($3, name), "                                   \
	  "allowed_origins = COALESCE($4, allowed_origins), "                                      \
	  "max_chats_per_operator = COALESCE($5::bigint, max_chats_per_operator) "                 \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(ORG_LIST, "SELECT " CH_PG_ORG_COLS " FROM organizations WHERE company_id = $1 ORDER BY id") \
	X(ORG_LIST_ALL, "SELECT " CH_PG_ORG_COLS " FROM organizations ORDER BY id")                \
	X(OPERATOR_GET, CH_PG_OPERATOR_FROM "WHERE o.company_id = $1 AND o.id = $2")               \
	X(OPERATOR_LIST,                                                                           \
	  CH_PG_OPERATOR_FROM "WHERE o.company_id = $1 AND o.organization_id = $2 "                \
	                      "AND ($3::int <> 0 OR o.status <> 2) ORDER BY o.id")                 \
	X(OPERATOR_INSERT,                                                                         \
	  "INSERT INTO operators (organization_id, company_id, name, status, external_id, "        \
	  "token_epoch, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, 0, $5, $5) RETURNING id") \
	/* With an external id: the org's operator having it is renamed (Deleted comes back       \
	 * Active) or created; xmax = 0 tells an insert from an update. */                         \
	X(OPERATOR_UPSERT,                                                                         \
	  "INSERT INTO operators (organization_id, company_id, name, status, external_id, "        \
	  "token_epoch, created_at, updated_at) VALUES ($1, $2, $3, 0, $4, 0, $5, $5) "            \
	  "ON CONFLICT (organization_id, external_id) DO UPDATE SET name = EXCLUDED.name, "        \
	  "status = CASE operators.status WHEN 2 THEN 0 ELSE operators.status END, "               \
	  "updated_at = EXCLUDED.updated_at RETURNING id, (xmax = 0)")                             \
	X(OPERATOR_SET_PHOTO,                                                                      \
	  "UPDATE operators SET photo = NULLIF($3, ''), updated_at = $4 "                          \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	/* Any status but Active (0) revokes the tokens issued so far. */                          \
	X(OPERATOR_SET_STATUS,                                                                     \
	  "UPDATE operators SET status = $3::int, "                                                \
	  "token_epoch = token_epoch + CASE WHEN $3::int <> 0 THEN 1 ELSE 0 END, "                 \
	  "updated_at = $4 WHERE company_id = $1 AND id = $2")                                     \
	CH_PG_STMTS_CHATS(X)

#define CH_PG_CLIENT_COLS                                                                          \
	"id, company_id, organization_id, source, name, phone, email, external_key, created_at, "  \
	"page_url, referrer, language, user_agent, attributes, verified_keys, updated_at, "        \
	"(SELECT COUNT(*) FROM chats WHERE chats.client_id = clients.id), erased_at"

#define CH_PG_CHAT_COLS                                                                            \
	"c.id, c.company_id, c.organization_id, c.client_id, COALESCE(c.operator_id, 0), "         \
	"c.source, c.status, c.theme, c.last_seq, c.operator_read_seq, c.client_read_seq, "        \
	"c.count_unread, c.created_at, c.last_message_at, c.queued_at, "                           \
	"COALESCE(o.name, ''), cl.name, cl.phone, c.last_message, COALESCE(o.photo, ''), "         \
	"c.csat_rating, c.csat_comment, c.csat_at "
#define CH_PG_CHAT_NCOLS 23 /* columns of CH_PG_CHAT_COLS */
#define CH_PG_CHAT_JOIN \
	"FROM chats c JOIN clients cl ON cl.id = c.client_id LEFT JOIN operators o ON o.id = c.operator_id "
#define CH_PG_CHAT_FROM "SELECT " CH_PG_CHAT_COLS CH_PG_CHAT_JOIN

/* ch_chat_filter but its search, one parameter per field; "no filter"
 * values make a term true. */
#define CH_PG_CHAT_FILTER                                                                          \
	"AND ($2::bigint = 0 OR c.organization_id = $2::bigint) "                                  \
	"AND ($3::bigint = 0 OR ($3::bigint = -1 AND c.operator_id IS NULL) "                      \
	"OR c.operator_id = $3::bigint) "                                                          \
	"AND ($4::bigint = 0 OR c.client_id = $4::bigint) AND ($5::int < 0 OR c.status = $5::int) " \
	"AND ($6::int = 0 OR c.status <> 4) AND ($7::int < 0 OR c.source = $7::int) "              \
	"AND ($8::text IS NULL OR cl.phone = $8::text) "                                           \
	"AND ($9::bigint = 0 OR c.activity_at >= $9::bigint) "                                     \
	"AND ($10::bigint = 0 OR c.activity_at <= $10::bigint) "                                   \
	"AND ($11::text IS NULL OR (c.source = 2 AND cl.external_key = $11::text)) "               \
	"AND ($12::bigint = 0 OR EXISTS (SELECT 1 FROM chat_labels x WHERE x.chat_id = c.id "     \
	"AND x.label_id = $12::bigint)) "

#define CH_PG_CHAT_NEWEST " ORDER BY c.activity_at DESC, c.id DESC LIMIT $13 OFFSET $14"
#define CH_PG_CHAT_QUEUED " ORDER BY c.queued_at, c.id LIMIT $13 OFFSET $14"
#define CH_PG_CHAT_COUNT "SELECT COUNT(*) FROM chats c JOIN clients cl ON cl.id = c.client_id "

/* A search (migration 012): $15 the user's words, $16 NULL or the phone
 * digits' tsquery text ('<digits>':*C, made of digits only). q: the
 * messages' query (m) and the clients' (w: the words in the name or e-mail,
 * or the digits in the phone keys); hit: the company's chats with a matching
 * message and the newest one's id; who: the company's matching clients. */
#define CH_PG_SEARCH_WITH                                                                          \
	"WITH q AS MATERIALIZED (SELECT chathub_search_query($15::text, '') AS m, "                 \
	"CASE WHEN $16::text IS NULL THEN chathub_search_query($15::text, 'AB') "                  \
	"ELSE chathub_search_query($15::text, 'AB') || to_tsquery('pg_catalog.simple', $16::text) " \
	"END AS w), "                                                                              \
	"hit AS MATERIALIZED (SELECT s.chat_id, MAX(s.id) AS mid FROM messages s "                 \
	"WHERE s.company_id = $1 AND s.author <> 2 "                                               \
	"AND chathub_message_doc(s.text) @@ (SELECT m FROM q) GROUP BY s.chat_id), "               \
	"who AS MATERIALIZED (SELECT w.id FROM clients w WHERE w.company_id = $1 "                 \
	"AND chathub_client_doc(w.name, w.email, w.phone) @@ (SELECT w FROM q)), "                 \
	"f AS MATERIALIZED (SELECT id, MAX(mid) AS mid FROM (SELECT chat_id AS id, mid FROM hit "  \
	"UNION ALL SELECT x.id, 0 FROM chats x WHERE x.company_id = $1 "                           \
	"AND x.client_id IN (SELECT id FROM who)) u GROUP BY id) "
/* The found chats drive the join (f: each chat once, with its newest
 * matching message or 0), so that a common word's thousands of chats are
 * looked up by key rather than joined against every chat of the company. */
#define CH_PG_SEARCH_FROM                                                                          \
	"FROM f JOIN chats c ON c.id = f.id JOIN clients cl ON cl.id = c.client_id "               \
	"LEFT JOIN operators o ON o.id = c.operator_id WHERE c.company_id = $1 "
/* ts_headline's options: the marks are search.h's (U+FDD0, U+FDD1). */
#define CH_PG_HEADLINE "'StartSel=' || chr(64976) || ', StopSel=' || chr(64977) || ', ShortWord=0, "
#define CH_PG_HEADLINE_ALL CH_PG_HEADLINE "HighlightAll=true'"
#define CH_PG_HEADLINE_FRAGMENT CH_PG_HEADLINE "MaxFragments=1, MaxWords=16, MinWords=8'"

#define CH_PG_BY_COMPANY "WHERE c.company_id = $1 "
#define CH_PG_BY_ORG "WHERE c.organization_id = $2::bigint AND c.company_id = $1 "
#define CH_PG_BY_OPERATOR "WHERE c.operator_id = $3::bigint AND c.company_id = $1 "
#define CH_PG_BY_CLIENT "WHERE c.client_id = $4::bigint AND c.company_id = $1 "
#define CH_PG_BY_QUEUE                                                                             \
	"WHERE c.organization_id = $2::bigint AND c.status = 0 AND c.operator_id IS NULL "         \
	"AND c.company_id = $1 "

#define CH_PG_MESSAGE_COLS                                                                         \
	"m.id, m.chat_id, m.company_id, m.seq, m.author, COALESCE(m.operator_id, 0), "             \
	"COALESCE(o.name, ''), m.text, m.status, m.media_id, d.name, d.format, d.type, d.size, "   \
	"m.client_message_id, m.created_at, COALESCE(o.photo, ''), m.redacted_at, "                 \
	"COALESCE(m.redacted_by, 0), COALESCE(r.name, '') "
#define CH_PG_MESSAGE_FROM                                                                         \
	"SELECT " CH_PG_MESSAGE_COLS "FROM messages m LEFT JOIN operators o ON o.id = m.operator_id " \
	"LEFT JOIN media d ON d.id = m.media_id LEFT JOIN operators r ON r.id = m.redacted_by "

#define CH_PG_DELIVERY_COLS \
	"id, company_id, organization_id, message_id, event_id, attempts, next_attempt_at, status, " \
	"COALESCE(chat_id, 0), platform_message_id"

#define CH_PG_STMTS_CHATS(X)                                                                       \
	X(ORG_CANNED_POLICY,                                                                       \
	  "UPDATE organizations SET operators_manage_canned = $3 WHERE company_id = $1 AND id = $2") \
	/* A shortcut the owner has already answers no row (CONFLICT). */                         \
	X(CANNED_INSERT,                                                                           \
	  "INSERT INTO canned_responses (company_id, organization_id, operator_id, "               \
	  "shortcut, title, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "                \
	  "ON CONFLICT (organization_id, operator_id, shortcut) DO NOTHING RETURNING id")          \
	X(CANNED_COUNT,                                                                            \
	  "SELECT COUNT(*) FROM canned_responses WHERE organization_id = $1 AND operator_id = $2") \
	X(CANNED_LIST,                                                                             \
	  "SELECT " CH_PG_CANNED_COLS " FROM canned_responses WHERE company_id = $1 AND "          \
	  "organization_id = $2 AND (operator_id = 0 OR operator_id = $3) "                       \
	  "ORDER BY operator_id <> 0, shortcut COLLATE \"C\"")                                     \
	X(CANNED_GET,                                                                              \
	  "SELECT " CH_PG_CANNED_COLS " FROM canned_responses WHERE company_id = $1 AND id = $2")  \
	/* The same shortcut on another of the owner's responses answers no row (CONFLICT). */    \
	X(CANNED_UPDATE,                                                                           \
	  "UPDATE canned_responses c SET shortcut = $3, title = $4, text = $5 "                    \
	  "WHERE c.company_id = $1 AND c.id = $2 AND NOT EXISTS (SELECT 1 FROM canned_responses d " \
	  "WHERE d.organization_id = c.organization_id AND d.operator_id = c.operator_id "         \
	  "AND d.shortcut = $3 AND d.id <> c.id)")                                                 \
	X(CANNED_DELETE, "DELETE FROM canned_responses WHERE company_id = $1 AND id = $2")         \
	X(ORG_SECRETS_GET,                                                                         \
	  "SELECT identity_secret, channel_secret, outbound_url, prechat_form, operators_manage_canned FROM organizations " \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(ORG_SECRETS_SET,                                                                         \
	  "UPDATE organizations SET identity_secret = COALESCE($3, identity_secret), "             \
	  "channel_secret = COALESCE($4, channel_secret), outbound_url = COALESCE($5, outbound_url), " \
	  "prechat_form = COALESCE($6::int, prechat_form) WHERE company_id = $1 AND id = $2")      \
	X(CLIENT_GET, "SELECT " CH_PG_CLIENT_COLS " FROM clients WHERE company_id = $1 AND id = $2") \
	X(CLIENT_INSERT,                                                                           \
	  "INSERT INTO clients (organization_id, company_id, source, name, phone, email, "         \
	  "external_key, created_at, updated_at) VALUES ($1, $2, $3, COALESCE($4, ''), "           \
	  "COALESCE($5, ''), COALESCE($6, ''), $7, $8, $8) RETURNING id")                          \
	/* With a key: NULL or empty fields keep what the client had. */                           \
	X(CLIENT_UPSERT,                                                                           \
	  "INSERT INTO clients (organization_id, company_id, source, name, phone, email, "         \
	  "external_key, created_at, updated_at) VALUES ($1, $2, $3, COALESCE($4, ''), "           \
	  "COALESCE($5, ''), COALESCE($6, ''), $7, $8, $8) "                                       \
	  "ON CONFLICT (organization_id, source, external_key) "                                   \
	  "DO UPDATE SET name = COALESCE(NULLIF($4, ''), clients.name), "                          \
	  "phone = COALESCE(NULLIF($5, ''), clients.phone), "                                      \
	  "email = COALESCE(NULLIF($6, ''), clients.email) RETURNING id")                          \
	X(CLIENT_IN_ORG,                                                                           \
	  "SELECT 1 FROM clients WHERE company_id = $1 AND organization_id = $2 AND id = $3")      \
	X(CLIENT_LOCK, "SELECT 1 FROM clients WHERE company_id = $1 AND id = $2 FOR NO KEY UPDATE") \
	/* NULL keeps a field (ch_client_change). */                                               \
	X(CLIENT_CHANGE,                                                                           \
	  "UPDATE clients SET name = COALESCE($3, name), phone = COALESCE($4, phone), "            \
	  "email = COALESCE($5, email), page_url = COALESCE($6, page_url), "                       \
	  "referrer = COALESCE($7, referrer), language = COALESCE($8, language), "                 \
	  "user_agent = COALESCE($9, user_agent), attributes = COALESCE($10, attributes), "        \
	  "verified_keys = COALESCE($11, verified_keys), updated_at = $12 "                        \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(CHAT_INSERT,                                                                             \
	  "INSERT INTO chats (company_id, organization_id, client_id, source, status, theme, "     \
	  "created_at, activity_at, queued_at) VALUES ($1, $2, $3, $4, 0, $5, $6, $6, $6) "        \
	  "RETURNING id")                                                                          \
	X(CHAT_GET, CH_PG_CHAT_FROM "WHERE c.company_id = $1 AND c.id = $2")                       \
	X(CHAT_LOCK, CH_PG_CHAT_FROM "WHERE c.company_id = $1 AND c.id = $2 FOR NO KEY UPDATE OF c") \
	X(CHAT_OWNED, "SELECT 1 FROM chats WHERE company_id = $1 AND id = $2")                     \
	X(CHAT_OPEN_FOR_CLIENT,                                                                    \
	  CH_PG_CHAT_FROM "WHERE c.client_id = $2 AND c.company_id = $1 AND c.status <> 4 "        \
	                  "ORDER BY c.id DESC LIMIT 1")                                            \
	X(CHAT_STATE,                                                                              \
	  "SELECT organization_id, last_seq, operator_read_seq, client_read_seq FROM chats "       \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	/* The writer's view of the chat an append numbers: locked until the batch ends. */        \
	X(CHAT_STATE_LOCK,                                                                         \
	  "SELECT organization_id, last_seq, operator_read_seq, client_read_seq FROM chats "       \
	  "WHERE company_id = $1 AND id = $2 FOR NO KEY UPDATE")                                   \
	X(CHAT_UPDATE,                                                                             \
	  "UPDATE chats SET status = $3::int, operator_id = NULLIF($4::bigint, 0), queued_at = CASE " \
	  "WHEN $3::int = 0 AND $4::bigint = 0 AND NOT (status = 0 AND operator_id IS NULL) THEN $5 " \
	  "ELSE queued_at END, status_at = CASE WHEN status <> $3::int THEN $5 ELSE status_at END " \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(CHAT_ASSIGN_QUEUED,                                                                      \
	  "UPDATE chats SET status = 1, operator_id = $3, status_at = $4 WHERE company_id = $1 "   \
	  "AND id = $2 AND status = 0 AND operator_id IS NULL")                                    \
	X(CHAT_SET_THEME, "UPDATE chats SET theme = $3 WHERE company_id = $1 AND id = $2")         \
	X(CHAT_DELETE, "DELETE FROM chats WHERE company_id = $1 AND id = $2")                      \
	X(CHAT_APPENDED,                                                                           \
	  "UPDATE chats SET last_seq = $2, last_message_at = $3, activity_at = $3, "               \
	  "last_message = $4, count_unread = count_unread + $5 WHERE id = $1")                     \
	X(CHAT_READ_OPERATOR,                                                                      \
	  "UPDATE chats SET operator_read_seq = GREATEST(operator_read_seq, $2), count_unread = (" \
	  "SELECT COUNT(*) FROM messages u WHERE u.chat_id = $1 AND u.seq > "                      \
	  "GREATEST(chats.operator_read_seq, $2) AND u.author = 1) WHERE id = $1")                 \
	X(CHAT_READ_CLIENT,                                                                        \
	  "UPDATE chats SET client_read_seq = GREATEST(client_read_seq, $2) WHERE id = $1")        \
	X(CHAT_LIST_COMPANY, CH_PG_CHAT_FROM CH_PG_BY_COMPANY CH_PG_CHAT_FILTER CH_PG_CHAT_NEWEST) \
	X(CHAT_LIST_ORG, CH_PG_CHAT_FROM CH_PG_BY_ORG CH_PG_CHAT_FILTER CH_PG_CHAT_NEWEST)         \
	X(CHAT_LIST_OPERATOR, CH_PG_CHAT_FROM CH_PG_BY_OPERATOR CH_PG_CHAT_FILTER CH_PG_CHAT_NEWEST) \
	X(CHAT_LIST_CLIENT, CH_PG_CHAT_FROM CH_PG_BY_CLIENT CH_PG_CHAT_FILTER CH_PG_CHAT_NEWEST)   \
	X(CHAT_LIST_QUEUE, CH_PG_CHAT_FROM CH_PG_BY_QUEUE CH_PG_CHAT_FILTER CH_PG_CHAT_QUEUED)    \
	X(CHAT_LIST_QUEUED, CH_PG_CHAT_FROM CH_PG_BY_COMPANY CH_PG_CHAT_FILTER CH_PG_CHAT_QUEUED) \
	X(CHAT_COUNT_COMPANY, CH_PG_CHAT_COUNT CH_PG_BY_COMPANY CH_PG_CHAT_FILTER)                \
	X(CHAT_COUNT_ORG, CH_PG_CHAT_COUNT CH_PG_BY_ORG CH_PG_CHAT_FILTER)                        \
	X(CHAT_COUNT_OPERATOR, CH_PG_CHAT_COUNT CH_PG_BY_OPERATOR CH_PG_CHAT_FILTER)              \
	X(CHAT_COUNT_CLIENT, CH_PG_CHAT_COUNT CH_PG_BY_CLIENT CH_PG_CHAT_FILTER)                  \
	X(CHAT_COUNT_QUEUE, CH_PG_CHAT_COUNT CH_PG_BY_QUEUE CH_PG_CHAT_FILTER)                    \
	/* A page of found chats with, after the chat's columns, the newest          \
	 * matching message's id (0: none), whether the client matched, and the      \
	 * count of every found chat (so that one statement serves a page). */       \
	X(CHAT_SEARCH,                                                                             \
	  CH_PG_SEARCH_WITH "SELECT " CH_PG_CHAT_COLS ", f.mid, "                                  \
	  "c.client_id IN (SELECT id FROM who), COUNT(*) OVER () " CH_PG_SEARCH_FROM               \
	  CH_PG_CHAT_FILTER CH_PG_CHAT_NEWEST)                                                     \
	/* Bound like CHAT_SEARCH, with LIMIT NULL OFFSET 0. */                       \
	X(CHAT_SEARCH_COUNT,                                                                       \
	  CH_PG_SEARCH_WITH "SELECT COUNT(*) FROM (SELECT 1 " CH_PG_SEARCH_FROM CH_PG_CHAT_FILTER  \
	  "LIMIT $13 OFFSET $14) x")                                                               \
	/* The match of one found chat ($1 company, $2 client or message, $3 the     \
	 * user's words): the client's highlighted name and e-mail, or the           \
	 * message's seq and snippet. */                                             \
	/* The parser keeps an e-mail whole where the index has its words, so      \
	 * whether a field matched is read from the headline of its words (columns \
	 * 2 and 3), the snippet from the field's own. */                           \
	X(SEARCH_CLIENT_MATCH,                                                                     \
	  "SELECT ts_headline('chathub_search', name, q, " CH_PG_HEADLINE_ALL "), "                \
	  "ts_headline('chathub_search', email, q, " CH_PG_HEADLINE_ALL "), "                      \
	  "strpos(ts_headline('chathub_search', chathub_search_text(name), q, "                    \
	  CH_PG_HEADLINE_ALL "), chr(64976)) > 0, "                                                \
	  "strpos(ts_headline('chathub_search', chathub_search_text(email), q, "                   \
	  CH_PG_HEADLINE_ALL "), chr(64976)) > 0 "                                                 \
	  "FROM clients, chathub_search_query($3::text, '') q WHERE company_id = $1 AND id = $2")  \
	/* A short text whole (as FTS5's snippet gives it), a long one around the match. */ \
	X(SEARCH_MESSAGE_MATCH,                                                                    \
	  "SELECT seq, CASE WHEN length(text) <= 160 "                                             \
	  "THEN ts_headline('chathub_search', text, q, " CH_PG_HEADLINE_ALL ") "                   \
	  "ELSE ts_headline('chathub_search', text, q, " CH_PG_HEADLINE_FRAGMENT ") END "          \
	  "FROM messages, chathub_search_query($3::text, '') q WHERE company_id = $1 AND id = $2") \
	X(OPERATOR_NAME,                                                                           \
	  "SELECT name, COALESCE(photo, '') FROM operators WHERE company_id = $1 AND id = $2")     \
	X(OPERATOR_IN_ORG,                                                                         \
	  "SELECT 1 FROM operators WHERE company_id = $1 AND organization_id = $2 AND id = $3")    \
	X(OPERATOR_LOAD,                                                                           \
	  "SELECT o.id, (SELECT COUNT(*) FROM chats c WHERE c.operator_id = o.id AND c.status <> 4 " \
	  "AND c.status <> 3) FROM operators o WHERE o.company_id = $1 AND o.organization_id = $2 AND o.status = 0 "  \
	  "ORDER BY o.id")                                                                         \
	X(MESSAGE_GET, CH_PG_MESSAGE_FROM "WHERE m.company_id = $1 AND m.id = $2")                 \
	X(MESSAGE_BY_CLIENT_ID, CH_PG_MESSAGE_FROM "WHERE m.chat_id = $1 AND m.client_message_id = $2") \
	X(MESSAGE_INSERT,                                                                          \
	  "INSERT INTO messages (company_id, chat_id, seq, author, operator_id, text, status, "    \
	  "media_id, client_message_id, created_at) "                                              \
	  "VALUES ($1, $2, $3, $4, NULLIF($5::bigint, 0), $6, $7, NULLIF($8::bigint, 0), $9, $10) " \
	  "RETURNING id")                                                                          \
	X(MESSAGE_LIST_AFTER,                                                                      \
	  CH_PG_MESSAGE_FROM "WHERE m.chat_id = $2 AND m.company_id = $1 AND m.seq > $3 "          \
	                     "AND m.seq < $4 ORDER BY m.seq LIMIT $5")                             \
	X(MESSAGE_LIST_BEFORE,                                                                     \
	  "SELECT * FROM (" CH_PG_MESSAGE_FROM "WHERE m.chat_id = $2 AND m.company_id = $1 "       \
	  "AND m.seq > $3 AND m.seq < $4 ORDER BY m.seq DESC LIMIT $5) AS t ORDER BY 4")                          \
	X(MESSAGE_UNREAD_IDS,                                                                      \
	  "SELECT id FROM messages WHERE chat_id = $1 AND author IN ($4, $5) AND seq > $2 "        \
	  "AND seq <= $3 AND status IN (0, 1) ORDER BY seq")                                       \
	X(MESSAGE_MARK_READ,                                                                       \
	  "UPDATE messages SET status = 3 WHERE chat_id = $1 AND author IN ($4, $5) AND seq > $2 " \
	  "AND seq <= $3 AND status IN (0, 1)")                                                    \
	X(MEDIA_INSERT,                                                                            \
	  "INSERT INTO media (company_id, chat_id, name, format, type, size, created_at, data) "   \
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")                                  \
	X(MESSAGE_SET_STATUS, "UPDATE messages SET status = $3 WHERE company_id = $1 AND id = $2")  \
	X(MESSAGE_REDACT,                                                                          \
	  "UPDATE messages SET text = '', media_id = NULL, redacted_at = $3, "                     \
	  "redacted_by = NULLIF($4::bigint, 0) WHERE company_id = $1 AND id = $2 AND redacted_at = 0") \
	X(MEDIA_DELETE_UNUSED,                                                                     \
	  "DELETE FROM media WHERE company_id = $1 AND id = $2 AND NOT EXISTS "                    \
	  "(SELECT 1 FROM messages WHERE media_id = $2)")                                          \
	X(CHAT_PREVIEW_CLEAR,                                                                      \
	  "UPDATE chats SET last_message = '' WHERE company_id = $1 AND id = $2 AND last_seq = $3") \
	X(MEDIA_IN_CHAT,                                                                           \
	  "SELECT name, format, type, size FROM media WHERE company_id = $1 AND chat_id = $2 "     \
	  "AND id = $3")                                                                           \
	X(MEDIA_GET,                                                                               \
	  "SELECT id, company_id, chat_id, name, format, type, size, data FROM media "             \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(MESSAGE_COMPANY_IN_ORG,                                                                  \
	  "SELECT m.company_id FROM messages m JOIN chats c ON c.id = m.chat_id "                  \
	  "WHERE m.id = $1 AND c.organization_id = $2")                                            \
	X(CHANNEL_FIND,                                                                            \
	  "SELECT COALESCE(message_id, 0) FROM channel_inbound WHERE organization_id = $1 "        \
	  "AND external_message_id = $2")                                                          \
	X(CHANNEL_INSERT,                                                                          \
	  "INSERT INTO channel_inbound (organization_id, external_message_id, message_id, "        \
	  "created_at) VALUES ($1, $2, $3, $4) "                                                   \
	  "ON CONFLICT (organization_id, external_message_id) DO NOTHING RETURNING id")           \
	X(DELIVERY_INSERT,                                                                         \
	  "INSERT INTO deliveries (company_id, organization_id, message_id, event_id, attempts, "  \
	  "next_attempt_at, status, created_at, chat_id) VALUES ($1, $2, $3, $4, 0, $5, 0, $5, "    \
	  "(SELECT chat_id FROM messages WHERE id = $3)) RETURNING id")                            \
	X(DELIVERY_DUE,                                                                            \
	  "SELECT " CH_PG_DELIVERY_COLS " FROM deliveries WHERE status = 0 "                       \
	  "AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2")                       \
	/* Rows another sender holds (locked or leased) are skipped, never waited for;        \
	 * a chat's deliveries go in order: none while an earlier one of its chat is      \
	 * pending (waiting for its retry, or leased or locked by another sender). */       \
	X(DELIVERY_CLAIM,                                                                          \
	  "UPDATE deliveries d SET lease_until = $3::bigint + $1::bigint FROM (SELECT x.id FROM "  \
	  "deliveries x WHERE x.status = 0 AND x.next_attempt_at <= $1::bigint AND "              \
	  "x.lease_until <= $1::bigint AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE "          \
	  "e.chat_id = x.chat_id AND e.status = 0 AND e.id < x.id) "                               \
	  "ORDER BY x.next_attempt_at, x.id LIMIT $2 FOR UPDATE OF x SKIP LOCKED) AS due "        \
	  "WHERE d.id = due.id RETURNING d.id, d.company_id, d.organization_id, d.message_id, "    \
	  "d.event_id, d.attempts, d.next_attempt_at, d.status, COALESCE(d.chat_id, 0), "          \
	  "d.platform_message_id")                                                                 \
	X(DELIVERY_UPDATE,                                                                         \
	  "UPDATE deliveries SET status = $2, attempts = $3, next_attempt_at = $4, "               \
	  "last_error = $5, platform_message_id = COALESCE($6, platform_message_id), "             \
	  "lease_until = 0 WHERE id = $1")                                                         \
	CH_PG_STMTS_CLUSTER(X)                                                                     \
	CH_PG_STMTS_LABELS(X)                                                                      \
	CH_PG_STMTS_PRESENCE(X)                                                                    \
	CH_PG_STMTS_NOTES(X)                                                                       \
	CH_PG_STMTS_AUTOCLOSE(X)                                                                   \
	CH_PG_STMTS_HOURS(X)                                                                       \
	CH_PG_STMTS_EVENTS(X)                                                                      \
	CH_PG_STMTS_CSAT(X)                                                                        \
	CH_PG_STMTS_ERASURE(X)                                                                      \
	CH_PG_STMTS_WEBHOOKS(X)                                                                    \
	CH_PG_STMTS_CHANNEL_CONNS(X)

/* ---- labels (migration 014). An id list is an array literal "{1,2}" cast to
 * bigint[], so that one prepared statement takes any number of ids; names sort
 * byte-wise (COLLATE "C"), as in SQLite, whatever the database's locale. */
#define CH_PG_LABEL_COLS "l.id, l.company_id, l.organization_id, l.name, l.color, l.created_at"
#define CH_PG_STMTS_LABELS(X)                                                                      \
	/* A name the organization has already (its key) inserts nothing (CONFLICT). */            \
	X(LABEL_INSERT,                                                                            \
	  "INSERT INTO labels (company_id, organization_id, name, name_key, color, created_at) "   \
	  "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id")                  \
	X(LABEL_COUNT, "SELECT COUNT(*) FROM labels WHERE organization_id = $1")                   \
	X(LABEL_LIST,                                                                              \
	  "SELECT " CH_PG_LABEL_COLS " FROM labels l WHERE l.company_id = $1 AND "                 \
	  "l.organization_id = $2 ORDER BY l.name_key COLLATE \"C\", l.id")                       \
	X(LABEL_GET, "SELECT " CH_PG_LABEL_COLS " FROM labels l WHERE l.company_id = $1 AND l.id = $2") \
	X(LABEL_DELETE, "DELETE FROM labels WHERE company_id = $1 AND id = $2")                    \
	X(LABEL_COUNT_IN_ORG,                                                                      \
	  "SELECT COUNT(*) FROM labels WHERE company_id = $1 AND organization_id = $2 "            \
	  "AND id = ANY($3::bigint[])")                                                            \
	X(CHAT_LABELS_CLEAR, "DELETE FROM chat_labels WHERE chat_id = $1")                         \
	X(CHAT_LABELS_ADD,                                                                         \
	  "INSERT INTO chat_labels (chat_id, label_id) SELECT $1::bigint, unnest($2::bigint[])")           \
	X(CHAT_LABELS_OF,                                                                          \
	  "SELECT x.chat_id, " CH_PG_LABEL_COLS " FROM chat_labels x JOIN labels l ON "            \
	  "l.id = x.label_id WHERE x.chat_id = ANY($2::bigint[]) AND l.company_id = $1 "           \
	  "ORDER BY x.chat_id, l.name_key COLLATE \"C\", l.id")

#define CH_PG_STMTS_CLUSTER(X)                                                                     \
	X(SETTING_ENSURE,                                                                          \
	  "WITH ins AS (INSERT INTO settings (key, value) VALUES ($1, $2) "                        \
	  "ON CONFLICT (key) DO NOTHING RETURNING value) "                                         \
	  "SELECT value FROM ins UNION ALL SELECT value FROM settings WHERE key = $1")            \
	X(SETTING_GET, "SELECT value FROM settings WHERE key = $1")                                \
	X(ROUTING_LOCK, "SELECT pg_advisory_xact_lock($1::bigint)")                                \
	/* (kind, id): two int4 keys, apart from the routing lock's one-bigint keys \
	 * and from the migrations' ("CHAT", 1) key; ids folded into int4 may share a lock, which \
	 * only serialises two unrelated budgets. */                              \
	X(BUDGET_LOCK, "SELECT pg_advisory_xact_lock($1::int, ($2::bigint % 2147483647)::int)")   \
	X(BUS_LOG_INSERT, "INSERT INTO bus_log (node_id, bseq, payload) VALUES ($1, $2, $3)")      \
	X(BUS_LOG_HAS, "SELECT 1 FROM bus_log WHERE node_id = $1 AND bseq = $2")                   \
	X(BUS_LOG_MAX, "SELECT COALESCE(MAX(bseq), 0) FROM bus_log WHERE node_id = $1")            \
	X(BUS_LOG_READ,                                                                            \
	  "SELECT node_id, bseq, payload FROM bus_log WHERE node_id = $1 AND bseq > $2 "           \
	  "AND ($3::bigint = 0 OR bseq <= $3::bigint) ORDER BY bseq LIMIT $4")                     \
	X(BUS_LOG_HEADS, "SELECT node_id, MAX(bseq) FROM bus_log GROUP BY node_id ORDER BY node_id") \
	X(BUS_LOG_TRIM,                                                                            \
	  "DELETE FROM bus_log WHERE created_at < "                                                \
	  "(extract(epoch FROM clock_timestamp()) * 1000)::bigint - $1::bigint")

/* ---- auto-close (migration 015) */
/* The minutes chat t of organization g may stay silent in its status; 0 = never. */
#define CH_PG_IDLE_MINUTES(t, g)                                                                   \
	"(CASE " t ".status WHEN 1 THEN " g ".auto_close_open_minutes WHEN 2 THEN "              \
	g ".auto_close_waiting_minutes WHEN 3 THEN " g ".auto_close_on_pause_minutes ELSE 0 END)"
/* Chat t of organization g is due at the time now: silent for its minutes. */
#define CH_PG_IDLE_DUE(t, g, now)                                                                  \
	CH_PG_IDLE_MINUTES(t, g) " > 0 AND GREATEST(" t ".activity_at, " t ".status_at) <= " now   \
	"::bigint - 60000 * " CH_PG_IDLE_MINUTES(t, g)

#define CH_PG_STMTS_AUTOCLOSE(X)                                                                   \
	X(ORG_SET_AUTO_CLOSE,                                                                      \
	  "UPDATE organizations SET "                                                              \
	  "auto_close_waiting_minutes = COALESCE($3::bigint, auto_close_waiting_minutes), "        \
	  "auto_close_open_minutes = COALESCE($4::bigint, auto_close_open_minutes), "              \
	  "auto_close_on_pause_minutes = COALESCE($5::bigint, auto_close_on_pause_minutes) "       \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	/* Only the chats that are not Closed (the partial index chats_operator_open). */         \
	X(CHAT_IDLE_DUE,                                                                           \
	  CH_PG_CHAT_FROM "WHERE c.id IN (SELECT d.id FROM chats d JOIN organizations g "          \
	  "ON g.id = d.organization_id WHERE d.status <> 4 AND " CH_PG_IDLE_DUE("d", "g", "$1")   \
	  " ORDER BY d.id LIMIT NULLIF($2::bigint, 0)) ORDER BY c.organization_id, c.id")         \
	/* Under READ COMMITTED a row another transaction changed meanwhile is                    \
	 * checked again as it is after that commit: a message or a close in                      \
	 * between leaves it not due, and nothing is written. */                                  \
	X(CHAT_CLOSE_IF_IDLE,                                                                      \
	  "UPDATE chats c SET status = 4, status_at = $3 FROM organizations g "                    \
	  "WHERE c.company_id = $1 AND c.id = $2 AND g.id = c.organization_id AND c.status <> 4 "  \
	  "AND " CH_PG_IDLE_DUE("c", "g", "$3"))

/* ---- webhooks (migration 020) */
#define CH_PG_WEBHOOK_COLS                                                                        \
	"id, company_id, COALESCE(organization_id, 0), url, events, secret, status, last_error, " \
	"last_success_at, failing_since, created_at"
#define CH_PG_WEBHOOK_COLS_W "w.id, w.company_id, COALESCE(w.organization_id, 0), w.url, w.events, w.secret, w.status, " \
	"w.last_error, w.last_success_at, w.failing_since, w.created_at"
#define CH_PG_STMTS_WEBHOOKS(X)                                                                \
	X(WEBHOOK_COUNT, "SELECT COUNT(*) FROM webhooks WHERE company_id = $1")                    \
	X(WEBHOOK_INSERT,                                                                          \
	  "INSERT INTO webhooks (company_id, organization_id, url, events, secret, created_at) "   \
	  "VALUES ($1, NULLIF($2::bigint, 0), $3, $4, $5, $6) RETURNING id")                                            \
	X(WEBHOOK_LIST, "SELECT " CH_PG_WEBHOOK_COLS " FROM webhooks WHERE company_id = $1 ORDER BY id") \
	X(WEBHOOK_GET, "SELECT " CH_PG_WEBHOOK_COLS " FROM webhooks WHERE company_id = $1 AND id = $2") \
	X(WEBHOOK_DELETE, "DELETE FROM webhooks WHERE company_id = $1 AND id = $2")                \
	X(WEBHOOK_ENABLE,                                                                          \
	  "UPDATE webhooks SET status = 0, failing_since = 0, last_error = '' "                    \
	  "WHERE company_id = $1 AND id = $2")                                                     \
	X(WEBHOOK_CURSORS_RESET,                                                                   \
	  "UPDATE webhook_cursors SET attempts = 0, first_failure_at = 0, next_attempt_at = 0 "    \
	  "WHERE webhook_id = $1") \
	X(WEBHOOK_CURSORS_INIT,                                                                    \
	  "INSERT INTO webhook_cursors (webhook_id, organization_id, last_seq) SELECT $1::bigint, o.id, "  \
	  "COALESCE((SELECT h.last_seq FROM org_event_heads h WHERE h.organization_id = o.id), 0) " \
	  "FROM organizations o WHERE o.company_id = $2 AND ($3::bigint = 0 OR o.id = $3::bigint)")      \
	X(WEBHOOK_CURSORS_NEW_ORG,                                                                 \
	  "INSERT INTO webhook_cursors (webhook_id, organization_id) SELECT id, $2::bigint FROM webhooks " \
	  "WHERE company_id = $1 AND organization_id IS NULL")                                     \
	X(WEBHOOK_CURSOR_CLAIM,                                                                    \
	  "UPDATE webhook_cursors k SET lease_until = $3::bigint + $1::bigint FROM (SELECT "       \
	  "c.webhook_id, c.organization_id " "FROM webhook_cursors c JOIN webhooks w ON w.id = c.webhook_id "  \
	  "JOIN org_event_heads h ON h.organization_id = c.organization_id WHERE w.status = 0 "  \
	  "AND c.next_attempt_at <= $1::bigint AND c.lease_until <= $1::bigint AND h.last_seq > c.last_seq "  \
	  "ORDER BY c.next_attempt_at, c.webhook_id, c.organization_id LIMIT $2" " FOR UPDATE OF c SKIP LOCKED) AS due, "  \
	  "webhooks w WHERE k.webhook_id = due.webhook_id AND k.organization_id = due.organization_id " \
	  "AND w.id = k.webhook_id RETURNING " CH_PG_WEBHOOK_COLS_W ", k.organization_id, k.last_seq, " \
	  "k.attempts, k.first_failure_at, k.next_attempt_at, k.lease_until")                     \
	X(WEBHOOK_CURSOR_UPDATE,                                                                   \
	  "UPDATE webhook_cursors SET last_seq = $4, attempts = $5, first_failure_at = $6, "     \
	  "next_attempt_at = $7, lease_until = 0 WHERE webhook_id = $1 AND organization_id = $2 " \
	  "AND lease_until = $3::bigint")                                                                 \
	X(WEBHOOK_DELIVERED,                                                                       \
	  "UPDATE webhooks SET last_success_at = $2, last_error = '' WHERE id = $1")               \
	X(WEBHOOK_FAILED, "UPDATE webhooks SET last_error = $2 WHERE id = $1")                      \
	X(WEBHOOK_MARK_FAILING,                                                                    \
	  "UPDATE webhooks SET status = 1, failing_since = $2 WHERE id = $1 AND status = 0")      \
	X(WEBHOOK_CURSOR_LIST,                                                                     \
	  "SELECT c.organization_id, c.last_seq, c.attempts, c.first_failure_at, c.next_attempt_at " \
	  "FROM webhook_cursors c JOIN webhooks w ON w.id = c.webhook_id WHERE w.company_id = $1 " \
	  "AND c.webhook_id = $2 ORDER BY c.organization_id")                                     \
	X(WEBHOOK_FAILING_COUNT, "SELECT COUNT(*) FROM webhooks WHERE status = 1")

/* ---- channel connections (migration 025) */
#define CH_PG_CHANNEL_CONN_COLS                                                                    \
	"id, company_id, organization_id, type, name, public_key, token_enc, token_hint, secret, " \
	"created_at, webhook_at, last_inbound_at, last_error, last_error_at"
#define CH_PG_STMTS_CHANNEL_CONNS(X)                                                               \
	X(CHANNEL_CONN_COUNT, "SELECT COUNT(*) FROM channel_connections WHERE organization_id = $1") \
	/* A public key taken answers no row (CONFLICT) without aborting the batch. */            \
	X(CHANNEL_CONN_INSERT,                                                                     \
	  "INSERT INTO channel_connections (company_id, organization_id, type, name, public_key, " \
	  "token_enc, token_hint, secret, created_at, webhook_at, last_inbound_at, last_error, "  \
	  "last_error_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "        \
	  "ON CONFLICT (public_key) DO NOTHING RETURNING id")                                      \
	X(CHANNEL_CONN_LIST,                                                                       \
	  "SELECT " CH_PG_CHANNEL_CONN_COLS " FROM channel_connections WHERE company_id = $1 "     \
	  "AND organization_id = $2 ORDER BY id")                                                  \
	X(CHANNEL_CONN_GET,                                                                        \
	  "SELECT " CH_PG_CHANNEL_CONN_COLS " FROM channel_connections WHERE company_id = $1 "     \
	  "AND id = $2")                                                                           \
	X(CHANNEL_CONN_BY_KEY,                                                                     \
	  "SELECT " CH_PG_CHANNEL_CONN_COLS " FROM channel_connections WHERE type = $1 "           \
	  "AND public_key = $2")                                                                   \
	X(CHANNEL_CONN_DELETE, "DELETE FROM channel_connections WHERE company_id = $1 AND id = $2") \
	/* -1 keeps a time; a NULL error keeps it, '' clears it with its time. */                 \
	X(CHANNEL_CONN_HEALTH,                                                                     \
	  "UPDATE channel_connections SET "                                                        \
	  "webhook_at = CASE WHEN $2::bigint < 0 THEN webhook_at ELSE $2::bigint END, "            \
	  "last_inbound_at = CASE WHEN $3::bigint < 0 THEN last_inbound_at ELSE $3::bigint END, "  \
	  "last_error = COALESCE($4::text, last_error), last_error_at = CASE WHEN $4::text IS NULL " \
	  "THEN last_error_at WHEN $4::text = '' THEN 0 ELSE $5::bigint END WHERE id = $1")        \
	X(CHAT_SET_CONNECTION,                                                                     \
	  "UPDATE chats SET connection_id = NULLIF($2::bigint, 0) WHERE id = $1 AND "              \
	  "($2::bigint = 0 OR EXISTS (SELECT 1 FROM channel_connections k WHERE k.id = $2::bigint " \
	  "AND k.organization_id = chats.organization_id))")                                       \
	X(CHAT_CONNECTION, "SELECT COALESCE(connection_id, 0) FROM chats WHERE id = $1")          \
	X(DELIVERY_BY_PLATFORM_ID,                                                                 \
	  "SELECT message_id FROM deliveries WHERE organization_id = $1 AND "                      \
	  "platform_message_id = $2 AND platform_message_id <> '' ORDER BY id DESC LIMIT 1")

/* ---- business hours (migration 022) */
#define CH_PG_STMTS_HOURS(X)                                                                       \
	X(HOURS_GET,                                                                               \
	  "SELECT COALESCE(h.config, ''), COALESCE(h.drain_at, 0) FROM organizations g "           \
	  "LEFT JOIN business_hours h ON h.organization_id = g.id WHERE g.company_id = $1 AND g.id = $2") \
	X(HOURS_SET,                                                                               \
	  "INSERT INTO business_hours (organization_id, config, drain_at) VALUES ($1, $2, 0) "     \
	  "ON CONFLICT (organization_id) DO UPDATE SET config = excluded.config, drain_at = 0")    \
	X(HOURS_DRAIN_AT,                                                                          \
	  "UPDATE business_hours SET drain_at = $2 WHERE organization_id = $1 "                    \
	  "AND (drain_at = 0 OR drain_at > $2)")                                                   \
	X(HOURS_DUE,                                                                               \
	  "SELECT g.company_id, h.organization_id, h.drain_at FROM business_hours h "              \
	  "JOIN organizations g ON g.id = h.organization_id WHERE h.drain_at > 0 AND h.drain_at <= $1 " \
	  "ORDER BY h.organization_id LIMIT $2")                                                   \
	X(HOURS_NEXT, "SELECT COALESCE(MIN(drain_at), 0) FROM business_hours WHERE drain_at > $1") \
	X(HOURS_DRAINED, "UPDATE business_hours SET drain_at = 0 WHERE organization_id = $1 AND drain_at = $2") \
	X(CHAT_AWAY_REPLIED,                                                                       \
	  "UPDATE chats SET away_replied = 1 WHERE company_id = $1 AND id = $2 AND away_replied = 0")

/* ---- CSAT (migration 021): a rating counts for the close it follows; a
 * second process rating at once waits for the first's row lock, then finds
 * csat_at no longer older than the close and changes nothing. */
#define CH_PG_STMTS_CSAT(X)                                                                        \
	X(ORG_SET_CSAT, "UPDATE organizations SET csat_enabled = $3 WHERE company_id = $1 AND id = $2") \
	X(CHAT_RATE,                                                                               \
	  "UPDATE chats SET csat_rating = $3, csat_comment = $4, "                                 \
	  "csat_at = GREATEST($5::bigint, status_at) WHERE company_id = $1 AND id = $2 "           \
	  "AND status = 4 AND (csat_at = 0 OR csat_at < status_at)")

#endif
