-- 018_redaction — a message can be redacted: its text becomes '' and its
-- media row (with the bytes) is deleted, while the row keeps its id, chat,
-- seq, author, status and times, so a transcript stays gap-free.
--
-- redacted_at: 0 = not redacted. redacted_by: the operator who redacted it,
-- NULL = the company (or not redacted). The text change goes through
-- 017's update triggers, which take the old text out of the search index.

ALTER TABLE messages ADD COLUMN redacted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN redacted_by INTEGER;
