// Reading recommendations (docs/discovery.md, "Recommendations"): item-item cosine similarity
// over the counts the job keeps (updateRecommendations.ts), the model `npm run eval:recs`
// measured against popularity:
//
//   similarity(a, b) = count(a, b) / sqrt(n(a) · n(b))
//
// count(a, b): accounts having both items; n(a): accounts having a. A product's list is its most
// similar products; an account's ("for you") sums, for each product, its similarities to the
// account's items and leaves out what the account bought. Where behaviour finds fewer than asked
// (a new product, a new account), content similarity over the search's bigrams (migration
// 1200_search.sql) within the same category or shop fills the list, then the products most
// accounts have. Only active products are ever listed, never the product itself.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { integerArrayLiteral } from "../../../core/store/sqlArrays.ts";
import type { SQL } from "drizzle-orm";

export type RecommendationReason = "behaviour" | "content" | "popular";

export type RecommendedProduct = {
  id: string;
  shopId: string;
  shopName: string;
  shopSlug: string;
  name: string;
  category: string;
  priceMinor: string;
  currency: string;
  /** Behaviour: cosine similarity (summed over the account's items for "for you"); content: bigram cosine; popular: accounts. */
  score: number;
  reason: RecommendationReason;
};

export type RecommendationList = { items: RecommendedProduct[] };

type Row = {
  id: bigint;
  shop_id: bigint;
  shop_name: string;
  shop_slug: string;
  name: string;
  category: string;
  price_minor: bigint;
  currency: string;
  score: number;
};

// How many items an account's "for you" starts from: its latest, so a heavy viewer's request
// reads a bounded number of neighbour lists.
const accountItemsMax = 100;

const listed = sql.raw(`p.id, p.shop_id, s.name AS shop_name, s.slug AS shop_slug, p.name, p.category, p.price_minor, p.currency`);

const asItems = (rows: Row[], reason: RecommendationReason): RecommendedProduct[] =>
  rows.map((row) => ({
    id: String(row.id),
    shopId: String(row.shop_id),
    shopName: row.shop_name,
    shopSlug: row.shop_slug,
    name: row.name,
    category: row.category,
    priceMinor: String(row.price_minor),
    currency: row.currency,
    score: Number(row.score),
    reason,
  }));

/** "Bought together" / "you may also like" for an active product (404 for a paused or unknown one, as its page). */
export async function recommendForProduct(db: Drizzle, productId: bigint, limit: number): Promise<RecommendationList> {
  const product = await queryOne<{ status: string }>(db, sql`SELECT status FROM products WHERE id = ${productId}`);
  if (product?.status !== "active") throw new AppError("not_found", `No product ${productId}.`);
  const behaviour = asItems(
    await queryRows<Row>(
      db,
      sql`
      WITH neighbours AS (
        SELECT product_b AS product_id, accounts AS together FROM item_pairs WHERE product_a = ${productId}
        UNION ALL SELECT product_a, accounts FROM item_pairs WHERE product_b = ${productId}
      )
      SELECT ${listed}, (n.together / sqrt(t.accounts::float8 * o.accounts))::float8 AS score
      FROM neighbours n
      JOIN item_users t ON t.product_id = ${productId}
      JOIN item_users o ON o.product_id = n.product_id
      JOIN products p ON p.id = n.product_id AND p.status = 'active'
      JOIN shops s ON s.id = p.shop_id
      ORDER BY score DESC, n.together DESC, p.id
      LIMIT ${limit}`,
    ),
    "behaviour",
  );
  return { items: await fillUp(db, behaviour, limit, { similarTo: productId, excluded: [productId] }) };
}

