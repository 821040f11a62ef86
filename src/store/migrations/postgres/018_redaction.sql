-- 018_redaction — a message can be redacted: its text becomes '' and its
-- media row (with the bytes) is deleted, while the row keeps its id, chat,
-- seq, author, status and times, so a transcript stays gap-free.
--
-- redacted_at: 0 = not redacted. redacted_by: the operator who redacted it,
-- NULL = the company (or not redacted). The search index is an expression
-- index over the text, so it follows the text change by itself.

ALTER TABLE messages ADD COLUMN redacted_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN redacted_by BIGINT;
