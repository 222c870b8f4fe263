// What a charged renewal period delivers, by the subscription's delivery kind
// (docs/subscriptions.md, "A new key each period"). Called inside the renewal's transaction right
// after the period's row is written, whatever paid for the period:
// - credential: nothing new; the subscription's entitlement is extended on-chain;
// - key_per_period: the next key of the product's committed stock is sold to the subscriber on
//   the subscription's order and a new entitlement is created for it (issued by the chain
//   worker; its expiry is set to the period's end once issued). No key: 409 out_of_stock, and
//   the caller's transaction undoes the charge (no key, no charge).
// Exactly once per (subscription, period): the caller holds the subscription's row lock, the
// period's row is unique, the key is taken with FOR UPDATE SKIP LOCKED (never two renewals' key)
// and subscription_periods.entitlement_id is UNIQUE.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { SubscriptionRow } from "./chargeRenewal.ts";
import { keyBatchReleased } from "../../../core/store/keyOnSale.ts";

export async function deliverChargedPeriod(tx: Drizzle, subscription: SubscriptionRow, periodIndex: number): Promise<void> {
  if (subscription.delivery === "credential") return;
  const delivered = await queryOne<{ entitlement_id: bigint }>(
    tx,
    sql`WITH next_key AS (
          SELECT id FROM keys WHERE product_id = ${subscription.product_id} AND status = 'available' AND ${keyBatchReleased("keys")}
            AND (allocated_product_id IS NULL OR allocated_product_id = ${subscription.product_id})
          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
        ),
        sold AS (
          UPDATE keys SET status = 'sold', order_id = ${subscription.order_id}, sold_at = now(), reserved_until = NULL
          WHERE id = (SELECT id FROM next_key) RETURNING id, shop_id, product_id, batch_id
        ),
        created AS (
          -- Sealed or revealed at once, as a sale of the product delivers it (fulfilOrder.ts).
          INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, revealed_at, redeem_state)
          SELECT sold.id, ${subscription.order_id}, sold.shop_id, sold.product_id, sold.batch_id, ${subscription.account_id},
                 CASE WHEN p.resale_allowed THEN 'sealed' ELSE 'redeemed' END,
                 CASE WHEN p.resale_allowed THEN NULL ELSE now() END,
                 CASE WHEN p.resale_allowed THEN NULL ELSE 'pending' END
          FROM sold JOIN products p ON p.id = sold.product_id
          RETURNING id
        )
        UPDATE subscription_periods SET entitlement_id = (SELECT id FROM created)
        WHERE subscription_id = ${subscription.id} AND period_index = ${periodIndex} AND EXISTS (SELECT 1 FROM created)
        RETURNING entitlement_id`,
  );
  if (!delivered) {
    throw new AppError(
      "out_of_stock",
      `Subscription ${subscription.id}: the shop has no key left for period ${periodIndex}; nothing was charged. Renew once the shop restocks (before the grace period ends).`,
    );
  }
}
