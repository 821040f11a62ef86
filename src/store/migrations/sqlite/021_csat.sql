-- 021_csat — customer satisfaction: when a chat is closed its visitor may rate
-- it 1-5 with an optional comment (the organization's csat_enabled, on by
-- default). The chat keeps its latest rating: csat_rating 0 = none,
-- csat_comment '' = none, csat_at when it was given (ms; 0 = never). A rating
-- belongs to the close it follows: it is allowed while the chat is Closed and
-- not rated since it was closed (csat_at 0, or older than status_at), so a
-- chat reopened and closed again may be rated again (the new rating replaces
-- the old one).
ALTER TABLE organizations ADD COLUMN csat_enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE chats ADD COLUMN csat_rating INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN csat_comment TEXT NOT NULL DEFAULT '';
ALTER TABLE chats ADD COLUMN csat_at INTEGER NOT NULL DEFAULT 0;
