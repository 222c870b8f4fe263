// Unpaid orders expire and release their stock. Runs periodically (maintenance queue); each
// run handles at most `limit` orders so one run is bounded. The order row's state decides
// between expiry and a racing payment: acceptPayment locks the row and checks the state.
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export async function expireOrders(db: Drizzle, options: { limit: number } = { limit: 1_000 }): Promise<number> {
  const result = await queryOne<{ expired: number | string }>(
    db,
    sql`WITH expired AS (
          UPDATE orders SET state = 'expired'
          WHERE id IN (SELECT id FROM orders WHERE state = 'awaiting_payment' AND expires_at < now()
                       ORDER BY expires_at LIMIT ${options.limit} FOR UPDATE SKIP LOCKED)
          RETURNING id, product_id, quantity
        ),
        released AS (
          UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL
          WHERE order_id IN (SELECT id FROM expired) AND status = 'reserved'
        ),
        restocked AS (
          UPDATE products p SET manual_stock = p.manual_stock + e.quantity
          FROM (SELECT product_id, sum(quantity) AS quantity FROM expired GROUP BY product_id) e WHERE p.id = e.product_id AND p.delivery_mode = 'manual' AND p.manual_stock IS NOT NULL
        ),
        -- An order that expires unpaid gives its coupon use back (docs/pricing.md).
        uses_released AS (
          UPDATE coupon_uses SET released_at = now() WHERE order_id IN (SELECT id FROM expired) AND released_at IS NULL RETURNING coupon_id
        ),
        coupons_released AS (
          UPDATE coupons c SET uses = c.uses - r.n FROM (SELECT coupon_id, count(*) AS n FROM uses_released GROUP BY coupon_id) r WHERE c.id = r.coupon_id
        ),
        -- And its share of the buyer's daily purchase allowance (api/services/pricing/purchaseLimits.ts).
        allowance_released AS (
          UPDATE purchase_limit_claims SET released_at = now() WHERE order_id IN (SELECT id FROM expired) AND released_at IS NULL
        )
        -- Data-modifying CTEs run to completion whether or not the result reads them.
        SELECT count(*) AS expired FROM expired`,
  );
  return Number(result?.expired ?? 0);
}
