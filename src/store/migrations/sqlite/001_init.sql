-- 001_init — companies, their organizations, and the organizations' operators.
--
-- Run by the store inside its own BEGIN IMMEDIATE transaction (no BEGIN/COMMIT
-- here); schema_migrations is created by the code. Ids are INTEGER PRIMARY KEY
-- (the rowid); times are milliseconds since the Unix epoch.

CREATE TABLE companies (
	id INTEGER PRIMARY KEY,
	login TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE organizations (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL REFERENCES companies (id),
	name TEXT NOT NULL,
	guid TEXT NOT NULL UNIQUE,
	allowed_origins TEXT NOT NULL DEFAULT '[]',
	max_chats_per_operator INTEGER NOT NULL DEFAULT 5,
	created_at INTEGER NOT NULL,
	-- Serves listing a company's organizations in id order, and is the parent
	-- key that ties an operator's company to its organization's company.
	UNIQUE (company_id, id)
);

CREATE TABLE operators (
	id INTEGER PRIMARY KEY,
	organization_id INTEGER NOT NULL,
	company_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1, 2)), -- Active, Inactive, Deleted
	external_id TEXT,
	token_epoch INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	-- NULL external ids never collide (SQLite treats NULLs as distinct), so
	-- operators created without one may share a name.
	UNIQUE (organization_id, external_id),
	-- company_id is a copy kept for tenant-scoped lookups by operator id; the
	-- composite key makes it impossible for it to disagree with the org's.
	FOREIGN KEY (company_id, organization_id) REFERENCES organizations (company_id, id)
);

-- An index on organization_id carries the rowid, so it also yields an
-- organization's operators in id order without a sort.
CREATE INDEX operators_organization ON operators (organization_id);
CREATE INDEX operators_company ON operators (company_id, organization_id);
