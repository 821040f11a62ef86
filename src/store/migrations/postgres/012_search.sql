-- 012_search — full-text search over message text and a client's name, e-mail
-- and phone (ch_store_chat_list with a search), as the SQLite backend's FTS5
-- index does it: case-insensitive, diacritics removed (the unaccent extension,
-- PostgreSQL's contrib; trusted, so a database owner may create it), no
-- stemming. Lowercasing follows the database's LC_CTYPE: it must be a UTF-8
-- locale (C.UTF-8, en_US.UTF-8, …) for letters outside ASCII (docs/deploy.md).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION chathub_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION chathub_search
	ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
	WITH unaccent, simple;

-- Punctuation separates words, so that an e-mail, a URL or 111-22-33 is
-- indexed word by word (the parser would keep them whole).
CREATE FUNCTION chathub_search_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT regexp_replace(t, '[[:punct:]]+', ' ', 'g') $$;

CREATE FUNCTION chathub_message_doc(t text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT to_tsvector('chathub_search'::regconfig, chathub_search_text(t)) $$;

-- A phone is found however it is typed: its digits and every suffix of them of
-- three digits or more, searched by prefix ("900 111" finds +7 (900) 111-22-33).
CREATE FUNCTION chathub_phone_keys(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT COALESCE(string_agg(substr(d, k), ' '), '')
FROM (SELECT regexp_replace(p, '[^0-9]', '', 'g') AS d) x, generate_series(1, length(d) - 2) AS k
$$;

-- A client's document: name (weight A), e-mail (B), phone keys (C), so that a
-- query can ask for words in the name or e-mail and digits in the phone.
CREATE FUNCTION chathub_client_doc(name text, email text, phone text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT setweight(to_tsvector('chathub_search'::regconfig, chathub_search_text(name)), 'A')
	|| setweight(to_tsvector('chathub_search'::regconfig, chathub_search_text(email)), 'B')
	|| setweight(to_tsvector('pg_catalog.simple'::regconfig, chathub_phone_keys(phone)), 'C') $$;

-- The user's words as a query: punctuation and white space separate words (as
-- in the documents), each word is a quoted lexeme (its text is never query
-- syntax), a word of two characters or more matches as a prefix, every word
-- must match; weights (e.g. 'AB') restrict the fields. No word: an empty query,
-- which matches nothing.
CREATE FUNCTION chathub_search_query(q text, weights text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT to_tsquery('chathub_search'::regconfig, COALESCE(string_agg(
	'''' || replace(replace(w, '\', '\\'), '''', '''''') || ''''
	|| CASE WHEN length(w) >= 2 THEN ':*' || weights WHEN weights <> '' THEN ':' || weights ELSE '' END,
	' & '), ''))
FROM regexp_split_to_table(chathub_search_text(q), '\s+') AS w WHERE w <> ''
$$;

-- System messages (author 2) say the same few things in every chat: not indexed.
CREATE INDEX messages_search ON messages USING gin (chathub_message_doc(text)) WHERE author <> 2;
CREATE INDEX clients_search ON clients USING gin (chathub_client_doc(name, email, phone));
