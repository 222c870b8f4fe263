// Lists of disputes, newest first, keyset-paged by id, optionally one state: the platform's
// queue (admins; escalated is the arbitration queue) and a shop's own list (its merchant, with
// each order's amount so the console can show what is at stake).
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import { textArrayLiteral } from "../../../core/store/sqlArrays.ts";
import { type DisputeRow, type DisputeView, disputeView } from "./disputeRecord.ts";

type ListParameters = { state?: DisputeRow["state"]; before?: bigint; limit: number };

export async function listDisputes(
  db: Drizzle,
  parameters: ListParameters & { shopId?: bigint },
): Promise<{ items: DisputeView[]; nextBefore: string | null }> {
  const rows = await queryRows<DisputeRow>(
    db,
    sql`SELECT * FROM disputes
        WHERE true ${parameters.shopId !== undefined ? sql`AND shop_id = ${parameters.shopId}` : sql``}
          ${parameters.state ? sql`AND state = ${parameters.state}` : sql``} ${parameters.before !== undefined ? sql`AND id < ${parameters.before}` : sql``}
        ORDER BY id DESC LIMIT ${parameters.limit + 1}`,
  );
  const page = rows.slice(0, parameters.limit);
  const items: DisputeView[] = [];
  for (const row of page) items.push(await disputeView(db, row));
  return { items, nextBefore: rows.length > parameters.limit ? String(page.at(-1)!.id) : null };
}

export type ShopDisputeView = DisputeView & { orderAmountMinor: string; currency: string; deadline: string | null };

/**
 * The shop's disputes with the amount its order paid and the deadline that matters next: the
 * answer deadline once escalated, the escalation deadline while open or rejected, none once
 * resolved.
 */
export async function listShopDisputes(
  db: Drizzle,
  parameters: ListParameters & { shopId: bigint },
): Promise<{ items: ShopDisputeView[]; nextBefore: string | null }> {
  const page = await listDisputes(db, parameters);
  const orderIds = [...new Set(page.items.map((item) => item.orderId))];
  const orders =
    orderIds.length === 0
      ? []
      : await queryRows<{ id: string; amount_minor: bigint; currency: string }>(
          db,
          sql`SELECT id, amount_minor, currency FROM orders WHERE shop_id = ${parameters.shopId} AND id = ANY(${textArrayLiteral(orderIds)}::text[])`,
        );
  const byId = new Map(orders.map((order) => [order.id, order]));
  return {
    nextBefore: page.nextBefore,
    items: page.items.map((item) => {
      const order = byId.get(item.orderId)!;
      const deadline = item.state === "escalated" ? item.answerDeadline : item.state === "resolved" ? null : item.escalationDeadline;
      return { ...item, orderAmountMinor: String(order.amount_minor), currency: order.currency, deadline };
    }),
  };
}
