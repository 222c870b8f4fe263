// A buyer opens a ticket on an order, or on one key of it, with its first message. One open
// ticket per order and key (a unique index): a second "open" gets a conflict that names the
// open one, whatever the concurrency. The merchant's first reply is due SUPPORT_FIRST_REPLY_SECONDS
// after opening (the database clock, the one that later flags it overdue).
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { OrderRecord } from "../orders/orderRecord.ts";
import { assertKeyInOrder } from "../orders/assertKeyInOrder.ts";
import { getTicketRecord, type MailLocale, type TicketCategory, type TicketRecord } from "./ticketRecord.ts";

/** Orders that have been paid for can have tickets; one awaiting payment or expired has nothing to complain about yet. */
const ticketableStates = new Set(["paid", "fulfilled", "refund_pending", "refunded", "failed"]);
/** Tickets one order may have over its life: opening and closing cannot fill the merchant's inbox. */
export const ticketsPerOrderMax = 20;

export type OpenTicketParameters = {
  order: OrderRecord;
  keyId?: bigint;
  category: TicketCategory;
  subject: string;
  body: string;
  locale: MailLocale;
  firstReplySeconds: number;
};

export async function openTicket(db: Drizzle, parameters: OpenTicketParameters): Promise<{ ticket: TicketRecord; messageId: bigint }> {
  const { order } = parameters;
  if (!ticketableStates.has(order.state)) {
    throw new AppError(
      "invalid_state",
      `Order ${order.id} is ${order.state}: tickets are for orders that have been paid. Pay it first, or wait for its payment to arrive.`,
    );
  }
  if (parameters.keyId !== undefined) await assertKeyInOrder(db, { keyId: parameters.keyId, orderId: order.id });
  const opened = await db.transaction(async (tx) => {
    // The order's row lock orders concurrent openings, so the per-order count below is exact.
    await queryOne(tx, sql`SELECT id FROM orders WHERE id = ${order.id} FOR UPDATE`);
    const existing = await queryOne<{ count: number }>(tx, sql`SELECT count(*)::int AS count FROM support_tickets WHERE order_id = ${order.id}`);
    if ((existing?.count ?? 0) >= ticketsPerOrderMax) {
      throw new AppError("conflict", `Order ${order.id} already has ${ticketsPerOrderMax} tickets, the most one order may have. Write in an open one instead.`);
    }
    const ticket = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO support_tickets (order_id, shop_id, key_id, buyer_account_id, category, subject, buyer_locale, first_reply_due_at)
          VALUES (${order.id}, ${order.shopId}, ${parameters.keyId ?? null}, ${order.buyerAccountId}, ${parameters.category}, ${parameters.subject},
                  ${parameters.locale}, now() + make_interval(secs => ${parameters.firstReplySeconds}))
          ON CONFLICT (order_id, coalesce(key_id, 0)) WHERE state = 'open' DO NOTHING
          RETURNING id`,
    );
    if (!ticket) return undefined;
    const message = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO support_ticket_messages (ticket_id, author, author_account_id, body)
          VALUES (${ticket.id}, 'buyer', ${order.buyerAccountId}, ${parameters.body}) RETURNING id`,
    );
    await tx.execute(
      sql`UPDATE support_tickets SET last_message_id = ${message!.id}, buyer_read_message_id = ${message!.id}, last_message_at = now() WHERE id = ${ticket.id}`,
    );
    return { ticketId: BigInt(ticket.id), messageId: BigInt(message!.id) };
  });
  if (!opened) {
    const open = await queryOne<{ id: bigint }>(
      db,
      sql`SELECT id FROM support_tickets WHERE order_id = ${order.id} AND coalesce(key_id, 0) = ${parameters.keyId ?? 0n} AND state = 'open'`,
    );
    const what = parameters.keyId === undefined ? `order ${order.id}` : `key ${parameters.keyId} of order ${order.id}`;
    throw new AppError("conflict", `Ticket ${open?.id ?? "?"} is already open for ${what}: write in it instead.`, {
      details: { ticketId: open ? String(open.id) : null },
    });
  }
  return { ticket: (await getTicketRecord(db, opened.ticketId))!, messageId: opened.messageId };
}
