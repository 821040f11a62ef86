/* pg_events_sql.h — the statements of events.c (organization events,
 * migration 019), in the X(ID, "SQL") form of pg_sql.h, which includes them in
 * its table. Private to src/store/postgres/. */
#ifndef CH_STORE_PG_EVENTS_SQL_H
#define CH_STORE_PG_EVENTS_SQL_H

#define CH_PG_STMTS_EVENTS(X)                                                                      \
	/* n more numbers for the organization (its row locked until COMMIT) */                   \
	X(EVENT_HEAD_BUMP,                                                                         \
	  "INSERT INTO org_event_heads (organization_id, last_seq) VALUES ($1, $2) "               \
	  "ON CONFLICT (organization_id) DO UPDATE SET "                                          \
	  "last_seq = org_event_heads.last_seq + EXCLUDED.last_seq RETURNING last_seq")           \
	/* one organization's events of a batch as one JSON array, numbered from $2 */            \
	X(EVENT_INSERT_MANY,                                                                       \
	  "INSERT INTO org_events (organization_id, seq, company_id, type, at, chat_id, "          \
	  "message_id, client_id, data) SELECT $1::bigint, $2::bigint + e.ord - 1, (e.v->>'c')::bigint, "         \
	  "e.v->>'t', (e.v->>'a')::bigint, (e.v->>'h')::bigint, (e.v->>'m')::bigint, "             \
	  "(e.v->>'l')::bigint, (e.v->'d')::text FROM json_array_elements($3::json) "              \
	  "WITH ORDINALITY AS e(v, ord)")                                                          \
	X(EVENT_LIST,                                                                              \
	  "SELECT organization_id, seq, company_id, chat_id, message_id, client_id, at, type, data " \
	  "FROM org_events WHERE organization_id = $2 AND seq > $3 AND company_id = $1 "           \
	  "ORDER BY seq LIMIT $4")                                                                 \
	X(EVENT_HEAD,                                                                              \
	  "SELECT COALESCE(h.last_seq, 0), COALESCE(h.trimmed_upto, 0) FROM organizations o "      \
	  "LEFT JOIN org_event_heads h ON h.organization_id = o.id "                               \
	  "WHERE o.company_id = $1 AND o.id = $2")                                                 \
	X(EVENT_TRIM_ORGS,                                                                         \
	  "SELECT organization_id, trimmed_upto FROM org_event_heads "                             \
	  "WHERE last_seq > trimmed_upto ORDER BY organization_id")                                \
	/* how far the organization's oldest events (at most $4) are all older than $3 */         \
	X(EVENT_TRIM_POINT,                                                                        \
	  "SELECT COALESCE(MAX(seq), 0) FROM (SELECT seq, at, bool_and(at < $3::bigint) OVER "             \
	  "(ORDER BY seq) AS old FROM (SELECT seq, at FROM org_events WHERE organization_id = $1 " \
	  "AND seq > $2 ORDER BY seq LIMIT $4) k) w WHERE old")                                    \
	X(EVENT_TRIM_DELETE, "DELETE FROM org_events WHERE organization_id = $1 AND seq <= $2")    \
	X(EVENT_TRIM_MARK,                                                                         \
	  "UPDATE org_event_heads SET trimmed_upto = GREATEST(trimmed_upto, $2) "                  \
	  "WHERE organization_id = $1")

#endif
