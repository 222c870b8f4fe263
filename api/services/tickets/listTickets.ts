// Lists of tickets: a shop's inbox (its merchant), an account's tickets (the buyer), an order's
// tickets (whoever sees the order, guests included). Newest first, keyset by id, each with the
// caller's unread count and the SLA flag.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { SQL } from "drizzle-orm";
import { ticketColumns, ticketOfRow, type TicketRecord, type TicketRow, type TicketSide } from "./ticketRecord.ts";

export type TicketListItem = TicketRecord & { unread: number };
export type TicketPage = { items: TicketListItem[]; nextCursor: string | null };

export type TicketFilter = { shopId: bigint; state?: "open" | "closed"; overdueOnly?: boolean } | { buyerAccountId: bigint } | { orderId: string };

export async function listTickets(
  db: Drizzle,
  filter: TicketFilter,
  reader: TicketSide | "staff",
  page: { limit: number; beforeId?: bigint },
): Promise<TicketPage> {
  const conditions: SQL[] = [];
  if ("shopId" in filter) {
    conditions.push(sql`t.shop_id = ${filter.shopId}`);
    if (filter.state) conditions.push(sql`t.state = ${filter.state}`);
    if (filter.overdueOnly) conditions.push(sql`t.merchant_first_reply_at IS NULL AND t.state = 'open' AND t.first_reply_due_at < now()`);
  } else if ("buyerAccountId" in filter) conditions.push(sql`t.buyer_account_id = ${filter.buyerAccountId}`);
  else conditions.push(sql`t.order_id = ${filter.orderId}`);
  if (page.beforeId !== undefined) conditions.push(sql`t.id < ${page.beforeId}`);
  // Staff read without a mark of their own: they see what the merchant has not read.
  const readMark = sql.raw(reader === "buyer" ? "t.buyer_read_message_id" : "t.merchant_read_message_id");
  const rows = await queryRows<TicketRow & { unread: number }>(
    db,
    sql`SELECT ${ticketColumns},
               (SELECT count(*)::int FROM support_ticket_messages m WHERE m.ticket_id = t.id AND m.id > ${readMark}) AS unread
        FROM support_tickets t WHERE ${sql.join(conditions, sql` AND `)}
        ORDER BY t.id DESC LIMIT ${page.limit + 1}`,
  );
  const items = rows.slice(0, page.limit).map((row) => ({ ...ticketOfRow(row), unread: row.unread }));
  return { items, nextCursor: rows.length > page.limit ? String(items[items.length - 1]!.id) : null };
}
