// Checkout reads a product's limits on every order; a one-second cache saves a round trip
// per order on the hot path. The price is never taken from here: the pricing quote
// (api/services/pricing/quoteOrder.ts) reads it from the products row itself, so a price
// change applies to the very next order.
import { AppError } from "../../../core/errors.ts";
import { queryPreparedOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type CheckoutProduct = {
  id: bigint;
  shopId: bigint;
  name: string;
  currency: string;
  deliveryMode: "automatic" | "manual";
  quantityMin: number;
  quantityMax: number;
  status: "active" | "paused";
  /** The product's own risk thresholds (null: the platform's). */
  riskReviewScore: number | null;
  riskBlockScore: number | null;
  /** A reseller's docked listing: the supplier's product whose keys it sells (docs/docking.md). */
  supplyProductId: bigint | null;
};

const ttlMs = 1_000;
const cacheSizeMax = 10_000;
const cache = new Map<bigint, { product: CheckoutProduct; expiresAt: number }>();

export async function checkoutProduct(db: Drizzle, productId: bigint): Promise<CheckoutProduct> {
  const hit = cache.get(productId);
  if (hit && hit.expiresAt > Date.now()) return hit.product;
  const row = await queryPreparedOne<{
    id: bigint;
    shop_id: bigint;
    name: string;
    currency: string;
    delivery_mode: "automatic" | "manual";
    quantity_min: number;
    quantity_max: number;
    status: "active" | "paused";
    risk_review_score: number | null;
    risk_block_score: number | null;
    supply_product_id: bigint | null;
  }>(
    db,
    "checkout_product",
    sql`SELECT id, shop_id, name, currency, delivery_mode, quantity_min, quantity_max, status, risk_review_score, risk_block_score, supply_product_id FROM products WHERE id = ${productId}`,
  );
  if (!row) throw new AppError("not_found", `No product ${productId}.`);
  const product: CheckoutProduct = {
    id: BigInt(row.id),
    shopId: BigInt(row.shop_id),
    name: row.name,
    currency: row.currency,
    deliveryMode: row.delivery_mode,
    quantityMin: row.quantity_min,
    quantityMax: row.quantity_max,
    status: row.status,
    riskReviewScore: row.risk_review_score,
    riskBlockScore: row.risk_block_score,
    supplyProductId: row.supply_product_id === null ? null : BigInt(row.supply_product_id),
  };
  if (cache.size >= cacheSizeMax) cache.delete(cache.keys().next().value!);
  cache.set(productId, { product, expiresAt: Date.now() + ttlMs });
  return product;
}
