// Either side closes a ticket; a closed ticket takes no more messages (postTicketMessage.ts
// checks under the same row lock). Closing twice is a conflict, not a second close.
import { AppError } from "../../../core/errors.ts";
import { queryOne, sql, type Drizzle } from "../../../core/store/database.ts";
import type { TicketRecord, TicketSide } from "./ticketRecord.ts";

export async function closeTicket(db: Drizzle, ticket: TicketRecord, side: TicketSide): Promise<void> {
  const closed = await queryOne<{ id: bigint }>(
    db,
    sql`UPDATE support_tickets SET state = 'closed', closed_at = now(), closed_by = ${side} WHERE id = ${ticket.id} AND state = 'open' RETURNING id`,
  );
  if (!closed) throw new AppError("ticket_closed", `Ticket ${ticket.id} is already closed.`);
}
