// Order lists for a buyer or a shop, newest first, paginated by creation time and id (bounded page).
import { AppError } from "../../../core/errors.ts";
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";

export type OrderSummary = {
  id: string;
  state: string;
  productId: string;
  productName: string;
  quantity: number;
  amountMinor: string;
  currency: string;
  contact: string | null;
  createdAt: string;
  paidAt: string | null;
  fulfilledAt: string | null;
  deliveryMode: string;
};

/**
 * Orders newest first, keyset-paginated by (created_at, id): `before` is the previous page's
 * `nextBefore`, the last row's creation time to the microsecond and its id, so orders created in
 * the same instant are neither skipped nor repeated across pages.
 */
export async function listOrders(
  db: Drizzle,
  filter: { buyerAccountId?: bigint; shopId?: bigint; state?: string; deliveryMode?: string; limit: number; before?: string },
): Promise<{ items: OrderSummary[]; nextBefore: string | null }> {
  const before = filter.before === undefined ? undefined : parseOrderSortKey(filter.before);
  const rows = await queryRows<{
    id: string;
    state: string;
    product_id: bigint;
    name: string;
    quantity: number;
    amount_minor: bigint;
    currency: string;
    contact: string | null;
    created_at: Date;
    paid_at: Date | null;
    fulfilled_at: Date | null;
    delivery_mode: string;
    created_key: string;
  }>(
    db,
    sql`SELECT o.id, o.state, o.product_id, p.name, o.quantity, o.amount_minor, o.currency, o.contact, o.created_at, o.paid_at,
               o.fulfilled_at, p.delivery_mode, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
        FROM orders o JOIN products p ON p.id = o.product_id
        WHERE true
          ${filter.buyerAccountId !== undefined ? sql`AND o.buyer_account_id = ${filter.buyerAccountId}` : sql``}
          ${filter.shopId !== undefined ? sql`AND o.shop_id = ${filter.shopId}` : sql``}
          ${filter.state ? sql`AND o.state = ${filter.state}` : sql``}
          ${filter.deliveryMode ? sql`AND p.delivery_mode = ${filter.deliveryMode}` : sql``}
          ${before ? sql`AND (o.created_at, o.id) < (${before.createdAt}::timestamptz, ${before.orderId})` : sql``}
        ORDER BY o.created_at DESC, o.id DESC LIMIT ${filter.limit}`,
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
  const last = rows.at(-1);
  return { items, nextBefore: rows.length === filter.limit && last ? `${last.created_key}_${last.id}` : null };
}

function parseOrderSortKey(sortKey: string): { createdAt: string; orderId: string } {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)_(KL[0-9A-Z]{8,24})$/.exec(sortKey);
  if (!match) throw new AppError("validation_failed", "cursor must be the nextCursor of a previous page.");
  return { createdAt: match[1]!, orderId: match[2]! };
}
