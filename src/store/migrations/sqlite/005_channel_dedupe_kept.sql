-- 005_channel_dedupe_kept — the record that a channel's external message was
-- stored outlives the message. Run by the store inside its own BEGIN IMMEDIATE
-- transaction.
--
-- A deleted chat used to take its dedupe rows with it (ON DELETE
-- CASCADE), so replaying a signed request stored the message again; now the
-- row stays (message_id becomes NULL) and a replay is still a duplicate.
CREATE TABLE channel_inbound_new (
	id INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	external_message_id TEXT NOT NULL,
	message_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (organization_id, external_message_id)
);
INSERT INTO channel_inbound_new (id, organization_id, external_message_id, message_id, created_at)
	SELECT id, organization_id, external_message_id, message_id, created_at FROM channel_inbound;
DROP TABLE channel_inbound;
ALTER TABLE channel_inbound_new RENAME TO channel_inbound;
CREATE INDEX channel_inbound_message ON channel_inbound (message_id);
