-- 009_presence — operator presence shared by every process on one database.
--
-- nodes: one row per running process, kept alive by renewing lease_until;
-- a row whose lease ran out is reaped by any process.
-- operator_conns: how many hub connections an operator holds on a node.
-- operator_presence: per operator, "away", the idle clock for routing, and
-- offline_since (NULL while connected somewhere) with requeued = 0 until the
-- grace sweep has returned the operator's chats of this offline period.
-- Times are milliseconds since the epoch, from the database's clock.
CREATE TABLE nodes (
	id text PRIMARY KEY,
	started_at bigint NOT NULL,
	renewed_at bigint NOT NULL,
	lease_until bigint NOT NULL
);
CREATE TABLE operator_conns (
	node_id text NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
	operator_id bigint NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
	connections integer NOT NULL CHECK (connections > 0),
	PRIMARY KEY (operator_id, node_id)
);
CREATE INDEX operator_conns_node ON operator_conns (node_id);
CREATE TABLE operator_presence (
	operator_id bigint PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
	company_id bigint NOT NULL,
	organization_id bigint NOT NULL,
	away smallint NOT NULL DEFAULT 0,
	idle_since bigint NOT NULL,
	offline_since bigint,
	requeued smallint NOT NULL DEFAULT 1
);
CREATE INDEX operator_presence_org ON operator_presence (organization_id);
CREATE INDEX operator_presence_due ON operator_presence (offline_since) WHERE requeued = 0;
