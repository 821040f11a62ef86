-- 023_erasure — a client can be erased (DELETE /api/client/{id}): its
-- profile is cleared, its external key dropped (the next contact from the
-- same channel user or userJWT subject is a new client), every message of
-- its chats becomes a tombstone (018), and erased_at records when (0 = not
-- erased). Its visitor tokens are refused from then on.
--
-- retention_days: an organization's closed chats whose last activity is
-- older than that many days are erased by the retention sweep (0 = keep).
ALTER TABLE clients ADD COLUMN erased_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
