-- 016_search_terms — nothing to change here: the SQLite backend already
-- makes at most 32 terms of a search (sqlite/search.c, CH_SEARCH_MAX_TERMS).
-- The PostgreSQL backend's migration of this number bounds its query alike.
SELECT 1;
