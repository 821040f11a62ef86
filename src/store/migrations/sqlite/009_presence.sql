-- 009_presence — operator presence shared by every process on one database.
--
-- nodes: one row per running process, kept alive by renewing lease_until;
-- a row whose lease ran out is reaped by any process.
-- operator_conns: how many hub connections an operator holds on a node.
-- operator_presence: per operator, "away", the idle clock for routing, and
-- offline_since (NULL while connected somewhere) with requeued = 0 until the
-- grace sweep has returned the operator's chats of this offline period.
-- Times are milliseconds since the epoch.
CREATE TABLE nodes (
	id TEXT PRIMARY KEY,
	started_at INTEGER NOT NULL,
	renewed_at INTEGER NOT NULL,
	lease_until INTEGER NOT NULL
);
CREATE TABLE operator_conns (
	node_id TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
	operator_id INTEGER NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
	connections INTEGER NOT NULL CHECK (connections > 0),
	PRIMARY KEY (operator_id, node_id)
);
CREATE INDEX operator_conns_node ON operator_conns (node_id);
CREATE TABLE operator_presence (
	operator_id INTEGER PRIMARY KEY REFERENCES operators(id) ON DELETE CASCADE,
	company_id INTEGER NOT NULL,
	organization_id INTEGER NOT NULL,
	away INTEGER NOT NULL DEFAULT 0,
	idle_since INTEGER NOT NULL,
	offline_since INTEGER,
	requeued INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX operator_presence_org ON operator_presence (organization_id);
CREATE INDEX operator_presence_due ON operator_presence (offline_since) WHERE requeued = 0;
