/* sqlite_sql.h — every SQL statement the SQLite backend runs at request rate,
 * as one declarative table: X(ID, "SQL"). Each connection prepares a statement
 * once, on first use, and keeps it (see conn.c); the ID indexes that cache.
 * Private to src/store/sqlite/. Parameters are numbered so one value can be
 * used twice and the binding code reads like the SQL.
 */
#ifndef CH_STORE_SQLITE_SQL_H
#define CH_STORE_SQLITE_SQL_H

#define CH_SQL_COMPANY_COLS "id, login, name, password_hash, created_at"
#define CH_SQL_ORG_COLS \
	"id, company_id, name, guid, allowed_origins, max_chats_per_operator, created_at"
#define CH_SQL_OPERATOR_FROM                                                                      \
	"SELECT o.id, o.organization_id, o.company_id, o.name, g.name, o.status, o.external_id, " \
	"o.token_epoch, o.created_at FROM operators o JOIN organizations g ON g.id = o.organization_id "

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
	X(COMPANY_SET_PASSWORD, "UPDATE companies SET password_hash = ?2 WHERE id = ?1")           \
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
	X(OPERATOR_SET_STATUS,                                                                     \
	  "UPDATE operators SET status = ?3, token_epoch = token_epoch + (?3 <> 0), "              \
	  "updated_at = ?4 WHERE company_id = ?1 AND id = ?2")

#endif
