-- 011_notes — operators' private notes on a chat. A note is no message: it
-- takes no seq and never changes the chat's last_seq, preview, unread count
-- or activity, so the client's transcript stays 1, 2, 3… and nothing here is
-- ever read for the client side. after_seq is the chat's last_seq when the
-- note was written (where it sits among the messages); operator_id NULL: a
-- company token wrote it; mentions: the ids of the operators it mentions,
-- comma-separated ("" for none).
CREATE TABLE notes (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL,
	organization_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	operator_id INTEGER REFERENCES operators (id),
	text TEXT NOT NULL,
	mentions TEXT NOT NULL DEFAULT '',
	after_seq INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	FOREIGN KEY (company_id, chat_id) REFERENCES chats (company_id, id) ON DELETE CASCADE
);
CREATE INDEX notes_chat ON notes (chat_id, id);
