-- 008_cluster — what several processes on one database need. Run by the store
-- inside its own transaction, under a session advisory lock.
--
-- settings: values every process must share, written once by the first that
-- needs one (the JWT secret when none is configured).
-- deliveries.lease_until: a sender claims a due delivery until then, so that
-- two processes never send the same one (ch_store_delivery_claim).
-- bus_log: the cluster bus outbox. Each committed write batch that produced
-- events stores them as one row (node_id, bseq) inside the batch's own
-- transaction, so the events exist if and only if the batch committed;
-- another process replays a node's rows it missed. Trimmed by age (created_at,
-- the database clock, milliseconds).
CREATE TABLE settings (
	key text PRIMARY KEY,
	value text NOT NULL
);
ALTER TABLE deliveries ADD COLUMN lease_until bigint NOT NULL DEFAULT 0;
CREATE TABLE bus_log (
	node_id text NOT NULL,
	bseq bigint NOT NULL,
	created_at bigint NOT NULL DEFAULT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
	payload bytea NOT NULL,
	PRIMARY KEY (node_id, bseq)
) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
CREATE INDEX bus_log_created ON bus_log (created_at);
