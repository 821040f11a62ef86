-- 023_erasure — a client can be erased (DELETE /api/client/{id}): its
-- profile is cleared, its external key dropped (the next contact from the
-- same channel user or userJWT subject is a new client), every message of
-- its chats becomes a tombstone (018), and erased_at records when (0 = not
-- erased). Its visitor tokens are refused from then on.
--
-- retention_days: an organization's closed chats whose last activity is
-- older than that many days are erased by the retention sweep (0 = keep).
-- chats.erased_at: when the chat was last erased (0 = never); a Closed chat
-- with activity since (erased_at < activity_at) is one the sweep may still
-- have to erase, and only those are in chats_retention, so the sweep never
-- walks the chats it erased before.
ALTER TABLE clients ADD COLUMN erased_at bigint NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN retention_days bigint NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN erased_at bigint NOT NULL DEFAULT 0;
CREATE INDEX chats_retention ON chats (organization_id, activity_at)
	WHERE status = 4 AND erased_at < activity_at;
