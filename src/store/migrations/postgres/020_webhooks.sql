-- 020_webhooks — a company's webhooks, and for each (webhook, organization)
-- the cursor of its deliveries: the last eventSeq delivered, the attempts at
-- the next one, and a lease (lease_until, ms) so that one process sends it.
-- organization_id NULL: every organization of the company. events: the event
-- types it subscribes to, comma-separated ('' = all). status 0 active,
-- 1 failing (deliveries stopped until it is enabled again).
CREATE TABLE webhooks (
	id bigserial PRIMARY KEY,
	company_id bigint NOT NULL REFERENCES companies (id),
	organization_id bigint REFERENCES organizations (id),
	url text NOT NULL,
	events text NOT NULL,
	secret text NOT NULL,
	status bigint NOT NULL DEFAULT 0,
	last_error text NOT NULL DEFAULT '',
	last_success_at bigint NOT NULL DEFAULT 0,
	failing_since bigint NOT NULL DEFAULT 0,
	created_at bigint NOT NULL
);
CREATE INDEX webhooks_company ON webhooks (company_id);
CREATE TABLE webhook_cursors (
	webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	organization_id bigint NOT NULL REFERENCES organizations (id),
	last_seq bigint NOT NULL DEFAULT 0,
	attempts bigint NOT NULL DEFAULT 0,
	first_failure_at bigint NOT NULL DEFAULT 0,
	next_attempt_at bigint NOT NULL DEFAULT 0,
	lease_until bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (webhook_id, organization_id)
);
