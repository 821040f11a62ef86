-- 016_search_terms — a search's words become at most 32 terms, as in the
-- SQLite backend (store/search.h, CH_SEARCH_MAX_TERMS): the first 32 in the
-- order they were typed, the rest dropped. 012's function took every word, so
-- one search of 256 bytes ("a.b.c.…") made a tsquery of 128 terms and the
-- two backends found different chats for it.
CREATE OR REPLACE FUNCTION chathub_search_query(q text, weights text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
SELECT to_tsquery('chathub_search'::regconfig, COALESCE(string_agg(
	'''' || replace(replace(w, '\', '\\'), '''', '''''') || ''''
	|| CASE WHEN length(w) >= 2 THEN ':*' || weights WHEN weights <> '' THEN ':' || weights ELSE '' END,
	' & ' ORDER BY n), ''))
FROM (SELECT w, n FROM regexp_split_to_table(chathub_search_text(q), '\s+') WITH ORDINALITY AS t (w, n)
      WHERE w <> '' ORDER BY n LIMIT 32) AS words
$$;
