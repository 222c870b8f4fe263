// The review queue (docs/abuse.md, "Risk rules"): an order whose risk score reached its
// product's review threshold is held before delivery. A 发卡 shop delivers in seconds and a
// delivered code cannot be taken back, so the hold sits between payment and delivery: the buyer
// pays as usual, the keys stay reserved, and the merchant approves (delivery follows at once)
// or rejects (the keys go back to stock and the payment is refunded in full, as for an order
// that cannot be delivered). An unpaid order that is rejected simply fails.
import { AppError } from "../../../core/errors.ts";
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { postOrderRefund } from "../../ledger/flows.ts";
import { ensurePaymentEntry } from "../orders/paymentEntryOutbox.ts";

export type ReviewItem = {
  orderId: string;
  state: string;
  productId: string;
  quantity: number;
  amountMinor: string;
  currency: string;
  contact: string | null;
  riskScore: number;
  riskReasons: string[];
  createdAt: string;
};

export async function listReviewQueue(db: Drizzle, shopId: bigint, limit: number): Promise<ReviewItem[]> {
  const rows = await queryRows<{
    id: string;
    state: string;
    product_id: bigint;
    quantity: number;
    amount_minor: bigint;
    currency: string;
    contact: string | null;
    risk_score: number | null;
    risk_reasons: string[] | null;
    created_at: Date;
  }>(
    db,
    sql`SELECT id, state, product_id, quantity, amount_minor, currency, contact, risk_score, risk_reasons, created_at FROM orders
        WHERE shop_id = ${shopId} AND risk_review = 'pending' ORDER BY created_at LIMIT ${limit}`,
  );
  return rows.map((row) => ({
    orderId: row.id,
    state: row.state,
    productId: String(row.product_id),
    quantity: row.quantity,
    amountMinor: String(row.amount_minor),
    currency: row.currency,
    contact: row.contact,
    riskScore: row.risk_score ?? 0,
    riskReasons: row.risk_reasons ?? [],
    createdAt: new Date(row.created_at).toISOString(),
  }));
}

export type ReviewDecision = "approve" | "reject";

/** Decides a held order of `shopId` (in the caller's transaction, audited by the caller). Answers whether delivery should be queued now. */
export async function decideReview(
  tx: Drizzle,
  settings: { platformFeeBps: number },
  parameters: { orderId: string; shopId: bigint; decision: ReviewDecision; accountId: bigint },
): Promise<{ deliverNow: boolean; state: string }> {
  const { orderId, shopId, decision, accountId } = parameters;
  const order = await queryOne<{ state: string; risk_review: string | null; amount_minor: bigint; currency: string }>(
    tx,
    sql`SELECT state, risk_review, amount_minor, currency FROM orders WHERE id = ${orderId} AND shop_id = ${shopId} FOR UPDATE`,
  );
  if (!order) throw new AppError("not_found", `No order ${orderId} in this shop.`);
  if (order.risk_review !== "pending") throw new AppError("invalid_state", `Order ${orderId} is not waiting for review.`);
  if (decision === "approve") {
    await tx.execute(sql`UPDATE orders SET risk_review = 'approved', risk_reviewed_by = ${accountId} WHERE id = ${orderId}`);
    return { deliverNow: order.state === "paid", state: order.state };
  }
  await tx.execute(sql`UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL WHERE order_id = ${orderId} AND status = 'reserved'`);
  if (order.state === "paid") {
    await tx.execute(
      sql`UPDATE orders SET risk_review = 'rejected', risk_reviewed_by = ${accountId}, state = 'refund_pending', refund_reason = 'risk_rejected' WHERE id = ${orderId}`,
    );
    // The payment's own entry may still be queued in the group commit (acceptPayment.ts).
    await ensurePaymentEntry(tx, settings, orderId);
    await postOrderRefund(tx, { orderId, shopId, amountMinor: BigInt(order.amount_minor), currency: order.currency, reason: "merchant" });
    return { deliverNow: false, state: "refund_pending" };
  }
  const state = order.state === "awaiting_payment" ? "failed" : order.state;
  await tx.execute(sql`UPDATE orders SET risk_review = 'rejected', risk_reviewed_by = ${accountId}, state = ${state} WHERE id = ${orderId}`);
  return { deliverNow: false, state };
}
