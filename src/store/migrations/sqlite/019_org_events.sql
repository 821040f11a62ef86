-- 019_org_events — every organization's log of events (store.h, "organization
-- events"), numbered 1, 2, 3… per organization without gaps.
--
-- org_event_heads: one row per organization that has events; last_seq is the
-- highest number given, trimmed_upto the highest deleted by the retention
-- sweep (a reader asking for less than that is told it is gone). The writer
-- moves last_seq once per organization per batch, in the batch's transaction.
--
-- org_events: keyed (organization, seq) without a rowid, so an
-- organization's events are appended at the end of its key range. An event
-- holds ids and a small JSON object, never user-typed text: the chat, message
-- and client are read when the event is. No foreign keys (none is looked up
-- on the hot insert): a deleted chat's events stay, chat.deleted among them;
-- organizations are never deleted.

CREATE TABLE org_event_heads (
	organization_id INTEGER PRIMARY KEY,
	last_seq INTEGER NOT NULL DEFAULT 0,
	trimmed_upto INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE org_events (
	organization_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	company_id INTEGER NOT NULL,
	type TEXT NOT NULL,
	at INTEGER NOT NULL,
	chat_id INTEGER NOT NULL DEFAULT 0,
	message_id INTEGER NOT NULL DEFAULT 0,
	client_id INTEGER NOT NULL DEFAULT 0,
	data TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (organization_id, seq)
) WITHOUT ROWID;
