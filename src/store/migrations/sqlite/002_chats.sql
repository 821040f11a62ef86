-- 002_chats — per-organization secrets, clients, chats, messages, media, the
-- channel dedupe record and outbound deliveries.
--
-- Run by the store inside its own BEGIN IMMEDIATE transaction (no BEGIN/COMMIT
-- here). Ids are INTEGER PRIMARY KEY (the rowid); times are milliseconds since
-- the Unix epoch. Every company_id copy is tied to its parent's by a composite
-- foreign key, so a row can never claim another company than its parent's.

ALTER TABLE organizations ADD COLUMN identity_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN channel_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN outbound_url TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN prechat_form INTEGER NOT NULL DEFAULT 0;

-- Parent key for chats.(organization_id, operator_id): an assigned operator
-- is always one of the chat's organization.
CREATE UNIQUE INDEX operators_organization_id ON operators (organization_id, id);

CREATE TABLE clients (
	id INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL,
	company_id INTEGER NOT NULL,
	source INTEGER NOT NULL CHECK (source IN (1, 2, 3, 4)), -- Viber, Telegram, Widget, Api
	name TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	-- Channel user id or "sub:<sub>"; NULL (anonymous) keys never collide.
	external_key TEXT,
	created_at INTEGER NOT NULL,
	UNIQUE (organization_id, source, external_key),
	-- Parent key tying a chat's company and organization to its client's.
	UNIQUE (company_id, organization_id, id),
	FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id)
);

CREATE TABLE chats (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL,
	organization_id INTEGER NOT NULL,
	client_id INTEGER NOT NULL,
	operator_id INTEGER, -- NULL = unassigned
	source INTEGER NOT NULL CHECK (source IN (1, 2, 3, 4)),
	-- New, Open, Waiting, OnPause, Closed
	status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2, 3, 4)),
	theme TEXT NOT NULL DEFAULT '',
	last_seq INTEGER NOT NULL DEFAULT 0,
	operator_read_seq INTEGER NOT NULL DEFAULT 0,
	client_read_seq INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	last_message_at INTEGER NOT NULL DEFAULT 0, -- 0 = no message yet
	-- last_message_at, else created_at: kept as a column so that "newest
	-- activity first" and the date filter can walk an index.
	activity_at INTEGER NOT NULL,
	queued_at INTEGER NOT NULL, -- when it last became New and unassigned
	last_message TEXT NOT NULL DEFAULT '', -- preview, at most CH_PREVIEW_MAX bytes
	UNIQUE (company_id, id),
	FOREIGN KEY (company_id, organization_id, client_id)
		REFERENCES clients (company_id, organization_id, id),
	FOREIGN KEY (organization_id, operator_id) REFERENCES operators (organization_id, id)
);

-- Chat lists, newest activity first: by company, by organization, by operator.
CREATE INDEX chats_company_activity ON chats (company_id, activity_at DESC, id DESC);
CREATE INDEX chats_organization_activity ON chats (organization_id, activity_at DESC, id DESC);
CREATE INDEX chats_operator_activity ON chats (operator_id, activity_at DESC, id DESC);
-- A client's chats (its open one is the newest not Closed).
CREATE INDEX chats_client ON chats (client_id);
-- Routing load: an operator's chats that are not Closed.
CREATE INDEX chats_operator_open ON chats (operator_id) WHERE status <> 4;
-- The organization's queue: New and unassigned, oldest queued first.
CREATE INDEX chats_queue ON chats (organization_id, queued_at, id)
	WHERE status = 0 AND operator_id IS NULL;

CREATE TABLE media (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	format TEXT NOT NULL,
	type INTEGER NOT NULL CHECK (type IN (1, 2, 3, 4)), -- Photo, Video, Audio, File
	size INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	-- Last: the columns before it are read without touching its overflow pages.
	data BLOB NOT NULL,
	-- The chat's media, and the parent key for messages.(chat_id, media_id).
	UNIQUE (chat_id, id),
	FOREIGN KEY (company_id, chat_id) REFERENCES chats (company_id, id) ON DELETE CASCADE
);

CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL,
	chat_id INTEGER NOT NULL,
	seq INTEGER NOT NULL CHECK (seq > 0),
	author INTEGER NOT NULL CHECK (author IN (0, 1, 2)), -- operator, client, system
	operator_id INTEGER REFERENCES operators (id),
	text TEXT NOT NULL DEFAULT '',
	status INTEGER NOT NULL CHECK (status IN (0, 1, 2, 3)), -- New, Success, Rejected, Read
	media_id INTEGER,
	client_message_id TEXT, -- NULLs never collide
	created_at INTEGER NOT NULL,
	UNIQUE (chat_id, seq),
	UNIQUE (chat_id, client_message_id),
	FOREIGN KEY (company_id, chat_id) REFERENCES chats (company_id, id) ON DELETE CASCADE,
	-- A message's media is always one of its own chat.
	FOREIGN KEY (chat_id, media_id) REFERENCES media (chat_id, id)
);

-- Unread counts and mark-read: one author's messages of a chat by seq.
CREATE INDEX messages_author ON messages (chat_id, author, seq);
-- Child key of messages.(chat_id, media_id): deleting a chat's media (by
-- cascade) looks up the messages pointing at each file.
CREATE INDEX messages_media ON messages (chat_id, media_id) WHERE media_id IS NOT NULL;

-- Inbound channel messages already stored, by the channel's own message id.
CREATE TABLE channel_inbound (
	id INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	external_message_id TEXT NOT NULL,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	UNIQUE (organization_id, external_message_id)
);
CREATE INDEX channel_inbound_message ON channel_inbound (message_id);

-- Operator replies to POST to a channel's outbound URL, with their retries.
CREATE TABLE deliveries (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL,
	organization_id INTEGER NOT NULL,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	event_id TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)), -- pending, delivered, gave up
	last_error TEXT,
	created_at INTEGER NOT NULL,
	FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 0;
CREATE INDEX deliveries_message ON deliveries (message_id);
