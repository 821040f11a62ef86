/* pg_note_sql.h — the statements of note.c (private notes, migration 011),
 * in the X(ID, "SQL") form of pg_sql.h, which includes them in its table.
 * Private to src/store/postgres/. */
#ifndef CH_STORE_PG_NOTE_SQL_H
#define CH_STORE_PG_NOTE_SQL_H

#define CH_PG_NOTE_FROM                                                                            \
	"SELECT n.id, n.company_id, n.organization_id, n.chat_id, COALESCE(n.operator_id, 0), "    \
	"COALESCE(o.name, ''), COALESCE(o.photo, ''), n.text, n.mentions, n.after_seq, "           \
	"n.created_at FROM notes n LEFT JOIN operators o ON o.id = n.operator_id "

#define CH_PG_STMTS_NOTES(X)                                                                       \
	X(NOTE_COUNT, "SELECT COUNT(*) FROM notes WHERE chat_id = $1")                             \
	X(NOTE_INSERT,                                                                             \
	  "INSERT INTO notes (company_id, organization_id, chat_id, operator_id, text, mentions, " \
	  "after_seq, created_at) VALUES ($1, $2, $3, NULLIF($4::bigint, 0), $5, $6, $7, $8) "     \
	  "RETURNING id")                                                                          \
	X(NOTE_GET, CH_PG_NOTE_FROM "WHERE n.company_id = $1 AND n.id = $2")                       \
	X(NOTE_LIST, CH_PG_NOTE_FROM "WHERE n.chat_id = $2 AND n.company_id = $1 AND n.id < $3 " \
	  "ORDER BY n.id DESC LIMIT $4")

#endif
