/* sqlite_events_sql.h — the statements of events.c (organization events,
 * migration 019), in the X(ID, "SQL") form of sqlite_sql.h, which includes
 * them in its table. Private to src/store/sqlite/. */
#ifndef CH_STORE_SQLITE_EVENTS_SQL_H
#define CH_STORE_SQLITE_EVENTS_SQL_H

#define CH_SQLITE_EVENTS_STMTS(X)                                                                  \
	/* n more numbers for the organization; answers the last one given */                     \
	X(EVENT_HEAD_BUMP,                                                                         \
	  "INSERT INTO org_event_heads (organization_id, last_seq) VALUES (?1, ?2) "               \
	  "ON CONFLICT (organization_id) DO UPDATE SET "                                          \
	  "last_seq = org_event_heads.last_seq + excluded.last_seq RETURNING last_seq")           \
	X(EVENT_INSERT,                                                                            \
	  "INSERT INTO org_events (organization_id, seq, company_id, type, at, chat_id, "          \
	  "message_id, client_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")              \
	X(EVENT_LIST,                                                                              \
	  "SELECT organization_id, seq, company_id, chat_id, message_id, client_id, at, type, data " \
	  "FROM org_events WHERE organization_id = ?2 AND seq > ?3 AND company_id = ?1 "           \
	  "ORDER BY seq LIMIT ?4")                                                                 \
	X(EVENT_HEAD,                                                                              \
	  "SELECT COALESCE(h.last_seq, 0), COALESCE(h.trimmed_upto, 0) FROM organizations o "      \
	  "LEFT JOIN org_event_heads h ON h.organization_id = o.id "                               \
	  "WHERE o.company_id = ?1 AND o.id = ?2")                                                 \
	X(EVENT_TRIM_ORGS,                                                                         \
	  "SELECT organization_id, trimmed_upto FROM org_event_heads "                             \
	  "WHERE last_seq > trimmed_upto ORDER BY organization_id")                                \
	/* the organization's oldest kept events, to find how far the trim may go */              \
	X(EVENT_TRIM_SCAN,                                                                         \
	  "SELECT seq, at FROM org_events WHERE organization_id = ?1 AND seq > ?2 "                \
	  "ORDER BY seq LIMIT ?3")                                                                 \
	X(EVENT_TRIM_DELETE,                                                                       \
	  "DELETE FROM org_events WHERE organization_id = ?1 AND seq <= ?2")                       \
	X(EVENT_TRIM_MARK,                                                                         \
	  "UPDATE org_event_heads SET trimmed_upto = MAX(trimmed_upto, ?2) WHERE organization_id = ?1")

#endif
