-- 003_unread_column — a chat's unread count is kept on its row instead of
-- being counted on every read of the chat. Run by the store inside its own
-- BEGIN IMMEDIATE transaction (no BEGIN/COMMIT here).
--
-- count_unread = the chat's client messages with seq > operator_read_seq.
-- A client message's append adds one; a read by the operator side sets it
-- again from what is still unread after the read. Every chat row read (the
-- lists, the hub's checks, each sent message) was a COUNT over the chat's
-- unread messages, and messages_author, the index that COUNT walked, was one
-- more b-tree page written per message. Mark-read walks the (chat_id, seq)
-- key instead.
ALTER TABLE chats ADD COLUMN count_unread INTEGER NOT NULL DEFAULT 0;

UPDATE chats SET count_unread = (
	SELECT COUNT(*) FROM messages u
	WHERE u.chat_id = chats.id AND u.author = 1 AND u.seq > chats.operator_read_seq);

DROP INDEX messages_author;
