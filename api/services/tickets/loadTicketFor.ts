// Loads a ticket for whoever asks, through its order: whoever may see the order sees its
// tickets (orderAccessCheck.ts), with the order's viewer deciding the side. The buyer (account
// or access token) writes as the buyer, the shop's merchant as the merchant, staff only read.
// A ticket that does not exist and one the caller may not see get the same 404, so ticket
// numbers cannot be probed.
import { AppError } from "../../../core/errors.ts";
import type { Drizzle } from "../../../core/store/database.ts";
import type { AuthenticatedAccount } from "../accounts/sessions.ts";
import { loadOrderFor } from "../orders/orderAccessCheck.ts";
import type { OrderRecord } from "../orders/orderRecord.ts";
import type { OrderViewer } from "../orders/orderViewer.ts";
import { getTicketRecord, type TicketRecord, type TicketSide } from "./ticketRecord.ts";

export type TicketCaller = { account?: AuthenticatedAccount; accessToken?: string };
export type LoadedTicket = { ticket: TicketRecord; order: OrderRecord; viewer: OrderViewer };

export async function loadTicketFor(db: Drizzle, pepper: string, ticketId: bigint, who: TicketCaller): Promise<LoadedTicket> {
  const denied = () =>
    new AppError("not_found", `No ticket ${ticketId} that you can see. Guests: open it from the order page (its link carries the order's access).`);
  const ticket = await getTicketRecord(db, ticketId);
  if (!ticket) throw denied();
  try {
    const { order, viewer } = await loadOrderFor(db, pepper, ticket.orderId, who);
    return { ticket, order, viewer };
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") throw denied();
    throw error;
  }
}

/** The side the caller writes as; staff read tickets but take no part in them (disputes are where the platform steps in). */
export function writingSide(viewer: OrderViewer): TicketSide {
  if (viewer === "staff") throw new AppError("forbidden", "Staff read tickets but do not write in them; the buyer and the shop's merchant do.");
  return viewer;
}
