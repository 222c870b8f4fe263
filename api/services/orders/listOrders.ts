// Order lists for a buyer or a shop, newest first, paginated by creation time (bounded page).
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type OrderSummary = {
  id: string; state: string; productId: string; productName: string; quantity: number; amountMinor: string; currency: string;
  contact: string | null; createdAt: string; paidAt: string | null; fulfilledAt: string | null; deliveryMode: string;
};

export async function listOrders(
  db: Drizzle,
  filter: { buyerAccountId?: bigint; shopId?: bigint; state?: string; deliveryMode?: string; limit: number; before?: string },
): Promise<{ items: OrderSummary[]; nextBefore: string | null }> {
  const rows = await queryRows<{
    id: string; state: string; product_id: bigint; name: string; quantity: number; amount_minor: bigint; currency: string;
    contact: string | null; created_at: Date; paid_at: Date | null; fulfilled_at: Date | null; delivery_mode: string;
  }>(
    db,
    sql`SELECT o.id, o.state, o.product_id, p.name, o.quantity, o.amount_minor, o.currency, o.contact, o.created_at, o.paid_at,
               o.fulfilled_at, p.delivery_mode
        FROM orders o JOIN products p ON p.id = o.product_id
        WHERE true
          ${filter.buyerAccountId !== undefined ? sql`AND o.buyer_account_id = ${filter.buyerAccountId}` : sql``}
          ${filter.shopId !== undefined ? sql`AND o.shop_id = ${filter.shopId}` : sql``}
          ${filter.state ? sql`AND o.state = ${filter.state}` : sql``}
          ${filter.deliveryMode ? sql`AND p.delivery_mode = ${filter.deliveryMode}` : sql``}
          ${filter.before ? sql`AND o.created_at < ${new Date(filter.before)}` : sql``}
        ORDER BY o.created_at DESC LIMIT ${filter.limit}`,
  );
  const items = rows.map((row) => ({
    id: row.id,
    state: row.state,
    productId: String(row.product_id),
    productName: row.name,
    quantity: row.quantity,
    amountMinor: String(row.amount_minor),
    currency: row.currency,
    contact: row.contact,
    createdAt: new Date(row.created_at).toISOString(),
    paidAt: row.paid_at ? new Date(row.paid_at).toISOString() : null,
    fulfilledAt: row.fulfilled_at ? new Date(row.fulfilled_at).toISOString() : null,
    deliveryMode: row.delivery_mode,
  }));
  return { items, nextBefore: items.length === filter.limit ? items[items.length - 1]!.createdAt : null };
}
