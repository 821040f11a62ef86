-- 017_search_async — messages enter the full-text index in batches, after
-- their commit, instead of in every message's transaction.
--
-- The FTS5 insert trigger made every commit of the writer flush a new index
-- segment: a quarter of the messages per second and six times the p99
-- latency in the chat benchmark. Now ch_store_search_catch_up indexes the
-- messages above search_progress.messages_upto (ids grow: a message's id is
-- the largest plus one) in chunks, from a periodic job and before every
-- search, so a search still sees every message committed before it.
--
-- The delete and update triggers touch the index only for rows it holds (an
-- FTS5 'delete' of a row never inserted would damage it). Deleting the
-- message with the largest id indexed lowers messages_upto to the largest id
-- left, so a new message that takes that id again is indexed too.

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update_old;
DROP TRIGGER messages_fts_update_new;

CREATE TABLE search_progress (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	messages_upto INTEGER NOT NULL
);
INSERT INTO search_progress (id, messages_upto) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.author <> 2 AND old.text <> '' AND old.id <= (SELECT messages_upto FROM search_progress) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_progress_delete AFTER DELETE ON messages
WHEN old.id >= (SELECT messages_upto FROM search_progress) BEGIN
	UPDATE search_progress SET messages_upto = MIN(messages_upto, (SELECT COALESCE(MAX(id), 0) FROM messages));
END;
CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF text, author ON messages
WHEN old.author <> 2 AND old.text <> '' AND old.id <= (SELECT messages_upto FROM search_progress) BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF text, author ON messages
WHEN new.author <> 2 AND new.text <> '' AND new.id <= (SELECT messages_upto FROM search_progress) BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- A client's row is written on every widget session (its page, its browser):
-- its index entry only when what the index holds changed.
DROP TRIGGER clients_fts_update;
CREATE TRIGGER clients_fts_update AFTER UPDATE OF name, email, phone ON clients
WHEN old.name IS NOT new.name OR old.email IS NOT new.email OR old.phone IS NOT new.phone BEGIN
	DELETE FROM clients_fts WHERE rowid = old.id;
	INSERT INTO clients_fts (rowid, name, email, phone)
	SELECT id, name, email, phone_keys FROM clients_search WHERE id = new.id;
END;
