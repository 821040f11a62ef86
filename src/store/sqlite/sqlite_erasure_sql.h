/* sqlite_erasure_sql.h — the statements of erasure.c (client erasure and
 * retention, migration 023), in the X(ID, "SQL") form of sqlite_sql.h, which
 * includes them in its table. Private to src/store/sqlite/. */
#ifndef CH_STORE_SQLITE_ERASURE_SQL_H
#define CH_STORE_SQLITE_ERASURE_SQL_H

#define CH_SQLITE_STMTS_ERASURE(X)                                                                 \
	X(ERASE_CHAT_OWNED, "SELECT 1 FROM chats WHERE company_id = ?1 AND id = ?2")               \
	/* The text change goes through 017's triggers: the words leave the index. */               \
	X(ERASE_MESSAGES,                                                                          \
	  "UPDATE messages SET text = '', media_id = NULL, redacted_at = ?3, redacted_by = NULL "  \
	  "WHERE chat_id = ?2 AND company_id = ?1 AND redacted_at = 0")                            \
	X(ERASE_MEDIA, "DELETE FROM media WHERE chat_id = ?2 AND company_id = ?1")                  \
	/* The rating is a number the client chose, not its words: it stays. */                   \
	X(ERASE_CSAT_COMMENT,                                                                      \
	  "UPDATE chats SET csat_comment = '' WHERE company_id = ?1 AND id = ?2 AND csat_comment <> ''") \
	X(ERASE_CHAT_TEXTS,                                                                        \
	  "UPDATE chats SET last_message = '', theme = '', erased_at = ?3 "                        \
	  "WHERE company_id = ?1 AND id = ?2")                                                     \
	X(ERASE_CLIENT,                                                                            \
	  "UPDATE clients SET name = '', phone = '', email = '', external_key = NULL, "            \
	  "page_url = '', referrer = '', language = '', user_agent = '', attributes = '{}', "      \
	  "verified_keys = '[]', updated_at = ?3, "                                                \
	  "erased_at = CASE WHEN erased_at = 0 THEN ?3 ELSE erased_at END "                        \
	  "WHERE company_id = ?1 AND id = ?2 RETURNING erased_at")                                 \
	X(ORG_SET_RETENTION, "UPDATE organizations SET retention_days = ?3 WHERE company_id = ?1 AND id = ?2") \
	/* Closed chats with activity since their last erasure, older than their         \
	 * organization's retention; through chats_retention (its WHERE repeated). */     \
	X(CHAT_RETENTION_DUE,                                                                      \
	  CH_SQL_CHAT_FROM "WHERE c.id IN (SELECT d.id FROM organizations g JOIN chats d "         \
	  "ON d.organization_id = g.id WHERE g.retention_days > 0 AND d.status = 4 "               \
	  "AND d.erased_at < d.activity_at AND d.activity_at < ?1 - g.retention_days * 86400000 "  \
	  "ORDER BY d.id LIMIT ?2) ORDER BY c.id")

#endif
