// A side marks the ticket read up to a message. The mark only moves forward and never past the
// last message, so a stale or forged id cannot unread anything or claim to have read the future.
import { sql, type Drizzle } from "../../../core/store/database.ts";
import type { TicketRecord, TicketSide } from "./ticketRecord.ts";

export async function markTicketRead(db: Drizzle, ticket: TicketRecord, side: TicketSide, upToMessageId: bigint): Promise<void> {
  const column = sql.raw(side === "buyer" ? "buyer_read_message_id" : "merchant_read_message_id");
  await db.execute(sql`UPDATE support_tickets SET ${column} = greatest(${column}, least(${upToMessageId}, last_message_id)) WHERE id = ${ticket.id}`);
}
