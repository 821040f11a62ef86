-- 006_api_keys — company API keys: long-lived, named, revocable credentials a
-- company creates, accepted wherever a company token is (the "token from your
-- profile" of the public ChatHub documentation). Run by the store inside its
-- own BEGIN IMMEDIATE transaction.
--
-- Only the SHA-256 of a key is stored (a key is 256 random bits, so a plain
-- hash is enough and lets a request find its key by one index lookup); the
-- key itself is shown once, when it is created. prefix is its first characters,
-- so a company can tell its keys apart in a list. A revoked key's row is
-- deleted: nothing is kept that could authenticate.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	company_id INTEGER NOT NULL REFERENCES companies (id),
	name TEXT NOT NULL,
	hash BLOB NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX api_keys_company ON api_keys (company_id, id);
