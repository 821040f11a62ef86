-- 004_company_revocation — company tokens become revocable, and every running
-- server learns of a revocation made by another process (the admin CLI).
-- Run by the store inside its own BEGIN IMMEDIATE transaction.
--
-- companies.token_epoch: company tokens carry it (claim "ep"); a password
-- change or `chathub company revoke-tokens` moves it, and tokens with the old
-- value stop working — as operators' token_epoch already does.
--
-- revocations.gen: one counter that every commit which may revoke a token
-- moves (company or operator epoch, operator status). A server caches which
-- principals are valid; it polls this counter and drops its cache when the
-- counter moved under it, so a revocation committed by any process reaches it.
ALTER TABLE companies ADD COLUMN token_epoch INTEGER NOT NULL DEFAULT 0;

CREATE TABLE revocations (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	gen INTEGER NOT NULL
);
INSERT INTO revocations (id, gen) VALUES (1, 0);

