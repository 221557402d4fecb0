-- Case search finds cases by their customer's name as typed (any part of
-- it): a trigram index of the names (pg_trgm, part of PostgreSQL's
-- contrib), so ILIKE '%…%' looks up the matching customers instead of
-- testing every name. Where the extension cannot be installed the search
-- still works, testing every name.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX customers_name_trigrams ON customers USING gin (name gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'customer names are searched without a trigram index: %', SQLERRM;
END
$$;
