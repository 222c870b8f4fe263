-- Search over shops and products, in Chinese and English (docs/discovery.md).
--
-- Two indexes per searchable table, both over one normalised text (NFKC, lower case):
-- - search_bigrams: every two-character window of the text, in a GIN array index (built in, no
--   extension). A query's bigrams contained in a row's (@>) is a necessary condition for the
--   query being a substring of the row's text, whatever the script: a two-character Chinese
--   query (荣耀) has one bigram and finds 王者荣耀点券 through the index. pg_trgm cannot do that:
--   it extracts no trigram from a two-character LIKE pattern and falls back to reading every row.
-- - search_text with gin_trgm_ops (pg_trgm, a contrib extension in Debian's postgresql-15 and in
--   PGlite's contrib bundle): word similarity for typo tolerance in Latin text (netflx finds
--   Netflix), through the `<%` operator that the index answers.
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- First versions (generated columns below need them); their files in core/store/functions/
-- hold the current definitions.
CREATE FUNCTION search_normalise(p_text text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT btrim(regexp_replace(lower(normalize(p_text, NFKC)), '\s+', ' ', 'g'))
$$;

CREATE FUNCTION search_bigrams(p_text text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT coalesce(array_agg(DISTINCT gram), '{}'::text[])
  FROM (SELECT substr(t, i, 2) AS gram FROM (SELECT search_normalise(p_text) AS t) n, generate_series(1, length(t) - 1) i) grams
  WHERE gram !~ '\s'
$$;

ALTER TABLE products
  ADD COLUMN search_text text GENERATED ALWAYS AS (search_normalise(name || ' ' || description)) STORED,
  ADD COLUMN search_bigrams text[] GENERATED ALWAYS AS (search_bigrams(name || ' ' || description)) STORED;
CREATE INDEX products_search_bigrams_idx ON products USING gin (search_bigrams);
CREATE INDEX products_search_trgm_idx ON products USING gin (search_text gin_trgm_ops);

ALTER TABLE shops
  ADD COLUMN search_text text GENERATED ALWAYS AS (search_normalise(name || ' ' || slug || ' ' || description)) STORED,
  ADD COLUMN search_bigrams text[] GENERATED ALWAYS AS (search_bigrams(name || ' ' || slug || ' ' || description)) STORED;
CREATE INDEX shops_search_bigrams_idx ON shops USING gin (search_bigrams);
CREATE INDEX shops_search_trgm_idx ON shops USING gin (search_text gin_trgm_ops);

-- Sales for ranking: units of a product's fulfilled orders, read through this index only.
CREATE INDEX orders_product_fulfilled_idx ON orders (product_id) INCLUDE (quantity) WHERE state = 'fulfilled';
