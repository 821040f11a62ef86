/* pg_presence_sql.h — the statements of presence.c (nodes, operator
 * connections and presence), in the X(ID, "SQL") form of pg_sql.h, which
 * includes them in its table. Times come from the database's clock.
 * Private to src/store/postgres/. */
#ifndef CH_STORE_PG_PRESENCE_SQL_H
#define CH_STORE_PG_PRESENCE_SQL_H

#define CH_PG_NOW "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
#define CH_PG_PRESENCE_FROM                                                                        \
	"SELECT p.operator_id, p.company_id, p.organization_id, p.away, p.idle_since, "            \
	"COALESCE(p.offline_since, 0), (SELECT COALESCE(SUM(c.connections), 0) "                   \
	"FROM operator_conns c JOIN nodes n ON n.id = c.node_id "                                  \
	"WHERE c.operator_id = p.operator_id AND n.lease_until >= " CH_PG_NOW ") "                 \
	"FROM operator_presence p "

#define CH_PG_STMTS_PRESENCE(X)                                                                    \
	X(NODE_INSERT,                                                                             \
	  "INSERT INTO nodes (id, started_at, renewed_at, lease_until) VALUES ($1, " CH_PG_NOW ", " \
	  CH_PG_NOW ", " CH_PG_NOW " + $2::bigint)")                                               \
	X(NODE_RENEW,                                                                              \
	  "UPDATE nodes SET renewed_at = " CH_PG_NOW ", lease_until = " CH_PG_NOW " + $2::bigint " \
	  "WHERE id = $1")                                                                         \
	/* the reaper's lock: a second reaper waits, then finds no row */                          \
	X(NODE_LOCK, "SELECT renewed_at FROM nodes WHERE id = $1 FOR UPDATE")                      \
	X(NODE_EXPIRED,                                                                            \
	  "SELECT id FROM nodes WHERE lease_until < " CH_PG_NOW " ORDER BY lease_until LIMIT 64 "  \
	  "FOR UPDATE SKIP LOCKED")                                                                \
	X(NODE_OPERATORS, "SELECT operator_id FROM operator_conns WHERE node_id = $1")             \
	X(NODE_DELETE, "DELETE FROM nodes WHERE id = $1")                                          \
	X(NODE_EXISTS, "SELECT 1 FROM nodes WHERE id = $1")                                        \
	X(CONN_SET,                                                                                \
	  "INSERT INTO operator_conns (node_id, operator_id, connections) VALUES ($1, $2, $3) "     \
	  "ON CONFLICT (operator_id, node_id) DO UPDATE SET connections = EXCLUDED.connections")  \
	X(CONN_DELETE, "DELETE FROM operator_conns WHERE node_id = $1 AND operator_id = $2")       \
	/* also the row lock that orders one operator's changes across processes */               \
	X(PRESENCE_ENSURE,                                                                         \
	  "INSERT INTO operator_presence (operator_id, company_id, organization_id, idle_since, "   \
	  "offline_since) VALUES ($1, $2, $3, " CH_PG_NOW ", " CH_PG_NOW ") "                      \
	  "ON CONFLICT (operator_id) DO UPDATE SET company_id = EXCLUDED.company_id, "             \
	  "organization_id = EXCLUDED.organization_id")                                            \
	X(PRESENCE_LOCK, "SELECT 1 FROM operator_presence WHERE operator_id = $1 FOR UPDATE")      \
	X(PRESENCE_GET, CH_PG_PRESENCE_FROM "WHERE p.operator_id = $1")                           \
	X(PRESENCE_ONLINE,                                                                         \
	  CH_PG_PRESENCE_FROM "WHERE p.organization_id = $1 AND p.away = 0 AND EXISTS ("           \
	  "SELECT 1 FROM operator_conns c JOIN nodes n ON n.id = c.node_id "                       \
	  "WHERE c.operator_id = p.operator_id AND n.lease_until >= " CH_PG_NOW ") "               \
	  "ORDER BY p.operator_id")                                                                \
	X(PRESENCE_CONNECTED,                                                                      \
	  "UPDATE operator_presence SET offline_since = NULL, requeued = 1 WHERE operator_id = $1") \
	X(PRESENCE_OFFLINE,                                                                        \
	  "UPDATE operator_presence SET offline_since = COALESCE($2::bigint, " CH_PG_NOW "), "      \
	  "away = 0, requeued = 0 WHERE operator_id = $1 AND offline_since IS NULL")               \
	X(PRESENCE_AWAY, "UPDATE operator_presence SET away = $2 WHERE operator_id = $1")          \
	X(PRESENCE_TOUCH,                                                                          \
	  "UPDATE operator_presence SET idle_since = " CH_PG_NOW " WHERE operator_id = $1")        \
	X(PRESENCE_DUE,                                                                            \
	  "SELECT operator_id FROM operator_presence WHERE requeued = 0 "                          \
	  "AND offline_since <= " CH_PG_NOW " - $1::bigint ORDER BY offline_since LIMIT $2 "       \
	  "FOR UPDATE SKIP LOCKED")                                                                \
	X(PRESENCE_REQUEUED, "UPDATE operator_presence SET requeued = 1 WHERE operator_id = $1")

#endif
