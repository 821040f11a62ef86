-- 010_canned_responses — an organization's prepared answers. operator_id 0 is
-- an organization-wide response, otherwise the operator's personal one; a
-- shortcut is unique per owner (organization, operator_id). Placeholders such
-- as {{client.name}} are stored as written. operators_manage_canned lets the
-- organization's operators manage its organization-wide responses.
CREATE TABLE canned_responses (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL REFERENCES companies (id),
	organization_id INTEGER NOT NULL REFERENCES organizations (id),
	operator_id INTEGER NOT NULL DEFAULT 0,
	shortcut TEXT NOT NULL,
	title TEXT NOT NULL,
	text TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (organization_id, operator_id, shortcut)
);
ALTER TABLE organizations ADD COLUMN operators_manage_canned INTEGER NOT NULL DEFAULT 0;
