/* sqlite_presence_sql.h — the statements of presence.c (nodes, operator
 * connections and presence), in the X(ID, "SQL") form of sqlite_sql.h, which
 * includes them in its table. Private to src/store/sqlite/. */
#ifndef CH_STORE_SQLITE_PRESENCE_SQL_H
#define CH_STORE_SQLITE_PRESENCE_SQL_H

/* The live connection count of operator p.operator_id; ?NOW is bound as ?9. */
#define CH_SQL_PRESENCE_LIVE                                                                       \
	"(SELECT COALESCE(SUM(c.connections), 0) FROM operator_conns c JOIN nodes n ON n.id = c.node_id " \
	"WHERE c.operator_id = p.operator_id AND n.lease_until >= ?9)"
#define CH_SQL_PRESENCE_FROM                                                                       \
	"SELECT p.operator_id, p.company_id, p.organization_id, p.away, p.idle_since, "            \
	"COALESCE(p.offline_since, 0), " CH_SQL_PRESENCE_LIVE " FROM operator_presence p "

#define CH_SQLITE_PRESENCE_STMTS(X)                                                                \
	X(NODE_INSERT,                                                                             \
	  "INSERT INTO nodes (id, started_at, renewed_at, lease_until) VALUES (?1, ?2, ?2, ?2 + ?3)") \
	X(NODE_RENEW, "UPDATE nodes SET renewed_at = ?2, lease_until = ?2 + ?3 WHERE id = ?1")     \
	X(NODE_RENEWED_AT, "SELECT renewed_at FROM nodes WHERE id = ?1")                          \
	X(NODE_EXPIRED, "SELECT id FROM nodes WHERE lease_until < ?1 ORDER BY lease_until LIMIT 64") \
	X(NODE_OPERATORS, "SELECT operator_id FROM operator_conns WHERE node_id = ?1")             \
	X(NODE_CONNS_DELETE, "DELETE FROM operator_conns WHERE node_id = ?1")                      \
	X(NODE_DELETE, "DELETE FROM nodes WHERE id = ?1")                                          \
	X(CONN_SET,                                                                                \
	  "INSERT INTO operator_conns (node_id, operator_id, connections) VALUES (?1, ?2, ?3) "     \
	  "ON CONFLICT (operator_id, node_id) DO UPDATE SET connections = excluded.connections")  \
	X(CONN_DELETE, "DELETE FROM operator_conns WHERE node_id = ?1 AND operator_id = ?2")       \
	X(PRESENCE_ENSURE,                                                                         \
	  "INSERT INTO operator_presence (operator_id, company_id, organization_id, idle_since, "   \
	  "offline_since) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (operator_id) DO UPDATE SET "     \
	  "company_id = excluded.company_id, organization_id = excluded.organization_id")          \
	X(PRESENCE_GET, CH_SQL_PRESENCE_FROM "WHERE p.operator_id = ?1")                          \
	X(PRESENCE_ONLINE,                                                                         \
	  CH_SQL_PRESENCE_FROM "WHERE p.organization_id = ?1 AND p.away = 0 AND EXISTS ("          \
	  "SELECT 1 FROM operator_conns c JOIN nodes n ON n.id = c.node_id "                       \
	  "WHERE c.operator_id = p.operator_id AND n.lease_until >= ?9) ORDER BY p.operator_id")   \
	X(PRESENCE_CONNECTED,                                                                      \
	  "UPDATE operator_presence SET offline_since = NULL, requeued = 1 WHERE operator_id = ?1") \
	X(PRESENCE_OFFLINE,                                                                        \
	  "UPDATE operator_presence SET offline_since = ?2, away = 0, requeued = 0 "               \
	  "WHERE operator_id = ?1 AND offline_since IS NULL")                                      \
	X(PRESENCE_AWAY, "UPDATE operator_presence SET away = ?2 WHERE operator_id = ?1")          \
	X(PRESENCE_TOUCH, "UPDATE operator_presence SET idle_since = ?2 WHERE operator_id = ?1")   \
	X(PRESENCE_DUE,                                                                            \
	  CH_SQL_PRESENCE_FROM "WHERE p.requeued = 0 AND p.offline_since <= ?1 "                   \
	  "ORDER BY p.offline_since LIMIT ?2")                                                     \
	X(PRESENCE_REQUEUED, "UPDATE operator_presence SET requeued = 1 WHERE operator_id = ?1")

#endif
