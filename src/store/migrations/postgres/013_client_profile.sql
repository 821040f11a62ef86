-- 013_client_profile — what the operator side knows of a client: the page the
-- visitor's latest widget session came from (URL, referrer), its browser's
-- language and user agent, custom attributes (a JSON object of string, number
-- or boolean values) with the keys a signed userJWT set (a JSON array: the
-- visitor cannot change those), and when the profile last changed.
ALTER TABLE clients ADD COLUMN page_url text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN referrer text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN language text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN user_agent text NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN attributes text NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN verified_keys text NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN updated_at bigint NOT NULL DEFAULT 0;
UPDATE clients SET updated_at = created_at;