/** "For you": the products most similar to the account's items, without those it bought. */
export async function recommendForAccount(db: Drizzle, accountId: bigint, limit: number): Promise<RecommendationList> {
  const bought = (
    await queryRows<{ product_id: bigint }>(db, sql`SELECT DISTINCT product_id FROM orders WHERE buyer_account_id = ${accountId} AND paid_at IS NOT NULL`)
  ).map((row) => row.product_id);
  const boughtList = sql`${integerArrayLiteral(bought)}::bigint[]`;
  const behaviour = asItems(
    await queryRows<Row>(
      db,
      sql`
      WITH mine AS (
        SELECT product_id FROM recommendation_user_items WHERE account_id = ${accountId} ORDER BY seen_at DESC, product_id LIMIT ${accountItemsMax}
      ), neighbours AS (
        SELECT m.product_id AS mine, ip.product_b AS other, ip.accounts AS together FROM mine m JOIN item_pairs ip ON ip.product_a = m.product_id
        UNION ALL
        SELECT m.product_id, ip.product_a, ip.accounts FROM mine m JOIN item_pairs ip ON ip.product_b = m.product_id
      ), scored AS (
        SELECT n.other AS product_id, sum(n.together / sqrt(a.accounts::float8 * b.accounts))::float8 AS score
        FROM neighbours n JOIN item_users a ON a.product_id = n.mine JOIN item_users b ON b.product_id = n.other
        WHERE NOT (n.other = ANY(${boughtList}))
        GROUP BY n.other
      )
      SELECT ${listed}, c.score
      FROM scored c JOIN products p ON p.id = c.product_id AND p.status = 'active' JOIN shops s ON s.id = p.shop_id
      ORDER BY c.score DESC, p.id
      LIMIT ${limit}`,
    ),
    "behaviour",
  );
  return { items: await fillUp(db, behaviour, limit, { excluded: bought }) };
}

/** Completes a list with content-similar products (for a product's list), then popular ones. */
async function fillUp(
  db: Drizzle,
  found: RecommendedProduct[],
  limit: number,
  options: { similarTo?: bigint; excluded: readonly bigint[] },
): Promise<RecommendedProduct[]> {
  const items = [...found];
  const taken = () => sql`${integerArrayLiteral([...options.excluded, ...items.map((item) => BigInt(item.id))])}::bigint[]`;
  if (items.length < limit && options.similarTo !== undefined) {
    items.push(...asItems(await contentSimilar(db, options.similarTo, taken(), limit - items.length), "content"));
  }
  if (items.length < limit) {
    const popular = await queryRows<Row>(
      db,
      sql`
      SELECT ${listed}, u.accounts::float8 AS score
      FROM item_users u JOIN products p ON p.id = u.product_id AND p.status = 'active' JOIN shops s ON s.id = p.shop_id
      WHERE NOT (u.product_id = ANY(${taken()}))
      ORDER BY u.accounts DESC, u.product_id
      LIMIT ${limit - items.length}`,
    );
    items.push(...asItems(popular, "popular"));
  }
  return items;
}

/**
 * Products of the same category or shop whose text shares the most with the product's: cosine
 * similarity of their sets of two-character windows (the search's `search_bigrams` column, which
 * works for Chinese and Latin text alike), |A ∩ B| / sqrt(|A| · |B|). The GIN index on the
 * column answers the overlap (`&&`) that a candidate needs.
 */
async function contentSimilar(db: Drizzle, productId: bigint, taken: SQL, limit: number): Promise<Row[]> {
  return queryRows<Row>(
    db,
    sql`
    SELECT ${listed},
      (cardinality(ARRAY(SELECT unnest(p.search_bigrams) INTERSECT SELECT unnest(t.search_bigrams)))
        / sqrt(cardinality(p.search_bigrams)::float8 * cardinality(t.search_bigrams)))::float8 AS score
    FROM products t
    JOIN products p ON p.search_bigrams && t.search_bigrams AND p.id <> t.id AND p.status = 'active'
      AND (p.category = t.category OR p.shop_id = t.shop_id)
    JOIN shops s ON s.id = p.shop_id
    WHERE t.id = ${productId} AND NOT (p.id = ANY(${taken}))
    ORDER BY score DESC, p.id
    LIMIT ${limit}`,
  );
}
