// Fulfilment: one database transaction turns a paid order into delivered keys. It marks the
// order fulfilled, sells the keys reserved for it (claiming more with FOR UPDATE SKIP LOCKED
// if a reservation was lost), and creates one entitlement per key, whose on-chain issuance is
// batched later by the chain worker. It is idempotent: a second run (BullMQ redelivery, a
// crash after commit) finds the order no longer 'paid' and does nothing, so a key is
// delivered to at most one order whatever happens. Not enough keys: the order goes to
// refund_pending, never half-delivered.
import { queryOne, queryPreparedRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from "../../../core/store/groupCommit.ts";
import { ensurePaymentEntry } from "./paymentEntryOutbox.ts";
import { postOrderRefund } from "../../ledger/flows.ts";
import { keyBatchReleased } from "../../../core/store/keyOnSale.ts";

export type FulfilOutcome = "fulfilled" | "already_done" | "manual_queue" | "refund_pending" | "not_paid" | "review_hold" | "group_hold";

export type FulfilSettings = { platformFeeBps: number };

/** The worker's group commit of fulfilments: the jobs in flight share a statement and its commit. */
export type FulfilmentBatcher = GroupCommit<string, true>;

export function createFulfilmentBatcher(db: Drizzle, options?: GroupCommitOptions): FulfilmentBatcher {
  return createGroupCommit(
    async (orderIds: string[]) => {
      const fulfilled = await fulfilReservedBatch(db, orderIds);
      return orderIds.map((orderId) => (fulfilled.has(orderId) ? true : undefined));
    },
    (orderId) => orderId,
    options,
  );
}

/** `batcher`: the worker's group commit; without it, one statement per order. */
export async function fulfilOrder(db: Drizzle, orderId: string, settings: FulfilSettings, batcher?: FulfilmentBatcher): Promise<FulfilOutcome> {
  if (await (batcher ? batcher.submit(orderId) : fulfilReserved(db, orderId))) return "fulfilled";
  return fulfilCarefully(db, orderId, settings);
}

/**
 * The common case in one statement, for any number of orders: each one paid, automatic, and
 * with all its keys still reserved for it. Returns the ids it fulfilled; an order it left
 * alone takes the careful path. A second run for an order (redelivery) waits on its row lock,
 * then finds it fulfilled.
 * The orders' row locks are taken in id order (the primary key scan of `= ANY`), so two
 * batches that share an order wait for each other instead of deadlocking.
 */
export async function fulfilReservedBatch(db: Drizzle, orderIds: readonly string[]): Promise<Set<string>> {
  const rows = await queryPreparedRows<{ id: string }>(
    db,
    "fulfil_reserved_batch",
    sql`WITH o AS (
          UPDATE orders SET state = 'fulfilled', fulfilled_at = now()
          WHERE id = ANY(${textArrayLiteral(orderIds)}::text[]) AND state = 'paid'
            -- An order held for review waits for the merchant's approval (api/services/risk/reviewOrder.ts).
            AND (risk_review IS NULL OR risk_review = 'approved')
            -- A group member's order is held until its group fills (docs/groupbuy.md).
            AND (group_id IS NULL OR EXISTS (SELECT 1 FROM buying_groups g WHERE g.id = orders.group_id AND g.state = 'filled'))
            AND EXISTS (SELECT 1 FROM products p WHERE p.id = orders.product_id AND p.delivery_mode = 'automatic')
            AND (SELECT count(*) FROM keys k WHERE k.order_id = orders.id AND k.status = 'reserved') = orders.quantity
          RETURNING id, buyer_account_id
        ),
        sold AS (
          UPDATE keys SET status = 'sold', sold_at = now(), reserved_until = NULL
          WHERE order_id IN (SELECT id FROM o) AND status = 'reserved'
          RETURNING id, order_id, shop_id, product_id, batch_id
        ),
        created AS (
          INSERT INTO entitlements (key_id, order_id, shop_id, product_id, batch_id, owner_account_id, state, revealed_at, redeem_state)
          SELECT sold.id, sold.order_id, sold.shop_id, sold.product_id, sold.batch_id, o.buyer_account_id,
                 CASE WHEN p.resale_allowed THEN 'sealed' ELSE 'redeemed' END,
                 CASE WHEN p.resale_allowed THEN NULL ELSE now() END,
                 CASE WHEN p.resale_allowed THEN NULL ELSE 'pending' END
          FROM sold JOIN o ON o.id = sold.order_id JOIN products p ON p.id = sold.product_id
          RETURNING order_id
        )
        SELECT o.id FROM o
        WHERE (SELECT count(*) FROM created c WHERE c.order_id = o.id) = (SELECT count(*) FROM sold s WHERE s.order_id = o.id)`,
  );
  return new Set(rows.map((row) => row.id));
}

/** One order alone (a batch of one): true when the common statement fulfilled it. */
async function fulfilReserved(db: Drizzle, orderId: string): Promise<boolean> {
  return (await fulfilReservedBatch(db, [orderId])).has(orderId);
}

async function fulfilCarefully(db: Drizzle, orderId: string, settings: FulfilSettings): Promise<FulfilOutcome> {
  return db.transaction(async (tx) => {
    const order = await queryOne<{
      state: string;
      quantity: number;
      product_id: bigint;
      stock_product_id: bigint;
      delivery_mode: string;
      shop_id: bigint;
      amount_minor: bigint;
      currency: string;
      risk_review: string | null;
      group_state: string | null;
    }>(
      tx,
      // A docked listing's keys are its supplier's (docs/docking.md): more are claimed from there, even after
      // the supplier stopped supplying, so an order paid before the stop is still delivered whole or refunded.
      sql`SELECT o.state, o.quantity, o.product_id, coalesce(p.supply_product_id, p.id) AS stock_product_id, o.shop_id, o.amount_minor, o.currency,
               o.risk_review, p.delivery_mode, g.state AS group_state
          FROM orders o JOIN products p ON p.id = o.product_id LEFT JOIN buying_groups g ON g.id = o.group_id
          WHERE o.id = ${orderId} FOR UPDATE OF o`,
    );
    if (!order) return "not_paid";
    if (order.state === "fulfilled" || order.state === "refund_pending" || order.state === "refunded") return "already_done";
    if (order.state !== "paid") return "not_paid";
    // Held for review: delivered once approved; a rejected order is refunded by the rejection.
    if (order.risk_review === "pending") return "review_hold";
    if (order.risk_review === "rejected") return "already_done";
    // A held group payment: delivered when the group fills, refunded when it expires.
    if (order.group_state !== null && order.group_state !== "filled") return "group_hold";
    // Manual delivery: the order waits, paid, in the merchant's queue (deliverManualOrder).
    if (order.delivery_mode === "manual") return "manual_queue";

    const reserved = await queryOne<{ count: bigint }>(tx, sql`SELECT count(*) AS count FROM keys WHERE order_id = ${orderId} AND status = 'reserved'`);
    let count = Number(reserved!.count);
    if (count < order.quantity) count += await claimMore(tx, orderId, order.stock_product_id, BigInt(order.product_id), order.quantity - count);
    if (count < order.quantity) {
      // Release what was taken and send the order to the refund path.
      await tx.execute(sql`UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL WHERE order_id = ${orderId} AND status = 'reserved'`);
      await tx.execute(sql`UPDATE orders SET state = 'refund_pending', refund_reason = 'out_of_stock' WHERE id = ${orderId}`);
      // The payment's own entry may still be queued in the group commit (acceptPayment.ts).
      await ensurePaymentEntry(tx, settings, orderId);
      // A paid order that cannot be delivered: the whole payment goes back to the buyer.
      await postOrderRefund(tx, {
        orderId,
        shopId: BigInt(order.shop_id),
        amountMinor: BigInt(order.amount_minor),
        currency: order.currency,
        reason: "out_of_stock",
      });
      return "refund_pending";
    }
    // Every key is reserved for the order now: the common statement completes it.
    if (!(await fulfilReserved(tx, orderId))) throw new Error(`Order ${orderId} had its keys reserved but could not be fulfilled.`);
    return "fulfilled";
  });
}

/** Keys of the stock product that are no other listing's allocation (docs/docking.md, "Auto-restock"). */
async function claimMore(tx: Drizzle, orderId: string, productId: bigint, orderProductId: bigint, missing: number): Promise<number> {
  const claimed = await queryOne<{ count: number | string }>(
    tx,
    sql`WITH claimed AS (
          UPDATE keys SET status = 'reserved', order_id = ${orderId}
          WHERE id IN (SELECT id FROM keys WHERE product_id = ${productId} AND status = 'available' AND ${keyBatchReleased("keys")}
                         AND (allocated_product_id IS NULL OR allocated_product_id = ${orderProductId})
                       ORDER BY id LIMIT ${missing} FOR UPDATE SKIP LOCKED)
          RETURNING id
        ) SELECT count(*) AS count FROM claimed`,
  );
  return Number(claimed!.count);
}
