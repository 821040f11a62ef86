-- 010_canned_responses — an organization's prepared answers. operator_id 0 is
-- an organization-wide response, otherwise the operator's personal one; a
-- shortcut is unique per owner (organization, operator_id). Placeholders such
-- as {{client.name}} are stored as written. operators_manage_canned lets the
-- organization's operators manage its organization-wide responses.
CREATE TABLE canned_responses (
	id bigserial PRIMARY KEY,
	company_id bigint NOT NULL REFERENCES companies (id),
	organization_id bigint NOT NULL REFERENCES organizations (id),
	operator_id bigint NOT NULL DEFAULT 0,
	shortcut text NOT NULL,
	title text NOT NULL,
	text text NOT NULL,
	created_at bigint NOT NULL,
	UNIQUE (organization_id, operator_id, shortcut)
);
ALTER TABLE organizations ADD COLUMN operators_manage_canned integer NOT NULL DEFAULT 0;
