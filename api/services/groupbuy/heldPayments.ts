// A group member's payment is held: the order is paid, its key reserved, nothing delivered
// (docs/groupbuy.md). This module decides, under the group's row lock, what an accepted payment
// becomes (a seat, the seat that fills the group, or an immediate refund when no seat is left),
// and refunds a held payment. Group orders are paid through the platform (payment method
// "chain", platform-collected: docs/ledger.md), so the platform holds the money it refunds.
import { queryOne, queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { ensurePaymentEntry } from "../orders/paymentEntryOutbox.ts";
import { creditRefundToBuyerBalance } from "../orders/refundToBalance.ts";
import { refundThroughProceedsHold } from "../disputes/proceedsHolds.ts";

export type SeatOutcome = "seated" | "filled" | "refunded";

export type HeldOrder = { id: string; shopId: bigint; buyerAccountId: bigint | null; amountMinor: bigint; currency: string };

type GroupRow = { id: string; state: string; size: number; members_count: number; due: boolean };

/** Locks the group's row: every seat and the expiry of a group are decided under this lock. */
export async function lockGroup(tx: Drizzle, groupId: string, now?: Date): Promise<GroupRow | undefined> {
  const at = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
  return queryOne<GroupRow>(tx, sql`SELECT id, state, size, members_count, expires_at <= ${at} AS due FROM buying_groups WHERE id = ${groupId} FOR UPDATE`);
}

/**
 * Inside the payment's transaction (api/services/orders/acceptPayment.ts, acceptCarefully), after
 * the order became paid and its ledger entry was posted: the member takes a seat, or, when the
 * group is full, expired or already holds this account, the payment is refunded at once (the
 * buyer is never charged for a seat it did not get). The seat that makes N fills the group.
 */
export async function seatPaidMember(tx: Drizzle, settings: { platformFeeBps: number }, groupId: string, order: HeldOrder): Promise<SeatOutcome> {
  const group = await lockGroup(tx, groupId);
  const seatable = group !== undefined && group.state === "open" && !group.due && group.members_count < group.size && order.buyerAccountId !== null;
  const seated =
    seatable &&
    (await queryOne(
      tx,
      sql`INSERT INTO group_members (group_id, order_id, account_id) VALUES (${groupId}, ${order.id}, ${order.buyerAccountId})
          ON CONFLICT DO NOTHING RETURNING order_id`,
    )) !== undefined;
  if (!seated) {
    await refundHeldPayment(tx, settings, order, "group_unseated");
    return "refunded";
  }
  const updated = await queryOne<{ state: string }>(
    tx,
    sql`UPDATE buying_groups SET members_count = members_count + 1,
          state = CASE WHEN members_count + 1 = size THEN 'filled' ELSE state END,
          filled_at = CASE WHEN members_count + 1 = size THEN now() ELSE filled_at END
        WHERE id = ${groupId} RETURNING state`,
  );
  return updated!.state === "filled" ? "filled" : "seated";
}

/**
 * Refunds a held (paid, undelivered) group order in full, inside the caller's transaction: the
 * shop's share and the fee's share back to platform refunds, then on to the buyer's platform
 * balance (every group member has an account); the order becomes refunded and its key available.
 * The refund's ledger key (order:<id>:refund:group) and the order's state make it exactly once.
 */
export async function refundHeldPayment(
  tx: Drizzle,
  settings: { platformFeeBps: number },
  order: HeldOrder,
  reason: "group_expired" | "group_unseated",
): Promise<void> {
  // The payment's entry may still wait in the group commit (api/services/orders/acceptPayment.ts).
  await ensurePaymentEntry(tx, settings, order.id);
  const refundId = "group";
  await refundThroughProceedsHold(tx, { orderId: order.id, shopId: order.shopId, amountMinor: order.amountMinor, currency: order.currency, refundId, reason });
  if (order.buyerAccountId !== null) {
    await creditRefundToBuyerBalance(tx, {
      orderId: order.id,
      refundId,
      buyerAccountId: order.buyerAccountId,
      amountMinor: order.amountMinor,
      currency: order.currency,
    });
  }
  await tx.execute(sql`UPDATE orders SET state = 'refunded', refund_reason = ${reason} WHERE id = ${order.id} AND state = 'paid'`);
  await tx.execute(sql`UPDATE keys SET status = 'available', order_id = NULL, reserved_until = NULL WHERE order_id = ${order.id} AND status = 'reserved'`);
  await tx.execute(sql`UPDATE group_members SET refunded_at = now() WHERE order_id = ${order.id} AND refunded_at IS NULL`);
}

/** The orders of a group's seated members, in seat order. */
export async function memberOrderIds(db: Drizzle, groupId: string): Promise<string[]> {
  const rows = await queryRows<{ order_id: string }>(db, sql`SELECT order_id FROM group_members WHERE group_id = ${groupId} ORDER BY seated_at, order_id`);
  return rows.map((row) => row.order_id);
}

type HeldOrderRow = { id: string; shop_id: string; buyer_account_id: string | null; amount_minor: string; currency: string };

export function heldOrderOf(row: HeldOrderRow): HeldOrder {
  return {
    id: row.id,
    shopId: BigInt(row.shop_id),
    buyerAccountId: row.buyer_account_id === null ? null : BigInt(row.buyer_account_id),
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
  };
}
