-- 017_search_async — in SQLite, messages now enter the full-text index in
-- batches after their commit (its FTS5 flushed an index segment at every
-- commit). PostgreSQL's GIN index already defers its work (fastupdate keeps a
-- pending list that VACUUM or a full list merges), so its messages stay
-- indexed as they are written and ch_store_search_catch_up has nothing to do.
-- Nothing changes here; the migration keeps the two dialects' lists alike.
SELECT 1;
