-- 012_search — full-text search over message text and a client's name, e-mail
-- and phone (ch_store_chat_list with a search). FTS5 with the unicode61
-- tokenizer: case-insensitive in every script, Latin diacritics removed.
--
-- messages_fts indexes the text of operator and client messages (system
-- messages say the same few things in every chat and are left out) with the
-- messages table as its content: the index holds no second copy of the text.
-- An external-content index must be told exactly what it holds, so every
-- trigger has the same WHEN as the rows it indexed.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
	text, content = 'messages', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.author <> 2 AND new.text <> '' BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.author <> 2 AND old.text <> '' BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF text, author ON messages
WHEN old.author <> 2 AND old.text <> '' BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF text, author ON messages
WHEN new.author <> 2 AND new.text <> '' BEGIN
	INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- A phone is found however it is typed: the phone column of clients_fts holds
-- the phone's digits (the usual separators removed) and every suffix of them
-- of three digits or more, and a search that looks like a phone number asks
-- for a prefix of one of them ("900 111" finds +7 (900) 111-22-33).
-- search_digit_pos numbers the suffixes (a trigger may not use WITH).
CREATE TABLE search_digit_pos (k INTEGER PRIMARY KEY);
WITH RECURSIVE n (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 64)
INSERT INTO search_digit_pos (k) SELECT k FROM n;
CREATE VIEW clients_search (id, name, email, phone_keys) AS
SELECT c.id, c.name, c.email,
	(SELECT COALESCE(group_concat(substr(d.v, p.k), ' '), '')
	 FROM (SELECT replace(replace(replace(replace(replace(replace(replace(replace(
		c.phone, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', ''), '/', ''),
		char(160), '') AS v) d
	 JOIN search_digit_pos p ON p.k <= length(d.v) - 2)
FROM clients c;

-- A client's fields are few and short: clients_fts keeps its own copy, so that
-- a match's field and highlight come from the index alone.
CREATE VIRTUAL TABLE clients_fts USING fts5 (
	name, email, phone, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER clients_fts_insert AFTER INSERT ON clients BEGIN
	INSERT INTO clients_fts (rowid, name, email, phone)
	SELECT id, name, email, phone_keys FROM clients_search WHERE id = new.id;
END;
CREATE TRIGGER clients_fts_update AFTER UPDATE OF name, email, phone ON clients BEGIN
	DELETE FROM clients_fts WHERE rowid = old.id;
	INSERT INTO clients_fts (rowid, name, email, phone)
	SELECT id, name, email, phone_keys FROM clients_search WHERE id = new.id;
END;
CREATE TRIGGER clients_fts_delete AFTER DELETE ON clients BEGIN
	DELETE FROM clients_fts WHERE rowid = old.id;
END;

-- What existed before this migration.
INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE author <> 2 AND text <> '';
INSERT INTO clients_fts (rowid, name, email, phone) SELECT id, name, email, phone_keys FROM clients_search;
