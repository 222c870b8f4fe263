// A support ticket as the services see it, read from support_tickets. The SLA flag is computed
// from the database clock when the row is read, so every reader agrees on "overdue".
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";

export const ticketCategories = ["key_invalid", "key_already_used", "wrong_product", "not_received", "other"] as const;
export type TicketCategory = (typeof ticketCategories)[number];
export type TicketSide = "buyer" | "merchant";
export type MailLocale = "zh-CN" | "en";

export type TicketRecord = {
  id: bigint;
  orderId: string;
  shopId: bigint;
  keyId: bigint | null;
  buyerAccountId: bigint | null;
  category: TicketCategory;
  subject: string;
  state: "open" | "closed";
  buyerLocale: MailLocale;
  firstReplyDueAt: Date;
  merchantFirstReplyAt: Date | null;
  /** No merchant reply yet and the due time has passed. */
  overdue: boolean;
  buyerReadMessageId: bigint;
  merchantReadMessageId: bigint;
  lastMessageId: bigint;
  lastMessageAt: Date;
  closedAt: Date | null;
  closedBy: TicketSide | null;
  createdAt: Date;
};

type TicketRow = {
  id: bigint;
  order_id: string;
  shop_id: bigint;
  key_id: bigint | null;
  buyer_account_id: bigint | null;
  category: TicketCategory;
  subject: string;
  state: "open" | "closed";
  buyer_locale: MailLocale;
  first_reply_due_at: Date;
  merchant_first_reply_at: Date | null;
  overdue: boolean;
  buyer_read_message_id: bigint;
  merchant_read_message_id: bigint;
  last_message_id: bigint;
  last_message_at: Date;
  closed_at: Date | null;
  closed_by: TicketSide | null;
  created_at: Date;
};

/** The columns of a ticket row plus its overdue flag; `t` is the support_tickets alias. */
export const ticketColumns = sql.raw(
  `t.id, t.order_id, t.shop_id, t.key_id, t.buyer_account_id, t.category, t.subject, t.state, t.buyer_locale,
   t.first_reply_due_at, t.merchant_first_reply_at,
   (t.merchant_first_reply_at IS NULL AND t.state = 'open' AND t.first_reply_due_at < now()) AS overdue,
   t.buyer_read_message_id, t.merchant_read_message_id, t.last_message_id, t.last_message_at, t.closed_at, t.closed_by, t.created_at`,
);

export function ticketOfRow(row: TicketRow): TicketRecord {
  return {
    id: BigInt(row.id),
    orderId: row.order_id,
    shopId: BigInt(row.shop_id),
    keyId: row.key_id === null ? null : BigInt(row.key_id),
    buyerAccountId: row.buyer_account_id === null ? null : BigInt(row.buyer_account_id),
    category: row.category,
    subject: row.subject,
    state: row.state,
    buyerLocale: row.buyer_locale,
    firstReplyDueAt: new Date(row.first_reply_due_at),
    merchantFirstReplyAt: row.merchant_first_reply_at === null ? null : new Date(row.merchant_first_reply_at),
    overdue: row.overdue,
    buyerReadMessageId: BigInt(row.buyer_read_message_id),
    merchantReadMessageId: BigInt(row.merchant_read_message_id),
    lastMessageId: BigInt(row.last_message_id),
    lastMessageAt: new Date(row.last_message_at),
    closedAt: row.closed_at === null ? null : new Date(row.closed_at),
    closedBy: row.closed_by,
    createdAt: new Date(row.created_at),
  };
}

export async function getTicketRecord(db: Drizzle, ticketId: bigint): Promise<TicketRecord | undefined> {
  const row = await queryOne<TicketRow>(db, sql`SELECT ${ticketColumns} FROM support_tickets t WHERE t.id = ${ticketId}`);
  return row ? ticketOfRow(row) : undefined;
}

export type { TicketRow };
