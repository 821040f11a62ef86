/* sqlite_note_sql.h — the statements of note.c (private notes, migration
 * 011), in the X(ID, "SQL") form of sqlite_sql.h, which includes them in its
 * table. Private to src/store/sqlite/. */
#ifndef CH_STORE_SQLITE_NOTE_SQL_H
#define CH_STORE_SQLITE_NOTE_SQL_H

#define CH_SQL_NOTE_FROM                                                                           \
	"SELECT n.id, n.company_id, n.organization_id, n.chat_id, COALESCE(n.operator_id, 0), "    \
	"COALESCE(o.name, ''), COALESCE(o.photo, ''), n.text, n.mentions, n.after_seq, "           \
	"n.created_at FROM notes n LEFT JOIN operators o ON o.id = n.operator_id "

#define CH_SQLITE_NOTE_STMTS(X)                                                                    \
	X(NOTE_COUNT, "SELECT COUNT(*) FROM notes WHERE chat_id = ?1")                             \
	X(NOTE_INSERT,                                                                             \
	  "INSERT INTO notes (company_id, organization_id, chat_id, operator_id, text, mentions, " \
	  "after_seq, created_at) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6, ?7, ?8)")             \
	X(NOTE_GET, CH_SQL_NOTE_FROM "WHERE n.company_id = ?1 AND n.id = ?2")                      \
	X(NOTE_LIST, CH_SQL_NOTE_FROM "WHERE n.chat_id = ?2 AND +n.company_id = ?1 AND n.id < ?3 " \
	  "ORDER BY n.id DESC LIMIT ?4")

#endif
