// Response schemas of the ticket routes (api/http/routes/tickets.ts, docs/support.md).
import { z } from "zod";
import { decimalString, isoDateTime, pageOf } from "./common.ts";

const ticketCategory = z.enum(["key_invalid", "key_already_used", "wrong_product", "not_received", "other"]);
const side = z.enum(["buyer", "merchant"]);

export const ticketSchema = z.strictObject({
  id: decimalString,
  orderId: z.string(),
  shopId: decimalString,
  keyId: decimalString.nullable(),
  category: ticketCategory,
  subject: z.string(),
  state: z.enum(["open", "closed"]),
  firstReplyDueAt: isoDateTime,
  merchantFirstReplyAt: isoDateTime.nullable(),
  /** No merchant reply yet and past the due time (the platform's SLA). */
  overdue: z.boolean(),
  /** Read state: the last message id each side has read. */
  buyerReadMessageId: decimalString,
  merchantReadMessageId: decimalString,
  lastMessageId: decimalString,
  lastMessageAt: isoDateTime,
  closedAt: isoDateTime.nullable(),
  closedBy: side.nullable(),
  createdAt: isoDateTime,
});

export const ticketListItemSchema = ticketSchema.extend({
  /** Messages the caller's side has not read. */
  unread: z.number().int(),
});

export const ticketPageSchema = pageOf(ticketListItemSchema);

export const ticketMessageSchema = z.strictObject({
  id: decimalString,
  author: side,
  body: z.string(),
  createdAt: isoDateTime,
  attachment: z
    .strictObject({
      id: decimalString,
      fileName: z.string(),
      contentType: z.enum(["image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"]),
      sizeBytes: z.number().int(),
      /** Download it here (as an attachment, never shown inline); guests add ?token=. */
      url: z.string(),
    })
    .nullable(),
});

export const ticketDetailSchema = z.strictObject({
  ticket: ticketSchema,
  /** The side the caller writes as; staff only read. */
  viewer: z.enum(["buyer", "merchant", "staff"]),
  /** Messages after the requested id, oldest first (at most 200: ask again after the last). */
  messages: z.array(ticketMessageSchema),
});

export const postedTicketMessageSchema = z.strictObject({ ticket: ticketSchema, message: ticketMessageSchema });

export const cannedReplySchema = z.strictObject({ id: decimalString, title: z.string(), body: z.string(), createdAt: isoDateTime });
export const cannedReplyListSchema = z.strictObject({ items: z.array(cannedReplySchema) });
