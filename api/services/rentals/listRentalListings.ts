// Active rental offers of a product: price per day, term bounds, and the token (so a renter can
// check it on-chain). Never the owner's identity, never a code. Keyset-paginated by offer id.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type RentalListingView = {
  id: string;
  entitlementId: string;
  productId: string;
  pricePerDayMinor: string;
  currency: string;
  minDays: number;
  maxDays: number;
  tokenId: string | null;
  createdAt: string;
};

type Row = {
  id: bigint;
  entitlement_id: bigint;
  product_id: bigint;
  price_per_day_minor: bigint;
  currency: string;
  min_days: number;
  max_days: number;
  token_id: string | null;
  created_at: Date;
};

export async function listRentalListings(
  db: Drizzle,
  query: { productId: bigint; afterId?: bigint; limit: number },
): Promise<{ items: RentalListingView[]; nextCursor: string | null }> {
  const rows = await queryRows<Row>(
    db,
    sql`SELECT l.id, l.entitlement_id, l.product_id, l.price_per_day_minor, l.currency, l.min_days, l.max_days, e.token_id::text AS token_id, l.created_at
        FROM rental_listings l JOIN entitlements e ON e.id = l.entitlement_id
        WHERE l.product_id = ${query.productId} AND l.state = 'active' AND l.id > ${query.afterId ?? 0n}
        ORDER BY l.id LIMIT ${query.limit}`,
  );
  const items = rows.map((row) => ({
    id: String(row.id),
    entitlementId: String(row.entitlement_id),
    productId: String(row.product_id),
    pricePerDayMinor: String(row.price_per_day_minor),
    currency: row.currency,
    minDays: row.min_days,
    maxDays: row.max_days,
    tokenId: row.token_id,
    createdAt: new Date(row.created_at).toISOString(),
  }));
  return { items, nextCursor: rows.length === query.limit ? String(rows[rows.length - 1]!.id) : null };
}
