// A message from the buyer or the merchant, with text or with one attachment (an upload is a
// message of its own, so no file is ever stored without the message that shows it). Under the
// ticket's row lock: a message never lands in a ticket that a concurrent close has closed, the
// attachment count per ticket is exact, and the merchant's first reply is recorded once.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import { encryptSecret, ticketAttachmentAad } from "../../keys/envelope.ts";
import type { TicketRecord, TicketSide } from "./ticketRecord.ts";

export type TicketAttachmentInput = {
  fileName: string;
  contentType: string;
  bytes: Uint8Array;
  /** The shop's data key (api/keys/shopDataKey.ts): attachments are stored encrypted under it. */
  dataKey: Uint8Array;
  perTicketMax: number;
};

export type PostTicketMessageParameters = {
  ticket: TicketRecord;
  side: TicketSide;
  authorAccountId: bigint | null;
  body: string;
  attachment?: TicketAttachmentInput;
};

export type PostedMessage = { messageId: bigint; attachmentId: bigint | null; firstMerchantReply: boolean; recipientHadUnread: boolean };

export async function postTicketMessage(db: Drizzle, parameters: PostTicketMessageParameters): Promise<PostedMessage> {
  const { ticket, side, attachment } = parameters;
  return db.transaction(async (tx) => {
    const locked = await queryOne<{ state: string; last_message_id: bigint; other_read: bigint; first_reply: Date | null }>(
      tx,
      sql`SELECT state, last_message_id, ${side === "buyer" ? sql.raw("merchant_read_message_id") : sql.raw("buyer_read_message_id")} AS other_read,
                 merchant_first_reply_at AS first_reply
          FROM support_tickets WHERE id = ${ticket.id} FOR UPDATE`,
    );
    if (!locked) throw new Error(`Invariant: ticket ${ticket.id} was loaded but is gone.`);
    if (locked.state !== "open") throw new AppError("ticket_closed", `Ticket ${ticket.id} is closed: open a new ticket on the order if the problem remains.`);
    if (attachment) {
      const count = await queryOne<{ count: number }>(tx, sql`SELECT count(*)::int AS count FROM support_ticket_attachments WHERE ticket_id = ${ticket.id}`);
      if ((count?.count ?? 0) >= attachment.perTicketMax) {
        throw new AppError(
          "attachments_exhausted",
          `Ticket ${ticket.id} already has ${attachment.perTicketMax} attachments, the most a ticket may have. Describe the rest in text.`,
        );
      }
    }
    const message = await queryOne<{ id: bigint }>(
      tx,
      sql`INSERT INTO support_ticket_messages (ticket_id, author, author_account_id, body)
          VALUES (${ticket.id}, ${side}, ${parameters.authorAccountId}, ${parameters.body}) RETURNING id`,
    );
    const messageId = BigInt(message!.id);
    let attachmentId: bigint | null = null;
    if (attachment) {
      const aad = ticketAttachmentAad({ shopId: ticket.shopId, ticketId: ticket.id, messageId });
      const stored = await queryOne<{ id: bigint }>(
        tx,
        sql`INSERT INTO support_ticket_attachments (ticket_id, message_id, file_name, content_type, size_bytes, ciphertext)
            VALUES (${ticket.id}, ${messageId}, ${attachment.fileName}, ${attachment.contentType}, ${attachment.bytes.length},
                    ${encryptSecret(attachment.dataKey, attachment.bytes, aad)}) RETURNING id`,
      );
      attachmentId = BigInt(stored!.id);
    }
    // The author has read everything up to their own message.
    const readColumn = sql.raw(side === "buyer" ? "buyer_read_message_id" : "merchant_read_message_id");
    await tx.execute(
      sql`UPDATE support_tickets SET last_message_id = ${messageId}, last_message_at = now(), ${readColumn} = ${messageId},
            merchant_first_reply_at = CASE WHEN ${side} = 'merchant' THEN coalesce(merchant_first_reply_at, now()) ELSE merchant_first_reply_at END
          WHERE id = ${ticket.id}`,
    );
    return {
      messageId,
      attachmentId,
      firstMerchantReply: side === "merchant" && locked.first_reply === null,
      // The recipient is mailed only when this is the first message they have not read yet.
      recipientHadUnread: BigInt(locked.other_read) < BigInt(locked.last_message_id),
    };
  });
}
