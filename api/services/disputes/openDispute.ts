// The buyer opens a dispute on a paid order (signed in, or a guest through the order's access
// token; the route has checked that the caller is the order's buyer). Refused, writing nothing:
// an order never paid, an order whose after-sales window has closed, a key that is not the
// order's, a second undecided dispute on the same order.
import { AppError } from "../../../core/errors.ts";
import { pgErrorCode, pgErrorCodes } from "../../../core/store/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { DisputeCategory, DisputeRow } from "./disputeRecord.ts";
import { lockLatestProceedsHold, timestamp } from "./proceedsHolds.ts";

export type OpenDisputeParameters = {
  orderId: string;
  buyerAccountId: bigint | null;
  category: DisputeCategory;
  statement: string;
  ticketId?: bigint;
  entitlementId?: bigint;
  escalationWindowSeconds: number;
  now?: Date;
};

export async function openDispute(db: Drizzle, parameters: OpenDisputeParameters): Promise<DisputeRow> {
  return db.transaction(async (tx) => {
    const now = timestamp(parameters.now);
    const order = await queryOne<{ shop_id: bigint; paid_at: Date | null; window_end: Date | null }>(
      tx,
      sql`SELECT o.shop_id, o.paid_at, o.paid_at + make_interval(secs => w.window_seconds) AS window_end
          FROM orders o JOIN products p ON p.id = o.product_id LEFT JOIN after_sales_windows w ON w.category = p.category
          WHERE o.id = ${parameters.orderId} FOR UPDATE OF o`,
    );
    if (!order) throw new AppError("not_found", `No order ${parameters.orderId} that you can see.`);
    if (order.paid_at === null) throw new AppError("invalid_state", `Order ${parameters.orderId} was never paid; there is nothing to dispute.`);
    // The window is the proceeds hold's when there is one (it may have been lengthened by the
    // shop's reputation); sales on the merchant's own gateway have no hold, only the category's window.
    const hold = await lockLatestProceedsHold(tx, parameters.orderId);
    const windowEnd = hold ? new Date(hold.release_at) : order.window_end === null ? null : new Date(order.window_end);
    const open = await queryOne<{ open: boolean }>(tx, sql`SELECT ${windowEnd?.toISOString() ?? null}::timestamptz > ${now} AS open`);
    // Released proceeds mean the window has closed for the money, whatever the clock says.
    if (!open?.open || hold?.state === "posted") {
      throw new AppError(
        "after_sales_closed",
        `The after-sales window of order ${parameters.orderId} closed at ${windowEnd?.toISOString()}; a dispute can no longer be opened.`,
        {
          details: { windowClosedAt: windowEnd?.toISOString() ?? null },
        },
      );
    }
    if (parameters.entitlementId !== undefined) {
      const inOrder = await queryOne<{ id: bigint }>(
        tx,
        sql`SELECT id FROM entitlements WHERE id = ${parameters.entitlementId} AND order_id = ${parameters.orderId}`,
      );
      if (!inOrder)
        throw new AppError(
          "validation_failed",
          `Entitlement ${parameters.entitlementId} is not a key of order ${parameters.orderId}; name one of its keys or none.`,
        );
    }
    if (parameters.ticketId !== undefined) {
      const ticket = await queryOne<{ id: bigint }>(
        tx,
        sql`SELECT id FROM support_tickets WHERE id = ${parameters.ticketId} AND order_id = ${parameters.orderId}`,
      );
      if (!ticket)
        throw new AppError(
          "validation_failed",
          `Ticket ${parameters.ticketId} is not a support ticket of order ${parameters.orderId}; name one of its tickets or none.`,
        );
    }
    try {
      const row = await queryOne<DisputeRow>(
        tx,
        sql`INSERT INTO disputes (order_id, shop_id, ticket_id, entitlement_id, opened_by_account_id, category, statement, escalation_deadline, opened_at)
            VALUES (${parameters.orderId}, ${order.shop_id}, ${parameters.ticketId ?? null}, ${parameters.entitlementId ?? null}, ${parameters.buyerAccountId},
                    ${parameters.category}, ${parameters.statement}, ${now} + make_interval(secs => ${parameters.escalationWindowSeconds}), ${now})
            RETURNING *`,
      );
      return row!;
    } catch (error) {
      if (pgErrorCode(error) === pgErrorCodes.uniqueViolation) {
        throw new AppError("dispute_already_open", `Order ${parameters.orderId} already has an undecided dispute; add to that one instead.`);
      }
      throw error;
    }
  });
}
