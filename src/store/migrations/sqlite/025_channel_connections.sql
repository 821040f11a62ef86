-- 025_channel_connections — messaging platforms' bots as channels of an
-- organization (Telegram, Viber), and what their deliveries need.
--
-- channel_connections: one bot of one organization. type is the chat source of
-- its platform (1 Viber, 2 Telegram). public_key (32 random lowercase hex) is
-- the key of its webhook URL, unique across companies: the inbound path finds
-- the connection by it. token_enc is the bot token as the service encrypted
-- it (opaque here), token_hint its last characters for lists; secret the
-- Telegram secret_token ('' for Viber). Times in ms, 0 = never. AUTOINCREMENT:
-- a removed connection's id is never given to another (chats keep it).
CREATE TABLE channel_connections (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	company_id INTEGER NOT NULL,
	organization_id INTEGER NOT NULL,
	type INTEGER NOT NULL CHECK (type = 1 OR type = 2),
	name TEXT NOT NULL,
	public_key TEXT NOT NULL UNIQUE,
	token_enc BLOB NOT NULL,
	token_hint TEXT NOT NULL,
	secret TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	webhook_at INTEGER NOT NULL DEFAULT 0,
	last_inbound_at INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	last_error_at INTEGER NOT NULL DEFAULT 0,
	FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id) ON DELETE CASCADE
);
CREATE INDEX channel_connections_org ON channel_connections (organization_id, id);

-- The connection a chat came through (no foreign key: a removed connection
-- leaves its chats, whose replies then fail).
ALTER TABLE chats ADD COLUMN connection_id INTEGER;

-- A delivery's chat (its message's), so that a chat's deliveries go out in
-- order (ch_store_delivery_claim); and what the platform called the message
-- sent, to match the platform's status callbacks to it.
ALTER TABLE deliveries ADD COLUMN chat_id INTEGER;
ALTER TABLE deliveries ADD COLUMN platform_message_id TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET chat_id = (SELECT m.chat_id FROM messages m WHERE m.id = deliveries.message_id);
-- The claim's test "no pending delivery of the chat before this one".
CREATE INDEX deliveries_chat_pending ON deliveries (chat_id, id) WHERE status = 0;
CREATE INDEX deliveries_platform ON deliveries (organization_id, platform_message_id)
	WHERE platform_message_id <> '';
