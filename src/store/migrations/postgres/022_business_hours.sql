-- 022_business_hours — an organization's business hours: its schedule as
-- the JSON text chat/hours.h checks (no row = none: always open), and
-- drain_at, the opening at which the chats left queued while it was closed
-- are assigned (0 = none). A chat's away_replied says its away auto-reply
-- was posted (once per chat).

CREATE TABLE business_hours (
  organization_id BIGINT PRIMARY KEY REFERENCES organizations (id),
  config TEXT NOT NULL,
  drain_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX business_hours_drain ON business_hours (drain_at) WHERE drain_at > 0;
ALTER TABLE chats ADD COLUMN away_replied SMALLINT NOT NULL DEFAULT 0;
