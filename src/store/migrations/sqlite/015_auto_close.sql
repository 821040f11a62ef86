-- 015_auto_close — an organization closes chats that have been silent too
-- long, per status (minutes; 0 = never): Waiting after a day by default, Open
-- and OnPause never unless the organization chooses so. A chat is silent
-- since the later of its last activity (activity_at: its newest message of
-- any author) and status_at, when its status last changed (0 for chats older
-- than this migration: activity_at stands in). status_at is written by the
-- status updates only, never by a message append, and no index carries it:
-- the sweep walks chats_operator_open (the chats that are not Closed, keyed
-- by their operator, which no message moves).
ALTER TABLE organizations ADD COLUMN auto_close_waiting_minutes INTEGER NOT NULL DEFAULT 1440;
ALTER TABLE organizations ADD COLUMN auto_close_open_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN auto_close_on_pause_minutes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chats ADD COLUMN status_at INTEGER NOT NULL DEFAULT 0;
