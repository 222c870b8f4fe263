-- search_bigrams: its current definition (last written by migration 1200_search.sql, which stays as applied).
-- Applied by core/store/migrate.ts after the migrations whenever this file changes.
-- Every distinct two-character window of the normalised text, except those holding white space
-- (a query's words are matched one by one). A query is a substring of a text only if its
-- bigrams are all among the text's: the GIN array index finds the candidates, strpos decides.
CREATE OR REPLACE FUNCTION search_bigrams(p_text text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_agg(DISTINCT gram), '{}'::text[])
  FROM (SELECT substr(t, i, 2) AS gram FROM (SELECT search_normalise(p_text) AS t) n, generate_series(1, length(t) - 1) i) grams
  WHERE gram !~ '\s'
$$;
