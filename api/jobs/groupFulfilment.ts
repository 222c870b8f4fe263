// What an accepted payment hands to the fulfilment queue (docs/groupbuy.md): an ordinary order
// its own job; a group member's order nothing while its group is open (the payment is held); and
// when that payment filled the group, every member's order at once. Fulfilment is the existing
// exactly-once path, so a member enqueued twice is still delivered once.
import { queryPreparedOne, type Drizzle, sql } from "../../core/store/database.ts";
import { memberOrderIds } from "../services/groupbuy/heldPayments.ts";
import { enqueueFulfilment, enqueueGroupFulfilments } from "./enqueue.ts";
import type { Queues } from "./queues.ts";

export async function enqueuePaidOrder(db: Drizzle, queues: Queues, orderId: string): Promise<void> {
  // Prepared: it runs once per paid order on a chain payment's path.
  const row = await queryPreparedOne<{ group_id: string | null; state: string | null }>(
    db,
    "paid_order_group",
    sql`SELECT o.group_id, g.state FROM orders o LEFT JOIN buying_groups g ON g.id = o.group_id WHERE o.id = ${orderId}`,
  );
  if (!row?.group_id) return enqueueFulfilment(queues, orderId);
  if (row.state === "filled") await enqueueGroupFulfilments(queues, await memberOrderIds(db, row.group_id));
}
