// Wakes the streams and polls waiting on a ticket after a request changed it (a message, a read
// mark, a close). It rides the order events' Redis channel (api/services/orders/orderEvents.ts)
// under the key "ticket:<id>", which no order id can equal (order ids are "KL…"): one
// subscriber per process, the same bounds on waiters, the same release at shutdown. A lost
// message costs a stream its keep-alive interval, never a message: every wake re-reads the database.
import type { AppContext } from "../context.ts";
import { handOverToRedis } from "../jobs/enqueue.ts";

export function ticketEventKey(ticketId: bigint): string {
  return `ticket:${ticketId}`;
}

export async function announceTicketChange(ctx: AppContext, ticketId: bigint): Promise<void> {
  await handOverToRedis(ctx, () => ctx.orderEvents.publish(ticketEventKey(ticketId)), {
    code: "ticket_event_skipped",
    message: "ticket change not announced: Redis did not take it (streams read it at their next keep-alive)",
    fields: { ticketId: String(ticketId) },
  });
}
