-- 019_org_events — every organization's log of events (store.h, "organization
-- events"), numbered 1, 2, 3… per organization without gaps.
--
-- org_event_heads: one row per organization that has events; last_seq is the
-- highest number given, trimmed_upto the highest deleted by the retention
-- sweep. The writer moves last_seq once per organization per batch, just
-- before COMMIT and in ascending organization order, so the row lock that
-- keeps two processes' numbers apart is held only for the end of a batch and
-- never taken in a cycle.
--
-- org_events: keyed (organization, seq). An event holds ids and a small JSON
-- object, never user-typed text: the chat, message and client are read when
-- the event is. No foreign keys (none is looked up on the hot insert): a
-- deleted chat's events stay, chat.deleted among them; organizations are
-- never deleted.

CREATE TABLE org_event_heads (
	organization_id BIGINT PRIMARY KEY,
	last_seq BIGINT NOT NULL DEFAULT 0,
	trimmed_upto BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE org_events (
	organization_id BIGINT NOT NULL,
	seq BIGINT NOT NULL,
	company_id BIGINT NOT NULL,
	type TEXT NOT NULL,
	at BIGINT NOT NULL,
	chat_id BIGINT NOT NULL DEFAULT 0,
	message_id BIGINT NOT NULL DEFAULT 0,
	client_id BIGINT NOT NULL DEFAULT 0,
	data TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (organization_id, seq)
);
