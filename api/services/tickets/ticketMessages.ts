// A ticket's messages in order, after a given message id (0: from the start), bounded per read:
// the page, the stream and the poll all read through here.
import { queryRows, sql, type Drizzle } from "../../../core/store/database.ts";
import type { TicketSide } from "./ticketRecord.ts";

export const ticketMessagesPerReadMax = 200;

export type TicketMessage = {
  id: bigint;
  author: TicketSide;
  body: string;
  createdAt: Date;
  attachment: { id: bigint; fileName: string; contentType: string; sizeBytes: number } | null;
};

export async function ticketMessagesAfter(db: Drizzle, ticketId: bigint, afterMessageId: bigint, limit = ticketMessagesPerReadMax): Promise<TicketMessage[]> {
  const rows = await queryRows<{
    id: bigint;
    author: TicketSide;
    body: string;
    created_at: Date;
    attachment_id: bigint | null;
    file_name: string | null;
    content_type: string | null;
    size_bytes: number | null;
  }>(
    db,
    sql`SELECT m.id, m.author, m.body, m.created_at, a.id AS attachment_id, a.file_name, a.content_type, a.size_bytes
        FROM support_ticket_messages m LEFT JOIN support_ticket_attachments a ON a.message_id = m.id
        WHERE m.ticket_id = ${ticketId} AND m.id > ${afterMessageId}
        ORDER BY m.id LIMIT ${Math.min(limit, ticketMessagesPerReadMax)}`,
  );
  return rows.map((row) => ({
    id: BigInt(row.id),
    author: row.author,
    body: row.body,
    createdAt: new Date(row.created_at),
    attachment:
      row.attachment_id === null
        ? null
        : { id: BigInt(row.attachment_id), fileName: row.file_name!, contentType: row.content_type!, sizeBytes: row.size_bytes! },
  }));
}
