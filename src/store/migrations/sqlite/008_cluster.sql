-- 008_cluster — what several processes on one database need (PostgreSQL; on
-- SQLite the same tables exist so that both backends answer alike). Run by the
-- store inside its own BEGIN IMMEDIATE transaction.
--
-- settings: values every process must share, written once by the first that
-- needs one (the JWT secret when none is configured).
-- deliveries.lease_until: a sender claims a due delivery until then, so that
-- two processes never send the same one (ch_store_delivery_claim).
CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
ALTER TABLE deliveries ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
