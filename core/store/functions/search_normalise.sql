-- search_normalise: its current definition (last written by migration 1200_search.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- The one normal form of searched text and of queries: NFKC (full-width Ｎｅｔｆｌｉｘ becomes
-- Netflix), lower case, runs of white space as one space. Generated columns store its result:
-- a changed definition applies to rows written afterwards, so a change needs a migration that
-- rewrites the columns (UPDATE ... SET name = name).
CREATE OR REPLACE FUNCTION search_normalise(p_text text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT btrim(regexp_replace(lower(normalize(p_text, NFKC)), '\s+', ' ', 'g'))
$$;
