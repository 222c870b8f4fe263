// Search over the storefront: active products and shops whose text holds every word of the
// query, or comes close to it (typo tolerance), ranked by relevance and sales. The indexes and
// the normal form are in migration 1200_search.sql; the ranking formula and its reasons are in
// docs/discovery.md ("Ranking").
//
// Every value reaches SQL as a parameter and the query is never parsed as a query language
// (no LIKE pattern, no tsquery): `%`, `_`, `&`, `|`, `!`, quotes and backslashes are plain
// characters to look for.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type SearchCatalogueParameters = {
  /** The text typed, already checked by the route (length, word count, characters). */
  query: string;
  category?: string;
  minPriceMinor?: bigint;
  maxPriceMinor?: bigint;
  productsMax: number;
  shopsMax: number;
};

export type ProductHit = {
  id: string;
  shopId: string;
  shopName: string;
  shopSlug: string;
  name: string;
  category: string;
  priceMinor: string;
  currency: string;
  unitsSold: string;
  relevance: number;
  score: number;
};

export type ShopHit = { id: string; slug: string; name: string; relevance: number };

export type SearchCatalogueReturnType = { products: ProductHit[]; shops: ShopHit[] };

// Candidates ranked by relevance before sales are counted: sales are read per candidate (an
// index-only scan of orders_product_fulfilled_idx), so their number bounds the work per search.
const candidatesMax = 200;

// pg_trgm's `<%` holds a word as similar when word_similarity reaches this (its default, 0.6,
// missed one wrong letter in a six-letter word: premum against premium is 0.57). Set per
// transaction (SET LOCAL), so the operator and its index use it.
const wordSimilarityMin = 0.5;

// A word found in the name counts fully, in the description less; a word found only by
// similarity (a typo) counts by how similar its closest word is, below an exact find.
const relevanceOfWord = (table: "p" | "s", nameColumn: string) => sql`
  CASE WHEN strpos(search_normalise(${sql.raw(`${table}.${nameColumn}`)}), word) > 0 THEN 1.0
       WHEN strpos(${sql.raw(`${table}.search_text`)}, word) > 0 THEN 0.6
       ELSE 0.8 * word_similarity(word, ${sql.raw(`${table}.search_text`)}) END`;

// A row matches when every word is in its text or close to a word of it. The first condition
// is what the indexes answer (all the query's bigrams, or the whole query similar); the second
// decides word by word.
const matches = (table: "p" | "s", query: string) => sql`
  (${sql.raw(`${table}.search_bigrams`)} @> search_bigrams(${query}) OR search_normalise(${query}) <% ${sql.raw(`${table}.search_text`)})
  AND NOT EXISTS (
    SELECT 1 FROM unnest(string_to_array(search_normalise(${query}), ' ')) word
    WHERE strpos(${sql.raw(`${table}.search_text`)}, word) = 0 AND NOT (word <% ${sql.raw(`${table}.search_text`)}))`;

const relevance = (table: "p" | "s", nameColumn: string, query: string) => sql`
  (SELECT avg(${relevanceOfWord(table, nameColumn)})::float8 FROM unnest(string_to_array(search_normalise(${query}), ' ')) word)`;

type ProductRow = {
  id: bigint;
  shop_id: bigint;
  shop_name: string;
  shop_slug: string;
  name: string;
  category: string;
  price_minor: bigint;
  currency: string;
  units_sold: bigint | string;
  relevance: number;
  score: number;
};

type ShopRow = { id: bigint; slug: string; name: string; relevance: number };

export async function searchCatalogue(db: Drizzle, parameters: SearchCatalogueParameters): Promise<SearchCatalogueReturnType> {
  const filters = [
    parameters.category === undefined ? sql`` : sql` AND p.category = ${parameters.category}`,
    parameters.minPriceMinor === undefined ? sql`` : sql` AND p.price_minor >= ${parameters.minPriceMinor}`,
    parameters.maxPriceMinor === undefined ? sql`` : sql` AND p.price_minor <= ${parameters.maxPriceMinor}`,
  ];
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(wordSimilarityMin)}, true)`);
    return searchIn(tx, parameters, filters);
  });
}

async function searchIn(db: Drizzle, parameters: SearchCatalogueParameters, filters: ReturnType<typeof sql>[]): Promise<SearchCatalogueReturnType> {
  const { query } = parameters;
  const products = await queryRows<ProductRow>(
    db,
    sql`
    WITH candidates AS (
      SELECT p.id, p.shop_id, p.name, p.category, p.price_minor, p.currency, ${relevance("p", "name", query)} AS relevance
      FROM products p
      WHERE p.status = 'active' AND ${matches("p", query)}${sql.join(filters)}
      ORDER BY relevance DESC, p.id
      LIMIT ${candidatesMax}
    ), counted AS (
      SELECT c.*, coalesce((SELECT sum(o.quantity) FROM orders o WHERE o.product_id = c.id AND o.state = 'fulfilled'), 0)::bigint AS units_sold
      FROM candidates c
    )
    SELECT c.*, s.name AS shop_name, s.slug AS shop_slug,
      (c.relevance * (1 + 0.05 * ln(1 + c.units_sold)))::float8 AS score
    FROM counted c JOIN shops s ON s.id = c.shop_id
    ORDER BY score DESC, c.units_sold DESC, c.id
    LIMIT ${parameters.productsMax}`,
  );
  const shops =
    parameters.shopsMax === 0
      ? []
      : await queryRows<ShopRow>(
          db,
          sql`
    SELECT s.id, s.slug, s.name, ${relevance("s", "name", query)} AS relevance
    FROM shops s
    WHERE ${matches("s", query)}
    ORDER BY relevance DESC, s.id
    LIMIT ${parameters.shopsMax}`,
        );
  return {
    products: products.map((row) => ({
      id: String(row.id),
      shopId: String(row.shop_id),
      shopName: row.shop_name,
      shopSlug: row.shop_slug,
      name: row.name,
      category: row.category,
      priceMinor: String(row.price_minor),
      currency: row.currency,
      unitsSold: String(row.units_sold),
      relevance: Number(row.relevance),
      score: Number(row.score),
    })),
    shops: shops.map((row) => ({ id: String(row.id), slug: row.slug, name: row.name, relevance: Number(row.relevance) })),
  };
}
