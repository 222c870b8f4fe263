// Per buyer per product per day: a product's daily_buyer_quantity_max bounds the quantity one
// buyer (signed in: the account; guest: the contact) may claim over a rolling 24 hours.
// Atomic under concurrency: the claim counts and records the quantity in one transaction that
// holds an advisory lock on (product, buyer), so one buyer's concurrent checkouts queue and each
// sees the ones before it (the lock is per buyer and product: nobody else waits). The claim is
// taken before the order row is written and released if the order is not created or expires
// unpaid (createOrder, expireOrders), like a coupon use. Products without a limit claim nothing.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryPreparedOne, sql, type Drizzle } from "../../../core/store/database.ts";

export type DailyPurchaseClaim = { productId: bigint; quantity: number; orderId: string; buyerKey: string | null };

/** Claims `quantity` of the buyer's daily allowance for this order; returns whether a claim was recorded. */
export async function claimDailyPurchase(db: Drizzle, claim: DailyPurchaseClaim): Promise<boolean> {
  const product = await queryPreparedOne<{ limit: number | null }>(
    db,
    "product_daily_buyer_limit",
    sql`SELECT daily_buyer_quantity_max AS limit FROM products WHERE id = ${claim.productId}`,
  );
  if (!product || product.limit === null || claim.buyerKey === null) return false;
  const limit = product.limit;
  await db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`daily:${claim.productId}:${claim.buyerKey}`}, 0))`);
    const claimed = await queryOne<{ bought: string | null }>(
      tx,
      sql`SELECT sum(quantity) AS bought FROM purchase_limit_claims
          WHERE product_id = ${claim.productId} AND buyer_key = ${claim.buyerKey} AND released_at IS NULL AND created_at > now() - interval '24 hours'`,
    );
    const bought = Number(claimed?.bought ?? 0);
    if (bought + claim.quantity > limit) {
      const left = Math.max(0, limit - bought);
      throw new AppError(
        "purchase_limit_reached",
        `This product allows ${limit} per buyer per 24 hours; you have ${left} left. Order ${left > 0 ? `at most ${left}` : "again tomorrow"}.`,
        { details: { limit, bought, left } },
      );
    }
    await tx.execute(
      sql`INSERT INTO purchase_limit_claims (order_id, product_id, buyer_key, quantity) VALUES (${claim.orderId}, ${claim.productId}, ${claim.buyerKey}, ${claim.quantity})`,
    );
  });
  return true;
}

/** Gives back the allowance an order claimed (its order was not created). Releasing twice does nothing. */
export async function releaseDailyPurchase(db: Drizzle, orderId: string): Promise<void> {
  await db.execute(sql`UPDATE purchase_limit_claims SET released_at = now() WHERE order_id = ${orderId} AND released_at IS NULL`);
}
